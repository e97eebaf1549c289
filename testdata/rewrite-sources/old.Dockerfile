# syntax=docker/dockerfile:1.5
FROM scratch
ADD https://example.org/tool.tar.gz /opt/
ADD https://github.com/org/repo.git#v1:docs /src
ADD git@github.com:org/x.git /x
ADD https://github.com/org/lib.git?ref=v2&subdir=pkg /lib
