//! `dockerfile-lock rewrite`: pin each literally written reference as `name:tag@digest`
//! from the lock (or `--unpin` it), changing no byte outside the references themselves.
//!
//! Every file is planned before any is written: one missing lock entry anywhere and
//! nothing changes.

use std::path::PathBuf;

use super::common::{self, Target};
use super::splice::{self, Edit, Skip};
use super::{rewrite_sources, write_out, Console, Outcome, Status};
use crate::cli::RewriteArgs;
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::Analysis;
use crate::lockfile::{self, Lock};

/// One Dockerfile's old and new bytes.
struct Change {
    path: PathBuf,
    old: Vec<u8>,
    new: Vec<u8>,
    edits: usize,
}

pub fn run(args: &RewriteArgs, console: &mut Console<'_>) -> Outcome {
    let targets = common::targets(&args.files, false, args.lockfile.as_deref())?;
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for target in &targets {
        match plan_file(console, target, args) {
            Ok(c) => changes.push(c),
            Err(mut f) => errors.append(&mut f.0),
        }
    }
    if !errors.is_empty() {
        return Err(Failure(errors));
    }
    changes.retain(|c| c.old != c.new);
    if args.check {
        for c in &changes {
            let path = c.path.display().to_string().replace('\\', "/");
            write_out(console, &splice::diff(&path, &c.old, &c.new))?;
        }
        return Ok(if changes.is_empty() {
            Status::Ok
        } else {
            Status::Findings
        });
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
fn plan_file(
    console: &mut Console<'_>,
    target: &Target,
    args: &RewriteArgs,
) -> Result<Change, Failure> {
    let lock = read_lock(target)?;
    let options = common::build_options(&args.build, Some(&lock))?;
    let (source, analysis) = common::read_dockerfile(&target.dockerfile, &options)?;
    let mut edits = if args.unpin {
        splice::unpin_all(&source, &analysis.images)
    } else {
        pin_edits(console, target, &lock, &source, &analysis)?
    };
    edits.extend(rewrite_sources::edits(
        console, target, &lock, &source, &analysis, args.unpin,
    )?);
    Ok(Change {
        path: target.dockerfile.clone(),
        new: splice::apply(&source, &edits),
        edits: edits.len(),
        old: source,
    })
}

/// A lock is required: rewriting pins from the lock, never from the network.
pub fn read_lock(target: &Target) -> Result<Lock, Diagnostic> {
    match lockfile::read(&target.lock) {
        Ok(Some(lock)) => Ok(lock),
        Ok(None) => Err(Diagnostic::new(format!(
            "{} has no lock at {}",
            target.dockerfile.display(),
            target.lock.display()
        ))
        .with_help(format!(
            "run `dockerfile-lock generate {}` first",
            target.dockerfile.display()
        ))),
        Err(e) => Err(e.to_diagnostic()),
    }
}

fn pin_edits(
    console: &mut Console<'_>,
    target: &Target,
    lock: &Lock,
    source: &[u8],
    analysis: &Analysis,
) -> Result<Vec<Edit>, Failure> {
    let pinning = splice::pin_all(source, &analysis.images, |key| {
        lock.images.get(key).map(|e| e.digest.clone())
    });
    for (u, skip) in &pinning.skipped {
        let why = match skip {
            Skip::FromArgs => "is built from ARGs and left as written (pinning it would defeat --build-arg); the lock still covers it",
            Skip::NotLiteral => "is quoted or split across lines and is left as written; the lock still covers it",
        };
        let note =
            Diagnostic::new(format!("`{}` {why}", u.raw)).at(&target.dockerfile, Some(u.line));
        if console.verbosity >= 0 {
            let _ = console
                .err
                .write_all(note.render("note", console.color).as_bytes());
        }
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
