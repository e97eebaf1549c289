FROM --platform=$BUILDPLATFORM tonistiigi/xx:1.4 AS xx
FROM busybox:1.36 AS base-amd64
FROM arm64v8/busybox:1.36 AS base-arm64
FROM base-$TARGETARCH
COPY --from=xx / /
