//! The files of a compose project and `extends`, as compose-go resolves it: a service
//! starts from the service it extends (in the same file, or in `file:`, read inside the
//! tree), with the extending service's keys merged over it as an override file's are.
//! Relative paths in an extended service start from the directory of the file it is in.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{clean, shape, Reader};
use crate::builds::yaml::{self, Node};
use crate::builds::{excerpt, Error};

/// The most files a project may read besides those it was given (`extends: {file: …}`).
pub(super) const MAX_FILES: usize = 256;
/// The longest chain of services extending services.
const MAX_CHAIN: usize = 32;

/// One file of the project: its path, text, syntax tree, and the directory its relative
/// paths start from.
pub(super) struct Layer {
    pub path: PathBuf,
    pub source: String,
    pub doc: Node,
    pub dir: PathBuf,
}

impl Layer {
    pub fn parse(path: &Path, source: String, dir: &Path) -> Result<Layer, Error> {
        let doc =
            yaml::parse(&source).map_err(|e| Error::new(path, e.line, e.described("YAML")))?;
        if !doc.is_map() {
            return Err(Error::new(
                path,
                doc.line,
                "a compose file must be a mapping",
            ));
        }
        shape::check_top_level(path, &doc)?;
        Ok(Layer {
            path: path.to_path_buf(),
            source,
            doc,
            dir: dir.to_path_buf(),
        })
    }

    /// The services mapping, checked.
    pub fn services(&self) -> Result<Option<&Node>, Error> {
        let Some(list) = self.doc.get("services") else {
            return Ok(None);
        };
        if !list.is_map() && !list.is_null() {
            return Err(Error::new(
                &self.path,
                list.line,
                "`services` must be a mapping",
            ));
        }
        Ok(Some(list))
    }
}

/// What an `extends` names: the file (none: the same one) and the service.
struct Target {
    file: Option<PathBuf>,
    service: String,
    line: usize,
}

impl Reader<'_> {
    fn target(&self, layer: &Layer, name: &str, ext: &Node) -> Result<Target, Error> {
        let what = format!("service {}: extends", excerpt(name));
        if ext.as_str().is_some() {
            return Ok(Target {
                file: None,
                service: self.text(layer, ext, &what)?,
                line: ext.line,
            });
        }
        let service = ext.get("service").filter(|_| ext.is_map()).ok_or_else(|| {
            Error::new(
                &layer.path,
                ext.line,
                format!("{what} must name a service: `extends: NAME` or `service: NAME`"),
            )
        })?;
        let file = match ext.get("file").filter(|f| !f.is_null()) {
            Some(f) => Some(clean(&layer.dir.join(self.text(layer, f, &what)?))),
            None => None,
        };
        Ok(Target {
            file,
            service: self.text(layer, service, &what)?,
            line: ext.line,
        })
    }

    /// Count a file read besides the given ones; past [`MAX_FILES`], an error at `line`.
    pub(super) fn count_file(&self, path: &Path, line: usize) -> Result<(), Error> {
        let n = self.shared.files.get() + 1;
        self.shared.files.set(n);
        if n > MAX_FILES {
            return Err(Error::new(
                path,
                line,
                format!("more than {MAX_FILES} files extended or included"),
            ));
        }
        Ok(())
    }

    /// Read every file an `extends` names, and the files those name, into `layers`.
    pub(super) fn load_extended(&self, layers: &mut Vec<Layer>) -> Result<(), Error> {
        let mut known: HashSet<PathBuf> = layers.iter().map(|l| l.path.clone()).collect();
        let mut i = 0;
        while i < layers.len() {
            let mut wanted = Vec::new();
            if let Some(list) = layers[i].services()? {
                for (key, node) in list.entries() {
                    let Some(ext) = node.get("extends") else {
                        continue;
                    };
                    let name = key.as_str().unwrap_or_default();
                    let t = self.target(&layers[i], name, ext)?;
                    if let Some(file) = t.file {
                        if known.insert(file.clone()) {
                            wanted.push((file, t.line));
                        }
                    }
                }
            }
            for (file, line) in wanted {
                self.count_file(&layers[i].path, line)?;
                let source = self.read_file(&file, &layers[i].path, line)?;
                let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
                layers.push(Layer::parse(&file, source, &dir)?);
            }
            i += 1;
        }
        Ok(())
    }

    /// The parts of service `name` as `layer` defines it, the services it extends first.
    pub(super) fn parts<'l>(
        &self,
        layers: &'l [Layer],
        layer: &'l Layer,
        name: &str,
        node: &'l Node,
        chain: &mut Vec<(PathBuf, String)>,
    ) -> Result<Vec<(&'l Layer, &'l Node)>, Error> {
        let Some(ext) = node.get("extends") else {
            return Ok(vec![(layer, node)]);
        };
        let t = self.target(layer, name, ext)?;
        let from = match &t.file {
            Some(f) => layers
                .iter()
                .find(|l| &l.path == f)
                .ok_or_else(|| Error::new(&layer.path, t.line, "an extended file was not read"))?,
            None => layer,
        };
        let key = (from.path.clone(), t.service.clone());
        if chain.contains(&key) || chain.len() >= MAX_CHAIN {
            return Err(Error::new(
                &layer.path,
                t.line,
                format!(
                    "service {}: `extends` leads back to itself or is more than {MAX_CHAIN} deep",
                    excerpt(name)
                ),
            ));
        }
        let base = from
            .services()?
            .and_then(|s| s.get(&t.service))
            .filter(|n| n.is_map())
            .ok_or_else(|| {
                Error::new(
                    &layer.path,
                    t.line,
                    format!(
                        "service {} extends {}, which {} does not define",
                        excerpt(name),
                        excerpt(&t.service),
                        from.path.file_name().unwrap_or_default().to_string_lossy()
                    ),
                )
            })?;
        chain.push(key);
        let mut parts = self.parts(layers, from, &t.service, base, chain)?;
        chain.pop();
        parts.push((layer, node));
        Ok(parts)
    }
}
