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
//!
//! Sources `ADD` fetches get a rule each that keeps their identifier and sets the pin as
//! an attribute (`solver/pb/attr.go`): `http.checksum` for an HTTP URL (the build fails
//! closed on other bytes), `git.checksum` with `git.fetchbycommit` for a git source (the
//! build fetches the locked commit; `git.checksum` alone would only fail when the ref
//! moved). `mutate.go` reports no change once the attributes are set, which ends the loop.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Pin, SourceRule};

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
    #[serde(skip_serializing_if = "Option::is_none")]
    attrs: Option<BTreeMap<&'static str, String>>,
}

/// The policy JSON, rules sorted by selector (images, then git, then HTTP sources), with
/// a final newline.
pub(super) fn render(
    pins: &BTreeMap<String, Pin>,
    sources: &BTreeMap<String, SourceRule>,
) -> String {
    let images = pins.iter().map(|(reference, pin)| Rule {
        action: "CONVERT",
        selector: Selector {
            identifier: format!("docker-image://{reference}"),
            match_type: "EXACT",
        },
        updates: Update {
            identifier: format!("docker-image://{reference}@{}", pin.digest),
            attrs: None,
        },
    });
    let sources = sources.iter().map(|(identifier, rule)| Rule {
        action: "CONVERT",
        selector: Selector {
            identifier: identifier.clone(),
            match_type: "EXACT",
        },
        updates: Update {
            identifier: identifier.clone(),
            attrs: Some(rule.attrs.clone()),
        },
    });
    let policy = Policy {
        version: POLICY_VERSION,
        rules: images.chain(sources).collect(),
    };
    let mut text = serde_json::to_string_pretty(&policy).expect("plain strings serialize");
    text.push('\n');
    text
}
