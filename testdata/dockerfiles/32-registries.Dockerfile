FROM mcr.microsoft.com/dotnet/runtime:8.0 AS a
FROM ghcr.io/org/app:1.2.3 AS b
FROM localhost:5000/team/img AS c
FROM [::1]:5000/img:v1 AS d
FROM index.docker.io/library/redis AS e
FROM alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS f
FROM busybox@sha512:abababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababab AS g
FROM bitnami/postgresql AS h
