//! The on-disk `packages:` list: one entry per stage and manager, sorted by stage then
//! manager; each entry's repositories and packages in a fixed order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_saphyr::{FlowMap, FlowSeq, Spanned};

use super::Invalid;
use crate::lockfile::packages::{LockedPackage, PackagesEntry, PackagesKey, Repository};
use crate::packages::Manager;
use crate::reference::Digest;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PackagesIn {
    pub manager: Spanned<Manager>,
    #[serde(default)]
    pub dockerfile: Option<String>,
    pub stage: String,
    #[serde(default)]
    pub lines: Vec<usize>,
    pub base: String,
    pub base_digest: Digest,
    pub platform: String,
    pub distro: String,
    pub release: String,
    #[serde(default)]
    pub snapshot: Option<String>,
    #[serde(default)]
    pub apt_version: Option<String>,
    #[serde(default)]
    pub repositories: Vec<RepositoryIn>,
    #[serde(default)]
    pub packages: Vec<PackageIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RepositoryIn {
    pub uri: String,
    #[serde(default)]
    pub suite: Option<String>,
    #[serde(default)]
    pub components: Vec<String>,
    #[serde(default)]
    pub snapshot_uri: Option<String>,
    #[serde(default)]
    pub signed_by: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PackageIn {
    pub name: String,
    pub version: String,
    pub architecture: String,
    #[serde(default)]
    pub suite: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub checksum: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PackagesOut<'a> {
    manager: Manager,
    #[serde(skip_serializing_if = "Option::is_none")]
    dockerfile: Option<&'a str>,
    stage: &'a str,
    lines: FlowSeq<&'a [usize]>,
    base: &'a str,
    base_digest: &'a Digest,
    platform: &'a str,
    distro: &'a str,
    release: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    apt_version: Option<&'a str>,
    repositories: Vec<FlowMap<RepositoryOut<'a>>>,
    packages: Vec<FlowMap<PackageOut<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RepositoryOut<'a> {
    uri: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suite: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    components: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_by: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct PackageOut<'a> {
    name: &'a str,
    version: &'a str,
    architecture: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suite: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum: Option<&'a str>,
}

pub fn encode(entries: &BTreeMap<PackagesKey, PackagesEntry>) -> Vec<PackagesOut<'_>> {
    entries
        .iter()
        .map(|(k, e)| PackagesOut {
            manager: k.manager,
            dockerfile: k.dockerfile.as_deref(),
            stage: &k.stage,
            lines: FlowSeq(e.lines.as_slice()),
            base: &e.base,
            base_digest: &e.base_digest,
            platform: &e.platform,
            distro: &e.distro,
            release: &e.release,
            snapshot: e.snapshot.as_deref(),
            apt_version: e.apt_version.as_deref(),
            repositories: e
                .repositories
                .iter()
                .map(|r| {
                    FlowMap(RepositoryOut {
                        uri: &r.uri,
                        suite: r.suite.as_deref(),
                        components: &r.components,
                        snapshot_uri: r.snapshot_uri.as_deref(),
                        signed_by: r.signed_by.as_deref(),
                    })
                })
                .collect(),
            packages: e
                .packages
                .iter()
                .map(|p| {
                    FlowMap(PackageOut {
                        name: &p.name,
                        version: &p.version,
                        architecture: &p.architecture,
                        suite: p.suite.as_deref(),
                        sha256: p.sha256.as_deref(),
                        checksum: p.checksum.as_deref(),
                    })
                })
                .collect(),
        })
        .collect()
}

/// Each (stage, manager) appears once; an apt entry has a snapshot, an apk entry none; a
/// package appears once per entry.
pub fn decode(list: Vec<PackagesIn>) -> Result<BTreeMap<PackagesKey, PackagesEntry>, Invalid> {
    let mut out = BTreeMap::new();
    for p in list {
        let line = p.manager.referenced.line() as usize;
        let invalid = |message: String| Invalid { line, message };
        let manager = p.manager.value;
        match (manager, &p.snapshot) {
            (Manager::Apt, None) => {
                return Err(invalid(format!(
                    "the apt entry of stage `{}` has no `snapshot`",
                    p.stage
                )))
            }
            (Manager::Apk, Some(_)) => {
                return Err(invalid(format!(
                    "the apk entry of stage `{}` has a `snapshot`; apk has none",
                    p.stage
                )))
            }
            _ => {}
        }
        if let Some(id) = &p.snapshot {
            if !crate::packages::is_snapshot_id(id) {
                return Err(invalid(format!(
                    "`{id}` is not a snapshot ID (YYYYMMDDTHHMMSSZ)"
                )));
            }
        }
        let mut packages: Vec<LockedPackage> = p
            .packages
            .into_iter()
            .map(|q| LockedPackage {
                name: q.name,
                version: q.version,
                architecture: q.architecture,
                suite: q.suite,
                sha256: q.sha256,
                checksum: q.checksum,
            })
            .collect();
        packages.sort();
        if let Some(w) = packages.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(invalid(format!(
                "package `{}` is locked twice in stage `{}`",
                w[0].name, p.stage
            )));
        }
        let key = PackagesKey {
            dockerfile: p.dockerfile,
            stage: p.stage,
            manager,
        };
        let entry = PackagesEntry {
            lines: p.lines,
            base: p.base,
            base_digest: p.base_digest,
            platform: p.platform,
            distro: p.distro,
            release: p.release,
            snapshot: p.snapshot,
            apt_version: p.apt_version,
            repositories: p
                .repositories
                .into_iter()
                .map(|r| Repository {
                    uri: r.uri,
                    suite: r.suite,
                    components: r.components,
                    snapshot_uri: r.snapshot_uri,
                    signed_by: r.signed_by,
                })
                .collect(),
            packages,
        };
        if out.contains_key(&key) {
            return Err(invalid(format!(
                "the {} packages of stage `{}` are locked twice",
                manager.as_str(),
                key.stage
            )));
        }
        out.insert(key, entry);
    }
    Ok(out)
}
