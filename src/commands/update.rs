//! `dockerfile-lock update`: re-resolve the locked tags (all, or those named with
//! `--image`), print what moved, and rewrite the locks and any Dockerfile line that was
//! already pinned. Digest-only references are left alone; nothing is written unless every
//! file and every lookup succeeded.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::common;
use super::generate::{self, Job};
use super::plan::Want;
use super::splice::{self, Edit};
use super::{rewrite, write_out, Console, Outcome, Status};
use crate::cli::UpdateArgs;
use crate::diagnostic::Diagnostic;
use crate::lockfile::{self, Key, Lock};
use crate::reference::{Digest, ImageRef};

pub fn run(args: &UpdateArgs, console: &mut Console<'_>) -> Outcome {
    let targets = common::targets(&args.files, false, args.lockfile.as_deref())?;
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
    let mut writes: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
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
        let mut edits = repinned(job, &old, &lock);
        edits.extend(super::rewrite_sources::repinned(job, &old, &lock));
        if !edits.is_empty() {
            writes.push((
                job.target.dockerfile.clone(),
                splice::apply(&job.source, &edits),
            ));
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
    if moved.is_empty() {
        console.info("every locked tag is current");
    }
    // All or nothing: a failed write leaves every Dockerfile and lock as it was.
    let files: Vec<(&std::path::Path, &[u8])> = writes
        .iter()
        .map(|(p, b)| (p.as_path(), b.as_slice()))
        .collect();
    lockfile::write_all_if_changed(&files).map_err(|e| e.to_diagnostic())?;
    Ok(Status::Ok)
}

/// Whether `--image NAME` means this entry: as written, as normalized, or any spelling
/// that normalizes to the same reference.
fn names(name: &str, key: &Key, want: &Want) -> bool {
    name == want.name
        || name == key.reference
        || ImageRef::parse(name).is_ok_and(|r| Key::for_use(&r) == *key)
}

/// The edits that move each already-pinned line to its new digest; none when no pinned
/// line moved. Unpinned lines stay unpinned: that is `rewrite`'s job.
fn repinned(job: &Job, old: &Lock, new: &Lock) -> Vec<Edit> {
    let changed: BTreeMap<&Key, &Digest> = new
        .images
        .iter()
        .filter(|(k, e)| k.is_tag() && old.images.get(*k).is_some_and(|o| o.digest != e.digest))
        .map(|(k, e)| (k, &e.digest))
        .collect();
    let pinned_in_file = job.wanted.values().any(|w| w.pinned.is_some());
    if changed.is_empty() || !pinned_in_file {
        return Vec::new();
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
    edits
}
