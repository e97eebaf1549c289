//! `include`, as compose-go resolves it: each entry is a project of its own (one file, or
//! several merged as overrides), read from its `project_directory` (by default the first
//! file's directory) with the variables of its `env_file` (by default the `.env` there)
//! under those the including project already has; its services join the including
//! project's, and a name defined on both sides is an error. Files are read inside the tree.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::extends::Layer;
use super::{clean, dotenv, read_in, Reader, Service};
use crate::boundary;
use crate::builds::yaml::Node;
use crate::builds::{excerpt, Error, Project};

/// The deepest an include may include in turn.
const MAX_DEPTH: usize = 16;

/// A project read for an `include` entry.
pub(super) struct Included {
    project: Project,
    services: Vec<String>,
    path: PathBuf,
    line: usize,
}

impl Reader<'_> {
    /// Read what the `include` sections of `layers` name.
    pub(super) fn includes(&self, layers: &[Layer]) -> Result<Vec<Included>, Error> {
        let mut out = Vec::new();
        for layer in layers {
            let Some(list) = layer.doc.get("include").filter(|n| !n.is_null()) else {
                continue;
            };
            if !list.is_seq() {
                return Err(Error::new(
                    &layer.path,
                    list.line,
                    "`include` must be a list",
                ));
            }
            for entry in list.items() {
                out.push(self.include(layer, entry)?);
            }
        }
        Ok(out)
    }

    /// One or more strings: a scalar or a list of them, interpolated.
    fn strings(&self, layer: &Layer, node: &Node, what: &str) -> Result<Vec<String>, Error> {
        if node.is_seq() {
            node.items()
                .iter()
                .map(|n| self.text(layer, n, what))
                .collect()
        } else {
            Ok(vec![self.text(layer, node, what)?])
        }
    }

    fn include(&self, layer: &Layer, entry: &Node) -> Result<Included, Error> {
        let what = "include";
        let at = |p: &str| clean(&layer.dir.join(p));
        let (files, project_dir, env_files) = if entry.is_map() {
            let path = entry.get("path").ok_or_else(|| {
                Error::new(&layer.path, entry.line, "an `include` entry has no path")
            })?;
            let files: Vec<PathBuf> = self
                .strings(layer, path, what)?
                .iter()
                .map(|p| at(p))
                .collect();
            let dir = match entry.get("project_directory").filter(|n| !n.is_null()) {
                Some(d) => Some(at(&self.text(layer, d, what)?)),
                None => None,
            };
            let env = match entry.get("env_file").filter(|n| !n.is_null()) {
                Some(e) => Some(
                    self.strings(layer, e, what)?
                        .iter()
                        .map(|p| at(p))
                        .collect(),
                ),
                None => None,
            };
            (files, dir, env)
        } else {
            (vec![at(&self.text(layer, entry, what)?)], None, None)
        };
        let Some(first) = files.first() else {
            return Err(Error::new(
                &layer.path,
                entry.line,
                "an `include` entry has no path",
            ));
        };
        let project_dir =
            project_dir.unwrap_or_else(|| first.parent().unwrap_or(Path::new("")).to_path_buf());
        {
            let chain = self.shared.chain.borrow();
            if chain.contains(first) || chain.len() >= MAX_DEPTH {
                return Err(Error::new(
                    &layer.path,
                    entry.line,
                    format!(
                        "`include` of {} leads back to itself or is more than {MAX_DEPTH} deep",
                        excerpt(&first.display().to_string())
                    ),
                ));
            }
        }
        let mut sources = Vec::new();
        for f in &files {
            self.count_file(&layer.path, entry.line)?;
            sources.push(self.read_file(f, &layer.path, entry.line)?);
        }
        let dotenv = self.included_env(&project_dir, env_files)?;
        let inputs: Vec<(&Path, &str)> = files
            .iter()
            .zip(&sources)
            .map(|(f, s)| (f.as_path(), s.as_str()))
            .collect();
        self.shared.chain.borrow_mut().push(first.clone());
        let read = read_in(&inputs, &project_dir, self.env, &dotenv, self.shared);
        self.shared.chain.borrow_mut().pop();
        let (project, services) = read?;
        Ok(Included {
            project,
            services,
            path: layer.path.clone(),
            line: entry.line,
        })
    }

    /// The variables an included project sees: the including project's, then those of its
    /// env files (named ones must exist; the default `.env` may not).
    fn included_env(
        &self,
        project_dir: &Path,
        env_files: Option<Vec<PathBuf>>,
    ) -> Result<BTreeMap<String, String>, Error> {
        let (files, required) = match env_files {
            Some(files) => (files, true),
            None => (vec![project_dir.join(".env")], false),
        };
        let mut vars = BTreeMap::new();
        for file in files {
            let text = match self.small_file(&file) {
                Ok(text) => text,
                Err(e) if e.is_not_found() && !required => continue,
                Err(e) => return Err(super::boundary_error(&file, &e)),
            };
            let lookup = |n: &str| self.lookup(n).or_else(|| vars.get(n).cloned());
            let parsed =
                dotenv::parse(&text, &lookup).map_err(|(line, m)| Error::new(&file, line, m))?;
            vars.extend(parsed);
        }
        // What the including project has wins, as compose merges the two.
        vars.extend(self.dotenv.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(vars)
    }

    fn small_file(&self, path: &Path) -> Result<String, boundary::Error> {
        let root = self
            .shared
            .root
            .clone()
            .unwrap_or_else(|| boundary::root_of(path));
        boundary::read_text_inside(path, &root, boundary::SMALL_LIMIT)
    }

    /// Add the included projects' builds and images; a service defined twice is an error.
    pub(super) fn merge_included(
        &mut self,
        services: &[Service],
        included: Vec<Included>,
    ) -> Result<(), Error> {
        let mut names: HashSet<String> = services.iter().map(|s| s.name.clone()).collect();
        for inc in included {
            for name in &inc.services {
                if !names.insert(name.clone()) {
                    return Err(Error::new(
                        &inc.path,
                        inc.line,
                        format!(
                            "service {} is defined both here and in a file this includes",
                            excerpt(name)
                        ),
                    )
                    .with_help("compose refuses a service an include also defines; rename one"));
                }
            }
            self.project.builds.extend(inc.project.builds);
            self.project.images.extend(inc.project.images);
            self.project.warnings.extend(inc.project.warnings);
        }
        Ok(())
    }
}
