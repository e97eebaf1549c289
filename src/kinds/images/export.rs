//! Images, step 7: the rule every export format shares, one digest per locked tag across
//! the locks exported together.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Failure};
use crate::lockfile::Lock;
use crate::reference::Digest;

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
pub fn pins<'a>(
    locks: impl IntoIterator<Item = (String, &'a Lock)>,
) -> Result<BTreeMap<String, Pin>, Failure> {
    let mut pins: BTreeMap<String, Pin> = BTreeMap::new();
    let mut errors = Vec::new();
    for (here, lock) in locks {
        for (key, entry) in &lock.images {
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
