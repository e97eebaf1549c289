//! Git sources: the commit a ref points to now, asked with `git ls-remote` through the
//! user's own git, so their credential helpers, `~/.gitconfig` rewrites and SSH config
//! apply as they do for `git clone`. The ref is matched as BuildKit's git source matches
//! it (`source/git/source.go`): a branch before a tag, and an annotated tag resolved to the
//! commit it points to.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::gitref::is_commit;
use super::pins::{redact, shown};

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

/// Resolve every ask, a few `git` processes at a time; answers in order.
pub fn resolve_all(asks: &[Ask], timeout: Duration) -> Vec<Result<String, Error>> {
    let mut out = Vec::with_capacity(asks.len());
    for chunk in asks.chunks(8) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|a| scope.spawn(move || resolve(a, timeout)))
                .collect();
            for (h, a) in handles.into_iter().zip(chunk) {
                out.push(
                    h.join().unwrap_or_else(|_| {
                        Err(error(a, "the resolver thread failed".into(), None))
                    }),
                );
            }
        });
    }
    out
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
        )),
    }
}

/// Run `git ls-remote -- REMOTE PATTERNS…` with prompts off and a deadline.
fn ls_remote(ask: &Ask, patterns: &[String], timeout: Duration) -> Result<String, Error> {
    let mut child = Command::new("git")
        .args(["ls-remote", "--", &ask.remote])
        .args(patterns)
        // Never wait for a password on a terminal: a helper answers, or the lookup fails.
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            let help = (e.kind() == std::io::ErrorKind::NotFound)
                .then(|| "install git: git sources are resolved with `git ls-remote`".to_string());
            error(ask, format!("cannot run git: {e}"), help)
        })?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(o) = stdout.as_mut() {
            let _ = o.read_to_string(&mut s);
        }
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.read_to_string(&mut s);
        }
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(error(
                    ask,
                    format!("git ls-remote took longer than {}s", timeout.as_secs()),
                    Some("raise --timeout, or check that the host is reachable".into()),
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(error(ask, format!("cannot wait for git: {e}"), None)),
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    if !status.success() {
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
        return Err(error(ask, shown(&redact(last)), help));
    }
    Ok(stdout)
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
