//! `ADD` sources: the HTTP URLs and git repositories `ADD` fetches, locked by checksum and
//! by commit. One module per step: [`plan`] (uses, wanted, resolving, lock entries),
//! [`compare`](mod@compare) (findings), [`pins`] (edits), [`export`] (the source-policy rule).

pub mod compare;
pub mod export;
pub mod pins;
pub mod plan;

use std::collections::BTreeMap;

pub use compare::DriftCheck;
pub use pins::{edits, repinned};
pub use plan::Answers;

use crate::cli::RegistryArgs;
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::Analysis;
use crate::lockfile::{Lock, SourceEntry};
use crate::report::Finding;
use crate::workspace::Target;
use plan::{Plan, WantSource};

/// One file's sources: what it wants locked, and where each pin comes from.
#[derive(Debug, Clone)]
pub struct Planned {
    pub wanted: BTreeMap<String, WantSource>,
    pub plan: BTreeMap<String, Plan>,
}

/// Steps 1 and 2: the sources a file fetches and where each pin comes from, given the old
/// lock; `refresh` names URLs to resolve again (`update`).
pub fn prepare(
    target: &Target,
    analysis: &Analysis,
    old: Option<&Lock>,
    refresh: &dyn Fn(&str) -> bool,
) -> Result<Planned, Diagnostic> {
    let found = crate::sources::pins::find_in(analysis, &target.dockerfile)?;
    let mut wanted = plan::wanted(&found, old);
    for (url, want) in &mut wanted {
        want.refreshed = refresh(url);
    }
    let plan = plan::plan(&wanted, old, refresh);
    Ok(Planned { wanted, plan })
}

/// Step 3: download and resolve every source the files need, each once.
pub fn resolve<'a>(
    registry: &RegistryArgs,
    files: impl IntoIterator<Item = &'a Planned>,
) -> Result<Answers, Failure> {
    let timeout = std::time::Duration::from_secs(registry.timeout);
    plan::resolve(files.into_iter().map(|p| &p.plan), timeout)
}

/// Step 4: the lock's `sources:`; a pin written in the file that the answer contradicts
/// is an error on its line.
pub fn lock_entries(
    target: &Target,
    planned: &Planned,
    answers: &Answers,
) -> Result<BTreeMap<String, SourceEntry>, Diagnostic> {
    plan::build(&planned.wanted, &planned.plan, answers).map_err(|(e, origin)| {
        crate::sources::pins::located(e, origin.as_ref(), &target.dockerfile)
    })
}

/// Step 5: `verify`'s offline findings for one file, appended to `found`; and the locked
/// sources `--online` asks about.
pub fn compare(
    target: &Target,
    lock: &Lock,
    lock_text: &[u8],
    analysis: &Analysis,
    require_pinned: bool,
    found: &mut Vec<Finding>,
) -> Result<Vec<DriftCheck>, Diagnostic> {
    let remote = crate::sources::pins::find_in(analysis, &target.dockerfile)?;
    let wanted = plan::wanted(&remote, Some(lock));
    compare::compare(target, lock, lock_text, &wanted, require_pinned, found);
    Ok(compare::drift_checks(target, lock, &wanted))
}

/// Step 5, online: the bytes or the commit upstream now; a change is `source-drift`.
pub fn check_drift(
    registry: &RegistryArgs,
    checks: &[DriftCheck],
) -> Result<Vec<Finding>, Failure> {
    let timeout = std::time::Duration::from_secs(registry.timeout);
    compare::check_drift(checks, timeout)
}

/// Step 6, for `update`'s report: each locked source whose pin moved (URL as shown, old
/// pin, new pin).
pub fn moved(old: &Lock, new: &Lock) -> Vec<(String, String, String)> {
    new.sources
        .iter()
        .filter_map(|(url, entry)| {
            let before = old.sources.get(url).filter(|e| e.pin != entry.pin)?;
            Some((
                crate::sources::pins::shown(url),
                before.pin.shown(),
                entry.pin.shown(),
            ))
        })
        .collect()
}
