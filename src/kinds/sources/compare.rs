//! `ADD` sources, step 5: `verify`'s findings. Offline, each fetched URL against the lock's
//! `sources:` (missing, stale, a Dockerfile pin that disagrees); with `--require-pinned`,
//! any source neither locked nor pinned; with `--online`, the bytes or the ref now.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::plan::{self, pin_agrees, Plan, WantSource};
use crate::diagnostic::Failure;
use crate::dockerfile::AddOrigin;
use crate::lockfile::{Lock, SourcePin};
use crate::report::{Code, Finding, UsedBy};
use crate::sources::git::Ask;
use crate::sources::pins::shown;
use crate::sources::Kind;
use crate::workspace::Target;

const KIND: &str = "source";

/// A locked source to check upstream with `--online`.
pub struct DriftCheck {
    dockerfile: PathBuf,
    line: usize,
    /// The URL as messages show it, with the build that reads it.
    url: String,
    locked: SourcePin,
    plan: Plan,
    /// The lock's key.
    key: String,
    sites: Vec<UsedBy>,
}

/// The offline findings for one Dockerfile's sources.
pub fn compare(
    target: &Target,
    lock: &Lock,
    lock_text: &[u8],
    wanted: &BTreeMap<String, WantSource>,
    require_pinned: bool,
    found: &mut Vec<Finding>,
) {
    let lock_name = target.lock.display();
    for (url, want) in wanted {
        let (path, by) = place(target, want);
        let sites = sites(target, want);
        let Some(entry) = lock.sources.get(url) else {
            found.push(
                Finding::new(
                    Code::MissingLockEntry,
                    path,
                    Some(want.line()),
                    format!("source `{}`{by} is not in {lock_name}", shown(url)),
                )
                .with_kind(KIND)
                .about(url)
                .pins(None, want.pins.first().map(|(p, _)| p.clone()))
                .used_by(sites.clone()),
            );
            if require_pinned && want.pins.is_empty() {
                found.push(
                    Finding::new(
                        Code::Unpinned,
                        path,
                        Some(want.line()),
                        format!(
                            "`ADD {}`{by} is neither locked nor pinned with --checksum",
                            shown(url)
                        ),
                    )
                    .with_kind(KIND)
                    .about(url)
                    .used_by(sites),
                );
            }
            continue;
        };
        if require_pinned {
            // Locked is not pinned: a build reads the Dockerfile, not the lock, and follows
            // whatever the ref or URL serves by then.
            for u in &want.unpinned {
                let (path, by) = place_use(target, &u.add.origin);
                found.push(
                    Finding::new(
                        Code::Unpinned,
                        path,
                        Some(u.add.line),
                        format!(
                            "`ADD {}`{by} is fetched without a pin (locked, but the build does not read the lock)",
                            shown(url)
                        ),
                    )
                    .with_kind(KIND)
                    .about(url)
                    .pins(Some(entry.pin.shown()), None)
                    .used_by(vec![site(target, &u.add)]),
                );
            }
        }
        for (pin, line) in &want.pins {
            if !pin_agrees(pin, &entry.pin) {
                found.push(
                    Finding::new(
                        Code::DigestMismatch,
                        path,
                        Some(*line),
                        format!(
                            "source `{}`{by} is pinned to {pin} but {lock_name} has {}",
                            shown(url),
                            entry.pin.shown()
                        ),
                    )
                    .with_kind(KIND)
                    .about(url)
                    .pins(Some(entry.pin.shown()), Some(pin.clone()))
                    .used_by(sites.clone()),
                );
            }
        }
    }
    for (url, entry) in &lock.sources {
        if !wanted.contains_key(url) {
            found.push(
                Finding::new(
                    Code::StaleLockEntry,
                    &target.lock,
                    line_of(lock_text, url),
                    format!(
                        "source `{}` is locked but {} does not fetch it",
                        shown(url),
                        target.dockerfile.display()
                    ),
                )
                .with_kind(KIND)
                .about(url)
                .pins(Some(entry.pin.shown()), None)
                .used_by(
                    entry
                        .used_by
                        .iter()
                        .map(|stage| UsedBy {
                            dockerfile: Some(target.dockerfile.clone()),
                            line: None,
                            stage: stage.clone(),
                            by: None,
                        })
                        .collect(),
                ),
            );
        }
    }
}

/// Where a finding about `want` goes: the Dockerfile its line is in (for a compose or bake
/// build, the built Dockerfile, not the file that builds it), and the words naming that
/// build for the message.
fn place<'a>(target: &'a Target, want: &'a WantSource) -> (&'a Path, String) {
    place_use(target, &want.source.add.origin)
}

/// [`place`] for one use.
fn place_use<'a>(target: &'a Target, origin: &'a Option<AddOrigin>) -> (&'a Path, String) {
    match origin {
        Some(o) => (o.path.as_path(), format!(" (built by {})", o.build())),
        None => (target.dockerfile.as_path(), String::new()),
    }
}

/// Each use of `want`, in the Dockerfile it is written in.
fn sites(target: &Target, want: &WantSource) -> Vec<UsedBy> {
    want.uses.iter().map(|add| site(target, add)).collect()
}

/// One use, in the Dockerfile it is written in.
fn site(target: &Target, add: &crate::dockerfile::AddSource) -> UsedBy {
    UsedBy {
        dockerfile: Some(place_use(target, &add.origin).0.to_path_buf()),
        line: Some(add.line),
        stage: add.stage.clone(),
        by: add.origin.as_ref().map(|o| o.owner.clone()),
    }
}

/// The line of a source's `url:` in the lock text.
fn line_of(text: &[u8], url: &str) -> Option<usize> {
    let text = std::str::from_utf8(text).ok()?;
    let i = text.lines().position(|l| {
        l.trim_start()
            .strip_prefix("- url: ")
            .is_some_and(|v| v.trim_matches(['"', '\'']) == url)
    })?;
    Some(i + 1)
}

/// What `--online` asks about one Dockerfile's locked sources. A git source named by a
/// commit has nothing upstream that could move.
pub fn drift_checks(
    target: &Target,
    lock: &Lock,
    wanted: &BTreeMap<String, WantSource>,
) -> Vec<DriftCheck> {
    let mut out = Vec::new();
    for (url, want) in wanted {
        let Some(entry) = lock.sources.get(url) else {
            continue;
        };
        let plan = match (&want.source.kind, &entry.pin) {
            (Kind::Http, SourcePin::Http { .. }) => Plan::Http(want.source.fetch.clone()),
            (Kind::Git(g), SourcePin::Git { git_ref, .. })
                if !crate::sources::gitref::is_commit(git_ref) =>
            {
                Plan::Git(Ask {
                    remote: g.remote.clone(),
                    git_ref: git_ref.clone(),
                })
            }
            _ => continue,
        };
        let (path, by) = place(target, want);
        out.push(DriftCheck {
            dockerfile: path.to_path_buf(),
            line: want.line(),
            url: format!("`{}`{by}", shown(url)),
            locked: entry.pin.clone(),
            plan,
            key: url.clone(),
            sites: sites(target, want),
        });
    }
    out
}

/// Download and resolve each check once; other bytes or another commit is `source-drift`.
pub fn check_drift(checks: &[DriftCheck], timeout: Duration) -> Result<Vec<Finding>, Failure> {
    let plan: BTreeMap<String, Plan> = checks
        .iter()
        .enumerate()
        .map(|(i, c)| (i.to_string(), c.plan.clone()))
        .collect();
    let answers = plan::resolve([&plan], timeout)?;
    let mut findings = Vec::new();
    for c in checks {
        let (message, now) = match (&c.plan, &c.locked) {
            (Plan::Http(u), SourcePin::Http { checksum }) => match answers.http.get(u) {
                Some(now) if now != checksum => (
                    format!(
                        "source {} changed: locked {checksum}, the server now sends {now}",
                        c.url
                    ),
                    now.to_string(),
                ),
                _ => continue,
            },
            (Plan::Git(a), SourcePin::Git { commit, .. }) => match answers.git.get(a) {
                Some(now) if now != commit => (
                    format!(
                        "source {} moved: locked {commit}, {} is now at {now}",
                        c.url,
                        if a.git_ref.is_empty() {
                            "the default branch"
                        } else {
                            a.git_ref.as_str()
                        }
                    ),
                    now.to_string(),
                ),
                _ => continue,
            },
            _ => continue,
        };
        findings.push(
            Finding::new(Code::SourceDrift, &c.dockerfile, Some(c.line), message)
                .with_kind(KIND)
                .about(&c.key)
                .pins(Some(c.locked.shown()), Some(now))
                .used_by(c.sites.clone()),
        );
    }
    findings.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_sources_point_at_their_line() {
        let text =
            b"x\nsources:\n  - url: https://h/a\n    checksum: sha256:0\n  - url: 'git://h/r#v1'\n";
        assert_eq!(line_of(text, "https://h/a"), Some(3));
        assert_eq!(line_of(text, "git://h/r#v1"), Some(5));
        assert_eq!(line_of(text, "https://h/b"), None);
    }
}
