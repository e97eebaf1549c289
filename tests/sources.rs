//! The sources `ADD` fetches, end to end against real servers on 127.0.0.1: a small HTTP
//! server whose bytes the test changes, and `git daemon` serving a repository with a
//! branch, a lightweight tag and an annotated tag. `generate` locks the sha256 and the
//! commits, `verify --online` reports `source-drift` when the bytes change and the refs
//! move, `update` locks the new ones; offline `verify` finds missing and stale entries.

mod lock_support;
mod support;

use std::fs;
use std::path::Path;

use dockerfile_lock::lockfile::{self, Lock, SourcePin};
use lock_support::bin;
use sha2::{Digest as _, Sha256};
use support::sources::{GitServer, HttpServer, Repo};

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The binary with git isolated from the machine's configuration.
fn cmd(dir: &Path) -> assert_cmd::Command {
    let mut c = bin(dir);
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env_remove("NETRC")
        .env_remove("DOCKERFILE_LOCK_MAX_SOURCE_SIZE");
    c
}

fn lock(dir: &Path) -> Lock {
    lockfile::read(&dir.join("Dockerfile.lock"))
        .unwrap()
        .unwrap()
}

fn commit_of(lock: &Lock, url: &str) -> String {
    match &lock.sources[url].pin {
        SourcePin::Git { commit, .. } => commit.clone(),
        other => panic!("{url}: {other:?}"),
    }
}

fn checksum_of(lock: &Lock, url: &str) -> String {
    match &lock.sources[url].pin {
        SourcePin::Http { checksum } => checksum.to_string(),
        other => panic!("{url}: {other:?}"),
    }
}

/// A repository with `main`, a lightweight tag `v1` and an annotated tag `v2`.
fn tagged_repo(git: &GitServer) -> Repo {
    let repo = git.repo("tool");
    repo.commit("a.txt", "one");
    repo.git(&["tag", "v1"]);
    repo.commit("a.txt", "two");
    repo.git(&["tag", "-a", "v2", "-m", "release two"]);
    repo.commit("a.txt", "three");
    repo.push();
    repo
}

fn stdout(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn generate_verify_drift_and_update() {
    let http = HttpServer::start();
    http.set("tool-1.2.tar.gz", b"first bytes");
    let git = GitServer::start();
    let repo = tagged_repo(&git);
    let dir = tempfile::tempdir().unwrap();
    let file_url = http.url("tool-1.2.tar.gz");
    let (main, v1, v2) = (
        format!("{}#main", repo.url),
        format!("{}#v1", repo.url),
        format!("{}#v2:sub", repo.url),
    );
    let dockerfile = format!(
        "FROM scratch AS build\n\
         ARG V=1.2\n\
         ADD {} /opt/\n\
         ADD {main} /main\n\
         ADD {v1} /v1\n\
         ADD {v2} /v2\n\
         ADD {} /head\n\
         ADD local.txt /local\n",
        file_url.replace("1.2", "${V}"),
        repo.url,
    );
    fs::write(dir.path().join("Dockerfile"), &dockerfile).unwrap();

    cmd(dir.path()).arg("generate").assert().code(0);
    let locked = lock(dir.path());
    assert_eq!(locked.sources.len(), 5, "{:?}", locked.sources.keys());
    assert_eq!(checksum_of(&locked, &file_url), sha256(b"first bytes"));
    assert_eq!(commit_of(&locked, &main), repo.git(&["rev-parse", "main"]));
    assert_eq!(commit_of(&locked, &v1), repo.git(&["rev-parse", "v1"]));
    let v2_commit = repo.git(&["rev-parse", "v2^{commit}"]);
    assert_ne!(v2_commit, repo.git(&["rev-parse", "v2"]), "v2 is annotated");
    assert_eq!(
        commit_of(&locked, &v2),
        v2_commit,
        "the commit, not the tag object"
    );
    assert_eq!(
        commit_of(&locked, &repo.url),
        repo.git(&["rev-parse", "HEAD"])
    );
    let text = fs::read_to_string(dir.path().join("Dockerfile.lock")).unwrap();
    assert!(text.contains("version: 1\n"), "still version 1:\n{text}");
    assert!(
        text.contains("      - {kind: add, stage: build}\n"),
        "{text}"
    );

    cmd(dir.path()).arg("verify").assert().code(0).stdout("");
    cmd(dir.path())
        .args(["verify", "--online"])
        .assert()
        .code(0)
        .stdout("");

    // Upstream changes: other bytes, a new commit on main, v1 moved; v2 stays.
    http.set("tool-1.2.tar.gz", b"second bytes");
    let new_main = repo.commit("a.txt", "four");
    repo.git(&["tag", "-f", "v1"]);
    repo.push();
    let out = cmd(dir.path())
        .args(["verify", "--online"])
        .assert()
        .code(1);
    let report = stdout(&out);
    let drift: Vec<&str> = report
        .lines()
        .filter(|l| l.contains(": source-drift: "))
        .collect();
    assert_eq!(drift.len(), 4, "{report}");
    assert!(
        drift[0].starts_with("Dockerfile:3: source-drift: "),
        "{report}"
    );
    assert!(
        drift[0].contains(&sha256(b"first bytes")) && drift[0].contains(&sha256(b"second bytes"))
    );
    assert!(report.contains(&new_main), "{report}");
    assert!(
        !report.contains("Dockerfile:6:"),
        "v2 did not move: {report}"
    );
    // Offline verify still agrees: the Dockerfile and the lock did not change.
    cmd(dir.path()).arg("verify").assert().code(0);
    let json = cmd(dir.path())
        .args(["verify", "--online", "--format", "json"])
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["findings"][0]["code"], "source-drift");
    assert_eq!(v["findings"][0]["kind"], "source");

    let out = cmd(dir.path()).arg("update").assert().code(0);
    // Text shows digests short, as `docker` shows IDs.
    assert!(stdout(&out).contains(&format!("{file_url}: {}", &sha256(b"first bytes")[..19])));
    let updated = lock(dir.path());
    assert_eq!(checksum_of(&updated, &file_url), sha256(b"second bytes"));
    assert_eq!(commit_of(&updated, &main), new_main);
    assert_eq!(commit_of(&updated, &v1), new_main);
    assert_eq!(commit_of(&updated, &v2), v2_commit);
    cmd(dir.path())
        .args(["verify", "--online"])
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn offline_verify_finds_missing_and_stale_sources() {
    let http = HttpServer::start();
    http.set("a.bin", b"a");
    http.set("b.bin", b"b");
    let dir = tempfile::tempdir().unwrap();
    let df = dir.path().join("Dockerfile");
    fs::write(&df, format!("FROM scratch\nADD {} /a\n", http.url("a.bin"))).unwrap();
    cmd(dir.path()).arg("generate").assert().code(0);
    fs::write(&df, format!("FROM scratch\nADD {} /b\n", http.url("b.bin"))).unwrap();
    let out = cmd(dir.path())
        .args(["verify", "--format", "json"])
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let got: Vec<(&str, &str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("missing-lock-entry", "Dockerfile", "source"),
            ("stale-lock-entry", "Dockerfile.lock", "source"),
        ]
    );
    assert_eq!(findings[0]["line"], 2);
    assert!(findings[1]["message"].as_str().unwrap().contains("a.bin"));
    // --require-pinned: neither locked nor --checksum.
    let out = cmd(dir.path())
        .args(["verify", "--require-pinned"])
        .assert()
        .code(1);
    assert!(stdout(&out).contains("Dockerfile:2: unpinned: `ADD http://127.0.0.1:"));
}

#[test]
fn a_written_checksum_must_match_the_bytes() {
    let http = HttpServer::start();
    http.set("a.bin", b"served");
    let dir = tempfile::tempdir().unwrap();
    let wrong = sha256(b"other");
    fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM scratch\nADD --checksum={wrong} {} /a\n",
            http.url("a.bin")
        ),
    )
    .unwrap();
    cmd(dir.path())
        .arg("generate")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is pinned to"))
        .stderr(predicates::str::contains("Dockerfile:2"));
    assert!(
        !dir.path().join("Dockerfile.lock").exists(),
        "nothing written"
    );
    let right = sha256(b"served");
    fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM scratch\nADD --checksum={right} {} /a\n",
            http.url("a.bin")
        ),
    )
    .unwrap();
    cmd(dir.path()).arg("generate").assert().code(0);
    cmd(dir.path())
        .args(["verify", "--require-pinned"])
        .assert()
        .code(0);
}

#[test]
fn downloads_are_bounded() {
    let http = HttpServer::start();
    http.set("sized.bin", &[7u8; 4096]);
    http.set_unsized("streamed.bin", &[7u8; 4096]);
    for name in ["sized.bin", "streamed.bin"] {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("Dockerfile"),
            format!("FROM scratch\nADD {} /a\n", http.url(name)),
        )
        .unwrap();
        cmd(dir.path())
            .arg("generate")
            .env("DOCKERFILE_LOCK_MAX_SOURCE_SIZE", "1K")
            .assert()
            .code(2)
            .stderr(predicates::str::contains(
                "the download is larger than the 1 KiB limit for ADD sources",
            ))
            .stderr(predicates::str::contains("DOCKERFILE_LOCK_MAX_SOURCE_SIZE"));
        cmd(dir.path())
            .arg("generate")
            .env("DOCKERFILE_LOCK_MAX_SOURCE_SIZE", "4K")
            .assert()
            .code(0);
        assert_eq!(
            checksum_of(&lock(dir.path()), &http.url(name)),
            sha256(&[7u8; 4096])
        );
    }
}

#[test]
fn netrc_logins_are_used_and_never_shown() {
    let http = HttpServer::start();
    http.set("private.bin", b"secret bytes");
    http.require_basic("robot", "s3cret-token");
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM scratch\nADD {} /a\n", http.url("private.bin")),
    )
    .unwrap();
    let out = cmd(dir.path()).arg("generate").assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("401") && err.contains("~/.netrc"), "{err}");
    let netrc = dir.path().join("netrc");
    fs::write(
        &netrc,
        format!(
            "machine {} login robot password s3cret-token\n",
            http.host()
        ),
    )
    .unwrap();
    let out = cmd(dir.path())
        .arg("generate")
        .env("NETRC", &netrc)
        .args(["-v"])
        .assert()
        .code(0);
    let all = format!(
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.get_output().stderr)
    );
    assert!(!all.contains("s3cret-token"), "{all}");
    let text = fs::read_to_string(dir.path().join("Dockerfile.lock")).unwrap();
    assert!(!text.contains("s3cret-token") && !text.contains("robot"));
    assert_eq!(
        checksum_of(&lock(dir.path()), &http.url("private.bin")),
        sha256(b"secret bytes")
    );
}

#[test]
fn git_failures_are_errors_naming_the_ref() {
    let git = GitServer::start();
    let repo = tagged_repo(&git);
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM scratch\nADD {}#no-such-tag /src\n", repo.url),
    )
    .unwrap();
    cmd(dir.path())
        .arg("generate")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "the repository has no ref no-such-tag",
        ));
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM scratch\nADD {}?ref=v1&bogus=1 /src\n", repo.url),
    )
    .unwrap();
    cmd(dir.path())
        .arg("generate")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unexpected query \"bogus\""))
        .stderr(predicates::str::contains("Dockerfile:2"));
}

#[test]
fn update_moves_lines_rewrite_pinned() {
    let http = HttpServer::start();
    http.set("a.bin", b"old");
    let git = GitServer::start();
    let repo = tagged_repo(&git);
    let dir = tempfile::tempdir().unwrap();
    let df = dir.path().join("Dockerfile");
    let v1 = format!("{}#v1", repo.url);
    fs::write(
        &df,
        format!(
            "FROM scratch\nADD {} /a\nADD {v1} /src\n",
            http.url("a.bin")
        ),
    )
    .unwrap();
    cmd(dir.path()).arg("generate").assert().code(0);
    cmd(dir.path()).arg("rewrite").assert().code(0);
    let old_v1 = repo.git(&["rev-parse", "v1"]);
    // No `# syntax=`: the builder's frontend reads `--checksum`, and `#<commit>` for git.
    assert_eq!(
        fs::read_to_string(&df).unwrap(),
        format!(
            "FROM scratch\nADD --checksum={} {} /a\nADD {}#{old_v1} /src\n",
            sha256(b"old"),
            http.url("a.bin"),
            repo.url
        )
    );
    cmd(dir.path()).arg("verify").assert().code(0).stdout("");

    http.set("a.bin", b"new");
    let new_v1 = repo.commit("a.txt", "moved");
    repo.git(&["tag", "-f", "v1"]);
    repo.push();
    cmd(dir.path())
        .args(["verify", "--online"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("source-drift"));
    cmd(dir.path()).arg("update").assert().code(0);
    assert_eq!(
        fs::read_to_string(&df).unwrap(),
        format!(
            "FROM scratch\nADD --checksum={} {} /a\nADD {}#{new_v1} /src\n",
            sha256(b"new"),
            http.url("a.bin"),
            repo.url
        )
    );
    assert_eq!(commit_of(&lock(dir.path()), &v1), new_v1);
    cmd(dir.path())
        .args(["verify", "--online"])
        .assert()
        .code(0);
    cmd(dir.path())
        .args(["rewrite", "--unpin"])
        .assert()
        .code(0);
    assert_eq!(
        fs::read_to_string(&df).unwrap(),
        format!(
            "FROM scratch\nADD {} /a\nADD {v1} /src\n",
            http.url("a.bin")
        )
    );
}

#[test]
fn a_netrc_login_is_not_sent_to_the_host_a_redirect_names() {
    let first = HttpServer::start();
    let other = HttpServer::start();
    other.set("file.bin", b"elsewhere");
    // `localhost` is another host than `127.0.0.1` to the client, as to curl.
    let elsewhere = other.url("file.bin").replace("127.0.0.1", "localhost");
    first.redirect("file.bin", &elsewhere);
    let dir = tempfile::tempdir().unwrap();
    let netrc = dir.path().join("netrc");
    fs::write(
        &netrc,
        "machine 127.0.0.1 login robot password s3cret-token\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM scratch\nADD {} /a\n", first.url("file.bin")),
    )
    .unwrap();
    cmd(dir.path())
        .arg("generate")
        .env("NETRC", &netrc)
        .assert()
        .code(0);
    assert_eq!(
        first.seen_auth(),
        [None],
        "the URL's own host gets the login only when it asks"
    );
    assert_eq!(other.seen_auth(), [None], "the other host does not");
    assert_eq!(
        checksum_of(&lock(dir.path()), &first.url("file.bin")),
        sha256(b"elsewhere")
    );
}

#[test]
fn git_refs_are_resolved_through_the_users_git_configuration() {
    let git = GitServer::start();
    let repo = tagged_repo(&git);
    let dir = tempfile::tempdir().unwrap();
    // The user's git rewrites the Dockerfile's host to the server (as `insteadOf` and
    // credential helpers apply to `git clone`); the lock keeps the URL as written.
    let config = dir.path().join("gitconfig");
    fs::write(
        &config,
        format!(
            "[url \"git://127.0.0.1:{}/\"]\n\tinsteadOf = git://git.example.invalid/\n",
            git.port
        ),
    )
    .unwrap();
    let url = "git://git.example.invalid/tool.git#v1";
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM scratch\nADD {url} /src\n"),
    )
    .unwrap();
    cmd(dir.path())
        .arg("generate")
        .env("GIT_CONFIG_GLOBAL", &config)
        .assert()
        .code(0);
    assert_eq!(
        commit_of(&lock(dir.path()), url),
        repo.git(&["rev-parse", "v1"])
    );
    // Without that configuration the host does not resolve: an error, nothing written.
    fs::remove_file(dir.path().join("Dockerfile.lock")).unwrap();
    cmd(dir.path())
        .arg("generate")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cannot resolve git://git.example.invalid/tool.git ref v1",
        ));
    assert!(!dir.path().join("Dockerfile.lock").exists());
}
