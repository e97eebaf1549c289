//! `rewrite`, `verify` and `update` on git sources whose ref is in the query, or whose refs
//! share a commit, against a real `git daemon` on 127.0.0.1: every line gets a pin the
//! Dockerfile's frontend reads, or is named with why it did not, and nothing claims
//! "already pinned" about a line that is not.

mod lock_support;
mod support;

use std::fs;
use std::path::Path;

use lock_support::bin;
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

/// A repository with a `d/` directory, `main` and a tag `v1` on one commit.
fn repo(git: &GitServer) -> (Repo, String) {
    let repo = git.repo("tool");
    fs::create_dir_all(repo.work.join("d")).unwrap();
    let c = repo.commit("d/a.txt", "one");
    repo.git(&["branch", "-M", "main"]);
    repo.git(&["tag", "v1"]);
    repo.push();
    (repo, c)
}

fn out(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A query-form ref in a Dockerfile without `# syntax=` was left as written while
/// `rewrite` said "already pinned" and `verify --require-pinned` passed.
#[test]
fn query_form_ref_without_syntax_is_pinned_by_ref_commit() {
    let git = GitServer::start();
    let (repo, c) = repo(&git);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = format!("{}?tag=v1&subdir=d", repo.url);
    fs::write(
        d.join("Dockerfile"),
        format!("FROM scratch\nADD {url} /x\n"),
    )
    .unwrap();
    cmd(d).arg("generate").assert().code(0);
    let before = cmd(d)
        .args(["verify", "--require-pinned"])
        .output()
        .unwrap();
    assert_eq!(before.status.code(), Some(1), "{}", out(&before));
    assert!(out(&before).contains("unpinned"), "{}", out(&before));
    let o = cmd(d).arg("rewrite").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!out(&o).contains("already pinned"), "{}", out(&o));
    let text = fs::read_to_string(d.join("Dockerfile")).unwrap();
    assert_eq!(
        text,
        format!("FROM scratch\nADD {}?ref={c}&subdir=d /x\n", repo.url)
    );
    let o = cmd(d)
        .args(["verify", "--require-pinned"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // A second rewrite has nothing to do, and says so truthfully.
    let o = cmd(d).arg("rewrite").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(fs::read_to_string(d.join("Dockerfile")).unwrap(), text);
    // `--unpin` gives back the ref as written.
    cmd(d).args(["rewrite", "--unpin"]).assert().code(0);
    assert_eq!(
        fs::read_to_string(d.join("Dockerfile")).unwrap(),
        format!("FROM scratch\nADD {url} /x\n")
    );
}

/// A reference `rewrite` leaves unpinned is named, with why, at default verbosity; and
/// never under "already pinned".
#[test]
fn a_source_left_unpinned_is_named_not_called_pinned() {
    let git = GitServer::start();
    let (repo, _) = repo(&git);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("Dockerfile"),
        format!("FROM scratch\nARG R=v1\nADD {}#$R /x\n", repo.url),
    )
    .unwrap();
    cmd(d).arg("generate").assert().code(0);
    let o = cmd(d).arg("rewrite").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = out(&o);
    assert!(!text.contains("already pinned"), "{text}");
    assert!(text.contains("Dockerfile:3"), "{text}");
    assert!(
        text.contains("left unpinned") || text.contains("left as written"),
        "{text}"
    );
    let o = cmd(d)
        .args(["verify", "--require-pinned"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("Dockerfile:3"), "{}", out(&o));
}

/// Two refs on one commit became two identical `#<commit>` lines, and `verify` then
/// called one lock entry stale; `update` must still move each line by its own ref.
#[test]
fn two_refs_on_one_commit_stay_in_sync_after_rewrite() {
    let git = GitServer::start();
    let (repo, c) = repo(&git);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("Dockerfile"),
        format!(
            "FROM scratch\nADD {u}#v1 /one\nADD {u}#main /two\n",
            u = repo.url
        ),
    )
    .unwrap();
    cmd(d).arg("generate").assert().code(0);
    cmd(d).arg("rewrite").assert().code(0);
    let o = cmd(d).arg("verify").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = cmd(d)
        .args(["verify", "--require-pinned"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // main moves, v1 stays: update moves the `main` line only.
    let c2 = repo.commit("d/a.txt", "two");
    repo.push();
    let o = cmd(d).arg("update").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = fs::read_to_string(d.join("Dockerfile")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].contains(&c) && lines[1].ends_with(" /one"),
        "{text}"
    );
    assert!(
        lines[2].contains(&c2) && lines[2].ends_with(" /two"),
        "{text}"
    );
    let o = cmd(d).arg("verify").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}
