ARG REGISTRY=docker.io
ARG NODE_MAJOR=20
ARG NODE_IMAGE=${REGISTRY}/library/node:${NODE_MAJOR}-bookworm-slim
FROM ${NODE_IMAGE} AS deps
RUN npm ci
FROM $NODE_IMAGE
COPY --from=deps /app/node_modules ./node_modules
