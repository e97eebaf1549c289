//! Manifest media types, the `Accept` header, and picking platforms out of an index.
//!
//! Per the OCI distribution spec a client names every manifest type it understands in
//! `Accept`; distribution 2.8 otherwise rewrites or hides what a tag points to (schema1
//! conversion, `404` for an OCI index, the amd64 child for a manifest list).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::platform::Platform;
use crate::reference::Digest;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";

/// All four types, indexes first: what the tag points to, never a conversion.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.oci.image.manifest.v1+json";

/// Whether `media_type` names a multi-platform index.
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    digest: String,
    #[serde(default)]
    platform: Option<PlatformSpec>,
}

/// The platform fields of an index entry or an image config.
#[derive(Deserialize)]
pub struct PlatformSpec {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

impl PlatformSpec {
    pub fn os(&self) -> &str {
        &self.os
    }

    pub fn architecture(&self) -> &str {
        &self.architecture
    }

    /// The variant, if one is named (an empty one counts as none).
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref().filter(|v| !v.is_empty())
    }

    fn name(&self) -> String {
        match &self.variant {
            Some(v) if !v.is_empty() => format!("{}/{}/{v}", self.os, self.architecture),
            _ => format!("{}/{}", self.os, self.architecture),
        }
    }

    /// As containerd matches: same os and arch; a missing variant equals the arch's
    /// default (`arm64` → `v8`, `arm` → `v7`).
    fn matches(&self, want: &Platform) -> bool {
        if !self.os.eq_ignore_ascii_case(want.os())
            || !self.architecture.eq_ignore_ascii_case(want.arch())
        {
            return false;
        }
        let default = match want.arch() {
            "arm64" => Some("v8"),
            "arm" => Some("v7"),
            _ => None,
        };
        let have = self
            .variant
            .as_deref()
            .filter(|v| !v.is_empty())
            .or(default);
        let want = want.variant().or(default);
        have == want
    }
}

/// The media type a manifest declares in its body (schema1 has none but `schemaVersion: 1`).
pub fn declared_media_type(bytes: &[u8]) -> Option<String> {
    let m: Manifest = serde_json::from_slice(bytes).ok()?;
    match (m.media_type, m.schema_version) {
        (Some(t), _) => Some(t),
        (None, Some(1)) => Some(DOCKER_SCHEMA1.to_string()),
        (None, _) if m.manifests.is_some() => Some(OCI_INDEX.to_string()),
        (None, _) => Some(OCI_MANIFEST.to_string()),
    }
}

/// What a manifest says about platforms.
pub enum Platforms {
    /// An index: each entry's platform and digest.
    Index(Vec<(PlatformSpec, String)>),
    /// A single image: its config blob says which platform it is.
    Single { config: Digest },
}

/// Read an index's entries or a single manifest's config digest.
pub fn platforms_of(bytes: &[u8]) -> Result<Platforms, String> {
    let m: Manifest = serde_json::from_slice(bytes)
        .map_err(|e| format!("the manifest is not valid JSON: {e}"))?;
    if let Some(entries) = m.manifests {
        let entries = entries
            .into_iter()
            .filter_map(|d| d.platform.map(|p| (p, d.digest)))
            .collect();
        return Ok(Platforms::Index(entries));
    }
    let config = m
        .config
        .ok_or("the manifest names neither child manifests nor a config")?;
    let config = config
        .digest
        .parse()
        .map_err(|e| format!("the manifest's config digest is invalid: {e}"))?;
    Ok(Platforms::Single { config })
}

/// The platform an image config blob describes.
pub fn config_platform(bytes: &[u8]) -> Result<PlatformSpec, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("the image config is not valid JSON: {e}"))
}

/// Pick each requested platform's child digest; an error names what is available.
pub fn select(
    entries: &[(PlatformSpec, String)],
    requested: &[Platform],
) -> Result<BTreeMap<String, Digest>, String> {
    let mut out = BTreeMap::new();
    for want in requested {
        let found = entries.iter().find(|(p, _)| p.matches(want));
        match found {
            Some((_, digest)) => {
                let digest = digest
                    .parse()
                    .map_err(|e| format!("the index entry for {want} has a bad digest: {e}"))?;
                out.insert(want.to_string(), digest);
            }
            None => return Err(missing(want, entries.iter().map(|(p, _)| p.name()))),
        }
    }
    Ok(out)
}

/// For a single-platform image: every requested platform must be the image's own.
pub fn select_single(
    platform: &PlatformSpec,
    digest: &Digest,
    requested: &[Platform],
) -> Result<BTreeMap<String, Digest>, String> {
    let mut out = BTreeMap::new();
    for want in requested {
        if !platform.matches(want) {
            return Err(missing(want, std::iter::once(platform.name())));
        }
        out.insert(want.to_string(), digest.clone());
    }
    Ok(out)
}

fn missing(want: &Platform, available: impl Iterator<Item = String>) -> String {
    let mut names: Vec<String> = available.collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        format!("no image for platform {want}: the image names no platforms")
    } else {
        format!(
            "no image for platform {want}; available: {}",
            names.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(os: &str, arch: &str, variant: Option<&str>) -> PlatformSpec {
        PlatformSpec {
            os: os.into(),
            architecture: arch.into(),
            variant: variant.map(Into::into),
        }
    }

    #[test]
    fn platform_matching_follows_default_variants() {
        let p = |s: &str| s.parse::<Platform>().unwrap();
        assert!(spec("linux", "arm64", None).matches(&p("linux/arm64")));
        assert!(spec("linux", "arm64", Some("v8")).matches(&p("linux/arm64")));
        assert!(spec("linux", "arm", None).matches(&p("linux/arm/v7")));
        assert!(!spec("linux", "arm", Some("v6")).matches(&p("linux/arm/v7")));
        assert!(!spec("linux", "amd64", None).matches(&p("linux/arm64")));
        assert!(!spec("windows", "amd64", None).matches(&p("linux/amd64")));
    }

    #[test]
    fn missing_platform_names_the_available_ones() {
        let d = format!("sha256:{}", "a".repeat(64));
        let entries = vec![
            (spec("linux", "amd64", None), d.clone()),
            (spec("linux", "arm", Some("v7")), d),
        ];
        let err = select(&entries, &["linux/s390x".parse().unwrap()]).unwrap_err();
        assert_eq!(
            err,
            "no image for platform linux/s390x; available: linux/amd64, linux/arm/v7"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [&b"<html>"[..], b"{}", b"[]", b"{\"manifests\": 3}", b""] {
            assert!(
                platforms_of(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    proptest::proptest! {
        /// Manifest bytes come from the network: never a panic, whatever they are.
        #[test]
        fn any_bytes_are_handled(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = platforms_of(&bytes);
            let _ = declared_media_type(&bytes);
            let _ = config_platform(&bytes);
        }
    }

    #[test]
    fn declared_type_of_schema1() {
        assert_eq!(
            declared_media_type(br#"{"schemaVersion": 1, "name": "x"}"#).as_deref(),
            Some(DOCKER_SCHEMA1)
        );
    }
}
