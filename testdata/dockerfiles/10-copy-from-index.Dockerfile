FROM rust:1.80 AS build
FROM debian:12
COPY --from=0 /target/app /app
