//! The Dockerfiles a compose or bake file's builds read from the tree, each with its bytes
//! and the uses its builds find in it, spans and all: what `rewrite` edits in them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::discover::{kind_of, FileKind};
use super::project::{error_diagnostic, load};
use super::read;
use crate::builds::{DockerfileSource, Env};
use crate::diagnostic::Diagnostic;
use crate::dockerfile::{self, Analysis};

/// One Dockerfile a project builds.
pub struct Built {
    pub path: PathBuf,
    pub source: Vec<u8>,
    /// Every build's uses of it, each written use once: a line that several builds read
    /// is one edit.
    pub analysis: Analysis,
}

/// The Dockerfiles `project` builds, in the order its builds name them. Inline
/// Dockerfiles are part of the project file and not listed.
pub fn dockerfiles(project: &Path, env: &Env) -> Result<Vec<Built>, Diagnostic> {
    let kind = project
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(kind_of)
        .unwrap_or(FileKind::Dockerfile);
    if kind == FileKind::Dockerfile {
        return Ok(Vec::new());
    }
    let loaded = load(project, kind, env)?;
    let root = crate::boundary::root_of(project);
    let mut out: Vec<Built> = Vec::new();
    let mut seen = HashSet::new();
    for b in &loaded.builds {
        let DockerfileSource::Path(p) = &b.dockerfile else {
            continue;
        };
        let options = b.options().map_err(|e| error_diagnostic(&e))?;
        // As the project's reader reads it: inside the tree of the project file.
        let source = crate::boundary::read_inside(p, &root, crate::boundary::DOCUMENT_LIMIT)
            .map_err(|e| e.to_diagnostic())?;
        let analysis =
            dockerfile::analyze(&source, &options).map_err(|e| read::error_diagnostic(p, &e))?;
        let i = match out.iter().position(|d| &d.path == p) {
            Some(i) => i,
            None => {
                out.push(Built {
                    path: p.clone(),
                    source,
                    analysis: Analysis::default(),
                });
                out.len() - 1
            }
        };
        let into = &mut out[i].analysis;
        for u in analysis.images {
            // A named context replaces the image: the build never fetches it.
            if !b.is_named_context(&u) && seen.insert((p.clone(), 'i', u.line, u.span.clone())) {
                into.images.push(u);
            }
        }
        for s in analysis.sources {
            if seen.insert((p.clone(), 's', s.line, s.span.clone())) {
                into.sources.push(s);
            }
        }
    }
    Ok(out)
}
