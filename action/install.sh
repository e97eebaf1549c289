#!/usr/bin/env bash
# The action's install step: put dockerfile-lock $DOCKERFILE_LOCK_VERSION in
# $DOCKERFILE_LOCK_DIR/bin unless the cache already did. The wheel comes from the package
# index (PyPI, or PIP_INDEX_URL), and is installed only if its sha256 is the one the
# release's SHA256SUMS lists for that file name: the index and the release must agree.
set -euo pipefail
version="$DOCKERFILE_LOCK_VERSION"
dir="$DOCKERFILE_LOCK_DIR"
releases="${DOCKERFILE_LOCK_RELEASES:-https://github.com/dockerfile-lock/dockerfile-lock/releases/download}"

exe=""
python="python3"
case "$(uname -s)" in
    MINGW* | MSYS* | CYGWIN*) exe=".exe" python="python" ;;
esac
bin="$dir/bin/dockerfile-lock$exe"

installed_version() {
    "$bin" --version 2>/dev/null || true
}

# A cache hit is used only if it is the version asked for.
if [ "$(installed_version)" != "dockerfile-lock $version" ]; then
    echo "::group::Install dockerfile-lock $version"
    rm -rf "$dir"
    work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/dockerfile-lock-install.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    "$python" -m venv "$work/venv"
    venv_python="$work/venv/bin/python"
    [ -x "$venv_python" ] || venv_python="$work/venv/Scripts/python.exe"
    "$venv_python" -m pip download --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: --dest "$work/wheels" "dockerfile-lock==$version"
    # Fetch the sums and compare, in Python: the runner has it on every OS, unlike
    # sha256sum or curl. Errors go to stdout, where the runner reads workflow commands.
    "$venv_python" - "$work/wheels" "$releases/v$version/SHA256SUMS" "$work/checked" <<'PY'
import hashlib, os, sys, urllib.request

wheels, url, checked = sys.argv[1:]


def fail(message):
    print(f"::error title=dockerfile-lock::{message}")
    sys.exit(1)


names = [n for n in os.listdir(wheels) if n.endswith(".whl")]
if len(names) != 1:
    fail(f"expected one wheel from the package index, got {len(names)}")
name = names[0]
with open(os.path.join(wheels, name), "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
try:
    with urllib.request.urlopen(url, timeout=60) as r:
        sums = r.read(1 << 20).decode("utf-8", "replace")
except OSError as e:
    fail(f"cannot fetch the release's SHA256SUMS: {e}")
listed = {}
for line in sums.splitlines():
    parts = line.split()
    if len(parts) == 2:
        listed[parts[1].lstrip("*")] = parts[0].lower()
if name not in listed:
    fail(f"{name} is not in the release's SHA256SUMS")
if listed[name] != digest:
    fail(f"{name} has sha256 {digest}, the release's SHA256SUMS says {listed[name]}")
with open(checked, "w") as f:
    f.write(os.path.join(wheels, name))
PY
    wheel="$(cat "$work/checked")"
    "$venv_python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps "$wheel"
    scripts="$work/venv/bin"
    [ -d "$scripts" ] || scripts="$work/venv/Scripts"
    mkdir -p "$dir/bin"
    cp "$scripts/dockerfile-lock$exe" "$bin"
    echo "::endgroup::"
fi

got="$(installed_version)"
if [ "$got" != "dockerfile-lock $version" ]; then
    shown="$(printf '%s' "${got:0:80}" | tr -c 'A-Za-z0-9._+ -' '?')"
    echo "::error title=dockerfile-lock::installed binary reports '$shown', expected dockerfile-lock $version"
    exit 1
fi
echo "$got"
{
    echo "version=${got#dockerfile-lock }"
    echo "path=$bin"
} >>"$GITHUB_OUTPUT"
