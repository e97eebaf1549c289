//! `Dockerfile.lock`: the domain types, strict reading, deterministic encoding, and the
//! atomic write that only touches the disk when the bytes change.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::dockerfile::UseKind;
use crate::reference::{Digest, ImageRef};

mod atomic;
mod errors;
mod fast;
pub mod packages;
mod schema;
mod sources;

pub use atomic::{write_all_if_changed, write_if_changed};
pub use schema::{HEADER, VERSION};
pub use sources::{SourceEntry, SourcePin};

/// One lock: the Dockerfile it belongs to, the build args it was made with, its images.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lock {
    /// The Dockerfile's path relative to the lock's directory, `/`-separated.
    pub dockerfile: String,
    /// Only the `--build-arg` values that were given.
    pub build_args: BTreeMap<String, String>,
    pub images: BTreeMap<Key, Entry>,
    /// What `ADD` fetches, by URL (see [`SourceEntry`]).
    pub sources: BTreeMap<String, SourceEntry>,
    /// What `RUN` installs, per stage and manager (see [`packages::PackagesEntry`]).
    pub packages: BTreeMap<packages::PackagesKey, packages::PackagesEntry>,
}

/// What identifies a locked image: its normalized tagged reference, or for a digest-only
/// reference (`alpine@sha256:…`) the repository and that digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// `docker.io/library/node:18`, or `docker.io/library/alpine` when digest-only.
    pub reference: String,
    /// The digest a digest-only reference names; `None` for tagged references.
    pub pinned: Option<Digest>,
}

impl Key {
    /// The key for an image as a Dockerfile uses it: a digest next to a tag is ignored
    /// (`alpine:3.20@sha256:…` is the entry for `alpine:3.20`).
    pub fn for_use(image: &ImageRef) -> Key {
        match image.digest() {
            Some(d) if image.is_digest_only() => Key {
                reference: image.name(),
                pinned: Some(d.clone()),
            },
            _ => Key {
                reference: image.without_digest_normalized(),
                pinned: None,
            },
        }
    }

    /// The key for a lock entry: a `reference` without a tag is a digest-only entry.
    fn of(reference: &ImageRef, digest: &Digest) -> Key {
        match reference.tag() {
            None => Key {
                reference: reference.name(),
                pinned: Some(digest.clone()),
            },
            Some(_) => Key {
                reference: reference.without_digest_normalized(),
                pinned: None,
            },
        }
    }

    /// Whether a registry can tell where this reference points now (it has a tag).
    pub fn is_tag(&self) -> bool {
        self.pinned.is_none()
    }

    /// The image to ask a registry about: the tag, or for digest-only keys the digest.
    pub fn image(&self) -> Option<ImageRef> {
        let r = ImageRef::parse(&self.reference).ok()?;
        Some(match &self.pinned {
            Some(d) => r.with_digest(d.clone()),
            None => r,
        })
    }
}

/// What a reference was locked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The reference as written (after ARG expansion), without any digest.
    pub name: String,
    pub digest: Digest,
    /// Unknown for references pinned in the Dockerfile and locked without the network.
    pub media_type: Option<String>,
    /// Platform → child manifest digest, only for the platforms asked for.
    pub platforms: BTreeMap<String, Digest>,
    pub used_by: BTreeSet<Use>,
}

/// Where an entry is used: the kind of use, the compose service or bake target and the
/// Dockerfile (for a lock of a compose or bake file), and the stage it belongs to (for a
/// `context` use, the context's name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Use {
    pub kind: UseKind,
    pub by: Option<String>,
    /// Relative to the lock's directory, `/`-separated.
    pub dockerfile: Option<String>,
    pub stage: Option<String>,
}

/// Why a lock could not be read or written. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    /// Not read or written: a symlink, not a regular file, too large, or outside the tree.
    #[error(transparent)]
    Boundary(#[from] crate::boundary::Error),
    #[error("invalid lockfile {}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        message: String,
        help: Option<String>,
    },
    #[error("{} has lockfile version {version}; this dockerfile-lock reads version {VERSION}", path.display())]
    Version {
        path: PathBuf,
        line: Option<usize>,
        version: u64,
    },
}

impl Error {
    /// As the user sees it: the message, the file and the line.
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            Error::Read { path, .. } | Error::Write { path, .. } => {
                Diagnostic::new(self.to_string()).at(path, None)
            }
            Error::Boundary(e) => e.to_diagnostic(),
            Error::Invalid {
                path,
                line,
                message,
                help,
            } => {
                let d = Diagnostic::new(format!("invalid lockfile: {message}")).at(path, *line);
                match help {
                    Some(h) => d.with_help(h.clone()),
                    None => d,
                }
            }
            Error::Version { path, line, .. } => Diagnostic::new(self.to_string())
                .at(path, *line)
                .with_help("upgrade dockerfile-lock, or regenerate the lock with this version"),
        }
    }
}

/// Read the lock at `path`; `Ok(None)` when there is none.
pub fn read(path: &Path) -> Result<Option<Lock>, Error> {
    match crate::boundary::read_lock(path) {
        Ok(bytes) => parse(&bytes, path).map(Some),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(Error::Boundary(e)),
    }
}

/// Parse lock bytes strictly; `path` is only used in errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Lock, Error> {
    let invalid = |line: Option<usize>, message: String| Error::Invalid {
        path: path.to_path_buf(),
        line,
        message,
        help: None,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        invalid(Some(line), "not UTF-8 text".into())
    })?;
    let yaml_error = |e: serde_saphyr::Error| {
        let line = e.location().map(|l| l.line() as usize).filter(|&l| l > 0);
        let (message, help) = errors::describe(&e);
        Error::Invalid {
            path: path.to_path_buf(),
            line,
            message,
            help,
        }
    };
    if let Some(lock) = fast::read(text) {
        return Ok(lock);
    }
    if let Some(line) = errors::conflict_marker(text) {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            line: Some(line),
            message: "the lock holds git merge conflict markers".into(),
            help: Some(errors::CONFLICT_HELP.replace("LOCK", &path.display().to_string())),
        });
    }
    // One strict pass when the fast reader declines; the lenient header pass runs only when that
    // fails, so that a lock from a newer release is reported by its version.
    let version_error = |v: &serde_saphyr::Spanned<u64>| Error::Version {
        path: path.to_path_buf(),
        line: Some(v.referenced.line() as usize).filter(|&l| l > 0),
        version: v.value,
    };
    let file: schema::FileIn = match serde_saphyr::from_str(text) {
        Ok(file) => file,
        Err(e) => {
            let header: schema::Header = serde_saphyr::from_str(text).map_err(yaml_error)?;
            return Err(match header.version {
                None => invalid(None, "no `version` field".into()),
                Some(v) if v.value != VERSION => version_error(&v),
                Some(_) => yaml_error(e),
            });
        }
    };
    if file.version.value != VERSION {
        return Err(version_error(&file.version));
    }
    schema::decode(file).map_err(|e| invalid(Some(e.line).filter(|&l| l > 0), e.message))
}

/// The bytes of `lock` on disk: the same lock always encodes to the same bytes.
pub fn encode(lock: &Lock) -> Result<String, Diagnostic> {
    schema::encode(lock).map_err(|e| Diagnostic::new(format!("cannot encode the lock: {e}")))
}

#[cfg(test)]
mod tests;
