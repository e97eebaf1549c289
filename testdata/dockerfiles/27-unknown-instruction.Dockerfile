FROM alpine
RUN true
COPPY . /app
