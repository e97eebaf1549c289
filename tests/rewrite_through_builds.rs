//! `rewrite` of a Dockerfile locked through the compose or bake file that builds it, end
//! to end against a real registry and a real `git daemon` on 127.0.0.1: its literal
//! references are pinned from that file's lock, and once the tag and the git tag move
//! `verify --online` reports the drift while the pinned lines still name what was locked.

mod lock_support;
mod support;

use std::fs;
use std::path::Path;

use lock_support::bin;
use support::images::ImageKind;
use support::registry::{Auth, Registry};
use support::sources::{GitServer, Repo};

/// The binary with git isolated from the machine's configuration.
fn cmd(dir: &Path) -> assert_cmd::Command {
    let mut c = bin(dir);
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env_remove("NETRC");
    c
}

fn out(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A repository with `d/a.txt` and a tag `v1`; returns it and the tagged commit.
fn tagged(git: &GitServer) -> (Repo, String) {
    let repo = git.repo("tool");
    fs::create_dir_all(repo.work.join("d")).unwrap();
    let c = repo.commit("d/a.txt", "one");
    repo.git(&["tag", "v1"]);
    repo.push();
    (repo, c)
}

/// `rewrite Dockerfile` of a bake-built Dockerfile did nothing and printed "nothing to
/// change, already pinned", while a real build followed the moved tags.
#[test]
fn a_bake_built_dockerfile_is_pinned_and_drift_is_reported() {
    let reg = Registry::start(Auth::Anonymous);
    let base = reg.push_image("lib/base", "1", ImageKind::Schema2);
    let git = GitServer::start();
    let (repo, c) = tagged(&git);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("docker-bake.hcl"),
        "target \"default\" {\n  dockerfile = \"Dockerfile\"\n}\n",
    )
    .unwrap();
    let source = format!("{}?tag=v1&subdir=d", repo.url);
    fs::write(
        d.join("Dockerfile"),
        format!(
            "FROM {} AS build\nADD {source} /x\n",
            reg.image("lib/base", "1")
        ),
    )
    .unwrap();
    let o = cmd(d).arg("generate").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = cmd(d).args(["rewrite", "Dockerfile"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!out(&o).contains("already pinned"), "{}", out(&o));
    let pinned = fs::read_to_string(d.join("Dockerfile")).unwrap();
    assert_eq!(
        pinned,
        format!(
            "FROM {}@{} AS build\nADD {}?ref={c}&subdir=d /x\n",
            reg.image("lib/base", "1"),
            base.digest,
            repo.url
        )
    );
    let o = cmd(d)
        .args(["verify", "--require-pinned"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // Both tags move upstream.
    reg.push_image("lib/base", "1", ImageKind::Schema2);
    repo.commit("d/a.txt", "two");
    repo.git(&["tag", "-f", "v1"]);
    repo.push();
    let o = cmd(d).args(["verify", "--online"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("source-drift"), "{text}");
    assert!(text.contains("tag-drift"), "{text}");
    // The pinned lines still name what was locked.
    assert_eq!(fs::read_to_string(d.join("Dockerfile")).unwrap(), pinned);
    // `update` moves the lock and the Dockerfile's pins together.
    let o = cmd(d).arg("update").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let moved = fs::read_to_string(d.join("Dockerfile")).unwrap();
    assert!(
        !moved.contains(&c) && !moved.contains(&base.digest),
        "{moved}"
    );
    let o = cmd(d)
        .args(["verify", "--require-pinned"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

/// The same through a compose file, with `rewrite` naming the compose file.
#[test]
fn a_compose_built_dockerfile_is_pinned_from_the_compose_lock() {
    let reg = Registry::start(Auth::Anonymous);
    let base = reg.push_image("lib/base", "1", ImageKind::Schema2);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("app")).unwrap();
    fs::write(
        d.join("compose.yaml"),
        "services:\n  app:\n    build:\n      context: app\n",
    )
    .unwrap();
    fs::write(
        d.join("app/Dockerfile"),
        format!("FROM {}\n", reg.image("lib/base", "1")),
    )
    .unwrap();
    cmd(d).arg("generate").assert().code(0);
    // The build reads the Dockerfile: its line is flagged until `rewrite` pins it.
    let o = cmd(d)
        .args(["verify", "--require-pinned"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("app/Dockerfile:1: unpinned"),
        "{}",
        out(&o)
    );
    let o = cmd(d).arg("rewrite").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!out(&o).contains("already pinned"), "{}", out(&o));
    assert_eq!(
        fs::read_to_string(d.join("app/Dockerfile")).unwrap(),
        format!("FROM {}@{}\n", reg.image("lib/base", "1"), base.digest)
    );
    let o = cmd(d)
        .args(["verify", "--require-pinned"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // `--unpin` gives the Dockerfile back as written.
    cmd(d).args(["rewrite", "--unpin"]).assert().code(0);
    assert_eq!(
        fs::read_to_string(d.join("app/Dockerfile")).unwrap(),
        format!("FROM {}\n", reg.image("lib/base", "1"))
    );
}

/// A Dockerfile that a compose file and a bake file both build is written once when their
/// locks agree, and not at all when they pin it differently.
#[test]
fn a_dockerfile_locked_twice_is_written_once_or_refused() {
    let reg = Registry::start(Auth::Anonymous);
    let base = reg.push_image("lib/base", "1", ImageKind::Schema2);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("compose.yaml"), "services:\n  app:\n    build: .\n").unwrap();
    fs::write(
        d.join("docker-bake.hcl"),
        "target \"default\" {\n  dockerfile = \"Dockerfile\"\n}\n",
    )
    .unwrap();
    let written = format!("FROM {}\n", reg.image("lib/base", "1"));
    fs::write(d.join("Dockerfile"), &written).unwrap();
    cmd(d).arg("generate").assert().code(0);
    // The bake lock now pins the tag elsewhere: the two locks disagree.
    let bake_lock = d.join("docker-bake.hcl.lock");
    let agreed = fs::read_to_string(&bake_lock).unwrap();
    let other = format!("sha256:{}", "0".repeat(64));
    fs::write(&bake_lock, agreed.replace(&base.digest, &other)).unwrap();
    let o = cmd(d).arg("rewrite").output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("pin it differently"), "{}", out(&o));
    assert_eq!(fs::read_to_string(d.join("Dockerfile")).unwrap(), written);
    fs::write(&bake_lock, agreed).unwrap();
    let o = cmd(d).arg("rewrite").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        out(&o).matches("in Dockerfile").count(),
        1,
        "one write: {}",
        out(&o)
    );
    assert_eq!(
        fs::read_to_string(d.join("Dockerfile")).unwrap(),
        format!("FROM {}@{}\n", reg.image("lib/base", "1"), base.digest)
    );
}
