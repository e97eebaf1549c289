FROM golang:1.22 AS build
FROM alpine:3.20 AS unrelated
FROM node:20 AS web
FROM gcr.io/distroless/base AS release
COPY --from=build /a /a
RUN --mount=from=web,target=/w true
FROM release AS final-debug
COPY --from=busybox:1.36 /bin/sh /bin/sh
