FROM alpine:3.20
COPY --from=nginx:1.25 /x /x