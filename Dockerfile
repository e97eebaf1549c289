# The dockerfile-lock image: a static (musl) binary on an empty base, run as a non-root user.
#   docker build -t dockerfile-lock .
#   docker run --rm -v "$PWD:/work" dockerfile-lock verify --recursive
# The builder is named in full (buildah and podman resolve no short name without a
# registries.conf that allows it), pinned by digest and recorded in Dockerfile.lock;
# `.ci/run` checks the two agree with `dockerfile-lock verify --require-pinned Dockerfile`.
FROM docker.io/library/rust:1.91-alpine@sha256:45c1c35cd364b8055e9e86f8ecd3e8c874b2dcb658d8a4f94b5d111aa0d651a2 AS build
WORKDIR /src
COPY . .
# The rust Alpine image targets musl and links statically, so the binary needs no libc at
# run time. --locked: exactly what Cargo.lock says.
RUN cargo build --locked --release --bin dockerfile-lock \
    && cp target/release/dockerfile-lock /dockerfile-lock \
    && /dockerfile-lock --version

FROM scratch
# Registries are reached over HTTPS: the builder's CA bundle, where rustls looks for it.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /dockerfile-lock /usr/local/bin/dockerfile-lock
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# Any non-root id: the tool only reads the mounted tree and writes its locks there.
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/dockerfile-lock"]
CMD ["verify", "--recursive"]
