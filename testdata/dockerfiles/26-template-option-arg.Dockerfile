ARG IMAGE=${templateOption:baseImage}
FROM ${IMAGE}
