#!/usr/bin/env bash
# Whole-process time of offline `verify` over a repository of 100 Dockerfiles and their
# locks (target: under 20 ms). Uses hyperfine when installed, else a plain timing loop.
#
#   benches/verify.sh            # build the release binary, make the corpus, measure
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/dockerfile-lock"
corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT

# 100 multi-stage Dockerfiles in 10 directories, every image pinned, so that `generate`
# writes the locks without a registry. Each has a syntax line, ARGs, continuations,
# COPY --from and RUN --mount, like real ones. One digest per tag: two digests for one
# tag across the locks would be a lock-conflict finding.
for i in $(seq 0 99); do
  dir="$corpus/svc$((i % 10))"
  mkdir -p "$dir"
  d() { printf 'sha256:%064x' "$1"; }
  cat >"$dir/app$i.Dockerfile" <<DOCKERFILE
# syntax=docker/dockerfile:1@$(d 1)
ARG GO_VERSION=1.22
FROM golang:\${GO_VERSION}@$(d 2) AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/.cache/go-build \\
    --mount=type=bind,from=busybox:1.36@$(d 3),source=/bin,target=/bb \\
    go build -o /out/app$i ./cmd/app$i
FROM node:18@$(d 4) AS web
RUN npm ci && \\
    npm run build
FROM gcr.io/distroless/static:nonroot@$(d 5)
COPY --from=build /out/app$i /app
COPY --from=web /dist /dist
COPY --from=alpine:3.$((16 + i % 5))@$(d $((6 + i % 5))) /etc/ssl /etc/ssl
USER nonroot
ENTRYPOINT ["/app"]
DOCKERFILE
done
(cd "$corpus" && "$bin" -q generate --recursive)
(cd "$corpus" && "$bin" verify --recursive) || { echo "corpus does not verify" >&2; exit 1; }

if command -v hyperfine >/dev/null; then
  (cd "$corpus" && hyperfine --warmup 10 --min-runs 100 -N \
    "$bin verify --recursive" "$bin verify $(cd "$corpus" && ls */*.Dockerfile | tr '\n' ' ')")
else
  runs=200
  start=$(date +%s%N)
  for _ in $(seq $runs); do (cd "$corpus" && "$bin" verify --recursive); done
  end=$(date +%s%N)
  echo "verify --recursive over 100 Dockerfiles: $(( (end - start) / runs / 1000 )) µs per run (mean of $runs)"
fi
