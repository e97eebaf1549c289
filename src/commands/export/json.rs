//! `--format json`: every lock as one JSON document for other tools.
//!
//! The field names are a contract: kebab-case like the lockfile's, every field always
//! present (`null` or empty when unknown), locks in the order given, images sorted by
//! reference. `version` changes if a field changes meaning or goes away.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{display, Locked};

/// The version of this document's shape.
const EXPORT_VERSION: u64 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u64,
    locks: Vec<LockOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct LockOut<'a> {
    /// The lockfile's path, as found from the command line.
    file: String,
    /// The Dockerfile's path, as found from the command line.
    dockerfile: String,
    build_args: &'a BTreeMap<String, String>,
    images: Vec<ImageOut<'a>>,
    /// What `ADD` fetches; left out when there is nothing, so image-only locks export
    /// as before.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sources: Vec<SourceOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct SourceOut<'a> {
    url: &'a str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum: Option<String>,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    git_ref: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    used_by: Vec<SourceUseOut<'a>>,
}

/// Where a source is fetched: the lock records the stage only.
#[derive(Serialize)]
struct SourceUseOut<'a> {
    kind: &'static str,
    stage: Option<&'a str>,
}

fn sources(lock: &crate::lockfile::Lock) -> Vec<SourceOut<'_>> {
    use crate::lockfile::SourcePin;
    lock.sources
        .iter()
        .map(|(url, e)| {
            let (kind, checksum, git_ref, commit) = match &e.pin {
                SourcePin::Http { checksum } => ("http", Some(checksum.to_string()), None, None),
                SourcePin::Git { git_ref, commit } => {
                    ("git", None, Some(git_ref.as_str()), Some(commit.as_str()))
                }
            };
            SourceOut {
                url,
                kind,
                checksum,
                git_ref,
                commit,
                used_by: e
                    .used_by
                    .iter()
                    .map(|stage| SourceUseOut {
                        kind: "add",
                        stage: stage.as_deref(),
                    })
                    .collect(),
            }
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ImageOut<'a> {
    /// As written in the Dockerfile after ARG expansion, without a digest.
    name: &'a str,
    /// Normalized: `docker.io/library/node:18`; no tag for a digest-only reference.
    reference: &'a str,
    /// The index (or manifest) digest the reference is locked to.
    digest: String,
    media_type: Option<&'a str>,
    /// Platform → the child manifest's digest.
    platforms: BTreeMap<&'a str, String>,
    used_by: Vec<UseOut<'a>>,
}

/// Where an image is used; `by` and `dockerfile` are null for a Dockerfile's own lock.
#[derive(Serialize)]
struct UseOut<'a> {
    kind: &'static str,
    /// The compose service or bake target.
    by: Option<&'a str>,
    /// The Dockerfile, relative to the lock's directory, as the lock records it.
    dockerfile: Option<&'a str>,
    stage: Option<&'a str>,
}

pub(super) fn render(locks: &[Locked]) -> String {
    let document = Document {
        version: EXPORT_VERSION,
        locks: locks
            .iter()
            .map(|l| LockOut {
                file: display(&l.target.lock),
                dockerfile: display(&l.target.dockerfile),
                build_args: &l.lock.build_args,
                images: l
                    .lock
                    .images
                    .iter()
                    .map(|(key, entry)| ImageOut {
                        name: &entry.name,
                        reference: &key.reference,
                        digest: entry.digest.to_string(),
                        media_type: entry.media_type.as_deref(),
                        platforms: entry
                            .platforms
                            .iter()
                            .map(|(p, d)| (p.as_str(), d.to_string()))
                            .collect(),
                        used_by: entry
                            .used_by
                            .iter()
                            .map(|u| UseOut {
                                kind: u.kind.as_str(),
                                by: u.by.as_deref(),
                                dockerfile: u.dockerfile.as_deref(),
                                stage: u.stage.as_deref(),
                            })
                            .collect(),
                    })
                    .collect(),
                sources: sources(&l.lock),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&document).expect("plain strings serialize");
    text.push('\n');
    text
}
