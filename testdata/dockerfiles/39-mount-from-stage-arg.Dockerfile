FROM alpine AS base
ARG TOOLS=ghcr.io/acme/tools:3
ENV CACHE_IMG=ghcr.io/acme/cache:9
RUN --mount=from=$TOOLS,target=/t \
    --mount=type=cache,from=${CACHE_IMG},target=/c true
