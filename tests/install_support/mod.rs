//! What the install tests share: the wheel (built once per test binary, or named by
//! DOCKERFILE_LOCK_WHEEL), a PEP 503 simple index served by `python3 -m http.server` on
//! 127.0.0.1, and locked/stale fixture trees.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

pub const ALPINE: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const BUSYBOX: &str = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

/// Debian's interpreter: the one users' `python3 -m venv` and `pipx` run on.
pub const SYSTEM_PYTHON: &str = "/usr/bin/python3";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The release wheel. .ci/run builds it once and names it in DOCKERFILE_LOCK_WHEEL;
/// otherwise the first test to ask builds it with scripts/wheel.
pub fn wheel() -> &'static Path {
    static WHEEL: OnceLock<PathBuf> = OnceLock::new();
    WHEEL.get_or_init(|| {
        if let Some(w) = std::env::var_os("DOCKERFILE_LOCK_WHEEL") {
            return PathBuf::from(w);
        }
        let out = Command::new(root().join("scripts/wheel"))
            .current_dir(root())
            .output()
            .expect("scripts/wheel runs");
        assert!(out.status.success(), "scripts/wheel:\n{}", text(&out));
        let wheels: Vec<PathBuf> = std::fs::read_dir(root().join("target/wheels"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "whl"))
            .collect();
        assert_eq!(wheels.len(), 1, "{wheels:?}");
        wheels[0].clone()
    })
}

pub fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// A PEP 503 simple index on 127.0.0.1 serving the wheel and setuptools (pip builds a
/// `language: python` hook repository with it), plus `releases/v<version>/SHA256SUMS`
/// as GitHub Releases would. The server is killed on drop.
pub struct Index {
    pub dir: tempfile::TempDir,
    pub url: String,
    child: Child,
    log: PathBuf,
}

impl Index {
    pub fn start() -> Index {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let files = d.join("files");
        std::fs::create_dir_all(&files).unwrap();
        let mut projects: Vec<(String, PathBuf)> =
            vec![("dockerfile-lock".into(), wheel().to_path_buf())];
        projects.push(("setuptools".into(), setuptools_wheel()));
        let mut root_links = String::new();
        for (project, src) in &projects {
            let name = src.file_name().unwrap().to_str().unwrap();
            std::fs::copy(src, files.join(name)).unwrap();
            let sum = sha256_hex(src);
            let page = d.join("simple").join(project);
            std::fs::create_dir_all(&page).unwrap();
            std::fs::write(
                page.join("index.html"),
                format!("<!DOCTYPE html><html><body><a href=\"../../files/{name}#sha256={sum}\">{name}</a></body></html>\n"),
            )
            .unwrap();
            root_links.push_str(&format!("<a href=\"{project}/\">{project}</a>\n"));
        }
        std::fs::write(
            d.join("simple/index.html"),
            format!("<!DOCTYPE html><html><body>{root_links}</body></html>\n"),
        )
        .unwrap();
        let version = env!("CARGO_PKG_VERSION");
        let releases = d.join("releases").join(format!("v{version}"));
        std::fs::create_dir_all(&releases).unwrap();
        let whl = wheel().file_name().unwrap().to_str().unwrap();
        std::fs::write(
            releases.join("SHA256SUMS"),
            format!("{}  {whl}\n", sha256_hex(wheel())),
        )
        .unwrap();

        let log = d.join("server.log");
        let mut child = Command::new(SYSTEM_PYTHON)
            .args([
                "-u",
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(d)
            .arg("0")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("python3 -m http.server starts");
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .split(" port ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("http.server said: {line}"));
        Index {
            url: format!("http://127.0.0.1:{port}"),
            dir,
            child,
            log,
        }
    }

    /// What the server logged: one line per request.
    pub fn requests(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Pip's settings for this index alone: no user or site pip.conf, no extra index, no
    /// cache, so nothing can come from PyPI.
    pub fn pip_env(&self, cmd: &mut Command) {
        cmd.env("PIP_INDEX_URL", format!("{}/simple/", self.url))
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("PIP_NO_CACHE_DIR", "1")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env_remove("PIP_EXTRA_INDEX_URL")
            .env_remove("PIP_FIND_LINKS")
            .env_remove("PIP_NO_INDEX")
            // virtualenv (pre-commit makes the hook environment with it) would otherwise
            // check PyPI for newer seed wheels in the background.
            .env("VIRTUALENV_NO_PERIODIC_UPDATE", "1");
    }
}

impl Drop for Index {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// setuptools as the pre-commit framework's own virtualenv embeds it: on this machine
/// without the network, and recent enough to need no `wheel` package.
fn setuptools_wheel() -> PathBuf {
    let python = std::env::var("DOCKERFILE_LOCK_PYTHON")
        .unwrap_or_else(|_| root().join(".venv/bin/python").display().to_string());
    let out = Command::new(&python)
        .args([
            "-c",
            "import virtualenv.seed.wheels.embed as e, os; print(os.path.dirname(e.__file__))",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    assert!(
        out.status.success(),
        "virtualenv (a pre-commit dependency) must be importable: {}",
        text(&out)
    );
    let dir = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("setuptools-")
        })
        .collect();
    found.sort();
    found
        .pop()
        .unwrap_or_else(|| panic!("no setuptools wheel in {}", dir.display()))
}

pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
}

/// A git repository whose Dockerfile and lock agree.
pub fn locked_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("Dockerfile"),
        format!("FROM alpine:3.20@{ALPINE} AS base\nRUN true\n"),
    )
    .unwrap();
    // A reference pinned in the Dockerfile is locked without the network.
    let out = Command::new(env!("CARGO_BIN_EXE_dockerfile-lock"))
        .arg("generate")
        .current_dir(d)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    git(d, &["init", "-q"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "locked"]);
    dir
}

/// Add an image on line 2 without regenerating the lock.
pub fn make_stale(d: &Path) {
    std::fs::write(
        d.join("Dockerfile"),
        format!(
            "FROM alpine:3.20@{ALPINE} AS base\nCOPY --from=busybox:1.36@{BUSYBOX} /bin/sh /sh\n"
        ),
    )
    .unwrap();
    git(d, &["add", "."]);
}
