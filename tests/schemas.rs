//! The committed JSON Schemas (`schema/*.schema.json`) against what the tool really writes
//! and reads: committed and generated locks, `verify --format json` and `export --format
//! json`, checked by a real validator (Python's `jsonschema`, draft 2020-12); and against
//! the code, so that a lock field, a use kind or a finding code added on one side only
//! fails here.
//!
//! Locks are YAML; they are read into their JSON data model here (serde-saphyr into
//! `serde_json::Value`), so the validator needs only `jsonschema`.

use std::collections::BTreeSet;
use std::process::Command;

use dockerfile_lock::lockfile;
use dockerfile_lock::report::{Code, Finding, UsedBy};
use serde_json::{json, Value};

mod lock_support;
mod schema_support;

use lock_support::{bin, digest, scratch};
use schema_support::{
    assert_valid, every_field, every_field_json, reader, root, schema, stdout_json, validate, yaml,
};

/// Committed `*.lock` files that are not dockerfile-lock's locks.
const NOT_OURS: [&str; 1] = ["Cargo.lock"];

/// Committed locks that are invalid on purpose (fixtures for error paths): none today.
/// Every other committed lock must be read by the tool and match the schema.
const INVALID_FIXTURES: [&str; 0] = [];

#[test]
fn committed_locks_match_the_lock_schema() {
    let out = Command::new("git")
        .args(["ls-files", "-z", "--", "*.lock"])
        .current_dir(root())
        .output()
        .expect("the committed locks are listed by git (run the tests in a git checkout)");
    assert!(out.status.success(), "git ls-files failed");
    let listed = String::from_utf8(out.stdout).unwrap();
    let mut documents = Vec::new();
    for file in listed.split('\0').filter(|f| !f.is_empty()) {
        let path = root().join(file);
        let name = path.file_name().unwrap().to_str().unwrap();
        if NOT_OURS.contains(&name) || INVALID_FIXTURES.contains(&file) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if let Err(e) = lockfile::parse(text.as_bytes(), &path) {
            panic!("{file} is committed but the tool cannot read it ({e}); if it is invalid on purpose, list it in INVALID_FIXTURES");
        }
        documents.push((file.to_string(), yaml(&text)));
    }
    assert!(
        documents.len() >= 5,
        "expected the repository's own lock and the testdata locks, found {documents:?}"
    );
    assert_valid("lock", &documents);
}

#[test]
fn a_lock_with_every_field_matches_the_lock_schema() {
    let lock = every_field_json();
    assert_eq!(lock["packages"][1]["manager"], "apk", "{lock:#}");
    assert_eq!(lock["packages"][0]["snapshot"], "20260101T000000Z");
    assert_valid("lock", &[("every field".into(), lock)]);
}

/// A Dockerfile whose images are all pinned, and a git source pinned to a commit:
/// `generate` locks it without the network.
const PINNED: &str = "# syntax=docker/dockerfile:1.7@DIGEST1
FROM alpine:3.20@DIGEST2 AS build
ADD https://github.com/org/repo.git#0123456789abcdef0123456789abcdef01234567 /src
RUN --mount=from=ghcr.io/acme/tools:2.1@DIGEST3,target=/t /t/build

FROM build
COPY --from=busybox@DIGEST4 /bin/sh /sh
";

#[test]
fn generated_locks_and_verify_reports_match_their_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut dockerfile = PINNED.to_string();
    for seed in 1..=4 {
        dockerfile = dockerfile.replace(&format!("DIGEST{seed}"), &digest(seed));
    }
    std::fs::write(d.join("Dockerfile"), &dockerfile).unwrap();
    bin(d).arg("generate").assert().code(0);
    let lock = std::fs::read_to_string(d.join("Dockerfile.lock")).unwrap();
    assert!(lock.contains("\nsources:\n"), "{lock}");
    let mut locks = vec![("generated".to_string(), yaml(&lock))];

    let mut reports = Vec::new();
    let mut verify = |label: &str, args: &[&str], code: i32| {
        let out = bin(d)
            .args(["verify", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{label}: {out:?}");
        reports.push((label.to_string(), stdout_json(&out)));
    };
    verify("in sync", &[], 0);
    // Another stage, unpinned, and the ADD gone: missing, unpinned and stale entries.
    let edited = dockerfile.replace("ADD ", "# ADD ") + "FROM node:18\n";
    std::fs::write(d.join("Dockerfile"), edited).unwrap();
    verify("drifted", &["--require-pinned"], 1);
    std::fs::write(d.join("other.Dockerfile"), "FROM alpine:3.20\n").unwrap();
    verify("no lock", &["other.Dockerfile"], 1);
    std::fs::write(d.join("other.Dockerfile.lock"), "version: 1\nimages: [\n").unwrap();
    verify("corrupt lock", &["other.Dockerfile"], 2);

    let fixture = scratch("export/multistage");
    let out = bin(fixture.path())
        .args(["verify", "--format", "json", "--build-arg", "NODE_TAG=20"])
        .args(["--platform", "linux/arm64", "Dockerfile"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    reports.push(("build args and platforms".into(), stdout_json(&out)));

    // The lock with every field, beside a Dockerfile whose `RUN` does not apply its snapshot.
    let packages = tempfile::tempdir().unwrap();
    let lock = lockfile::encode(&every_field()).unwrap();
    std::fs::write(packages.path().join("Dockerfile.lock"), lock).unwrap();
    std::fs::write(
        packages.path().join("Dockerfile"),
        format!(
            "FROM debian:trixie@{} AS build\nRUN apt-get update && apt-get install -y curl\n",
            digest(1)
        ),
    )
    .unwrap();
    let out = bin(packages.path())
        .args(["verify", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    reports.push(("packages".into(), stdout_json(&out)));

    let seen: BTreeSet<String> = reports
        .iter()
        .flat_map(|(_, r)| r["findings"].as_array().unwrap().clone())
        .map(|f| format!("{} {}", f["code"], f["kind"]))
        .collect();
    for want in [
        "\"missing-lockfile\" null",
        "\"missing-lock-entry\" \"image\"",
        "\"stale-lock-entry\" \"image\"",
        "\"stale-lock-entry\" \"source\"",
        "\"unpinned\" \"image\"",
        "\"build-args-mismatch\" null",
        "\"platforms-mismatch\" null",
        "\"package-lock-unapplied\" \"package\"",
    ] {
        assert!(seen.contains(want), "no `{want}` finding in {seen:?}");
    }
    assert!(
        reports.iter().any(|(_, r)| r["errors"][0].is_object()),
        "no errors in {reports:?}"
    );

    locks.push(("every field".into(), every_field_json()));
    assert_valid("lock", &locks);
    assert_valid("verify", &reports);
}

#[test]
fn export_documents_match_the_export_schema() {
    let mut documents = Vec::new();
    let golden = root().join("testdata/export/multistage/expected/export.json");
    let text = std::fs::read_to_string(&golden).unwrap();
    documents.push(("golden".to_string(), serde_json::from_str(&text).unwrap()));
    for (fixture, files) in [
        ("export/multistage", &["Dockerfile", "api.Dockerfile"][..]),
        ("rewrite-sources", &["Dockerfile", "old.Dockerfile"][..]),
    ] {
        let dir = scratch(fixture);
        let out = bin(dir.path())
            .args(["export", "--format", "json"])
            .args(files)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{fixture}: {out:?}");
        documents.push((fixture.to_string(), stdout_json(&out)));
    }
    let dir = tempfile::tempdir().unwrap();
    let lock = lockfile::encode(&every_field()).unwrap();
    std::fs::write(dir.path().join("Dockerfile.lock"), lock).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM debian:trixie\n").unwrap();
    // The lock is not this Dockerfile's: exported as it is.
    let out = bin(dir.path())
        .args(["export", "--format", "json", "--no-verify", "Dockerfile"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let every = stdout_json(&out);
    let kinds: BTreeSet<&str> = every["locks"][0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, BTreeSet::from(["git", "http"]), "{every:#}");
    // A compose or bake lock's uses keep the service or target and the Dockerfile.
    let debian = &every["locks"][0]["images"][1];
    assert_eq!(debian["reference"], "docker.io/library/debian:trixie");
    assert_eq!(debian["used-by"][0]["by"], "api", "{debian:#}");
    assert_eq!(
        debian["used-by"][0]["dockerfile"], "api/Dockerfile",
        "{debian:#}"
    );
    documents.push(("every field".into(), every));
    assert_valid("export", &documents);
}

/// Each mutation of `every_field()` is refused by the tool and by the schema.
#[test]
fn what_the_reader_refuses_the_schema_refuses() {
    type Mutation = fn(&mut Value);
    let cases: [(&str, Mutation); 16] = [
        ("unknown top-level field", |l| l["extra"] = json!(1)),
        ("unknown image field", |l| {
            l["images"][0]["tag"] = json!("x")
        }),
        ("unknown package field", |l| {
            l["packages"][0]["packages"][0]["priority"] = json!("optional")
        }),
        ("unknown repository field", |l| {
            l["packages"][0]["repositories"][0]["arch"] = json!("amd64")
        }),
        ("apt entry without snapshot", |l| {
            l["packages"][0].as_object_mut().unwrap().remove("snapshot");
        }),
        ("apk entry with a snapshot", |l| {
            l["packages"][1]["snapshot"] = json!("20260101T000000Z")
        }),
        ("snapshot that is not an ID", |l| {
            l["packages"][0]["snapshot"] = json!("2026-01-01T00:00:00Z")
        }),
        ("short digest", |l| {
            l["images"][0]["digest"] = json!(format!("sha256:{}", "a".repeat(63)))
        }),
        ("uppercase digest", |l| {
            l["images"][0]["digest"] = json!(format!("sha256:{}", "A".repeat(64)))
        }),
        ("unknown digest algorithm", |l| {
            l["images"][0]["digest"] = json!(format!("md5:{}", "a".repeat(32)))
        }),
        ("bad platform digest", |l| {
            l["images"][1]["platforms"]["linux/amd64"] = json!("sha256:abc")
        }),
        ("bad base digest", |l| {
            l["packages"][1]["base-digest"] = json!("latest")
        }),
        ("version 2", |l| l["version"] = json!(2)),
        ("unknown use kind", |l| {
            l["images"][0]["used-by"][0]["kind"] = json!("run")
        }),
        ("HTTP source with a commit", |l| {
            l["sources"][1]["commit"] = json!("1".repeat(40))
        }),
        ("git source with a short commit", |l| {
            l["sources"][0]["commit"] = json!("abc")
        }),
    ];
    let base = every_field_json();
    assert_eq!(
        base["images"][1]["reference"],
        "docker.io/library/debian:trixie"
    );
    assert_eq!(
        base["sources"][1]["url"], "https://example.org/tool.tar.gz",
        "{base:#}"
    );
    let mut documents = Vec::new();
    for (label, mutate) in cases {
        let mut lock = base.clone();
        mutate(&mut lock);
        assert_ne!(lock, base, "{label}: the mutation changed nothing");
        assert!(reader(&lock).is_err(), "{label}: the tool reads it");
        documents.push(lock);
    }
    let results = validate("lock", &documents);
    let accepted: Vec<&str> = cases
        .iter()
        .zip(&results)
        .filter(|(_, errors)| errors.is_empty())
        .map(|((label, _), _)| *label)
        .collect();
    assert!(accepted.is_empty(), "the schema accepts: {accepted:?}");
}

/// The objects of a lock: where they are in its JSON (`*` for every item of a list), and
/// where the schema describes them.
const OBJECTS: [(&str, &str); 8] = [
    ("", ""),
    ("images/*", "/$defs/image"),
    ("images/*/used-by/*", "/$defs/image-use"),
    ("sources/*", "/$defs/source"),
    ("sources/*/used-by/*", "/$defs/source-use"),
    ("packages/*", "/$defs/packages"),
    ("packages/*/repositories/*", "/$defs/repository"),
    ("packages/*/packages/*", "/$defs/package"),
];

/// The objects found at `path` below `value`.
fn objects_at<'a>(value: &'a mut Value, path: &str) -> Vec<&'a mut Value> {
    let mut found = vec![value];
    for step in path.split('/').filter(|s| !s.is_empty()) {
        found = found
            .into_iter()
            .flat_map(|v| match step {
                "*" => v.as_array_mut().unwrap().iter_mut().collect::<Vec<_>>(),
                key => vec![&mut v[key]],
            })
            .collect();
    }
    found
}

/// The names a message lists after `after` (`a`, `b` or `a, b`, with or without
/// backticks, "one of" and "or").
fn listed(message: &str, after: &str) -> BTreeSet<String> {
    let (_, rest) = message
        .split_once(after)
        .unwrap_or_else(|| panic!("`{after}` not in: {message}"));
    let rest = rest
        .split(')')
        .next()
        .unwrap()
        .trim_start_matches("one of ");
    rest.split(", ")
        .flat_map(|s| s.split(" or "))
        .map(|s| s.trim().trim_matches('`').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn names(set: impl IntoIterator<Item = impl ToString>) -> BTreeSet<String> {
    set.into_iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_lock_schema_has_exactly_the_fields_the_reader_accepts() {
    let schema = schema("lock");
    let mut base = every_field_json();
    for (path, at) in OBJECTS {
        let described = names(
            schema
                .pointer(&format!("{at}/properties"))
                .unwrap()
                .as_object()
                .unwrap()
                .keys(),
        );
        // The reader's list of fields, from its answer to one it does not know.
        let mut probe = base.clone();
        objects_at(&mut probe, path)[0]["x-probe"] = json!(1);
        let refused = reader(&probe).expect_err("an unknown field is refused");
        let accepted = listed(&refused, "a lock has ");
        assert_eq!(described, accepted, "{path}: schema {at} vs the reader");
        // And `every_field()` sets each of them somewhere, so each is validated above.
        let set = names(
            objects_at(&mut base, path)
                .into_iter()
                .flat_map(|o| o.as_object().unwrap().keys().cloned().collect::<Vec<_>>()),
        );
        assert_eq!(set, accepted, "{path}: every_field() leaves some out");
    }
}

#[test]
fn the_lock_schema_has_exactly_the_kinds_and_managers_the_reader_accepts() {
    let schema = schema("lock");
    let base = every_field_json();
    for (path, field, at) in [
        ("images/*/used-by/*", "kind", "/$defs/image-use"),
        ("sources/*/used-by/*", "kind", "/$defs/source-use"),
        ("packages/*", "manager", "/$defs/packages"),
    ] {
        let mut probe = base.clone();
        objects_at(&mut probe, path)[0][field] = json!("x-probe");
        let refused = reader(&probe).expect_err("an unknown variant is refused");
        let accepted = listed(&refused, "expected ");
        let pointer = format!("{at}/properties/{field}/enum");
        let described = names(
            schema
                .pointer(&pointer)
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap()),
        );
        assert_eq!(described, accepted, "{pointer} vs the reader: {refused}");
    }
}

#[test]
fn the_verify_schema_has_every_finding_code_and_kind() {
    let schema = schema("verify");
    let finding = &schema["$defs"]["finding"]["properties"];
    let enumerated = |field: &str| {
        names(
            finding[field]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap()),
        )
    };
    assert_eq!(
        enumerated("code"),
        names(Code::ALL.map(Code::as_str)),
        "verify.schema.json's codes vs report::Code::ALL"
    );
    assert_eq!(
        enumerated("kind"),
        names([
            dockerfile_lock::kinds::images::compare::KIND,
            "source",
            dockerfile_lock::kinds::packages::compare::KIND
        ])
    );
}

/// A field added to a finding (or to one of its uses) in the code but not in the schema,
/// or the other way round, fails here: the schema refuses fields it does not describe.
#[test]
fn the_verify_schema_has_exactly_the_fields_a_finding_has() {
    let finding = Finding::new(Code::DigestMismatch, "Dockerfile", Some(1), "m")
        .with_kind("image")
        .about("docker.io/library/alpine:3.20")
        .pins(Some(digest(1)), Some(digest(2)))
        .used_by(vec![UsedBy {
            dockerfile: Some("Dockerfile".into()),
            line: Some(1),
            stage: Some("build".into()),
            by: Some("web".into()),
        }]);
    let value = serde_json::to_value(&finding).unwrap();
    let schema = schema("verify");
    let fields = |v: &Value| names(v.as_object().unwrap().keys());
    assert_eq!(
        fields(&value),
        fields(&schema["$defs"]["finding"]["properties"]),
        "report::Finding vs verify.schema.json's finding"
    );
    assert_eq!(
        fields(&value["used-by"][0]),
        fields(&schema["$defs"]["use"]["properties"]),
        "report::UsedBy vs verify.schema.json's use"
    );
    // Every field but `kind` is always there.
    let bare = serde_json::to_value(Finding::new(Code::OrphanLock, "x.lock", None, "m")).unwrap();
    let mut required = names(
        schema["$defs"]["finding"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap()),
    );
    assert_eq!(
        fields(&bare),
        required,
        "fields always present vs `required`"
    );
    required.insert("kind".into());
    assert_eq!(fields(&value), required);
    assert_valid(
        "verify",
        &[(
            "every field".into(),
            json!({"findings": [value, bare], "errors": []}),
        )],
    );
}

/// Each property says what it is.
#[test]
fn every_property_has_a_description() {
    fn walk(value: &Value, at: String, missing: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    for (name, property) in properties {
                        if property
                            .get("description")
                            .and_then(Value::as_str)
                            .is_none()
                        {
                            missing.push(format!("{at}/properties/{name}"));
                        }
                    }
                }
                // An `if` holds conditions, not the properties' definitions.
                for (key, v) in map.iter().filter(|(key, _)| *key != "if") {
                    walk(v, format!("{at}/{key}"), missing);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, format!("{at}/{i}"), missing);
                }
            }
            _ => {}
        }
    }
    for name in ["lock", "verify", "export", "update"] {
        let mut missing = Vec::new();
        walk(&schema(name), String::new(), &mut missing);
        assert!(
            missing.is_empty(),
            "{name}.schema.json: no description at {missing:?}"
        );
    }
}
