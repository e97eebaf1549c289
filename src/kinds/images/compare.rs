//! Images, step 5: `verify`'s findings. Offline, each use against the lock (missing, stale,
//! pinned to another digest, unpinned with `--require-pinned`) and one tag locked to two
//! digests across locks; with `--online`, where each locked tag points now.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::online;
use super::plan::Want;
use crate::cli::RegistryArgs;
use crate::console::Console;
use crate::diagnostic::Failure;
use crate::dockerfile::Analysis;
use crate::lockfile::{Key, Lock};
use crate::report::{Code, Finding, UsedBy};
use crate::workspace::{Origin, Target};

/// What findings about images say they are about.
pub const KIND: &str = "image";

/// A locked tag to ask the registry about with `--online`.
pub struct DriftCheck {
    dockerfile: PathBuf,
    line: usize,
    name: String,
    key: Key,
    locked: crate::reference::Digest,
    sites: Vec<UsedBy>,
}

/// A tagged entry of a lock, for finding one tag locked to two digests across locks.
pub struct Locked {
    reference: String,
    name: String,
    digest: crate::reference::Digest,
    lock: PathBuf,
    line: Option<usize>,
    used_by: Vec<UsedBy>,
}

/// `lock-conflict`: a tag locked to a different digest than in an earlier lock (in path
/// order), reported at the later lock's entry.
pub fn conflicts(locked: &[Locked]) -> Vec<Finding> {
    let mut first: BTreeMap<&str, &Locked> = BTreeMap::new();
    let mut out = Vec::new();
    let mut sorted: Vec<&Locked> = locked.iter().collect();
    sorted.sort_by(|a, b| (&a.lock, a.line).cmp(&(&b.lock, b.line)));
    for l in sorted {
        match first.get(l.reference.as_str()) {
            None => {
                first.insert(&l.reference, l);
            }
            Some(f) if f.digest != l.digest => out.push(
                Finding::new(
                    Code::LockConflict,
                    &l.lock,
                    l.line,
                    format!(
                        "`{}` is locked to {} here but to {} in {}",
                        l.name,
                        l.digest.short(),
                        f.digest.short(),
                        f.lock.display()
                    ),
                )
                .with_kind(KIND)
                .about(&l.reference)
                .pins(Some(l.digest.to_string()), None)
                .used_by(l.used_by.clone()),
            ),
            Some(_) => {}
        }
    }
    out
}

/// The offline findings: entries missing, stale, or pinned to another digest.
pub fn compare(
    target: &Target,
    lock: &Lock,
    lock_text: &[u8],
    wanted: &BTreeMap<Key, Want>,
    found: &mut Vec<Finding>,
) {
    let lock_name = target.lock.display();
    for (key, want) in wanted {
        let at = want.path.as_ref().unwrap_or(&target.dockerfile);
        let sites = sites(target, want);
        let Some(entry) = lock.images.get(key) else {
            found.push(
                Finding::new(
                    Code::MissingLockEntry,
                    at,
                    Some(want.line),
                    format!("`{}` is not in {lock_name}", want.name),
                )
                .with_kind(KIND)
                .about(&key.reference)
                .pins(None, want.pinned.as_ref().map(|(d, _)| d.to_string()))
                .used_by(sites),
            );
            continue;
        };
        let pins = want.pinned.iter().chain(&want.conflicts);
        for (digest, line) in pins {
            if digest != &entry.digest {
                found.push(
                    Finding::new(
                        Code::DigestMismatch,
                        at,
                        Some(*line),
                        format!(
                            "`{}` is pinned to {} but {lock_name} has {}",
                            want.name,
                            digest.short(),
                            entry.digest.short()
                        ),
                    )
                    .with_kind(KIND)
                    .about(&key.reference)
                    .pins(Some(entry.digest.to_string()), Some(digest.to_string()))
                    .used_by(sites.clone()),
                );
            }
        }
    }
    for (key, entry) in &lock.images {
        if !wanted.contains_key(key) {
            found.push(
                Finding::new(
                    Code::StaleLockEntry,
                    &target.lock,
                    line_of(lock_text, key, &entry.digest),
                    format!(
                        "`{}` is locked but {} does not use it",
                        entry.name,
                        target.dockerfile.display()
                    ),
                )
                .with_kind(KIND)
                .about(&key.reference)
                .pins(Some(entry.digest.to_string()), None)
                .used_by(recorded(target, &entry.used_by)),
            );
        }
    }
}

/// Each use of `want`, in the file it is written in.
fn sites(target: &Target, want: &Want) -> Vec<UsedBy> {
    want.sites
        .iter()
        .map(|s| UsedBy {
            dockerfile: Some(
                s.dockerfile
                    .clone()
                    .unwrap_or_else(|| target.dockerfile.clone()),
            ),
            ..s.clone()
        })
        .collect()
}

/// The uses a lock entry records (without lines): its Dockerfile, relative to the lock,
/// or the file the lock belongs to.
pub fn recorded<'a>(
    target: &Target,
    uses: impl IntoIterator<Item = &'a crate::lockfile::Use>,
) -> Vec<UsedBy> {
    uses.into_iter()
        .map(|u| UsedBy {
            dockerfile: Some(match &u.dockerfile {
                Some(d) => target
                    .lock
                    .parent()
                    .unwrap_or(std::path::Path::new(""))
                    .join(d),
                None => target.dockerfile.clone(),
            }),
            line: None,
            stage: u.stage.clone(),
            by: u.by.clone(),
        })
        .collect()
}

/// The line of an entry's `reference:` in the lock text, for pointing at stale entries.
fn line_of(text: &[u8], key: &Key, digest: &crate::reference::Digest) -> Option<usize> {
    let text = std::str::from_utf8(text).ok()?;
    let needle = format!("reference: {}\n", key.reference);
    let mut from = 0;
    while let Some(i) = text[from..].find(&needle) {
        let at = from + i;
        let rest = &text[at + needle.len()..];
        let next = rest.lines().next().unwrap_or("");
        if key.pinned.is_none() || next.trim() == format!("digest: {digest}") {
            return Some(text[..at].matches('\n').count() + 1);
        }
        from = at + needle.len();
    }
    None
}

/// Every tagged entry of a lock, for [`conflicts`] across locks.
pub fn locked_tags(target: &Target, lock: &Lock, lock_text: &[u8]) -> Vec<Locked> {
    lock.images
        .iter()
        .filter(|(k, _)| k.is_tag())
        .map(|(key, entry)| Locked {
            reference: key.reference.clone(),
            name: entry.name.clone(),
            digest: entry.digest.clone(),
            lock: target.lock.clone(),
            line: line_of(lock_text, key, &entry.digest),
            used_by: recorded(target, &entry.used_by),
        })
        .collect()
}

/// `--require-pinned`: every use a build fetches without a digest, written literally or
/// built from ARGs (whose values, as read, carry none).
pub fn unpinned(analysis: &Analysis, origins: &[Origin], found: &mut Vec<Finding>) {
    for (u, o) in analysis.images.iter().zip(origins) {
        if u.image.digest().is_some() {
            continue;
        }
        let message = if u.raw.contains('$') {
            format!(
                "`{}` ({}) is not pinned by digest (it is built from ARGs)",
                u.raw, u.reference
            )
        } else {
            format!("`{}` is not pinned by digest", u.raw)
        };
        let site = UsedBy {
            dockerfile: Some(o.path.clone()),
            line: Some(u.line),
            stage: u.stage.clone(),
            by: o.owner.clone(),
        };
        found.push(
            Finding::new(Code::Unpinned, &o.path, Some(u.line), message)
                .with_kind(KIND)
                .about(Key::for_use(&u.image).reference)
                .used_by(vec![site]),
        );
    }
}

/// What `--online` asks about one file's locked tags.
pub fn drift_checks(target: &Target, lock: &Lock, wanted: &BTreeMap<Key, Want>) -> Vec<DriftCheck> {
    let mut drift = Vec::new();
    for (key, want) in wanted {
        if let Some(entry) = lock.images.get(key).filter(|_| key.is_tag()) {
            drift.push(DriftCheck {
                dockerfile: want
                    .path
                    .clone()
                    .unwrap_or_else(|| target.dockerfile.clone()),
                line: want.line,
                name: want.name.clone(),
                key: key.clone(),
                locked: entry.digest.clone(),
                sites: sites(target, want),
            });
        }
    }
    drift
}

/// Ask the registry where each locked tag points now; a moved tag is `tag-drift`.
pub fn check_drift(
    console: &mut Console<'_>,
    registry: &RegistryArgs,
    checks: &[DriftCheck],
) -> Result<Vec<Finding>, Failure> {
    let images: Vec<_> = checks
        .iter()
        .filter_map(|c| c.key.image())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut uses = online::Uses::new();
    for c in checks {
        if let Some(image) = c.key.image() {
            uses.entry(image)
                .or_default()
                .push((c.dockerfile.clone(), c.line));
        }
    }
    let answers = online::resolve_all(console, registry, &images, &[], &uses)?;
    let mut findings = Vec::new();
    for c in checks {
        let Some(now) = c.key.image().and_then(|i| answers.get(&i)) else {
            continue;
        };
        if now.digest != c.locked {
            findings.push(
                Finding::new(
                    Code::TagDrift,
                    &c.dockerfile,
                    Some(c.line),
                    format!(
                        "`{}` moved: locked {}, registry has {}",
                        c.name,
                        c.locked.short(),
                        now.digest.short()
                    ),
                )
                .with_kind(KIND)
                .about(&c.key.reference)
                .pins(Some(c.locked.to_string()), Some(now.digest.to_string()))
                .used_by(c.sites.clone()),
            );
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::{Analysis, ImageUse, UseKind};
    use crate::kinds::images::plan;
    use crate::lockfile::Entry;
    use crate::reference::ImageRef;

    fn use_of(line: usize, reference: &str) -> ImageUse {
        ImageUse {
            kind: UseKind::From,
            line,
            raw: reference.into(),
            span: None,
            reference: reference.into(),
            image: ImageRef::parse(reference).unwrap(),
            stage: None,
            platform: None,
        }
    }

    #[test]
    fn findings_from_a_hand_made_analysis() {
        let a = format!("sha256:{}", "a".repeat(64));
        let b = format!("sha256:{}", "b".repeat(64));
        let analysis = Analysis {
            images: vec![
                use_of(1, "node:18"),
                use_of(2, &format!("alpine:3.20@{a}")),
                use_of(3, "redis:7"),
            ],
            ..Analysis::default()
        };
        let entry = |name: &str, d: &str| Entry {
            name: name.into(),
            digest: d.parse().unwrap(),
            media_type: None,
            platforms: BTreeMap::new(),
            used_by: BTreeSet::new(),
        };
        let key = |r: &str| Key {
            reference: r.into(),
            pinned: None,
        };
        let mut lock = Lock::default();
        lock.images
            .insert(key("docker.io/library/node:18"), entry("node:18", &a));
        lock.images.insert(
            key("docker.io/library/alpine:3.20"),
            entry("alpine:3.20", &b),
        );
        lock.images
            .insert(key("docker.io/library/nginx:1"), entry("nginx:1", &a));
        let target = Target {
            dockerfile: "Dockerfile".into(),
            lock: "Dockerfile.lock".into(),
        };
        let mut found = Vec::new();
        compare(&target, &lock, b"", &plan::wanted(&analysis), &mut found);
        let codes: Vec<_> = found.iter().map(|f| (f.code, f.line)).collect();
        assert_eq!(
            codes,
            vec![
                (Code::DigestMismatch, Some(2)),
                (Code::MissingLockEntry, Some(3)),
                (Code::StaleLockEntry, None),
            ]
        );
        assert_eq!(found[2].path, PathBuf::from("Dockerfile.lock"));
    }

    #[test]
    fn stale_entries_point_at_their_line() {
        let a: crate::reference::Digest =
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap();
        let text = format!(
            "x\nimages:\n  - name: alpine\n    reference: docker.io/library/alpine\n    digest: {a}\n"
        );
        let key = Key {
            reference: "docker.io/library/alpine".into(),
            pinned: Some(a.clone()),
        };
        assert_eq!(line_of(text.as_bytes(), &key, &a), Some(4));
        let other = Key {
            reference: "docker.io/library/node:18".into(),
            pinned: None,
        };
        assert_eq!(line_of(text.as_bytes(), &other, &a), None);
    }
}
