//! `dockerfile-lock rewrite`: pin each literally written reference as `name:tag@digest`
//! from the lock (or `--unpin` it), changing no byte outside the references themselves.
//! A compose or bake file's lock pins the file and each Dockerfile its builds read: a
//! build reads the Dockerfile, never the lock. A reference left as written is named, with
//! why, on every run.
//!
//! Every file is planned before any is written: one missing lock entry anywhere and
//! nothing changes.

use std::path::PathBuf;

use super::{check_only, Console, Outcome, Status};
use crate::cli::RewriteArgs;
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::Analysis;
use crate::kinds;
use crate::lockfile;
use crate::splice;
use crate::workspace::{self, discover, project, Target};

/// One Dockerfile's old and new bytes.
struct Change {
    path: PathBuf,
    old: Vec<u8>,
    new: Vec<u8>,
    edits: usize,
    /// References left as written, and why: shown on every run, so that a file with
    /// nothing to change is never taken for a file with everything pinned.
    notes: Vec<Diagnostic>,
    /// Whether the file writes any reference: a compose or bake file that only builds
    /// Dockerfiles is not reported as "already pinned" for references it does not have.
    references: bool,
}

pub fn run(args: &RewriteArgs, console: &mut Console<'_>) -> Outcome {
    let env = workspace::env(&args.build)?;
    let targets = workspace::targets(&args.files, &args.scan, args.lockfile.as_deref(), &env)?;
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for target in &targets {
        match plan_file(target, args) {
            Ok(mut c) => changes.append(&mut c),
            Err(mut f) => errors.append(&mut f.0),
        }
    }
    // A Dockerfile locked twice (on its own and through a compose or bake file, or through
    // two of them) is written once; locks that pin it differently are refused.
    let mut merged: Vec<Change> = Vec::new();
    for c in changes {
        match merged.iter().find(|m| m.path == c.path) {
            Some(m) if m.new == c.new => {}
            Some(_) => errors.push(
                Diagnostic::new(format!(
                    "{} is locked more than once, and its locks pin it differently",
                    c.path.display()
                ))
                .with_help("run `dockerfile-lock generate` on every file that builds it, then rewrite again"),
            ),
            None => merged.push(c),
        }
    }
    let mut changes = merged;
    if !errors.is_empty() {
        return Err(Failure(errors));
    }
    let verb = if args.unpin { "unpin" } else { "pin" };
    for c in &changes {
        for note in &c.notes {
            if console.verbosity >= 0 {
                let _ = console
                    .err
                    .write_all(note.render("note", console.color).as_bytes());
            }
        }
    }
    for c in changes
        .iter()
        .filter(|c| c.old == c.new && c.references && !args.check)
    {
        // "Already pinned" only when every reference is: the rest are named above.
        let message = match c.notes.len() {
            0 => format!("{}: nothing to change, already {verb}ned", c.path.display()),
            n => format!(
                "{}: nothing to change; {n} reference{} left as written, as noted above",
                c.path.display(),
                if n == 1 { "" } else { "s" }
            ),
        };
        console.info(&message);
    }
    changes.retain(|c| c.old != c.new);
    if args.check {
        let files: Vec<(&std::path::Path, &[u8])> = changes
            .iter()
            .map(|c| (c.path.as_path(), c.new.as_slice()))
            .collect();
        return check_only(console, &files);
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

/// Read one Dockerfile and its lock and work out the edits: for a compose or bake file,
/// of the file itself and of each Dockerfile its builds read, all from its one lock.
fn plan_file(target: &Target, args: &RewriteArgs) -> Result<Vec<Change>, Failure> {
    let lock = workspace::read_lock(target)?;
    let options = workspace::build_options(&args.build, Some(&lock))?;
    let env = workspace::env(&args.build)?;
    let read = project::read_target(&target.dockerfile, &options, &env)?;
    if !discover::is_project(&target.dockerfile) {
        return Ok(vec![change(
            target,
            &lock,
            read.source,
            &read.analysis,
            args,
        )?]);
    }
    // Only what is written in the file itself: its builds' Dockerfiles are planned below.
    let own = Analysis {
        images: project::own_uses(&read, &target.dockerfile),
        ..Analysis::default()
    };
    let mut changes = vec![change(target, &lock, read.source, &own, args)?];
    // A build reads its Dockerfile, not the lock: each literal reference in it is pinned
    // from the lock too, or named with why it is not.
    for built in workspace::built::dockerfiles(&target.dockerfile, &env)? {
        let file = Target {
            dockerfile: built.path,
            lock: target.lock.clone(),
        };
        changes.push(change(&file, &lock, built.source, &built.analysis, args)?);
    }
    Ok(changes)
}

/// One file's edits from `lock`.
fn change(
    target: &Target,
    lock: &lockfile::Lock,
    source: Vec<u8>,
    analysis: &Analysis,
    args: &RewriteArgs,
) -> Result<Change, Failure> {
    let mut notes = Vec::new();
    let edits = kinds::edits(
        target,
        lock,
        &source,
        analysis,
        args.unpin,
        args.packages,
        &mut notes,
    )?;
    Ok(Change {
        path: target.dockerfile.clone(),
        new: splice::apply(&source, &edits),
        edits: edits.len(),
        old: source,
        notes,
        references: !analysis.images.is_empty() || !analysis.sources.is_empty(),
    })
}
