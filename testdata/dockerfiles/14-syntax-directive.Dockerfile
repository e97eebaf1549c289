# syntax=docker/dockerfile:1.7
# check=error=true
FROM alpine:3.20
