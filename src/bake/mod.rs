//! Bake files (`docker-bake.hcl`, `docker-bake.json` and their `docker-bake.override.*`):
//! each target's `context`, `dockerfile`, `dockerfile-inline`, `args`, `target`,
//! `contexts` and `platforms`, after `inherits`, with `variable` defaults that the
//! environment overrides, as `docker buildx bake` reads them. Targets that groups name,
//! and targets no other target inherits from, are builds of the resulting [`Project`].

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;
use hcl_edit::Span;

use crate::builds::yaml;
use crate::builds::{
    excerpt, line_of, parse_image, Build, DockerfileSource, Env, Error, FileImage, ImageKind,
    NamedContext, Project, Warning,
};
use crate::compose::clean;

mod eval;
mod model;
#[cfg(test)]
mod tests;

use eval::{EvalError, Scope, Val};
use model::{Attr, Expr, Model, Parsed};

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
    let mut sources = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| Error::new(f, 0, format!("cannot read {}: {e}", f.display())))?;
        sources.push(text);
    }
    let inputs: Vec<(&Path, &str)> = files
        .iter()
        .zip(&sources)
        .map(|(f, s)| (f.as_path(), s.as_str()))
        .collect();
    read(&inputs, path.parent().unwrap_or(Path::new("")), env)
}

pub(crate) fn read(inputs: &[(&Path, &str)], dir: &Path, env: &Env) -> Result<Project, Error> {
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
    let mut model = Model {
        paths: inputs.iter().map(|(p, _)| *p).collect(),
        sources: inputs.iter().map(|(_, s)| *s).collect(),
        variables: HashMap::new(),
        targets: Vec::new(),
        groups: Vec::new(),
    };
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
    };
    ev.project(dir)
}

struct Evaluator<'m, 'a> {
    model: &'m Model<'a>,
    env: &'m Env,
    cache: RefCell<HashMap<String, Val>>,
    stack: RefCell<Vec<String>>,
}

/// Scope of one expression: variables resolve through the evaluator; offsets are in `file`.
struct FileScope<'e, 'm, 'a> {
    ev: &'e Evaluator<'m, 'a>,
    file: usize,
}

impl Scope for FileScope<'_, '_, '_> {
    fn variable(&self, name: &str, offset: Option<usize>) -> Result<Val, EvalError> {
        self.ev
            .variable(name)
            .map_err(|m| EvalError { offset, message: m })
    }
}

/// The evaluated attributes of a target, before defaults.
#[derive(Clone, Default)]
struct Resolved {
    context: Option<String>,
    dockerfile: Option<String>,
    inline: Option<String>,
    target: Option<String>,
    platforms: Option<Vec<String>>,
    args: BTreeMap<String, String>,
    contexts: Vec<ContextAt>,
}

/// A named context: (name, value, file index, line, bytes of the literal value).
type ContextAt = (String, String, usize, usize, Option<Range<usize>>);

impl<'a> Evaluator<'_, 'a> {
    fn variable(&self, name: &str) -> Result<Val, String> {
        if let Some(v) = self.cache.borrow().get(name) {
            return Ok(v.clone());
        }
        let Some((default, overridable)) = self.model.variables.get(name) else {
            return Err(format!("unknown variable {name}"));
        };
        if *overridable {
            if let Some(v) = self.env.get(name) {
                return Ok(Val::Str(v.to_string()));
            }
        }
        if self.stack.borrow().iter().any(|n| n == name) {
            return Err(format!("variable {name} refers to itself"));
        }
        let value = match default {
            None => Val::Str(String::new()),
            Some(attr) => {
                self.stack.borrow_mut().push(name.to_string());
                let v = self.value(*attr);
                self.stack.borrow_mut().pop();
                v.map_err(|e| {
                    format!(
                        "{} (in the default of {name}, {}:{})",
                        e.message,
                        self.model.paths[e.path_index].display(),
                        e.line
                    )
                })?
            }
        };
        self.cache
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        Ok(value)
    }

    fn value(&self, attr: Attr<'a>) -> Result<Val, Located> {
        let scope = FileScope {
            ev: self,
            file: attr.file,
        };
        match attr.expr {
            Expr::Hcl(e) => eval::hcl(e, &scope).map_err(|e| Located {
                path_index: scope.file,
                line: e
                    .offset
                    .map_or(attr.line, |o| self.model.line(scope.file, Some(o))),
                message: e.message,
            }),
            Expr::Json(n) => eval::json(n, &scope, 0).map_err(|e| Located {
                path_index: scope.file,
                line: e.line,
                message: e.message,
            }),
        }
    }

    fn error(&self, l: Located, help: bool) -> Error {
        let e = Error::new(self.model.paths[l.path_index], l.line, l.message);
        if help {
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
                        message: format!("target {owner:?}: {key} must be a string"),
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
                    message: format!("target {owner:?}: {key} must be a list of strings"),
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

    /// A target with its parents applied, parents first (buildx `Target.Merge`: maps merge
    /// key by key, other fields are replaced).
    fn resolve(&self, name: &str, chain: &mut Vec<String>) -> Result<Resolved, Error> {
        let defs = &self
            .model
            .targets
            .iter()
            .find(|(n, _)| n == name)
            .expect("callers check the target exists")
            .1;
        chain.push(name.to_string());
        let mut out = Resolved::default();
        let mut parents = Vec::new();
        for def in defs {
            if let Some((_, a)) = def.attrs.iter().find(|(k, _)| k == "inherits") {
                parents = self
                    .strings(name, "inherits", *a)?
                    .into_iter()
                    .map(|p| (p, *a))
                    .collect();
            }
        }
        for (parent, attr) in parents {
            if chain.contains(&parent) {
                return Err(Error::new(
                    self.model.paths[attr.file],
                    attr.line,
                    format!("target {name:?} inherits from itself through {parent:?}"),
                ));
            }
            if !self.model.targets.iter().any(|(n, _)| *n == parent) {
                return Err(Error::new(
                    self.model.paths[attr.file],
                    attr.line,
                    format!("target {name:?} inherits from {parent:?}, which is not a target"),
                ));
            }
            let p = self.resolve(&parent, chain)?;
            merge(&mut out, p);
        }
        chain.pop();
        let mut own = Resolved::default();
        for def in defs {
            for (key, attr) in &def.attrs {
                let attr = *attr;
                match key.as_str() {
                    "context" => own.context = self.text(name, key, attr)?.or(own.context),
                    "dockerfile" => own.dockerfile = self.text(name, key, attr)?.or(own.dockerfile),
                    "dockerfile-inline" => own.inline = self.text(name, key, attr)?.or(own.inline),
                    "target" => own.target = self.text(name, key, attr)?.or(own.target),
                    "platforms" => own.platforms = Some(self.strings(name, key, attr)?),
                    "args" | "contexts" => {
                        let map = match self.value(attr).map_err(|l| self.error(l, true))? {
                            Val::Map(m) => m,
                            Val::Null => Vec::new(),
                            _ => {
                                return Err(Error::new(
                                    self.model.paths[attr.file],
                                    attr.line,
                                    format!("target {name:?}: {key} must be an object"),
                                ))
                            }
                        };
                        let spans = self.entry_places(attr);
                        for (k, v) in map {
                            if v == Val::Null {
                                continue;
                            }
                            let Some(text) = v.text() else {
                                return Err(Error::new(
                                    self.model.paths[attr.file],
                                    attr.line,
                                    format!("target {name:?}: {key}.{k} must be a string"),
                                ));
                            };
                            if key == "args" {
                                own.args.insert(k, text);
                            } else {
                                let (line, span) = spans
                                    .iter()
                                    .find(|(n, _, _)| *n == k)
                                    .map_or((attr.line, None), |(_, l, s)| (*l, s.clone()));
                                own.contexts.retain(|c| c.0 != k);
                                own.contexts.push((k, text, attr.file, line, span));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        merge(&mut out, own);
        Ok(out)
    }

    /// For an object attribute: each key's line and the bytes of its value when it is a
    /// literal string written without escapes.
    fn entry_places(&self, attr: Attr<'a>) -> Vec<(String, usize, Option<Range<usize>>)> {
        let source = self.model.sources[attr.file];
        match attr.expr {
            Expr::Hcl(Expression::Object(o)) => o
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        hcl_edit::expr::ObjectKey::Ident(i) => i.value().as_str().to_string(),
                        hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => {
                            s.value().to_string()
                        }
                        _ => String::new(),
                    };
                    let span = v.expr().span();
                    let line = span
                        .as_ref()
                        .map_or(attr.line, |s| line_of(source, s.start));
                    let literal = match v.expr() {
                        Expression::String(s) => {
                            span.and_then(|r| quoted_inner(source, r, s.value()))
                        }
                        _ => None,
                    };
                    (key, line, literal)
                })
                .collect(),
            Expr::Json(n) => n
                .entries()
                .map(|(k, v)| {
                    let text = v.as_str().unwrap_or_default();
                    let literal = v
                        .text_span(source)
                        .filter(|_| !text.contains("${") && !text.contains("%{"));
                    (k.as_str().unwrap_or_default().to_string(), v.line, literal)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn project(&self, dir: &Path) -> Result<Project, Error> {
        let m = self.model;
        let mut project = Project {
            files: m.paths.iter().map(|p| p.to_path_buf()).collect(),
            ..Project::default()
        };
        let groups = self.groups()?;
        for (name, defs) in &m.targets {
            if !self.is_built(name, &groups)? {
                continue;
            }
            let r = self.resolve(name, &mut Vec::new())?;
            let def = &defs[0];
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
                    owner: name.clone(),
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
                });
            }
            let context = r.context.clone().unwrap_or_else(|| ".".into());
            if context.contains("://") || context.starts_with("git@") {
                project.warnings.push(Warning {
                    path: path.to_path_buf(),
                    line: def.line,
                    message: format!(
                        "target {name:?} builds from a remote context ({}); its Dockerfile is not locked",
                        excerpt(&context)
                    ),
                });
                continue;
            }
            let context_dir = clean(&dir.join(&context));
            let dockerfile = match r.inline {
                Some(text) => DockerfileSource::Inline(text),
                None => DockerfileSource::Path(clean(
                    &context_dir.join(r.dockerfile.as_deref().unwrap_or("Dockerfile")),
                )),
            };
            project.builds.push(Build {
                owner: name.clone(),
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
        }
        Ok(project)
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
                        let known = m.targets.iter().any(|(n, _)| n == member)
                            || m.groups.iter().any(|(n, _)| n == member);
                        if !known {
                            return Err(Error::new(
                                m.paths[a.file],
                                a.line,
                                format!(
                                    "group {gname:?} names {member:?}, which is not a target or group"
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

    /// A target is built when a group names it (directly or through another group), or
    /// when no target inherits from it; a target only inherited from is a template.
    fn is_built(&self, name: &str, groups: &[(String, Vec<String>)]) -> Result<bool, Error> {
        let m = self.model;
        for (_, members) in groups {
            if members.iter().any(|t| t == name) {
                return Ok(true);
            }
        }
        for (tname, defs) in &m.targets {
            if tname == name {
                continue;
            }
            for def in defs {
                if let Some((_, a)) = def.attrs.iter().find(|(k, _)| k == "inherits") {
                    if self
                        .strings(tname, "inherits", *a)?
                        .iter()
                        .any(|p| p == name)
                    {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }
}

/// An evaluation error and where it is.
struct Located {
    path_index: usize,
    line: usize,
    message: String,
}

fn merge(into: &mut Resolved, from: Resolved) {
    for (k, v) in [
        (&mut into.context, from.context),
        (&mut into.dockerfile, from.dockerfile),
        (&mut into.inline, from.inline),
        (&mut into.target, from.target),
    ] {
        if v.is_some() {
            *k = v;
        }
    }
    if from.platforms.is_some() {
        into.platforms = from.platforms;
    }
    into.args.extend(from.args);
    for c in from.contexts {
        into.contexts.retain(|x| x.0 != c.0);
        into.contexts.push(c);
    }
}

/// The bytes inside the quotes of a string literal, when they are exactly `value`.
fn quoted_inner(source: &str, span: Range<usize>, value: &str) -> Option<Range<usize>> {
    let written = source.get(span.clone())?;
    let inner = written.strip_prefix('"')?.strip_suffix('"')?;
    (inner == value && !inner.contains('\\')).then(|| span.start + 1..span.end - 1)
}
