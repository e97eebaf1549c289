FROM golang:1.22 AS build
RUN --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=bind,from=ghcr.io/acme/tools:2.1,source=/bin/lint,target=/lint \
    --mount=type=bind,from=BUILD,target=/x \
    go build ./...
