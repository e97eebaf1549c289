//! Reading one Dockerfile (from the tree, or stdin for `-`) into an [`Analysis`], with the
//! one diagnostic shape for a Dockerfile error: message, `--> FILE:LINE`, help.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::discover::is_project;
use super::paths::no_dockerfile;
use crate::diagnostic::Diagnostic;
use crate::dockerfile::{self, Analysis, BuildOptions};

/// Read and analyze a Dockerfile; errors name the file and line.
pub fn read_dockerfile(
    path: &Path,
    options: &BuildOptions,
) -> Result<(Vec<u8>, Analysis), Diagnostic> {
    let source = crate::boundary::read(path, crate::boundary::DOCUMENT_LIMIT).map_err(|e| {
        if e.is_not_found() {
            no_dockerfile(path)
        } else {
            e.to_diagnostic()
        }
    })?;
    let analysis = dockerfile::analyze(&source, options).map_err(|e| error_diagnostic(path, &e))?;
    Ok((source, analysis))
}

/// A Dockerfile read from disk (or stdin for `-`) and analysed.
#[derive(Debug, Clone)]
pub struct Analyzed {
    /// The path as given (`-` for stdin).
    pub path: PathBuf,
    pub source: Vec<u8>,
    pub analysis: Analysis,
}

/// The diagnostic for a Dockerfile error: message, `--> FILE:LINE`, help.
pub fn error_diagnostic(path: &Path, e: &dockerfile::Error) -> Diagnostic {
    let d = Diagnostic::new(e.message.clone()).at(path, Some(e.line));
    match &e.help {
        Some(h) => d.with_help(h.clone()),
        None => d,
    }
}

/// Read and analyse one Dockerfile.
pub fn analyze_file(path: &Path, options: &BuildOptions) -> Result<Analyzed, Diagnostic> {
    if is_project(path) {
        return Err(Diagnostic::new(format!(
            "{} is a compose or bake file; this command lists what Dockerfiles use",
            path.display()
        ))
        .with_help(format!(
            "name the Dockerfile it builds, or lock the file itself: `dockerfile-lock generate {0}` \
             (its lock {0}.lock lists every image it names and builds)",
            path.display()
        )));
    }
    let source = if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Diagnostic::new(format!("cannot read stdin: {e}")))?;
        buf
    } else {
        crate::boundary::read(path, crate::boundary::DOCUMENT_LIMIT).map_err(|e| {
            if e.is_not_found() {
                no_dockerfile(path)
            } else {
                e.to_diagnostic()
            }
        })?
    };
    let analysis = dockerfile::analyze(&source, options).map_err(|e| error_diagnostic(path, &e))?;
    Ok(Analyzed {
        path: path.to_path_buf(),
        source,
        analysis,
    })
}
