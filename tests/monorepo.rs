//! One way to say which files a command works on, from any directory: a monorepo with a
//! compose file that builds a service, a bake file that builds a Containerfile and a
//! Dockerfile of its own, read by `images`, `sources` and `verify` from the root, from a
//! subdirectory and with `-C`. Each run finds the same files and shows the same paths,
//! relative to where it ran (GitHub annotations: to the repository), never with `..`
//! inside them; a tree with nothing to lock passes.

mod lock_support;

use std::path::Path;
use std::process::Command;

use lock_support::{bin, digest};

fn write(root: &Path, rel: &str, body: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

/// The monorepo, in a git repository, with every image pinned so `generate` needs no
/// registry. `ADD`s come later ([`add_sources`]): `generate` would fetch them.
fn monorepo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let ok = Command::new("git")
        .args(["init", "-q"])
        .current_dir(root)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git init");
    let d = digest(7);
    write(
        root,
        "compose.yaml",
        &format!(
            "services:\n  web:\n    build: ./services/web\n  db:\n    image: postgres:16@{d}\n"
        ),
    );
    write(
        root,
        "docker-bake.hcl",
        "group \"default\" {\n  targets = [\"worker\"]\n}\n\
         target \"worker\" {\n  context = \"services/worker\"\n  dockerfile = \"Containerfile\"\n}\n",
    );
    write(
        root,
        "services/web/Dockerfile",
        &format!("FROM node:20@{d}\n"),
    );
    write(
        root,
        "services/worker/Containerfile",
        &format!("FROM python:3.12@{d}\n"),
    );
    write(
        root,
        "tools/ci.Dockerfile",
        &format!("FROM alpine:3.20@{d}\n"),
    );
    dir
}

fn add_sources(root: &Path) {
    for (rel, line) in [
        (
            "services/web/Dockerfile",
            "ADD https://example.org/web.tgz /web/\n",
        ),
        (
            "services/worker/Containerfile",
            "ADD https://github.com/org/repo.git#v1 /src\n",
        ),
    ] {
        let mut body = std::fs::read_to_string(root.join(rel)).unwrap();
        body.push_str(line);
        std::fs::write(root.join(rel), body).unwrap();
    }
}

/// Exit code, stdout and stderr of a run in `dir`.
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = bin(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// No path in `out` has a `.` step, or a `..` step after a name (`a/../b`).
fn assert_tidy(out: &str) {
    for word in out.split_whitespace() {
        let parts: Vec<&str> = word.trim_matches(['(', ')', '`', ',']).split('/').collect();
        let named = parts.iter().position(|p| *p != "..").unwrap_or(parts.len());
        assert!(
            !parts.contains(&".") && !parts[named..].contains(&".."),
            "{word:?} in {out}"
        );
    }
}

/// `file:line` of each row of `images` or `sources --format json`.
fn places(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}:{}", r["file"].as_str().unwrap(), r["line"]))
        .collect()
}

fn json_places(dir: &Path, args: &[&str]) -> Vec<String> {
    let (code, out, err) = run(dir, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    assert_tidy(&places(&out).join(" "));
    places(&out)
}

// `images` and `sources` at the root of a compose project said "no Dockerfile in the
// current directory"; `sources compose.yaml` was refused, `sources services/web` gave a
// raw "Is a directory (os error 21)", `images services/worker` missed its Containerfile.
#[test]
fn images_and_sources_take_what_generate_takes() {
    let dir = monorepo();
    let root = dir.path();
    add_sources(root);
    let all_images = [
        "compose.yaml:5",
        "services/web/Dockerfile:1",
        "services/worker/Containerfile:1",
    ];
    assert_eq!(
        json_places(root, &["images", "--format", "json"]),
        all_images
    );
    let (code, table, err) = run(root, &["images"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(table.starts_with("LOCATION "), "{table}");
    assert_eq!(
        json_places(root, &["sources", "--format", "json"]),
        [
            "services/web/Dockerfile:2",
            "services/worker/Containerfile:2"
        ]
    );
    assert_eq!(
        json_places(root, &["sources", "--format", "json", "compose.yaml"]),
        ["services/web/Dockerfile:2"]
    );
    assert_eq!(
        json_places(root, &["sources", "--format", "json", "services/web"]),
        ["services/web/Dockerfile:2"]
    );
    assert_eq!(
        json_places(root, &["images", "--format", "json", "services/worker"]),
        ["services/worker/Containerfile:1"]
    );
    // A Dockerfile a compose file builds is read through it, and listed alone.
    assert_eq!(
        json_places(
            root,
            &["images", "--format", "json", "services/web/Dockerfile"]
        ),
        ["services/web/Dockerfile:1"]
    );
    let mut everything = all_images.to_vec();
    everything.push("tools/ci.Dockerfile:1");
    assert_eq!(
        json_places(root, &["images", "--format", "json", "--recursive"]),
        everything
    );
    assert_eq!(
        json_places(
            root,
            &[
                "images",
                "--format",
                "json",
                "-r",
                ".",
                "--exclude",
                "tools"
            ]
        ),
        all_images
    );
    // From a subdirectory and with -C: the same files, relative to where the run is.
    let tools = root.join("tools");
    assert_eq!(
        json_places(&tools, &["images", "--format", "json", "-r", ".."]),
        [
            "../compose.yaml:5",
            "../services/web/Dockerfile:1",
            "../services/worker/Containerfile:1",
            "ci.Dockerfile:1",
        ]
    );
    assert_eq!(
        json_places(&tools, &["-C", "..", "images", "--format", "json", "-r"]),
        everything
    );
    let web = root.join("services/web");
    assert_eq!(
        json_places(&web, &["sources", "--format", "json"]),
        ["Dockerfile:2"]
    );
    assert_eq!(
        json_places(&web, &["images", "--format", "json", "../../compose.yaml"]),
        ["../../compose.yaml:5", "Dockerfile:1"]
    );
}

// `cd services/web && dockerfile-lock verify` printed `services/web/../../compose.yaml`
// style paths, and the same as the `file=` of its GitHub annotations, which GitHub could
// not place.
#[test]
fn verify_shows_the_same_paths_from_any_directory() {
    let dir = monorepo();
    let root = dir.path();
    let (code, _, err) = run(root, &["generate", "--recursive"]);
    assert_eq!(code, 0, "{err}");
    add_sources(root);
    let web = root.join("services/web");
    let tools = root.join("tools");
    let lines = |dir: &Path, args: &[&str]| {
        let (code, out, err) = run(dir, args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert_tidy(&out);
        out
    };
    let at_root = lines(root, &["verify", "-r"]);
    assert_eq!(
        at_root,
        "services/web/Dockerfile:2: missing-lock-entry: source `https://example.org/web.tgz` \
         (built by service \"web\") is not in compose.yaml.lock\n\
         services/worker/Containerfile:2: missing-lock-entry: source \
         `https://github.com/org/repo.git#v1` (built by target \"worker\") is not in \
         docker-bake.hcl.lock\n"
    );
    assert_eq!(lines(&tools, &["-C", "..", "verify", "-r"]), at_root);
    let from_web = lines(&web, &["verify", "-r", "../.."]);
    assert!(
        from_web.contains("\nDockerfile:2: missing-lock-entry:")
            && from_web.starts_with("../worker/Containerfile:2: "),
        "{from_web}"
    );
    // The Dockerfile here is locked through the compose file above it.
    assert!(lines(&web, &["verify"]).starts_with("Dockerfile:2: missing-lock-entry: "));
    let json = lines(&tools, &["verify", "-r", "..", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["findings"][0]["path"], "../services/web/Dockerfile");
    // GitHub places annotations by their path in the repository: the same from anywhere.
    let github = lines(root, &["verify", "-r", "--format", "github"]);
    assert!(
        github.starts_with("::error file=services/web/Dockerfile,line=2,"),
        "{github}"
    );
    // `error file=…,line=…,title=…` of each annotation (the messages name the lock as
    // the run sees it).
    let places = |out: &str| -> Vec<String> {
        out.lines()
            .map(|l| l.split("::").nth(1).unwrap().to_string())
            .collect()
    };
    assert_eq!(
        places(&lines(
            &web,
            &["verify", "-r", "../..", "--format", "github"]
        )),
        places(&github)
    );
    assert_eq!(
        lines(&tools, &["-C", "..", "verify", "-r", "--format", "github"]),
        github
    );
    // Naming a directory whose Dockerfile the compose file builds means that file.
    std::fs::remove_file(root.join("compose.yaml.lock")).unwrap();
    let (code, out, _) = run(root, &["verify", "services/web"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "compose.yaml: missing-lockfile: no lock (compose.yaml.lock)\n"
    );
    let (_, out, _) = run(&web, &["verify", "--format", "github"]);
    assert_eq!(
        out,
        "::error file=compose.yaml,title=missing-lockfile::no lock (../../compose.yaml.lock)\n"
    );
}

// An org-wide CI template runs `verify --recursive` in every repository; in one with
// nothing to lock it exited 2 ("no Dockerfile found below .").
#[test]
fn a_tree_with_nothing_to_lock_passes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "docs/README.md", "no images here\n");
    let (code, out, err) = run(root, &["verify", "--recursive"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            0,
            "",
            "nothing to verify in . (no Dockerfile, Containerfile, compose or bake file)\n"
        )
    );
    let (code, _, err) = run(root, &["verify", "-r", "docs", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.starts_with("nothing to verify in docs "), "{err}");
    let (code, out, err) = run(root, &["generate", "--recursive"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            0,
            "",
            "nothing to lock in . (no Dockerfile, Containerfile, compose or bake file)\n"
        )
    );
    assert_eq!(
        std::fs::read_dir(root).unwrap().count(),
        1,
        "nothing written"
    );
    // What is named and missing stays an error.
    for args in [
        &["verify", "Dockerfile"][..],
        &["verify", "-r", "nope"],
        &["generate", "nope/Dockerfile"],
        &["verify"],
    ] {
        let (code, _, err) = run(root, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

#[test]
fn a_subdirectory_scan_finds_the_compose_and_bake_files_above_it() {
    let dir = monorepo();
    let root = dir.path();
    bin(root)
        .args(["generate", "--recursive"])
        .assert()
        .success();
    let locks = |root: &Path| {
        let mut found: Vec<String> = walk(root)
            .into_iter()
            .filter(|p| p.ends_with(".lock"))
            .collect();
        found.sort();
        found
    };
    let before = locks(root);
    // Per-team CI: the services the root files build are covered there.
    let out = bin(root)
        .args(["verify", "--recursive", "services"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(out.stdout.is_empty(), "{out:?}");
    // No redundant lock is written below: the root's locks are kept current.
    bin(root)
        .args(["generate", "--recursive", "services"])
        .assert()
        .success();
    assert_eq!(locks(root), before);
    // The same from inside the directory.
    bin(&root.join("services"))
        .args(["verify", "--recursive"])
        .assert()
        .success();
    // A change in a service is found through the compose file above.
    write(
        root,
        "services/web/Dockerfile",
        &format!("FROM node:22@{}\n", digest(8)),
    );
    let out = bin(root)
        .args(["verify", "--recursive", "services"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("services/web/Dockerfile:1"), "{stdout}");
    assert!(!stdout.contains("missing-lockfile"), "{stdout}");
}

/// Every file below `root`, relative, `/`-separated.
fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(
                    p.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out
}
