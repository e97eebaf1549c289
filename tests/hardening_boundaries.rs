//! Boundaries a hostile file or host must not cross: credentials answer only their own
//! registry's challenge; a recursive search reads nothing through a symlink that leaves
//! the tree; no message prints a file whole or passes a terminal escape through; two runs
//! at once both finish with whole locks; an unreadable lock is explained in plain words.

mod hardening_common;
mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use hardening_common::{bin, Record};
use support::http::{Reply, Server};
use support::images::ImageKind;
use support::registry::{basic, Auth, Registry};

const USER: &str = "ci-bot";
const PASSWORD: &str = "pw-31c9e0-UNIQUE-crosshost";
const EMPTY_LOCK: &str = "version: 1\ndockerfile: Dockerfile\nimages: []\n";

fn cli(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(dir)
        .env("DOCKER_CONFIG", dir.join(".docker"))
        .env_remove("DOCKERFILE_LOCK_REGISTRY_MIRRORS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out: Output = cli(dir, args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// No byte that drives a terminal: every control character but the newline.
fn assert_no_control(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(
        bad.is_empty(),
        "{what} passes {bad:?} through raw:\n{text:?}"
    );
}

#[test]
fn credentials_never_answer_a_challenge_from_another_host() {
    let mut rec = Record::new(
        "no secret leaked",
        "registry with Basic credentials redirects (307) to another host, which asks for a Bearer token from its own realm",
    );
    // B: asks for a token from its own realm, and hands out anything asked for.
    let b = Server::start(|req| {
        if req.target.starts_with("/token") {
            Reply::new(200).body(r#"{"token":"stolen","expires_in":300}"#)
        } else {
            let realm = format!(
                r#"Bearer realm="http://{}/token",service="b""#,
                req.header("host").unwrap_or("")
            );
            Reply::new(401).header("WWW-Authenticate", &realm)
        }
    });
    let b_host = b.host();
    // A: the registry the credentials are for; redirects every request to B.
    let a = Server::start(move |req| {
        Reply::new(307).header("Location", &format!("http://{b_host}{}", req.target))
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".docker")).unwrap();
    let config = serde_json::json!({"auths": {a.host(): {"username": USER, "password": PASSWORD}}});
    std::fs::write(dir.path().join(".docker/config.json"), config.to_string()).unwrap();
    for args in [
        vec!["resolve".to_string(), format!("{}/app:1", a.host())],
        vec![
            "resolve".to_string(),
            "-vv".into(),
            format!("{}/app:1", a.host()),
        ],
    ] {
        rec.tried();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = run(dir.path(), &args);
        assert_eq!(code, 2, "{stdout}{stderr}");
        assert!(
            stderr.contains(&a.host()) && stderr.contains(&b.host()),
            "the error names both hosts:\n{stderr}"
        );
        assert!(stderr.contains("never sent to another host"), "{stderr}");
        assert!(!stderr.contains(PASSWORD) && !stdout.contains(PASSWORD));
    }
    let secret = basic(USER, PASSWORD);
    for req in b.requests() {
        assert_ne!(
            req.header("authorization"),
            Some(secret.as_str()),
            "{} {} at {} carried the credentials for {}",
            req.method,
            req.target,
            b.host(),
            a.host()
        );
        assert!(
            !req.target.starts_with("/token"),
            "B's realm was asked for a token"
        );
    }
    assert!(!b.requests().is_empty(), "the redirect was followed to B");
    rec.outcome(
        "B's realm is never asked; no request to B carries A's credentials; exit 2 naming both hosts",
    );
}

#[cfg(unix)]
#[test]
fn a_recursive_search_reads_nothing_through_a_symlink_out_of_the_tree() {
    use std::os::unix::fs::symlink;
    let mut rec = Record::new(
        "no secret leaked",
        "`verify`/`generate` with --recursive or a directory argument, over Dockerfiles that are symlinks to /proc/self/environ and to a credentials file outside the tree",
    );
    const CANARY: &str = "canary-5d0e77-UNIQUE-environ";
    let outside = tempfile::tempdir().unwrap();
    let creds = outside.path().join(".git-credentials");
    std::fs::write(&creds, format!("https://bot:{CANARY}@git.example\n")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["env", "creds", "inside", "real"] {
        std::fs::create_dir(d.join(sub)).unwrap();
    }
    symlink("/proc/self/environ", d.join("env/Dockerfile")).unwrap();
    symlink(&creds, d.join("creds/Dockerfile")).unwrap();
    std::fs::write(d.join("real/Dockerfile"), "FROM scratch\n").unwrap();
    // A link that stays inside the tree is read as before.
    symlink("../real/Dockerfile", d.join("inside/Dockerfile")).unwrap();
    for cmd in ["verify", "generate"] {
        rec.tried();
        let out = cli(d, &[cmd, "--recursive"])
            .env("CANARY_SECRET", CANARY)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {stdout}{stderr}");
        assert!(
            !stderr.contains(CANARY) && !stdout.contains(CANARY),
            "{cmd} leaks:\n{stderr}"
        );
        for link in ["env/Dockerfile", "creds/Dockerfile"] {
            assert!(
                stderr.contains(&format!(
                    "refusing to read {link}: it is a symlink leading outside"
                )),
                "{cmd}: the error names the link {link}:\n{stderr}"
            );
        }
        assert!(!stderr.contains("inside/Dockerfile"), "{stderr}");
    }
    // A directory argument means its Dockerfile, under the same rule.
    for (cmd, dir, link) in [
        ("verify", "env", "env/Dockerfile"),
        ("generate", "creds/", "creds/Dockerfile"),
    ] {
        rec.tried();
        let (code, stdout, stderr) = run(d, &[cmd, dir]);
        assert_eq!(code, 2, "{cmd} {dir}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!("refusing to read {link}")),
            "{stderr}"
        );
        assert!(!stderr.contains(CANARY), "{stderr}");
    }
    std::fs::remove_file(d.join("env/Dockerfile")).unwrap();
    std::fs::remove_file(d.join("creds/Dockerfile")).unwrap();
    let (code, _, stderr) = run(d, &["generate", "--recursive"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(d.join("inside/Dockerfile.lock").exists());
    rec.outcome(
        "exit 2 naming each link; nothing read through it; a link within the tree still works",
    );
}

#[test]
fn messages_quote_a_short_escaped_excerpt_only() {
    let mut rec = Record::new(
        "no secret leaked",
        "a named Dockerfile whose first line is one 64 KiB word (a file that is no Dockerfile, e.g. an environment dump)",
    );
    const TAIL: &str = "tail-9a1f3c-UNIQUE-secret";
    let dir = tempfile::tempdir().unwrap();
    let word = format!(
        "PATH=/usr/bin\0HOME=/root\0{}{TAIL}",
        "X=1\0".repeat(16 << 10)
    );
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("{word}\nFROM scratch\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("Dockerfile.lock"), EMPTY_LOCK).unwrap();
    for cmd in ["images", "verify", "generate"] {
        rec.tried();
        let (code, _, stderr) = run(dir.path(), &[cmd, "Dockerfile"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("unknown instruction"), "{stderr}");
        assert!(!stderr.contains(TAIL), "{cmd} prints the whole line");
        assert!(stderr.len() < 400, "{cmd}: {} bytes of error", stderr.len());
        assert_no_control(cmd, &stderr);
    }
    rec.outcome("the error quotes at most 24 escaped characters of the line (< 400 bytes in all)");
}

#[test]
fn terminal_escapes_in_files_never_reach_the_terminal_raw() {
    let mut rec = Record::new(
        "no secret leaked",
        "OSC/CSI escapes and C1 controls in a Dockerfile keyword, a lock key and a Dockerfile's file name; text and github output",
    );
    let escape = "\x1b]0;pwned\x07\x1b[2J\u{9b}31m";
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("Dockerfile"), format!("FORM{escape} alpine\n")).unwrap();
    std::fs::write(d.join("Dockerfile.lock"), EMPTY_LOCK).unwrap();
    rec.tried();
    let (code, _, stderr) = run(d, &["verify", "Dockerfile"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("\\x1b]0;pwned\\x07"),
        "shown escaped: {stderr}"
    );
    assert_no_control("a Dockerfile keyword", &stderr);

    std::fs::write(d.join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(
        d.join("Dockerfile.lock"),
        "version: 1\ndockerfile: Dockerfile\n\"\\e]0;pwned\\a\": 1\nimages: []\n",
    )
    .unwrap();
    rec.tried();
    let (code, _, stderr) = run(d, &["verify", "Dockerfile"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown key"), "{stderr}");
    assert_no_control("a lock key", &stderr);

    std::fs::remove_file(d.join("Dockerfile.lock")).unwrap();
    let named = format!("app{escape}.Dockerfile");
    std::fs::rename(d.join("Dockerfile"), d.join(&named)).unwrap();
    for format in ["text", "github", "json"] {
        rec.tried();
        let (code, stdout, stderr) = run(d, &["verify", "--recursive", "--format", format]);
        assert_eq!(code, 1, "a missing lock: {stdout}{stderr}");
        assert!(stdout.contains("missing-lockfile"), "{stdout}");
        assert_no_control(format, &stdout);
        assert_no_control(format, &stderr);
    }
    rec.outcome("every control character shown escaped (`\\x1b`, `\\u{9b}`) on stderr and in text/github/json findings");
}

#[test]
fn two_generate_runs_at_once_both_succeed_with_whole_locks() {
    let mut rec = Record::new(
        "nothing lost",
        "two `generate --recursive` processes at once on one tree (40 Dockerfiles in 4 directories), 6 rounds",
    );
    let registry = Registry::start(Auth::Anonymous);
    let img = registry.push_image("app", "1", ImageKind::Schema2);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut dockerfiles = Vec::new();
    for sub in 0..4 {
        std::fs::create_dir(d.join(format!("s{sub}"))).unwrap();
        for i in 0..10 {
            let name = format!("s{sub}/d{i}.Dockerfile");
            std::fs::write(
                d.join(&name),
                format!(
                    "FROM {} AS a\nFROM scratch\nCOPY --from=a / /\n",
                    registry.image("app", "1")
                ),
            )
            .unwrap();
            dockerfiles.push(name);
        }
    }
    for round in 0..6 {
        for f in &dockerfiles {
            let _ = std::fs::remove_file(d.join(format!("{f}.lock")));
        }
        let children: Vec<_> = (0..2)
            .map(|_| cli(d, &["generate", "--recursive"]).spawn().unwrap())
            .collect();
        for child in children {
            rec.tried();
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        for f in &dockerfiles {
            let lock = d.join(format!("{f}.lock"));
            let parsed = dockerfile_lock::lockfile::read(&lock)
                .unwrap_or_else(|e| panic!("round {round}: {f}.lock: {e}"))
                .unwrap_or_else(|| panic!("round {round}: no {f}.lock"));
            let digests: Vec<String> = parsed
                .images
                .values()
                .map(|e| e.digest.to_string())
                .collect();
            assert_eq!(
                digests,
                std::slice::from_ref(&img.digest),
                "round {round}: {f}.lock"
            );
        }
        for sub in 0..4 {
            for e in std::fs::read_dir(d.join(format!("s{sub}"))).unwrap() {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                assert!(!name.contains(".tmp-"), "round {round}: {name} left behind");
            }
        }
    }
    rec.outcome("both exit 0 every round; all 40 locks whole and correct; no temp file left");
}

#[test]
fn unreadable_locks_are_explained_in_plain_words() {
    let mut rec = Record::new(
        "parsers",
        "locks with a duplicate key, 250,000 YAML values, an alias, git conflict markers",
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("Dockerfile"), "FROM scratch\n").unwrap();
    let mut huge = String::from("version: 1\ndockerfile: Dockerfile\nimages:\n");
    for _ in 0..130_000 {
        huge.push_str("  - [a, b]\n");
    }
    let conflict =
        "# @generated by dockerfile-lock. Do not edit; run `dockerfile-lock generate`.\n\
        version: 1\ndockerfile: Dockerfile\nimages:\n<<<<<<< HEAD\n  - name: alpine:3.20\n\
        =======\n  - name: alpine:3.21\n>>>>>>> topic\n";
    let cases: [(&str, String, &str, usize); 4] = [
        (
            "duplicate",
            "version: 1\nversion: 1\ndockerfile: Dockerfile\nimages: []\n".into(),
            "`version` appears twice",
            2,
        ),
        ("huge", huge, "too large to be a lock", 0),
        (
            "alias",
            "version: 1\ndockerfile: &d Dockerfile\nbuild-args: {A: *d}\nimages: []\n".into(),
            "",
            0,
        ),
        (
            "conflict",
            conflict.into(),
            "the lock holds git merge conflict markers",
            5,
        ),
    ];
    for (name, text, want, line) in cases {
        std::fs::write(d.join("Dockerfile.lock"), &text).unwrap();
        for cmd in ["verify", "generate"] {
            rec.tried();
            let (code, _, stderr) = run(d, &[cmd, "Dockerfile"]);
            if name == "alias" && code == 0 {
                continue; // a harmless alias may be read; what matters is the wording
            }
            assert_eq!(code, 2, "{name}: {stderr}");
            for library_words in [
                "DuplicateKeyPolicy",
                "Options",
                "budget breached",
                "Nodes {",
                "{ nodes",
            ] {
                assert!(!stderr.contains(library_words), "{name}: {stderr}");
            }
            assert!(stderr.contains(want), "{name}: {stderr}");
            if line > 0 {
                assert!(
                    stderr.contains(&format!("Dockerfile.lock:{line}")),
                    "{name}: {stderr}"
                );
            }
            if name == "conflict" {
                assert!(
                    stderr.contains("help:") && stderr.contains("dockerfile-lock generate"),
                    "{stderr}"
                );
            }
        }
    }
    rec.outcome("exit 2 with the file and line; no YAML library wording; conflict markers named, with how to regenerate");
}
