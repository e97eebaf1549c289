//! A service's `build:`, as compose reads it: the context (from the directory of the file
//! that set it), the Dockerfile or `dockerfile_inline`, `args` (a name without a value
//! taken from the environment), `target`, `platforms` (or the service's `platform`), and
//! `additional_contexts`, with the images their `docker-image://` values name.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::extends::Layer;
use super::{clean, excerpt, Reader, Service};
use crate::builds::yaml::Node;
use crate::builds::{Build, DockerfileSource, Error, ImageKind, NamedContext, Warning};

impl Reader<'_> {
    pub(super) fn build(
        &mut self,
        s: &Service,
        builds: &[(&Layer, &Node)],
        platform: Option<(&Layer, &Node)>,
    ) -> Result<(), Error> {
        let (first_layer, first) = builds[0];
        // Relative paths start from the directory of the file that wrote the context.
        let mut context_base = first_layer.dir.clone();
        let mut context = None;
        let mut dockerfile = None;
        let mut inline = None;
        let mut target = None;
        let mut platforms: Option<Vec<String>> = None;
        let mut args = BTreeMap::new();
        let mut contexts: Vec<NamedContext> = Vec::new();
        // For each context in `contexts`, the index of the image it added, if any; a name
        // written again replaces the earlier one (see `keep_last_contexts`).
        let mut context_images: Vec<Option<usize>> = Vec::new();
        let first_image = self.project.images.len();
        let what = |k: &str| format!("service {}: build.{k}", excerpt(&s.name));
        for &(layer, b) in builds {
            if b.as_str().is_some() {
                context = Some(self.text(layer, b, &what("context"))?);
                context_base = layer.dir.clone();
                continue;
            }
            if b.get("context").is_some_and(|c| !c.is_null()) {
                context_base = layer.dir.clone();
            }
            if !b.is_map() {
                return Err(Error::new(
                    &layer.path,
                    b.line,
                    format!(
                        "service {}: build must be a path or a mapping",
                        excerpt(&s.name)
                    ),
                ));
            }
            for (key, slot) in [
                ("context", &mut context),
                ("dockerfile", &mut dockerfile),
                ("dockerfile_inline", &mut inline),
                ("target", &mut target),
            ] {
                if let Some(v) = b.get(key).filter(|v| !v.is_null()) {
                    *slot = Some(self.text(layer, v, &what(key))?);
                }
            }
            if let Some(list) = b.get("platforms").filter(|v| !v.is_null()) {
                let mut all = Vec::new();
                for p in list.items() {
                    all.push(self.text(layer, p, &what("platforms"))?);
                }
                platforms = Some(all);
            }
            if let Some(a) = b.get("args") {
                for (k, v, _) in self.pairs(layer, a, &what("args"))? {
                    match v {
                        Some(v) => {
                            args.insert(k, v);
                        }
                        None => match self.lookup(&k) {
                            Some(v) => {
                                args.insert(k, v);
                            }
                            None => {
                                args.remove(&k);
                            }
                        },
                    }
                }
            }
            if let Some(c) = b.get("additional_contexts") {
                for (name, value, node) in self.pairs(layer, c, &what("additional_contexts"))? {
                    let Some(value) = value else {
                        return Err(Error::new(
                            &layer.path,
                            node.line,
                            format!(
                                "{}: context {} has no value",
                                what("additional_contexts"),
                                excerpt(&name)
                            ),
                        ));
                    };
                    let images = self.project.images.len();
                    if let Some(reference) = value.strip_prefix("docker-image://") {
                        let prefix = match node.as_str() {
                            Some(raw)
                                if b.get("additional_contexts").is_some_and(|c| c.is_seq()) =>
                            {
                                raw.find('=').map_or(0, |i| i + 1) + "docker-image://".len()
                            }
                            _ => "docker-image://".len(),
                        };
                        let raw_ok = node
                            .as_str()
                            .is_some_and(|r| r.len() >= prefix && r.is_char_boundary(prefix));
                        if raw_ok {
                            self.image(
                                &s.name,
                                ImageKind::Context(name.clone()),
                                layer,
                                node,
                                reference.to_string(),
                                prefix,
                            )?;
                        }
                    }
                    context_images.push((self.project.images.len() > images).then_some(images));
                    contexts.push(NamedContext { name, value });
                }
            }
        }
        self.keep_last_contexts(&mut contexts, &context_images, first_image);
        if let (Some(_), Some(_)) = (&dockerfile, &inline) {
            return Err(Error::new(
                &first_layer.path,
                first.line,
                format!(
                    "service {}: build has both dockerfile and dockerfile_inline",
                    excerpt(&s.name)
                ),
            ));
        }
        let context = context.unwrap_or_else(|| ".".into());
        if is_remote(&context) {
            self.project.warnings.push(Warning {
                path: first_layer.path.to_path_buf(),
                line: first.line,
                message: format!(
                    "service {} builds from a remote context ({}); its Dockerfile is not locked",
                    excerpt(&s.name),
                    excerpt(&context)
                ),
            });
            return Ok(());
        }
        let context_dir = clean(&context_base.join(&context));
        let dockerfile = match inline {
            Some(text) => DockerfileSource::Inline(text),
            None => DockerfileSource::Path(clean(
                &context_dir.join(dockerfile.as_deref().unwrap_or("Dockerfile")),
            )),
        };
        let platforms = match (platforms, platform) {
            (Some(p), _) => p,
            (None, Some((layer, node))) => {
                let platform = self.text(
                    layer,
                    node,
                    &format!("service {}: platform", excerpt(&s.name)),
                )?;
                // `platform: ${DOCKER_PLATFORM:-}` left empty means no platform, as compose
                // reads it.
                if platform.is_empty() {
                    Vec::new()
                } else {
                    vec![platform]
                }
            }
            (None, None) => Vec::new(),
        };
        self.project.builds.push(Build {
            owner: s.name.clone(),
            path: first_layer.path.to_path_buf(),
            line: first.line,
            dockerfile,
            context: context_dir,
            build_args: args,
            target,
            platforms,
            contexts,
        });
        Ok(())
    }

    /// Of contexts written more than once, keep the last, in its place, and only the image
    /// it added: one pass, however many contexts there are.
    fn keep_last_contexts(
        &mut self,
        contexts: &mut Vec<NamedContext>,
        images: &[Option<usize>],
        first_image: usize,
    ) {
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, c) in contexts.iter().enumerate() {
            last.insert(c.name.as_str(), i);
        }
        let keep: Vec<bool> = (0..contexts.len())
            .map(|i| last[contexts[i].name.as_str()] == i)
            .collect();
        let kept: HashSet<usize> = images
            .iter()
            .zip(&keep)
            .filter_map(|(image, k)| image.filter(|_| *k))
            .collect();
        let mut i = 0;
        self.project.images.retain(|_| {
            i += 1;
            i - 1 < first_image || kept.contains(&(i - 1))
        });
        let mut i = 0;
        contexts.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }

    /// A mapping or a `KEY=VALUE` list, interpolated: (key, value or None, value node).
    fn pairs<'n>(&self, layer: &Layer, node: &'n Node, what: &str) -> Result<Vec<Pair<'n>>, Error> {
        let mut out = Vec::new();
        if node.is_null() {
            return Ok(out);
        }
        if node.is_map() {
            for (k, v) in node.entries() {
                let key = k.as_str().unwrap_or_default().to_string();
                let value = if v.is_null() {
                    None
                } else {
                    Some(self.text(layer, v, what)?)
                };
                out.push((key, value, v));
            }
        } else if node.is_seq() {
            for item in node.items() {
                let entry = self.text(layer, item, what)?;
                match entry.split_once('=') {
                    Some((k, v)) => out.push((k.to_string(), Some(v.to_string()), item)),
                    None => out.push((entry, None, item)),
                }
            }
        } else {
            return Err(Error::new(
                &layer.path,
                node.line,
                format!("{what} must be a mapping or a list of KEY=VALUE"),
            ));
        }
        Ok(out)
    }
}

/// A key, its interpolated value (none when written without one) and the value's node.
type Pair<'n> = (String, Option<String>, &'n Node);

/// A context compose hands to BuildKit as a URL rather than a directory.
fn is_remote(context: &str) -> bool {
    context.contains("://") || context.starts_with("git@") || context.starts_with("github.com/")
}
