FROM alpine:3.20 AS base
RUN echo hi \
    && echo there
FROM base
COPY --from=busybox:1.36 /bin/busybox /bin/
