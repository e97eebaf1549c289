FROM alpine
COPY --from=3 /a /b
