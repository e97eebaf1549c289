# syntax=docker/dockerfile:1.7
FROM alpine:latest AS base
RUN apk add --no-cache ca-certificates

FROM debian:bookworm-slim
COPY --from=base /etc/ssl/certs /etc/ssl/certs
COPY --from=busybox:1.36 /bin/busybox /bin/busybox
