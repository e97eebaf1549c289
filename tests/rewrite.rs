//! `rewrite` end to end: byte-exact pins on awkward fixtures, idempotence, `--check`,
//! `--unpin`, and refusing (writing nothing) when a lock entry is missing.

mod lock_support;

use std::fs;

use lock_support::{bin, read, scratch, snapshot, text};
use predicates::prelude::*;

const CASES: [&str; 5] = ["crlf-bom", "continuations", "flags", "backtick", "args"];

#[test]
fn fixtures_are_pinned_byte_for_byte_and_a_second_rewrite_changes_nothing() {
    for case in CASES {
        let dir = scratch(&format!("rewrite/{case}"));
        bin(dir.path()).arg("rewrite").assert().success();
        let want = read(dir.path().join("expected"));
        let got = read(dir.path().join("Dockerfile"));
        assert!(
            got == want,
            "{case}:\n{}\n---\n{}",
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want)
        );
        bin(dir.path()).arg("rewrite").assert().success();
        assert_eq!(
            read(dir.path().join("Dockerfile")),
            want,
            "{case}: second rewrite"
        );
        bin(dir.path())
            .args(["rewrite", "--check"])
            .assert()
            .code(0)
            .stdout("");
    }
}

#[test]
fn verify_agrees_after_rewrite() {
    for case in CASES {
        let dir = scratch(&format!("rewrite/{case}"));
        bin(dir.path()).arg("rewrite").assert().success();
        bin(dir.path()).arg("verify").assert().code(0).stdout("");
        // A split reference cannot be pinned in place, and is reported as such; so is one
        // built from ARGs: the build fetches both without a digest.
        let unpinned = match case {
            "continuations" => "Dockerfile:7: unpinned: `nginx:alpine` is not pinned by digest\n",
            "args" => "Dockerfile:3: unpinned: `${BASE}` (alpine:3.20) is not pinned by digest (it is built from ARGs)\nDockerfile:4: unpinned: `node:${TAG}` (node:18) is not pinned by digest (it is built from ARGs)\n",
            _ => "",
        };
        bin(dir.path())
            .args(["verify", "--require-pinned"])
            .assert()
            .code(if unpinned.is_empty() { 0 } else { 1 })
            .stdout(unpinned);
    }
}

/// Regression: a quoted reference was left unpinned; BuildKit reads `FROM "debian:12"`
/// as `debian:12`, and the pin goes inside the quotes.
#[test]
fn a_quoted_reference_is_pinned_inside_its_quotes() {
    let dir = scratch("rewrite/flags");
    bin(dir.path())
        .arg("rewrite")
        .assert()
        .success()
        .stderr(predicate::str::contains("note:").not());
    let df = text(dir.path().join("Dockerfile"));
    assert!(df.contains("FROM \"debian:bookworm-slim@sha256:"), "{df}");
}

#[test]
fn check_prints_a_unified_diff_and_writes_nothing() {
    let dir = scratch("rewrite/flags");
    let before = snapshot(dir.path());
    bin(dir.path())
        .args(["rewrite", "--check"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,6 +1,6 @@\n-FROM --platform=linux/arm64 ghcr.io/acme/base:2.1@sha256:0000",
        ))
        .stdout(predicate::str::contains("\n+COPY --from=busybox:1.36@sha256:"));
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn an_existing_digest_is_replaced_not_doubled() {
    let dir = scratch("rewrite/flags");
    bin(dir.path()).arg("rewrite").assert().success();
    let df = text(dir.path().join("Dockerfile"));
    assert_eq!(df.matches("@sha256:").count(), 4, "{df}");
    assert!(!df.contains("sha256:0000"), "{df}");
}

#[test]
fn unpin_round_trips() {
    // Every reference here has a tag, so unpinning restores the original exactly.
    let dir = scratch("rewrite/continuations");
    let original = read(dir.path().join("Dockerfile"));
    bin(dir.path()).arg("rewrite").assert().success();
    assert_ne!(read(dir.path().join("Dockerfile")), original);
    bin(dir.path())
        .args(["rewrite", "--unpin"])
        .assert()
        .success();
    assert_eq!(read(dir.path().join("Dockerfile")), original);

    // An untagged reference keeps the `latest` it was pinned with.
    let dir = scratch("rewrite/crlf-bom");
    let original = text(dir.path().join("Dockerfile"));
    bin(dir.path()).arg("rewrite").assert().success();
    bin(dir.path())
        .args(["rewrite", "--unpin"])
        .assert()
        .success();
    assert_eq!(
        text(dir.path().join("Dockerfile")),
        original.replace("from alpine\r\n", "from alpine:latest\r\n")
    );
    bin(dir.path()).arg("rewrite").assert().success();
    assert_eq!(
        read(dir.path().join("Dockerfile")),
        read(dir.path().join("expected"))
    );
}

#[test]
fn references_built_from_args_are_left_with_a_note() {
    let dir = scratch("rewrite/args");
    bin(dir.path())
        .arg("rewrite")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "note: `${BASE}` is built from ARGs and left as written",
        ))
        .stderr(predicate::str::contains("  --> Dockerfile:3"))
        .stderr(predicate::str::contains("`node:${TAG}` is built from ARGs"));
}

#[test]
fn a_reference_split_by_a_continuation_is_left_with_a_note() {
    let dir = scratch("rewrite/continuations");
    bin(dir.path())
        .arg("rewrite")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "note: `nginx:alpine` is quoted or split across lines and is left as written",
        ))
        .stderr(predicate::str::contains("  --> Dockerfile:7"));
}

#[test]
fn a_missing_lock_entry_refuses_and_no_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (sub, case) in [("a", "flags"), ("b", "continuations")] {
        fs::create_dir(root.join(sub)).unwrap();
        for f in ["Dockerfile", "Dockerfile.lock"] {
            let from = lock_support::testdata().join("rewrite").join(case).join(f);
            fs::copy(from, root.join(sub).join(f)).unwrap();
        }
    }
    // b's lock loses its node entry, the last one.
    let lock = text(root.join("b/Dockerfile.lock"));
    let cut = lock.find("  - name: node:18").unwrap();
    fs::write(root.join("b/Dockerfile.lock"), &lock[..cut]).unwrap();
    let before = snapshot(root);
    bin(root)
        .args(["rewrite", "a/Dockerfile", "b/Dockerfile"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: `node:18` has no entry in b/Dockerfile.lock\n  --> b/Dockerfile:1\n",
        ))
        .stderr(predicate::str::contains(
            "help: run `dockerfile-lock generate b/Dockerfile`",
        ));
    assert_eq!(
        snapshot(root),
        before,
        "a/Dockerfile must not be written either"
    );
}

#[test]
fn a_missing_lock_is_an_error_with_help() {
    let dir = scratch("rewrite/flags");
    fs::remove_file(dir.path().join("Dockerfile.lock")).unwrap();
    bin(dir.path())
        .arg("rewrite")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: Dockerfile has no lock (Dockerfile.lock)",
        ))
        .stderr(predicate::str::contains(
            "help: run `dockerfile-lock generate Dockerfile` to create it",
        ));
}

#[test]
fn the_lock_or_the_dockerfile_may_be_named() {
    let dir = scratch("rewrite/flags");
    fs::rename(
        dir.path().join("Dockerfile"),
        dir.path().join("api.Dockerfile"),
    )
    .unwrap();
    fs::rename(
        dir.path().join("Dockerfile.lock"),
        dir.path().join("api.Dockerfile.lock"),
    )
    .unwrap();
    bin(dir.path())
        .args(["rewrite", "api.Dockerfile.lock"])
        .assert()
        .success();
    assert_eq!(
        read(dir.path().join("api.Dockerfile")),
        read(dir.path().join("expected"))
    );
}

#[cfg(unix)]
#[test]
fn the_dockerfile_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("rewrite/flags");
    let df = dir.path().join("Dockerfile");
    fs::set_permissions(&df, fs::Permissions::from_mode(0o600)).unwrap();
    bin(dir.path()).arg("rewrite").assert().success();
    assert_eq!(
        fs::metadata(&df).unwrap().permissions().mode() & 0o777,
        0o600
    );
}
