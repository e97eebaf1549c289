//! `dockerfile-lock verify`: do the Dockerfiles and their locks agree? Offline unless
//! `--online`, never writes, and reports disagreements as findings (exit 1), not errors.

use std::collections::BTreeSet;
use std::path::Path;

use super::{write_out, Console, Outcome, Status};
use crate::cli::{ReportFormat, VerifyArgs};
use crate::diagnostic::{Diagnostic, Failure};
use crate::kinds;
use crate::lockfile;
use crate::report::{self, Code, Finding};
use crate::workspace::{self, options, paths, project, Target};

pub fn run(args: &VerifyArgs, console: &mut Console<'_>) -> Outcome {
    let mut findings = Vec::new();
    let mut result = check_all(args, console, &mut findings);
    // One spelling of each path, whichever directory the run started in.
    let mut shown = paths::Shown::default();
    for f in &mut findings {
        f.path = shown.of(&f.path);
        for u in &mut f.used_by {
            u.dockerfile = u.dockerfile.as_deref().map(|p| shown.of(p));
        }
    }
    if let Err(failure) = &mut result {
        for d in &mut failure.0 {
            d.path = d.path.as_deref().map(|p| shown.of(p));
        }
    }
    // Findings in file and line order, whichever Dockerfile or check produced them.
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.code, &a.message).cmp(&(&b.path, b.line, b.code, &b.message))
    });
    let no_errors = Vec::new();
    let errors = match &result {
        Err(failure) => &failure.0,
        Ok(_) => &no_errors,
    };
    // Machine formats carry the errors too, so a CI job that fails on a broken file still
    // gets a JSON document or an annotation naming it; stderr has them as always.
    let text = match args.format {
        ReportFormat::Text => report::render_text(&findings),
        ReportFormat::Json => report::render_json(&findings, errors),
        ReportFormat::Github => {
            // GitHub places an annotation by its path from the top of the repository, not
            // from the directory the step ran in.
            let mut findings = findings.clone();
            for f in &mut findings {
                f.path = paths::from_repository_root(&f.path);
            }
            findings.sort_by(|a, b| {
                (&a.path, a.line, a.code, &a.message).cmp(&(&b.path, b.line, b.code, &b.message))
            });
            let mut errors = errors.clone();
            for d in &mut errors {
                d.path = d.path.as_deref().map(paths::from_repository_root);
            }
            report::render_github(&findings, &errors)
        }
    };
    write_out(console, &text)?;
    let counts = result?;
    if counts.files.is_empty() && findings.is_empty() {
        // An org-wide CI template runs in repositories with nothing to lock: that passes.
        let root = args.scan.recursive.as_deref().unwrap_or(Path::new("."));
        console.info(&format!(
            "nothing to verify in {} (no Dockerfile, Containerfile, compose or bake file)",
            paths::shown(root).display()
        ));
        return Ok(Status::Ok);
    }
    if findings.is_empty() {
        // On a terminal only: hooks and CI logs stay silent when all is well.
        if args.format == ReportFormat::Text && console.err_is_tty {
            console.info(&format!(
                "verified {}, {}: in sync",
                counted_files(&counts.files),
                plural(counts.images, "image")
            ));
        }
        return Ok(Status::Ok);
    }
    if args.format == ReportFormat::Text {
        console.info(&format!(
            "{}; {}",
            plural(findings.len(), "finding"),
            fix_hint(&findings)
        ));
    }
    Ok(Status::Findings)
}

/// What to run about these findings: `generate` for locks out of date, `rewrite` for
/// references left unpinned, `update` for tags that moved upstream.
fn fix_hint(findings: &[Finding]) -> String {
    let codes: BTreeSet<Code> = findings.iter().map(|f| f.code).collect();
    let mut fixes = Vec::new();
    if codes.iter().any(|c| {
        !matches!(
            c,
            Code::TagDrift
                | Code::SourceDrift
                | Code::PackageDrift
                | Code::PackageWithdrawn
                | Code::PackageLockUnapplied
                | Code::Unpinned
                | Code::OrphanLock
                | Code::LockConflict
        )
    }) {
        fixes.push("`dockerfile-lock generate` to bring the locks up to date");
    }
    if codes.contains(&Code::Unpinned) {
        fixes.push("`dockerfile-lock rewrite` to pin the unpinned references");
    }
    if codes.contains(&Code::PackageLockUnapplied) {
        fixes.push("`dockerfile-lock rewrite --packages` to apply the locked packages");
    }
    if codes.contains(&Code::TagDrift)
        || codes.contains(&Code::SourceDrift)
        || codes.contains(&Code::PackageDrift)
        || codes.contains(&Code::PackageWithdrawn)
        || codes.contains(&Code::LockConflict)
    {
        fixes.push("`dockerfile-lock update` to move the locks to what upstream serves now");
    }
    if codes.contains(&Code::OrphanLock) {
        fixes.push("`git rm` on each lock whose file is gone");
    }
    format!("run {}", fixes.join(", then "))
}

fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// How much a clean run checked, for the success line.
struct Counts {
    /// Each file checked, by kind.
    files: Vec<workspace::discover::FileKind>,
    images: usize,
}

/// "2 Dockerfiles, 1 compose file": what was checked, by kind, in a fixed order.
fn counted_files(kinds: &[workspace::discover::FileKind]) -> String {
    use workspace::discover::FileKind as K;
    let names = [
        (K::Dockerfile, "Dockerfile"),
        (K::Compose, "compose file"),
        (K::Bake, "bake file"),
        (K::Devcontainer, "dev container"),
        (K::Workflow, "workflow"),
        (K::Action, "action"),
    ];
    names
        .iter()
        .filter_map(|(k, noun)| {
            let n = kinds.iter().filter(|x| *x == k).count();
            (n > 0).then(|| plural(n, noun))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Check every target, appending findings; the errors of all targets fail the run.
fn check_all(
    args: &VerifyArgs,
    console: &mut Console<'_>,
    findings: &mut Vec<Finding>,
) -> Result<Counts, Failure> {
    let env = workspace::env(&args.build).map_err(Failure::from)?;
    let selection = workspace::select(&args.files, &args.scan, args.lockfile.as_deref(), &env)?;
    let targets = selection.targets;
    for orphan in &selection.orphans {
        findings.push(Finding::new(
            Code::OrphanLock,
            orphan,
            None,
            format!(
                "{} is gone; delete this lock or restore the file",
                orphan.with_extension("").display()
            ),
        ));
    }
    let mut locked = Vec::new();
    let mut errors = Vec::new();
    let mut drift = kinds::Drift::default();
    let mut images = 0;
    // One thread: on a busy machine (a CI runner, a laptop mid-build) a second thread
    // waits for a core more than it saves.
    for result in targets.iter().map(|t| check(t, args, &env)) {
        match result {
            Ok(mut checked) => {
                locked.append(&mut checked.locked);
                for w in &checked.warnings {
                    console.warn(w);
                }
                images += checked.compared.images;
                findings.append(&mut checked.findings);
                drift.append(&mut checked.compared.drift);
            }
            Err(d) => errors.push(d),
        }
    }
    findings.append(&mut kinds::images::compare::conflicts(&locked));
    if errors.is_empty() && args.online {
        kinds::check_drift(console, &args.registry, &drift, findings, &mut errors);
    }
    if !errors.is_empty() {
        return Err(Failure(errors));
    }
    Ok(Counts {
        files: targets
            .iter()
            .map(|t| workspace::discover::kind_of_path(&t.dockerfile))
            .collect(),
        images,
    })
}

/// What checking one Dockerfile found.
#[derive(Default)]
struct Checked {
    compared: kinds::Compared,
    findings: Vec<Finding>,
    warnings: Vec<Diagnostic>,
    locked: Vec<kinds::images::compare::Locked>,
}

/// Compare one Dockerfile with its lock; an unreadable file is an error.
fn check(
    target: &Target,
    args: &VerifyArgs,
    env: &crate::builds::Env,
) -> Result<Checked, Diagnostic> {
    let mut checked = Checked::default();
    let lock_bytes = match crate::boundary::read_lock(&target.lock) {
        Ok(b) => b,
        Err(e) if e.is_not_found() => {
            if !target.dockerfile.exists() {
                return Err(workspace::no_dockerfile(&target.dockerfile));
            }
            checked.findings.push(Finding::new(
                Code::MissingLockfile,
                &target.dockerfile,
                None,
                format!("no lock ({})", target.lock.display()),
            ));
            return Ok(checked);
        }
        Err(e) => return Err(e.to_diagnostic()),
    };
    let lock = lockfile::parse(&lock_bytes, &target.lock).map_err(|e| e.to_diagnostic())?;
    checked.locked = kinds::images::compare::locked_tags(target, &lock, &lock_bytes);
    let options = workspace::build_options(&args.build, Some(&lock))?;
    let mut found = options::mismatches(target, &args.build, &options, &lock);
    let mut read = project::read_target(&target.dockerfile, &options, env)?;
    checked.warnings.append(&mut read.warnings);
    checked.compared = kinds::compare(
        target,
        &lock,
        &lock_bytes,
        &read,
        env,
        args.require_pinned,
        &mut found,
    )?;
    found.sort_by(|a, b| (a.line, a.code, &a.message).cmp(&(b.line, b.code, &b.message)));
    checked.findings.append(&mut found);
    Ok(checked)
}
