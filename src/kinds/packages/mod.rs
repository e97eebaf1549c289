//! Packages: what `RUN` installs with apt and apk, locked by snapshot and by version from
//! the locked base image's own sources. One module per step: [`plan`] (the installs of
//! each stage built), [`online`] (reading the base image and the repositories),
//! [`compare`](mod@compare) (findings), [`pins`] (edits). The readers and clients are in
//! [`crate::packages`].
//!
//! Packages are locked once asked for (`generate --packages`, or `packages = true` in
//! `.dockerfile-lock.toml`); a lock that has them keeps them.

pub mod compare;
pub mod online;
pub mod pins;
pub mod plan;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::cli::RegistryArgs;
use crate::diagnostic::{Diagnostic, Failure};
use crate::lockfile::packages::{PackagesEntry, PackagesKey};
use crate::lockfile::{Entry, Key, Lock};
use crate::packages::{apk, Manager};
use crate::platform::Platform;
use crate::report::{Code, Finding};
use crate::splice::Edit;
use crate::workspace::Target;
use online::{Ask, Session, Snapshot};
pub use plan::Scan;

/// How packages are to be locked in this run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--packages`.
    pub lock: bool,
    /// `--snapshot`: `now`, `base` or an ID.
    pub snapshot: Option<String>,
    /// `update`: resolve again rather than keep the old lock's answers.
    pub refresh: bool,
}

/// One file's packages: the installs its stages make, and whether they are locked.
#[derive(Debug, Clone, Default)]
pub struct Planned {
    /// The Dockerfile's installs, or those of each Dockerfile a compose or bake file builds.
    pub files: Vec<plan::FileScan>,
    /// Locked in this run: asked for, or already in the old lock.
    pub enabled: bool,
    pub platform: Option<Platform>,
    pub old: BTreeMap<PackagesKey, PackagesEntry>,
    pub refresh: bool,
    pub snapshot: Option<String>,
    /// `.dockerfile-lock.toml`'s snapshot services.
    pub services: BTreeMap<String, String>,
}

/// Steps 1 and 2: the installs of the Dockerfile, or of each Dockerfile a compose or
/// bake file builds (read only when packages are locked).
pub fn prepare(
    target: &Target,
    read: (&[u8], &crate::dockerfile::Analysis),
    env: &crate::builds::Env,
    old: Option<&Lock>,
    platforms: &[Platform],
    options: &Options,
) -> Result<(Planned, Vec<Diagnostic>), Diagnostic> {
    let config = crate::config::load(Path::new("."))?;
    let old_entries = old.map(|l| l.packages.clone()).unwrap_or_default();
    let enabled = options.lock || config.packages || !old_entries.is_empty();
    if !enabled {
        return Ok((Planned::default(), Vec::new()));
    }
    let files = plan::scan_target(target, read.0, read.1, env)?;
    let mut warnings = Vec::new();
    {
        for f in &files {
            for n in &f.scan.notes {
                warnings.push(
                    Diagnostic::new(format!("not locked: {}", n.message)).at(&f.path, Some(n.line)),
                );
            }
        }
        let installs = files.iter().any(|f| !f.scan.stages.is_empty());
        if platforms.len() > 1 && installs {
            warnings.push(Diagnostic::new(format!(
                "packages are locked for {} only, the first of the platforms",
                platforms[0]
            )));
        }
    }
    if let Some(s) = &options.snapshot {
        if !matches!(s.as_str(), "now" | "base") && !crate::packages::is_snapshot_id(s) {
            return Err(Diagnostic::new(format!(
                "--snapshot {s:?} is neither `now`, `base` nor a snapshot ID"
            ))
            .with_help("a snapshot ID is a UTC time: YYYYMMDDTHHMMSSZ, e.g. 20260101T000000Z"));
        }
    }
    Ok((
        Planned {
            files,
            enabled,
            platform: platforms.first().cloned(),
            old: old_entries,
            refresh: options.refresh,
            snapshot: options.snapshot.clone(),
            services: config.snapshots,
        },
        warnings,
    ))
}

/// Every job's new `packages:` entries, by lock path.
pub type Answers = HashMap<PathBuf, BTreeMap<PackagesKey, PackagesEntry>>;

/// The digest of the image entry `base` for `platform`: the platform's manifest when the
/// lock records one, else the entry's own.
fn base_digest(
    images: &BTreeMap<Key, Entry>,
    base: &Key,
    platform: &Platform,
) -> Option<crate::reference::Digest> {
    let entry = images.get(base)?;
    Some(
        entry
            .platforms
            .get(&platform.to_string())
            .unwrap_or(&entry.digest)
            .clone(),
    )
}

/// Step 3: lock the packages of every job that locks them. An old entry read from the
/// same base image for the same packages is kept as it is (a second run asks nothing),
/// unless `update` refreshes it or `--snapshot` names another snapshot.
pub fn resolve<'a>(
    registry: &RegistryArgs,
    files: impl IntoIterator<Item = (&'a Path, &'a Planned, BTreeMap<Key, Entry>)>,
) -> Result<Answers, Failure> {
    let mut answers = Answers::new();
    let mut asks: Vec<(PathBuf, Ask)> = Vec::new();
    let mut services = BTreeMap::new();
    let now = crate::packages::apt::snapshot_id_now();
    for (lock, planned, images) in files {
        let out = answers.entry(lock.to_path_buf()).or_default();
        if !planned.enabled {
            continue;
        }
        for (k, v) in &planned.services {
            services.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let platform = planned
            .platform
            .clone()
            .unwrap_or_else(Platform::default_target);
        for stage in planned.files.iter().flat_map(|f| &f.scan.stages) {
            let Some(digest) = base_digest(&images, &stage.base, &platform) else {
                continue;
            };
            let names: Vec<&String> = stage.requests.keys().collect();
            let snapshot = match planned.snapshot.as_deref() {
                None | Some("now") => Snapshot::Now(now.clone()),
                Some("base") => Snapshot::Base,
                Some(id) => Snapshot::Id(id.to_string()),
            };
            let old = planned.old.get(&stage.key).filter(|e| {
                !planned.refresh
                    && e.base == stage.base.reference
                    && e.base_digest == digest
                    && e.packages.iter().map(|p| &p.name).eq(names.iter().copied())
                    && match (&snapshot, &e.snapshot) {
                        (Snapshot::Id(want), Some(have)) => want == have,
                        (Snapshot::Base, _) => false,
                        _ => true,
                    }
            });
            if let Some(e) = old {
                let mut e = e.clone();
                e.lines = stage.lines.clone();
                out.insert(stage.key.clone(), e);
                continue;
            }
            // A version written from the old lock (`name=version`) follows the lock when it
            // is refreshed: `update` moves it.
            let was = planned.old.get(&stage.key);
            let requests = stage
                .requests
                .values()
                .map(|r| match (&r.version, was) {
                    (Some(v), Some(was))
                        if planned.refresh
                            && v.op == "="
                            && was
                                .packages
                                .iter()
                                .any(|p| p.name == r.name && p.version == v.version) =>
                    {
                        crate::packages::Request {
                            version: None,
                            ..r.clone()
                        }
                    }
                    _ => r.clone(),
                })
                .collect();
            asks.push((
                lock.to_path_buf(),
                Ask {
                    key: stage.key.clone(),
                    base: stage.base.reference.clone(),
                    image: stage.image.with_digest(digest),
                    platform: platform.clone(),
                    requests,
                    lines: stage.lines.clone(),
                    snapshot,
                },
            ));
        }
    }
    if asks.is_empty() {
        return Ok(answers);
    }
    let mut session = Session::new(registry, &services).map_err(Failure::from)?;
    let just: Vec<Ask> = asks.iter().map(|(_, a)| a.clone()).collect();
    let entries = online::lock_all(&mut session, &just)?;
    for ((lock, ask), entry) in asks.into_iter().zip(entries) {
        answers.entry(lock).or_default().insert(ask.key, entry);
    }
    Ok(answers)
}

/// Step 4: the lock's `packages:`.
pub fn lock_entries(target: &Target, answers: &Answers) -> BTreeMap<PackagesKey, PackagesEntry> {
    answers.get(&target.lock).cloned().unwrap_or_default()
}

/// A locked entry `--online` asks about.
#[derive(Debug, Clone)]
pub struct DriftCheck {
    pub dockerfile: PathBuf,
    pub line: Option<usize>,
    pub ask: Ask,
    /// apt packages the Dockerfile names with `=version`: the live archive must still
    /// have that version.
    pub pinned: Vec<crate::packages::Request>,
    pub entry: PackagesEntry,
    pub services: BTreeMap<String, String>,
}

/// Step 5: `verify`'s offline findings, and the entries `--online` asks about.
pub fn compare(
    target: &Target,
    lock: &Lock,
    read: (&[u8], &crate::dockerfile::Analysis),
    env: &crate::builds::Env,
    require_pinned: bool,
    found: &mut Vec<Finding>,
) -> Result<Vec<DriftCheck>, Diagnostic> {
    // Nothing to compare: `verify` stays a single parse per file.
    if lock.packages.is_empty() && !require_pinned {
        return Ok(Vec::new());
    }
    let files = plan::scan_target(target, read.0, read.1, env)?;
    for f in &files {
        let at = Target {
            dockerfile: f.path.clone(),
            lock: target.lock.clone(),
        };
        compare::compare(&at, lock, &f.source, &f.scan, require_pinned, found);
    }
    let scans: Vec<&Scan> = files.iter().map(|f| &f.scan).collect();
    compare::stale_entries(target, lock, &scans, found);
    let mut checks = Vec::new();
    let services = if lock.packages.is_empty() {
        BTreeMap::new()
    } else {
        crate::config::load(Path::new("."))?.snapshots
    };
    for (f, stage) in files
        .iter()
        .flat_map(|f| f.scan.stages.iter().map(move |s| (f, s)))
    {
        let Some(entry) = lock.packages.get(&stage.key) else {
            continue;
        };
        let Ok(platform) = entry.platform.parse::<Platform>() else {
            continue;
        };
        checks.push(DriftCheck {
            dockerfile: f.path.clone(),
            line: stage.lines.first().copied(),
            ask: Ask {
                key: stage.key.clone(),
                base: entry.base.clone(),
                image: stage.image.with_digest(entry.base_digest.clone()),
                platform,
                // What is named, unconstrained: what would be installed today.
                requests: stage
                    .requests
                    .values()
                    .map(|r| crate::packages::Request {
                        version: None,
                        ..r.clone()
                    })
                    .collect(),
                lines: stage.lines.clone(),
                snapshot: Snapshot::Now(crate::packages::apt::snapshot_id_now()),
            },
            pinned: stage
                .requests
                .values()
                .filter(|r| {
                    stage.key.manager == Manager::Apt
                        && r.version.as_ref().is_some_and(|v| v.op == "=")
                })
                .cloned()
                .collect(),
            entry: entry.clone(),
            services: services.clone(),
        });
    }
    Ok(checks)
}

/// Step 5 online: a newer version today is `package-drift`; an apk version gone from the
/// live index (the next build fails) is `package-withdrawn`.
pub fn check_drift(
    registry: &RegistryArgs,
    checks: &[DriftCheck],
) -> Result<Vec<Finding>, Failure> {
    if checks.is_empty() {
        return Ok(Vec::new());
    }
    let mut services = BTreeMap::new();
    for c in checks {
        for (k, v) in &c.services {
            services.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let mut session = Session::new(registry, &services).map_err(Failure::from)?;
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for c in checks {
        let finding = |code, message: String, name: &str| {
            Finding::new(code, &c.dockerfile, c.line, message)
                .with_kind(compare::KIND)
                .about(format!("{} {name}", c.ask.key.manager.as_str()))
                .used_by(vec![crate::report::UsedBy {
                    dockerfile: Some(c.dockerfile.clone()),
                    line: c.line,
                    stage: Some(c.ask.key.stage.clone()),
                    by: None,
                }])
        };
        if c.ask.key.manager == Manager::Apk {
            // Is each locked version still served?
            let files = match session.image(&c.ask.image, &c.ask.platform) {
                Ok(i) => i,
                Err(d) => {
                    errors.push(d);
                    continue;
                }
            };
            let index = match session.apk_index(&c.ask, &files.files) {
                Ok(i) => i,
                Err(d) => {
                    errors.push(d);
                    continue;
                }
            };
            for p in &c.entry.packages {
                let served = index
                    .iter()
                    .flat_map(|(_, list)| list)
                    .any(|q| q.name == p.name && q.version == p.version);
                if !served {
                    found.push(
                        finding(
                            Code::PackageWithdrawn,
                            format!(
                                "apk `{}` {} is no longer in the image's repositories: the next build fails",
                                p.name, p.version
                            ),
                            &p.name,
                        )
                        .pins(Some(p.version.clone()), None),
                    );
                }
            }
        }
        for r in &c.pinned {
            match session.served_live(&c.ask, r) {
                Ok(None) => {}
                Ok(Some(why)) => {
                    let version = r.version.as_ref().map(|v| v.version.clone());
                    found.push(
                        finding(
                            Code::PackageWithdrawn,
                            format!(
                                "apt `{}={}` is no longer in the image's archive ({why}): a build without the snapshot fails",
                                r.name,
                                version.as_deref().unwrap_or_default()
                            ),
                            &r.name,
                        )
                        .pins(version, None),
                    );
                }
                Err(d) => errors.push(d),
            }
        }
        let now = match session.lock(&c.ask) {
            Ok(e) => e,
            Err(d) => {
                errors.push(d);
                continue;
            }
        };
        for p in &c.entry.packages {
            let Some(q) = now.packages.iter().find(|q| q.name == p.name) else {
                continue;
            };
            let newer = match c.ask.key.manager {
                Manager::Apt => crate::packages::debversion::compare(&q.version, &p.version),
                Manager::Apk => apk::compare_versions(&q.version, &p.version),
            } == std::cmp::Ordering::Greater;
            if newer {
                found.push(
                    finding(
                        Code::PackageDrift,
                        format!(
                            "{} `{}` {} → {}{}",
                            c.ask.key.manager.as_str(),
                            p.name,
                            p.version,
                            q.version,
                            now.snapshot
                                .as_deref()
                                .map(|s| format!(" (snapshot {s})"))
                                .unwrap_or_default()
                        ),
                        &p.name,
                    )
                    .pins(Some(p.version.clone()), Some(q.version.clone())),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(Failure(errors))
    }
}

/// One Dockerfile's installs as `lock` keys them: a Dockerfile locked on its own, or one
/// a compose or bake lock's builds read. A compose or bake file itself has none.
fn file_scan(
    target: &Target,
    lock: &Lock,
    source: &[u8],
    analysis: &crate::dockerfile::Analysis,
) -> Result<Option<Scan>, Diagnostic> {
    if crate::workspace::discover::is_project(&target.dockerfile) {
        return Ok(None);
    }
    let mut scan = plan::scan(source, analysis)?;
    let rel = crate::workspace::relative_dockerfile(&target.lock, &target.dockerfile);
    if rel != lock.dockerfile {
        for stage in &mut scan.stages {
            stage.key.dockerfile = Some(rel.clone());
        }
    }
    Ok(Some(scan))
}

/// Step 6: `rewrite --packages`' edits.
pub fn edits(
    target: &Target,
    lock: &Lock,
    source: &[u8],
    analysis: &crate::dockerfile::Analysis,
    unpin: bool,
    notes: &mut Vec<Diagnostic>,
) -> Result<Vec<Edit>, Failure> {
    let Some(scan) = file_scan(target, lock, source, analysis)? else {
        return Ok(Vec::new());
    };
    Ok(pins::edits(
        &scan,
        lock,
        source,
        unpin,
        notes,
        &target.dockerfile,
    ))
}

/// Step 6: `update`'s edits in one Dockerfile the job locks.
pub fn repinned(
    target: &Target,
    source: &[u8],
    analysis: &crate::dockerfile::Analysis,
    old: &Lock,
    new: &Lock,
) -> Vec<Edit> {
    match file_scan(target, new, source, analysis) {
        Ok(Some(scan)) => pins::repinned(&scan, old, new, source),
        _ => Vec::new(),
    }
}

/// What `update` moved: each snapshot and each package version (what, old, new).
pub fn moved(old: &Lock, new: &Lock) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (key, after) in &new.packages {
        let Some(before) = old.packages.get(key) else {
            continue;
        };
        let stage = match &key.dockerfile {
            Some(d) => format!("stage `{}` of {d}", key.stage),
            None => format!("stage `{}`", key.stage),
        };
        if before.snapshot != after.snapshot {
            out.push((
                format!("apt snapshot of {stage}"),
                before.snapshot.clone().unwrap_or_default(),
                after.snapshot.clone().unwrap_or_default(),
            ));
        }
        for p in &after.packages {
            if let Some(q) = before.packages.iter().find(|q| q.name == p.name) {
                if q.version != p.version {
                    out.push((
                        format!("{} {}", key.manager.as_str(), p.name),
                        q.version.clone(),
                        p.version.clone(),
                    ));
                }
            }
        }
    }
    out
}

/// Step 7: the build args that apply the lock without an edit: `APT_SNAPSHOT` when the
/// Dockerfile declares it and the lock has one snapshot.
pub fn build_args(source: &[u8], lock: &Lock) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let snapshots: std::collections::BTreeSet<&String> = lock
        .packages
        .values()
        .filter_map(|e| e.snapshot.as_ref())
        .collect();
    if snapshots.len() == 1 && compare::declares_arg(source, compare::SNAPSHOT_ARG) {
        if let Some(s) = snapshots.into_iter().next() {
            out.insert(compare::SNAPSHOT_ARG.to_string(), s.clone());
        }
    }
    out
}
