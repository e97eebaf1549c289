//! Helpers for the lock commands' end-to-end tests: the built binary, run in a scratch
//! directory holding copies of fixtures.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The binary, run in `dir`, with colour and the environment's mirrors out of the way.
pub fn bin(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("dockerfile-lock").expect("binary is built");
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env_remove("DOCKERFILE_LOCK_REGISTRY_MIRRORS")
        .env_remove("DOCKERFILE_LOCK_INSECURE_REGISTRIES");
    cmd
}

/// A scratch directory with a copy of `testdata/<fixture>`.
pub fn scratch(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&testdata().join(fixture), dir.path());
    dir
}

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn read(path: impl AsRef<Path>) -> Vec<u8> {
    let path = path.as_ref();
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn text(path: impl AsRef<Path>) -> String {
    String::from_utf8(read(path)).expect("UTF-8")
}

/// A made-up but well-formed digest, different for each seed.
pub fn digest(seed: u8) -> String {
    format!("sha256:{}", format!("{seed:02x}").repeat(32))
}

/// Every file below `dir` with its bytes, for "nothing changed" assertions.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                out.push((entry.path(), read(entry.path())));
            }
        }
    }
    out.sort();
    out
}
