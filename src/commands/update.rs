//! `dockerfile-lock update`: re-resolve the locked tags (all, or those named with
//! `--image`), print what moved, and rewrite the locks and any Dockerfile line that was
//! already pinned. Digest-only references are left alone; nothing is written unless every
//! file and every lookup succeeded.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::common;
use super::generate::{self, Job};
use super::plan::{self, Want};
use super::splice::{self, Edit};
use super::{rewrite, write_out, Console, Outcome, Status};
use crate::cli::UpdateArgs;
use crate::diagnostic::Diagnostic;
use crate::lockfile::{self, Key, Lock};
use crate::reference::{Digest, ImageRef};

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
    let jobs = generate::prepare_all(console, &targets, |target| {
        let i = targets.iter().position(|t| t == target).unwrap_or(0);
        generate::prepare(target, &args.build, locks.get(i), &selected)
    })?;
    for name in &args.images {
        let known = jobs.iter().any(|j| {
            j.wanted
                .iter()
                .any(|(k, w)| k.is_tag() && names(name, k, w))
        });
        if !known {
            return Err(Diagnostic::new(format!("no locked tag matches `{name}`"))
                .with_help("name an image as the Dockerfile writes it (`node:18`) or as the lock's `reference`")
                .into());
        }
    }
    let answers = generate::resolve_jobs(console, &args.registry, &jobs)?;

    let mut moved = BTreeSet::new();
    let mut summary = Summary::default();
    let mut writes: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
    let none = HashMap::new();
    for job in &jobs {
        let lock = plan::build_lock(
            common::relative_dockerfile(&job.target.lock, &job.target.dockerfile),
            job.build_args.clone(),
            &job.wanted,
            &job.plan,
            answers.get(&job.platforms).unwrap_or(&none),
        );
        let old = job.old.clone().unwrap_or_default();
        for (key, entry) in &lock.images {
            if let Some(before) = old.images.get(key).filter(|e| e.digest != entry.digest) {
                moved.insert((
                    key.reference.clone(),
                    before.digest.clone(),
                    entry.digest.clone(),
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
        if let Some((bytes, lines)) = repinned(job, &old, &lock) {
            summary.lines += lines;
            writes.push((job.target.dockerfile.clone(), bytes));
        }
        writes.push((
            job.target.lock.clone(),
            lockfile::encode(&lock)?.into_bytes(),
        ));
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

/// The Dockerfile with each already-pinned line moved to its new digest; `None` when no
/// pinned line moved, with the number of lines moved. Unpinned lines stay unpinned: that
/// is `rewrite`'s job.
fn repinned(job: &Job, old: &Lock, new: &Lock) -> Option<(Vec<u8>, usize)> {
    let changed: BTreeMap<&Key, &Digest> = new
        .images
        .iter()
        .filter(|(k, e)| k.is_tag() && old.images.get(*k).is_some_and(|o| o.digest != e.digest))
        .map(|(k, e)| (k, &e.digest))
        .collect();
    let pinned_in_file = job.wanted.values().any(|w| w.pinned.is_some());
    if changed.is_empty() || !pinned_in_file {
        return None;
    }
    let mut edits = Vec::new();
    for u in &job.analysis.images {
        let Some(digest) = changed.get(&Key::for_use(&u.image)) else {
            continue;
        };
        if u.image.digest().is_none() || u.image.is_digest_only() {
            continue;
        }
        if let Ok((text, range)) = splice::written(&job.source, u) {
            if let Some(text) = splice::pinned(text, digest) {
                edits.push(Edit { range, text });
            }
        }
    }
    Some((splice::apply(&job.source, &edits), edits.len()))
}
