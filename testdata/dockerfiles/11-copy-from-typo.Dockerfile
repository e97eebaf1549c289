FROM node:20 AS setup
RUN npm ci
FROM node:20-slim
COPY --from=set /app /app
