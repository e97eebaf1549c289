RUN apt-get update
FROM debian
