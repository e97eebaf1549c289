FROM "alpine:3.20" AS a
FROM 'busybox:1.36' AS b
COPY --from=a / /
