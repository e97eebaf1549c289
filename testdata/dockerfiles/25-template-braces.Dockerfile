FROM {{ .BaseImage }}
RUN make
