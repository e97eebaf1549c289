//! One lock for the whole repository, end to end against a real `docker-registry`: every
//! Dockerfile and Containerfile `--recursive` should find (hidden directories, a tracked
//! file under a `.gitignore`d directory), none it should not (`Dockerfile.md`), a compose
//! file with `image:` services and a build with args, target and `additional_contexts`,
//! and a bake file with a variable, a group and an inheriting target.

mod lock_support;
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use lock_support::{bin, text};
use predicates::prelude::*;
use serde::Deserialize;
use support::images::ImageKind;
use support::registry::{Auth, Registry};

fn write(root: &Path, rel: &str, body: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, body).unwrap();
}

fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// The fixture repository, every image it names pushed to `reg`.
fn fixture(reg: &Registry) -> tempfile::TempDir {
    for (repo, tag) in [
        ("lib/root", "1"),
        ("lib/dev", "1"),
        ("lib/ci", "1"),
        ("lib/svc", "1"),
        ("lib/gen", "1"),
        ("lib/web", "1"),
        ("lib/cache", "7"),
        ("lib/base", "2"),
        ("lib/base", "3"),
        ("lib/runtime", "1"),
        ("lib/tools", "1"),
        ("lib/api", "1"),
        ("lib/api", "2"),
        ("lib/worker", "1"),
    ] {
        reg.push_image(repo, tag, ImageKind::Schema2);
    }
    let h = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "Dockerfile", &format!("FROM {h}/lib/root:1\n"));
    write(
        root,
        ".devcontainer/Dockerfile",
        &format!("FROM {h}/lib/dev:1\n"),
    );
    write(
        root,
        ".github/ci/Dockerfile",
        &format!("FROM {h}/lib/ci:1\n"),
    );
    write(root, "svc/Containerfile", &format!("FROM {h}/lib/svc:1\n"));
    write(root, ".gitignore", "generated/\n");
    write(
        root,
        "generated/Dockerfile",
        &format!("FROM {h}/lib/gen:1\n"),
    );
    write(
        root,
        "notes/Dockerfile.md",
        "# How to write a Dockerfile\n\nFROM is the first word.\n",
    );
    write(
        root,
        "compose.yaml",
        &format!(
            "services:\n  web:\n    image: {h}/lib/web:1\n  cache:\n    image: \"{h}/lib/cache:${{CACHE_TAG:-7}}\"\n  app:\n    image: acme/app:dev\n    build:\n      context: app\n      target: runtime\n      args:\n        BASE: {h}/lib/base:2\n      additional_contexts:\n        tools: docker-image://{h}/lib/tools:1\n"
        ),
    );
    write(
        root,
        "app/Dockerfile",
        &format!("ARG BASE={h}/lib/base:1\nFROM ${{BASE}} AS build\nFROM {h}/lib/runtime:1 AS runtime\nCOPY --from=build /a /a\nCOPY --from=tools /t /t\nFROM {h}/lib/unused:1 AS debug\n"),
    );
    write(
        root,
        "docker-bake.hcl",
        "variable \"TAG\" {\n  default = \"1\"\n}\n\ngroup \"default\" {\n  targets = [\"api\", \"worker\"]\n}\n\ntarget \"api\" {\n  context = \"bake\"\n  dockerfile = \"api.Dockerfile\"\n  args = {\n    TAG = TAG\n  }\n}\n\ntarget \"worker\" {\n  inherits = [\"api\"]\n  target = \"worker\"\n}\n",
    );
    write(
        root,
        "bake/api.Dockerfile",
        // The `api` target names no stage, so it builds the last one.
        &format!("ARG TAG=0\nFROM {h}/lib/worker:1 AS worker\nFROM {h}/lib/api:${{TAG}} AS api\n"),
    );
    git(root, &["add", "."]);
    git(root, &["add", "-f", "generated/Dockerfile"]);
    git(root, &["commit", "-qm", "fixture"]);
    dir
}

/// How many entries of `lock` name `repo` (by its `reference:` line).
fn entries(lock: &str, host: &str, reference: &str) -> usize {
    lock.matches(&format!("    reference: {host}/{reference}\n"))
        .count()
}

#[test]
fn one_lock_per_file_every_image_once_and_each_change_found() {
    let reg = Registry::start(Auth::Anonymous);
    let h = reg.host();
    let dir = fixture(&reg);
    let root = dir.path();
    bin(root)
        .args(["generate", "--recursive"])
        .assert()
        .success()
        .stdout("");
    for lock in [
        "Dockerfile.lock",
        ".devcontainer/Dockerfile.lock",
        ".github/ci/Dockerfile.lock",
        "svc/Containerfile.lock",
        "generated/Dockerfile.lock",
        "compose.yaml.lock",
        "docker-bake.hcl.lock",
    ] {
        assert!(root.join(lock).is_file(), "{lock} was not written");
    }
    for not in [
        "app/Dockerfile.lock",
        "bake/api.Dockerfile.lock",
        "notes/Dockerfile.md.lock",
    ] {
        assert!(!root.join(not).exists(), "{not} should not exist");
    }
    let compose = text(root.join("compose.yaml.lock"));
    for (reference, n) in [
        ("lib/web:1", 1),
        ("lib/cache:7", 1),
        ("lib/tools:1", 1),
        ("lib/base:2", 1),
        ("lib/runtime:1", 1),
        ("lib/base:1", 0),
        ("lib/unused:1", 0),
    ] {
        assert_eq!(
            entries(&compose, &h, reference),
            n,
            "{reference} in\n{compose}"
        );
    }
    assert!(compose.contains("by: web"), "{compose}");
    assert!(compose.contains("dockerfile: app/Dockerfile"), "{compose}");
    let bake = text(root.join("docker-bake.hcl.lock"));
    assert_eq!(entries(&bake, &h, "lib/api:1"), 1, "{bake}");
    assert_eq!(entries(&bake, &h, "lib/worker:1"), 1, "{bake}");
    assert!(bake.contains("by: worker"), "{bake}");

    bin(root)
        .args(["verify", "--recursive"])
        .assert()
        .code(0)
        .stdout("");

    // Each change below makes verify fail with a finding at the right file and line.
    let check = |change: &dyn Fn(), want: &str, undo: &dyn Fn()| {
        change();
        bin(root)
            .args(["verify", "--recursive"])
            .assert()
            .code(1)
            .stdout(predicate::str::contains(want));
        undo();
        bin(root).args(["verify", "--recursive"]).assert().code(0);
    };
    let edit = |rel: &'static str, from: String, to: String| {
        let path = root.join(rel);
        move || {
            let t = text(&path);
            assert!(t.contains(&from), "{rel} lacks {from}");
            fs::write(&path, t.replacen(&from, &to, 1)).unwrap();
        }
    };
    check(
        &edit(
            "compose.yaml",
            format!("{h}/lib/web:1"),
            format!("{h}/lib/web:2"),
        ),
        &format!("compose.yaml:3: missing-lock-entry: `{h}/lib/web:2`"),
        &edit(
            "compose.yaml",
            format!("{h}/lib/web:2"),
            format!("{h}/lib/web:1"),
        ),
    );
    check(
        &edit(
            "compose.yaml",
            format!("BASE: {h}/lib/base:2"),
            format!("BASE: {h}/lib/base:3"),
        ),
        &format!("app/Dockerfile:2: missing-lock-entry: `{h}/lib/base:3`"),
        &edit(
            "compose.yaml",
            format!("BASE: {h}/lib/base:3"),
            format!("BASE: {h}/lib/base:2"),
        ),
    );
    check(
        &edit(
            "docker-bake.hcl",
            "default = \"1\"".into(),
            "default = \"2\"".into(),
        ),
        &format!("bake/api.Dockerfile:3: missing-lock-entry: `{h}/lib/api:2`"),
        &edit(
            "docker-bake.hcl",
            "default = \"2\"".into(),
            "default = \"1\"".into(),
        ),
    );
    let lock = text(root.join("svc/Containerfile.lock"));
    check(
        &|| fs::remove_file(root.join("svc/Containerfile.lock")).unwrap(),
        "svc/Containerfile: missing-lockfile",
        &|| fs::write(root.join("svc/Containerfile.lock"), &lock).unwrap(),
    );
    let ci = text(root.join(".github/ci/Dockerfile"));
    check(
        &|| fs::remove_file(root.join(".github/ci/Dockerfile")).unwrap(),
        ".github/ci/Dockerfile.lock: orphan-lock:",
        &|| fs::write(root.join(".github/ci/Dockerfile"), &ci).unwrap(),
    );

    // An unset variable without a default is an error naming the file and line.
    fs::write(
        root.join("compose.override.yaml"),
        "services:\n  extra:\n    image: ${EXTRA_IMAGE}\n",
    )
    .unwrap();
    bin(root)
        .args(["verify", "--recursive"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("variable EXTRA_IMAGE is not set"))
        .stderr(predicate::str::contains("compose.override.yaml:3"));
    bin(root)
        .args(["generate", "--recursive", "--env"])
        .arg(format!("EXTRA_IMAGE={h}/lib/web:1"))
        .assert()
        .success();
    fs::remove_file(root.join("compose.override.yaml")).unwrap();
    bin(root)
        .args(["generate", "--recursive"])
        .assert()
        .success();

    // rewrite pins only the image values of compose.yaml, byte for byte elsewhere.
    let before = text(root.join("compose.yaml"));
    bin(root)
        .args(["rewrite", "compose.yaml"])
        .assert()
        .success();
    let after = text(root.join("compose.yaml"));
    let lock = text(root.join("compose.yaml.lock"));
    let digest_of = |reference: &str| {
        let at = lock.find(&format!("reference: {h}/{reference}\n")).unwrap();
        let rest = &lock[at..];
        let d = rest.find("digest: ").unwrap() + "digest: ".len();
        rest[d..d + 71].to_string()
    };
    let want = before
        .replacen(
            &format!("image: {h}/lib/web:1\n"),
            &format!("image: {h}/lib/web:1@{}\n", digest_of("lib/web:1")),
            1,
        )
        .replacen(
            &format!("docker-image://{h}/lib/tools:1\n"),
            &format!(
                "docker-image://{h}/lib/tools:1@{}\n",
                digest_of("lib/tools:1")
            ),
            1,
        );
    assert_eq!(after, want);
    bin(root).args(["verify", "--recursive"]).assert().code(0);

    // export --format compose pins every image the services run and build.
    let out = bin(root)
        .args(["export", "--format", "compose", "compose.yaml"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out: Override = serde_saphyr::from_str(std::str::from_utf8(&out).unwrap()).unwrap();
    let pinned = |reference: &str| format!("{h}/{reference}@{}", digest_of(reference));
    assert_eq!(out.services["web"].image, Some(pinned("lib/web:1")));
    assert_eq!(out.services["cache"].image, Some(pinned("lib/cache:7")));
    let app = &out.services["app"];
    assert_eq!(
        app.image, None,
        "a built service's image: names what is built"
    );
    let contexts = &app.build.as_ref().unwrap().additional_contexts;
    let want: BTreeMap<String, String> = [
        ("tools".to_string(), "lib/tools:1"),
        (format!("{h}/lib/base:2"), "lib/base:2"),
        (format!("{h}/lib/runtime:1"), "lib/runtime:1"),
    ]
    .into_iter()
    .map(|(name, r)| (name, format!("docker-image://{}", pinned(r))))
    .collect();
    assert_eq!(contexts, &want);

    // The tag moves upstream: update moves the lock and the pin rewrite wrote, in place.
    let moved = reg.push_image("lib/web", "1", ImageKind::Schema2);
    bin(root)
        .args(["update", "compose.yaml"])
        .assert()
        .success();
    let updated = text(root.join("compose.yaml"));
    assert_eq!(
        updated,
        after.replace(&digest_of("lib/web:1"), &moved.digest),
        "only the web pin moves"
    );
    assert!(text(root.join("compose.yaml.lock")).contains(&moved.digest));
    bin(root).args(["verify", "--recursive"]).assert().code(0);
}

/// The parts of a compose override file `export --format compose` writes.
#[derive(Debug, Deserialize)]
struct Override {
    services: BTreeMap<String, Service>,
}

#[derive(Debug, Deserialize)]
struct Service {
    image: Option<String>,
    build: Option<Build>,
}

#[derive(Debug, Deserialize)]
struct Build {
    additional_contexts: BTreeMap<String, String>,
}

#[test]
fn one_tag_locked_to_two_digests_across_locks_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (a, b) = (
        format!("sha256:{}", "a".repeat(64)),
        format!("sha256:{}", "b".repeat(64)),
    );
    write(root, "one/Dockerfile", &format!("FROM alpine:3.20@{a}\n"));
    write(root, "two/Dockerfile", &format!("FROM alpine:3.20@{b}\n"));
    bin(root)
        .args(["generate", "--recursive"])
        .assert()
        .success();
    bin(root)
        .args(["verify", "--recursive"])
        .assert()
        .code(1)
        .stdout(format!(
            "two/Dockerfile.lock:6: lock-conflict: `alpine:3.20` is locked to {} here but to {} in one/Dockerfile.lock\n",
            &b[..19],
            &a[..19]
        ));
    // Checked one at a time, each lock agrees with its Dockerfile.
    bin(root).args(["verify", "one"]).assert().code(0);
    bin(root).args(["verify", "two"]).assert().code(0);
}

#[test]
fn a_root_directory_excludes_and_minus_c() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a = format!("sha256:{}", "a".repeat(64));
    write(
        root,
        "repo/app/Dockerfile",
        &format!("FROM alpine:3.20@{a}\n"),
    );
    write(root, "repo/vendor/x/Dockerfile", "FROM nonsense here\n");
    write(
        root,
        "repo/.dockerfile-lock.toml",
        "exclude = [\"vendor\"]\n",
    );
    write(root, "other/Dockerfile", "FROM also nonsense\n");
    bin(root)
        .args(["generate", "--recursive", "repo"])
        .assert()
        .success();
    assert!(root.join("repo/app/Dockerfile.lock").is_file());
    bin(root)
        .args(["-C", "repo", "verify", "--recursive"])
        .assert()
        .code(0);
    fs::remove_file(root.join("repo/.dockerfile-lock.toml")).unwrap();
    bin(root)
        .args(["verify", "--recursive", "repo", "--exclude", "vendor/**"])
        .assert()
        .code(0);
    bin(root)
        .args(["verify", "--recursive", "repo"])
        .assert()
        .code(1)
        .stdout(
            "repo/vendor/x/Dockerfile: missing-lockfile: no lock (repo/vendor/x/Dockerfile.lock)\n",
        );
}

#[test]
fn export_compose_refuses_a_context_that_would_replace_a_stage() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a = format!("sha256:{}", "a".repeat(64));
    write(
        root,
        "app/Dockerfile",
        &format!("FROM alpine:latest@{a} AS alpine\nFROM alpine\n"),
    );
    write(root, "compose.yaml", "services:\n  app:\n    build: app\n");
    bin(root)
        .args(["generate", "compose.yaml"])
        .assert()
        .success();
    bin(root)
        .args(["export", "--format", "compose", "compose.yaml"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "service \"app\": the build context `alpine` would replace the stage `alpine`",
        ));
}

#[test]
fn the_config_file_gives_default_build_args() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a = format!("sha256:{}", "a".repeat(64));
    git(root, &["init", "-q"]);
    write(
        root,
        "Dockerfile",
        &format!("ARG TAG=1\nFROM alpine:${{TAG}}@{a}\n"),
    );
    write(root, ".dockerfile-lock.toml", "[build-args]\nTAG = \"2\"\n");
    bin(root).arg("generate").assert().success();
    let lock = text(root.join("Dockerfile.lock"));
    assert!(
        lock.contains("reference: docker.io/library/alpine:2\n"),
        "{lock}"
    );
    assert!(
        !lock.contains("build-args"),
        "the lock records only --build-arg values: {lock}"
    );
    bin(root).arg("verify").assert().code(0);
    // --build-arg wins over the config.
    bin(root)
        .args(["verify", "--build-arg", "TAG=1"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("missing-lock-entry: `alpine:1`"));
    write(root, ".dockerfile-lock.toml", "[build-args]\nTAG = [1]\n");
    bin(root)
        .arg("verify")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".dockerfile-lock.toml:2"));
}
