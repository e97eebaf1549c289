//! Images: what `FROM`, `COPY --from`, `RUN --mount=from=`, `# syntax=` and a compose or
//! bake file's `image:` and contexts name, locked to registry digests. One module per step:
//! [`plan`] (uses, wanted, lock entries), [`online`] (resolving), [`compare`](mod@compare) (findings),
//! [`pins`] (edits), [`export`] (the rules of the export formats).

pub mod compare;
pub mod export;
pub mod online;
pub mod pins;
pub mod plan;

use std::collections::{BTreeMap, HashMap};

pub use compare::DriftCheck;
pub use pins::{edits, repinned};

use crate::cli::RegistryArgs;
use crate::console::Console;
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::Analysis;
use crate::lockfile::{Entry, Key, Lock};
use crate::platform::Platform;
use crate::reference::ImageRef;
use crate::registry::Resolved;
use crate::report::Finding;
use crate::workspace::{Origin, Target};
use plan::{Source, Want};

/// One file's images: what it wants locked, where each digest comes from, and the
/// platforms its lock records.
#[derive(Debug, Clone)]
pub struct Planned {
    pub wanted: BTreeMap<Key, Want>,
    pub plan: BTreeMap<Key, Source>,
    pub platforms: Vec<Platform>,
}

/// The registries' answers, by the platform set they were asked for.
pub type Answers = HashMap<Vec<Platform>, HashMap<ImageRef, Resolved>>;

/// Steps 1 and 2: the images a file uses and where each digest comes from, given the old
/// lock; `refresh` names keys to resolve again (`update`).
pub fn prepare(
    target: &Target,
    analysis: &Analysis,
    origins: &[Origin],
    old: Option<&Lock>,
    elsewhere: &BTreeMap<Key, Entry>,
    platforms: Vec<Platform>,
    refresh: &dyn Fn(&Key, &Want) -> bool,
) -> Result<Planned, Diagnostic> {
    let wanted = plan::wanted_from(analysis, origins, &target.lock);
    check_conflicts(target, &wanted)?;
    let plan = plan::plan(&wanted, old, elsewhere, &platforms, refresh);
    Ok(Planned {
        wanted,
        plan,
        platforms,
    })
}

/// Step 3: ask the registries everything the files need, each reference once per platform
/// set (files whose locks record different platforms are asked about those platforms).
/// Each file comes with where it uses each reference it asks about.
pub fn resolve<'a>(
    console: &mut Console<'_>,
    registry: &RegistryArgs,
    files: impl IntoIterator<Item = (&'a Planned, online::Uses)>,
) -> Result<Answers, Failure> {
    let mut groups: BTreeMap<&Vec<Platform>, Vec<(&Planned, online::Uses)>> = BTreeMap::new();
    for (planned, uses) in files {
        groups
            .entry(&planned.platforms)
            .or_default()
            .push((planned, uses));
    }
    let mut out = HashMap::new();
    for (platforms, group) in groups {
        let asks = plan::asks(group.iter().map(|(p, _)| &p.plan));
        let mut uses = online::Uses::new();
        for (_, file_uses) in group {
            for (image, mut at) in file_uses {
                uses.entry(image).or_default().append(&mut at);
            }
        }
        let answers = online::resolve_all(console, registry, &asks, platforms, &uses)?;
        out.insert(platforms.clone(), answers);
    }
    Ok(out)
}

/// Step 4: the lock's `images:` once every question is answered.
pub fn lock_entries(planned: &Planned, answers: &Answers) -> BTreeMap<Key, Entry> {
    let none = HashMap::new();
    let answers = answers.get(&planned.platforms).unwrap_or(&none);
    plan::entries(&planned.wanted, &planned.plan, answers)
}

/// Step 5: `verify`'s offline findings for one file, appended to `found`; how many images
/// it uses, and the locked tags `--online` asks about.
pub fn compare(
    target: &Target,
    lock: &Lock,
    lock_text: &[u8],
    analysis: &Analysis,
    origins: &[Origin],
    require_pinned: bool,
    found: &mut Vec<Finding>,
) -> (usize, Vec<DriftCheck>) {
    let wanted = plan::wanted_from(analysis, origins, &target.lock);
    compare::compare(target, lock, lock_text, &wanted, found);
    if require_pinned {
        compare::unpinned(analysis, origins, found);
    }
    (wanted.len(), compare::drift_checks(target, lock, &wanted))
}

/// Step 5, online: where each locked tag points now; a moved tag is `tag-drift`.
pub fn check_drift(
    console: &mut Console<'_>,
    registry: &RegistryArgs,
    checks: &[DriftCheck],
) -> Result<Vec<Finding>, Failure> {
    compare::check_drift(console, registry, checks)
}

/// Step 6, for `update`'s report: each locked tag that now points to another digest
/// (reference, old digest, new digest).
pub fn moved(old: &Lock, new: &Lock) -> Vec<(String, String, String)> {
    new.images
        .iter()
        .filter_map(|(key, entry)| {
            let before = old.images.get(key).filter(|e| e.digest != entry.digest)?;
            Some((
                key.reference.clone(),
                before.digest.to_string(),
                entry.digest.to_string(),
            ))
        })
        .collect()
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
