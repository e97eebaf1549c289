FROM golang:1.22 AS Builder
RUN go build
FROM builder AS test
RUN go test
FROM debian:bookworm-slim
COPY --from=BUILDER /out /out
COPY --from=Test /report /report
