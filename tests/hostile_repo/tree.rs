//! One hostile tree per test: a git work tree (`repo/`), a private `HOME` with nothing of
//! the user's in it, and an `outside/` directory standing for everything beyond the tree.
//! The binary runs with a wall-clock deadline and an address-space cap, so a hang or a
//! runaway allocation fails the test instead of the suite.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long any single run may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);
/// Address space for the binary (`prlimit --as`): a runaway allocation fails fast.
pub const MEMORY: u64 = 1 << 30;

pub struct Tree {
    dir: tempfile::TempDir,
}

/// What one run did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// stdout and stderr together, for "never printed" assertions.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl Tree {
    /// An empty git work tree with one commit-able state; `HOME` holds a minimal
    /// `.gitconfig` so that git runs without the developer's own.
    pub fn new() -> Tree {
        let dir = tempfile::tempdir().expect("temp dir");
        for d in ["repo", "home", "outside"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(
            dir.path().join("home/.gitconfig"),
            "[user]\n\tname = t\n\temail = t@t\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
        let tree = Tree { dir };
        tree.git(&["init", "-q"]);
        tree
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn outside(&self) -> PathBuf {
        self.dir.path().join("outside")
    }

    /// Write `rel` (below the tree) with `bytes`, making its directories.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// A symlink at `rel` (below the tree) pointing at `target`, as written.
    pub fn symlink(&self, rel: &str, target: impl AsRef<Path>) -> PathBuf {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, &p).unwrap();
        p
    }

    /// Run git in the tree with the test's own HOME, and panic if it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.root())
            .args(args)
            .env("HOME", self.home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Track everything in the tree.
    pub fn commit(&self) {
        self.git(&["add", "-A", "."]);
        self.git(&["commit", "-q", "-m", "pr", "--allow-empty"]);
    }

    /// Run the binary in `cwd` (relative to the tree) with `args`, the test's HOME and
    /// `env`, under [`DEADLINE`] and [`MEMORY`]. The process group is killed at the
    /// deadline, so a child it left behind does not outlive the test.
    pub fn run_in(&self, cwd: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new("prlimit");
        cmd.arg(format!("--as={MEMORY}"))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_dockerfile-lock"))
            .args(args)
            .current_dir(self.root().join(cwd))
            .env("HOME", self.home())
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("DOCKER_CONFIG", self.home().join(".docker"))
            .env_remove("NETRC")
            .env_remove("DOCKERFILE_LOCK_REGISTRY_MIRRORS")
            .env_remove("DOCKERFILE_LOCK_INSECURE_REGISTRIES")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let start = Instant::now();
        let mut child = cmd.spawn().expect("the binary runs");
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = out.read_to_end(&mut s);
            s
        });
        let err = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = err.read_to_end(&mut s);
            s
        });
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if start.elapsed() > DEADLINE {
                kill_group(child.id());
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let elapsed = start.elapsed();
        // Whatever the binary left running in its group goes too.
        kill_group(child.id());
        let run = Run {
            code: status.and_then(|s| s.code()),
            stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
            stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
            elapsed,
        };
        assert!(
            status.is_some(),
            "{args:?} did not finish within {DEADLINE:?}: {run:?}"
        );
        run
    }

    /// [`Tree::run_in`] at the root of the tree.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_in(".", args, env)
    }

    /// Every file below the temp directory (tree, home and outside) whose bytes contain
    /// `needle`, for "never written" assertions.
    pub fn files_containing(&self, needle: &str) -> Vec<PathBuf> {
        let mut hits = Vec::new();
        walk(self.dir.path(), &mut |p| {
            if std::fs::read(p).is_ok_and(|b| contains(&b, needle.as_bytes())) {
                hits.push(p.to_path_buf());
            }
        });
        hits
    }

    /// Every file below `outside/` and `home/`, for "nothing written outside" assertions.
    pub fn outside_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for d in [self.outside(), self.home()] {
            walk(&d, &mut |p| out.push(p.to_path_buf()));
        }
        out.sort();
        out
    }
}

fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            if e.file_name() != ".git" {
                walk(&p, f);
            }
        } else if t.is_file() {
            f(&p);
        }
    }
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}
