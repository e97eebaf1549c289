//! `rewrite` of the sources `ADD` fetches, against golden files: `--checksum=` for HTTP,
//! the readable `?checksum=…&fetch-by-commit=true` form for git where `# syntax=` reads it
//! and `#<commit>` where it does not; no other byte changes, a second rewrite changes
//! nothing, `--unpin` gives back the original bytes, and forms the frontend is too old
//! for are refused with a note saying so. Set `DOCKERFILE_LOCK_BLESS=1` to rewrite them.

mod lock_support;

use std::fs;

use lock_support::{bin, read, scratch, testdata};
use predicates::prelude::*;

const FIXTURE: &str = "rewrite-sources";
const FILES: [&str; 2] = ["Dockerfile", "old.Dockerfile"];

#[test]
fn pins_match_the_golden_files_and_a_second_rewrite_changes_nothing() {
    let dir = scratch(FIXTURE);
    bin(dir.path()).arg("rewrite").args(FILES).assert().code(0);
    for file in FILES {
        let got = read(dir.path().join(file));
        let golden = testdata().join(FIXTURE).join("expected").join(file);
        if std::env::var_os("DOCKERFILE_LOCK_BLESS").is_some() {
            fs::write(&golden, &got).unwrap();
        }
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&read(&golden)),
            "{file}"
        );
    }
    bin(dir.path())
        .args(["rewrite", "--check"])
        .args(FILES)
        .assert()
        .code(0)
        .stdout("");
    bin(dir.path())
        .arg("rewrite")
        .args(FILES)
        .assert()
        .code(0)
        .stderr(predicate::str::is_match("(?m)^pinned ").unwrap().not());
}

#[test]
fn only_the_pins_differ() {
    let dir = scratch(FIXTURE);
    bin(dir.path()).arg("rewrite").args(FILES).assert().code(0);
    for file in FILES {
        let before = String::from_utf8(read(testdata().join(FIXTURE).join(file))).unwrap();
        let after = String::from_utf8(read(dir.path().join(file))).unwrap();
        assert_eq!(before.lines().count(), after.lines().count());
        for (b, a) in before.lines().zip(after.lines()) {
            if a == b {
                continue;
            }
            // Each changed line is the old one with a pin added: a digest after an image,
            // ` --checksum=sha256:…` after ADD, or a commit in a git URL.
            let stripped = a
                .replace(" --checksum=sha256:", " --checksum=")
                .split(' ')
                .filter(|w| !w.starts_with("--checksum="))
                .collect::<Vec<_>>()
                .join(" ");
            let stripped = strip_git_pin(&stripped);
            let stripped = match stripped.split_once("@sha256:") {
                Some((head, rest)) => format!("{head}{}", &rest[64..]),
                None => stripped,
            };
            assert_eq!(stripped, b, "{file}: {a}");
        }
    }
}

/// The line with `?checksum=…&fetch-by-commit=true` / `&checksum=…` removed and a
/// `#<40 hex>` commit put back to the ref the fixture names.
fn strip_git_pin(line: &str) -> String {
    let mut s = line.to_string();
    for (from, to) in [
        (
            "?checksum=1111111111111111111111111111111111111111&fetch-by-commit=true",
            "",
        ),
        (
            "?checksum=2222222222222222222222222222222222222222&fetch-by-commit=true",
            "",
        ),
        (
            "&checksum=3333333333333333333333333333333333333333&fetch-by-commit=true",
            "",
        ),
        ("#1111111111111111111111111111111111111111:docs", "#v1:docs"),
        ("#2222222222222222222222222222222222222222", ""),
    ] {
        s = s.replace(from, to);
    }
    s
}

#[test]
fn unpin_gives_back_the_original_bytes() {
    let dir = scratch(FIXTURE);
    bin(dir.path()).arg("rewrite").args(FILES).assert().code(0);
    bin(dir.path())
        .args(["rewrite", "--unpin"])
        .args(FILES)
        .assert()
        .code(0);
    for file in FILES {
        assert_eq!(
            read(dir.path().join(file)),
            read(testdata().join(FIXTURE).join(file)),
            "{file}"
        );
    }
}

/// Locked is not pinned: a build reads the Dockerfile. After `rewrite`, `verify
/// --require-pinned` flags exactly the lines `rewrite` named as left unpinned.
#[test]
fn verify_agrees_after_rewrite() {
    let dir = scratch(FIXTURE);
    let rewrite = bin(dir.path()).arg("rewrite").args(FILES).assert().code(0);
    let notes = String::from_utf8_lossy(&rewrite.get_output().stderr).to_string();
    let verify = bin(dir.path())
        .args(["verify", "--require-pinned"])
        .args(FILES)
        .assert()
        .code(1);
    let found = String::from_utf8_lossy(&verify.get_output().stdout).to_string();
    let flagged: Vec<&str> = found.lines().collect();
    assert_eq!(flagged.len(), 3, "{found}");
    for line in flagged {
        assert!(line.contains(": unpinned: `ADD "), "{line}");
        let at = line.split(": ").next().unwrap();
        assert!(
            notes.contains(&format!("--> {at}")),
            "{at} not named:\n{notes}"
        );
    }
}

#[test]
fn forms_the_frontend_is_too_old_for_are_refused_with_a_reason() {
    let dir = scratch(FIXTURE);
    bin(dir.path())
        .args(["rewrite", "old.Dockerfile"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "`ADD --checksum` needs Dockerfile syntax 1.6 or later and its `# syntax=` names 1.5",
        ))
        .stderr(predicate::str::contains("--> old.Dockerfile:3"))
        .stderr(predicate::str::contains(
            "needs `?fetch-by-commit` (Dockerfile syntax 1.24 or later) but its `# syntax=` names 1.5",
        ))
        .stderr(predicate::str::contains("--> old.Dockerfile:6"));
    let got = String::from_utf8(read(dir.path().join("old.Dockerfile"))).unwrap();
    assert!(
        got.contains("\nADD https://example.org/tool.tar.gz /opt/\n"),
        "{got}"
    );
    assert!(!got.contains("fetch-by-commit"), "{got}");
}

#[test]
fn a_source_missing_from_the_lock_is_an_error_and_nothing_is_written() {
    let dir = scratch(FIXTURE);
    let path = dir.path().join("Dockerfile");
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str("ADD https://example.org/new.bin /new\n");
    fs::write(&path, &text).unwrap();
    bin(dir.path())
        .arg("rewrite")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "source `https://example.org/new.bin` has no entry in Dockerfile.lock",
        ));
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
}
