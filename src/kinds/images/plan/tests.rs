//! Planning a lock from a hand-made [`Analysis`].

use super::*;
use crate::dockerfile::{ImageUse, UseKind};

pub const A: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const B: &str = "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

fn d(s: &str) -> Digest {
    s.parse().unwrap()
}

fn use_of(kind: UseKind, line: usize, reference: &str, stage: Option<&str>) -> ImageUse {
    ImageUse {
        kind,
        line,
        raw: reference.into(),
        span: None,
        reference: reference.into(),
        image: ImageRef::parse(reference).unwrap(),
        stage: stage.map(Into::into),
        platform: None,
    }
}

fn analysis() -> Analysis {
    Analysis {
        images: vec![
            use_of(UseKind::From, 1, "node:18", Some("build")),
            use_of(UseKind::From, 5, &format!("alpine:3.20@{A}"), None),
            use_of(UseKind::CopyFrom, 7, "docker.io/library/node:18", None),
            use_of(UseKind::From, 9, &format!("alpine@{B}"), None),
            use_of(UseKind::From, 11, &format!("alpine:3.20@{B}"), None),
        ],
        ..Analysis::default()
    }
}

fn key(s: &str) -> Key {
    Key {
        reference: s.into(),
        pinned: None,
    }
}

#[test]
fn wanted_groups_by_key_and_keeps_first_spelling() {
    let w = wanted(&analysis());
    assert_eq!(w.len(), 3);
    let node = &w[&key("docker.io/library/node:18")];
    assert_eq!(node.name, "node:18");
    assert_eq!(node.line, 1);
    assert_eq!(node.used_by.len(), 2);
    let alpine = &w[&key("docker.io/library/alpine:3.20")];
    assert_eq!(alpine.name, "alpine:3.20");
    assert_eq!(alpine.pinned, Some((d(A), 5)));
    assert_eq!(alpine.conflicts, vec![(d(B), 11)]);
    let only = Key {
        reference: "docker.io/library/alpine".into(),
        pinned: Some(d(B)),
    };
    assert_eq!(w[&only].name, "alpine");
}

fn old_lock() -> Lock {
    let mut images = BTreeMap::new();
    images.insert(
        key("docker.io/library/node:18"),
        Entry {
            name: "node:18".into(),
            digest: d(B),
            media_type: Some("m".into()),
            platforms: [("linux/amd64".to_string(), d(A))].into(),
            used_by: BTreeSet::new(),
        },
    );
    Lock {
        images,
        ..Lock::default()
    }
}

#[test]
fn known_digests_need_no_registry() {
    let w = wanted(&analysis());
    let p = plan(&w, Some(&old_lock()), &BTreeMap::new(), &[], &|_, _| false);
    assert_eq!(
        p[&key("docker.io/library/node:18")],
        Source::Known {
            digest: d(B),
            media_type: Some("m".into()),
            platforms: BTreeMap::new(),
        }
    );
    assert!(matches!(
        p[&key("docker.io/library/alpine:3.20")],
        Source::Known { .. }
    ));
    assert!(asks([&p]).is_empty());
}

#[test]
fn new_refreshed_and_platform_needs_ask() {
    let w = wanted(&analysis());
    let p = plan(&w, None, &BTreeMap::new(), &[], &|_, _| false);
    assert_eq!(asks([&p]), vec![ImageRef::parse("node:18").unwrap()]);

    let p = plan(&w, Some(&old_lock()), &BTreeMap::new(), &[], &|k, _| {
        k.reference.contains("node")
    });
    assert_eq!(asks([&p]), vec![ImageRef::parse("node:18").unwrap()]);

    // Refreshing everything still leaves the digest-only reference alone.
    let p = plan(&w, Some(&old_lock()), &BTreeMap::new(), &[], &|_, _| true);
    assert_eq!(asks([&p]).len(), 2);

    let arm: Platform = "linux/arm64".parse().unwrap();
    let p = plan(&w, Some(&old_lock()), &BTreeMap::new(), &[arm], &|_, _| {
        false
    });
    let asked = asks([&p]);
    assert!(asked.contains(&ImageRef::parse("node:18").unwrap().with_digest(d(B))));
    assert_eq!(asked.len(), 3, "{asked:?}");
}

#[test]
fn lock_is_built_from_plan_and_answers() {
    let w = wanted(&analysis());
    let p = plan(&w, None, &BTreeMap::new(), &[], &|_, _| false);
    let mut answers = HashMap::new();
    answers.insert(
        ImageRef::parse("node:18").unwrap(),
        Resolved {
            digest: d(A),
            media_type: "application/vnd.oci.image.index.v1+json".into(),
            platforms: BTreeMap::new(),
        },
    );
    let lock = build_lock("Dockerfile".into(), BTreeMap::new(), &w, &p, &answers);
    assert_eq!(lock.images.len(), 3);
    assert_eq!(lock.images[&key("docker.io/library/node:18")].digest, d(A));
    assert_eq!(
        lock.images[&key("docker.io/library/alpine:3.20")].digest,
        d(A)
    );
    let without = build_lock(
        "Dockerfile".into(),
        BTreeMap::new(),
        &w,
        &p,
        &HashMap::new(),
    );
    assert_eq!(
        without.images.len(),
        2,
        "an unanswered reference is not invented"
    );
}
