//! `dockerfile-lock update`: re-resolve the locked tags (all, or those named with
//! `--image`), print what moved, and rewrite the locks and any Dockerfile line that was
//! already pinned. Digest-only references are left alone; nothing is written unless every
//! file and every lookup succeeded.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::generate::{self, Job};
use super::{rewrite, write_out, Console, Outcome, Status};
use crate::cli::UpdateArgs;
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::{global_arg_default, UseKind};
use crate::kinds::images::plan::Want;
use crate::lockfile::{self, Key, Lock};
use crate::reference::{Digest, ImageRef};
use crate::splice::{self, Edit};
use crate::workspace::targets as common;

pub fn run(args: &UpdateArgs, console: &mut Console<'_>) -> Outcome {
    let env = common::env(&args.build)?;
    let targets = common::targets(&args.files, &args.scan, args.lockfile.as_deref(), &env)?;
    let mut locks = Vec::new();
    for target in &targets {
        locks.push(rewrite::read_lock(target)?);
    }
    let selected = |key: &Key, want: &Want| {
        args.images.is_empty() || args.images.iter().any(|n| names(n, key, want))
    };
    // `--image URL` names a source; without `--image`, every source is resolved again.
    let selected_source =
        |url: &str| args.images.is_empty() || args.images.iter().any(|n| n == url);
    let jobs = generate::prepare_all(console, &targets, |target| {
        let i = targets.iter().position(|t| t == target).unwrap_or(0);
        generate::prepare_with(
            target,
            &args.build,
            locks.get(i),
            &selected,
            &selected_source,
        )
    })?;
    for name in &args.images {
        let known = jobs.iter().any(|j| {
            j.wanted
                .iter()
                .any(|(k, w)| k.is_tag() && names(name, k, w))
                || j.sources.contains_key(name)
        });
        if !known {
            return Err(Diagnostic::new(format!("no locked tag matches `{name}`"))
                .with_help("name an image as the Dockerfile writes it (`node:18`) or as the lock's `reference`")
                .into());
        }
    }
    let answers = generate::resolve_jobs(console, &args.registry, &jobs)?;
    let fetched = generate::resolve_sources(&args.registry, &jobs)?;

    let mut moved = BTreeSet::new();
    let mut summary = Summary::default();
    let mut writes: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
    // Pins update cannot move in place: nothing is written, so the Dockerfile and its lock
    // never disagree.
    let mut failures = Vec::new();
    let none = HashMap::new();
    for job in &jobs {
        let lock =
            generate::build_lock(job, answers.get(&job.platforms).unwrap_or(&none), &fetched)?;
        let old = job.old.clone().unwrap_or_default();
        for (url, entry) in &lock.sources {
            if let Some(before) = old.sources.get(url).filter(|e| e.pin != entry.pin) {
                moved.insert((
                    crate::sources::pins::shown(url),
                    before.pin.shown(),
                    entry.pin.shown(),
                ));
            }
        }
        for (key, entry) in &lock.images {
            if let Some(before) = old.images.get(key).filter(|e| e.digest != entry.digest) {
                moved.insert((
                    key.reference.clone(),
                    before.digest.to_string(),
                    entry.digest.to_string(),
                ));
            }
        }
        summary.added += lock
            .images
            .keys()
            .filter(|k| !old.images.contains_key(*k))
            .count();
        summary.removed += old
            .images
            .keys()
            .filter(|k| !lock.images.contains_key(*k))
            .count();
        match repinned(job, &old, &lock) {
            Ok(mut edits) => {
                edits.extend(crate::kinds::sources::pins::repinned(job, &old, &lock));
                if !edits.is_empty() {
                    summary.lines += edits.len();
                    writes.push((
                        job.target.dockerfile.clone(),
                        splice::apply(&job.source, &edits),
                    ));
                }
            }
            Err(mut stuck) => failures.append(&mut stuck),
        }
        writes.push((
            job.target.lock.clone(),
            lockfile::encode(&lock)?.into_bytes(),
        ));
    }
    if !failures.is_empty() {
        return Err(Failure(failures));
    }
    let mut report = String::new();
    for (reference, old, new) in &moved {
        report.push_str(&format!("{reference}: {old} → {new}\n"));
    }
    write_out(console, &report)?;
    summary.repinned = moved.len();
    let files: Vec<(&std::path::Path, &[u8])> = writes
        .iter()
        .map(|(p, b)| (p.as_path(), b.as_slice()))
        .collect();
    if args.check {
        return generate::check_only(console, &files);
    }
    // All or nothing: a failed write leaves every Dockerfile and lock as it was.
    let written = lockfile::write_all_if_changed(&files).map_err(|e| e.to_diagnostic())?;
    summary.files = written.iter().filter(|w| **w).count();
    console.info(&summary.to_string());
    Ok(Status::Ok)
}

/// What an update changed, for the line it ends with.
#[derive(Default)]
struct Summary {
    /// Locked tags that now point to another digest.
    repinned: usize,
    /// Lock entries for references the Dockerfile uses that the lock lacked.
    added: usize,
    /// Lock entries for references the Dockerfile no longer uses.
    removed: usize,
    /// Pinned Dockerfile lines moved to the new digest.
    lines: usize,
    /// Files written.
    files: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.files == 0 {
            return f.write_str("every locked tag is current; nothing changed");
        }
        let count =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = Vec::new();
        if self.repinned > 0 || (self.added == 0 && self.removed == 0) {
            parts.push(count(self.repinned, "tag re-pinned", "tags re-pinned"));
        }
        if self.added > 0 {
            parts.push(count(self.added, "entry added", "entries added"));
        }
        if self.removed > 0 {
            parts.push(count(self.removed, "entry removed", "entries removed"));
        }
        if self.lines > 0 {
            parts.push(count(
                self.lines,
                "pinned line rewritten",
                "pinned lines rewritten",
            ));
        }
        write!(
            f,
            "updated {}: {}",
            count(self.files, "file", "files"),
            parts.join(", ")
        )
    }
}

/// Whether `--image NAME` means this entry: as written, as normalized, or any spelling
/// that normalizes to the same reference.
fn names(name: &str, key: &Key, want: &Want) -> bool {
    name == want.name
        || name == key.reference
        || ImageRef::parse(name).is_ok_and(|r| Key::for_use(&r) == *key)
}

/// The edits that move each already-pinned reference to its new digest, where it is
/// written: in the FROM (quoted or not), or in the default of the global ARG a FROM names
/// whole (`ARG BASE=img:1@sha256:…` / `FROM $BASE`); none when no pin moved. The
/// diagnostics of pins that cannot be moved in place. Unpinned references stay unpinned:
/// that is `rewrite`'s job.
fn repinned(job: &Job, old: &Lock, new: &Lock) -> Result<Vec<Edit>, Vec<Diagnostic>> {
    let changed: BTreeMap<&Key, &Digest> = new
        .images
        .iter()
        .filter(|(k, e)| k.is_tag() && old.images.get(*k).is_some_and(|o| o.digest != e.digest))
        .map(|(k, e)| (k, &e.digest))
        .collect();
    let pinned_in_file = job.wanted.values().any(|w| w.pinned.is_some());
    if changed.is_empty() || !pinned_in_file {
        return Ok(Vec::new());
    }
    let mut edits = Vec::new();
    let mut stuck = Vec::new();
    for u in &job.analysis.images {
        let Some(digest) = changed.get(&Key::for_use(&u.image)) else {
            continue;
        };
        if u.image.digest().is_none() || u.image.is_digest_only() {
            continue;
        }
        let at = match splice::written(&job.source, u) {
            Ok((text, range)) => Some((text.to_string(), range)),
            Err(_) => in_arg_default(job, u),
        };
        match at.and_then(|(text, range)| splice::pinned(&text, digest).map(|t| (t, range))) {
            Some((text, range)) => edits.push(Edit { range, text }),
            None => stuck.push(
                Diagnostic::new(format!(
                    "`{}` is pinned where update cannot move it to {digest}",
                    u.raw
                ))
                .at(&job.target.dockerfile, Some(u.line))
                .with_help("edit the digest by hand (or unpin it with `rewrite --unpin` and pin again with `rewrite`), then update again"),
            ),
        }
    }
    if !stuck.is_empty() {
        return Err(stuck);
    }
    Ok(edits)
}

/// For `FROM $NAME` (or `${NAME}`) whose reference is the literal default of global ARG
/// NAME, not overridden by a --build-arg: that default's text and bytes.
fn in_arg_default(
    job: &Job,
    u: &crate::dockerfile::ImageUse,
) -> Option<(String, std::ops::Range<usize>)> {
    if u.kind != UseKind::From {
        return None;
    }
    let name = u.raw.strip_prefix('$')?;
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    if job.build_args.contains_key(name) {
        return None;
    }
    let d = global_arg_default(&job.source, name)?;
    (d.value == u.reference).then_some(())?;
    Some((d.value, d.span?))
}
