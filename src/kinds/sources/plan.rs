//! `ADD` sources, steps 1 to 4: from a file's fetched sources to the lock's `sources:`.
//! Which URLs it needs, which pins are already known (kept from the old lock, or fixed by
//! the Dockerfile itself), which must be downloaded or asked of a git remote, and asking.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::{AddOrigin, Error};
use crate::lockfile::{Lock, SourceEntry, SourcePin};
use crate::reference::Digest;
use crate::sources::git::{self, Ask};
use crate::sources::pins::{shown, with_fragment_commit, with_query_ref_commit};
use crate::sources::redact::{safe_url, scrub};
use crate::sources::{http, Kind, RemoteSource};

/// What a Dockerfile needs locked for one source URL.
#[derive(Debug, Clone)]
pub struct WantSource {
    /// The first use.
    pub source: RemoteSource,
    /// Stages that use it.
    pub used_by: BTreeSet<Option<String>>,
    /// Pins the Dockerfile writes, with their lines.
    pub pins: Vec<(String, usize)>,
    /// The uses a build fetches without any pin written: no `--checksum`, no commit.
    pub unpinned: Vec<RemoteSource>,
    /// The lines of every use, in order.
    pub lines: Vec<usize>,
    /// Every use, in order.
    pub uses: Vec<crate::dockerfile::AddSource>,
    /// Resolved again by `update`, which moves the Dockerfile's pins rather than
    /// holding the new answer to them.
    pub refreshed: bool,
}

impl WantSource {
    pub fn line(&self) -> usize {
        self.source.add.line
    }
}

/// The text `rewrite` gives a git entry's lines when the frontend cannot keep the ref:
/// `#<commit>` or `?ref=<commit>`. Two entries whose refs are at one commit share it.
pub fn commit_form(url: &str, pin: &SourcePin) -> Option<String> {
    match pin {
        SourcePin::Git { commit, .. } => {
            with_fragment_commit(url, commit).or_else(|| with_query_ref_commit(url, commit))
        }
        SourcePin::Http { .. } => None,
    }
}

/// The lock key of each use, in order: its URL, or, for a line `rewrite` pinned as
/// `#<commit>` or `?ref=<commit>`, the URL of the entry it was pinned from. When several
/// entries (`#v1`, `#main` at one commit) were pinned to the same text, the n-th such
/// line follows the n-th entry in the order of the lines the lock records for them, so
/// that each line keeps its own ref even after lines are added above it.
pub fn keys(found: &[RemoteSource], lock: Option<&Lock>) -> Vec<String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    found
        .iter()
        .map(|s| {
            let (Some(commit), Some(lock)) = (s.commit_ref(), lock) else {
                return s.url.clone();
            };
            let mut from: Vec<(&String, &SourceEntry)> = lock
                .sources
                .iter()
                .filter(|(url, e)| {
                    matches!(&e.pin, SourcePin::Git { commit: c, .. } if c == commit)
                        && commit_form(url, &e.pin).as_deref() == Some(s.url.as_str())
                })
                .collect();
            from.sort_by_key(|(url, e)| (e.lines.first().copied().unwrap_or(usize::MAX), *url));
            let nth = seen.entry(s.url.as_str()).or_insert(0);
            let key = from
                .get(*nth)
                .or(from.last())
                .map_or_else(|| s.url.clone(), |(url, _)| (*url).clone());
            *nth += 1;
            key
        })
        .collect()
}

/// Every source the Dockerfile fetches, by key.
pub fn wanted(found: &[RemoteSource], lock: Option<&Lock>) -> BTreeMap<String, WantSource> {
    let mut out: BTreeMap<String, WantSource> = BTreeMap::new();
    for (s, key) in found.iter().zip(keys(found, lock)) {
        let want = out.entry(key).or_insert_with(|| WantSource {
            source: s.clone(),
            used_by: BTreeSet::new(),
            pins: Vec::new(),
            unpinned: Vec::new(),
            lines: Vec::new(),
            uses: Vec::new(),
            refreshed: false,
        });
        want.uses.push(s.add.clone());
        want.used_by.insert(s.add.stage.clone());
        want.lines.push(s.add.line);
        if let Some(p) = &s.pinned {
            want.pins.push((p.clone(), s.add.line));
        } else if s.commit_ref().is_none() {
            want.unpinned.push(s.clone());
        }
    }
    out
}

/// Whether `pin` (a commit or a prefix of one, as BuildKit accepts) names `commit`.
pub fn commit_matches(pin: &str, commit: &str) -> bool {
    !pin.is_empty() && commit.starts_with(pin)
}

/// Whether the Dockerfile's pin agrees with a locked pin.
pub fn pin_agrees(pin: &str, locked: &SourcePin) -> bool {
    match locked {
        SourcePin::Http { checksum } => pin == checksum.to_string(),
        SourcePin::Git { commit, .. } => commit_matches(pin, commit),
    }
}

/// Where an entry's pin comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Known(SourcePin),
    /// The URL to download (secrets and all: never shown).
    Http(String),
    Git(Ask),
}

/// Decide each source's plan. `refresh` names URLs to resolve again even though the old
/// lock knows them (`update`).
pub fn plan(
    wanted: &BTreeMap<String, WantSource>,
    old: Option<&Lock>,
    refresh: &dyn Fn(&str) -> bool,
) -> BTreeMap<String, Plan> {
    let mut out = BTreeMap::new();
    for (url, want) in wanted {
        let old_entry = old.and_then(|l| l.sources.get(url));
        let pins_agree = |pin: &SourcePin| want.pins.iter().all(|(p, _)| pin_agrees(p, pin));
        let kept = old_entry
            .map(|e| &e.pin)
            .filter(|p| pins_agree(p) && !refresh(url));
        let plan = match (&want.source.kind, kept) {
            (_, Some(pin)) => Plan::Known(pin.clone()),
            (Kind::Git(g), None) => {
                // The ref to resolve: the locked one (a line pinned as `#<commit>` still
                // tracks it), else the one written.
                let git_ref = old_ref(old_entry)
                    .filter(|r| !crate::sources::gitref::is_commit(r))
                    .unwrap_or_else(|| g.git_ref.clone());
                let ask = Plan::Git(Ask {
                    remote: g.remote.clone(),
                    git_ref: git_ref.clone(),
                });
                // A commit in the fragment, or a full commit fetched by commit, is locked
                // as written unless `update` asks for the ref again.
                let by_commit = want
                    .pins
                    .first()
                    .map(|(p, _)| p.as_str())
                    .filter(|p| g.fetch_by_commit && crate::sources::gitref::is_commit(p));
                let written = want.source.commit_ref().or(by_commit);
                match written {
                    Some(c) if !refresh(url) || crate::sources::gitref::is_commit(&git_ref) => {
                        Plan::Known(SourcePin::Git {
                            git_ref,
                            commit: c.to_string(),
                        })
                    }
                    _ => ask,
                }
            }
            (Kind::Http, None) => Plan::Http(want.source.fetch.clone()),
        };
        out.insert(url.clone(), plan);
    }
    out
}

fn old_ref(e: Option<&SourceEntry>) -> Option<String> {
    match &e?.pin {
        SourcePin::Git { git_ref, .. } => Some(git_ref.clone()),
        SourcePin::Http { .. } => None,
    }
}

/// Answers to every download and ls-remote asked.
#[derive(Debug, Default)]
pub struct Answers {
    pub http: HashMap<String, Digest>,
    pub git: HashMap<Ask, String>,
}

/// Download and resolve everything the plans ask for, each once; any failure fails the
/// whole call, so that no lock is written from half an answer.
pub fn resolve<'a>(
    plans: impl IntoIterator<Item = &'a BTreeMap<String, Plan>>,
    timeout: Duration,
) -> Result<Answers, Failure> {
    let mut urls = BTreeSet::new();
    let mut asks = BTreeSet::new();
    for plan in plans {
        for p in plan.values() {
            match p {
                Plan::Http(u) => {
                    urls.insert(u.clone());
                }
                Plan::Git(a) => {
                    asks.insert(a.clone());
                }
                Plan::Known(_) => {}
            }
        }
    }
    let urls: Vec<String> = urls.into_iter().collect();
    let asks: Vec<Ask> = asks.into_iter().collect();
    let mut answers = Answers::default();
    let mut errors = Vec::new();
    if !urls.is_empty() {
        let options = http::Options::from_env(timeout).map_err(Diagnostic::new)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Diagnostic::new(format!("cannot start the async runtime: {e}")))?;
        let results = runtime.block_on(http::checksums(&urls, &options));
        for (u, r) in urls.into_iter().zip(results) {
            match r {
                Ok(d) => {
                    answers.http.insert(u, d);
                }
                Err(e) => {
                    // The URL as fetched holds its secrets: show the masked form, and mask
                    // them in whatever the server's answer quoted.
                    let safe = safe_url("", &u, true);
                    let message = format!(
                        "cannot fetch {}: {}",
                        shown(&safe.url),
                        scrub(&e.message, &safe.secrets)
                    );
                    errors.push(with_help(Diagnostic::new(message), e.help))
                }
            }
        }
    }
    for (a, r) in asks.iter().zip(git::resolve_all(&asks, timeout)) {
        match r {
            Ok(c) => {
                answers.git.insert(a.clone(), c);
            }
            Err(e) => {
                let safe = safe_url("", &a.remote, false);
                let message = scrub(&e.to_string(), &safe.secrets);
                errors.push(with_help(Diagnostic::new(message), e.help))
            }
        }
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(Failure(errors))
    }
}

fn with_help(d: Diagnostic, help: Option<String>) -> Diagnostic {
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

/// The lock's `sources:` from the plans and answers. A pin written in the Dockerfile that
/// the bytes or the ref do not match is an error on its line, as BuildKit's build fails.
pub fn build(
    wanted: &BTreeMap<String, WantSource>,
    plan: &BTreeMap<String, Plan>,
    answers: &Answers,
) -> Result<BTreeMap<String, SourceEntry>, (Error, Option<AddOrigin>)> {
    let mut out = BTreeMap::new();
    for (url, want) in wanted {
        let pin = match plan.get(url) {
            Some(Plan::Known(pin)) => pin.clone(),
            Some(Plan::Http(u)) => match answers.http.get(u) {
                Some(d) => SourcePin::Http {
                    checksum: d.clone(),
                },
                None => continue,
            },
            Some(Plan::Git(a)) => match answers.git.get(a) {
                Some(c) => SourcePin::Git {
                    git_ref: a.git_ref.clone(),
                    commit: c.clone(),
                },
                None => continue,
            },
            None => continue,
        };
        for (p, line) in want.pins.iter().filter(|_| !want.refreshed) {
            if !pin_agrees(p, &pin) {
                let (what, help) = match &pin {
                    SourcePin::Http { .. } => (
                        "serves",
                        "the bytes changed since the --checksum was written: check the new ones, then update or remove the --checksum",
                    ),
                    SourcePin::Git { .. } => (
                        "resolves to",
                        "the ref moved since the checksum was written: check the new commit, then update or remove the checksum",
                    ),
                };
                return Err((
                    Error {
                        line: *line,
                        message: format!(
                            "`{}` is pinned to {p} but {what} {}",
                            shown(url),
                            pin.shown()
                        ),
                        help: Some(help.into()),
                    },
                    want.source.add.origin.clone(),
                ));
            }
        }
        out.insert(
            url.clone(),
            SourceEntry {
                pin,
                used_by: want.used_by.clone(),
                lines: Vec::new(),
            },
        );
    }
    record_shared_lines(&mut out, wanted);
    Ok(out)
}

/// Give the entries that `rewrite` would pin to the same text their lines (see
/// [`SourceEntry::lines`]); every other entry keeps none, so most locks never show them.
fn record_shared_lines(
    entries: &mut BTreeMap<String, SourceEntry>,
    wanted: &BTreeMap<String, WantSource>,
) {
    let mut by_form: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (url, e) in entries.iter() {
        if let Some(form) = commit_form(url, &e.pin) {
            by_form.entry(form).or_default().push(url.clone());
        }
    }
    for urls in by_form.values().filter(|u| u.len() > 1) {
        for url in urls {
            if let (Some(e), Some(w)) = (entries.get_mut(url), wanted.get(url)) {
                e.lines = w.lines.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::{analyze, BuildOptions};

    /// Two refs at one commit pinned alike: each line follows its own entry, by the
    /// order of the lines the lock recorded, even after the lines moved down.
    #[test]
    fn lines_pinned_alike_keep_their_own_refs() {
        let c = "0123456789abcdef0123456789abcdef01234567";
        let mut lock = Lock::default();
        for (r, line) in [("v1", 4), ("main", 2)] {
            lock.sources.insert(
                format!("git://h/r.git#{r}"),
                SourceEntry {
                    pin: SourcePin::Git {
                        git_ref: r.into(),
                        commit: c.into(),
                    },
                    used_by: BTreeSet::new(),
                    lines: vec![line],
                },
            );
        }
        let text = format!(
            "FROM scratch\nRUN x\nRUN y\nADD git://h/r.git#{c} /m\nADD git://h/r.git#{c} /v\n"
        );
        let a = analyze(text.as_bytes(), &BuildOptions::default()).unwrap();
        let found = crate::sources::find(&a).unwrap();
        assert_eq!(
            keys(&found, Some(&lock)),
            ["git://h/r.git#main", "git://h/r.git#v1"]
        );
        let wanted = wanted(&found, Some(&lock));
        let mut entries = BTreeMap::new();
        for (url, e) in &lock.sources {
            entries.insert(
                url.clone(),
                SourceEntry {
                    lines: Vec::new(),
                    ..e.clone()
                },
            );
        }
        record_shared_lines(&mut entries, &wanted);
        assert_eq!(entries["git://h/r.git#main"].lines, [4]);
        assert_eq!(entries["git://h/r.git#v1"].lines, [5]);
    }

    #[test]
    fn commit_prefixes() {
        let c = "0123456789abcdef0123456789abcdef01234567";
        assert!(commit_matches("0123456", c));
        assert!(commit_matches(c, c));
        assert!(!commit_matches("", c));
        assert!(!commit_matches("1234", c));
    }
}
