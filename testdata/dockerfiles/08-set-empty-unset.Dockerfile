ARG SET=3.19
ARG EMPTY=
ARG UNSET
FROM alpine:${SET:-x} AS a
FROM alpine:${EMPTY:-3.18} AS b
FROM alpine${EMPTY-:3.17} AS c
FROM alpine:${UNSET-3.16} AS d
FROM alpine:3.15${SET:+-slim} AS e
FROM alpine:3.14${EMPTY+-empty} AS f
FROM alpine:3.13${UNSET+-unset} AS g
COPY --from=a / /
COPY --from=b / /
COPY --from=c / /
COPY --from=d / /
COPY --from=e / /
COPY --from=f / /
