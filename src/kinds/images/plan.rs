//! Images, steps 1, 2 and 4: from a file's [`Analysis`] to its lock entries. Which
//! references it needs, which digests are already known (pinned in the file, or kept from
//! the old lock) and which must be asked of a registry.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::dockerfile::Analysis;
use crate::lockfile::{Entry, Key, Lock, Use};
use crate::platform::Platform;
use crate::reference::{Digest, ImageRef};
use crate::registry::Resolved;
use crate::workspace::{relative_dockerfile, Origin};

/// What a Dockerfile needs locked for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    /// The first spelling used (after ARG expansion), without any digest.
    pub name: String,
    /// The line of the first use.
    pub line: usize,
    /// The file that line is in, when it is not the target itself (a Dockerfile a compose
    /// or bake file builds, or its override file).
    pub path: Option<std::path::PathBuf>,
    /// The digest written in the Dockerfile (the first one, if several) and its line.
    pub pinned: Option<(Digest, usize)>,
    /// Further uses pinned to a different digest than `pinned`: a contradiction.
    pub conflicts: Vec<(Digest, usize)>,
    pub used_by: BTreeSet<Use>,
    /// Every use, in order, for findings; a use in the target itself names no file.
    pub sites: Vec<crate::report::UsedBy>,
}

/// Every key the Dockerfile uses, in key order.
pub fn wanted(analysis: &Analysis) -> BTreeMap<Key, Want> {
    wanted_from(analysis, &[], std::path::Path::new(""))
}

/// Every key a target uses, each use's `origins` entry (if any) naming its file, service
/// or target and Dockerfile; `lock` is where paths are made relative to.
pub fn wanted_from(
    analysis: &Analysis,
    origins: &[Origin],
    lock: &std::path::Path,
) -> BTreeMap<Key, Want> {
    let mut out: BTreeMap<Key, Want> = BTreeMap::new();
    for (i, u) in analysis.images.iter().enumerate() {
        let origin = origins.get(i).filter(|o| o.owner.is_some());
        let key = Key::for_use(&u.image);
        let name = u
            .reference
            .split_once('@')
            .map_or(u.reference.as_str(), |(n, _)| n)
            .to_string();
        let want = out.entry(key).or_insert_with(|| Want {
            name,
            line: u.line,
            path: origin.map(|o| o.path.clone()),
            pinned: None,
            conflicts: Vec::new(),
            used_by: BTreeSet::new(),
            sites: Vec::new(),
        });
        want.sites.push(crate::report::UsedBy {
            dockerfile: origin.map(|o| o.path.clone()),
            line: Some(u.line),
            stage: u.stage.clone(),
            by: origin.and_then(|o| o.owner.clone()),
        });
        want.used_by.insert(Use {
            kind: u.kind,
            by: origin.and_then(|o| o.owner.clone()),
            dockerfile: origin
                .and_then(|o| o.dockerfile.as_deref())
                .map(|d| relative_dockerfile(lock, d)),
            stage: u.stage.clone(),
        });
        if let Some(d) = u.image.digest() {
            match &want.pinned {
                None => want.pinned = Some((d.clone(), u.line)),
                Some((first, _)) if first != d => want.conflicts.push((d.clone(), u.line)),
                Some(_) => {}
            }
        }
    }
    out
}

/// Where an entry's digest comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Already known: pinned in the Dockerfile or kept from the old lock.
    Known {
        digest: Digest,
        media_type: Option<String>,
        platforms: BTreeMap<String, Digest>,
    },
    /// To be asked of a registry: a tag, or a digest whose platform children are needed.
    Ask(ImageRef),
}

/// Decide each entry's source. `refresh` names keys whose tags must be re-resolved even
/// though a digest is known (`update`); digest-only references never are.
pub fn plan(
    wanted: &BTreeMap<Key, Want>,
    old: Option<&Lock>,
    elsewhere: &BTreeMap<Key, Entry>,
    platforms: &[Platform],
    refresh: &dyn Fn(&Key, &Want) -> bool,
) -> BTreeMap<Key, Source> {
    let requested: BTreeSet<String> = platforms.iter().map(ToString::to_string).collect();
    let mut out = BTreeMap::new();
    for (key, want) in wanted {
        // The old lock's entry, or else the digest another lock of the repository pins the
        // same tag to: a new lock agrees with the others rather than moving the tag.
        let old_entry = old
            .and_then(|l| l.images.get(key))
            .or_else(|| elsewhere.get(key));
        let Some(image) = key.image() else { continue };
        let known = if key.is_tag() && refresh(key, want) {
            None
        } else if let Some((digest, _)) = &want.pinned {
            // The Dockerfile's own pin wins; reuse what the old lock knew about that digest.
            let same = old_entry.filter(|e| &e.digest == digest);
            Some((
                digest.clone(),
                same.and_then(|e| e.media_type.clone()),
                same.map(|e| e.platforms.clone()).unwrap_or_default(),
            ))
        } else {
            old_entry.map(|e| (e.digest.clone(), e.media_type.clone(), e.platforms.clone()))
        };
        let source = match known {
            None => Source::Ask(image),
            Some((digest, media_type, mut have)) => {
                have.retain(|p, _| requested.contains(p));
                if have.len() == requested.len() {
                    Source::Known {
                        digest,
                        media_type,
                        platforms: have,
                    }
                } else {
                    // The children of the digest already chosen, not of wherever the tag
                    // points now: asking for platforms must not move a pin.
                    Source::Ask(image.with_digest(digest))
                }
            }
        };
        out.insert(key.clone(), source);
    }
    out
}

/// The references a set of plans must ask about, each once.
pub fn asks<'a>(plans: impl IntoIterator<Item = &'a BTreeMap<Key, Source>>) -> Vec<ImageRef> {
    let mut seen = BTreeSet::new();
    for plan in plans {
        for source in plan.values() {
            if let Source::Ask(image) = source {
                seen.insert(image.clone());
            }
        }
    }
    seen.into_iter().collect()
}

/// The lock a plan produces once every asked reference is answered.
pub fn build_lock(
    dockerfile: String,
    build_args: BTreeMap<String, String>,
    wanted: &BTreeMap<Key, Want>,
    plan: &BTreeMap<Key, Source>,
    answers: &HashMap<ImageRef, Resolved>,
) -> Lock {
    Lock {
        dockerfile,
        build_args,
        images: entries(wanted, plan, answers),
        sources: BTreeMap::new(),
        packages: BTreeMap::new(),
    }
}

/// The lock's `images:` a plan produces once every asked reference is answered. A
/// reference without an answer (which the callers rule out by failing first) is left out
/// rather than invented.
pub fn entries(
    wanted: &BTreeMap<Key, Want>,
    plan: &BTreeMap<Key, Source>,
    answers: &HashMap<ImageRef, Resolved>,
) -> BTreeMap<Key, Entry> {
    let mut images = BTreeMap::new();
    for (key, want) in wanted {
        let (digest, media_type, platforms) = match plan.get(key) {
            Some(Source::Known {
                digest,
                media_type,
                platforms,
            }) => (digest.clone(), media_type.clone(), platforms.clone()),
            Some(Source::Ask(image)) => match answers.get(image) {
                Some(r) => (
                    r.digest.clone(),
                    Some(r.media_type.clone()),
                    r.platforms.clone(),
                ),
                None => continue,
            },
            None => continue,
        };
        images.insert(
            key.clone(),
            Entry {
                name: want.name.clone(),
                digest,
                media_type,
                platforms,
                used_by: want.used_by.clone(),
            },
        );
    }
    images
}

/// Whether `--image NAME` means this entry: as written, as normalized, or any spelling
/// that normalizes to the same reference.
pub fn names(name: &str, key: &Key, want: &Want) -> bool {
    name == want.name
        || name == key.reference
        || ImageRef::parse(name).is_ok_and(|r| Key::for_use(&r) == *key)
}

#[cfg(test)]
mod tests;
