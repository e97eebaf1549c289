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
//! A URL whose secrets the lock masks gets a `WILDCARD` rule with no new identifier, so
//! the build keeps its own URL and only gains the checksum.

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
    /// Empty for a wildcard rule: BuildKit's `Mutate` then keeps the build's own URL.
    #[serde(skip_serializing_if = "String::is_empty")]
    identifier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    attrs: Option<BTreeMap<&'static str, String>>,
}

/// A locked URL with secrets masked (`https://***@host/f?token=***`) matches the build's
/// URL, secrets and all, as a `WILDCARD` selector (`util/wildcard`: `*` is any run of
/// characters, all else literal, `**` refused): the policy sets the checksum without
/// holding the secret.
fn wildcard(identifier: &str) -> Option<String> {
    use crate::sources::redact::MASK;
    if !identifier.contains(MASK) {
        return None;
    }
    let mut pattern = identifier.replace(MASK, "*");
    while pattern.contains("**") {
        pattern = pattern.replace("**", "*");
    }
    Some(pattern)
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
    let sources = sources
        .iter()
        .map(|(identifier, rule)| match wildcard(identifier) {
            Some(pattern) => Rule {
                action: "CONVERT",
                selector: Selector {
                    identifier: pattern,
                    match_type: "WILDCARD",
                },
                updates: Update {
                    identifier: String::new(),
                    attrs: Some(rule.attrs.clone()),
                },
            },
            None => Rule {
                action: "CONVERT",
                selector: Selector {
                    identifier: identifier.clone(),
                    match_type: "EXACT",
                },
                updates: Update {
                    identifier: identifier.clone(),
                    attrs: Some(rule.attrs.clone()),
                },
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

#[cfg(test)]
mod tests {
    use super::*;

    /// BuildKit's `util/wildcard`: the pattern quoted, each `*` any run of characters,
    /// anchored at both ends.
    fn buildkit_matches(pattern: &str, identifier: &str) -> bool {
        let re = format!("^{}$", regex::escape(pattern).replace("\\*", "(.*)"));
        regex::Regex::new(&re).unwrap().is_match(identifier)
    }

    #[test]
    fn a_masked_url_matches_the_build_url_as_a_wildcard_and_nothing_else() {
        let locked = "https://***@h.example/f?private_token=***&v=1";
        let pattern = wildcard(locked).unwrap();
        assert_eq!(pattern, "https://*@h.example/f?private_token=*&v=1");
        assert!(buildkit_matches(
            &pattern,
            "https://TOKEN@h.example/f?private_token=glpat-x&v=1"
        ));
        for other in [
            "https://TOKEN@h.example/g?private_token=glpat-x&v=1",
            "https://TOKEN@h.example/f?private_token=glpat-x&v=2",
            "https://h.example/f?private_token=glpat-x&v=1",
        ] {
            assert!(!buildkit_matches(&pattern, other), "{other}");
        }
        assert_eq!(wildcard("https://h.example/f?v=1"), None);
        let mut sources = BTreeMap::new();
        sources.insert(
            locked.to_string(),
            SourceRule {
                attrs: BTreeMap::from([("http.checksum", "sha256:00".to_string())]),
                lock: "compose.yaml.lock".into(),
            },
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(&BTreeMap::new(), &sources)).unwrap();
        let rule = &json["rules"][0];
        assert_eq!(rule["selector"]["match_type"], "WILDCARD");
        assert_eq!(rule["selector"]["identifier"], pattern.as_str());
        assert!(rule["updates"].get("identifier").is_none(), "{rule}");
        assert_eq!(rule["updates"]["attrs"]["http.checksum"], "sha256:00");
    }
}
