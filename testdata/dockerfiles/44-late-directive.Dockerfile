# a comment first
# syntax=not/used:1
# escape=`
FROM alpine:3.20 \
    AS x
