# syntax=docker/dockerfile:1
FROM alpine:3.20
RUN <<EOF
FROM evil:latest
COPY --from=nothing / /
EOF
COPY <<-"CONF" /etc/app.conf
	FROM also-not-an-image
	CONF
RUN <<A cat > /a && <<B cat > /b
FROM a
A
FROM b
B
FROM python:3.12
COPY --from=0 / /
