#!/usr/bin/env bash
# The action's first step: check the requested version and name the directory the binary
# is installed in and cached from (GITHUB_OUTPUT `dir` and `key`).
set -euo pipefail
version="${DOCKERFILE_LOCK_VERSION:-}"
# A version becomes part of a path, a cache key and a pip requirement: a plain release
# number only (PEP 440 public versions as this project tags them).
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+((a|b|rc)[0-9]+)?$ ]]; then
    # Quoted short and with anything but version characters replaced: a newline or `::`
    # in the input must not start a workflow command of its own.
    shown="$(printf '%s' "${version:0:40}" | tr -c 'A-Za-z0-9._+-' '?')"
    echo "::error title=dockerfile-lock::version must be a release number such as 0.1.0, not '$shown'"
    exit 2
fi
: "${RUNNER_TEMP:?RUNNER_TEMP is not set: this runs as a step of a GitHub Actions job}"
dir="$RUNNER_TEMP/dockerfile-lock/$version"
{
    echo "dir=$dir"
    echo "key=dockerfile-lock-$version-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}"
} >>"$GITHUB_OUTPUT"
