//! Git sources: the commit a ref points to now, asked with `git ls-remote` through the
//! user's own git, so their credential helpers, `~/.gitconfig` rewrites and SSH config
//! apply as they do for `git clone`. The ref is matched as BuildKit's git source matches
//! it (`source/git/source.go`): a branch before a tag, and an annotated tag resolved to the
//! commit it points to. git runs through [`crate::gitcmd`]: no repository's config (the
//! tree's least of all) applies, only BuildKit's transports are allowed, and a lookup
//! past `--timeout` ends with every helper git started.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::gitref::{is_commit, parse_url};
use super::pins::{redact, shown};
use crate::gitcmd;

/// Lookups in flight at once.
const WORKERS: usize = 8;
/// The most `ls-remote` may print for the two patterns asked.
const MAX_LISTING: usize = 4 << 20;

/// Why a ref could not be resolved. Messages never show a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot resolve {remote}{}: {message}", shown_ref(git_ref))]
pub struct Error {
    pub remote: String,
    pub git_ref: String,
    pub message: String,
    pub help: Option<String>,
}

fn shown_ref(r: &str) -> String {
    if r.is_empty() {
        " (default branch)".into()
    } else {
        format!(" ref {r}")
    }
}

/// One question: which commit does `git_ref` (empty: the default branch) name in `remote`?
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ask {
    pub remote: String,
    pub git_ref: String,
}

/// Resolve every ask, [`WORKERS`] `git` processes at a time, each taking the next ask as
/// soon as it is free; answers in order. Once a host has timed out, its other asks fail
/// at once instead of each waiting out `timeout` again.
pub fn resolve_all(asks: &[Ask], timeout: Duration) -> Vec<Result<String, Error>> {
    let next = AtomicUsize::new(0);
    let silent = Mutex::new(HashSet::new());
    let answers: Mutex<Vec<Option<Result<String, Error>>>> =
        Mutex::new((0..asks.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS.min(asks.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(ask) = asks.get(i) else { break };
                let answer = resolve_noting(ask, timeout, &silent);
                if let Some(slot) = lock(&answers).get_mut(i) {
                    *slot = Some(answer);
                }
            });
        }
    });
    let answers = answers.into_inner().unwrap_or_else(|p| p.into_inner());
    answers
        .into_iter()
        .zip(asks)
        .map(|(answer, a)| {
            answer.unwrap_or_else(|| Err(error(a, "the resolver thread failed".into(), None)))
        })
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The host (`host[:port]`) an ask goes to, for remembering one that timed out.
fn host_of(ask: &Ask) -> String {
    parse_url(&ask.remote)
        .map(|u| u.host.to_ascii_lowercase())
        .unwrap_or_else(|_| ask.remote.clone())
}

/// [`resolve`], skipping a host in `silent` and adding one that times out.
fn resolve_noting(
    ask: &Ask,
    timeout: Duration,
    silent: &Mutex<HashSet<String>>,
) -> Result<String, Error> {
    if is_commit(&ask.git_ref) {
        return Ok(ask.git_ref.clone());
    }
    let host = host_of(ask);
    if lock(silent).contains(&host) {
        return Err(error(
            ask,
            format!("not asked: {} timed out earlier in this run", shown(&host)),
            Some(timeout_help()),
        ));
    }
    resolve_ref(ask, timeout).map_err(|f| {
        if f.timed_out {
            lock(silent).insert(host);
        }
        f.error
    })
}

fn timeout_help() -> String {
    "raise --timeout, or check that the host is reachable".into()
}

fn error(a: &Ask, message: String, help: Option<String>) -> Error {
    Error {
        remote: shown(&a.remote),
        git_ref: a.git_ref.clone(),
        message,
        help,
    }
}

/// The commit `ask` names now.
pub fn resolve(ask: &Ask, timeout: Duration) -> Result<String, Error> {
    resolve_ref(ask, timeout).map_err(|f| f.error)
}

/// A lookup that failed, and whether it was by the deadline.
struct Failed {
    error: Error,
    timed_out: bool,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Failed {
        Failed {
            error,
            timed_out: false,
        }
    }
}

fn resolve_ref(ask: &Ask, timeout: Duration) -> Result<String, Failed> {
    if is_commit(&ask.git_ref) {
        return Ok(ask.git_ref.clone());
    }
    let git_ref = if ask.git_ref.is_empty() {
        "HEAD".to_string()
    } else {
        ask.git_ref.clone()
    };
    let output = ls_remote(ask, &[git_ref.clone(), format!("{git_ref}^{{}}")], timeout)?;
    match pick(&output, &git_ref) {
        Some(commit) => Ok(commit),
        None => Err(error(
            ask,
            format!("the repository has no ref {git_ref}"),
            Some("name a branch, a tag or a full commit in the URL's fragment or query".into()),
        )
        .into()),
    }
}

/// Run `git ls-remote -- REMOTE PATTERNS…` outside any repository, with prompts off and
/// a deadline.
fn ls_remote(ask: &Ask, patterns: &[String], timeout: Duration) -> Result<String, Failed> {
    let mut cmd = gitcmd::outside_repo();
    cmd.args(["ls-remote", "--", &ask.remote]).args(patterns);
    let out = match gitcmd::run(cmd, "ls-remote", timeout, MAX_LISTING) {
        Ok(out) => out,
        Err(e) => {
            let timed_out = matches!(e, gitcmd::Error::TimedOut { .. });
            let help = if e.is_not_found() {
                Some("install git: git sources are resolved with `git ls-remote`".to_string())
            } else {
                timed_out.then(timeout_help)
            };
            return Err(Failed {
                error: error(ask, e.to_string(), help),
                timed_out,
            });
        }
    };
    if !out.status.success() {
        let stderr = &out.stderr;
        let last = stderr
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("git ls-remote failed");
        let help = (stderr.contains("terminal prompts disabled")
            || stderr.contains("Authentication failed")
            || stderr.contains("could not read Username"))
        .then(|| {
            "configure a git credential helper (or SSH key) for this host, as for `git clone`"
                .to_string()
        });
        return Err(error(ask, shown(&redact(last)), help).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The commit for `git_ref` in `ls-remote` output, by BuildKit's precedence: the ref
/// itself under `refs/`, then a branch, then a tag; an annotated tag gives the commit its
/// `^{}` line names.
fn pick(output: &str, git_ref: &str) -> Option<String> {
    let bare = git_ref.strip_prefix("refs/").unwrap_or(git_ref);
    let partial = format!("refs/{bare}");
    let head = format!(
        "refs/heads/{}",
        git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref)
    );
    let tag = format!(
        "refs/tags/{}",
        git_ref.strip_prefix("refs/tags/").unwrap_or(git_ref)
    );
    let lines: Vec<(&str, &str)> = output.lines().filter_map(|l| l.split_once('\t')).collect();
    let find = |name: &str| lines.iter().find(|(_, r)| *r == name).map(|(s, _)| *s);
    let used = if git_ref == "HEAD" {
        Some("HEAD".to_string())
    } else {
        [partial, head, tag].into_iter().find(|r| find(r).is_some())
    }?;
    let sha = find(&used)?;
    let commit = find(&format!("{used}^{{}}")).unwrap_or(sha);
    is_commit(commit).then(|| commit.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_as_buildkit_does() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let c = "c".repeat(40);
        let out =
            format!("{a}\trefs/heads/v1\n{b}\trefs/tags/v1\n{c}\trefs/tags/v1^{{}}\n{a}\tHEAD\n");
        assert_eq!(pick(&out, "v1"), Some(a.clone()), "a branch wins");
        assert_eq!(
            pick(&out, "refs/tags/v1"),
            Some(c.clone()),
            "annotated → commit"
        );
        let tags_only = format!("{b}\trefs/tags/v2\n{c}\trefs/tags/v2^{{}}\n");
        assert_eq!(pick(&tags_only, "v2"), Some(c));
        assert_eq!(pick(&out, "HEAD"), Some(a));
        assert_eq!(pick(&out, "nope"), None);
    }
}
