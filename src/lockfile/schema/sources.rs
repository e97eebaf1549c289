//! The on-disk `sources:` list: one entry per fetched source, sorted by URL. HTTP entries
//! carry `checksum`, git entries `ref` (when not the default branch) and `commit`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_saphyr::{FlowMap, FlowSeq, Spanned};

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
    pub lines: Vec<usize>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    lines: Option<FlowSeq<&'a [usize]>>,
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
                lines: (!e.lines.is_empty()).then_some(FlowSeq(e.lines.as_slice())),
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
            lines: s.lines,
        };
        if out.insert(url.clone(), entry).is_some() {
            return Err(invalid(format!("`{url}` is locked twice")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use crate::lockfile::{encode, fast, parse, Lock, SourceEntry, SourcePin};

    const C: &str = "0123456789abcdef0123456789abcdef01234567";

    fn sample() -> Lock {
        let mut lock = Lock {
            dockerfile: "Dockerfile".into(),
            ..Lock::default()
        };
        let http = SourcePin::Http {
            checksum: format!("sha256:{}", "ab".repeat(32)).parse().unwrap(),
        };
        let git = |r: &str| SourcePin::Git {
            git_ref: r.into(),
            commit: C.into(),
        };
        for (url, pin, stage) in [
            ("https://example.org/a.tgz", http, Some("build")),
            ("https://h/r.git#v1:docs", git("v1"), None),
            ("git@h:o/r.git", git(""), Some("x")),
        ] {
            lock.sources.insert(
                url.into(),
                SourceEntry {
                    pin,
                    used_by: BTreeSet::from([stage.map(String::from)]),
                    lines: Vec::new(),
                },
            );
        }
        lock
    }

    #[test]
    fn sources_round_trip_through_both_readers() {
        let text = encode(&sample()).unwrap();
        assert!(
            text.contains("images: []\nsources:\n  - url: git@h:o/r.git\n"),
            "{text}"
        );
        assert!(text.contains("    ref: v1\n"), "{text}");
        assert!(
            !text.contains("ref: \"\""),
            "the default branch has no ref: {text}"
        );
        assert_eq!(
            fast::read(&text),
            Some(sample()),
            "the fast reader takes it"
        );
        assert_eq!(parse(text.as_bytes(), Path::new("x")).unwrap(), sample());
    }

    #[test]
    fn lines_of_refs_sharing_a_commit_round_trip() {
        let mut lock = sample();
        lock.sources
            .get_mut("https://h/r.git#v1:docs")
            .unwrap()
            .lines = vec![3, 7];
        let text = encode(&lock).unwrap();
        assert!(text.contains("    lines: [3, 7]\n    used-by:"), "{text}");
        assert_eq!(parse(text.as_bytes(), Path::new("x")).unwrap(), lock);
    }

    #[test]
    fn a_version_1_lock_without_sources_stays_valid() {
        let text = "version: 1\ndockerfile: Dockerfile\nimages: []\n";
        let lock = parse(text.as_bytes(), Path::new("x")).unwrap();
        assert!(lock.sources.is_empty());
        assert!(!encode(&lock).unwrap().contains("sources"));
    }

    #[test]
    fn entries_must_fit_their_kind() {
        let head = "version: 1\ndockerfile: Dockerfile\nsources:\n";
        for (entry, want) in [
            (
                "  - url: https://h/r.git\n    checksum: sha256:".to_string() + &"a".repeat(64),
                "needs a `commit`",
            ),
            (
                format!("  - url: https://h/a.bin\n    commit: \"{C}\""),
                "needs a `checksum`",
            ),
            (
                "  - url: https://h/r.git\n    commit: abc".into(),
                "not a full commit id",
            ),
            (
                "  - url: ./local\n    commit: abc".into(),
                "neither an HTTP(S) URL nor a git",
            ),
        ] {
            let text = format!("{head}{entry}\n");
            let err = parse(text.as_bytes(), Path::new("x"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{entry}: {err}");
        }
    }
}
