//! `dockerfile-lock generate`: resolve every image the Dockerfiles use and write each lock.
//!
//! Everything is read and resolved before anything is written: a bad lock, a parse error
//! or a registry failure anywhere leaves every lock as it was.

use std::path::Path;

use super::{check_only, Console, Outcome, Status};
use crate::cli::GenerateArgs;
use crate::diagnostic::Diagnostic;
use crate::kinds;
use crate::lockfile;
use crate::workspace;

pub fn run(args: &GenerateArgs, console: &mut Console<'_>) -> Outcome {
    let env = workspace::env(&args.build)?;
    let selection = workspace::select(&args.files, &args.scan, args.lockfile.as_deref(), &env)?;
    // With --recursive: the locks whose file is gone, removed once the others are written.
    let orphans = selection.orphans;
    let targets = selection.targets;
    if targets.is_empty() {
        // An org-wide CI template runs in repositories with nothing to lock: that passes.
        let root = args.scan.recursive.as_deref().unwrap_or(Path::new("."));
        console.info(&format!(
            "nothing to lock in {} (no Dockerfile, Containerfile, compose or bake file)",
            workspace::paths::shown(root).display()
        ));
        return Ok(Status::Ok);
    }
    let packages = kinds::packages::Options {
        lock: args.packages.packages,
        snapshot: args.packages.snapshot.clone(),
        // A new snapshot asked for is a refresh of the old answers.
        refresh: args.packages.snapshot.is_some(),
    };
    // A tag another lock of the repository pins keeps that digest in a new lock.
    let others = repository_locks(&targets);
    let (elsewhere, split) = kinds::locked_elsewhere(&others.iter().collect::<Vec<_>>());
    let jobs = kinds::prepare_all(console, &targets, |target| {
        kinds::prepare_in(
            target,
            &args.build,
            None,
            (&|_, _| false, &|_| false),
            &packages,
            &elsewhere,
        )
    })?;
    for job in &jobs {
        for key in job.images.wanted.keys() {
            let new = job.old.as_ref().is_none_or(|l| !l.images.contains_key(key));
            if new && split.contains(key) {
                console.warn(
                    &Diagnostic::new(format!(
                        "`{}` is locked to different digests in this repository's locks: {} takes today's",
                        key.reference,
                        job.target.lock.display()
                    ))
                    .with_help(format!(
                        "align them with `dockerfile-lock update --recursive --image {}`",
                        key.reference
                    )),
                );
            }
        }
    }
    let answers = kinds::resolve(console, &args.registry, &jobs)?;
    let mut writes = Vec::new();
    for job in &jobs {
        let lock = kinds::build_lock(job, &answers)?;
        let counted = format!(
            "{} {}{}{}",
            lock.images.len(),
            images(lock.images.len()),
            match lock.sources.len() {
                0 => String::new(),
                1 => ", 1 source".into(),
                n => format!(", {n} sources"),
            },
            match lock
                .packages
                .values()
                .map(|e| e.packages.len())
                .sum::<usize>()
            {
                0 => String::new(),
                1 => ", 1 package".into(),
                n => format!(", {n} packages"),
            }
        );
        writes.push((job.target.lock.clone(), lockfile::encode(&lock)?, counted));
    }
    if args.check {
        let files: Vec<(&std::path::Path, &[u8])> = writes
            .iter()
            .map(|(p, text, _)| (p.as_path(), text.as_bytes()))
            .collect();
        let status = check_only(console, &files)?;
        for orphan in &orphans {
            console.info(&format!(
                "would remove {}: the file it locks is gone",
                orphan.display()
            ));
        }
        return Ok(if orphans.is_empty() {
            status
        } else {
            Status::Findings
        });
    }
    // Nothing is removed unless it can be: checked before anything is written.
    for orphan in &orphans {
        crate::boundary::check_write(orphan).map_err(|e| e.to_diagnostic())?;
    }
    // All or nothing: a failed write leaves every lock as it was.
    let files: Vec<(&std::path::Path, &[u8])> = writes
        .iter()
        .map(|(p, text, _)| (p.as_path(), text.as_bytes()))
        .collect();
    let written = lockfile::write_all_if_changed(&files).map_err(|e| e.to_diagnostic())?;
    for ((path, _, counted), wrote) in writes.iter().zip(written) {
        if wrote {
            console.info(&format!("wrote {} ({counted})", path.display()));
        } else {
            console.info(&format!("{} is up to date", path.display()));
        }
    }
    for orphan in &orphans {
        std::fs::remove_file(orphan)
            .map_err(|e| Diagnostic::new(format!("cannot remove {}: {e}", orphan.display())))?;
        console.info(&format!(
            "removed {}: the file it locked is gone",
            orphan.display()
        ));
    }
    Ok(Status::Ok)
}

/// Every readable lock of the repository the targets are in (a lock that cannot be read
/// is `verify`'s to report, not a reason to fail here).
fn repository_locks(targets: &[workspace::Target]) -> Vec<lockfile::Lock> {
    let Some(first) = targets.first() else {
        return Vec::new();
    };
    // The work tree (or the directory -C and --recursive name); outside git, the current
    // directory.
    let mut root = crate::boundary::root_of(&first.dockerfile);
    if !root.join(".git").exists() {
        if let Ok(cwd) = std::env::current_dir().and_then(std::fs::canonicalize) {
            if crate::boundary::lexical_absolute(&first.dockerfile).starts_with(&cwd)
                || std::fs::canonicalize(&first.dockerfile).is_ok_and(|p| p.starts_with(&cwd))
            {
                root = cwd;
            }
        }
    }
    let Ok(excludes) = workspace::discover::Excludes::new(&[]) else {
        return Vec::new();
    };
    let Ok(paths) = workspace::discover::find_locks(&root, &excludes) else {
        return Vec::new();
    };
    paths
        .iter()
        .filter_map(|p| lockfile::read(p).ok().flatten())
        .collect()
}

fn images(n: usize) -> &'static str {
    if n == 1 {
        "image"
    } else {
        "images"
    }
}
