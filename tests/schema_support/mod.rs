//! Helpers for the schema tests: the validator (Python's `jsonschema`, run through the
//! interpreter in `DOCKERFILE_LOCK_PYTHON`), locks as their JSON data model, and a lock
//! that sets every field the format has.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use dockerfile_lock::dockerfile::UseKind;
use dockerfile_lock::lockfile::packages::{LockedPackage, PackagesEntry, PackagesKey, Repository};
use dockerfile_lock::lockfile::{self, Entry, Key, Lock, SourceEntry, SourcePin, Use};
use dockerfile_lock::packages::Manager;
use dockerfile_lock::reference::Digest;
use serde_json::{json, Value};

use crate::lock_support::digest;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn schema(name: &str) -> Value {
    let path = root().join("schema").join(format!("{name}.schema.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The validation errors of each document against `schema/<name>.schema.json`, in order.
/// Fails when the schema itself is not a valid draft 2020-12 schema.
pub fn validate(name: &str, documents: &[Value]) -> Vec<Vec<String>> {
    let python = std::env::var("DOCKERFILE_LOCK_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = root().join("tests/support/validate_schema.py");
    let need = "the schema tests need Python 3 with `pip install jsonschema` (.ci/run installs \
                it in .venv; DOCKERFILE_LOCK_PYTHON names the interpreter)";
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{python}` ({e}): {need}"));
    let request = json!({ "schema": schema(name), "instances": documents });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "validating against {name}.schema.json failed ({need}):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), documents.len());
    results
}

/// Every labelled document matches `schema/<name>.schema.json`.
pub fn assert_valid(name: &str, documents: &[(String, Value)]) {
    let values: Vec<Value> = documents.iter().map(|(_, v)| v.clone()).collect();
    let bad: Vec<String> = documents
        .iter()
        .zip(validate(name, &values))
        .filter(|(_, errors)| !errors.is_empty())
        .map(|((label, _), errors)| format!("{label}:\n    {}", errors.join("\n    ")))
        .collect();
    assert!(
        bad.is_empty(),
        "{} document(s) do not match {name}.schema.json:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// A lock's JSON data model, as a YAML reader sees it.
pub fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("not YAML ({e}):\n{text}"))
}

pub fn stdout_json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn d(seed: u8) -> Digest {
    digest(seed).parse().unwrap()
}

/// A lock that sets every field the format has, built from the domain types: images of
/// every use kind (with the compose/bake fields), HTTP and git sources, apt and apk
/// packages.
pub fn every_field() -> Lock {
    let mut lock = Lock {
        dockerfile: "Dockerfile".into(),
        build_args: BTreeMap::from([("NODE_TAG".into(), "18".into())]),
        ..Lock::default()
    };
    let kinds = [
        UseKind::Syntax,
        UseKind::From,
        UseKind::CopyFrom,
        UseKind::MountFrom,
        UseKind::Image,
        UseKind::Context,
    ];
    let sha512: Digest = format!("sha512:{}", "ab".repeat(64)).parse().unwrap();
    lock.images.insert(
        Key {
            reference: "docker.io/library/debian:trixie".into(),
            pinned: None,
        },
        Entry {
            name: "debian:trixie".into(),
            digest: d(1),
            media_type: Some("application/vnd.oci.image.index.v1+json".into()),
            platforms: BTreeMap::from([
                ("linux/amd64".into(), d(2)),
                ("linux/arm64/v8".into(), sha512),
            ]),
            used_by: kinds
                .into_iter()
                .map(|kind| Use {
                    kind,
                    by: Some("api".into()),
                    dockerfile: Some("api/Dockerfile".into()),
                    stage: Some("build".into()),
                })
                .collect(),
        },
    );
    lock.images.insert(
        Key {
            reference: "docker.io/library/alpine".into(),
            pinned: Some(d(3)),
        },
        Entry {
            name: "alpine".into(),
            digest: d(3),
            media_type: None,
            platforms: BTreeMap::new(),
            used_by: BTreeSet::from([Use {
                kind: UseKind::From,
                by: None,
                dockerfile: None,
                stage: None,
            }]),
        },
    );
    let commit = "0123456789abcdef0123456789abcdef01234567";
    for (url, pin, lines) in [
        (
            "https://example.org/tool.tar.gz",
            SourcePin::Http { checksum: d(4) },
            vec![],
        ),
        (
            "https://github.com/org/repo.git#v1",
            SourcePin::Git {
                git_ref: "v1".into(),
                commit: commit.into(),
            },
            vec![3, 7],
        ),
        (
            "git@github.com:org/x.git",
            SourcePin::Git {
                git_ref: String::new(),
                commit: "1".repeat(40),
            },
            vec![],
        ),
    ] {
        lock.sources.insert(
            url.into(),
            SourceEntry {
                pin,
                used_by: BTreeSet::from([Some("build".into()), None]),
                lines,
            },
        );
    }
    let apt = PackagesEntry {
        lines: vec![2],
        base: "docker.io/library/debian:trixie".into(),
        base_digest: d(2),
        platform: "linux/amd64".into(),
        distro: "debian".into(),
        release: "13".into(),
        snapshot: Some("20260101T000000Z".into()),
        apt_version: Some("3.0.3".into()),
        repositories: vec![Repository {
            uri: "http://deb.debian.org/debian".into(),
            suite: Some("trixie".into()),
            components: vec!["main".into(), "contrib".into()],
            snapshot_uri: Some(
                "https://snapshot.debian.org/archive/debian/20260101T000000Z/".into(),
            ),
            signed_by: Some("/usr/share/keyrings/debian-archive-keyring.gpg".into()),
        }],
        packages: vec![
            LockedPackage {
                name: "ca-certificates".into(),
                version: "20250419".into(),
                architecture: "all".into(),
                suite: Some("trixie".into()),
                sha256: None,
                checksum: None,
            },
            LockedPackage {
                name: "curl".into(),
                version: "8.14.1-2".into(),
                architecture: "amd64".into(),
                suite: Some("trixie".into()),
                sha256: Some("cd".repeat(32)),
                checksum: None,
            },
        ],
    };
    let apk = PackagesEntry {
        lines: vec![5],
        base: "docker.io/library/alpine".into(),
        base_digest: d(3),
        platform: "linux/amd64".into(),
        distro: "alpine".into(),
        release: "3.22.0".into(),
        snapshot: None,
        apt_version: None,
        repositories: vec![Repository {
            uri: "https://dl-cdn.alpinelinux.org/alpine/v3.22/main".into(),
            suite: None,
            components: vec![],
            snapshot_uri: None,
            signed_by: None,
        }],
        packages: vec![LockedPackage {
            name: "git".into(),
            version: "2.49.1-r0".into(),
            architecture: "x86_64".into(),
            suite: None,
            sha256: None,
            checksum: Some("Q1mdLSwnnsRJeHrJaDs1ulJ5GzqHE=".into()),
        }],
    };
    for (dockerfile, stage, manager, entry) in [
        (None, "build", Manager::Apt, apt),
        (Some("services/api/Dockerfile"), "1", Manager::Apk, apk),
    ] {
        let key = PackagesKey {
            dockerfile: dockerfile.map(String::from),
            stage: stage.into(),
            manager,
        };
        lock.packages.insert(key, entry);
    }
    lock
}

/// `every_field()` as the tool writes it, read back as YAML.
pub fn every_field_json() -> Value {
    let text = lockfile::encode(&every_field()).unwrap();
    let back = lockfile::parse(text.as_bytes(), Path::new("Dockerfile.lock")).unwrap();
    assert_eq!(
        back,
        every_field(),
        "the lock reads back as written:\n{text}"
    );
    yaml(&text)
}

/// What the tool's strict reader says of a lock given as its JSON data model (JSON is
/// YAML); `Ok` when it reads it.
pub fn reader(lock: &Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(lock).unwrap();
    lockfile::parse(text.as_bytes(), Path::new("Dockerfile.lock"))
        .map(drop)
        .map_err(|e| e.to_string())
}
