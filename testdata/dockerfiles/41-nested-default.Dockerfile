ARG A
ARG B
FROM ${A:-${B:-debian:${C:-12}-slim}}
