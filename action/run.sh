#!/usr/bin/env bash
# The action's last step: run dockerfile-lock with the `args` input. `verify` reports as
# GitHub workflow commands (`--format github`), which the runner turns into annotations
# on the pull request's files.
set -euo pipefail
# The input is split into words on whitespace (newlines too) and never glob-expanded or
# evaluated.
set -f
read -r -d '' -a args <<<"${DOCKERFILE_LOCK_ARGS:-verify --recursive}" || true
if [ "${args[0]:-}" = verify ]; then
    has_format=false
    for a in "${args[@]}"; do
        case "$a" in --format | --format=*) has_format=true ;; esac
    done
    $has_format || args+=(--format github)
fi
exec "$DOCKERFILE_LOCK_BIN" "${args[@]}"
