//! `ADD` sources, step 6: the pins `rewrite` writes and `update` moves, that make the build
//! fetch what was locked, in the form the Dockerfile's `# syntax=` frontend reads, changing
//! no other byte.
//!
//! - HTTP: ` --checksum=sha256:…` inserted after `ADD` (syntax 1.6+); the only pin HTTP
//!   has, and the build fails closed when the bytes differ.
//! - git: `?checksum=<commit>&fetch-by-commit=true` in the URL (syntax 1.24+), which builds
//!   the locked commit and keeps the ref readable; else the ref replaced by the commit:
//!   `?ref=<commit>` where the ref is in the query (a frontend that reads the query form
//!   reads that), `#<commit>` where it is in the fragment (every syntax reads that).

use std::collections::BTreeSet;
use std::ops::Range;

use super::plan::{keys, pin_agrees};
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::{Analysis, UseKind};
use crate::lockfile::{Lock, SourceEntry, SourcePin};
use crate::sources::pins::{
    shown, with_fragment_commit, with_query_pin, with_query_ref_commit, without_commit_pin,
};
use crate::sources::{Kind, RemoteSource};
use crate::splice::Edit;
use crate::workspace::{read::error_diagnostic, Target};

/// The Dockerfile frontend a `# syntax=` directive names, as far as pins care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frontend {
    /// No directive: the builder's own frontend.
    Builtin,
    /// `docker/dockerfile:1`, `:labs`, `:latest`: the newest release.
    Latest,
    Version(u32, u32),
    /// Another image: what it reads is unknown.
    Other(String),
}

impl Frontend {
    pub fn of(analysis: &Analysis) -> Frontend {
        let Some(u) = analysis.images.iter().find(|u| u.kind == UseKind::Syntax) else {
            return Frontend::Builtin;
        };
        let name = u.image.name();
        let official = [
            "docker.io/docker/dockerfile",
            "docker.io/docker/dockerfile-upstream",
        ];
        if !official.contains(&name.as_str()) {
            return Frontend::Other(u.raw.clone());
        }
        let tag = u.image.tag().unwrap_or("latest");
        let tag = tag.strip_suffix("-labs").unwrap_or(tag);
        let mut parts = tag.split('.');
        match (
            parts.next().map(str::parse::<u32>),
            parts.next().map(str::parse::<u32>),
        ) {
            (_, _) if matches!(tag, "labs" | "latest" | "master") => Frontend::Latest,
            (Some(Ok(1)), None) => Frontend::Latest,
            (Some(Ok(major)), Some(Ok(minor))) => Frontend::Version(major, minor),
            _ => Frontend::Other(u.raw.clone()),
        }
    }

    /// Whether this frontend reads a form introduced in 1.`minor`; the builder's own
    /// frontend is taken to read what current engines ship (`--checksum`, 1.6) only.
    fn reads(&self, minor: u32) -> bool {
        match self {
            Frontend::Builtin => minor <= 6,
            Frontend::Latest => true,
            Frontend::Version(major, m) => *major > 1 || (*major == 1 && *m >= minor),
            Frontend::Other(_) => false,
        }
    }

    /// Whether this frontend reads a git ref in the query (`?ref=`, syntax 1.18+). The
    /// builder's own frontend is taken to, for a Dockerfile that writes one: it is the
    /// only frontend that will ever read it, and `?ref=<commit>` is read as `?tag=` is.
    fn reads_query_form(&self) -> bool {
        matches!(self, Frontend::Builtin) || self.reads(18)
    }

    fn describe(&self) -> String {
        match self {
            Frontend::Builtin => "this Dockerfile has no `# syntax=` directive".into(),
            Frontend::Version(a, b) => format!("its `# syntax=` names {a}.{b}"),
            Frontend::Other(raw) => {
                format!("its `# syntax=` names `{raw}`, whose syntax version is unknown")
            }
            Frontend::Latest => "its `# syntax=` names the latest release".into(),
        }
    }
}

/// What pinning a Dockerfile's sources would do.
#[derive(Debug, Default)]
pub struct Pinning {
    pub edits: Vec<Edit>,
    /// Sources left as written, with their line and why.
    pub notes: Vec<(usize, String)>,
    /// Sources the lock has no entry for (line, URL).
    pub missing: Vec<(usize, String)>,
}

/// The literal span of a source, when it can be edited in place.
fn literal(source: &[u8], s: &RemoteSource) -> Option<Range<usize>> {
    let span = s.add.span.clone()?;
    let text = std::str::from_utf8(source.get(span.clone())?).ok()?;
    (text == s.add.value && !s.add.raw.contains('$')).then_some(span)
}

/// The edit that pins one use to `entry`, or why it cannot be pinned in place.
fn pin_edit(
    source: &[u8],
    s: &RemoteSource,
    key: &str,
    entry: &SourceEntry,
    frontend: &Frontend,
) -> Result<Option<Edit>, String> {
    match (&s.kind, &entry.pin) {
        (Kind::Http, SourcePin::Http { checksum }) => {
            let flag = format!("--checksum={checksum}");
            if let Some(span) = &s.add.checksum_span {
                let written = &source[span.clone()];
                return Ok((written != flag.as_bytes()).then(|| Edit {
                    range: span.clone(),
                    text: flag,
                }));
            }
            if s.add.checksum.is_some() {
                return Err("has a --checksum built from ARGs or quoted; left as written".into());
            }
            if !frontend.reads(6) {
                return Err(format!(
                    "is left unpinned: `ADD --checksum` needs Dockerfile syntax 1.6 or later and {}; raise `# syntax=docker/dockerfile:1` or pin it with `export --format source-policy`",
                    frontend.describe()
                ));
            }
            if s.add.siblings > 1 {
                return Err("is left unpinned: BuildKit takes --checksum only on an ADD with one source; give it an ADD of its own".into());
            }
            if s.add.raw.contains('$') {
                return Err("is built from ARGs and left as written (the checksum would not follow --build-arg); the lock still covers it".into());
            }
            let at = s
                .add
                .flags_at
                .ok_or("is in an ONBUILD trigger and left as written")?;
            Ok(Some(Edit {
                range: at..at,
                text: format!(" {flag}"),
            }))
        }
        (Kind::Git(_), SourcePin::Git { commit, .. }) => {
            if s.add.checksum.is_some() {
                // A URL pin beside a flag that disagrees with it would fail the build.
                return Err("has its own --checksum flag and is left as written".into());
            }
            if s.pinned
                .as_deref()
                .is_some_and(|p| pin_agrees(p, &entry.pin))
                && s.commit_ref().is_none()
                && !matches!(&s.kind, Kind::Git(g) if g.fetch_by_commit)
            {
                return Err("already has a checksum; left as written".into());
            }
            let span = literal(source, s).ok_or_else(|| {
                if s.add.raw.contains('$') {
                    "is built from ARGs and left as written (pinning it would defeat --build-arg); the lock still covers it".to_string()
                } else {
                    "is quoted or split across lines and is left as written; the lock still covers it".to_string()
                }
            })?;
            let text = if frontend.reads(24) {
                with_query_pin(key, commit)
            } else {
                // The fragment form where the ref is in the fragment; else the ref in the
                // query is the commit's place, which the frontend reads as it reads the ref.
                with_fragment_commit(key, commit)
                    .or_else(|| {
                        frontend
                            .reads_query_form()
                            .then(|| with_query_ref_commit(key, commit))
                            .flatten()
                    })
                    .ok_or_else(|| {
                        format!(
                            "is left unpinned: its ref is in the query, and pinning that needs `?fetch-by-commit` (Dockerfile syntax 1.24 or later) but {}",
                            frontend.describe()
                        )
                    })?
            };
            let written = std::str::from_utf8(&source[span.clone()]).unwrap_or("");
            Ok((written != text).then_some(Edit { range: span, text }))
        }
        _ => Ok(None),
    }
}

/// Pin every fetched source from the lock.
pub fn pin_all(source: &[u8], found: &[RemoteSource], lock: &Lock, frontend: &Frontend) -> Pinning {
    let mut out = Pinning::default();
    let mut ranges = BTreeSet::new();
    for (s, key) in found.iter().zip(keys(found, Some(lock))) {
        let Some(entry) = lock.sources.get(&key) else {
            out.missing.push((s.add.line, shown(&key)));
            continue;
        };
        match pin_edit(source, s, &key, entry, frontend) {
            Ok(Some(e)) => {
                if ranges.insert((e.range.start, e.range.end)) {
                    out.edits.push(e);
                }
            }
            Ok(None) => {}
            Err(why) => out
                .notes
                .push((s.add.line, format!("`{}` {why}", shown(&key)))),
        }
    }
    out
}

/// Remove what pinning adds: HTTP `--checksum` flags (with the space before them), and
/// git commit pins (back to the locked URL as written).
pub fn unpin_all(source: &[u8], found: &[RemoteSource], lock: &Lock) -> Vec<Edit> {
    let mut out = Vec::new();
    let mut ranges = BTreeSet::new();
    for (s, key) in found.iter().zip(keys(found, Some(lock))) {
        let edit = match &s.kind {
            Kind::Http => s.add.checksum_span.clone().map(|span| {
                let start = match span.start.checked_sub(1).map(|i| source[i]) {
                    Some(b' ' | b'\t') => span.start - 1,
                    _ => span.start,
                };
                Edit {
                    range: start..span.end,
                    text: String::new(),
                }
            }),
            Kind::Git(_) => literal(source, s).and_then(|span| {
                let plain = if lock.sources.contains_key(&key) {
                    key
                } else {
                    without_commit_pin(&s.add.value)
                };
                (plain != s.add.value).then_some(Edit {
                    range: span,
                    text: plain,
                })
            }),
        };
        if let Some(e) = edit {
            if ranges.insert((e.range.start, e.range.end)) {
                out.push(e);
            }
        }
    }
    out
}

/// `rewrite`'s source edits for one Dockerfile: pins (notes for those left as written),
/// or with `unpin` their removal. A source the lock lacks is an error, as for images.
pub fn edits(
    target: &Target,
    lock: &Lock,
    source: &[u8],
    analysis: &Analysis,
    unpin: bool,
    notes: &mut Vec<Diagnostic>,
) -> Result<Vec<Edit>, Failure> {
    let found =
        crate::sources::find(analysis).map_err(|e| error_diagnostic(&target.dockerfile, &e))?;
    if unpin {
        return Ok(unpin_all(source, &found, lock));
    }
    let pinning = pin_all(source, &found, lock, &Frontend::of(analysis));
    for (line, why) in &pinning.notes {
        notes.push(Diagnostic::new(why.clone()).at(&target.dockerfile, Some(*line)));
    }
    if pinning.missing.is_empty() {
        return Ok(pinning.edits);
    }
    let errors = pinning
        .missing
        .iter()
        .map(|(line, url)| {
            Diagnostic::new(format!(
                "source `{url}` has no entry in {}",
                target.lock.display()
            ))
            .at(&target.dockerfile, Some(*line))
            .with_help(format!(
                "run `dockerfile-lock generate {}` to lock it, then rewrite again",
                target.dockerfile.display()
            ))
        })
        .collect();
    Err(Failure(errors))
}

/// For `update`: each source line already pinned moved to its new pin.
pub fn repinned(source: &[u8], analysis: &Analysis, old: &Lock, new: &Lock) -> Vec<Edit> {
    let Ok(found) = crate::sources::find(analysis) else {
        return Vec::new();
    };
    let frontend = Frontend::of(analysis);
    let mut edits = Vec::new();
    for (s, key) in found.iter().zip(keys(&found, Some(old))) {
        let (Some(before), Some(after)) = (old.sources.get(&key), new.sources.get(&key)) else {
            continue;
        };
        let pinned_here = s.pinned.is_some() || s.commit_ref().is_some();
        if before.pin == after.pin || !pinned_here {
            continue;
        }
        if let Ok(Some(e)) = pin_edit(source, s, &key, after, &frontend) {
            edits.push(e);
        }
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::{analyze, BuildOptions};

    fn frontend(syntax: &str) -> Frontend {
        let src = format!("{syntax}FROM scratch\n");
        Frontend::of(&analyze(src.as_bytes(), &BuildOptions::default()).unwrap())
    }

    #[test]
    fn syntax_versions() {
        let cases = [
            ("", Frontend::Builtin),
            ("# syntax=docker/dockerfile:1\n", Frontend::Latest),
            ("# syntax=docker/dockerfile:labs\n", Frontend::Latest),
            ("# syntax=docker/dockerfile:1.5\n", Frontend::Version(1, 5)),
            (
                "# syntax=docker.io/docker/dockerfile:1.24.1\n",
                Frontend::Version(1, 24),
            ),
            (
                "# syntax=docker/dockerfile-upstream:1.7-labs\n",
                Frontend::Version(1, 7),
            ),
            (
                "# syntax=ghcr.io/o/frontend:1\n",
                Frontend::Other("ghcr.io/o/frontend:1".into()),
            ),
        ];
        for (syntax, want) in cases {
            assert_eq!(frontend(syntax), want, "{syntax}");
        }
        assert!(Frontend::Version(1, 6).reads(6) && !Frontend::Version(1, 5).reads(6));
        assert!(Frontend::Version(1, 24).reads(24) && !Frontend::Version(1, 23).reads(24));
        assert!(Frontend::Builtin.reads(6) && !Frontend::Builtin.reads(24));
        assert!(!Frontend::Other(String::new()).reads(6));
    }
}
