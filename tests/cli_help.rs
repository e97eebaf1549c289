//! Every subcommand's `--help`, snapshotted: a flag or wording change shows up in review.

use assert_cmd::Command;

fn help(args: &[&str]) -> String {
    let out = Command::cargo_bin("dockerfile-lock")
        .unwrap()
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(out.status.success(), "--help exits 0");
    assert!(out.stderr.is_empty(), "--help prints to stdout only");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!("help", help(&[]));
}

#[test]
fn subcommand_help() {
    for sub in [
        "images",
        "sources",
        "resolve",
        "generate",
        "verify",
        "rewrite",
        "update",
        "export",
        "completions",
        "man",
    ] {
        insta::assert_snapshot!(format!("help-{sub}"), help(&[sub]));
    }
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::cargo_bin("dockerfile-lock")
        .unwrap()
        .args(["verify", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'yaml'"));
}
