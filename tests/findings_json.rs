//! `verify --format json` findings as data: each carries `kind`, `reference`, `locked`,
//! `current` and `used-by` beside its message; and `update --format json`. Each document
//! is also checked against its schema.

mod lock_support;
// Shared with the schema tests, which use the rest of it.
#[allow(dead_code)]
mod schema_support;
mod support;

use std::fs;

use dockerfile_lock::lockfile;
use lock_support::{bin, digest};
use schema_support::{assert_valid, every_field, stdout_json};
use serde_json::{json, Value};
use support::images::ImageKind;
use support::registry::{Auth, Registry};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// `verify --format json ARGS` in `dir`, with its exit code; the document must match the
/// schema.
fn verify(dir: &std::path::Path, args: &[&str], code: i32) -> Value {
    let out = bin(dir)
        .args(["verify", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(code), "{out:?}");
    let doc = stdout_json(&out);
    assert_valid("verify", &[(format!("verify {args:?}"), doc.clone())]);
    doc
}

/// The findings with `code`.
fn with_code<'a>(doc: &'a Value, code: &str) -> Vec<&'a Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn one<'a>(doc: &'a Value, code: &str) -> &'a Value {
    let found = with_code(doc, code);
    assert_eq!(found.len(), 1, "{code}: {doc:#}");
    found[0]
}

/// The finding without its message, which the text format's tests cover.
fn data(finding: &Value) -> Value {
    let mut f = finding.clone();
    f.as_object_mut().unwrap().remove("message");
    f
}

#[test]
fn image_and_source_findings_carry_their_reference_pins_and_uses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let git = format!("https://github.com/org/repo.git#{COMMIT}");
    fs::write(
        d.join("Dockerfile"),
        format!(
            "FROM alpine:3.20@{} AS build\nADD {git} /src\n\nFROM build\nCOPY --from=busybox@{} /bin/sh /sh\n",
            digest(1),
            digest(2)
        ),
    )
    .unwrap();
    bin(d).arg("generate").assert().code(0);
    verify(d, &[], 0);

    // Another pin for alpine, two images the lock lacks, and the ADD gone.
    fs::write(
        d.join("Dockerfile"),
        format!(
            "FROM node:18 AS tool\nFROM alpine:3.20@{} AS build\n\nFROM build\nCOPY --from=busybox@{} /bin/sh /sh\nCOPY --from=redis:7@{} / /\nCOPY --from=tool / /\n",
            digest(3),
            digest(2),
            digest(4)
        ),
    )
    .unwrap();
    let doc = verify(d, &["--require-pinned"], 1);
    let site = |line: Option<usize>, stage: Option<&str>| json!({"dockerfile": "Dockerfile", "line": line, "stage": stage, "by": null});
    assert_eq!(
        data(one(&doc, "digest-mismatch")),
        json!({
            "code": "digest-mismatch", "path": "Dockerfile", "line": 2, "kind": "image",
            "reference": "docker.io/library/alpine:3.20",
            "locked": digest(1), "current": digest(3),
            "used-by": [site(Some(2), Some("build"))],
        })
    );
    let missing = with_code(&doc, "missing-lock-entry");
    assert_eq!(
        missing.iter().map(|f| data(f)).collect::<Vec<_>>(),
        vec![
            json!({
                "code": "missing-lock-entry", "path": "Dockerfile", "line": 1, "kind": "image",
                "reference": "docker.io/library/node:18",
                "locked": null, "current": null,
                "used-by": [site(Some(1), Some("tool"))],
            }),
            json!({
                "code": "missing-lock-entry", "path": "Dockerfile", "line": 6, "kind": "image",
                "reference": "docker.io/library/redis:7",
                "locked": null, "current": digest(4),
                "used-by": [site(Some(6), None)],
            }),
        ]
    );
    assert_eq!(
        data(one(&doc, "unpinned")),
        json!({
            "code": "unpinned", "path": "Dockerfile", "line": 1, "kind": "image",
            "reference": "docker.io/library/node:18",
            "locked": null, "current": null,
            "used-by": [site(Some(1), Some("tool"))],
        })
    );
    // A source no line fetches any more: the lock's record of its uses, without lines.
    let stale = one(&doc, "stale-lock-entry");
    assert_eq!(
        data(stale),
        json!({
            "code": "stale-lock-entry", "path": "Dockerfile.lock", "line": stale["line"],
            "kind": "source",
            "reference": git,
            "locked": COMMIT, "current": null,
            "used-by": [site(None, Some("build"))],
        })
    );
    assert!(stale["line"].is_u64(), "{stale:#}");
    // The prose stays as it was.
    assert_eq!(
        one(&doc, "digest-mismatch")["message"],
        format!(
            "`alpine:3.20` is pinned to {} but Dockerfile.lock has {}",
            &digest(3)[..19],
            &digest(1)[..19]
        )
    );
}

#[test]
fn findings_about_a_whole_lock_name_no_entry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("Dockerfile"), "FROM scratch\n").unwrap();
    let doc = verify(d, &[], 1);
    assert_eq!(
        data(one(&doc, "missing-lockfile")),
        json!({
            "code": "missing-lockfile", "path": "Dockerfile", "line": null,
            "reference": null, "locked": null, "current": null, "used-by": [],
        })
    );
}

#[test]
fn build_args_and_platforms_mismatches_carry_both_sides() {
    let dir = lock_support::scratch("export/multistage");
    let doc = verify(
        dir.path(),
        &[
            "--build-arg",
            "NODE_TAG=20",
            "--platform",
            "linux/arm64",
            "Dockerfile",
        ],
        1,
    );
    let args = one(&doc, "build-args-mismatch");
    assert_eq!(args["current"], "NODE_TAG=20", "{args:#}");
    assert!(args["locked"].is_string(), "{args:#}");
    assert!(args.get("kind").is_none(), "{args:#}");
    let platforms = one(&doc, "platforms-mismatch");
    assert_eq!(platforms["current"], "linux/arm64", "{platforms:#}");
    assert_eq!(
        platforms["locked"], "linux/amd64,linux/arm64",
        "{platforms:#}"
    );
}

#[test]
fn package_findings_name_manager_and_package() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lock = lockfile::encode(&every_field()).unwrap();
    fs::write(d.join("Dockerfile.lock"), lock).unwrap();
    // The apt stage installs `curl` and `jq` without the snapshot, and no more
    // `ca-certificates`.
    fs::write(
        d.join("Dockerfile"),
        format!(
            "FROM debian:trixie@{} AS build\nRUN apt-get update && apt-get install -y curl jq=1.7\n",
            digest(1)
        ),
    )
    .unwrap();
    let doc = verify(d, &[], 1);
    let site = json!([{"dockerfile": "Dockerfile", "line": 2, "stage": "build", "by": null}]);
    let missing = one(&doc, "missing-lock-entry");
    assert_eq!(
        data(missing),
        json!({
            "code": "missing-lock-entry", "path": "Dockerfile", "line": 2, "kind": "package",
            "reference": "apt jq", "locked": null, "current": "1.7", "used-by": site,
        })
    );
    let stale: Vec<Value> = with_code(&doc, "stale-lock-entry")
        .into_iter()
        .map(data)
        .collect();
    assert!(
        stale.contains(&json!({
            "code": "stale-lock-entry", "path": "Dockerfile", "line": 2, "kind": "package",
            "reference": "apt ca-certificates", "locked": "20250419", "current": null,
            "used-by": site,
        })),
        "{stale:#?}"
    );
    // `apt-get update` and `apt-get install`, both on line 2.
    let unapplied = with_code(&doc, "package-lock-unapplied");
    assert_eq!(unapplied.len(), 2, "{doc:#}");
    for f in unapplied {
        assert_eq!(
            data(f),
            json!({
                "code": "package-lock-unapplied", "path": "Dockerfile", "line": 2,
                "kind": "package", "reference": "apt", "locked": "20260101T000000Z",
                "current": null, "used-by": site,
            })
        );
    }
}

/// Locked through the loopback registry, then the tag moves: `tag-drift` carries both
/// digests, and `update --format json` lists what moved and what it wrote.
#[test]
fn tag_drift_and_update_as_json() {
    let reg = Registry::start(Auth::Anonymous);
    let app = reg.push_image("lib/app", "1", ImageKind::Schema2);
    let base = reg.push_image("lib/base", "2", ImageKind::Schema2);
    let other = reg.push_image("lib/other", "3", ImageKind::Schema2);
    let host = reg.host();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("Dockerfile"),
        format!(
            "FROM {host}/lib/base:2 AS build\n\nFROM {host}/lib/app:1\nCOPY --from=build / /\n"
        ),
    )
    .unwrap();
    bin(d).arg("generate").assert().code(0);
    let moved = reg.push_image("lib/app", "1", ImageKind::Schema2);
    let doc = verify(d, &["--online"], 1);
    assert_eq!(
        data(one(&doc, "tag-drift")),
        json!({
            "code": "tag-drift", "path": "Dockerfile", "line": 3, "kind": "image",
            "reference": format!("{host}/lib/app:1"),
            "locked": app.digest, "current": moved.digest,
            "used-by": [{"dockerfile": "Dockerfile", "line": 3, "stage": null, "by": null}],
        })
    );

    let update = |args: &[&str], code: i32| {
        let out = bin(d)
            .args(["update", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{out:?}");
        let doc = stdout_json(&out);
        assert_valid("update", &[(format!("update {args:?}"), doc.clone())]);
        doc
    };
    let lock_before = fs::read(d.join("Dockerfile.lock")).unwrap();
    let expected = json!({
        "moved": [{
            "what": format!("{host}/lib/app:1"),
            "old": app.digest, "new": moved.digest, "lock": "Dockerfile.lock",
        }],
        "added": [], "removed": [],
        "written": ["Dockerfile.lock"],
    });
    // `--check` says what would be written, and writes nothing.
    assert_eq!(update(&["--check"], 1), expected);
    assert_eq!(fs::read(d.join("Dockerfile.lock")).unwrap(), lock_before);
    assert_eq!(update(&[], 0), expected);
    assert_ne!(fs::read(d.join("Dockerfile.lock")).unwrap(), lock_before);

    // A new image is added, an unused one removed; nothing moved.
    fs::write(
        d.join("Dockerfile"),
        format!("FROM {host}/lib/app:1\nCOPY --from={host}/lib/other:3 / /\n"),
    )
    .unwrap();
    assert_eq!(
        update(&[], 0),
        json!({
            "moved": [],
            "added": [{
                "what": format!("{host}/lib/other:3"), "pin": other.digest, "lock": "Dockerfile.lock",
            }],
            "removed": [{
                "what": format!("{host}/lib/base:2"), "pin": base.digest, "lock": "Dockerfile.lock",
            }],
            "written": ["Dockerfile.lock"],
        })
    );
    assert_eq!(
        update(&[], 0),
        json!({"moved": [], "added": [], "removed": [], "written": []})
    );
}
