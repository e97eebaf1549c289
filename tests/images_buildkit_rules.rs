//! End-to-end regression tests, one per BuildKit rule the analysis once got wrong: the
//! built binary's `images --format json` must list the images BuildKit would pull, or fail
//! (exit 2) on the line BuildKit names. The rules are read from BuildKit's source:
//! `frontend/dockerfile/shell/lex.go`, `instructions/parse.go` and `bflag.go`,
//! `dockerfile2llb/convert.go` and `parser/directives.go`.
//!
//! `DOCKERFILE_LOCK_BIN` runs them against another build of the binary.

use std::process::Command;

use serde_json::Value;

/// `kind reference` for each image, or the error's line and message.
fn images(src: &str, args: &[&str]) -> Result<Vec<String>, (usize, String)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Dockerfile");
    std::fs::write(&path, src).unwrap();
    let bin = std::env::var_os("DOCKERFILE_LOCK_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| assert_cmd::cargo::cargo_bin("dockerfile-lock"));
    let out = Command::new(bin)
        .current_dir(dir.path())
        .args(["images", "--format", "json"])
        .args(args)
        .arg("Dockerfile")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    match out.status.code() {
        Some(0) => {
            let v: Value = serde_json::from_str(&stdout).unwrap();
            Ok(v.as_array()
                .unwrap()
                .iter()
                .map(|u| {
                    format!(
                        "{} {}",
                        u["kind"].as_str().unwrap(),
                        u["reference"].as_str().unwrap()
                    )
                })
                .collect())
        }
        Some(2) => {
            assert!(stdout.is_empty(), "{stdout}");
            let line = stderr
                .lines()
                .find_map(|l| l.trim().strip_prefix("--> Dockerfile:"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no line in {stderr}"));
            Err((line, stderr))
        }
        c => panic!("exit {c:?}: {stderr}"),
    }
}

fn ok(src: &str, args: &[&str]) -> Vec<String> {
    images(src, args).unwrap_or_else(|(line, e)| panic!("{src}\nfailed on line {line}: {e}"))
}

/// The line of the error, checking the message says `what`.
fn fails(src: &str, args: &[&str], what: &str) -> usize {
    match images(src, args) {
        Ok(v) => panic!("{src}\nshould fail ({what}), lists {v:?}"),
        Err((line, e)) => {
            assert!(e.contains(what), "{src}\nwanted `{what}` in: {e}");
            line
        }
    }
}

/// Class 1: `${V/p/r}` runs on an empty or unset value too (Go's regexp matches `.*` there).
#[test]
fn pattern_substitution_runs_on_an_unset_value() {
    assert_eq!(
        ok("ARG V\nFROM busybox:v${V/*/x}", &[]),
        ["from busybox:vx"]
    );
    assert_eq!(
        ok("ARG V=\nFROM busybox:v${V//*/x}", &[]),
        ["from busybox:vx"]
    );
}

/// Class 2: BuildKit's patterns have no bracket expressions: `[` and `]` are literal.
#[test]
fn brackets_in_patterns_are_literal() {
    assert_eq!(
        ok("ARG V=a.b\nFROM busybox:${V%[.]b}", &[]),
        ["from busybox:a.b"]
    );
    assert_eq!(
        ok("ARG V=v1\nFROM busybox:${V#[vV]}", &[]),
        ["from busybox:v1"]
    );
}

/// Class 3: only `\*`, `\?`, `\\`, `\}` and `\/` are escapes in a pattern.
#[test]
fn an_escape_buildkit_rejects_in_a_pattern_is_an_error() {
    let src = "ARG V=a.b\nFROM busybox:${V%\\.b}";
    assert_eq!(fails(src, &[], "invalid escape"), 2);
    assert_eq!(
        ok("ARG V=a*b\nFROM busybox:${V%\\*b}", &[]),
        ["from busybox:a"]
    );
}

/// Class 4: `--build-arg` overrides an automatic platform ARG the file never declares.
#[test]
fn build_args_override_undeclared_platform_args() {
    assert_eq!(
        ok(
            "FROM busybox:$TARGETARCH",
            &["--build-arg", "TARGETARCH=arm64"]
        ),
        ["from busybox:arm64"]
    );
    for name in [
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETVARIANT",
    ] {
        let src = format!("FROM busybox:x-${name}");
        let arg = format!("{name}=over");
        assert_eq!(
            ok(&src, &["--build-arg", &arg]),
            ["from busybox:x-over"],
            "{name}"
        );
    }
}

/// Class 5: a `#!` first line is skipped before the directives.
#[test]
fn a_shebang_line_does_not_hide_the_syntax_directive() {
    let src = "#!/usr/bin/env buildctl\n# syntax=docker/dockerfile:1.7\nFROM alpine:3.20";
    assert_eq!(
        ok(src, &[]),
        ["syntax docker/dockerfile:1.7", "from alpine:3.20"]
    );
}

/// Class 6: the `# syntax=` value is cut at the first space.
#[test]
fn the_syntax_value_is_cut_at_the_first_space() {
    let src = "# syntax=docker/dockerfile:1.7 # pinned\nFROM alpine:3.20";
    assert_eq!(
        ok(src, &[]),
        ["syntax docker/dockerfile:1.7", "from alpine:3.20"]
    );
}

/// Class 7: `COPY --from=scratch` (and a mount from scratch) is the empty image.
#[test]
fn copy_from_scratch_is_the_empty_image() {
    let src = "FROM alpine:3.20\nCOPY --from=scratch / /\nRUN --mount=from=scratch,target=/s true";
    assert_eq!(ok(src, &[]), ["from alpine:3.20"]);
}

/// Class 9: FROM matches the lower-cased stage name exactly; `Base` is an image name.
#[test]
fn from_matches_stage_names_only_in_lower_case() {
    let src = "FROM alpine:3.20 AS base\nFROM Base";
    assert_eq!(fails(src, &[], "must be lowercase"), 2);
    assert_eq!(
        ok("FROM alpine:3.20 AS Base\nFROM base", &[]),
        ["from alpine:3.20"]
    );
}

/// Class 10: mount `from=` does not support variable expansion.
#[test]
fn mount_from_does_not_expand_variables() {
    let src = "FROM alpine:3.20\nARG IMG=busybox\nRUN --mount=from=$IMG,target=/x true";
    assert_eq!(fails(src, &[], "doesn't support variable expansion"), 3);
}

/// Class 11: a stage that copies from itself, or any cycle of stages.
#[test]
fn circular_dependencies_are_errors() {
    let own = "FROM alpine:3.20 AS x\nCOPY --from=x /a /b";
    assert_eq!(fails(own, &[], "circular dependency"), 2);
    let by_index = "FROM alpine:3.20\nCOPY --from=0 /a /b";
    assert_eq!(fails(by_index, &[], "circular dependency"), 2);
    let cycle = "FROM alpine:3.20 AS x\nCOPY --from=y /a /b\nFROM busybox AS y\nRUN --mount=from=x,target=/x true";
    assert_eq!(fails(cycle, &[], "circular dependency"), 2);
}

/// Class 12: flag errors BuildKit's parser gives, and `${T//}` and a LABEL that swallowed
/// the next instruction.
#[test]
fn flag_and_argument_errors_are_errors() {
    let cases = [
        (
            "FROM alpine\nCOPY --chown /a /b",
            2,
            "missing a value on flag: --chown",
        ),
        (
            "FROM alpine\nCOPY --user=1 /a /b",
            2,
            "unknown flag: --user",
        ),
        (
            "FROM --platform=x --platform=y alpine",
            1,
            "duplicate flag specified: --platform",
        ),
        (
            "FROM alpine\nRUN --mount=type=bind,target true",
            2,
            "must be a key=value pair",
        ),
        ("ARG T\nFROM alpine:3${T//}", 2, "missing '/'"),
        (
            "FROM alpine\nLABEL a=b \\\nCMD [\"x\"]",
            2,
            "can't find = in \"CMD",
        ),
        ("FROM alpine\nWORKDIR --x=1 /a", 2, "unknown flag: --x"),
    ];
    for (src, line, what) in cases {
        assert_eq!(fails(src, &[], what), line, "{src}");
    }
}

/// Class 13: an ONBUILD trigger is parsed only where a child stage runs it.
#[test]
fn onbuild_triggers_are_parsed_only_where_a_child_runs_them() {
    assert_eq!(ok("FROM alpine\nONBUILD # note", &[]), ["from alpine"]);
    assert_eq!(ok("FROM alpine\nONBUILD FOO bar", &[]), ["from alpine"]);
    // A child that runs it fails, on its own FROM line.
    let src = "FROM alpine AS p\nONBUILD FOO bar\nFROM p";
    assert_eq!(fails(src, &[], "unknown instruction: FOO"), 3);
}

/// Class 14: errors in stages the target does not need do not fail the build, and
/// `COPY --from=<n>` may name an image state `COPY --from` created.
#[test]
fn errors_in_stages_the_target_does_not_reach_do_not_fail() {
    let src = "FROM alpine AS unused\nARG X=${U:?boom}\nFROM busybox";
    // Nor is the unused stage's image pulled: BuildKit builds only the last stage's needs.
    assert_eq!(ok(src, &[]), ["from busybox"]);
    assert_eq!(fails(src, &["--target", "unused"], "boom"), 2);
    let mount = "FROM alpine AS unused\nRUN --mount=type=bind,target true\nFROM busybox";
    assert_eq!(ok(mount, &[]), ["from busybox"]);
    // Nodes: stages 0 and 1, then the image states 2 (x:1) and 3 (y:1).
    let index = "FROM alpine AS one\nCOPY --from=x:1 /a /b\nCOPY --from=y:1 /a /b\nFROM busybox AS two\nCOPY --from=3 /a /b";
    assert_eq!(
        ok(index, &["--target", "two"]),
        ["copy-from y:1", "from busybox"]
    );
    assert_eq!(
        fails(&index.replace("=3 ", "=4 "), &[], "invalid stage index 4"),
        5
    );
}

/// Class 15: the line BuildKit names: a FROM whose ARG is unset, a trigger's error (on
/// the FROM of the stage that runs it), a cycle (on the first command of it).
#[test]
fn errors_name_the_line_buildkit_names() {
    assert_eq!(fails("ARG V\nFROM $V", &[], "`V`"), 2);
    let trigger = "FROM alpine AS p\nONBUILD COPY --bogus=1 /a /b\nFROM p AS c\nRUN true";
    assert_eq!(fails(trigger, &[], "unknown flag: --bogus"), 3);
    let trigger_var = "FROM alpine AS p\nONBUILD COPY --from=$X /a /b\n\nFROM p";
    assert_eq!(fails(trigger_var, &[], "--from"), 4);
}

/// `HEALTHCHECK` with no arguments (or only flags) is an error in `instructions.Parse`.
#[test]
fn healthcheck_without_arguments_is_an_error() {
    let src = "FROM busybox\nHEALTHCHECK\nRUN true";
    assert_eq!(
        fails(src, &[], "HEALTHCHECK requires at least one argument"),
        2
    );
    let flags_only = "FROM busybox\nHEALTHCHECK --interval=5s";
    assert_eq!(fails(flags_only, &[], "HEALTHCHECK requires"), 2);
    assert_eq!(ok("FROM busybox\nHEALTHCHECK NONE", &[]), ["from busybox"]);
}

/// A blank base name fails while BuildKit reads the stages; an unparsable one (an unset
/// ARG in it) only when it resolves the images, later: the blank one's line is named.
#[test]
fn a_blank_base_name_wins_over_an_earlier_unset_arg() {
    let src = "ARG REG\nARG BASE=\nFROM ${REG}/img:1 AS a\nFROM ${BASE}\nCOPY --from=a /x /y";
    assert_eq!(fails(src, &[], "empty"), 4);
    // Alone, the unset ARG is still named on its own line.
    assert_eq!(fails("ARG REG\nFROM ${REG}/img:1", &[], "`REG`"), 2);
}

/// BuildKit's parser reports a file without instructions at the last line it read.
#[test]
fn a_file_of_comments_only_is_reported_at_its_last_line() {
    let src = "# syntax is not here\n# just notes\n\n# the end\n";
    assert_eq!(fails(src, &[], "no instructions"), 4);
}

/// With no `--target`, BuildKit builds the last stage and pulls only what it needs.
#[test]
fn a_build_without_target_locks_only_the_last_stages_needs() {
    let src = "FROM alpine:3.20 AS unused\nRUN true\nFROM golang:1.22 AS build\nFROM busybox:1.36\nCOPY --from=build /a /b";
    assert_eq!(ok(src, &[]), ["from golang:1.22", "from busybox:1.36"]);
    let mount = "FROM node:20 AS tools\nFROM debian:12 AS other\nFROM tools\nRUN --mount=from=rust:1,target=/r true";
    assert_eq!(ok(mount, &[]), ["from node:20", "mount-from rust:1"]);
}
