//! The kinds of locked input, and the one place they are listed: images, `ADD` sources
//! and the packages `RUN` installs.
//!
//! Every kind goes through the same steps, and every kind's module offers them under the
//! same names, so that the verbs never learn what a kind is:
//!
//! | step | what | function of the kind's module |
//! |------|------|-------------------------------|
//! | 1, 2 | the uses the analysis found; what is wanted, given the old lock | `prepare` → `Planned` |
//! | 3 | resolving, online, every file's questions at once | `resolve` → `Answers` |
//! | 4 | the lock entries | `lock_entries` |
//! | 5 | `verify`'s findings, offline and `--online` | `compare`, `check_drift` |
//! | 6 | `rewrite`'s and `update`'s edits, through [`crate::splice`] | `edits`, `repinned` |
//! | 7 | the rules of the export formats | the `export` module |
//!
//! The functions below run one step for every kind, in the order the kinds are listed
//! here. A new kind is a module beside `images` and `sources` offering those steps, its
//! `mod` line, its field in [`Job`] (and in [`Answers`], [`Drift`]), and its call in each
//! step below: this file and nothing else.

pub mod images;
pub mod packages;
pub mod sources;

use std::collections::BTreeMap;

use crate::cli::{BuildArgs, RegistryArgs};
use crate::console::Console;
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::Analysis;
use crate::lockfile::{self, Key, Lock};
use crate::splice::Edit;
use crate::workspace::{self, options, project, Origin, Target};
use images::plan::Want;

/// One file read and planned, waiting for the answers of registries and remotes.
pub struct Job {
    pub target: Target,
    pub old: Option<Lock>,
    /// What the new lock records as `build-args`.
    pub build_args: BTreeMap<String, String>,
    /// The Dockerfile (or compose or bake file) as read, for commands that also edit it.
    pub source: Vec<u8>,
    pub analysis: Analysis,
    /// Where each of `analysis.images` is written.
    pub origins: Vec<Origin>,
    /// Each kind's uses, what it wants locked and where each pin comes from.
    pub images: images::Planned,
    pub sources: sources::Planned,
    pub packages: packages::Planned,
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
    packages: &packages::Options,
) -> Result<(Job, Vec<Diagnostic>), Diagnostic> {
    prepare_with(target, build, recorded, refresh, &|_| false, packages)
}

/// The tags the repository's other locks pin, each to the one digest they agree on (a tag
/// they disagree about is left out: `verify` reports that `lock-conflict`).
pub fn locked_elsewhere(
    locks: &[&Lock],
) -> (
    BTreeMap<Key, lockfile::Entry>,
    std::collections::BTreeSet<Key>,
) {
    let mut out: BTreeMap<Key, lockfile::Entry> = BTreeMap::new();
    let mut split = std::collections::BTreeSet::new();
    for lock in locks {
        for (key, entry) in &lock.images {
            if !key.is_tag() {
                continue;
            }
            match out.get(key) {
                Some(e) if e.digest != entry.digest => {
                    split.insert(key.clone());
                }
                Some(_) => {}
                None => {
                    out.insert(key.clone(), entry.clone());
                }
            }
        }
    }
    out.retain(|k, _| !split.contains(k));
    (out, split)
}

/// [`prepare`], with `refresh_source` naming source URLs to resolve again.
pub fn prepare_with(
    target: &Target,
    build: &BuildArgs,
    recorded: Option<&Lock>,
    refresh: &dyn Fn(&Key, &Want) -> bool,
    refresh_source: &dyn Fn(&str) -> bool,
    packages: &packages::Options,
) -> Result<(Job, Vec<Diagnostic>), Diagnostic> {
    prepare_in(
        target,
        build,
        recorded,
        (refresh, refresh_source),
        packages,
        &BTreeMap::new(),
    )
}

/// Which locked pins to resolve again: image keys, and source URLs (`update`).
pub type Refresh<'a> = (&'a dyn Fn(&Key, &Want) -> bool, &'a dyn Fn(&str) -> bool);

/// [`prepare_with`], with the tags other locks of the repository pin (`elsewhere`, see
/// [`locked_elsewhere`]): a tag this lock does not have yet takes their digest.
pub fn prepare_in(
    target: &Target,
    build: &BuildArgs,
    recorded: Option<&Lock>,
    (refresh, refresh_source): Refresh<'_>,
    packages: &packages::Options,
    elsewhere: &BTreeMap<Key, lockfile::Entry>,
) -> Result<(Job, Vec<Diagnostic>), Diagnostic> {
    let old = lockfile::read(&target.lock).map_err(|e| match e {
        // Its own help says what to do with a link, a FIFO or a file out of the tree.
        lockfile::Error::Boundary(b) => b.to_diagnostic(),
        e => e.to_diagnostic().with_help(format!(
            "fix {} or delete it, then run `dockerfile-lock generate` again",
            target.lock.display()
        )),
    })?;
    let options = workspace::build_options(build, recorded)?;
    let env = workspace::env(build)?;
    let read = project::read_target(&target.dockerfile, &options, &env)?;
    let mut warnings = read.warnings;
    let is_project = workspace::discover::is_project(&target.dockerfile);
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
        warnings.extend(options::unconsumed_build_args(
            &target.dockerfile,
            &read.source,
            &options,
        ));
    }
    let (source, analysis, origins) = (read.source, read.analysis, read.origins);
    let build_args = match recorded {
        // A compose or bake lock records no --build-arg: none applied.
        _ if is_project => BTreeMap::new(),
        Some(lock) if build.build_args.is_empty() => lock.build_args.clone(),
        _ => options::given_build_args(&options, build),
    };
    let (packages, more) = packages::prepare(
        target,
        (&source, &analysis),
        &env,
        old.as_ref(),
        &options.platforms,
        packages,
    )?;
    warnings.extend(more);
    let images = images::prepare(
        target,
        &analysis,
        &origins,
        old.as_ref(),
        elsewhere,
        options.platforms,
        refresh,
    )?;
    let sources = sources::prepare(target, &analysis, old.as_ref(), refresh_source)?;
    let job = Job {
        target: target.clone(),
        old,
        build_args,
        source,
        analysis,
        origins,
        images,
        sources,
        packages,
    };
    Ok((job, warnings))
}

/// Every kind's answers, for every job.
pub struct Answers {
    pub images: images::Answers,
    pub sources: sources::Answers,
    pub packages: packages::Answers,
}

/// Ask registries and remotes everything the jobs need, each question once; any failure
/// fails the whole call, so that no lock is written from half an answer.
pub fn resolve(
    console: &mut Console<'_>,
    registry: &RegistryArgs,
    jobs: &[Job],
) -> Result<Answers, Failure> {
    let images = images::resolve(
        console,
        registry,
        jobs.iter().map(|j| {
            let uses =
                images::online::uses(&j.images, &j.analysis, &j.origins, &j.target.dockerfile);
            (&j.images, uses)
        }),
    )?;
    let sources = sources::resolve(registry, jobs.iter().map(|j| &j.sources))?;
    // Packages are read from the base images just locked.
    let packages = packages::resolve(
        registry,
        jobs.iter().map(|j| {
            (
                j.target.lock.as_path(),
                &j.packages,
                images::lock_entries(&j.images, &images),
            )
        }),
    )?;
    Ok(Answers {
        images,
        sources,
        packages,
    })
}

/// The new lock of one job, every kind's entries, once every question is answered.
pub fn build_lock(job: &Job, answers: &Answers) -> Result<Lock, Diagnostic> {
    let mut lock = Lock {
        dockerfile: workspace::relative_dockerfile(&job.target.lock, &job.target.dockerfile),
        build_args: job.build_args.clone(),
        ..Lock::default()
    };
    lock.images = images::lock_entries(&job.images, &answers.images);
    lock.sources = sources::lock_entries(&job.target, &job.sources, &answers.sources)?;
    lock.packages = packages::lock_entries(&job.target, &answers.packages);
    Ok(lock)
}

/// What comparing one file with its lock found beyond the findings: how many images it
/// uses, and what `--online` asks upstream.
#[derive(Default)]
pub struct Compared {
    /// Distinct images the file uses.
    pub images: usize,
    pub drift: Drift,
}

/// The locked pins to check upstream with `--online`, of every kind.
#[derive(Default)]
pub struct Drift {
    pub images: Vec<images::DriftCheck>,
    pub sources: Vec<sources::DriftCheck>,
    pub packages: Vec<packages::DriftCheck>,
}

impl Drift {
    pub fn append(&mut self, other: &mut Drift) {
        self.images.append(&mut other.images);
        self.sources.append(&mut other.sources);
        self.packages.append(&mut other.packages);
    }
}

/// `verify`'s offline findings for one file, every kind's, appended to `found`.
pub fn compare(
    target: &Target,
    lock: &Lock,
    lock_text: &[u8],
    read: &project::Read,
    env: &crate::builds::Env,
    require_pinned: bool,
    found: &mut Vec<crate::report::Finding>,
) -> Result<Compared, Diagnostic> {
    let (source, analysis, origins) = (&read.source, &read.analysis, &read.origins);
    let (count, images) = images::compare(
        target,
        lock,
        lock_text,
        analysis,
        origins,
        require_pinned,
        found,
    );
    let sources = sources::compare(target, lock, lock_text, analysis, require_pinned, found)?;
    let packages = packages::compare(target, lock, (source, analysis), env, require_pinned, found)?;
    Ok(Compared {
        images: count,
        drift: Drift {
            images,
            sources,
            packages,
        },
    })
}

/// `verify --online`: ask upstream about every locked pin; what moved is a finding, what
/// could not be asked an error.
pub fn check_drift(
    console: &mut Console<'_>,
    registry: &RegistryArgs,
    drift: &Drift,
    findings: &mut Vec<crate::report::Finding>,
    errors: &mut Vec<Diagnostic>,
) {
    let results = [
        images::check_drift(console, registry, &drift.images),
        sources::check_drift(registry, &drift.sources),
        packages::check_drift(registry, &drift.packages),
    ];
    for result in results {
        match result {
            Ok(mut more) => findings.append(&mut more),
            Err(mut f) => errors.append(&mut f.0),
        }
    }
}

/// `rewrite`'s edits for one file, every kind's: the pins from the lock (notes for those
/// left as written), or with `unpin` their removal. An entry the lock lacks is an error.
/// Packages are pinned only when asked (`with_packages`): that edits `RUN` lines.
pub fn edits(
    target: &Target,
    lock: &Lock,
    source: &[u8],
    analysis: &Analysis,
    unpin: bool,
    with_packages: bool,
    notes: &mut Vec<Diagnostic>,
) -> Result<Vec<Edit>, Failure> {
    let mut edits = images::edits(target, lock, source, analysis, unpin, notes)?;
    edits.extend(sources::edits(
        target, lock, source, analysis, unpin, notes,
    )?);
    let mut package_notes = Vec::new();
    let package_edits = if with_packages || !lock.packages.is_empty() {
        packages::edits(target, lock, source, analysis, unpin, &mut package_notes)?
    } else {
        Vec::new()
    };
    if with_packages {
        edits.extend(package_edits);
        notes.append(&mut package_notes);
    } else if !unpin && !package_edits.is_empty() {
        // Not "already pinned": the lock pins packages these lines do not apply yet.
        notes.push(
            Diagnostic::new(format!(
                "{} locked package pin{} left as written: `rewrite` edits RUN lines only with --packages",
                package_edits.len(),
                if package_edits.len() == 1 { " is" } else { "s are" }
            ))
            .at(&target.dockerfile, None),
        );
    }
    Ok(edits)
}

/// Whether `update --image NAME` names something the job locks: a tag (as written or
/// normalized) or a source URL.
pub fn names(job: &Job, name: &str) -> bool {
    job.images
        .wanted
        .iter()
        .any(|(k, w)| k.is_tag() && images::plan::names(name, k, w))
        || job.sources.wanted.contains_key(name)
}

/// What `update` moved, every kind's: (what, the old pin, the new pin), as shown.
pub fn moved(old: &Lock, new: &Lock) -> Vec<(String, String, String)> {
    let mut out = sources::moved(old, new);
    out.extend(images::moved(old, new));
    out.extend(packages::moved(old, new));
    out
}

/// `update`'s edits for one job: each pin written in the file moved from the `old` lock's
/// to the `new` one's. The diagnostics of pins that cannot be moved in place. For a
/// compose or bake file, only what it writes itself: the Dockerfiles its builds read are
/// [`repinned_in`]'s.
pub fn repinned(job: &Job, old: &Lock, new: &Lock) -> Result<Vec<Edit>, Vec<Diagnostic>> {
    if !workspace::discover::is_project(&job.target.dockerfile) {
        return repinned_in(
            job,
            &job.target.dockerfile,
            &job.source,
            &job.analysis,
            old,
            new,
        );
    }
    let own = Analysis {
        images: job
            .analysis
            .images
            .iter()
            .zip(&job.origins)
            .filter(|(_, o)| o.path == job.target.dockerfile)
            .map(|(u, _)| u.clone())
            .collect(),
        ..Analysis::default()
    };
    repinned_in(job, &job.target.dockerfile, &job.source, &own, old, new)
}

/// [`repinned`] for one file the job locks: the job's own, or a Dockerfile its compose or
/// bake file builds, with its bytes and the uses found in them.
pub fn repinned_in(
    job: &Job,
    dockerfile: &std::path::Path,
    source: &[u8],
    analysis: &Analysis,
    old: &Lock,
    new: &Lock,
) -> Result<Vec<Edit>, Vec<Diagnostic>> {
    let file = images::pins::File {
        dockerfile,
        source,
        analysis,
        wanted: &job.images.wanted,
        build_args: &job.build_args,
    };
    let mut edits = images::repinned(&file, old, new)?;
    edits.extend(sources::repinned(source, analysis, old, new));
    let file = Target {
        dockerfile: dockerfile.to_path_buf(),
        lock: job.target.lock.clone(),
    };
    edits.extend(packages::repinned(&file, source, analysis, old, new));
    Ok(edits)
}
