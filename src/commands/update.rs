//! `dockerfile-lock update`: re-resolve the locked tags (all, or those named with
//! `--image`), print what moved, and rewrite the locks and any Dockerfile line that was
//! already pinned. Digest-only references are left alone; nothing is written unless every
//! file and every lookup succeeded.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use super::{check_only, would_change, write_out, Console, Outcome, Status};
use crate::cli::{ListFormat, UpdateArgs};
use crate::diagnostic::{Diagnostic, Failure};
use crate::kinds::{self, images::plan::names, images::plan::Want};
use crate::lockfile::{self, Key};
use crate::splice;
use crate::workspace::{self, paths};

pub fn run(args: &UpdateArgs, console: &mut Console<'_>) -> Outcome {
    let env = workspace::env(&args.build)?;
    let targets = workspace::targets(&args.files, &args.scan, args.lockfile.as_deref(), &env)?;
    let mut locks = Vec::new();
    for target in &targets {
        locks.push(workspace::read_lock(target)?);
    }
    let selected = |key: &Key, want: &Want| {
        args.images.is_empty() || args.images.iter().any(|n| names(n, key, want))
    };
    // `--image URL` names a source; without `--image`, every source is resolved again.
    let selected_source =
        |url: &str| args.images.is_empty() || args.images.iter().any(|n| n == url);
    let jobs = kinds::prepare_all(console, &targets, |target| {
        let i = targets.iter().position(|t| t == target).unwrap_or(0);
        kinds::prepare_with(
            target,
            &args.build,
            locks.get(i),
            &selected,
            &selected_source,
            &kinds::packages::Options {
                lock: args.packages.packages,
                snapshot: args.packages.snapshot.clone(),
                refresh: args.images.is_empty(),
            },
        )
    })?;
    for name in &args.images {
        if !jobs.iter().any(|j| kinds::names(j, name)) {
            return Err(Diagnostic::new(format!("no locked tag matches `{name}`"))
                .with_help("name an image as the Dockerfile writes it (`node:18`) or as the lock's `reference`")
                .into());
        }
    }
    let answers = kinds::resolve(console, &args.registry, &jobs)?;

    let mut moved = BTreeSet::new();
    let mut summary = Summary::default();
    let mut document = Document::default();
    let mut writes: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
    // Pins update cannot move in place: nothing is written, so the Dockerfile and its lock
    // never disagree.
    let mut failures = Vec::new();
    for job in &jobs {
        let lock = kinds::build_lock(job, &answers)?;
        let old = job.old.clone().unwrap_or_default();
        moved.extend(kinds::moved(&old, &lock));
        document.add(&job.target.lock, &old, &lock);
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
        match kinds::repinned(job, &old, &lock) {
            Ok(edits) => {
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
        // A compose or bake file's builds read their Dockerfiles: their pins move too.
        for built in workspace::built::dockerfiles(&job.target.dockerfile, &env)? {
            match kinds::repinned_in(
                job,
                &built.path,
                &built.source,
                &built.analysis,
                &old,
                &lock,
            ) {
                Ok(edits) if !edits.is_empty() => {
                    summary.lines += edits.len();
                    writes.push((built.path, splice::apply(&built.source, &edits)));
                }
                Ok(_) => {}
                Err(mut stuck) => failures.append(&mut stuck),
            }
        }
        writes.push((
            job.target.lock.clone(),
            lockfile::encode(&lock)?.into_bytes(),
        ));
    }
    // A Dockerfile that several locks cover is written once, if they agree on it.
    let mut unique: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
    for (path, bytes) in writes {
        match unique.iter().find(|(p, _)| *p == path) {
            Some((_, b)) if *b == bytes => {}
            Some(_) => failures.push(
                Diagnostic::new(format!(
                    "{} is locked more than once, and the updated locks pin it differently",
                    path.display()
                ))
                .with_help("update every file that builds it together, or pin it by hand"),
            ),
            None => unique.push((path, bytes)),
        }
    }
    let writes = unique;
    if !failures.is_empty() {
        return Err(Failure(failures));
    }
    let json = args.format == ListFormat::Json;
    if !json {
        let mut report = String::new();
        for (reference, old, new) in &moved {
            report.push_str(&format!(
                "{reference}: {} → {}\n",
                crate::reference::shortened(old),
                crate::reference::shortened(new)
            ));
        }
        write_out(console, &report)?;
    }
    summary.repinned = moved.len();
    let files: Vec<(&Path, &[u8])> = writes
        .iter()
        .map(|(p, b)| (p.as_path(), b.as_slice()))
        .collect();
    if args.check && json {
        // The document says what would be written; no diff, so stdout stays one document.
        let changed = would_change(&files)?;
        document.written = changed.iter().map(|(p, _, _)| shown(p)).collect();
        write_out(console, &document.render())?;
        if changed.is_empty() {
            return Ok(Status::Ok);
        }
        console.info(&format!(
            "{} would change (--check: nothing written)",
            count(changed.len(), "file", "files")
        ));
        return Ok(Status::Findings);
    }
    if args.check {
        return check_only(console, &files);
    }
    // All or nothing: a failed write leaves every Dockerfile and lock as it was.
    let written = lockfile::write_all_if_changed(&files).map_err(|e| e.to_diagnostic())?;
    summary.files = written.iter().filter(|w| **w).count();
    if json {
        document.written = files
            .iter()
            .zip(&written)
            .filter(|(_, w)| **w)
            .map(|((p, _), _)| shown(p))
            .collect();
        write_out(console, &document.render())?;
    }
    console.info(&summary.to_string());
    Ok(Status::Ok)
}

/// `update --format json`: what moved, what was added and removed, per lock, and the files
/// written (with `--check`, the files that would be). Paths as the other commands show them.
#[derive(Default, Serialize)]
struct Document {
    moved: Vec<MovedOut>,
    added: Vec<EntryOut>,
    removed: Vec<EntryOut>,
    written: Vec<String>,
}

/// A locked pin that moved: the entry as `update` prints it, its old and new pin.
#[derive(Serialize)]
struct MovedOut {
    what: String,
    old: String,
    new: String,
    lock: String,
}

/// An image or source entry a lock gained or lost, with its pin.
#[derive(Serialize)]
struct EntryOut {
    what: String,
    pin: String,
    lock: String,
}

impl Document {
    /// What one lock's update changed, from its old and new contents.
    fn add(&mut self, path: &Path, old: &lockfile::Lock, new: &lockfile::Lock) {
        let lock = shown(path);
        for (what, old, new) in kinds::moved(old, new) {
            self.moved.push(MovedOut {
                what,
                old,
                new,
                lock: lock.clone(),
            });
        }
        for (from, to, list) in [(old, new, &mut self.added), (new, old, &mut self.removed)] {
            for (key, entry) in &to.images {
                if !from.images.contains_key(key) {
                    list.push(EntryOut {
                        what: key.reference.clone(),
                        pin: entry.digest.to_string(),
                        lock: lock.clone(),
                    });
                }
            }
            for (url, entry) in &to.sources {
                if !from.sources.contains_key(url) {
                    list.push(EntryOut {
                        what: crate::sources::pins::shown(url),
                        pin: entry.pin.shown(),
                        lock: lock.clone(),
                    });
                }
            }
        }
    }

    fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("plain strings serialize");
        text.push('\n');
        text
    }
}

fn shown(path: &Path) -> String {
    paths::shown(path).display().to_string()
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
