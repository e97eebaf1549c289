//! The lock commands against a real `docker-registry` on loopback: generate, verify,
//! tag drift, update, platforms, mirrors, and failures that must leave locks untouched.

mod lock_support;
mod support;

use std::fs;
use std::path::Path;

use lock_support::{bin, snapshot, text};
use predicates::prelude::*;
use support::images::{ImageKind, OCI_INDEX, PLATFORMS};
use support::registry::{Auth, Registry};

fn write(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, body).unwrap();
}

#[test]
fn generate_verify_drift_update_verify() {
    let reg = Registry::start(Auth::Anonymous);
    let app = reg.push_image("lib/app", "1", ImageKind::OciIndex(PLATFORMS));
    let base = reg.push_image("lib/base", "2", ImageKind::Schema2);
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Dockerfile",
        &format!("FROM {host}/lib/base:2 AS build\nRUN make\n\nFROM {host}/lib/app:1\nCOPY --from=build /out /out\n"),
    );
    bin(root).arg("generate").assert().success().stdout("");
    let lock = text(root.join("Dockerfile.lock"));
    assert!(
        lock.contains(&format!(
            "  - name: {host}/lib/app:1\n    reference: {host}/lib/app:1\n    digest: {}\n    media-type: {OCI_INDEX}\n",
            app.digest
        )),
        "{lock}"
    );
    assert!(
        lock.contains(&format!("digest: {}\n", base.digest)),
        "{lock}"
    );
    bin(root).arg("verify").assert().code(0).stdout("");
    bin(root)
        .args(["verify", "--online"])
        .assert()
        .code(0)
        .stdout("");

    // The tag moves upstream.
    let moved = reg.push_image("lib/app", "1", ImageKind::OciIndex(PLATFORMS));
    assert_ne!(moved.digest, app.digest);
    bin(root).arg("verify").assert().code(0);
    bin(root)
        .args(["verify", "--online"])
        .assert()
        .code(1)
        .stdout(format!(
            "Dockerfile:4: tag-drift: `{host}/lib/app:1` moved: locked {}, registry has {}\n",
            short(&app.digest),
            short(&moved.digest)
        ))
        .stderr(predicate::str::contains("dockerfile-lock update"));
    bin(root)
        .args(["verify", "--online", "--format", "github"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "::error file=Dockerfile,line=4,title=tag-drift::",
        ));

    bin(root).arg("update").assert().success().stdout(format!(
        "{host}/lib/app:1: {} → {}\n",
        short(&app.digest),
        short(&moved.digest)
    ));
    assert!(text(root.join("Dockerfile.lock")).contains(&moved.digest));
    bin(root)
        .args(["verify", "--online"])
        .assert()
        .code(0)
        .stdout("");
    bin(root).arg("update").assert().success().stdout("");
}

#[test]
fn generate_keeps_known_digests_and_resolves_only_new_references() {
    let reg = Registry::start(Auth::Anonymous);
    let app = reg.push_image("lib/app", "1", ImageKind::Schema2);
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", &format!("FROM {host}/lib/app:1\n"));
    bin(root).arg("generate").assert().success();
    let moved = reg.push_image("lib/app", "1", ImageKind::Schema2);
    let other = reg.push_image("lib/other", "3", ImageKind::OciManifest);
    write(
        root,
        "Dockerfile",
        &format!("FROM {host}/lib/app:1\nCOPY --from={host}/lib/other:3 /x /x\n"),
    );
    bin(root).arg("generate").assert().success();
    let lock = text(root.join("Dockerfile.lock"));
    assert!(lock.contains(&app.digest), "kept: {lock}");
    assert!(!lock.contains(&moved.digest), "{lock}");
    assert!(lock.contains(&other.digest), "{lock}");
}

#[test]
fn rewrite_then_update_moves_only_the_pinned_lines_named() {
    let reg = Registry::start(Auth::Anonymous);
    let app = reg.push_image("lib/app", "1", ImageKind::Schema2);
    let base = reg.push_image("lib/base", "2", ImageKind::Schema2);
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Dockerfile",
        &format!(
            "FROM {host}/lib/base:2 AS build\r\nFROM {host}/lib/app:1\r\nCOPY --from=build / /\r\n"
        ),
    );
    bin(root).arg("generate").assert().success();
    bin(root).arg("rewrite").assert().success();
    assert_eq!(
        text(root.join("Dockerfile")),
        format!(
            "FROM {host}/lib/base:2@{} AS build\r\nFROM {host}/lib/app:1@{}\r\nCOPY --from=build / /\r\n",
            base.digest, app.digest
        )
    );
    let app2 = reg.push_image("lib/app", "1", ImageKind::Schema2);
    let base2 = reg.push_image("lib/base", "2", ImageKind::Schema2);
    bin(root)
        .args(["update", "--image", &format!("{host}/lib/app:1")])
        .assert()
        .success()
        .stdout(format!(
            "{host}/lib/app:1: {} → {}\n",
            short(&app.digest),
            short(&app2.digest)
        ));
    assert_eq!(
        text(root.join("Dockerfile")),
        format!(
            "FROM {host}/lib/base:2@{} AS build\r\nFROM {host}/lib/app:1@{}\r\nCOPY --from=build / /\r\n",
            base.digest, app2.digest
        )
    );
    bin(root)
        .args(["verify", "--online", "--require-pinned"])
        .assert()
        .code(1)
        .stdout(format!(
            "Dockerfile:1: tag-drift: `{host}/lib/base:2` moved: locked {}, registry has {}\n",
            short(&base.digest),
            short(&base2.digest)
        ));
    bin(root)
        .args(["update", "--image", "nothing:here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no locked tag matches `nothing:here`",
        ));
}

#[test]
fn a_registry_failure_in_the_middle_of_generate_leaves_every_lock_untouched() {
    let reg = Registry::start(Auth::Anonymous);
    reg.push_image("lib/app", "1", ImageKind::Schema2);
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a/Dockerfile", &format!("FROM {host}/lib/app:1\n"));
    write(root, "b/Dockerfile", &format!("FROM {host}/lib/app:1\n"));
    bin(root)
        .args(["generate", "--recursive"])
        .assert()
        .success();
    // a now needs a new image as well (its lock would change), c needs one that is missing.
    reg.push_image("lib/new", "1", ImageKind::Schema2);
    write(
        root,
        "a/Dockerfile",
        &format!("FROM {host}/lib/app:1\nFROM {host}/lib/new:1\n"),
    );
    write(
        root,
        "c/Dockerfile",
        &format!("FROM {host}/lib/missing:1\n"),
    );
    let before = snapshot(root);
    bin(root)
        .args(["generate", "--recursive"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{host}/lib/missing:1")));
    assert_eq!(snapshot(root), before);
    assert!(!root.join("c/Dockerfile.lock").exists());
}

#[test]
fn platforms_are_recorded_and_verify_reuses_them() {
    let reg = Registry::start(Auth::Anonymous);
    let app = reg.push_image("lib/app", "1", ImageKind::OciIndex(PLATFORMS));
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", &format!("FROM {host}/lib/app:1\n"));
    bin(root)
        .args([
            "generate",
            "--platform",
            "linux/arm64",
            "--platform",
            "linux/amd64",
        ])
        .assert()
        .success();
    let lock = text(root.join("Dockerfile.lock"));
    assert!(
        lock.contains(&format!(
            "    platforms:\n      linux/amd64: {}\n      linux/arm64: {}\n",
            app.children["linux/amd64"], app.children["linux/arm64"]
        )),
        "{lock}"
    );
    bin(root).arg("verify").assert().code(0);
    // Asking for one more platform later keeps the locked index digest.
    reg.push_image("lib/app", "1", ImageKind::OciIndex(PLATFORMS));
    bin(root)
        .args(["generate", "--platform", "linux/arm/v7"])
        .assert()
        .success();
    let lock = text(root.join("Dockerfile.lock"));
    assert!(
        lock.contains(&format!("digest: {}\n", app.digest)),
        "{lock}"
    );
    assert!(lock.contains(&app.children["linux/arm/v7"]), "{lock}");
}

#[test]
fn a_mirror_resolves_while_the_lock_keeps_the_original_reference() {
    let reg = Registry::start(Auth::Anonymous);
    let node = reg.push_image("library/node", "18", ImageKind::ManifestList(PLATFORMS));
    let nginx = reg.push_image("library/nginx", "alpine", ImageKind::OciIndex(PLATFORMS));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Dockerfile",
        "FROM node:18 AS builder\nRUN npm run build\n\nFROM nginx:alpine\nCOPY --from=builder /app/build /usr/share/nginx/html\n",
    );
    let mirror = format!("docker.io={}", reg.host());
    bin(root)
        .args(["generate", "--registry-mirror", &mirror])
        .assert()
        .success();
    let lock = text(root.join("Dockerfile.lock"));
    assert!(
        lock.contains(&format!(
            "  - name: node:18\n    reference: docker.io/library/node:18\n    digest: {}\n",
            node.digest
        )),
        "{lock}"
    );
    assert!(
        lock.contains(&format!(
            "reference: docker.io/library/nginx:alpine\n    digest: {}\n",
            nginx.digest
        )),
        "{lock}"
    );
    assert!(!lock.contains(&reg.host()), "{lock}");
    bin(root)
        .args(["verify", "--online"])
        .env("DOCKERFILE_LOCK_REGISTRY_MIRRORS", &mirror)
        .assert()
        .code(0);
}

// `mirrors` in `.dockerfile-lock.toml` was read and checked but not applied.
#[test]
fn the_config_files_mirrors_apply_beneath_the_flag() {
    let reg = Registry::start(Auth::Anonymous);
    let node = reg.push_image("library/node", "18", ImageKind::Schema2);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", "FROM node:18\n");
    write(
        root,
        ".dockerfile-lock.toml",
        &format!("[mirrors]\n\"docker.io\" = \"{}\"\n", reg.host()),
    );
    bin(root).arg("generate").assert().success();
    let lock = text(root.join("Dockerfile.lock"));
    assert!(
        lock.contains(&format!(
            "reference: docker.io/library/node:18\n    digest: {}\n",
            node.digest
        )),
        "{lock}"
    );
    bin(root).args(["verify", "--online"]).assert().code(0);
    // The flag wins over the file: a mirror that is not there fails the run.
    bin(root)
        .args([
            "verify",
            "--online",
            "--registry-mirror",
            "docker.io=127.0.0.1:9",
        ])
        .assert()
        .code(2);
}

/// A digest as text output shows it: `sha256:` and 12 hex digits.
fn short(digest: &str) -> &str {
    &digest[..19]
}
