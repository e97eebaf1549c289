//! `dockerfile-lock export`: the locks in forms BuildKit applies at build time without
//! rewriting the Dockerfile (a source policy, `--build-context` arguments, a bake
//! `contexts` block), or as one JSON document for other tools.
//!
//! Exporting reads only the locks: the Dockerfile need not parse, and nothing is resolved.

use std::collections::BTreeMap;
use std::path::Path;

use super::common::{self, Target};
use super::{rewrite, write_out, Console, Outcome, Status};
use crate::cli::{ExportArgs, ExportFormat};
use crate::diagnostic::{Diagnostic, Failure};
use crate::lockfile::Lock;
use crate::reference::Digest;

mod contexts;
mod json;
mod source_policy;

pub use contexts::context_name;

/// One lock as read, with the paths it was found at.
#[derive(Debug, Clone)]
pub struct Locked {
    pub target: Target,
    pub lock: Lock,
}

pub fn run(args: &ExportArgs, console: &mut Console<'_>) -> Outcome {
    let targets = common::targets(&args.files, false, args.lockfile.as_deref())?;
    let mut locks = Vec::new();
    let mut errors = Vec::new();
    for target in targets {
        match rewrite::read_lock(&target) {
            Ok(lock) => locks.push(Locked { target, lock }),
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(Failure(errors));
    }
    let text = render(args.format, &locks)?;
    write_out(console, &text)?;
    Ok(Status::Ok)
}

/// The text `format` gives for `locks`; a tag locked to two digests is an error.
pub fn render(format: ExportFormat, locks: &[Locked]) -> Result<String, Failure> {
    Ok(match format {
        ExportFormat::SourcePolicy => source_policy::render(&pins(locks)?),
        ExportFormat::BuildContexts => contexts::render_args(&pins(locks)?),
        ExportFormat::Bake => contexts::render_bake(&pins(locks)?),
        ExportFormat::Json => json::render(locks),
    })
}

/// What a tag is locked to, merged across every lock exported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub digest: Digest,
    /// The lock it was first found in, for the conflict message.
    pub lock: String,
}

/// Every tagged entry of `locks`, by normalized reference (`docker.io/library/node:18`).
///
/// Digest-only entries (`alpine@sha256:…`) are left out: BuildKit already sees them with
/// their digest, so neither a policy rule nor a named context has anything to add. Entries
/// for a tag the Dockerfile also pins (`alpine:3.20@sha256:…`) are kept: the same tag may
/// be used unpinned elsewhere, and a pinned use never matches the tag's selector or name.
pub fn pins(locks: &[Locked]) -> Result<BTreeMap<String, Pin>, Failure> {
    let mut pins: BTreeMap<String, Pin> = BTreeMap::new();
    let mut errors = Vec::new();
    for locked in locks {
        let here = display(&locked.target.lock);
        for (key, entry) in &locked.lock.images {
            if !key.is_tag() {
                continue;
            }
            match pins.get(&key.reference) {
                None => {
                    let pin = Pin {
                        digest: entry.digest.clone(),
                        lock: here.clone(),
                    };
                    pins.insert(key.reference.clone(), pin);
                }
                Some(pin) if pin.digest == entry.digest => {}
                Some(pin) => errors.push(conflict(&key.reference, pin, &entry.digest, &here)),
            }
        }
    }
    if errors.is_empty() {
        Ok(pins)
    } else {
        Err(Failure(errors))
    }
}

/// BuildKit applies the first matching rule and one context per name, so two digests for
/// one tag would silently build with either: refuse instead.
fn conflict(reference: &str, first: &Pin, digest: &Digest, lock: &str) -> Diagnostic {
    Diagnostic::new(format!(
        "`{reference}` is locked to different digests in the locks exported together"
    ))
    .with_note(format!("{} in {}", first.digest, first.lock))
    .with_note(format!("{digest} in {lock}"))
    .with_help(
        "run `dockerfile-lock update` on those Dockerfiles so they agree, or export them separately",
    )
}

/// A path as output shows it: `/`-separated on every platform.
fn display(path: &Path) -> String {
    path.display().to_string().replace('\\', "/")
}

