# Autor: José
FROM alpine:3.20
