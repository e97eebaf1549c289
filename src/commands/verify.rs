//! `dockerfile-lock verify`: do the Dockerfiles and their locks agree? Offline unless
//! `--online`, never writes, and reports disagreements as findings (exit 1), not errors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::{write_out, Console, Outcome, Status};
use crate::cli::{ReportFormat, VerifyArgs};
use crate::diagnostic::{Diagnostic, Failure};
use crate::kinds::images::online;
use crate::kinds::images::plan::{self, Want};
use crate::kinds::sources::compare as verify_sources;
use crate::kinds::sources::plan as sources_lock;
use crate::lockfile::{self, Key, Lock};
use crate::report::{self, Code, Finding};
use crate::workspace::project;
use crate::workspace::targets::{self as common, Target};

/// A locked tag to ask the registry about with `--online`.
struct DriftCheck {
    dockerfile: PathBuf,
    line: usize,
    name: String,
    key: Key,
    locked: crate::reference::Digest,
}

pub fn run(args: &VerifyArgs, console: &mut Console<'_>) -> Outcome {
    let mut findings = Vec::new();
    let result = check_all(args, console, &mut findings);
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
        ReportFormat::Github => report::render_github(&findings, errors),
    };
    write_out(console, &text)?;
    let counts = result?;
    if findings.is_empty() {
        // On a terminal only: hooks and CI logs stay silent when all is well.
        if args.format == ReportFormat::Text && console.err_is_tty {
            console.info(&format!(
                "verified {}, {}: in sync",
                plural(counts.dockerfiles, "Dockerfile"),
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
    if codes.contains(&Code::TagDrift)
        || codes.contains(&Code::SourceDrift)
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
    dockerfiles: usize,
    images: usize,
}

/// Check every target, appending findings; the errors of all targets fail the run.
fn check_all(
    args: &VerifyArgs,
    console: &mut Console<'_>,
    findings: &mut Vec<Finding>,
) -> Result<Counts, Failure> {
    let env = common::env(&args.build).map_err(Failure::from)?;
    let selection = common::select(&args.files, &args.scan, args.lockfile.as_deref(), &env)?;
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
    let mut locked: Vec<Locked> = Vec::new();
    let mut errors = Vec::new();
    let mut drift = Vec::new();
    let mut images = 0;
    let mut source_drift = Vec::new();
    // One thread: on a busy machine (a CI runner, a laptop mid-build) a second thread
    // waits for a core more than it saves.
    for result in targets.iter().map(|t| check(t, args, &env)) {
        match result {
            Ok(mut checked) => {
                locked.append(&mut checked.locked);
                for w in &checked.warnings {
                    console.warn(w);
                }
                images += checked.images;
                findings.append(&mut checked.findings);
                drift.append(&mut checked.drift);
                source_drift.append(&mut checked.source_drift);
            }
            Err(d) => errors.push(d),
        }
    }
    findings.append(&mut conflicts(&locked));
    if errors.is_empty() && args.online {
        match check_drift(console, args, &drift) {
            Ok(mut more) => findings.append(&mut more),
            Err(mut f) => errors.append(&mut f.0),
        }
        let timeout = std::time::Duration::from_secs(args.registry.timeout);
        match verify_sources::check_drift(&source_drift, timeout) {
            Ok(mut more) => findings.append(&mut more),
            Err(mut f) => errors.append(&mut f.0),
        }
    }
    if !errors.is_empty() {
        return Err(Failure(errors));
    }
    Ok(Counts {
        dockerfiles: targets.len(),
        images,
    })
}

/// What checking one Dockerfile found.
#[derive(Default)]
struct Checked {
    /// Distinct images the Dockerfile uses.
    images: usize,
    findings: Vec<Finding>,
    warnings: Vec<Diagnostic>,
    drift: Vec<DriftCheck>,
    locked: Vec<Locked>,
    source_drift: Vec<verify_sources::DriftCheck>,
}

/// A tagged entry of a lock, for finding one tag locked to two digests across locks.
struct Locked {
    reference: String,
    name: String,
    digest: crate::reference::Digest,
    lock: PathBuf,
    line: Option<usize>,
}

/// `lock-conflict`: a tag locked to a different digest than in an earlier lock (in path
/// order), reported at the later lock's entry.
fn conflicts(locked: &[Locked]) -> Vec<Finding> {
    let mut first: BTreeMap<&str, &Locked> = BTreeMap::new();
    let mut out = Vec::new();
    let mut sorted: Vec<&Locked> = locked.iter().collect();
    sorted.sort_by(|a, b| (&a.lock, a.line).cmp(&(&b.lock, b.line)));
    for l in sorted {
        match first.get(l.reference.as_str()) {
            None => {
                first.insert(&l.reference, l);
            }
            Some(f) if f.digest != l.digest => out.push(Finding::new(
                Code::LockConflict,
                &l.lock,
                l.line,
                format!(
                    "`{}` is locked to {} here but to {} in {}",
                    l.name,
                    l.digest,
                    f.digest,
                    f.lock.display()
                ),
            )),
            Some(_) => {}
        }
    }
    out
}

/// Compare one Dockerfile with its lock; an unreadable file is an error.
fn check(
    target: &Target,
    args: &VerifyArgs,
    env: &crate::builds::Env,
) -> Result<Checked, Diagnostic> {
    let mut checked = Checked::default();
    let (findings, drift) = (&mut checked.findings, &mut checked.drift);
    let lock_bytes = match crate::boundary::read_lock(&target.lock) {
        Ok(b) => b,
        Err(e) if e.is_not_found() => {
            if !target.dockerfile.exists() {
                return Err(common::no_dockerfile(&target.dockerfile));
            }
            findings.push(Finding::new(
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
    for (key, entry) in lock.images.iter().filter(|(k, _)| k.is_tag()) {
        checked.locked.push(Locked {
            reference: key.reference.clone(),
            name: entry.name.clone(),
            digest: entry.digest.clone(),
            lock: target.lock.clone(),
            line: line_of(&lock_bytes, key, &entry.digest),
        });
    }
    let options = common::build_options(&args.build, Some(&lock))?;
    let mut found = Vec::new();
    if !args.build.build_args.is_empty()
        && options.build_args != lock.build_args
        && !project::is_project(&target.dockerfile)
    {
        found.push(Finding::new(
            Code::BuildArgsMismatch,
            &target.lock,
            None,
            format!(
                "--build-arg values {} differ from the lock's {}",
                show_args(&options.build_args),
                show_args(&lock.build_args)
            ),
        ));
    }
    if !args.build.platforms.is_empty() {
        let locked = common::locked_platforms(&lock);
        let given: BTreeSet<String> = options.platforms.iter().map(|p| p.to_string()).collect();
        let had: BTreeSet<String> = locked.iter().map(|p| p.to_string()).collect();
        if given != had {
            let show = |set: &BTreeSet<String>| {
                if set.is_empty() {
                    "none (the index digest only)".to_string()
                } else {
                    set.iter().cloned().collect::<Vec<_>>().join(", ")
                }
            };
            found.push(Finding::new(
                Code::PlatformsMismatch,
                &target.lock,
                None,
                format!(
                    "--platform {} differs from the lock's platforms: {}",
                    show(&given),
                    show(&had)
                ),
            ));
        }
    }
    let read = project::read_target(&target.dockerfile, &options, env)?;
    checked.warnings.extend(read.warnings);
    let (analysis, origins) = (read.analysis, read.origins);
    let wanted = plan::wanted_from(&analysis, &origins, &target.lock);
    checked.images = wanted.len();
    compare(target, &lock, &lock_bytes, &wanted, &mut found);
    if args.require_pinned {
        for (u, o) in analysis.images.iter().zip(&origins) {
            if !u.raw.contains('$') && u.image.digest().is_none() {
                found.push(Finding::new(
                    Code::Unpinned,
                    &o.path,
                    Some(u.line),
                    format!("`{}` is not pinned by digest", u.raw),
                ));
            }
        }
    }
    for (key, want) in &wanted {
        if let Some(entry) = lock.images.get(key).filter(|_| key.is_tag()) {
            drift.push(DriftCheck {
                dockerfile: want
                    .path
                    .clone()
                    .unwrap_or_else(|| target.dockerfile.clone()),
                line: want.line,
                name: want.name.clone(),
                key: key.clone(),
                locked: entry.digest.clone(),
            });
        }
    }
    let remote = crate::sources::pins::find_in(&analysis, &target.dockerfile)?;
    let sources = sources_lock::wanted(&remote, Some(&lock));
    verify_sources::compare(
        target,
        &lock,
        &lock_bytes,
        &sources,
        args.require_pinned,
        &mut found,
    );
    checked
        .source_drift
        .extend(verify_sources::drift_checks(target, &lock, &sources));
    found.sort_by(|a, b| (a.line, a.code, &a.message).cmp(&(b.line, b.code, &b.message)));
    checked.findings.append(&mut found);
    Ok(checked)
}

/// The offline findings: entries missing, stale, or pinned to another digest.
fn compare(
    target: &Target,
    lock: &Lock,
    lock_text: &[u8],
    wanted: &BTreeMap<Key, Want>,
    found: &mut Vec<Finding>,
) {
    let lock_name = target.lock.display();
    for (key, want) in wanted {
        let at = want.path.as_ref().unwrap_or(&target.dockerfile);
        let Some(entry) = lock.images.get(key) else {
            found.push(Finding::new(
                Code::MissingLockEntry,
                at,
                Some(want.line),
                format!("`{}` is not in {lock_name}", want.name),
            ));
            continue;
        };
        let pins = want.pinned.iter().chain(&want.conflicts);
        for (digest, line) in pins {
            if digest != &entry.digest {
                found.push(Finding::new(
                    Code::DigestMismatch,
                    at,
                    Some(*line),
                    format!(
                        "`{}` is pinned to {digest} but {lock_name} has {}",
                        want.name, entry.digest
                    ),
                ));
            }
        }
    }
    for (key, entry) in &lock.images {
        if !wanted.contains_key(key) {
            found.push(Finding::new(
                Code::StaleLockEntry,
                &target.lock,
                line_of(lock_text, key, &entry.digest),
                format!(
                    "`{}` is locked but {} does not use it",
                    entry.name,
                    target.dockerfile.display()
                ),
            ));
        }
    }
}

/// The line of an entry's `reference:` in the lock text, for pointing at stale entries.
fn line_of(text: &[u8], key: &Key, digest: &crate::reference::Digest) -> Option<usize> {
    let text = std::str::from_utf8(text).ok()?;
    let needle = format!("reference: {}\n", key.reference);
    let mut from = 0;
    while let Some(i) = text[from..].find(&needle) {
        let at = from + i;
        let rest = &text[at + needle.len()..];
        let next = rest.lines().next().unwrap_or("");
        if key.pinned.is_none() || next.trim() == format!("digest: {digest}") {
            return Some(text[..at].matches('\n').count() + 1);
        }
        from = at + needle.len();
    }
    None
}

fn show_args(args: &BTreeMap<String, String>) -> String {
    if args.is_empty() {
        return "(none)".into();
    }
    args.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Ask the registry where each locked tag points now; a moved tag is `tag-drift`.
fn check_drift(
    console: &mut Console<'_>,
    args: &VerifyArgs,
    checks: &[DriftCheck],
) -> Result<Vec<Finding>, Failure> {
    let images: Vec<_> = checks
        .iter()
        .filter_map(|c| c.key.image())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut uses = online::Uses::new();
    for c in checks {
        if let Some(image) = c.key.image() {
            uses.entry(image)
                .or_default()
                .push((c.dockerfile.clone(), c.line));
        }
    }
    let answers = online::resolve_all(console, &args.registry, &images, &[], &uses)?;
    let mut findings = Vec::new();
    for c in checks {
        let Some(now) = c.key.image().and_then(|i| answers.get(&i)) else {
            continue;
        };
        if now.digest != c.locked {
            findings.push(Finding::new(
                Code::TagDrift,
                &c.dockerfile,
                Some(c.line),
                format!(
                    "`{}` moved: locked {}, registry has {}",
                    c.name, c.locked, now.digest
                ),
            ));
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::{Analysis, ImageUse, UseKind};
    use crate::lockfile::Entry;
    use crate::reference::ImageRef;

    fn use_of(line: usize, reference: &str) -> ImageUse {
        ImageUse {
            kind: UseKind::From,
            line,
            raw: reference.into(),
            span: None,
            reference: reference.into(),
            image: ImageRef::parse(reference).unwrap(),
            stage: None,
            platform: None,
        }
    }

    #[test]
    fn findings_from_a_hand_made_analysis() {
        let a = format!("sha256:{}", "a".repeat(64));
        let b = format!("sha256:{}", "b".repeat(64));
        let analysis = Analysis {
            images: vec![
                use_of(1, "node:18"),
                use_of(2, &format!("alpine:3.20@{a}")),
                use_of(3, "redis:7"),
            ],
            ..Analysis::default()
        };
        let entry = |name: &str, d: &str| Entry {
            name: name.into(),
            digest: d.parse().unwrap(),
            media_type: None,
            platforms: BTreeMap::new(),
            used_by: BTreeSet::new(),
        };
        let key = |r: &str| Key {
            reference: r.into(),
            pinned: None,
        };
        let mut lock = Lock::default();
        lock.images
            .insert(key("docker.io/library/node:18"), entry("node:18", &a));
        lock.images.insert(
            key("docker.io/library/alpine:3.20"),
            entry("alpine:3.20", &b),
        );
        lock.images
            .insert(key("docker.io/library/nginx:1"), entry("nginx:1", &a));
        let target = Target {
            dockerfile: "Dockerfile".into(),
            lock: "Dockerfile.lock".into(),
        };
        let mut found = Vec::new();
        compare(&target, &lock, b"", &plan::wanted(&analysis), &mut found);
        let codes: Vec<_> = found.iter().map(|f| (f.code, f.line)).collect();
        assert_eq!(
            codes,
            vec![
                (Code::DigestMismatch, Some(2)),
                (Code::MissingLockEntry, Some(3)),
                (Code::StaleLockEntry, None),
            ]
        );
        assert_eq!(found[2].path, PathBuf::from("Dockerfile.lock"));
    }

    #[test]
    fn stale_entries_point_at_their_line() {
        let a: crate::reference::Digest =
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                .parse()
                .unwrap();
        let text = format!(
            "x\nimages:\n  - name: alpine\n    reference: docker.io/library/alpine\n    digest: {a}\n"
        );
        let key = Key {
            reference: "docker.io/library/alpine".into(),
            pinned: Some(a.clone()),
        };
        assert_eq!(line_of(text.as_bytes(), &key, &a), Some(4));
        let other = Key {
            reference: "docker.io/library/node:18".into(),
            pinned: None,
        };
        assert_eq!(line_of(text.as_bytes(), &other, &a), None);
        assert_eq!(show_args(&BTreeMap::new()), "(none)");
    }
}
