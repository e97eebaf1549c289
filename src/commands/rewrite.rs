//! `dockerfile-lock rewrite`: pin each literally written reference as `name:tag@digest`
//! from the lock (or `--unpin` it), changing no byte outside the references themselves.
//!
//! Every file is planned before any is written: one missing lock entry anywhere and
//! nothing changes.

use std::path::PathBuf;

use super::{Console, Outcome, Status};
use crate::cli::RewriteArgs;
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::Analysis;
use crate::kinds::sources::pins as rewrite_sources;
use crate::lockfile::{self, Lock};
use crate::splice::{self, Edit, Skip};
use crate::workspace::targets::{self as common, Target};

/// One Dockerfile's old and new bytes.
struct Change {
    path: PathBuf,
    old: Vec<u8>,
    new: Vec<u8>,
    edits: usize,
    /// References left as written, and why: shown when the file changes (or with -v),
    /// not again on every run that has nothing to do.
    notes: Vec<Diagnostic>,
}

pub fn run(args: &RewriteArgs, console: &mut Console<'_>) -> Outcome {
    let env = common::env(&args.build)?;
    let targets = common::targets(&args.files, &args.scan, args.lockfile.as_deref(), &env)?;
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for target in &targets {
        match plan_file(target, args) {
            Ok(c) => changes.push(c),
            Err(mut f) => errors.append(&mut f.0),
        }
    }
    if !errors.is_empty() {
        return Err(Failure(errors));
    }
    let verb = if args.unpin { "unpin" } else { "pin" };
    for c in changes
        .iter()
        .filter(|c| c.old != c.new || console.verbosity >= 1)
    {
        for note in &c.notes {
            if console.verbosity >= 0 {
                let _ = console
                    .err
                    .write_all(note.render("note", console.color).as_bytes());
            }
        }
    }
    for c in changes.iter().filter(|c| c.old == c.new && !args.check) {
        console.info(&format!(
            "{}: nothing to change, already {verb}ned",
            c.path.display()
        ));
    }
    changes.retain(|c| c.old != c.new);
    if args.check {
        let files: Vec<(&std::path::Path, &[u8])> = changes
            .iter()
            .map(|c| (c.path.as_path(), c.new.as_slice()))
            .collect();
        return super::generate::check_only(console, &files);
    }
    // All or nothing: a failed write leaves every Dockerfile as it was.
    let files: Vec<(&std::path::Path, &[u8])> = changes
        .iter()
        .map(|c| (c.path.as_path(), c.new.as_slice()))
        .collect();
    lockfile::write_all_if_changed(&files).map_err(|e| e.to_diagnostic())?;
    for c in &changes {
        let verb = if args.unpin { "unpinned" } else { "pinned" };
        let n = c.edits;
        let s = if n == 1 { "" } else { "s" };
        console.info(&format!("{verb} {n} reference{s} in {}", c.path.display()));
    }
    Ok(Status::Ok)
}

/// Read one Dockerfile and its lock and work out the edits.
fn plan_file(target: &Target, args: &RewriteArgs) -> Result<Change, Failure> {
    let lock = read_lock(target)?;
    let options = common::build_options(&args.build, Some(&lock))?;
    let env = common::env(&args.build)?;
    let read = crate::workspace::project::read_target(&target.dockerfile, &options, &env)?;
    // Only what is written in this file: a compose file's builds are pinned by the lock.
    let analysis = if crate::workspace::project::is_project(&target.dockerfile) {
        Analysis {
            images: crate::workspace::project::own_uses(&read, &target.dockerfile),
            ..Analysis::default()
        }
    } else {
        read.analysis
    };
    let source = read.source;
    let mut notes = Vec::new();
    let mut edits = if args.unpin {
        splice::unpin_all(&source, &analysis.images)
    } else {
        pin_edits(target, &lock, &source, &analysis, &mut notes)?
    };
    edits.extend(rewrite_sources::edits(
        target, &lock, &source, &analysis, args.unpin, &mut notes,
    )?);
    Ok(Change {
        path: target.dockerfile.clone(),
        new: splice::apply(&source, &edits),
        edits: edits.len(),
        old: source,
        notes,
    })
}

/// A lock is required: rewriting pins from the lock, never from the network.
pub fn read_lock(target: &Target) -> Result<Lock, Diagnostic> {
    match lockfile::read(&target.lock) {
        Ok(Some(lock)) => Ok(lock),
        Ok(None) => Err(common::no_lock(target)),
        Err(e) => Err(e.to_diagnostic()),
    }
}

fn pin_edits(
    target: &Target,
    lock: &Lock,
    source: &[u8],
    analysis: &Analysis,
    notes: &mut Vec<Diagnostic>,
) -> Result<Vec<Edit>, Failure> {
    let pinning = splice::pin_all(source, &analysis.images, |key| {
        lock.images.get(key).map(|e| e.digest.clone())
    });
    for (u, skip) in &pinning.skipped {
        let why = match skip {
            Skip::FromArgs => "is built from ARGs and left as written (pinning it would defeat --build-arg); the lock still covers it",
            Skip::NotLiteral => "is quoted or split across lines and is left as written; the lock still covers it",
        };
        notes.push(
            Diagnostic::new(format!("`{}` {why}", u.raw)).at(&target.dockerfile, Some(u.line)),
        );
    }
    if pinning.missing.is_empty() {
        return Ok(pinning.edits);
    }
    let errors = pinning
        .missing
        .iter()
        .map(|u| {
            Diagnostic::new(format!(
                "`{}` has no entry in {}",
                u.raw,
                target.lock.display()
            ))
            .at(&target.dockerfile, Some(u.line))
            .with_help(format!(
                "run `dockerfile-lock generate {}` to lock it, then rewrite again",
                target.dockerfile.display()
            ))
        })
        .collect();
    Err(Failure(errors))
}
