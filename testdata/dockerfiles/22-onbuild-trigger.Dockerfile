FROM node:20 AS onbuild-base
ONBUILD COPY --from=ghcr.io/acme/assets:1 /assets /assets
ONBUILD RUN --mount=from=redis:7,target=/r true
FROM onbuild-base AS app
FROM onbuild-base AS app2
COPY --from=app / /
