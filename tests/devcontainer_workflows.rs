//! Dev container configurations and GitHub Actions files locked like a compose file's
//! `image:`, end to end against a real `docker-registry`: found by `--recursive`, locked
//! beside the file, verified, rewritten in place byte for byte (comments, quotes and all),
//! their pins moved by `update`; a `${{ … }}` value is a note, never a guess; a hostile
//! JSONC file is a clear error.

mod lock_support;
mod support;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use lock_support::{bin, snapshot, text};
use predicates::prelude::*;
use support::images::ImageKind;
use support::registry::{Auth, Registry};

fn write(root: &Path, rel: &str, body: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, body).unwrap();
}

/// A git work tree, so that `--recursive` lists what git tracks and the tree's root is
/// known.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ok = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    dir
}

fn git_add(root: &Path) {
    let ok = std::process::Command::new("git")
        .args(["add", "-A"])
        .current_dir(root)
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

const DEVCONTAINER: &str = ".devcontainer/devcontainer.json";
const WORKFLOW: &str = ".github/workflows/ci.yml";

fn devcontainer(image: &str) -> String {
    format!(
        "// The team's dev container.\n{{\n  \"name\": \"dev\", /* shown in the editor */\n  \"image\": \"{image}\",\n  // trailing commas are fine here\n  \"features\": {{}},\n}}\n"
    )
}

fn workflow(container: &str, service: &str, step: &str) -> String {
    format!(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    container: {container}  # the toolchain\n    services:\n      db:\n        image: \"{service}\"\n    steps:\n      - uses: actions/checkout@v4\n      - uses: 'docker://{step}'\n  matrix:\n    strategy:\n      matrix:\n        image: [a, b]\n    container:\n      image: ${{{{ matrix.image }}}}\n"
    )
}

#[test]
fn a_devcontainer_image_is_locked_verified_rewritten_and_updated() {
    let reg = Registry::start(Auth::Anonymous);
    let app = reg.push_image("lib/app", "1", ImageKind::Schema2);
    let name = reg.image("lib/app", "1");
    let dir = repo();
    let root = dir.path();
    write(root, DEVCONTAINER, &devcontainer(&name));
    bin(root)
        .args(["generate", DEVCONTAINER])
        .assert()
        .success();
    let lock = text(root.join(".devcontainer/devcontainer.json.lock"));
    assert!(lock.contains(&app.digest), "{lock}");
    assert!(lock.contains("by: dev"), "{lock}");
    bin(root)
        .args(["verify", DEVCONTAINER])
        .assert()
        .code(0)
        .stdout("");
    bin(root)
        .args(["verify", "--require-pinned", DEVCONTAINER])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "{DEVCONTAINER}:4: unpinned"
        )));

    // Only the value's bytes change: comments, commas and layout stay.
    bin(root).args(["rewrite", DEVCONTAINER]).assert().success();
    let pinned = format!("{name}@{}", app.digest);
    assert_eq!(text(root.join(DEVCONTAINER)), devcontainer(&pinned));
    bin(root)
        .args(["verify", "--require-pinned", DEVCONTAINER])
        .assert()
        .code(0)
        .stdout("");

    // The tag moves: `--online` sees it, `update` moves the pin written in the file.
    let app2 = reg.push_image("lib/app", "1", ImageKind::Schema2);
    bin(root)
        .args(["verify", "--online", DEVCONTAINER])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("tag-drift"));
    bin(root).args(["update", DEVCONTAINER]).assert().success();
    assert_eq!(
        text(root.join(DEVCONTAINER)),
        devcontainer(&format!("{name}@{}", app2.digest))
    );
    bin(root)
        .args(["verify", "--online", DEVCONTAINER])
        .assert()
        .code(0)
        .stdout("");

    // A pin that disagrees with the lock, then a value the lock does not know.
    write(root, DEVCONTAINER, &devcontainer(&pinned));
    bin(root)
        .args(["verify", DEVCONTAINER])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("digest-mismatch"));
    let other = reg.image("lib/other", "2");
    write(root, DEVCONTAINER, &devcontainer(&other));
    bin(root)
        .args(["verify", DEVCONTAINER])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("missing-lock-entry"))
        .stdout(predicate::str::contains("stale-lock-entry"));
}

#[test]
fn a_devcontainer_build_is_read_with_its_args_and_target() {
    let reg = Registry::start(Auth::Anonymous);
    let base = reg.push_image("lib/base", "2", ImageKind::Schema2);
    reg.push_image("lib/unused", "1", ImageKind::Schema2);
    let dir = repo();
    let root = dir.path();
    write(
        root,
        ".devcontainer/py/devcontainer.json",
        "{\n  \"build\": {\n    \"dockerfile\": \"Dockerfile\",\n    \"context\": \"../..\",\n    \"args\": {\"BASE\": \"lib/base:2\"},\n    \"target\": \"dev\"\n  }\n}\n",
    );
    write(
        root,
        ".devcontainer/py/Dockerfile",
        &format!(
            "ARG BASE=nothing\nFROM {host}/${{BASE}} AS dev\nFROM {host}/lib/unused:1 AS ci\n",
            host = reg.host()
        ),
    );
    bin(root)
        .args(["generate", ".devcontainer/py/devcontainer.json"])
        .assert()
        .success();
    let lock = text(root.join(".devcontainer/py/devcontainer.json.lock"));
    assert!(lock.contains(&base.digest), "{lock}");
    assert!(!lock.contains("lib/unused"), "{lock}");
    // Naming the Dockerfile means the configuration that builds it.
    bin(root)
        .args(["verify", ".devcontainer/py/Dockerfile"])
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn workflow_images_are_locked_rewritten_and_expressions_are_notes() {
    let reg = Registry::start(Auth::Anonymous);
    let node = reg.push_image("lib/node", "20", ImageKind::Schema2);
    let pg = reg.push_image("lib/pg", "16", ImageKind::Schema2);
    let tool = reg.push_image("lib/tool", "3", ImageKind::Schema2);
    let (n, p, t) = (
        reg.image("lib/node", "20"),
        reg.image("lib/pg", "16"),
        reg.image("lib/tool", "3"),
    );
    let dir = repo();
    let root = dir.path();
    write(root, WORKFLOW, &workflow(&n, &p, &t));
    bin(root)
        .args(["generate", WORKFLOW])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "`${{ matrix.image }}` is decided when the workflow runs: not locked",
        ))
        .stderr(predicate::str::contains(format!("--> {WORKFLOW}:17")));
    assert!(root.join(".github/workflows/ci.yml.lock").is_file());
    bin(root)
        .args(["verify", WORKFLOW])
        .assert()
        .code(0)
        .stdout("");
    bin(root).args(["rewrite", WORKFLOW]).assert().success();
    let pinned = |d: &str, name: &str| format!("{name}@{d}");
    assert_eq!(
        text(root.join(WORKFLOW)),
        workflow(
            &pinned(&node.digest, &n),
            &pinned(&pg.digest, &p),
            &pinned(&tool.digest, &t)
        )
    );
    bin(root)
        .args(["verify", WORKFLOW])
        .assert()
        .code(0)
        .stdout("");
    let tool2 = reg.push_image("lib/tool", "3", ImageKind::Schema2);
    bin(root).args(["update", WORKFLOW]).assert().success();
    assert_eq!(
        text(root.join(WORKFLOW)),
        workflow(
            &pinned(&node.digest, &n),
            &pinned(&pg.digest, &p),
            &pinned(&tool2.digest, &t)
        )
    );
    bin(root)
        .args(["verify", WORKFLOW])
        .assert()
        .code(0)
        .stdout("");
    let rows = bin(root)
        .args(["images", "--format", "json", WORKFLOW])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&rows.stdout).unwrap();
    let lines: Vec<u64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [5, 8, 11]);
    assert_eq!(rows[0]["owner"], serde_json::json!({"job": "test"}));
    bin(root)
        .args(["export", "--format", "json", WORKFLOW])
        .assert()
        .success()
        .stdout(predicate::str::contains(&tool2.digest));
}

#[test]
fn recursive_finds_devcontainers_workflows_and_actions() {
    let reg = Registry::start(Auth::Anonymous);
    for (repo, tag) in [
        ("lib/a", "1"),
        ("lib/b", "1"),
        ("lib/c", "1"),
        ("lib/d", "1"),
    ] {
        reg.push_image(repo, tag, ImageKind::Schema2);
    }
    let dir = repo();
    let root = dir.path();
    write(
        root,
        DEVCONTAINER,
        &format!("{{\"image\": \"{}\"}}\n", reg.image("lib/a", "1")),
    );
    write(
        root,
        WORKFLOW,
        &format!(
            "on: push\njobs:\n  t:\n    container:\n      image: {}\n",
            reg.image("lib/b", "1")
        ),
    );
    write(
        root,
        "actions/run/action.yml",
        &format!(
            "runs:\n  using: docker\n  image: docker://{}\n",
            reg.image("lib/c", "1")
        ),
    );
    write(
        root,
        "actions/build/action.yml",
        "runs:\n  using: docker\n  image: Dockerfile\n",
    );
    write(
        root,
        "actions/build/Dockerfile",
        &format!("FROM {}\n", reg.image("lib/d", "1")),
    );
    // Not where the specification or GitHub looks.
    write(root, "docs/devcontainer.json", "{\"image\": \"x:1\"}\n");
    write(root, ".github/ci.yml", "jobs: {}\n");
    git_add(root);
    bin(root)
        .args(["generate", "--recursive", "."])
        .assert()
        .success();
    for lock in [
        ".devcontainer/devcontainer.json.lock",
        ".github/workflows/ci.yml.lock",
        "actions/run/action.yml.lock",
        "actions/build/action.yml.lock",
    ] {
        assert!(root.join(lock).is_file(), "{lock}");
    }
    for none in [
        "actions/build/Dockerfile.lock",
        "docs/devcontainer.json.lock",
        ".github/ci.yml.lock",
    ] {
        assert!(!root.join(none).exists(), "{none}");
    }
    bin(root)
        .args(["verify", "--recursive", "."])
        .assert()
        .code(0)
        .stdout("");
    // A lock whose file is gone is found.
    fs::remove_file(root.join(WORKFLOW)).unwrap();
    bin(root)
        .args(["verify", "--recursive", "."])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("ci.yml.lock"));
}

#[test]
fn hostile_jsonc_is_a_clear_error_fast() {
    let dir = repo();
    let root = dir.path();
    for (body, line, says) in [
        (
            "{\n  \"image\": \"a:1\" /* never closed\n}\n".to_string(),
            2,
            "never closed",
        ),
        ("[".repeat(1 << 20), 1, "nested more than"),
        (
            format!("{{\"a\": {}", "{\"a\": ".repeat(1 << 17)),
            1,
            "nested more than",
        ),
    ] {
        write(root, DEVCONTAINER, &body);
        let before = snapshot(root);
        let started = Instant::now();
        bin(root)
            .args(["generate", DEVCONTAINER])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says))
            .stderr(predicate::str::contains(format!(
                "--> {DEVCONTAINER}:{line}"
            )));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(snapshot(root), before, "nothing is written");
    }
}
