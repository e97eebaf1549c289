//! Bake files (`docker-bake.hcl`, `docker-bake.json` and their `docker-bake.override.*`):
//! each target's `context`, `dockerfile`, `dockerfile-inline`, `args`, `target`,
//! `contexts` and `platforms`, after `inherits`, with `variable` defaults that the
//! environment overrides, as `docker buildx bake` reads them. Targets that groups name,
//! and targets no other target inherits from, are builds of the resulting [`Project`].
//! Each variable and target is evaluated once, and what is evaluated has a budget, so a
//! small file cannot make the reading slow or large.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::builds::yaml;
use crate::builds::{
    excerpt, parse_image, Build, DockerfileSource, Env, Error, FileImage, ImageKind, NamedContext,
    Project, Warning,
};
use crate::compose::clean;

mod eval;
mod matrix;
mod model;
mod resolve;
#[cfg(test)]
mod tests;
mod variables;

use eval::{EvalError, Scope, Val};
use model::{Attr, Expr, Model, Parsed};
use resolve::{Parents, Resolved};

/// The bake file names, in the order bake reads them.
pub const FILE_NAMES: [&str; 2] = ["docker-bake.json", "docker-bake.hcl"];

/// The override files bake reads after them.
pub const OVERRIDE_NAMES: [&str; 2] = ["docker-bake.override.json", "docker-bake.override.hcl"];

pub fn is_bake_name(name: &str) -> bool {
    FILE_NAMES.contains(&name) || OVERRIDE_NAMES.contains(&name)
}

pub fn is_override_name(name: &str) -> bool {
    OVERRIDE_NAMES.contains(&name)
}

/// The override files beside `path` that bake merges into it.
pub fn overrides_of(path: &Path) -> Vec<PathBuf> {
    let is_default = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| FILE_NAMES.contains(&n));
    if !is_default {
        return Vec::new();
    }
    let dir = path.parent().unwrap_or(Path::new(""));
    OVERRIDE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.is_file())
        .collect()
}

/// Read `path` and its override files; relative paths are taken from its directory, where
/// bake is run.
pub fn load(path: &Path, env: &Env) -> Result<Project, Error> {
    let mut files = vec![path.to_path_buf()];
    files.extend(overrides_of(path));
    // Everything the file leads to is read only inside the tree it is in.
    let root = crate::boundary::root_of(path);
    let mut sources = Vec::new();
    for f in &files {
        let text = crate::boundary::read_text_inside(f, &root, crate::boundary::DOCUMENT_LIMIT)
            .map_err(|e| crate::compose::boundary_error(f, &e))?;
        sources.push(text);
    }
    let inputs: Vec<(&Path, &str)> = files
        .iter()
        .zip(&sources)
        .map(|(f, s)| (f.as_path(), s.as_str()))
        .collect();
    let project = read(&inputs, path.parent().unwrap_or(Path::new("")), env)?;
    crate::boundary::builds_inside(&project, &root)?;
    Ok(project)
}

/// Read already-loaded files (the first is the bake file, the rest its overrides; a
/// `.json` name is read as JSON), with `dir` for relative paths.
pub fn read(inputs: &[(&Path, &str)], dir: &Path, env: &Env) -> Result<Project, Error> {
    let mut parsed = Vec::new();
    for (path, source) in inputs {
        let is_json = path.extension().is_some_and(|e| e == "json");
        parsed.push(if is_json {
            Parsed::Json(
                yaml::parse(source).map_err(|e| Error::new(path, e.line, e.described("JSON")))?,
            )
        } else {
            Parsed::Hcl(hcl_edit::parser::parse_body(source).map_err(|e| {
                Error::new(
                    path,
                    e.location().line(),
                    format!("invalid HCL: {}", e.message()),
                )
            })?)
        });
    }
    let mut model = Model::new(
        inputs.iter().map(|(p, _)| *p).collect(),
        inputs.iter().map(|(_, s)| *s).collect(),
    );
    for (file, p) in parsed.iter().enumerate() {
        match p {
            Parsed::Hcl(body) => model.add_hcl(file, body)?,
            Parsed::Json(doc) => model.add_json(file, doc)?,
        }
    }
    let ev = Evaluator {
        model: &model,
        env,
        cache: RefCell::new(HashMap::new()),
        stack: RefCell::new(Vec::new()),
        parents: RefCell::new(HashMap::new()),
        resolved: RefCell::new(HashMap::new()),
        spent: Cell::new(0),
        matrix: RefCell::new(Vec::new()),
        generated: Cell::new(0),
    };
    ev.project(dir)
}

/// What all the values evaluated for one bake file may add up to: each variable reference,
/// string built and inherited target copied counts, so that values that are each under
/// [`eval::MAX_VALUE`] cannot multiply into memory by being used many times.
pub const MAX_TOTAL: usize = 64 << 20;

struct Evaluator<'m, 'a> {
    model: &'m Model<'a>,
    env: &'m Env,
    /// Variables evaluated so far, or why they cannot be: each default is evaluated once.
    cache: RefCell<HashMap<String, Result<Val, EvalError>>>,
    /// The variables whose defaults are being evaluated.
    stack: RefCell<Vec<String>>,
    /// Each target's parents and each resolved target, computed once.
    parents: RefCell<HashMap<String, Parents<'a>>>,
    resolved: RefCell<HashMap<String, Resolved>>,
    /// Bytes counted against [`MAX_TOTAL`].
    spent: Cell<usize>,
    /// The matrix variables of the combination being evaluated.
    matrix: RefCell<matrix::Combination>,
    /// Targets the matrices have made, against [`matrix::MAX_GENERATED`].
    generated: Cell<usize>,
}

/// Scope of one expression: variables resolve through the evaluator; offsets are in `file`.
struct FileScope<'e, 'm, 'a> {
    ev: &'e Evaluator<'m, 'a>,
    file: usize,
}

impl Scope for FileScope<'_, '_, '_> {
    fn variable(&self, name: &str, offset: Option<usize>) -> Result<Val, EvalError> {
        let matrix = self
            .ev
            .matrix
            .borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone());
        let v = match matrix {
            Some(v) => v,
            None => self
                .ev
                .variable(name)
                .map_err(|e| EvalError { offset, ..e })?,
        };
        // The value is copied into whatever refers to it.
        self.spend(v.size(), offset)?;
        Ok(v)
    }

    fn spend(&self, bytes: usize, offset: Option<usize>) -> Result<(), EvalError> {
        self.ev.spend(bytes).map_err(|e| EvalError { offset, ..e })
    }
}

impl<'a> Evaluator<'_, 'a> {
    /// Count `bytes` against [`MAX_TOTAL`].
    fn spend(&self, bytes: usize) -> Result<(), EvalError> {
        let spent = self.spent.get().saturating_add(bytes);
        self.spent.set(spent);
        if spent > MAX_TOTAL {
            return Err(EvalError::limit(
                None,
                format!(
                    "the values of the bake file are longer than {} MiB in total",
                    MAX_TOTAL >> 20
                ),
            ));
        }
        Ok(())
    }

    /// An error at `attr`'s line.
    fn located(&self, attr: Attr<'a>, e: EvalError) -> Located {
        Located {
            path_index: attr.file,
            line: e
                .offset
                .filter(|_| matches!(attr.expr, Expr::Hcl(_)))
                .map_or(attr.line, |o| self.model.line(attr.file, Some(o))),
            message: e.message,
            limit: e.limit,
        }
    }

    fn value(&self, attr: Attr<'a>) -> Result<Val, Located> {
        let scope = FileScope {
            ev: self,
            file: attr.file,
        };
        match attr.expr {
            Expr::Hcl(e) => eval::hcl(e, &scope).map_err(|e| self.located(attr, e)),
            Expr::Json(n) => eval::json(n, &scope, 0).map_err(|e| Located {
                path_index: scope.file,
                line: e.line,
                message: e.message,
                limit: e.limit,
            }),
        }
    }

    fn error(&self, l: Located, help: bool) -> Error {
        let e = Error::new(self.model.paths[l.path_index], l.line, l.message);
        // A limit is not helped by writing the value differently.
        if help && !l.limit {
            e.with_help("write the value literally, or as a variable with a default")
        } else {
            e
        }
    }

    fn text(&self, owner: &str, key: &str, attr: Attr<'a>) -> Result<Option<String>, Error> {
        match self.value(attr).map_err(|l| self.error(l, true))? {
            Val::Null => Ok(None),
            v => v.text().map(Some).ok_or_else(|| {
                self.error(
                    Located {
                        path_index: attr.file,
                        line: attr.line,
                        message: format!("target {}: {key} must be a string", excerpt(owner)),
                        limit: false,
                    },
                    false,
                )
            }),
        }
    }

    fn strings(&self, owner: &str, key: &str, attr: Attr<'a>) -> Result<Vec<String>, Error> {
        let bad = || {
            self.error(
                Located {
                    path_index: attr.file,
                    line: attr.line,
                    message: format!("target {}: {key} must be a list of strings", excerpt(owner)),
                    limit: false,
                },
                false,
            )
        };
        match self.value(attr).map_err(|l| self.error(l, true))? {
            Val::Null => Ok(Vec::new()),
            Val::List(items) => items.iter().map(|v| v.text().ok_or_else(bad)).collect(),
            _ => Err(bad()),
        }
    }

    fn project(&self, dir: &Path) -> Result<Project, Error> {
        let m = self.model;
        let mut project = Project {
            files: m.paths.iter().map(|p| p.to_path_buf()).collect(),
            ..Project::default()
        };
        let grouped: HashSet<String> = self.groups()?.into_iter().flat_map(|g| g.1).collect();
        // Every parent, with its own `inherits` read once: a target only inherited from is
        // a template.
        let mut inherited = HashSet::new();
        for (name, _) in &m.targets {
            for (parent, _) in self.inherits(name)?.iter() {
                if parent != name {
                    inherited.insert(parent.clone());
                }
            }
        }
        for (name, defs) in &m.targets {
            // A target is built when a group names it, or when no target inherits from it.
            if !grouped.contains(name) && inherited.contains(name) {
                continue;
            }
            match self.combinations(name)? {
                None => {
                    let r = self.resolve(name)?;
                    self.add_build(&mut project, name, &defs[0], r, dir)?;
                }
                Some(all) => {
                    for c in &all {
                        self.with_combination(name, c, |generated| {
                            let r = self.resolve(name)?;
                            self.add_build(&mut project, generated, &defs[0], r, dir)
                        })?;
                    }
                }
            }
        }
        Ok(project)
    }

    /// The images and the build of target `name`, resolved as `r`.
    fn add_build(
        &self,
        project: &mut Project,
        name: &str,
        def: &model::Def<'a>,
        r: Resolved,
        dir: &Path,
    ) -> Result<(), Error> {
        let m = self.model;
        let path = m.paths[def.file];
        for (cname, value, file, line, span) in &r.contexts {
            let Some(reference) = value.strip_prefix("docker-image://") else {
                continue;
            };
            let image = parse_image(m.paths[*file], *line, reference)?;
            let prefix = "docker-image://".len();
            let span = span
                .clone()
                .filter(|s| s.len() >= prefix)
                .map(|s| s.start + prefix..s.end);
            project.images.push(FileImage {
                owner: name.to_string(),
                kind: ImageKind::Context(cname.clone()),
                path: m.paths[*file].to_path_buf(),
                line: *line,
                raw: span.clone().map_or_else(
                    || reference.to_string(),
                    |s| m.sources[*file][s].to_string(),
                ),
                reference: reference.to_string(),
                image,
                span,
                variables: Vec::new(),
            });
        }
        let context = r.context.clone().unwrap_or_else(|| ".".into());
        if context.contains("://") || context.starts_with("git@") {
            project.warnings.push(Warning {
                path: path.to_path_buf(),
                line: def.line,
                message: format!(
                    "target {} builds from a remote context ({}); its Dockerfile is not locked",
                    excerpt(name),
                    excerpt(&context)
                ),
            });
            return Ok(());
        }
        let context_dir = clean(&dir.join(&context));
        let dockerfile = match r.inline {
            Some(text) => DockerfileSource::Inline(text),
            None => DockerfileSource::Path(clean(
                &context_dir.join(r.dockerfile.as_deref().unwrap_or("Dockerfile")),
            )),
        };
        project.builds.push(Build {
            owner: name.to_string(),
            path: path.to_path_buf(),
            line: def.line,
            dockerfile,
            context: context_dir,
            build_args: r.args,
            target: r.target,
            platforms: r.platforms.unwrap_or_default(),
            contexts: r
                .contexts
                .into_iter()
                .map(|(name, value, ..)| NamedContext { name, value })
                .collect(),
        });
        Ok(())
    }

    /// Each group's members, checked to name targets or groups.
    fn groups(&self) -> Result<Vec<(String, Vec<String>)>, Error> {
        let m = self.model;
        let mut out = Vec::new();
        for (gname, defs) in &m.groups {
            let mut members = Vec::new();
            for def in defs {
                if let Some((_, a)) = def.attrs.iter().find(|(k, _)| k == "targets") {
                    members = self.strings(gname, "targets", *a)?;
                    for member in &members {
                        let known = !m.target(member).is_empty() || m.is_group(member);
                        if !known {
                            return Err(Error::new(
                                m.paths[a.file],
                                a.line,
                                format!(
                                    "group {} names {}, which is not a target or group",
                                    excerpt(gname),
                                    excerpt(member)
                                ),
                            ));
                        }
                    }
                }
            }
            out.push((gname.clone(), members));
        }
        Ok(out)
    }
}

/// A name from the file for a message: at most 60 characters, control characters
/// escaped, unquoted (as [`excerpt`] is quoted).
fn short(name: &str) -> String {
    let quoted = excerpt(name);
    let inner = &quoted[1..quoted.len() - 1];
    inner.to_string()
}

/// An evaluation error and where it is.
struct Located {
    path_index: usize,
    line: usize,
    message: String,
    /// A limit of the reader was hit, rather than something it does not evaluate.
    limit: bool,
}
