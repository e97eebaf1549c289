//! End-to-end: the `images` command's text table, stdin, several files, the default
//! `./Dockerfile`, build options, and what an error looks like (exit 2, empty stdout).

use assert_cmd::Command;
use predicates::prelude::*;

fn images() -> Command {
    let mut c = Command::cargo_bin("dockerfile-lock").unwrap();
    c.arg("images").env_remove("NO_COLOR").env_remove("COLUMNS");
    c
}

const SRC: &str = "# syntax=docker/dockerfile:1\nARG GO=1.22\nFROM --platform=$BUILDPLATFORM golang:${GO} AS build\nFROM gcr.io/distroless/static\nCOPY --from=build /a /a\n";

#[test]
fn text_table_from_stdin() {
    let out = images()
        .arg("-")
        .write_stdin(SRC)
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "\
LOCATION  KIND    STAGE  REFERENCE                                NORMALIZED
-:1       syntax  -      docker/dockerfile:1                      docker.io/docker/dockerfile:1
-:3       from    build  golang:1.22 (--platform=$BUILDPLATFORM)  docker.io/library/golang:1.22
-:4       from    -      gcr.io/distroless/static                 gcr.io/distroless/static:latest
"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn the_table_fits_80_columns_when_asked() {
    let out = images()
        .arg("-")
        .env("COLUMNS", "80")
        .write_stdin(SRC)
        .assert()
        .success()
        .get_output()
        .clone();
    // Golden: the widest row (with NORMALIZED) is 94 columns, so that column goes.
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "\
LOCATION  KIND    STAGE  REFERENCE
-:1       syntax  -      docker/dockerfile:1
-:3       from    build  golang:1.22 (--platform=$BUILDPLATFORM)
-:4       from    -      gcr.io/distroless/static
"
    );
    // Wide enough: every column stays.
    images()
        .arg("-")
        .env("COLUMNS", "120")
        .write_stdin(SRC)
        .assert()
        .success()
        .stdout(predicate::str::contains("NORMALIZED"));
}

#[test]
fn build_arg_and_json_for_several_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), SRC).unwrap();
    std::fs::write(dir.path().join("b.Dockerfile"), "FROM alpine:3.20\n").unwrap();
    let out = images()
        .current_dir(dir.path())
        .args([
            "--format",
            "json",
            "--build-arg",
            "GO=1.23",
            "Dockerfile",
            "b.Dockerfile",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["file"].as_str().unwrap(),
                r["line"],
                r["reference"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "Dockerfile 1 docker/dockerfile:1",
            "Dockerfile 3 golang:1.23",
            "Dockerfile 4 gcr.io/distroless/static",
            "b.Dockerfile 1 alpine:3.20"
        ]
    );
}

#[test]
fn default_is_the_dockerfile_here() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM busybox\n").unwrap();
    images()
        .current_dir(dir.path())
        .args(["--format", "json"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "\"normalized\": \"docker.io/library/busybox:latest\"",
        ));
}

#[test]
fn errors_exit_2_with_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good"), "FROM alpine\n").unwrap();
    std::fs::write(dir.path().join("bad"), "ARG V\nFROM node:${V}-slim\n").unwrap();
    images()
        .current_dir(dir.path())
        .args(["good", "bad"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: FROM `node:${V}-slim` needs ARG `V`, which is not set\n  --> bad:2\nhelp: pass --build-arg V=<value>, or give `ARG V` a default\n");
    images()
        .current_dir(dir.path())
        .arg("missing")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::starts_with(
            "error: no Dockerfile at missing\n",
        ));
}

#[test]
fn bad_options_are_usage_errors() {
    images()
        .args(["--platform", "linux", "-"])
        .write_stdin("FROM a\n")
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: invalid --platform: platform `linux` is not of the form os/arch[/variant]\nhelp: write os/arch[/variant], e.g. linux/arm64 or linux/arm/v7\n");
    images()
        .args(["--build-arg", "=x", "-"])
        .write_stdin("FROM a\n")
        .assert()
        .code(2)
        .stdout("");
}

#[test]
fn target_and_platform_flags() {
    let src = "FROM a:$TARGETARCH AS one\nFROM b AS two\n";
    images()
        .args([
            "--format",
            "json",
            "--target",
            "ONE",
            "--platform",
            "linux/arm64",
            "-",
        ])
        .write_stdin(src)
        .assert()
        .success()
        .stdout(
            predicates::str::contains("\"reference\": \"a:arm64\"")
                .and(predicates::str::contains("\"b\"").not()),
        );
}

#[test]
fn quiet_hides_warnings() {
    let src = "FROM a AS setup\nCOPY --from=set / /\n";
    images()
        .args(["-q", "-"])
        .write_stdin(src)
        .assert()
        .success()
        .stderr("");
    images()
        .arg("-")
        .write_stdin(src)
        .assert()
        .success()
        .stderr("warning: COPY --from=set names no stage, so BuildKit pulls the image docker.io/library/set:latest; the stages are: setup\n  --> -:2\n");
}
