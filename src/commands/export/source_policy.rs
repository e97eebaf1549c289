//! `--format source-policy`: a BuildKit source policy with one CONVERT rule per locked tag.
//!
//! The shape is BuildKit's `sourcepolicy/pb/policy.proto` as `encoding/json` reads it
//! (buildctl's `--source-policy-file`, buildx's `EXPERIMENTAL_BUILDKIT_SOURCE_POLICY`):
//! the fields' `json` tags from `policy.pb.go`, enums by name (`sourcepolicy/pb/json.go`).
//!
//! Selectors are what the Dockerfile frontend asks the policy about: `llb.Image` and
//! `dockerfile2llb` build `docker-image://` + `reference.TagNameOnly(ParseNormalizedNamed(
//! ref))`, so `FROM node` is `docker-image://docker.io/library/node:latest`. `EXACT` match
//! (`sourcepolicy/matcher.go`) compares the whole identifier, so a rule never touches a use
//! the Dockerfile already pins (`alpine:3.20@sha256:…` reaches the policy with its digest),
//! and the converted identifier matches no rule, which ends the engine's re-evaluation loop
//! (`sourcepolicy/engine.go`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::Pin;

/// `moby.buildkit.v1.sourcepolicy.Policy`; "Currently 1".
const POLICY_VERSION: i64 = 1;

#[derive(Serialize)]
struct Policy {
    version: i64,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Rule {
    action: &'static str,
    selector: Selector,
    updates: Update,
}

#[derive(Serialize)]
struct Selector {
    identifier: String,
    match_type: &'static str,
}

#[derive(Serialize)]
struct Update {
    identifier: String,
}

/// The policy JSON, rules sorted by selector, with a final newline.
pub(super) fn render(pins: &BTreeMap<String, Pin>) -> String {
    let policy = Policy {
        version: POLICY_VERSION,
        rules: pins
            .iter()
            .map(|(reference, pin)| Rule {
                action: "CONVERT",
                selector: Selector {
                    identifier: format!("docker-image://{reference}"),
                    match_type: "EXACT",
                },
                updates: Update {
                    identifier: format!("docker-image://{reference}@{}", pin.digest),
                },
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&policy).expect("plain strings serialize");
    text.push('\n');
    text
}
