//! Merging locks into pins, and the stage names that block a named context.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::*;
use crate::dockerfile::UseKind;
use crate::lockfile::{Entry, Key, Use};
use crate::reference::Digest;

fn digest(seed: u8) -> Digest {
    format!("sha256:{}", format!("{seed:02x}").repeat(32))
        .parse()
        .unwrap()
}

/// A lock at `path` with `(reference, pinned, digest, stage)` entries.
fn locked(path: &str, entries: &[(&str, bool, u8, Option<&str>)]) -> Locked {
    let images = entries
        .iter()
        .map(|&(reference, pinned, seed, stage)| {
            let key = Key {
                reference: reference.into(),
                pinned: pinned.then(|| digest(seed)),
            };
            let entry = Entry {
                name: reference.into(),
                digest: digest(seed),
                media_type: None,
                platforms: BTreeMap::new(),
                used_by: BTreeSet::from([Use {
                    kind: UseKind::From,
                    by: None,
                    dockerfile: None,
                    stage: stage.map(str::to_string),
                }]),
            };
            (key, entry)
        })
        .collect();
    let lock = Lock {
        dockerfile: "Dockerfile".into(),
        build_args: BTreeMap::new(),
        images,
        ..Lock::default()
    };
    let target = Target {
        dockerfile: PathBuf::from(path.trim_end_matches(".lock")),
        lock: PathBuf::from(path),
    };
    Locked::new(target, lock)
}

#[test]
fn pins_merge_equal_entries_and_skip_digest_only_ones() {
    let a = locked(
        "a/Dockerfile.lock",
        &[
            ("docker.io/library/node:18", false, 1, None),
            ("docker.io/library/alpine", true, 2, None),
        ],
    );
    let b = locked(
        "b/Dockerfile.lock",
        &[("docker.io/library/node:18", false, 1, Some("build"))],
    );
    let pins = pins(&[a, b]).unwrap();
    assert_eq!(
        pins.keys().collect::<Vec<_>>(),
        ["docker.io/library/node:18"]
    );
    assert_eq!(pins["docker.io/library/node:18"].digest, digest(1));
    assert_eq!(pins["docker.io/library/node:18"].lock, "a/Dockerfile.lock");
}

#[test]
fn pins_refuse_one_tag_with_two_digests_naming_both_locks() {
    let a = locked("a.lock", &[("docker.io/library/node:18", false, 1, None)]);
    let b = locked("b.lock", &[("docker.io/library/node:18", false, 3, None)]);
    let failure = pins(&[a, b]).unwrap_err();
    assert_eq!(failure.0.len(), 1);
    let d = &failure.0[0];
    assert!(
        d.message.contains("`docker.io/library/node:18`"),
        "{}",
        d.message
    );
    assert_eq!(
        d.notes,
        [
            format!("{} in a.lock", digest(1)),
            format!("{} in b.lock", digest(3))
        ]
    );
}

#[test]
fn a_stage_the_lock_names_blocks_a_context_of_that_name() {
    // `FROM alpine AS alpine`: the lock records the stage, no Dockerfile needed.
    let clash = locked(
        "Dockerfile.lock",
        &[("docker.io/library/alpine:latest", false, 1, Some("alpine"))],
    );
    assert_eq!(clash.stages, BTreeSet::from(["alpine".to_string()]));
    let failure = context_pins(&[clash]).unwrap_err();
    assert!(failure.0[0].message.contains("stage `alpine`"));
    // A stage named like a tagged image cannot clash: stage names have no `:`.
    let fine = locked(
        "Dockerfile.lock",
        &[("docker.io/library/node:18", false, 1, Some("node"))],
    );
    assert_eq!(context_pins(&[fine]).unwrap().len(), 1);
}

#[test]
fn names_buildkit_never_looks_up_are_refused() {
    let lock = locked(
        "Dockerfile.lock",
        &[("docker.io/library/context:latest", false, 1, None)],
    );
    let failure = context_pins(&[lock]).unwrap_err();
    assert!(
        failure.0[0].message.contains("named `context`"),
        "{:?}",
        failure.0
    );
    let tagged = locked(
        "Dockerfile.lock",
        &[("docker.io/library/context:1", false, 1, None)],
    );
    assert_eq!(context_pins(&[tagged]).unwrap().len(), 1);
}
