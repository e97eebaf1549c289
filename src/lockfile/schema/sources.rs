//! The on-disk `sources:` list: one entry per fetched source, sorted by URL. HTTP entries
//! carry `checksum`, git entries `ref` (when not the default branch) and `commit`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_saphyr::{FlowMap, Spanned};

use super::Invalid;
use crate::lockfile::{SourceEntry, SourcePin};
use crate::reference::Digest;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SourceIn {
    pub url: Spanned<String>,
    #[serde(default)]
    pub checksum: Option<Digest>,
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    #[serde(default)]
    pub commit: Option<Spanned<String>>,
    #[serde(default)]
    pub used_by: Vec<SourceUseIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SourceUseIn {
    pub kind: AddKind,
    #[serde(default)]
    pub stage: Option<String>,
}

/// The only kind of use a source has.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddKind {
    Add,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SourceOut<'a> {
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum: Option<&'a Digest>,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    git_ref: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    used_by: Vec<FlowMap<SourceUseOut<'a>>>,
}

#[derive(Serialize)]
struct SourceUseOut<'a> {
    kind: AddKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'a str>,
}

pub fn encode(sources: &BTreeMap<String, SourceEntry>) -> Vec<SourceOut<'_>> {
    sources
        .iter()
        .map(|(url, e)| {
            let (checksum, git_ref, commit) = match &e.pin {
                SourcePin::Http { checksum } => (Some(checksum), None, None),
                SourcePin::Git { git_ref, commit } => (
                    None,
                    Some(git_ref.as_str()).filter(|r| !r.is_empty()),
                    Some(commit.as_str()),
                ),
            };
            SourceOut {
                url,
                checksum,
                git_ref,
                commit,
                used_by: e
                    .used_by
                    .iter()
                    .map(|stage| {
                        FlowMap(SourceUseOut {
                            kind: AddKind::Add,
                            stage: stage.as_deref(),
                        })
                    })
                    .collect(),
            }
        })
        .collect()
}

/// An entry is HTTP or git by its URL, as BuildKit decides; it must carry that kind's
/// fields only, a commit must be a full hex commit id, and each URL appears once.
pub fn decode(list: Vec<SourceIn>) -> Result<BTreeMap<String, SourceEntry>, Invalid> {
    let mut out = BTreeMap::new();
    for s in list {
        let line = s.url.referenced.line() as usize;
        let invalid = |message: String| Invalid { line, message };
        let url = s.url.value;
        let is_git = crate::sources::gitref::parse_git_ref(&url)
            .ok()
            .flatten()
            .is_some_and(|g| !g.indistinguishable_from_local);
        let is_http = !is_git && (url.starts_with("http://") || url.starts_with("https://"));
        let pin = match (is_git, is_http, s.checksum, s.commit) {
            (true, _, None, Some(commit)) => {
                if !crate::sources::gitref::is_commit(&commit.value) {
                    return Err(Invalid {
                        line: commit.referenced.line() as usize,
                        message: format!("`{}` is not a full commit id", commit.value),
                    });
                }
                SourcePin::Git {
                    git_ref: s.git_ref.unwrap_or_default(),
                    commit: commit.value,
                }
            }
            (true, _, _, _) => {
                return Err(invalid(format!(
                    "git source `{url}` needs a `commit` and no `checksum`"
                )))
            }
            (_, true, Some(checksum), None) if s.git_ref.is_none() => SourcePin::Http { checksum },
            (_, true, _, _) => {
                return Err(invalid(format!(
                    "HTTP source `{url}` needs a `checksum` and no `ref` or `commit`"
                )))
            }
            _ => {
                return Err(invalid(format!(
                    "`{url}` is neither an HTTP(S) URL nor a git repository"
                )))
            }
        };
        let entry = SourceEntry {
            pin,
            used_by: s
                .used_by
                .into_iter()
                .map(|u| {
                    let AddKind::Add = u.kind;
                    u.stage
                })
                .collect(),
        };
        if out.insert(url.clone(), entry).is_some() {
            return Err(invalid(format!("`{url}` is locked twice")));
        }
    }
    Ok(out)
}
