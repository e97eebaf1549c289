//! A compose or bake file read for the lock commands: its own image uses and, for each
//! build, the Dockerfile's uses under that build's args, target, platforms and named
//! contexts, as one [`Analysis`] with the origin of every use (file, service or target,
//! Dockerfile). Commands lock it as they lock a Dockerfile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::discover::{kind_of_path, FileKind};
use super::options::build_options;
use super::read::{self, read_dockerfile};
use crate::builds::{self, Build, DockerfileSource, Env, ImageKind, Project};
use crate::cli::BuildArgs;
use crate::diagnostic::Diagnostic;
use crate::dockerfile::{self, AddSource, Analysis, ImageUse, UseKind, Warning};
use crate::lockfile::Lock;
use crate::{bake, compose, devcontainer, workflows};

/// Where one use in a project's analysis is written and what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file the use's line is in (the compose or bake file, or a Dockerfile it builds).
    pub path: PathBuf,
    /// The compose service or bake target; none for a Dockerfile locked on its own.
    pub owner: Option<String>,
    /// The Dockerfile, for uses inside one.
    pub dockerfile: Option<PathBuf>,
    /// What the owner's build gives BuildKit; none for a Dockerfile locked on its own or a
    /// service that builds nothing. Shared by every use of one build.
    pub build: Option<Arc<BuildSettings>>,
    /// For a value in the compose file itself: each variable it is interpolated from, and
    /// where that value came from (`--env`, `environment`, `.env`, `unset`).
    pub variables: Vec<(String, &'static str)>,
}

/// The settings a build's Dockerfile is read under, as `buildx bake --print` shows them:
/// args, target, platforms and named contexts, after interpolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSettings {
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
    /// As written (`linux/arm64`).
    pub platforms: Vec<String>,
    /// Name → value (`docker-image://…`, a path, `target:…`).
    pub contexts: BTreeMap<String, String>,
}

impl BuildSettings {
    fn of(b: &Build) -> Self {
        BuildSettings {
            args: b.build_args.clone(),
            target: b.target.clone(),
            platforms: b.platforms.clone(),
            contexts: b
                .contexts
                .iter()
                .map(|c| (c.name.clone(), c.value.clone()))
                .collect(),
        }
    }
}

/// A compose or bake file, read.
#[derive(Debug, Clone)]
pub struct Read {
    pub source: Vec<u8>,
    pub analysis: Analysis,
    /// One per `analysis.images` entry.
    pub origins: Vec<Origin>,
    /// Warnings with the file they are about.
    pub warnings: Vec<Diagnostic>,
    /// The Dockerfiles its builds read.
    pub builds: Vec<PathBuf>,
    /// What its owners are (`service` in compose, `target` in bake); none for a Dockerfile.
    pub owner_word: Option<&'static str>,
}

pub fn error_diagnostic(e: &builds::Error) -> Diagnostic {
    let d = Diagnostic::new(e.message.clone()).at(&e.path, Some(e.line).filter(|&l| l > 0));
    match &e.help {
        Some(h) => d.with_help(h.clone()),
        None => d,
    }
}

/// The project a compose or bake file describes.
pub fn load(path: &Path, kind: FileKind, env: &Env) -> Result<Project, Diagnostic> {
    let result = match kind {
        FileKind::Compose => compose::load(path, env),
        FileKind::Bake => bake::load(path, env),
        FileKind::Devcontainer => devcontainer::load(path),
        FileKind::Workflow => workflows::load_workflow(path),
        FileKind::Action => workflows::load_action(path),
        FileKind::Dockerfile => unreachable!("a Dockerfile is not a project"),
    };
    result.map_err(|e| error_diagnostic(&e))
}

/// Read a target: a Dockerfile as it is, a compose or bake file with every Dockerfile its
/// builds use.
pub fn read_target(
    path: &Path,
    options: &dockerfile::BuildOptions,
    env: &Env,
) -> Result<Read, Diagnostic> {
    let kind = kind_of_path(path);
    if kind != FileKind::Dockerfile {
        return read(path, kind, env);
    }
    let (source, analysis) = read_dockerfile(path, options)?;
    let origins = vec![
        Origin {
            path: path.to_path_buf(),
            owner: None,
            dockerfile: None,
            build: None,
            variables: Vec::new(),
        };
        analysis.images.len()
    ];
    let warnings = analysis
        .warnings
        .iter()
        .map(|w| warning_at(path, w))
        .collect();
    Ok(Read {
        source,
        analysis,
        origins,
        warnings,
        builds: Vec::new(),
        owner_word: None,
    })
}

/// The uses written in the file itself (what `rewrite` may edit).
pub fn own_uses(read: &Read, path: &Path) -> Vec<ImageUse> {
    read.analysis
        .images
        .iter()
        .zip(&read.origins)
        .filter(|(_, o)| o.path == path)
        .map(|(u, _)| u.clone())
        .collect()
}

/// Read `path` and every Dockerfile its builds use.
pub fn read(path: &Path, kind: FileKind, env: &Env) -> Result<Read, Diagnostic> {
    let source = crate::boundary::read(path, crate::boundary::DOCUMENT_LIMIT)
        .map_err(|e| e.to_diagnostic())?;
    let project = load(path, kind, env)?;
    let mut images = Vec::new();
    let mut origins = Vec::new();
    let mut warnings: Vec<Diagnostic> = project
        .warnings
        .iter()
        .map(|w| Diagnostic::new(w.message.clone()).at(&w.path, Some(w.line)))
        .collect();
    // One copy of each build's settings, shared by the uses read under it.
    let settings: Vec<Arc<BuildSettings>> = project
        .builds
        .iter()
        .map(|b| Arc::new(BuildSettings::of(b)))
        .collect();
    for fi in &project.images {
        images.push(ImageUse {
            kind: match fi.kind {
                ImageKind::Image => UseKind::Image,
                ImageKind::Context(_) => UseKind::Context,
            },
            line: fi.line,
            raw: fi.raw.clone(),
            // Only spans into this file: an override file's are not this source's bytes.
            span: fi.span.clone().filter(|_| fi.path == path),
            reference: fi.reference.clone(),
            image: fi.image.clone(),
            stage: match &fi.kind {
                ImageKind::Context(name) => Some(name.clone()),
                ImageKind::Image => None,
            },
            platform: None,
        });
        let build = project
            .builds
            .iter()
            .position(|b| b.owner == fi.owner)
            .map(|i| Arc::clone(&settings[i]));
        origins.push(Origin {
            path: fi.path.clone(),
            owner: Some(fi.owner.clone()),
            dockerfile: None,
            build,
            variables: fi.variables.clone(),
        });
    }
    let mut built = Vec::new();
    let mut sources = Vec::new();
    let mut stages = Vec::new();
    for (b, settings) in project.builds.iter().zip(&settings) {
        let options = b.options().map_err(|e| error_diagnostic(&e))?;
        let (text, at, dockerfile) = match &b.dockerfile {
            DockerfileSource::Path(p) => {
                let root = crate::boundary::root_of(path);
                let text = crate::boundary::read_inside(p, &root, crate::boundary::DOCUMENT_LIMIT)
                    .map_err(|e| {
                        Diagnostic::new(format!(
                            "{} {:?} builds {}, which cannot be read: {e}",
                            owner_word(kind),
                            b.owner,
                            p.display()
                        ))
                        .at(&b.path, Some(b.line))
                    })?;
                built.push(p.clone());
                (text, p.clone(), Some(p.clone()))
            }
            DockerfileSource::Inline(text) => (text.clone().into_bytes(), b.path.clone(), None),
        };
        let analysis = dockerfile::analyze(&text, &options).map_err(|e| {
            let d = read::error_diagnostic(&at, &e);
            match dockerfile {
                None => d.with_help(format!(
                    "in the inline Dockerfile of {} {:?}",
                    owner_word(kind),
                    b.owner
                )),
                Some(_) => d,
            }
        })?;
        // A use a named context serves is not pulled: a warning that it is (`COPY
        // --from=tools` naming no stage) would be false.
        let served: std::collections::HashSet<usize> = analysis
            .images
            .iter()
            .filter(|u| b.is_named_context(u))
            .map(|u| u.line)
            .collect();
        for w in &analysis.warnings {
            if !served.contains(&w.line) {
                warnings.push(warning_at(&at, w));
            }
        }
        stages.extend(analysis.stages.iter().cloned());
        // Locked through this file; edits to the Dockerfile's bytes are not this file's.
        let origin = dockerfile::AddOrigin {
            path: at.clone(),
            word: owner_word(kind),
            owner: b.owner.clone(),
        };
        sources.extend(analysis.sources.into_iter().map(|s| AddSource {
            span: None,
            checksum_span: None,
            flags_at: None,
            origin: Some(origin.clone()),
            ..s
        }));
        for u in analysis.images {
            if b.is_named_context(&u) {
                continue;
            }
            let line = if dockerfile.is_some() { u.line } else { b.line };
            images.push(ImageUse {
                line,
                // Spans are into the Dockerfile, not this file.
                span: None,
                ..u
            });
            origins.push(Origin {
                path: at.clone(),
                owner: Some(b.owner.clone()),
                dockerfile: dockerfile.clone(),
                build: Some(Arc::clone(settings)),
                variables: Vec::new(),
            });
        }
    }
    Ok(Read {
        source,
        analysis: Analysis {
            images,
            warnings: Vec::new(),
            // Every built Dockerfile's stage names, for the checks that a build context
            // does not replace a stage.
            stages,
            sources,
        },
        origins,
        warnings,
        builds: built,
        owner_word: Some(owner_word(kind)),
    })
}

/// The stage names of every Dockerfile a target reads (a compose or bake file: those its
/// builds read), under the build its lock records.
pub fn stages(path: &Path, recorded: &Lock, env: &Env) -> Result<Vec<String>, Diagnostic> {
    let kind = Some(kind_of_path(path)).filter(|k| *k != FileKind::Dockerfile);
    let analysis = match kind {
        Some(kind) => read(path, kind, env).map(|r| r.analysis),
        None => build_options(&BuildArgs::default(), Some(recorded))
            .and_then(|options| read_dockerfile(path, &options))
            .map(|(_, a)| a),
    }?;
    Ok(analysis.stages.into_iter().flatten().collect())
}

fn warning_at(path: &Path, w: &Warning) -> Diagnostic {
    Diagnostic::new(w.message.clone()).at(path, Some(w.line))
}

fn owner_word(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Bake => "target",
        FileKind::Devcontainer => "devcontainer",
        FileKind::Workflow => "job",
        FileKind::Action => "action",
        FileKind::Compose | FileKind::Dockerfile => "service",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_compose_file_with_a_build_reads_as_one_analysis() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("app")).unwrap();
        std::fs::write(
            d.join("app/Dockerfile"),
            "ARG BASE=debian:12\nFROM ${BASE} AS build\nFROM gcr.io/distroless/static AS runtime\nCOPY --from=build /a /a\nCOPY --from=tools /b /b\nFROM alpine:3 AS unused\n",
        )
        .unwrap();
        std::fs::write(
            d.join("compose.yaml"),
            "services:\n  web:\n    image: nginx:1.25\n  app:\n    build:\n      context: app\n      target: runtime\n      args:\n        BASE: debian:13\n      additional_contexts:\n        tools: docker-image://busybox:1.36\n",
        )
        .unwrap();
        let env = Env {
            overrides: BTreeMap::new(),
            process: BTreeMap::new(),
        };
        let r = read(&d.join("compose.yaml"), FileKind::Compose, &env).unwrap();
        let got: Vec<(UseKind, &str, usize, String, &str)> = r
            .analysis
            .images
            .iter()
            .zip(&r.origins)
            .map(|(u, o)| {
                (
                    u.kind,
                    u.reference.as_str(),
                    u.line,
                    o.path.file_name().unwrap().to_string_lossy().into_owned(),
                    o.owner.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    UseKind::Image,
                    "nginx:1.25",
                    3,
                    "compose.yaml".into(),
                    "web"
                ),
                (
                    UseKind::Context,
                    "busybox:1.36",
                    11,
                    "compose.yaml".into(),
                    "app"
                ),
                (UseKind::From, "debian:13", 2, "Dockerfile".into(), "app"),
                (
                    UseKind::From,
                    "gcr.io/distroless/static",
                    3,
                    "Dockerfile".into(),
                    "app"
                ),
            ]
        );
        assert_eq!(r.builds, [d.join("app/Dockerfile")]);
    }
}
