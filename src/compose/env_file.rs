//! A service's `env_file`, read as compose-go reads it: each file must exist and parse
//! unless it says `required: false`. The values only set the container's environment, so
//! nothing in them is locked, but a project compose refuses is refused here too. Files
//! are read only inside the tree, within the small-file limit.

use super::extends::Layer;
use super::{clean, dotenv, Reader, Service};
use crate::boundary;
use crate::builds::yaml::Node;
use crate::builds::{excerpt, Error};

impl Reader<'_> {
    /// Check every `env_file` of service `s`.
    pub(super) fn env_files(&self, s: &Service) -> Result<(), Error> {
        let what = format!("service {}: env_file", excerpt(&s.name));
        for &(layer, node) in &s.parts {
            let Some(list) = node.get("env_file").filter(|n| !n.is_null()) else {
                continue;
            };
            let entries: Vec<&Node> = if list.is_seq() {
                list.items().iter().collect()
            } else {
                vec![list]
            };
            for entry in entries {
                self.env_file(layer, entry, &what)?;
            }
        }
        Ok(())
    }

    fn env_file(&self, layer: &Layer, entry: &Node, what: &str) -> Result<(), Error> {
        let (path, required, raw) = if entry.is_map() {
            let path = entry.get("path").ok_or_else(|| {
                Error::new(&layer.path, entry.line, format!("{what} has no path"))
            })?;
            let required = match entry.get("required").and_then(Node::as_str) {
                None => true,
                Some("true") => true,
                Some("false") => false,
                Some(other) => {
                    return Err(Error::new(
                        &layer.path,
                        entry.line,
                        format!(
                            "{what}: required must be true or false, not {}",
                            excerpt(other)
                        ),
                    ))
                }
            };
            let raw = entry.get("format").and_then(Node::as_str) == Some("raw");
            (self.text(layer, path, what)?, required, raw)
        } else {
            (self.text(layer, entry, what)?, true, false)
        };
        let file = clean(&layer.dir.join(&path));
        let Some(root) = &self.shared.root else {
            return Ok(());
        };
        let text = match boundary::read_text_inside(&file, root, boundary::SMALL_LIMIT) {
            Ok(text) => text,
            Err(e) if e.is_not_found() && !required => return Ok(()),
            Err(e) if e.is_not_found() => {
                return Err(Error::new(
                    &layer.path,
                    entry.line,
                    format!("{what}: {} is not found", excerpt(&path)),
                )
                .with_help(
                    "create it, or mark it optional: `- path: FILE` with `required: false`",
                ))
            }
            Err(e) => return Err(super::boundary_error(&file, &e)),
        };
        if !raw {
            dotenv::parse(&text, &|n| self.env.get(n).map(str::to_string))
                .map_err(|(line, m)| Error::new(&file, line, m))?;
        }
        Ok(())
    }
}
