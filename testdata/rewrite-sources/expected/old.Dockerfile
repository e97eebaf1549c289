# syntax=docker/dockerfile:1.5@sha256:2222222222222222222222222222222222222222222222222222222222222222
FROM scratch
ADD https://example.org/tool.tar.gz /opt/
ADD https://github.com/org/repo.git#1111111111111111111111111111111111111111:docs /src
ADD git@github.com:org/x.git#2222222222222222222222222222222222222222 /x
ADD https://github.com/org/lib.git?ref=v2&subdir=pkg /lib
