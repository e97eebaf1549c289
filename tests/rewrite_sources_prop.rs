//! Property: pinning any mix of fetched `ADD` sources from a lock, for any `# syntax=`,
//! keeps every other byte, a second pin changes nothing, every pinned line still maps to
//! its lock entry, and unpinning gives back the original file.

use std::collections::{BTreeMap, BTreeSet};

use dockerfile_lock::dockerfile::{analyze, BuildOptions};
use dockerfile_lock::kinds::sources::pins::{pin_all, unpin_all, Frontend};
use dockerfile_lock::kinds::sources::plan::keys;
use dockerfile_lock::lockfile::{Lock, SourceEntry, SourcePin};
use dockerfile_lock::reference::Digest;
use dockerfile_lock::sources::{find, Kind};
use dockerfile_lock::splice;
use proptest::prelude::*;

const SOURCES: [&str; 9] = [
    "https://example.org/tool.tar.gz",
    "http://127.0.0.1:8080/a.bin",
    "https://github.com/org/repo.git",
    "https://github.com/org/repo.git#v1",
    "https://github.com/org/repo.git#v1:sub/dir",
    "git@github.com:org/x.git#main",
    "git://h/r.git?ref=v2&subdir=pkg",
    "ssh://git@h:2222/r.git?tag=v3",
    "https://h/r.git?branch=dev#:docs",
];

const SYNTAX: [&str; 6] = [
    "",
    "# syntax=docker/dockerfile:1\n",
    "# syntax=docker/dockerfile:1.5\n",
    "# syntax=docker/dockerfile:1.20-labs\n",
    "# syntax=docker/dockerfile:1.24\n",
    "# syntax=example.org/frontend:2\n",
];

fn lock_for(source: &str) -> Lock {
    let analysis = analyze(source.as_bytes(), &BuildOptions::default()).unwrap();
    let mut lock = Lock::default();
    for s in find(&analysis).unwrap() {
        let pin = match &s.kind {
            Kind::Http => SourcePin::Http {
                checksum: Digest::sha256_of(s.url.as_bytes()),
            },
            Kind::Git(g) => SourcePin::Git {
                git_ref: g.git_ref.clone(),
                commit: Digest::sha256_of(s.url.as_bytes()).hex()[..40].to_string(),
            },
        };
        lock.sources.insert(
            s.url.clone(),
            SourceEntry {
                pin,
                used_by: BTreeSet::new(),
                lines: Vec::new(),
            },
        );
    }
    lock
}

fn pinned(source: &str, lock: &Lock) -> String {
    let analysis = analyze(source.as_bytes(), &BuildOptions::default()).unwrap();
    let found = find(&analysis).unwrap();
    let p = pin_all(source.as_bytes(), &found, lock, &Frontend::of(&analysis));
    assert!(p.missing.is_empty());
    String::from_utf8(splice::apply(source.as_bytes(), &p.edits)).unwrap()
}

prop_compose! {
    fn dockerfile()(
        syntax in prop::sample::select(SYNTAX.to_vec()),
        adds in prop::collection::vec(
            (prop::sample::select(SOURCES.to_vec()), any::<bool>(), any::<bool>(), any::<bool>()),
            1..8,
        ),
    ) -> String {
        let mut out = format!("{syntax}FROM scratch AS s\n");
        for (i, (src, chmod, continued, comment)) in adds.into_iter().enumerate() {
            if comment {
                out.push_str("# a comment\n");
            }
            let flag = if chmod { "--chmod=644 " } else { "" };
            let sep = if continued { " \\\n    " } else { " " };
            out.push_str(&format!("ADD {flag}{src}{sep}/dst{i}\n"));
        }
        out
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn pin_unpin_round_trip(source in dockerfile()) {
        let lock = lock_for(&source);
        let once = pinned(&source, &lock);
        prop_assert_eq!(&pinned(&once, &lock), &once, "a second pin changes nothing");
        // The pinned file still names every source, each mapping to its entry, and each
        // written pin agrees with the lock.
        let analysis = analyze(once.as_bytes(), &BuildOptions::default()).unwrap();
        let found = find(&analysis).unwrap();
        let each = keys(&found, Some(&lock));
        let by_key: BTreeMap<&String, usize> = each
            .iter()
            .zip(&found)
            .map(|(k, s)| (k, s.add.line))
            .collect();
        prop_assert_eq!(by_key.len(), lock.sources.len());
        for k in by_key.keys() {
            prop_assert!(lock.sources.contains_key(*k), "{} maps to no entry", k);
        }
        for (s, key) in found.iter().zip(&each) {
            if let Some(p) = &s.pinned {
                let entry = &lock.sources[key];
                prop_assert!(entry.pin.shown().starts_with(p.as_str()));
            }
        }
        prop_assert_eq!(once.lines().count(), source.lines().count());
        if source.starts_with("# syntax=docker/dockerfile:1\n") {
            // The latest frontend reads every form: each source got a pin.
            prop_assert!(found.iter().all(|s| s.pinned.is_some()), "{}", once);
        }
        let unpinned = String::from_utf8(splice::apply(
            once.as_bytes(),
            &unpin_all(once.as_bytes(), &found, &lock),
        ))
        .unwrap();
        prop_assert_eq!(unpinned, source);
    }
}
