//! Every `git` this tool runs. Only the user's own configuration (system, global, the
//! environment) applies: never a repository git would find by itself inside the tree
//! being read, which a pull request controls. Only the transports BuildKit's git source
//! speaks are allowed, and a deadline ends git together with every helper it started.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::diagnostic::excerpt;

/// The transports BuildKit's git source accepts (`util/gitutil`: http, https, ssh, git).
/// Set as `GIT_ALLOW_PROTOCOL`, it overrides every `protocol.*.allow`, so no config
/// (an `insteadOf` rewrite included) can reach `ext::`, `fd::` or `file://`.
pub const ALLOWED_PROTOCOLS: &str = "http:https:ssh:git";

/// Set on the command line, where a repository's config cannot undo them: a directory
/// laid out as a bare repository is never used unless named, and nothing that reads the
/// index or could run a hook starts a program.
const SAFE_CONFIG: [&str; 3] = [
    "safe.bareRepository=explicit",
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
];

/// Variables that point git at a repository. The repository is chosen here from where
/// the files are, so none of these may choose another one.
const REPOSITORY_ENV: [&str; 9] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
];

/// What git says it cannot do, short and escaped for a message.
const STDERR_KEPT: usize = 64 * 1024;

/// A git repository the tool reads: both directories as git resolved them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    pub git_dir: PathBuf,
    pub work_tree: PathBuf,
}

/// Why a `git` run gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot run git: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("git {what} took longer than {}s", .timeout.as_secs())]
    TimedOut { what: String, timeout: Duration },
    #[error("git {what} printed more than {limit} bytes")]
    TooLong { what: String, limit: usize },
    #[error("cannot wait for git: {0}")]
    Wait(#[source] std::io::Error),
}

impl Error {
    /// git is not installed (or not on PATH).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Spawn(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

/// What a finished `git` printed.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    /// What git said went wrong, short and escaped: its first `fatal:` or `error:` line
    /// (advice follows it), else its last line.
    pub fn complaint(&self) -> String {
        let mut lines = self.stderr.lines().map(str::trim).filter(|l| !l.is_empty());
        let said = lines
            .clone()
            .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
            .or_else(|| lines.next_back())
            .unwrap_or("no message");
        excerpt(said, 160)
    }
}

/// `git` with the safe settings, for work on `repo` from `cwd` (inside its work tree):
/// the repository is named explicitly, so git looks for none itself.
pub fn in_repo(repo: &Repo, cwd: &Path) -> Command {
    let mut cmd = base();
    let mut git_dir = OsString::from("--git-dir=");
    git_dir.push(&repo.git_dir);
    let mut work_tree = OsString::from("--work-tree=");
    work_tree.push(&repo.work_tree);
    cmd.arg(git_dir).arg(work_tree).current_dir(cwd);
    cmd
}

/// `git` with the safe settings and no repository at all (`ls-remote`): it runs from `/`,
/// so neither the tree nor any directory above it lends git a config, as for `git clone`.
pub fn outside_repo() -> Command {
    let mut cmd = base();
    cmd.current_dir("/");
    cmd
}

fn base() -> Command {
    let mut cmd = Command::new("git");
    for c in SAFE_CONFIG {
        cmd.args(["-c", c]);
    }
    for v in REPOSITORY_ENV {
        cmd.env_remove(v);
    }
    cmd.env("GIT_ALLOW_PROTOCOL", ALLOWED_PROTOCOLS)
        // Never wait for a password on a terminal: a helper answers, or the run fails.
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        // Reading must not write (an index refresh) into the tree's repository.
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a deadline ends the helpers (`git remote-https`, ssh)
    // with it.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd
}

/// The git repository whose work tree holds `dir`, if any. It is the nearest `.git`
/// (directory or file) at or above `dir`: git cannot track a `.git`, so the tree cannot
/// plant one. git then checks it (ownership, format) as it does when it finds one
/// itself; a refusal is an error, not "no repository". `Ok(None)` without git.
pub fn repository_of(dir: &Path, timeout: Duration) -> Result<Option<Repo>, RepoError> {
    let Ok(start) = std::fs::canonicalize(dir) else {
        return Ok(None);
    };
    let Some(top) = start
        .ancestors()
        .find(|a| std::fs::symlink_metadata(a.join(".git")).is_ok())
    else {
        return Ok(None);
    };
    let mut cmd = base();
    cmd.current_dir(top)
        .args(["rev-parse", "--absolute-git-dir", "--show-toplevel"]);
    if let Some(above) = top.parent() {
        // If `top/.git` is not a repository after all, git must not go on looking above.
        cmd.env("GIT_CEILING_DIRECTORIES", above);
    }
    let out = match run(cmd, "rev-parse", timeout, STDERR_KEPT) {
        Ok(out) => out,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => {
            return Err(RepoError::Run {
                top: top.to_path_buf(),
                error: e,
            })
        }
    };
    if !out.status.success() {
        return Err(RepoError::Refused {
            top: top.to_path_buf(),
            complaint: out.complaint(),
        });
    }
    let lines: Vec<&[u8]> = out
        .stdout
        .strip_suffix(b"\n")
        .unwrap_or(&out.stdout)
        .split(|b| *b == b'\n')
        .collect();
    match lines[..] {
        [git_dir, work_tree] if !git_dir.is_empty() && !work_tree.is_empty() => Ok(Some(Repo {
            git_dir: path_from_bytes(git_dir),
            work_tree: path_from_bytes(work_tree),
        })),
        _ => Err(RepoError::Refused {
            top: top.to_path_buf(),
            complaint: "git named no work tree".into(),
        }),
    }
}

/// Why the repository holding a directory cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("git cannot read the repository at {}: {complaint}", .top.display())]
    Refused { top: PathBuf, complaint: String },
    #[error("cannot read the repository at {}: {error}", .top.display())]
    Run { top: PathBuf, error: Error },
}

/// A path git printed, as bytes: names need not be UTF-8.
pub fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

/// Run `cmd` (from [`in_repo`] or [`outside_repo`]) to its end or `timeout`, keeping at
/// most `max_stdout` bytes of its output. At the deadline the whole process group is
/// killed, helpers included.
pub fn run(
    mut cmd: Command,
    what: &str,
    timeout: Duration,
    max_stdout: usize,
) -> Result<Output, Error> {
    let deadline = Instant::now() + timeout;
    let mut child = cmd.spawn().map_err(Error::Spawn)?;
    let stdout = drain(child.stdout.take(), max_stdout);
    let stderr = drain(child.stderr.take(), STDERR_KEPT);
    let timed_out = || Error::TimedOut {
        what: what.to_string(),
        timeout,
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                // Not yet reaped, so the group id is still git's own. git itself is
                // killed directly too, in case no `kill` program could be run.
                kill_group(&child);
                let _ = child.kill();
                let _ = child.wait();
                return Err(timed_out());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                kill_group(&child);
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Wait(e));
            }
        }
    };
    // A helper that outlived git may still hold the pipes open; it keeps the group
    // alive (and its id taken) while it runs, so killing the group reaches only it.
    let left = deadline.saturating_duration_since(Instant::now());
    let (Ok(out), Ok(err)) = (stdout.recv_timeout(left), stderr.recv_timeout(left)) else {
        kill_group(&child);
        return Err(timed_out());
    };
    let (stdout, complete) = out;
    if !complete {
        return Err(Error::TooLong {
            what: what.to_string(),
            limit: max_stdout,
        });
    }
    Ok(Output {
        status,
        stdout,
        stderr: String::from_utf8_lossy(&err.0).into_owned(),
    })
}

/// Read `pipe` to its end on a thread, keeping at most `max` bytes; the answer says
/// whether everything was kept.
fn drain(pipe: Option<impl Read + Send + 'static>, max: usize) -> mpsc::Receiver<(Vec<u8>, bool)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut complete = true;
        if let Some(mut p) = pipe {
            let mut buf = [0u8; 8192];
            loop {
                match p.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let room = max.saturating_sub(kept.len());
                        kept.extend_from_slice(&buf[..n.min(room)]);
                        complete &= n <= room;
                    }
                }
            }
        }
        let _ = tx.send((kept, complete));
    });
    rx
}

/// SIGKILL to the process group `child` leads. Done with the system's `kill`, as the
/// crate has no unsafe code to call `kill(2)` with.
fn kill_group(child: &Child) {
    let group = format!("-{}", child.id());
    let kill = ["/bin/kill", "/usr/bin/kill"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .unwrap_or("kill");
    let _ = Command::new(kill)
        .args(["-KILL", "--", &group])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Processes whose command line holds `needle`.
    fn running(needle: &str) -> usize {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .filter(|c| String::from_utf8_lossy(c).contains(needle))
            .count()
    }

    #[test]
    fn a_deadline_kills_the_whole_group() {
        // A stand-in for git that leaves a child running, as `git remote-https` does.
        let seconds = format!("987.{}", std::process::id());
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &format!("sleep {seconds} & sleep {seconds}; true")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let start = Instant::now();
        let err = run(cmd, "test", Duration::from_millis(300), 1024).unwrap_err();
        assert!(matches!(err, Error::TimedOut { .. }), "{err}");
        assert!(start.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            running(&format!("sleep {seconds}")),
            0,
            "a helper outlived git"
        );
    }

    #[test]
    fn output_past_the_limit_is_an_error() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "yes | head -c 100000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let err = run(cmd, "test", Duration::from_secs(10), 1000).unwrap_err();
        assert!(matches!(err, Error::TooLong { .. }), "{err}");
    }

    #[test]
    fn outside_a_repository_is_none() {
        let dir = tempfile::tempdir().unwrap();
        // A temp directory is below no work tree on a sane machine; a bare-repository
        // layout in it is not one either.
        for d in ["objects", "refs"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("HEAD"), "ref: refs/heads/main\n").unwrap();
        assert_eq!(
            repository_of(dir.path(), Duration::from_secs(10)).unwrap(),
            None
        );
    }
}
