FROM \
# the base image:
    nginx:1.25 \

    AS web
RUN echo a \
  # comment inside
  && echo b
