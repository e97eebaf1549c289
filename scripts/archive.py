#!/usr/bin/env python3
"""Unpack the binary from a dockerfile-lock wheel into a release archive.

    python3 scripts/archive.py WHEEL TARGET OUTDIR

writes OUTDIR/dockerfile-lock-TARGET.tar.gz (a .zip for Windows targets) holding
dockerfile-lock-TARGET/dockerfile-lock[.exe], the layout Cargo.toml's binstall metadata
names. The bytes are the wheel's own, so the archive and the wheel run the same binary.
Standard library only: it runs on every release runner as it is.
"""

import io
import os
import sys
import tarfile
import zipfile


def main(argv):
    if len(argv) != 4:
        print("error: usage: archive.py WHEEL TARGET OUTDIR", file=sys.stderr)
        return 2
    wheel, target, outdir = argv[1:]
    windows = "windows" in target
    exe = "dockerfile-lock.exe" if windows else "dockerfile-lock"
    with zipfile.ZipFile(wheel) as z:
        # A `bindings = "bin"` wheel keeps the binary among its data scripts.
        found = [n for n in z.namelist() if n.endswith(".data/scripts/" + exe)]
        if len(found) != 1:
            print(f"error: {wheel}: no single {exe} among the wheel's scripts", file=sys.stderr)
            return 2
        data = z.read(found[0])
    top = f"dockerfile-lock-{target}"
    os.makedirs(outdir, exist_ok=True)
    if windows:
        path = os.path.join(outdir, top + ".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{top}/{exe}", data)
    else:
        path = os.path.join(outdir, top + ".tar.gz")
        with tarfile.open(path, "w:gz") as t:
            info = tarfile.TarInfo(f"{top}/{exe}")
            info.size = len(data)
            info.mode = 0o755
            t.addfile(info, io.BytesIO(data))
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
