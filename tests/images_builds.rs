//! `images --format json` on compose and bake files: each use names the service or target
//! it belongs to, and the first use of each gives the args, target, platforms and named
//! contexts its build was read under, so a build can be compared with `buildx bake
//! --print` value by value.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{json, Value};

const DOCKERFILE: &str = "ARG BASE=debian:12\nFROM ${BASE} AS build\nFROM busybox:1.36 AS runtime\nCOPY --from=build /a /a\nCOPY --from=tools /b /b\n";

fn write(root: &Path, name: &str, body: &str) {
    let p = root.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

fn images(root: &Path, file: &str) -> Vec<Value> {
    let out = Command::cargo_bin("dockerfile-lock")
        .unwrap()
        .current_dir(root)
        .args(["images", "--format", "json", file])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().clone()
}

/// `(reference, owner, build)` of each row; `build` is `None` when the row has none.
fn owners(rows: &[Value]) -> Vec<(String, Value, Option<Value>)> {
    rows.iter()
        .map(|r| {
            (
                r["reference"].as_str().unwrap().to_string(),
                r["owner"].clone(),
                r.get("build").cloned(),
            )
        })
        .collect()
}

#[test]
fn compose_uses_name_their_service_and_the_build_they_were_read_under() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "app/Dockerfile", DOCKERFILE);
    write(
        root,
        "compose.yaml",
        "services:\n  web:\n    image: nginx:1.25\n  app:\n    build:\n      context: app\n      target: runtime\n      platforms: [linux/amd64, linux/arm64]\n      args:\n        BASE: debian:13\n      additional_contexts:\n        tools: docker-image://alpine:3.20\n",
    );
    let app = json!({
        "args": {"BASE": "debian:13"},
        "target": "runtime",
        "platforms": ["linux/amd64", "linux/arm64"],
        "contexts": {"tools": "docker-image://alpine:3.20"},
    });
    assert_eq!(
        owners(&images(root, "compose.yaml")),
        [
            (
                "nginx:1.25".into(),
                json!({"service": "web"}),
                Some(Value::Null)
            ),
            ("alpine:3.20".into(), json!({"service": "app"}), Some(app)),
            ("debian:13".into(), json!({"service": "app"}), None),
            ("busybox:1.36".into(), json!({"service": "app"}), None),
        ]
    );
}

#[test]
fn bake_uses_name_their_target_and_the_build_they_were_read_under() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "app/Dockerfile", DOCKERFILE);
    write(
        root,
        "docker-bake.hcl",
        "group \"default\" {\n  targets = [\"api\", \"worker\"]\n}\n\ntarget \"api\" {\n  context = \"app\"\n  args = { BASE = \"debian:11\" }\n  platforms = [\"linux/arm64\"]\n  contexts = { tools = \"docker-image://alpine:3.19\" }\n}\n\ntarget \"worker\" {\n  context = \"app\"\n  target = \"build\"\n}\n",
    );
    let api = json!({
        "args": {"BASE": "debian:11"},
        "target": null,
        "platforms": ["linux/arm64"],
        "contexts": {"tools": "docker-image://alpine:3.19"},
    });
    let worker = json!({"args": {}, "target": "build", "platforms": [], "contexts": {}});
    assert_eq!(
        owners(&images(root, "docker-bake.hcl")),
        [
            ("alpine:3.19".into(), json!({"target": "api"}), Some(api)),
            ("debian:11".into(), json!({"target": "api"}), None),
            ("busybox:1.36".into(), json!({"target": "api"}), None),
            (
                "debian:12".into(),
                json!({"target": "worker"}),
                Some(worker)
            ),
        ]
    );
}

#[test]
fn a_dockerfile_alone_names_no_build() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "Dockerfile", "FROM busybox:1.36\n");
    let rows = images(root, "Dockerfile");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].get("owner").is_none(), "{:?}", rows[0]);
    assert!(rows[0].get("build").is_none(), "{:?}", rows[0]);
}

/// A `COPY --from=` that a named context serves pulls nothing: no warning says it does.
#[test]
fn a_copy_from_a_named_context_is_not_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "app/Dockerfile", DOCKERFILE);
    write(
        root,
        "compose.yaml",
        "services:\n  app:\n    build:\n      context: app\n      additional_contexts:\n        tools: docker-image://alpine:3.20\n",
    );
    let out = Command::cargo_bin("dockerfile-lock")
        .unwrap()
        .current_dir(root)
        .args(["images", "compose.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("names no stage"), "{stderr}");
}

/// A build with no `target` builds the last stage, as BuildKit does: an unused stage's
/// image is not locked through a compose or bake file either.
#[test]
fn a_build_without_target_reads_only_what_the_last_stage_needs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "app/Dockerfile",
        "FROM golang:1.22 AS test\nFROM alpine:3.20 AS build\nFROM busybox:1.36\nCOPY --from=build /a /a\n",
    );
    write(
        root,
        "compose.yaml",
        "services:\n  app:\n    build:\n      context: app\n",
    );
    write(
        root,
        "docker-bake.hcl",
        "target \"app\" {\n  context = \"app\"\n}\n",
    );
    for file in ["compose.yaml", "docker-bake.hcl"] {
        let refs: Vec<String> = images(root, file)
            .iter()
            .map(|r| r["reference"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(refs, ["alpine:3.20", "busybox:1.36"], "{file}");
    }
}
