ARG SRC=build
FROM alpine
COPY --from=$SRC /a /b
