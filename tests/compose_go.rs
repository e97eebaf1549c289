//! Compose and bake files read as compose-go and `buildx bake` read them, end to end on
//! the fixture trees in `testdata/compose-go`: the uses `images` lists, the files
//! `--recursive` finds, and the errors those tools give.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// A copy of `testdata/compose-go/<name>` (the commands run in a tree of their own, not
/// in this repository's).
fn tree(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/compose-go")
            .join(name),
        dir.path(),
    );
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest: PathBuf = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("dockerfile-lock")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("TAG")
        .args(args)
        .output()
        .unwrap()
}

/// `images --format json FILE`: (file, line, reference) of each use, or the error.
fn images(dir: &Path, file: &str) -> Result<Vec<(String, u64, String)>, String> {
    let out = run(dir, &["images", "--format", "json", file]);
    if !out.status.success() {
        return Err(format!(
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Ok(rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
                r["reference"].as_str().unwrap().to_string(),
            )
        })
        .collect())
}

fn refs(rows: &[(String, u64, String)]) -> Vec<&str> {
    rows.iter().map(|r| r.2.as_str()).collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A compose file with a name of its own, named on the command line, was read as a
/// Dockerfile; a variant is layered over the default file as `-f a -f b` layers it.
#[test]
fn a_compose_file_named_on_the_command_line_is_read_as_compose_whatever_its_name() {
    let dir = tree("variants");
    let rows = images(dir.path(), "docker-compose-mysql.yml").unwrap();
    assert_eq!(refs(&rows), ["mysql:8.4"]);
    let rows = images(dir.path(), "compose.prod.yaml").unwrap();
    assert_eq!(refs(&rows), ["nginx:1.27", "alpine:3.20"], "{rows:?}");
    assert_eq!(rows[0].0, "compose.prod.yaml");
}

/// `--recursive` skipped `compose.prod.yaml`, so nothing it pins was checked.
#[test]
fn recursive_finds_compose_variants() {
    let dir = tree("variants");
    let out = run(dir.path(), &["verify", "--recursive", "."]);
    let err = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("compose.prod.yaml: missing-lockfile"), "{err}");
    assert!(err.contains("compose.yaml: missing-lockfile"), "{err}");
    assert!(!err.contains("docker-compose-mysql.yml"), "{err}");
}

/// `env_file` was not read: a project compose refuses (a missing file) was locked.
#[test]
fn env_file_is_read_inside_the_tree_and_required_false_is_honoured() {
    let dir = tree("env-file");
    let d = dir.path();
    let rows = images(d, "compose.yaml").unwrap();
    assert_eq!(refs(&rows), ["nginx:1.25", "python:3.12-slim"]);
    std::fs::remove_file(d.join("web.env")).unwrap();
    let err = images(d, "compose.yaml").unwrap_err();
    assert!(err.starts_with("exit Some(2)"), "{err}");
    assert!(err.contains("env_file") && err.contains("web.env"), "{err}");
    assert!(err.contains("compose.yaml:4"), "{err}");
    std::fs::write(d.join("web.env"), "MODE=prod\n").unwrap();
    // An optional file that leads outside the tree is not read either.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "TOKEN=s3cr3t-value\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), d.join("local.env")).unwrap();
    let err = images(d, "compose.yaml").unwrap_err();
    assert!(err.starts_with("exit Some(2)"), "{err}");
    assert!(err.contains("local.env"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");
}

/// `extends` was refused; compose-go starts the service from the one it extends, in the
/// same file or another, with that file's directory for relative paths.
#[test]
fn extends_in_the_same_file_and_another_resolves_as_compose_go_does() {
    let dir = tree("extends");
    let rows = images(dir.path(), "compose.yaml").unwrap();
    assert_eq!(
        rows,
        [
            ("compose.yaml".to_string(), 3, "alpine:3.20".to_string()),
            ("compose.yaml".to_string(), 3, "alpine:3.20".to_string()),
            (
                "common/services.yaml".to_string(),
                12,
                "busybox:1.36".to_string()
            ),
            (
                "common/api/Dockerfile".to_string(),
                2,
                "alpine:3.19".to_string()
            ),
        ],
        "{rows:?}"
    );
    // A service that extends itself, through another, is an error, not a loop.
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  a:\n    extends: b\n  b:\n    extends: a\n",
    )
    .unwrap();
    let err = images(dir.path(), "compose.yaml").unwrap_err();
    assert!(
        err.starts_with("exit Some(2)") && err.contains("leads back"),
        "{err}"
    );
}

/// `include` was refused; compose-go reads each entry as a project of its own, from its
/// directory and with its env file, and adds its services.
#[test]
fn include_adds_each_projects_services_read_from_its_own_directory() {
    let dir = tree("include");
    let d = dir.path();
    let rows = images(d, "compose.yaml").unwrap();
    let s = |f: &str, l: u64, r: &str| (f.to_string(), l, r.to_string());
    assert_eq!(
        rows,
        [
            s("db/compose.yaml", 3, "postgres:16"),
            s("tools/compose.yaml", 3, "adminer:4.8.1"),
            s("web/Dockerfile", 1, "node:20-alpine"),
            s("db/migrations/Dockerfile", 1, "flyway/flyway:10"),
        ],
        "{rows:?}"
    );
    // A service both sides define is an error, as compose makes it.
    let main = std::fs::read_to_string(d.join("compose.yaml")).unwrap();
    std::fs::write(
        d.join("compose.yaml"),
        format!("{main}  db:\n    image: mysql:8\n"),
    )
    .unwrap();
    let err = images(d, "compose.yaml").unwrap_err();
    assert!(
        err.starts_with("exit Some(2)") && err.contains("\"db\""),
        "{err}"
    );
    // An include that leads back to itself is an error, not a loop.
    std::fs::write(d.join("compose.yaml"), main).unwrap();
    std::fs::write(
        d.join("db/compose.yaml"),
        "include:\n  - ../compose.yaml\nservices:\n  db:\n    image: postgres:16\n",
    )
    .unwrap();
    let err = images(d, "compose.yaml").unwrap_err();
    assert!(
        err.starts_with("exit Some(2)") && err.contains("leads back"),
        "{err}"
    );
}

/// An included file outside the tree is not read, and nothing of it is shown.
#[test]
fn an_include_outside_the_tree_is_refused() {
    let dir = tree("include");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("compose.yaml"),
        "services:\n  x:\n    image: s3cr3t/leak:1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!(
            "include:\n  - {}\nservices:\n  web:\n    build: web\n",
            outside.path().join("compose.yaml").display()
        ),
    )
    .unwrap();
    let err = images(dir.path(), "compose.yaml").unwrap_err();
    assert!(err.starts_with("exit Some(2)"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");
}

/// `matrix` was refused; buildx builds one target per combination, each with its own
/// stage, so each stage's base is used.
#[test]
fn a_bake_matrix_is_expanded_into_one_build_per_combination() {
    let dir = tree("bake-matrix");
    let rows = images(dir.path(), "docker-bake.hcl").unwrap();
    assert_eq!(
        rows,
        [
            ("Dockerfile".to_string(), 1, "debian:12-slim".to_string()),
            ("Dockerfile".to_string(), 2, "alpine:3.20".to_string()),
        ],
        "{rows:?}"
    );
}

/// Includes that fan out (each file including the next ten times) stop at the cap on
/// files read, quickly, rather than reading ten to the power of the depth.
#[test]
fn includes_that_fan_out_stop_at_a_cap() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for level in 0..8 {
        let entries: String = (0..10)
            .map(|_| format!("  - f{}.yaml\n", level + 1))
            .collect();
        let name = if level == 0 {
            "compose.yaml".to_string()
        } else {
            format!("f{level}.yaml")
        };
        std::fs::write(d.join(name), format!("include:\n{entries}services: {{}}\n")).unwrap();
    }
    std::fs::write(d.join("f8.yaml"), "services: {}\n").unwrap();
    let started = std::time::Instant::now();
    let err = images(d, "compose.yaml").unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(
        err.starts_with("exit Some(2)") && err.contains("more than 256 files"),
        "{err}"
    );
}

/// A file `extends` names outside the tree is not read, and nothing of it is shown.
#[test]
fn extends_from_a_file_outside_the_tree_is_refused() {
    let dir = tree("extends");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("base.yaml"),
        "services:\n  b:\n    image: s3cr3t/leak:1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!(
            "services:\n  a:\n    extends:\n      file: {}\n      service: b\n",
            outside.path().join("base.yaml").display()
        ),
    )
    .unwrap();
    let err = images(dir.path(), "compose.yaml").unwrap_err();
    assert!(
        err.starts_with("exit Some(2)") && err.contains("compose.yaml:4"),
        "{err}"
    );
    assert!(!err.contains("s3cr3t"), "{err}");
}
