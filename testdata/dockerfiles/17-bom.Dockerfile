FROM debian:bookworm
RUN true
