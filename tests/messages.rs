//! What a new user reads: the same words for the same situation in every command, errors
//! that say where, machine formats that carry errors, `--check` on every writing command,
//! and the lines that say what a command did (or that it had nothing to do).

mod lock_support;
mod support;

use std::fs;
use std::path::Path;

use lock_support::{bin, digest, snapshot, text};
use support::images::{ImageKind, PLATFORMS};
use support::registry::{Auth, Registry};

fn write(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, body).unwrap();
}

/// stderr of a run that must exit with `code`.
fn stderr_of(dir: &Path, args: &[&str], code: i32) -> String {
    let out = bin(dir).args(args).assert().code(code).get_output().clone();
    String::from_utf8(out.stderr).unwrap()
}

fn stdout_of(dir: &Path, args: &[&str], code: i32) -> String {
    let out = bin(dir).args(args).assert().code(code).get_output().clone();
    String::from_utf8(out.stdout).unwrap()
}

/// A Dockerfile whose every reference is pinned, so that `generate` needs no registry.
fn pinned_project(dir: &Path) {
    write(
        dir,
        "Dockerfile",
        &format!(
            "ARG BASE=alpine:3.20@{}\nFROM debian:12@{} AS deb\nFROM $BASE\nCOPY --from=deb / /\n",
            digest(1),
            digest(2)
        ),
    );
    bin(dir).arg("generate").assert().success();
}

#[test]
fn no_dockerfile_gets_the_same_words_from_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let expected = "error: no Dockerfile in the current directory\n\
                    help: name a Dockerfile (or a directory holding one), or use --recursive \
                    to find every Dockerfile below the current directory\n";
    for cmd in [
        &["images"][..],
        &["generate"],
        &["verify"],
        &["rewrite"],
        &["update"],
        &["export", "--format", "json"],
    ] {
        assert_eq!(stderr_of(dir.path(), cmd, 2), expected, "{cmd:?}");
    }
    fs::create_dir(dir.path().join("svc")).unwrap();
    for cmd in ["images", "generate", "verify", "rewrite", "update"] {
        assert_eq!(
            stderr_of(dir.path(), &[cmd, "svc"], 2)
                .lines()
                .next()
                .unwrap(),
            "error: no Dockerfile in svc",
            "{cmd}"
        );
        assert_eq!(
            stderr_of(dir.path(), &[cmd, "svc/api.Dockerfile"], 2)
                .lines()
                .next()
                .unwrap(),
            "error: no Dockerfile at svc/api.Dockerfile",
            "{cmd}"
        );
    }
}

#[test]
fn a_directory_argument_means_the_dockerfile_in_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "svc/Dockerfile",
        &format!("FROM alpine:3.20@{}\n", digest(3)),
    );
    bin(dir.path()).args(["generate", "svc"]).assert().success();
    assert!(dir.path().join("svc/Dockerfile.lock").is_file());
    bin(dir.path()).args(["verify", "svc"]).assert().code(0);
    let listed = stdout_of(dir.path(), &["images", "svc"], 0);
    assert!(listed.contains("svc/Dockerfile"), "{listed}");
}

#[test]
fn a_missing_lock_gets_the_same_words_from_every_command() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", "FROM alpine:3.20\n");
    let expected = "error: Dockerfile has no lock (Dockerfile.lock)\n\
                    help: run `dockerfile-lock generate Dockerfile` to create it\n";
    for cmd in [
        &["rewrite"][..],
        &["rewrite", "--unpin"],
        &["update"],
        &["export", "--format", "source-policy"],
    ] {
        assert_eq!(stderr_of(dir.path(), cmd, 2), expected, "{cmd:?}");
    }
    assert_eq!(
        stdout_of(dir.path(), &["verify"], 1),
        "Dockerfile: missing-lockfile: no lock (Dockerfile.lock)\n"
    );
}

/// Run the binary in `dir` with a terminal for stdin, stdout and stderr (util-linux
/// `script`), returning what the terminal showed.
fn on_a_terminal(dir: &Path, args: &str) -> String {
    let bin = assert_cmd::cargo::cargo_bin("dockerfile-lock");
    let out = std::process::Command::new("script")
        .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("util-linux `script` runs");
    assert!(out.status.success(), "{args}: {out:?}");
    String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n")
}

#[test]
fn verify_says_in_sync_on_a_terminal_and_is_quiet_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    pinned_project(dir.path());
    assert_eq!(
        on_a_terminal(dir.path(), "verify"),
        "verified 1 Dockerfile, 2 images: in sync\n"
    );
    assert_eq!(on_a_terminal(dir.path(), "verify -q"), "");
    // A compose file is counted as what it is, not as a Dockerfile.
    write(
        dir.path(),
        "compose.yaml",
        &format!("services:\n  web:\n    image: nginx@{}\n", digest(3)),
    );
    bin(dir.path())
        .args(["generate", "compose.yaml"])
        .assert()
        .success();
    assert_eq!(
        on_a_terminal(dir.path(), "verify Dockerfile compose.yaml"),
        "verified 1 Dockerfile, 1 compose file, 3 images: in sync\n"
    );
    // Hooks and CI logs (no terminal) stay silent when all is well.
    bin(dir.path())
        .arg("verify")
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
    bin(dir.path())
        .args(["verify", "--format", "json"])
        .assert()
        .code(0)
        .stdout("{\n  \"findings\": [],\n  \"errors\": []\n}\n")
        .stderr("");
}

#[test]
fn findings_are_in_file_and_line_order_with_the_command_that_fixes_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pinned_project(d);
    write(
        d,
        "a/Dockerfile",
        &format!("FROM busybox:1@{}\n", digest(4)),
    );
    bin(d).args(["generate", "a"]).assert().success();
    // Both files drift: b's lock loses an entry, a gains a reference.
    write(
        d,
        "a/Dockerfile",
        &format!(
            "FROM busybox:1@{}\nCOPY --from=redis:7@{} / /\n",
            digest(4),
            digest(5)
        ),
    );
    write(d, "Dockerfile", &format!("FROM debian:12@{}\n", digest(2)));
    let out = bin(d)
        .args(["verify", "Dockerfile", "a/Dockerfile"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    insta::assert_snapshot!(
        "findings_order",
        format!(
            "{}---\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let paths: Vec<&str> = stdout
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "{stdout}");
}

#[test]
fn unpinned_findings_point_at_rewrite_not_generate() {
    let dir = tempfile::tempdir().unwrap();
    pinned_project(dir.path());
    bin(dir.path())
        .args(["rewrite", "--unpin"])
        .assert()
        .success();
    let err = stderr_of(dir.path(), &["verify", "--require-pinned"], 1);
    assert_eq!(
        err,
        "1 finding; run `dockerfile-lock rewrite` to pin the unpinned references\n"
    );
}

#[test]
fn verify_json_and_github_carry_parse_errors_and_corrupt_locks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pinned_project(d);
    write(d, "Dockerfile", "FROM alpine:3.20\nFORM x\n");
    write(d, "b/Dockerfile", "FROM alpine:3.20\n");
    write(d, "b/Dockerfile.lock", "<<<<<<< HEAD\nversion: 1\n");
    let out = stdout_of(
        d,
        &["verify", "--format", "json", "Dockerfile", "b/Dockerfile"],
        2,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{out}");
    assert_eq!(v["findings"], serde_json::json!([]));
    assert_eq!(errors[0]["path"], "Dockerfile");
    assert_eq!(errors[0]["line"], 2);
    assert!(
        errors[0]["message"].as_str().unwrap().contains("FORM"),
        "{out}"
    );
    assert_eq!(errors[1]["path"], "b/Dockerfile.lock");
    let gh = stdout_of(d, &["verify", "--format", "github", "Dockerfile"], 2);
    assert!(
        gh.starts_with("::error file=Dockerfile,line=2,title=error::"),
        "{gh}"
    );
    // Usage-level errors are reported in the document too.
    let empty = tempfile::tempdir().unwrap();
    let out = stdout_of(empty.path(), &["verify", "--format", "json"], 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["errors"][0]["message"],
        "no Dockerfile in the current directory"
    );
}

#[test]
fn rewrite_a_second_time_says_nothing_changed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pinned_project(d);
    bin(d).args(["rewrite", "--unpin"]).assert().success();
    let first = stderr_of(d, &["rewrite"], 0);
    assert!(
        first.contains("note: `$BASE` is built from ARGs"),
        "{first}"
    );
    assert!(
        first.ends_with("pinned 1 reference in Dockerfile\n"),
        "{first}"
    );
    // Not "already pinned": `$BASE` is not, and is named again with why.
    let second = stderr_of(d, &["rewrite"], 0);
    assert!(
        second.contains("note: `$BASE` is built from ARGs") && second.contains("--> Dockerfile:3"),
        "{second}"
    );
    assert!(
        second.ends_with(
            "Dockerfile: nothing to change; 1 reference left as written, as noted above\n"
        ),
        "{second}"
    );
    bin(d).args(["rewrite", "--unpin"]).assert().success();
    assert_eq!(
        stderr_of(d, &["rewrite", "--unpin"], 0),
        "Dockerfile: nothing to change, already unpinned\n"
    );
}

#[test]
fn an_unconsumed_build_arg_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        &format!("ARG V=1\nFROM alpine:3.20@{}\nARG LATE\n", digest(1)),
    );
    let err = stderr_of(
        d,
        &[
            "images",
            "--build-arg",
            "NOPE=1",
            "--build-arg",
            "V=2",
            "--build-arg",
            "LATE=x",
            "--build-arg",
            "HTTP_PROXY=p",
            "--build-arg",
            "TARGETARCH=arm64",
        ],
        0,
    );
    assert_eq!(
        err,
        "warning: build-arg NOPE not consumed: no ARG in Dockerfile declares it\n\
         help: check the spelling, or declare it with `ARG NAME` where it is used\n"
    );
    assert_eq!(stderr_of(d, &["images", "--build-arg", "V=2"], 0), "");
    let err = stderr_of(d, &["generate", "--build-arg", "NOPE=1"], 0);
    assert!(
        err.starts_with("warning: build-arg NOPE not consumed"),
        "{err}"
    );
}

#[test]
fn generate_check_prints_the_diff_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pinned_project(d);
    bin(d)
        .args(["generate", "--check"])
        .assert()
        .code(0)
        .stdout("");
    write(
        d,
        "Dockerfile",
        &format!(
            "ARG BASE=alpine:3.20@{}\nFROM debian:12@{}\nFROM $BASE\nFROM busybox:1@{}\n",
            digest(1),
            digest(2),
            digest(6)
        ),
    );
    let before = snapshot(d);
    let out = bin(d)
        .args(["generate", "--check"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_eq!(snapshot(d), before, "--check wrote something");
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(
        diff.starts_with("--- a/Dockerfile.lock\n+++ b/Dockerfile.lock\n"),
        "{diff}"
    );
    assert!(diff.contains("+  - name: busybox:1\n"), "{diff}");
    assert!(
        !diff.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "1 file would change (--check: nothing written)\n"
    );
    let coloured = stdout_of(d, &["--color", "always", "generate", "--check"], 1);
    assert!(
        coloured.contains("\x1b[32m+  - name: busybox:1\x1b[0m\n"),
        "{coloured}"
    );
}

#[test]
fn verify_platform_against_a_lock_made_for_others_is_a_finding() {
    let reg = Registry::start(Auth::Anonymous);
    reg.push_image("lib/app", "1", ImageKind::OciIndex(PLATFORMS));
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "Dockerfile", &format!("FROM {host}/lib/app:1\n"));
    bin(d)
        .args(["generate", "--platform", "linux/amd64"])
        .assert()
        .success();
    bin(d)
        .args(["verify", "--platform", "linux/amd64"])
        .assert()
        .code(0);
    bin(d).arg("verify").assert().code(0);
    assert_eq!(
        stdout_of(d, &["verify", "--platform", "linux/arm64"], 1),
        "Dockerfile.lock: platforms-mismatch: --platform linux/arm64 differs from the lock's \
         platforms: linux/amd64\n"
    );
}

#[test]
fn registry_errors_point_at_every_use() {
    let reg = Registry::start(Auth::Anonymous);
    reg.push_image("lib/app", "1", ImageKind::Schema2);
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        &format!(
            "FROM {host}/lib/app:1\nFROM {host}/lib/gone:2\nCOPY --from={host}/lib/gone:2 /a /a\n"
        ),
    );
    write(d, "api/Dockerfile", &format!("FROM {host}/lib/gone:2\n"));
    let before = snapshot(d);
    let err = stderr_of(d, &["generate", "Dockerfile", "api/Dockerfile"], 2);
    assert_eq!(snapshot(d), before);
    let tail: Vec<&str> = err.lines().skip(1).collect();
    assert_eq!(
        tail.iter()
            .filter(|l| l.starts_with("  --> ") || l.starts_with("  = note: also used at"))
            .copied()
            .collect::<Vec<_>>(),
        [
            "  --> Dockerfile:2",
            "  = note: also used at Dockerfile:3",
            "  = note: also used at api/Dockerfile:1",
        ],
        "{err}"
    );
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(&format!("{host}/lib/gone:2")), "{err}");
}

#[test]
fn update_says_what_it_changed() {
    let reg = Registry::start(Auth::Anonymous);
    let first = reg.push_image("lib/app", "1", ImageKind::Schema2);
    reg.push_image("lib/tool", "1", ImageKind::Schema2);
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "Dockerfile", &format!("FROM {host}/lib/app:1\n"));
    bin(d).arg("generate").assert().success();
    bin(d).arg("rewrite").assert().success();
    assert_eq!(
        stderr_of(d, &["update"], 0),
        "every locked tag is current; nothing changed\n"
    );
    let moved = reg.push_image("lib/app", "1", ImageKind::Schema2);
    assert_ne!(moved.digest, first.digest);
    let df = text(d.join("Dockerfile"));
    write(
        d,
        "Dockerfile",
        &format!("{df}COPY --from={host}/lib/tool:1 / /\n"),
    );
    bin(d).args(["update", "--check"]).assert().code(1);
    assert_eq!(
        text(d.join("Dockerfile")),
        format!("{df}COPY --from={host}/lib/tool:1 / /\n")
    );
    let out = bin(d).arg("update").assert().success().get_output().clone();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "{host}/lib/app:1: {} → {}\n",
            &first.digest[..19],
            &moved.digest[..19]
        )
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "updated 2 files: 1 tag re-pinned, 1 entry added, 1 pinned line rewritten\n"
    );
    assert!(text(d.join("Dockerfile")).contains(&moved.digest.to_string()));
}

/// The new messages side by side, as a user meets them: a snapshot, so that any change
/// of words is a reviewed change.
#[test]
fn the_messages_a_new_user_reads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut shown = String::new();
    let mut show = |args: &[&str], code: i32| {
        let out = bin(d).args(args).assert().code(code).get_output().clone();
        shown.push_str(&format!(
            "$ dockerfile-lock {}\n{}{}(exit {code})\n\n",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    };
    show(&["verify"], 2);
    fs::create_dir(d.join("svc")).unwrap();
    show(&["generate", "svc"], 2);
    write(
        d,
        "Dockerfile",
        &format!("FROM alpine:3.20@{}\n", digest(1)),
    );
    show(&["rewrite"], 2);
    show(&["verify"], 1);
    show(&["generate", "--check"], 1);
    show(&["generate", "--build-arg", "NOPE=1"], 0);
    show(&["rewrite", "--unpin"], 0);
    show(&["rewrite", "--unpin"], 0);
    show(&["verify", "--require-pinned"], 1);
    show(&["verify", "--platform", "linux/arm64"], 1);
    write(d, "Dockerfile", "FROM alpine:3.20\nFORM x\n");
    show(&["verify", "--format", "json"], 2);
    show(&["verify", "--format", "github"], 2);
    insta::assert_snapshot!("new_user_messages", shown);
}

// `images compose.yaml` read the compose file as a Dockerfile and failed on
// "unknown instruction: services:". It lists the compose file's own images and what its
// builds use, and `sources` what those builds fetch.
#[test]
fn images_of_a_compose_file_lists_it_and_its_builds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "compose.yaml",
        "services:\n  db:\n    image: postgres:16\n  app:\n    build:\n      context: app\n      args:\n        V: \"2\"\n",
    );
    write(d, "app/Dockerfile", "ARG V=1\nFROM busybox:${V}\n");
    let out = stdout_of(d, &["images", "--format", "json", "compose.yaml"], 0);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let got: Vec<(String, String, u64, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
                r["reference"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "compose.yaml".into(),
                "image".into(),
                3,
                "postgres:16".into()
            ),
            (
                "app/Dockerfile".into(),
                "from".into(),
                2,
                "busybox:2".into()
            ),
        ],
        "{out}"
    );
    // `sources` reads what the builds' Dockerfiles fetch, as `generate` does.
    write(
        d,
        "app/Dockerfile",
        "ARG V=1\nFROM busybox:${V}\nARG V\nADD https://h/${V}.tgz /\n",
    );
    assert_eq!(
        stdout_of(d, &["sources", "compose.yaml"], 0),
        "LOCATION          KIND  STAGE  URL              PINNED\n\
         app/Dockerfile:4  http  -      https://h/2.tgz  -\n"
    );
}

// With no file named, a directory whose compose file builds its Dockerfile is one
// project: `generate` used to write a Dockerfile.lock with the Dockerfile's defaults
// beside compose.yaml.lock, and `verify` reported `missing-lockfile` for the Dockerfile.
#[test]
fn a_compose_file_here_makes_the_directory_one_project() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        &format!("ARG BASE=alpine:3.20@{}\nFROM $BASE\n", digest(1)),
    );
    write(
        d,
        "compose.yaml",
        &format!(
            "services:\n  app:\n    build:\n      context: .\n      args:\n        BASE: debian:12@{}\n  db:\n    image: postgres:16@{}\n",
            digest(2),
            digest(3)
        ),
    );
    bin(d).arg("generate").assert().success();
    assert!(!d.join("Dockerfile.lock").exists(), "locked twice");
    let lock = text(d.join("compose.yaml.lock"));
    assert!(lock.contains("name: debian:12\n"), "{lock}");
    assert!(
        !lock.contains("alpine"),
        "the default nobody builds: {lock}"
    );
    bin(d).arg("verify").assert().code(0).stdout("");
    // A Dockerfile alone in its directory is still locked on its own.
    write(
        d,
        "solo/Dockerfile",
        &format!("FROM busybox:1@{}\n", digest(4)),
    );
    bin(&d.join("solo")).arg("generate").assert().success();
    assert!(d.join("solo/Dockerfile.lock").is_file());
}

// A pre-commit hook or an editor names the Dockerfile that changed; one that a compose
// file (beside it or above it) builds has no lock of its own and used to be reported as
// `missing-lockfile`. It is checked through the compose file.
#[test]
fn a_named_dockerfile_that_compose_builds_is_checked_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A work tree bounds the search for the compose file above a Dockerfile.
    let init = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(d)
        .status()
        .unwrap();
    assert!(init.success());
    write(
        d,
        "svc/Dockerfile",
        &format!("FROM alpine:3.20@{}\n", digest(1)),
    );
    write(d, "compose.yaml", "services:\n  svc:\n    build: svc\n");
    bin(d).arg("generate").assert().success();
    assert!(!d.join("svc/Dockerfile.lock").exists());
    bin(d).args(["verify", "svc/Dockerfile"]).assert().code(0);
    bin(&d.join("svc"))
        .args(["verify", "Dockerfile"])
        .assert()
        .code(0);
    write(
        d,
        "svc/Dockerfile",
        &format!("FROM alpine:3.21@{}\n", digest(1)),
    );
    let out = stdout_of(&d.join("svc"), &["verify", "Dockerfile"], 1);
    assert!(
        out.contains(
            "\nDockerfile:1: missing-lock-entry: `alpine:3.21` is not in ../compose.yaml.lock\n"
        ),
        "{out}"
    );
    // Not built by any compose file: its own lock, as before.
    write(
        d,
        "other/Dockerfile",
        &format!("FROM busybox:1@{}\n", digest(4)),
    );
    let out = stdout_of(d, &["verify", "other/Dockerfile"], 1);
    assert_eq!(
        out,
        "other/Dockerfile: missing-lockfile: no lock (other/Dockerfile.lock)\n"
    );
}

// A compose lock recorded `--build-arg` values that changed nothing in its builds.
#[test]
fn build_args_on_the_command_line_do_not_apply_to_a_compose_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        &format!("FROM alpine:3.20@{}\n", digest(1)),
    );
    write(d, "compose.yaml", "services:\n  app:\n    build: .\n");
    let err = stderr_of(d, &["generate", "--build-arg", "FOO=1", "compose.yaml"], 0);
    assert!(
        err.starts_with("warning: --build-arg does not apply to compose.yaml:"),
        "{err}"
    );
    let lock = text(d.join("compose.yaml.lock"));
    assert!(!lock.contains("build-args"), "{lock}");
    bin(d)
        .args(["verify", "--build-arg", "FOO=2", "compose.yaml"])
        .assert()
        .code(0);
}

// `docker-compose.old.yml` is read over the `compose.yaml` beside it, so a broken
// `compose.yaml` failed twice, and `verify --recursive` printed the same error twice.
#[test]
fn an_error_reached_through_two_projects_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "compose.yaml", "services:\n  a: [\n");
    write(
        d,
        "docker-compose.old.yml",
        "services:\n  b:\n    image: nginx\n",
    );
    let out = bin(d).args(["verify", "--recursive"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("unclosed bracket").count(), 1, "{stderr}");
}

#[test]
fn a_dead_registry_is_one_error_naming_every_reference_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    // Port 9 on loopback refuses at once.
    write(
        dir.path(),
        "Dockerfile",
        "FROM 127.0.0.1:9/c:1 AS c\nFROM 127.0.0.1:9/a:1 AS a\nFROM 127.0.0.1:9/b:1\n\
         COPY --from=a / /\nCOPY --from=c / /\n",
    );
    let out = bin(dir.path())
        .arg("generate")
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(
        err.starts_with(
            "error: cannot resolve 3 images on 127.0.0.1:9: cannot connect to 127.0.0.1:9"
        ),
        "{err}"
    );
    let c = err.find("127.0.0.1:9/c:1 at Dockerfile:1").unwrap();
    let a = err.find("127.0.0.1:9/a:1 at Dockerfile:2").unwrap();
    let b = err.find("127.0.0.1:9/b:1 at Dockerfile:3").unwrap();
    assert!(c < a && a < b, "{err}");
    assert!(!dir.path().join("Dockerfile.lock").exists());
}

#[test]
fn progress_on_a_terminal_counts_and_names_the_reference_answered() {
    let reg = Registry::start(Auth::Anonymous);
    reg.push_image("lib/app", "1", ImageKind::Schema2);
    reg.push_image("lib/tool", "1", ImageKind::Schema2);
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        &format!("FROM {host}/lib/app:1\nCOPY --from={host}/lib/tool:1 / /\n"),
    );
    let shown = on_a_terminal(dir.path(), "generate");
    assert!(shown.contains("resolved 1/2: "), "{shown:?}");
    assert!(shown.contains("resolved 2/2: "), "{shown:?}");
    // The progress line is erased before the result is said.
    assert!(
        shown.ends_with("\r\x1b[Kwrote Dockerfile.lock (2 images)\n"),
        "{shown:?}"
    );
    // Off a terminal there is no progress at all.
    bin(dir.path())
        .arg("generate")
        .assert()
        .success()
        .stderr("Dockerfile.lock is up to date\n");
}

#[test]
fn a_compose_value_from_variables_is_said_to_be_interpolated_not_built_from_args() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".env",
        &format!("IMG=nginx:1.27@{}\n", digest(4)),
    );
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  web:\n    image: ${IMG}\n",
    );
    bin(dir.path())
        .args(["generate", "compose.yaml"])
        .assert()
        .success();
    let out = bin(dir.path())
        .args(["rewrite", "compose.yaml"])
        .assert()
        .success()
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("`${IMG}` is interpolated from variables and left as written"),
        "{err}"
    );
    assert!(!err.contains("ARG"), "{err}");
    assert!(!err.contains("already pinned"), "{err}");
}

#[test]
fn images_says_where_each_interpolated_variable_came_from() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "TAG=1.27\nOWNER=team\n");
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  web:\n    image: ${REGISTRY:-docker.io}/${OWNER}/web:${TAG}${FLAVOR:-}\n  db:\n    image: postgres:16\n",
    );
    let out = bin(dir.path())
        .args([
            "images",
            "--format",
            "json",
            "--env",
            "OWNER=ops",
            "compose.yaml",
        ])
        .env("REGISTRY", "ghcr.io")
        .env_remove("TAG")
        .env_remove("OWNER")
        .env_remove("FLAVOR")
        .assert()
        .success()
        .get_output()
        .clone();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let web = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["owner"]["service"] == "web")
        .unwrap();
    assert_eq!(
        web["variables"],
        serde_json::json!({
            "REGISTRY": "environment",
            "OWNER": "--env",
            "TAG": ".env",
            "FLAVOR": "unset",
        }),
        "{web:#}"
    );
    assert_eq!(web["reference"], "ghcr.io/ops/web:1.27");
    let db = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["owner"]["service"] == "db")
        .unwrap();
    assert!(db.get("variables").is_none(), "{db:#}");
}
