//! `verify` end to end, offline: every finding code, every output format, exit codes, and
//! what a corrupt lock does.

mod lock_support;

use std::fs;

use lock_support::{bin, digest, scratch, text};
use predicates::prelude::*;

/// The `flags` fixture after rewriting: a Dockerfile and lock in sync.
fn in_sync() -> tempfile::TempDir {
    let dir = scratch("rewrite/flags");
    fs::copy(dir.path().join("expected"), dir.path().join("Dockerfile")).unwrap();
    dir
}

#[test]
fn in_sync_exits_0_silently_whichever_file_is_named() {
    let dir = in_sync();
    for args in [
        &["verify"][..],
        &["verify", "Dockerfile"],
        &["verify", "Dockerfile.lock"],
    ] {
        bin(dir.path())
            .args(args)
            .assert()
            .code(0)
            .stdout("")
            .stderr("");
    }
}

#[test]
fn missing_lockfile() {
    let dir = in_sync();
    fs::remove_file(dir.path().join("Dockerfile.lock")).unwrap();
    bin(dir.path())
        .arg("verify")
        .assert()
        .code(1)
        .stdout("Dockerfile: missing-lockfile: no lock (Dockerfile.lock)\n")
        .stderr(predicate::str::contains("run `dockerfile-lock generate`"));
}

#[test]
fn missing_and_stale_entries() {
    let dir = in_sync();
    let df = text(dir.path().join("Dockerfile"));
    let df = df.replace("--from=busybox:1.36@", "--from=redis:7@");
    fs::write(dir.path().join("Dockerfile"), df).unwrap();
    bin(dir.path())
        .arg("verify")
        .assert()
        .code(1)
        .stdout(
            "Dockerfile:2: missing-lock-entry: `redis:7` is not in Dockerfile.lock\n\
             Dockerfile.lock:6: stale-lock-entry: `busybox:1.36` is locked but Dockerfile does not use it\n",
        );
}

#[test]
fn digest_mismatch_in_every_format() {
    let dir = scratch("rewrite/flags");
    let zero = format!("sha256:{}", "0".repeat(64));
    bin(dir.path())
        .arg("verify")
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(format!(
            "Dockerfile:1: digest-mismatch: `ghcr.io/acme/base:2.1` is pinned to {} but Dockerfile.lock has sha256:",
            &zero[..19]
        )));
    let out = bin(dir.path())
        .args(["verify", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["code"], "digest-mismatch");
    assert_eq!(v["findings"][0]["path"], "Dockerfile");
    assert_eq!(v["findings"][0]["line"], 1);
    bin(dir.path())
        .args(["verify", "--format", "github"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "::error file=Dockerfile,line=1,title=digest-mismatch::`ghcr.io/acme/base:2.1` is pinned to",
        ));
}

#[test]
fn verify_never_writes() {
    let dir = scratch("rewrite/flags");
    // Even a temp file a killed `generate` left behind is left for a writing command.
    fs::write(dir.path().join(".Dockerfile.lock.tmp-a1b2c3"), "x").unwrap();
    let before = lock_support::snapshot(dir.path());
    for args in [
        &["verify"][..],
        &["verify", "--require-pinned", "--format", "json"],
    ] {
        bin(dir.path()).args(args).assert().code(1);
    }
    assert_eq!(lock_support::snapshot(dir.path()), before);
}

#[test]
fn json_is_printed_when_all_is_well() {
    let dir = in_sync();
    bin(dir.path())
        .args(["verify", "--format", "json"])
        .assert()
        .code(0)
        .stdout("{\n  \"findings\": [],\n  \"errors\": []\n}\n");
}

// A build fetches `${BASE}` and `node:${TAG}` without a digest too: `--require-pinned`
// used to name only the literal reference, and so passed builds it should have failed.
#[test]
fn require_pinned_reports_every_reference_a_build_fetches_unpinned() {
    let dir = scratch("rewrite/args");
    bin(dir.path())
        .args(["verify", "--require-pinned"])
        .assert()
        .code(1)
        .stdout(
            "Dockerfile:3: unpinned: `${BASE}` (alpine:3.20) is not pinned by digest (it is built from ARGs)\n\
             Dockerfile:4: unpinned: `node:${TAG}` (node:18) is not pinned by digest (it is built from ARGs)\n\
             Dockerfile:5: unpinned: `alpine:3.20` is not pinned by digest\n",
        );
    bin(dir.path()).arg("verify").assert().code(0);
}

#[test]
fn recorded_build_args_apply_unless_others_are_given() {
    let dir = tempfile::tempdir().unwrap();
    let a = digest(0xa1);
    let b = digest(0xb2);
    fs::write(
        dir.path().join("Dockerfile"),
        "ARG IMG=alpine:3.19\nFROM ${IMG}\n",
    )
    .unwrap();
    let arg = format!("IMG=alpine:3.20@{a}");
    bin(dir.path())
        .args(["generate", "--build-arg", &arg])
        .assert()
        .success();
    let lock = text(dir.path().join("Dockerfile.lock"));
    assert!(
        lock.contains(&format!("build-args:\n  IMG: alpine:3.20@{a}\n")),
        "{lock}"
    );
    assert!(
        lock.contains("reference: docker.io/library/alpine:3.20\n"),
        "{lock}"
    );
    bin(dir.path()).arg("verify").assert().code(0).stdout("");
    let other = format!("IMG=alpine:3.20@{b}");
    bin(dir.path())
        .args(["verify", "--build-arg", &other])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Dockerfile.lock: build-args-mismatch: --build-arg values IMG=alpine:3.20@",
        ))
        .stdout(predicate::str::contains("Dockerfile:2: digest-mismatch"));
}

#[test]
fn a_corrupt_lock_is_an_error_naming_file_and_line() {
    let dir = in_sync();
    let lock = text(dir.path().join("Dockerfile.lock"));
    let broken = lock.replacen("digest: sha256:", "digest: sha256:zz", 1);
    fs::write(dir.path().join("Dockerfile.lock"), &broken).unwrap();
    bin(dir.path())
        .arg("verify")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("error: invalid lockfile: "))
        .stderr(predicate::str::contains("  --> Dockerfile.lock:7\n"));
    bin(dir.path())
        .arg("generate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("  --> Dockerfile.lock:7\n"))
        .stderr(predicate::str::contains(
            "help: fix Dockerfile.lock or delete it, then run `dockerfile-lock generate` again",
        ));
    assert_eq!(
        text(dir.path().join("Dockerfile.lock")),
        broken,
        "generate left it alone"
    );
}

#[test]
fn a_lock_from_a_newer_release_is_refused() {
    let dir = in_sync();
    let lock = text(dir.path().join("Dockerfile.lock")).replace("version: 1", "version: 7");
    fs::write(dir.path().join("Dockerfile.lock"), lock).unwrap();
    bin(dir.path())
        .arg("verify")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "Dockerfile.lock has lockfile version 7; this dockerfile-lock reads version 1",
        ))
        .stderr(predicate::str::contains("  --> Dockerfile.lock:2\n"));
}

#[test]
fn a_missing_dockerfile_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .args(["verify", "nope/Dockerfile"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope/Dockerfile"));
}

#[test]
fn recursive_checks_every_dockerfile_outside_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let pinned = format!("FROM alpine:3.20@{}\n", digest(1));
    for f in [
        "Dockerfile",
        "svc/api.Dockerfile",
        "svc/Dockerfile.dev",
        "vendor/Dockerfile",
    ] {
        let p = root.join(f);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, &pinned).unwrap();
    }
    fs::write(root.join(".gitignore"), "vendor/\n").unwrap();
    fs::write(root.join("svc/notes.md"), "FROM x\n").unwrap();
    bin(root)
        .args(["verify", "--recursive"])
        .assert()
        .code(1)
        .stdout(
            "Dockerfile: missing-lockfile: no lock (Dockerfile.lock)\n\
             svc/Dockerfile.dev: missing-lockfile: no lock (svc/Dockerfile.dev.lock)\n\
             svc/api.Dockerfile: missing-lockfile: no lock (svc/api.Dockerfile.lock)\n",
        );
    bin(root)
        .args(["generate", "--recursive"])
        .assert()
        .success();
    assert!(root.join("svc/api.Dockerfile.lock").exists());
    assert!(!root.join("vendor/Dockerfile.lock").exists());
    bin(root)
        .args(["verify", "--recursive"])
        .assert()
        .code(0)
        .stdout("");
}
