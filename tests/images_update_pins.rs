//! `update` keeps the Dockerfile consistent with its lock where a pin sits inside quotes or
//! in the default of the global ARG a FROM names (against a real `docker-registry`), and
//! refuses, naming the line and writing nothing, where it cannot move a pin in place.

mod lock_support;
mod support;

use std::fs;

use lock_support::{bin, snapshot, text};
use predicates::prelude::*;
use support::images::ImageKind;
use support::registry::{Auth, Registry};

/// Regression: `update` printed `X → Y` and exited 0, leaving X in the Dockerfile, so the
/// next `verify` failed.
#[test]
fn update_moves_pins_in_quotes_and_in_arg_defaults() {
    let reg = Registry::start(Auth::Anonymous);
    let app = reg.push_image("lib/app", "1", ImageKind::Schema2);
    let base = reg.push_image("lib/base", "2", ImageKind::Schema2);
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let dockerfile = |base: &str, app: &str| {
        format!("ARG BASE={host}/lib/base:2@{base}\nFROM $BASE AS build\nFROM \"{host}/lib/app:1@{app}\"\nCOPY --from=build /a /a\n")
    };
    fs::write(
        root.join("Dockerfile"),
        dockerfile(&base.digest, &app.digest),
    )
    .unwrap();
    bin(root).arg("generate").assert().success();
    bin(root).arg("verify").assert().code(0).stdout("");
    let app2 = reg.push_image("lib/app", "1", ImageKind::Schema2);
    let base2 = reg.push_image("lib/base", "2", ImageKind::Schema2);
    bin(root).arg("update").assert().success();
    assert_eq!(
        text(root.join("Dockerfile")),
        dockerfile(&base2.digest, &app2.digest)
    );
    bin(root).arg("verify").assert().code(0).stdout("");
    bin(root)
        .args(["verify", "--online"])
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn update_refuses_a_pin_it_cannot_move_and_writes_nothing() {
    let reg = Registry::start(Auth::Anonymous);
    let base = reg.push_image("lib/base", "2", ImageKind::Schema2);
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // The default is built from another ARG: no literal text holds the pin.
    let src = format!(
        "ARG REG={host}\nARG BASE=${{REG}}/lib/base:2@{}\nFROM $BASE\n",
        base.digest
    );
    fs::write(root.join("Dockerfile"), &src).unwrap();
    bin(root).arg("generate").assert().success();
    reg.push_image("lib/base", "2", ImageKind::Schema2);
    let before = snapshot(root);
    bin(root)
        .arg("update")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("update cannot move it"))
        .stderr(predicate::str::contains("--> Dockerfile:3"));
    assert_eq!(snapshot(root), before, "nothing is written");
}
