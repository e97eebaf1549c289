//! Compose files (`compose.yaml` and its `compose.override.yaml`, or a variant such as
//! `compose.prod.yaml` over the file it varies): every service's `image:`, and for a
//! service with `build:` the Dockerfile it builds with its `args`, `target`, `platforms`
//! and `additional_contexts`, read as compose-go reads them: interpolation, `.env`,
//! `extends`, `include` and `env_file` included. The result is a [`Project`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use crate::boundary;
use crate::builds::yaml::Node;
use crate::builds::{excerpt, parse_image, Env, Error, FileImage, ImageKind, Project};

mod build;
mod dotenv;
mod env_file;
mod extends;
mod include;
pub mod interpolate;
mod shape;
#[cfg(test)]
mod tests;

use extends::Layer;
use interpolate::{interpolate, Budget};

/// The names compose looks for, in its order.
pub const FILE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// The override files compose merges into the file it found, in its order.
pub const OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// Whether a file name is a compose file or a compose override file.
pub fn is_compose_name(name: &str) -> bool {
    FILE_NAMES.contains(&name) || OVERRIDE_NAMES.contains(&name)
}

/// Whether a file name is an override, merged into its directory's compose file rather
/// than read on its own.
pub fn is_override_name(name: &str) -> bool {
    OVERRIDE_NAMES.contains(&name)
}

/// Whether a name is a variant of a compose file (`compose.prod.yaml`,
/// `docker-compose.dev.yml`): what `docker compose -f compose.yaml -f compose.prod.yaml`
/// layers over the file with the default name.
pub fn is_variant_name(name: &str) -> bool {
    let Some(stem) = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
    else {
        return false;
    };
    let middle = stem
        .strip_prefix("docker-compose.")
        .or_else(|| stem.strip_prefix("compose."));
    middle.is_some_and(|m| !m.is_empty() && m != "override" && !m.starts_with('.'))
}

/// The files read for `path`, in merge order: a file with a default name and its override
/// file; a variant (`compose.prod.yaml`) over the default-named file beside it, as it is
/// used (`docker compose -f compose.yaml -f compose.prod.yaml`), since a variant is most
/// often only the changes; any other file on its own.
pub fn files_of(path: &Path) -> Vec<PathBuf> {
    let mut files = vec![path.to_path_buf()];
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if is_variant_name(name) {
        let dir = path.parent().unwrap_or(Path::new(""));
        if let Some(base) = FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file()) {
            files.insert(0, base);
        }
    } else {
        files.extend(override_of(path));
    }
    files
}

/// The override file compose merges into `path`: the first of [`OVERRIDE_NAMES`] beside
/// it, when `path` has one of the default names.
pub fn override_of(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    if !FILE_NAMES.contains(&name) {
        return None;
    }
    let dir = path.parent().unwrap_or(Path::new(""));
    OVERRIDE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// Read `path` with the files merged with it ([`files_of`]) and the `.env` beside it.
pub fn load(path: &Path, env: &Env) -> Result<Project, Error> {
    let files = files_of(path);
    // Everything the file leads to is read only inside the tree it is in.
    let root = boundary::root_of(path);
    let mut sources = Vec::new();
    for f in &files {
        let text = boundary::read_text_inside(f, &root, boundary::DOCUMENT_LIMIT)
            .map_err(|e| boundary_error(f, &e))?;
        sources.push(text);
    }
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let dotenv_path = dir.join(".env");
    let dotenv = match boundary::read_text_inside(&dotenv_path, &root, boundary::SMALL_LIMIT) {
        Ok(text) => dotenv::parse(&text, &|n| env.get(n).map(str::to_string))
            .map_err(|(line, m)| Error::new(&dotenv_path, line, m))?,
        Err(e) if e.is_not_found() => BTreeMap::new(),
        Err(e) => return Err(boundary_error(&dotenv_path, &e)),
    };
    let inputs: Vec<(&Path, &str)> = files
        .iter()
        .zip(&sources)
        .map(|(f, s)| (f.as_path(), s.as_str()))
        .collect();
    let shared = Shared {
        root: Some(root.clone()),
        ..Shared::default()
    };
    let (project, _) = read_in(&inputs, &dir, env, &dotenv, &shared)?;
    boundary::builds_inside(&project, &root)?;
    Ok(project)
}

/// A file that is not read, told as the boundary tells it.
pub(crate) fn boundary_error(path: &Path, e: &boundary::Error) -> Error {
    let error = Error::new(path, 0, e.to_string());
    match e.help() {
        Some(h) => error.with_help(h),
        None => error,
    }
}

/// What the files a project names (`extends`, `include`) may add up to: a file included
/// many times over must not make the reading slow or large.
pub const MAX_NAMED_BYTES: u64 = 32 << 20;

/// A service as the layers define it, in merge order.
struct Service<'a> {
    name: String,
    parts: Vec<(&'a Layer, &'a Node)>,
}

pub(super) struct Reader<'a> {
    env: &'a Env,
    dotenv: &'a BTreeMap<String, String>,
    shared: &'a Shared,
    project: Project,
}

/// What a project and every project it includes share.
#[derive(Default)]
pub(super) struct Shared {
    /// The tree files named in the project (`extends`, `env_file`, `include`) are read
    /// inside; none when only the given files may be read.
    root: Option<PathBuf>,
    /// The interpolated values of all the files together.
    budget: Budget,
    /// Files read besides the given ones, against [`extends::MAX_FILES`].
    files: std::cell::Cell<usize>,
    /// Bytes of those files, against [`MAX_NAMED_BYTES`].
    bytes: std::cell::Cell<u64>,
    /// The files being included, outermost first: one that includes itself is refused.
    chain: std::cell::RefCell<Vec<PathBuf>>,
}

/// Read already-loaded files (the first is the compose file, the rest its overrides),
/// with `dir` for relative paths and the `.env` variables already parsed. Files the
/// project names are not read.
pub fn read(
    inputs: &[(&Path, &str)],
    dir: &Path,
    env: &Env,
    dotenv: &BTreeMap<String, String>,
) -> Result<Project, Error> {
    read_in(inputs, dir, env, dotenv, &Shared::default()).map(|(p, _)| p)
}

/// As [`read`], reading the files the project names inside the shared root; with the
/// names of the services the files define.
fn read_in(
    inputs: &[(&Path, &str)],
    dir: &Path,
    env: &Env,
    dotenv: &BTreeMap<String, String>,
    shared: &Shared,
) -> Result<(Project, Vec<String>), Error> {
    let mut reader = Reader {
        env,
        dotenv,
        shared,
        project: Project {
            files: inputs.iter().map(|(p, _)| p.to_path_buf()).collect(),
            ..Project::default()
        },
    };
    let mut layers = Vec::new();
    for (path, source) in inputs {
        layers.push(Layer::parse(path, source.to_string(), dir)?);
    }
    let given = layers.len();
    let included = reader.includes(&layers)?;
    reader.load_extended(&mut layers)?;
    let mut services: Vec<Service> = Vec::new();
    // Name → position in `services`: many services are merged in linear time.
    let mut index: HashMap<String, usize> = HashMap::new();
    for layer in &layers[..given] {
        let Some(list) = layer.services()? else {
            continue;
        };
        for (key, node) in list.entries() {
            let name = key.as_str().unwrap_or_default().to_string();
            if !node.is_map() && !node.is_null() {
                return Err(Error::new(
                    &layer.path,
                    node.line,
                    format!("service {} must be a mapping", excerpt(&name)),
                ));
            }
            let parts = reader.parts(&layers, layer, &name, node, &mut Vec::new())?;
            match index.get(&name) {
                Some(&i) => services[i].parts.extend(parts),
                None => {
                    index.insert(name.clone(), services.len());
                    services.push(Service { name, parts });
                }
            }
        }
    }
    for service in &services {
        reader.service(service)?;
    }
    reader.merge_included(&services, included)?;
    let names = services.into_iter().map(|s| s.name).collect();
    Ok((reader.project, names))
}

impl Reader<'_> {
    /// A file the project names at line `line` of `from`, read inside the tree; an error
    /// is told at the line that names it.
    fn read_file(&self, path: &Path, from: &Path, line: usize) -> Result<String, Error> {
        let Some(root) = &self.shared.root else {
            return Err(Error::new(
                from,
                line,
                "a file the project names is not read here",
            ));
        };
        let text =
            boundary::read_text_inside(path, root, boundary::DOCUMENT_LIMIT).map_err(|e| {
                let error = Error::new(from, line, e.to_string());
                match e.help() {
                    Some(h) => error.with_help(h),
                    None => error,
                }
            })?;
        let bytes = self.shared.bytes.get().saturating_add(text.len() as u64);
        self.shared.bytes.set(bytes);
        if bytes > MAX_NAMED_BYTES {
            return Err(Error::new(
                from,
                line,
                format!(
                    "the files extended and included are longer than {} MiB together",
                    MAX_NAMED_BYTES >> 20
                ),
            ));
        }
        Ok(text)
    }

    /// Each variable `raw` names (`$NAME`, `${NAME…}`; `$$` is a literal `$`), once, with
    /// where [`Reader::lookup`] finds its value.
    fn provenance(&self, raw: &str) -> Vec<(String, &'static str)> {
        let b = raw.as_bytes();
        let mut out: Vec<(String, &'static str)> = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'$' {
                i += 1;
                continue;
            }
            if b.get(i + 1) == Some(&b'$') {
                i += 2;
                continue;
            }
            let start = if b.get(i + 1) == Some(&b'{') {
                i + 2
            } else {
                i + 1
            };
            let mut end = start;
            while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
                end += 1;
            }
            let name = &raw[start..end];
            if !name.is_empty() && !out.iter().any(|(n, _)| n == name) {
                let from = if self.env.overrides.contains_key(name) {
                    "--env"
                } else if self.env.process.contains_key(name) {
                    "environment"
                } else if self.dotenv.contains_key(name) {
                    ".env"
                } else {
                    "unset"
                };
                out.push((name.to_string(), from));
            }
            i = end.max(i + 1);
        }
        out
    }

    fn lookup(&self, name: &str) -> Option<String> {
        self.env
            .get(name)
            .or_else(|| self.dotenv.get(name).map(String::as_str))
            .map(str::to_string)
    }

    /// The scalar `node`'s text, interpolated.
    fn text(&self, layer: &Layer, node: &Node, what: &str) -> Result<String, Error> {
        let raw = node.as_str().ok_or_else(|| {
            Error::new(&layer.path, node.line, format!("{what} must be a string"))
        })?;
        interpolate(raw, &|n| self.lookup(n))
            .and_then(|v| self.shared.budget.spend(&v).map(|()| v))
            .map_err(|p| p.error(&layer.path, node.line))
    }

    fn service(&mut self, s: &Service) -> Result<(), Error> {
        self.env_files(s)?;
        let last = |key: &str| {
            s.parts
                .iter()
                .rev()
                .find_map(|(l, n)| n.get(key).filter(|v| !v.is_null()).map(|v| (*l, v)))
        };
        let builds: Vec<(&Layer, &Node)> = s
            .parts
            .iter()
            .filter_map(|(l, n)| n.get("build").filter(|b| !b.is_null()).map(|b| (*l, b)))
            .collect();
        if builds.is_empty() {
            let image = match last("image") {
                Some((layer, node)) => {
                    let what = format!("service {}: image", excerpt(&s.name));
                    let reference = self.text(layer, node, &what)?;
                    Some((layer, node, reference)).filter(|(_, _, r)| !r.is_empty())
                }
                None => None,
            };
            match image {
                Some((layer, node, reference)) => {
                    self.image(&s.name, ImageKind::Image, layer, node, reference, 0)?;
                }
                // compose-go refuses the project; a service under a profile is checked only
                // when the profile is enabled, which is not known here.
                None if last("profiles").is_none() => return Err(neither(s)),
                None => {}
            }
            return Ok(());
        }
        // With `build:`, `image:` names what is built, not something pulled.
        self.build(s, &builds, last("platform"))
    }

    /// Record an image named in the file; `prefix` bytes of the scalar precede the
    /// reference (`docker-image://`).
    fn image(
        &mut self,
        owner: &str,
        kind: ImageKind,
        layer: &Layer,
        node: &Node,
        reference: String,
        prefix: usize,
    ) -> Result<(), Error> {
        let raw = node.as_str().unwrap_or_default()[prefix..].to_string();
        let image = parse_image(&layer.path, node.line, &reference)?;
        let span = node
            .text_span(&layer.source)
            .filter(|_| !raw.contains('$'))
            .map(|r| r.start + prefix..r.end);
        let variables = self.provenance(&raw);
        self.project.images.push(FileImage {
            owner: owner.to_string(),
            kind,
            path: layer.path.to_path_buf(),
            line: node.line,
            raw,
            reference,
            image,
            span,
            variables,
        });
        Ok(())
    }
}

/// A service that neither pulls nor builds an image, as compose-go refuses it.
fn neither(s: &Service) -> Error {
    let (layer, node) = s.parts[0];
    Error::new(
        &layer.path,
        node.line,
        format!(
            "service {} has neither an image nor a build context",
            excerpt(&s.name)
        ),
    )
    .with_help(
        "give the service an `image:` or a `build:`, or read this file with the one it overrides",
    )
}

/// `a/./b/../c` → `a/c`, without touching the file system; a leading `./` dropped.
pub(crate) fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let pop = matches!(out.components().next_back(), Some(Component::Normal(_)));
                if pop {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}
