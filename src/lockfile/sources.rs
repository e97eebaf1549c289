//! What a lock records for the sources `ADD` fetches: an HTTP(S) URL's sha256, a git
//! source's ref and the commit it resolved to.

use std::collections::BTreeSet;

use crate::reference::Digest;

/// One locked source, keyed in [`super::Lock::sources`] by its URL as written (after ARG
/// expansion) without any commit pin: for git, `?checksum=`/`?commit=` and
/// `?fetch-by-commit` are left out, so pinning a line does not change its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEntry {
    pub pin: SourcePin,
    /// The stages whose `ADD` uses it (`None` for an unnamed stage).
    pub used_by: BTreeSet<Option<String>>,
    /// The Dockerfile lines that fetch it, kept only when another git entry's ref is at
    /// the same commit: once pinned as `#<commit>` those lines read alike, and the order
    /// of these lines says which ref each one follows. Empty otherwise.
    pub lines: Vec<usize>,
}

/// What a source was locked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourcePin {
    /// The sha256 of the bytes served.
    Http { checksum: Digest },
    /// The ref as the Dockerfile names it (empty for the default branch) and the commit
    /// it resolved to (an annotated tag's commit, not the tag object).
    Git { git_ref: String, commit: String },
}

impl SourcePin {
    /// `sha256:…` or the commit, for messages.
    pub fn shown(&self) -> String {
        match self {
            SourcePin::Http { checksum } => checksum.to_string(),
            SourcePin::Git { commit, .. } => commit.clone(),
        }
    }
}
