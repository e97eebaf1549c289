//! `--format build-contexts` and `--format bake`: named contexts that replace each locked
//! image with the same image by digest.
//!
//! BuildKit looks an image up among the named contexts by the name
//! `frontend/dockerui/config.go` (`Client.NamedContext`) computes:
//! `reference.FamiliarString(ParseNormalizedNamed(name))` with a trailing `:latest`
//! trimmed, first with a `::os/arch` suffix, then without. `dockerfile2llb/convert.go`
//! asks for every `FROM` base and for the images of `COPY --from` and `RUN --mount
//! from=` (both become unregistered stages resolved like a `FROM`), and since BuildKit
//! v0.12 the gateway frontend asks for the `# syntax=` image too
//! (`frontend/gateway/gateway.go`, `gatewayFrontend.Solve`). The value is the lock's
//! index digest without a platform suffix, so one context serves every platform a build
//! targets. Names no instruction asks for are never looked up, so contexts from several
//! locks can be passed to one build.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Pin;
use crate::reference::{ImageRef, DOCKER_HUB};

/// The named-context name BuildKit looks up for a normalized tagged reference:
/// `docker.io/library/node:18` → `node:18`, `docker.io/library/alpine:latest` → `alpine`,
/// `ghcr.io/org/app:1` → `ghcr.io/org/app:1`.
pub(super) fn context_name(reference: &str) -> String {
    let (name, tag) = match ImageRef::parse(reference) {
        Ok(r) => (r.name(), r.tag_or_latest().to_string()),
        // Lock references are validated when read; keep anything else as it is.
        Err(_) => return reference.to_string(),
    };
    // distribution/reference `familiarizeName`: drop `docker.io/`, and `library/` only
    // when what remains is a single path component.
    let familiar = match name.strip_prefix(&format!("{DOCKER_HUB}/")) {
        Some(path) => match path.strip_prefix("library/") {
            Some(rest) if !rest.contains('/') => rest.to_string(),
            _ => path.to_string(),
        },
        None => name,
    };
    if tag == "latest" {
        familiar
    } else {
        format!("{familiar}:{tag}")
    }
}

/// `docker-image://docker.io/library/node:18@sha256:…`.
fn context_value(reference: &str, pin: &Pin) -> String {
    format!("docker-image://{reference}@{}", pin.digest)
}

/// Named contexts by name (sorted, so output is stable).
fn contexts(pins: &BTreeMap<String, Pin>) -> BTreeMap<String, String> {
    pins.iter()
        .map(|(reference, pin)| (context_name(reference), context_value(reference, pin)))
        .collect()
}

/// One `--build-context NAME=VALUE` per line, each word quoted for a POSIX shell when it
/// needs to be, so the lines can be pasted or spliced with `$(…)` into `docker buildx build`.
pub(super) fn render_args(pins: &BTreeMap<String, Pin>) -> String {
    contexts(pins)
        .into_iter()
        .map(|(name, value)| {
            format!(
                "--build-context {}\n",
                shell_quote(&format!("{name}={value}"))
            )
        })
        .collect()
}

/// A bake file in JSON (`docker buildx bake -f docker-bake.json`): a `default` target whose
/// `contexts` map is what `--build-context` would pass.
pub(super) fn render_bake(
    pins: &BTreeMap<String, Pin>,
    targets: &BTreeMap<String, BTreeMap<String, String>>,
) -> String {
    #[derive(Serialize)]
    struct Bake {
        target: BTreeMap<String, Target>,
    }
    #[derive(Serialize)]
    struct Target {
        contexts: BTreeMap<String, String>,
        /// Build args that apply the lock through the Dockerfile's own ARGs.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        args: BTreeMap<String, String>,
    }
    // Bake merges a target of the same name from every file: the contexts join each real
    // target the locks name. A name no instruction asks for is never looked up.
    let default = BTreeMap::from([("default".to_string(), BTreeMap::new())]);
    let targets = if targets.is_empty() {
        &default
    } else {
        targets
    };
    let bake = Bake {
        target: targets
            .iter()
            .map(|(n, args)| {
                (
                    n.clone(),
                    Target {
                        contexts: contexts(pins),
                        args: args.clone(),
                    },
                )
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&bake).expect("plain strings serialize");
    text.push('\n');
    text
}

/// `word` as one POSIX shell word: unchanged when every byte is safe, else single-quoted.
/// References never need it (their grammar has no shell metacharacters); this keeps the
/// promise for whatever a future lock may hold.
pub(super) fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bake_contexts_join_the_real_targets_or_a_default_one() {
        let d: crate::reference::Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
        let pins = BTreeMap::from([(
            "docker.io/library/node:18".to_string(),
            Pin {
                digest: d.clone(),
                lock: "docker-bake.hcl.lock".into(),
            },
        )]);
        let targets = BTreeMap::from([
            (
                "api".to_string(),
                BTreeMap::from([("APT_SNAPSHOT".to_string(), "20260101T000000Z".to_string())]),
            ),
            ("web".to_string(), BTreeMap::new()),
        ]);
        let bake: serde_json::Value = serde_json::from_str(&render_bake(&pins, &targets)).unwrap();
        let want = format!("docker-image://docker.io/library/node:18@{d}");
        assert_eq!(bake["target"]["api"]["contexts"]["node:18"], want.as_str());
        assert_eq!(bake["target"]["web"]["contexts"]["node:18"], want.as_str());
        assert!(bake["target"]["default"].is_null());
        assert_eq!(
            bake["target"]["api"]["args"]["APT_SNAPSHOT"],
            "20260101T000000Z"
        );
        assert!(bake["target"]["web"]["args"].is_null());
        let alone: serde_json::Value =
            serde_json::from_str(&render_bake(&pins, &Default::default())).unwrap();
        assert_eq!(
            alone["target"]["default"]["contexts"]["node:18"],
            want.as_str()
        );
    }

    #[test]
    fn names_as_buildkit_looks_them_up() {
        for (reference, name) in [
            ("docker.io/library/node:18", "node:18"),
            ("docker.io/library/alpine:latest", "alpine"),
            ("docker.io/docker/dockerfile:1.7", "docker/dockerfile:1.7"),
            ("docker.io/library/foo/bar:1", "library/foo/bar:1"),
            ("ghcr.io/org/app:1", "ghcr.io/org/app:1"),
            ("ghcr.io/org/app:latest", "ghcr.io/org/app"),
            ("localhost:5000/app:2", "localhost:5000/app:2"),
            ("localhost:5000/app:latest", "localhost:5000/app"),
        ] {
            assert_eq!(context_name(reference), name, "{reference}");
        }
    }

    #[test]
    fn quotes_only_what_a_shell_would_split() {
        assert_eq!(
            shell_quote("node:18=docker-image://docker.io/library/node:18@sha256:ab"),
            "node:18=docker-image://docker.io/library/node:18@sha256:ab"
        );
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$x"), "'$x'");
        assert_eq!(shell_quote(""), "''");
    }
}
