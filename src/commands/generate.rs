//! `dockerfile-lock generate`: resolve every image the Dockerfiles use and write each lock.
//!
//! Everything is read and resolved before anything is written: a bad lock, a parse error
//! or a registry failure anywhere leaves every lock as it was.

use std::collections::{BTreeMap, HashMap};

use super::{Console, Outcome, Status};
use crate::cli::{BuildArgs, GenerateArgs, RegistryArgs};
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::Analysis;
use crate::kinds::images::online;
use crate::kinds::images::plan::{self, Source, Want};
use crate::kinds::sources::plan::{self as sources_lock, WantSource};
use crate::lockfile::{self, Key, Lock};
use crate::platform::Platform;
use crate::reference::ImageRef;
use crate::registry::Resolved;
use crate::workspace::project::{self, Origin};
use crate::workspace::targets::{self as common, Target};

/// One Dockerfile read and planned, waiting for the registry's answers.
pub struct Job {
    pub target: Target,
    pub old: Option<Lock>,
    pub wanted: BTreeMap<Key, Want>,
    pub plan: BTreeMap<Key, Source>,
    /// What the new lock records as `build-args`.
    pub build_args: BTreeMap<String, String>,
    pub platforms: Vec<Platform>,
    /// The Dockerfile (or compose or bake file) as read, for commands that also edit it.
    pub source: Vec<u8>,
    pub analysis: Analysis,
    /// Where each of `analysis.images` is written.
    pub origins: Vec<Origin>,
    /// The fetched `ADD` sources it needs, and where their pins come from.
    pub sources: BTreeMap<String, WantSource>,
    pub sources_plan: BTreeMap<String, sources_lock::Plan>,
}

pub fn run(args: &GenerateArgs, console: &mut Console<'_>) -> Outcome {
    let env = common::env(&args.build)?;
    let targets = common::targets(&args.files, &args.scan, args.lockfile.as_deref(), &env)?;
    let jobs = prepare_all(console, &targets, |target| {
        prepare(target, &args.build, None, &|_, _| false)
    })?;
    let answers = resolve_jobs(console, &args.registry, &jobs)?;
    let fetched = resolve_sources(&args.registry, &jobs)?;
    let mut writes = Vec::new();
    let none = HashMap::new();
    for job in &jobs {
        let lock = build_lock(job, answers.get(&job.platforms).unwrap_or(&none), &fetched)?;
        let counted = format!(
            "{} {}{}",
            lock.images.len(),
            images(lock.images.len()),
            match lock.sources.len() {
                0 => String::new(),
                1 => ", 1 source".into(),
                n => format!(", {n} sources"),
            }
        );
        writes.push((job.target.lock.clone(), lockfile::encode(&lock)?, counted));
    }
    if args.check {
        let files: Vec<(&std::path::Path, &[u8])> = writes
            .iter()
            .map(|(p, text, _)| (p.as_path(), text.as_bytes()))
            .collect();
        return check_only(console, &files);
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
    Ok(Status::Ok)
}

/// `--check`: print the diff of every file that would change; exit 1 if any would.
pub fn check_only(console: &mut Console<'_>, files: &[(&std::path::Path, &[u8])]) -> Outcome {
    let mut changed = 0;
    for (path, new) in files {
        // What would be refused for writing is refused here too.
        crate::boundary::check_write(path).map_err(|e| e.to_diagnostic())?;
        let old = match crate::boundary::read(path, crate::boundary::DOCUMENT_LIMIT) {
            Ok(old) => old,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(e.to_diagnostic().into()),
        };
        if old != *new {
            changed += 1;
            super::write_diff(console, path, &old, new)?;
        }
    }
    if changed == 0 {
        return Ok(Status::Ok);
    }
    let s = if changed == 1 { "" } else { "s" };
    console.info(&format!(
        "{changed} file{s} would change (--check: nothing written)"
    ));
    Ok(Status::Findings)
}

fn images(n: usize) -> &'static str {
    if n == 1 {
        "image"
    } else {
        "images"
    }
}

/// The new lock of one job, images and sources, once every question is answered.
pub fn build_lock(
    job: &Job,
    answers: &HashMap<ImageRef, Resolved>,
    fetched: &sources_lock::Answers,
) -> Result<Lock, Diagnostic> {
    let mut lock = plan::build_lock(
        common::relative_dockerfile(&job.target.lock, &job.target.dockerfile),
        job.build_args.clone(),
        &job.wanted,
        &job.plan,
        answers,
    );
    lock.sources =
        sources_lock::build(&job.sources, &job.sources_plan, fetched).map_err(|(e, origin)| {
            crate::sources::pins::located(e, origin.as_ref(), &job.target.dockerfile)
        })?;
    Ok(lock)
}

/// Download and resolve every source the jobs need, each once.
pub fn resolve_sources(
    registry: &RegistryArgs,
    jobs: &[Job],
) -> Result<sources_lock::Answers, Failure> {
    let timeout = std::time::Duration::from_secs(registry.timeout);
    sources_lock::resolve(jobs.iter().map(|j| &j.sources_plan), timeout)
}

/// Ask the registries everything the jobs need, each reference once per platform set
/// (files whose locks record different platforms are asked about those platforms).
pub fn resolve_jobs(
    console: &mut Console<'_>,
    registry: &RegistryArgs,
    jobs: &[Job],
) -> Result<HashMap<Vec<Platform>, HashMap<ImageRef, Resolved>>, Failure> {
    let mut groups: BTreeMap<&Vec<Platform>, Vec<&Job>> = BTreeMap::new();
    for job in jobs {
        groups.entry(&job.platforms).or_default().push(job);
    }
    let mut out = HashMap::new();
    for (platforms, group) in groups {
        let asks = plan::asks(group.iter().map(|j| &j.plan));
        let answers = online::resolve_all(console, registry, &asks, platforms, &uses(&group))?;
        out.insert(platforms.clone(), answers);
    }
    Ok(out)
}

/// Where the jobs use each reference they ask about, in file and line order.
fn uses(jobs: &[&Job]) -> online::Uses {
    let mut uses = online::Uses::new();
    for job in jobs {
        for (key, source) in &job.plan {
            let Source::Ask(image) = source else {
                continue;
            };
            let at = uses.entry(image.clone()).or_default();
            for (i, u) in job.analysis.images.iter().enumerate() {
                if Key::for_use(&u.image) == *key {
                    let path = job
                        .origins
                        .get(i)
                        .map_or(&job.target.dockerfile, |o| &o.path);
                    at.push((path.clone(), u.line));
                }
            }
        }
    }
    uses
}

/// Prepare every target; all errors are reported together, none is written.
pub fn prepare_all(
    console: &mut Console<'_>,
    targets: &[Target],
    mut prepare: impl FnMut(&Target) -> Result<(Job, Vec<Diagnostic>), Diagnostic>,
) -> Result<Vec<Job>, Failure> {
    let mut jobs = Vec::new();
    let mut errors = Vec::new();
    for target in targets {
        match prepare(target) {
            Ok((job, warnings)) => {
                for w in &warnings {
                    console.warn(w);
                }
                jobs.push(job);
            }
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(jobs)
    } else {
        Err(Failure(errors))
    }
}

/// Read one Dockerfile and its old lock, and plan the new lock. A lock that cannot be read
/// is refused rather than replaced: silently re-pinning everything would hide the problem.
pub fn prepare(
    target: &Target,
    build: &BuildArgs,
    recorded: Option<&Lock>,
    refresh: &dyn Fn(&Key, &Want) -> bool,
) -> Result<(Job, Vec<Diagnostic>), Diagnostic> {
    prepare_with(target, build, recorded, refresh, &|_| false)
}

/// [`prepare`], with `refresh_source` naming source URLs to resolve again.
pub fn prepare_with(
    target: &Target,
    build: &BuildArgs,
    recorded: Option<&Lock>,
    refresh: &dyn Fn(&Key, &Want) -> bool,
    refresh_source: &dyn Fn(&str) -> bool,
) -> Result<(Job, Vec<Diagnostic>), Diagnostic> {
    let old = lockfile::read(&target.lock).map_err(|e| match e {
        // Its own help says what to do with a link, a FIFO or a file out of the tree.
        lockfile::Error::Boundary(b) => b.to_diagnostic(),
        e => e.to_diagnostic().with_help(format!(
            "fix {} or delete it, then run `dockerfile-lock generate` again",
            target.lock.display()
        )),
    })?;
    let options = common::build_options(build, recorded)?;
    let env = common::env(build)?;
    let read = project::read_target(&target.dockerfile, &options, &env)?;
    let mut warnings = read.warnings;
    let is_project = project::is_project(&target.dockerfile);
    if is_project && !build.build_args.is_empty() {
        warnings.push(
            Diagnostic::new(format!(
                "--build-arg does not apply to {}: its builds take their args from the file",
                target.dockerfile.display()
            ))
            .with_help("set them in the file (`args:`), or through its variables with --env"),
        );
    }
    if !build.build_args.is_empty() && !is_project {
        warnings.extend(common::unconsumed_build_args(
            &target.dockerfile,
            &read.source,
            &options,
        ));
    }
    let (source, analysis, origins) = (read.source, read.analysis, read.origins);
    let wanted = plan::wanted_from(&analysis, &origins, &target.lock);
    check_conflicts(target, &wanted)?;
    let plan = plan::plan(&wanted, old.as_ref(), &options.platforms, refresh);
    let found = crate::sources::pins::find_in(&analysis, &target.dockerfile)?;
    let mut sources = sources_lock::wanted(&found, old.as_ref());
    for (url, want) in &mut sources {
        want.refreshed = refresh_source(url);
    }
    let sources_plan = sources_lock::plan(&sources, old.as_ref(), refresh_source);
    let build_args = match recorded {
        // A compose or bake lock records no --build-arg: none applied.
        _ if is_project => BTreeMap::new(),
        Some(lock) if build.build_args.is_empty() => lock.build_args.clone(),
        _ => common::given_build_args(&options, build),
    };
    let job = Job {
        target: target.clone(),
        old,
        wanted,
        plan,
        build_args,
        platforms: options.platforms,
        source,
        analysis,
        origins,
        sources,
        sources_plan,
    };
    Ok((job, warnings))
}

/// One image pinned to two digests cannot have one lock entry.
fn check_conflicts(target: &Target, wanted: &BTreeMap<Key, Want>) -> Result<(), Diagnostic> {
    for want in wanted.values() {
        if let (Some((first, first_line)), Some((other, line))) =
            (&want.pinned, want.conflicts.first())
        {
            return Err(Diagnostic::new(format!(
                "`{}` is pinned to {first} on line {first_line} and to {other} here",
                want.name
            ))
            .at(
                want.path.as_ref().unwrap_or(&target.dockerfile),
                Some(*line),
            )
            .with_help("pin every use of an image to the same digest"));
        }
    }
    Ok(())
}
