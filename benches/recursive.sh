#!/usr/bin/env bash
# Whole-process time of offline `verify --recursive` over a git repository of 10,000
# files: 9,800 ordinary files, 180 Dockerfiles and Containerfiles, 10 compose files that
# build 10 of them, 10 bake files (target: under 1 s). Uses hyperfine when installed, else
# a plain timing loop.
#
#   benches/recursive.sh         # build the release binary, make the corpus, measure
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/dockerfile-lock"
corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
d() { printf 'sha256:%064x' "$1"; }

for i in $(seq 0 9799); do
  dir="$corpus/src/m$((i % 200))/p$((i % 7))"
  mkdir -p "$dir"
  printf 'line %d\n' "$i" >"$dir/f$i.txt"
done
for i in $(seq 0 179); do
  dir="$corpus/svc$((i % 30))"
  mkdir -p "$dir"
  name="app$i.Dockerfile"
  [ $((i % 3)) -eq 0 ] && name="app$i.Containerfile"
  printf 'FROM golang:1.22@%s AS build\nFROM alpine:3.20@%s\nCOPY --from=build /a /a\n' \
    "$(d 2)" "$(d 3)" >"$dir/$name"
done
for i in $(seq 0 9); do
  dir="$corpus/stack$i"
  mkdir -p "$dir/app" "$dir/bake"
  printf 'ARG BASE\nFROM ${BASE}\n' >"$dir/app/Dockerfile"
  printf 'services:\n  web:\n    image: nginx:1.25@%s\n  app:\n    build:\n      context: app\n      args:\n        BASE: debian:12@%s\n' \
    "$(d 4)" "$(d 5)" >"$dir/compose.yaml"
  printf 'FROM redis:7@%s\n' "$(d 6)" >"$dir/bake/Dockerfile"
  printf 'target "r" {\n  context = "bake"\n}\n' >"$dir/docker-bake.hcl"
done
(cd "$corpus" && git init -q && git add . && git -c user.name=b -c user.email=b@b commit -qm corpus)
echo "files: $(cd "$corpus" && git ls-files | wc -l)"
(cd "$corpus" && "$bin" -q generate --recursive)
(cd "$corpus" && "$bin" verify --recursive)

if command -v hyperfine >/dev/null; then
  hyperfine --warmup 3 --runs 20 "cd $corpus && $bin verify --recursive"
else
  runs=20
  start=$(date +%s%N)
  for _ in $(seq "$runs"); do (cd "$corpus" && "$bin" verify --recursive); done
  end=$(date +%s%N)
  echo "verify --recursive: $(( (end - start) / runs / 1000000 )) ms per run (mean of $runs)"
fi
