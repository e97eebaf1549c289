//! What a compose or bake file says is built and run, in the terms the Dockerfile analysis
//! already speaks: each build is a Dockerfile (a path or inline text) with its context,
//! build args, target, platforms and named contexts; each plain image use is a name with
//! its file, line and byte span. [`crate::compose`] and [`crate::bake`] produce a
//! [`Project`]; the commands feed its builds to [`crate::dockerfile::analyze`].

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::dockerfile::{BuildOptions, ImageUse};
use crate::platform::Platform;
use crate::reference::ImageRef;

pub(crate) mod jsonc;
pub(crate) mod yaml;

/// A compose or bake file error: the file, the 1-based line, the reason, and a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct Error {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
    pub help: Option<String>,
}

impl Error {
    pub(crate) fn new(path: &Path, line: usize, message: impl Into<String>) -> Error {
        Error {
            path: path.to_path_buf(),
            line,
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Error {
        self.help = Some(help.into());
        self
    }
}

/// A value that does not stop the file from being read but means something is not locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

/// The variables interpolation sees: `--env K=V` first, then the process environment, then
/// (for compose) the `.env` file beside the compose file.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub overrides: BTreeMap<String, String>,
    pub process: BTreeMap<String, String>,
}

impl Env {
    /// Only `pairs`, as if given with `--env`, and no process environment (for tests).
    #[cfg(test)]
    pub fn only(pairs: &[(&str, &str)]) -> Env {
        Env {
            overrides: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            process: BTreeMap::new(),
        }
    }

    /// The process environment with `overrides` on top.
    pub fn from_process(overrides: BTreeMap<String, String>) -> Env {
        Env {
            overrides,
            process: std::env::vars().collect(),
        }
    }

    pub(crate) fn get<'a>(&'a self, name: &str) -> Option<&'a str> {
        self.overrides
            .get(name)
            .or_else(|| self.process.get(name))
            .map(String::as_str)
    }
}

/// Which Dockerfile a build reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerfileSource {
    /// A path, already joined to the context directory.
    Path(PathBuf),
    /// `dockerfile_inline` / `dockerfile-inline`: the Dockerfile text itself.
    Inline(String),
}

/// A named build context (compose `additional_contexts`, bake `contexts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedContext {
    pub name: String,
    /// The value after interpolation: a path, a URL, `docker-image://…`, `target:…`,
    /// `service:…`.
    pub value: String,
}

impl NamedContext {
    /// The image a `docker-image://` context names.
    pub fn image(&self) -> Option<&str> {
        self.value.strip_prefix("docker-image://")
    }
}

/// One build: the service or target that runs it, and what BuildKit is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// The compose service or bake target.
    pub owner: String,
    /// The file and line the build is declared at.
    pub path: PathBuf,
    pub line: usize,
    pub dockerfile: DockerfileSource,
    pub context: PathBuf,
    pub build_args: BTreeMap<String, String>,
    pub target: Option<String>,
    /// As written (`linux/arm64`); [`Build::options`] parses them.
    pub platforms: Vec<String>,
    pub contexts: Vec<NamedContext>,
}

impl Build {
    /// The options to analyze this build's Dockerfile with.
    pub fn options(&self) -> Result<BuildOptions, Error> {
        let platforms = self
            .platforms
            .iter()
            .map(|p| {
                p.parse::<Platform>().map_err(|e| {
                    Error::new(
                        &self.path,
                        self.line,
                        format!("{}: platform {p:?}: {e}", self.owner),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BuildOptions {
            build_args: self.build_args.clone(),
            platforms,
            target: self.target.clone(),
        })
    }

    /// Whether a use the Dockerfile analysis found is served by a named context rather than
    /// pulled: BuildKit looks a stage's name and a FROM / `COPY --from` base up among the
    /// contexts by its familiar name without `:latest` (dockerui `NamedContext`).
    pub fn is_named_context(&self, u: &ImageUse) -> bool {
        self.contexts.iter().any(|c| {
            let name = c.name.split("::").next().unwrap_or(&c.name);
            if u.stage.as_deref() == Some(name.to_ascii_lowercase().as_str()) {
                return true;
            }
            match ImageRef::parse(name) {
                Ok(r) => r.normalized() == u.image.normalized(),
                Err(_) => false,
            }
        })
    }
}

/// What an image use in the file itself is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageKind {
    /// A compose service's `image:`.
    Image,
    /// A `docker-image://` named context, by name.
    Context(String),
}

/// An image named in the compose or bake file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileImage {
    pub owner: String,
    pub kind: ImageKind,
    pub path: PathBuf,
    pub line: usize,
    /// As written, before interpolation.
    pub raw: String,
    /// After interpolation.
    pub reference: String,
    pub image: ImageRef,
    /// The bytes of the value in `path`, when it is written literally on one line (no
    /// variables, no escapes): what `rewrite` replaces.
    pub span: Option<Range<usize>>,
    /// Each variable the value is interpolated from, and where its value came from
    /// (`--env`, `environment`, `.env`, or `unset` when a default or nothing applied).
    pub variables: Vec<(String, &'static str)>,
}

/// Everything a compose or bake file (with its overrides) builds and runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Project {
    /// The file and the override files merged into it, in merge order.
    pub files: Vec<PathBuf>,
    /// In file order of their owners.
    pub builds: Vec<Build>,
    pub images: Vec<FileImage>,
    pub warnings: Vec<Warning>,
}

/// A short, escaped excerpt for messages.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    let mut shown: String = text.chars().take(MAX).collect::<String>();
    if text.chars().count() > MAX {
        shown.push('…');
    }
    format!("{shown:?}")
}

/// An image reference from a file, or an error at its line.
pub(crate) fn parse_image(path: &Path, line: usize, reference: &str) -> Result<ImageRef, Error> {
    ImageRef::parse(reference).map_err(|e| {
        Error::new(
            path,
            line,
            format!(
                "invalid image reference {}: {}",
                excerpt(reference),
                short_reason(&e.to_string())
            ),
        )
    })
}

/// A parse error's reason quotes the reference, or a part of it, whole: each long part is
/// cut to an excerpt, control characters are escaped, and the whole stays short.
fn short_reason(reason: &str) -> String {
    const PART: usize = 80;
    const ALL: usize = 300;
    let parts: Vec<String> = reason
        .split('`')
        .map(|p| {
            let mut s: String = p.chars().take(PART).collect();
            if p.chars().count() > PART {
                s.push('…');
            }
            s
        })
        .collect();
    let joined = parts.join("`");
    let mut out = String::new();
    for c in joined.chars().take(ALL) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if joined.chars().count() > ALL {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::analyze;

    fn build(contexts: &[(&str, &str)]) -> Build {
        Build {
            owner: "app".into(),
            path: "compose.yaml".into(),
            line: 1,
            dockerfile: DockerfileSource::Inline(String::new()),
            context: ".".into(),
            build_args: BTreeMap::new(),
            target: None,
            platforms: vec![],
            contexts: contexts
                .iter()
                .map(|(n, v)| NamedContext {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn named_contexts_replace_bases_by_familiar_name() {
        let src = b"FROM alpine AS a\nFROM docker.io/library/debian:latest\nCOPY --from=tools /x /x\nFROM base\nFROM busybox:1.36\n";
        let a = analyze(src, &BuildOptions::default()).unwrap();
        let b = build(&[
            ("alpine", "docker-image://alpine:3.19"),
            ("debian", "../debian"),
            ("tools", "target:tools"),
            ("base", "docker-image://x"),
        ]);
        let kept: Vec<&str> = a
            .images
            .iter()
            .filter(|u| !b.is_named_context(u))
            .map(|u| u.reference.as_str())
            .collect();
        assert_eq!(kept, ["busybox:1.36"]);
    }

    #[test]
    fn a_context_named_after_a_stage_replaces_that_stage() {
        let src = b"FROM node:20 AS deps\nFROM node:20-slim\nCOPY --from=deps /a /a\n";
        let a = analyze(src, &BuildOptions::default()).unwrap();
        let b = build(&[("deps", "./deps")]);
        let kept: Vec<usize> = a
            .images
            .iter()
            .filter(|u| !b.is_named_context(u))
            .map(|u| u.line)
            .collect();
        assert_eq!(kept, [2]);
    }

    #[test]
    fn a_tagged_context_does_not_replace_another_tag() {
        let a = analyze(b"FROM alpine:3.18\n", &BuildOptions::default()).unwrap();
        assert!(!build(&[("alpine", "docker-image://x")]).is_named_context(&a.images[0]));
        assert!(build(&[("alpine:3.18", "docker-image://x")]).is_named_context(&a.images[0]));
    }

    #[test]
    fn platforms_parse_into_options() {
        let mut b = build(&[]);
        b.platforms = vec!["linux/arm64".into()];
        b.build_args.insert("V".into(), "1".into());
        let o = b.options().unwrap();
        assert_eq!(o.platforms[0].to_string(), "linux/arm64");
        assert_eq!(o.build_args["V"], "1");
        b.platforms = vec!["linux".into()];
        let e = b.options().unwrap_err();
        assert!(e.message.contains("\"linux\""), "{}", e.message);
    }
}
