//! The shipped `.pre-commit-hooks.yaml`, run by the real `pre-commit` framework
//! (`pre-commit try-repo`) in a throwaway git repository: the verify hook passes when the
//! Dockerfile and its lock agree and fails when they don't.
//!
//! `pre-commit` builds the hook with `cargo install` (`language: rust`), unoptimized here;
//! the build is cached under `target/pre-commit` so later runs are quick.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod install_support;

use install_support::{git, ALPINE, BUSYBOX};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pre_commit(dir: &Path, hook: &str) -> Output {
    let cache = repo_root().join("target").join("pre-commit");
    // `python -m pre_commit`: the console script may not be on PATH (a venv that is not
    // activated, or pyenv before a rehash); the module always is importable.
    let python = std::env::var("DOCKERFILE_LOCK_PYTHON").unwrap_or_else(|_| "python3".into());
    Command::new(&python)
        .args([
            "-m",
            "pre_commit",
            "try-repo",
            repo_root().to_str().unwrap(),
            hook,
            "--all-files",
            "--color",
            "never",
        ])
        .current_dir(dir)
        .env("PRE_COMMIT_HOME", cache.join("home"))
        .env("CARGO_TARGET_DIR", cache.join("cargo-target"))
        // `cargo install` builds the release profile; unoptimized is enough to test the hook.
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{python}` ({e}): the hook test needs Python 3 with pre-commit (.ci/run installs it in .venv; DOCKERFILE_LOCK_PYTHON names the interpreter)")
        })
}

#[test]
fn verify_hook_passes_in_sync_and_fails_on_a_stale_lock() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("Dockerfile"),
        format!("FROM alpine:3.20@{ALPINE} AS base\nRUN true\n"),
    )
    .unwrap();
    // A reference pinned in the Dockerfile is locked without the network.
    let generated = Command::new(env!("CARGO_BIN_EXE_dockerfile-lock"))
        .arg("generate")
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    git(d, &["init", "-q"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "locked"]);

    let ok = pre_commit(d, "dockerfile-lock-verify");
    let log = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "in sync, the hook must pass:\n{log}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        log.contains("dockerfile-lock verify") && log.contains("Passed"),
        "{log}"
    );

    // A new image without regenerating the lock: the hook must fail and say why.
    std::fs::write(
        d.join("Dockerfile"),
        format!(
            "FROM alpine:3.20@{ALPINE} AS base\nCOPY --from=busybox:1.36@{BUSYBOX} /bin/sh /sh\n"
        ),
    )
    .unwrap();
    git(d, &["add", "."]);
    let stale = pre_commit(d, "dockerfile-lock-verify");
    let log = String::from_utf8_lossy(&stale.stdout);
    assert!(
        !stale.status.success(),
        "a stale lock must fail the hook:\n{log}"
    );
    assert!(
        log.contains("Failed") && log.contains("missing-lock-entry"),
        "{log}"
    );

    // A Dockerfile that a compose file builds is locked through the compose file: the
    // hook checks it there, so committing it alone passes, and a drifting compose
    // `image:` fails.
    std::fs::write(
        d.join("Dockerfile"),
        format!("FROM alpine:3.20@{ALPINE} AS base\nRUN true\n"),
    )
    .unwrap();
    std::fs::remove_file(d.join("Dockerfile.lock")).unwrap();
    std::fs::write(
        d.join("compose.yaml"),
        format!("services:\n  app:\n    build: .\n  cache:\n    image: busybox:1.36@{BUSYBOX}\n"),
    )
    .unwrap();
    let generated = Command::new(env!("CARGO_BIN_EXE_dockerfile-lock"))
        .args(["generate", "--recursive"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    assert!(!d.join("Dockerfile.lock").exists());
    git(d, &["add", "-A"]);
    let ok = pre_commit(d, "dockerfile-lock-verify");
    assert!(
        ok.status.success(),
        "a compose-built Dockerfile is checked through compose.yaml:\n{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    std::fs::write(
        d.join("compose.yaml"),
        format!("services:\n  app:\n    build: .\n  cache:\n    image: busybox:1.37@{BUSYBOX}\n"),
    )
    .unwrap();
    git(d, &["add", "-A"]);
    let stale = pre_commit(d, "dockerfile-lock-verify");
    let log = String::from_utf8_lossy(&stale.stdout);
    assert!(!stale.status.success(), "{log}");
    assert!(log.contains("compose.yaml:5: missing-lock-entry"), "{log}");
}
