//! A bake file's blocks as written, in either syntax: variables with their defaults,
//! targets and groups with their attributes (a name defined twice keeps both, merged in
//! order), each attribute with its file and line. Nothing is evaluated here.

use std::collections::HashMap;
use std::path::Path;

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use hcl_edit::Span;

use crate::builds::yaml::Node;
use crate::builds::Error;

pub(super) enum Parsed {
    Hcl(Body),
    Json(Node),
}

/// An attribute's value, in either syntax.
#[derive(Clone, Copy)]
pub(super) enum Expr<'a> {
    Hcl(&'a Expression),
    Json(&'a Node),
}

#[derive(Clone, Copy)]
pub(super) struct Attr<'a> {
    pub file: usize,
    pub line: usize,
    pub expr: Expr<'a>,
}

/// One `target` or `group` block (a name may have several, merged in order).
pub(super) struct Def<'a> {
    pub file: usize,
    pub line: usize,
    pub attrs: Vec<(String, Attr<'a>)>,
}

pub(super) struct Model<'a> {
    pub paths: Vec<&'a Path>,
    pub sources: Vec<&'a str>,
    /// Variable name → its `default` (or a top-level attribute's value), the last wins.
    pub variables: HashMap<String, (Option<Attr<'a>>, bool)>,
    pub targets: Vec<(String, Vec<Def<'a>>)>,
    pub groups: Vec<(String, Vec<Def<'a>>)>,
    /// Name → position in `targets` and in `groups`: a file with many targets is looked up
    /// in constant time rather than by scanning.
    pub target_index: HashMap<String, usize>,
    pub group_index: HashMap<String, usize>,
    /// Each file's newline offsets, for [`Model::line`].
    pub newlines: Vec<Vec<usize>>,
}

fn block_name(labels: &[hcl_edit::structure::BlockLabel]) -> Option<String> {
    match labels {
        [one] => Some(one.as_str().to_string()),
        _ => None,
    }
}

impl<'a> Model<'a> {
    pub fn new(paths: Vec<&'a Path>, sources: Vec<&'a str>) -> Model<'a> {
        let newlines = sources
            .iter()
            .map(|s| {
                s.bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        Model {
            paths,
            sources,
            variables: HashMap::new(),
            targets: Vec::new(),
            groups: Vec::new(),
            target_index: HashMap::new(),
            group_index: HashMap::new(),
            newlines,
        }
    }

    /// The blocks of target `name` (none when there is no such target).
    pub fn target(&self, name: &str) -> &[Def<'a>] {
        self.target_index
            .get(name)
            .map_or(&[], |&i| self.targets[i].1.as_slice())
    }

    pub fn is_group(&self, name: &str) -> bool {
        self.group_index.contains_key(name)
    }

    /// The 1-based line of a byte offset in `file`, found in its index of line starts
    /// rather than by counting from the start of the file each time.
    pub fn line(&self, file: usize, offset: Option<usize>) -> usize {
        let Some(o) = offset else { return 1 };
        self.newlines[file].partition_point(|&n| n < o) + 1
    }

    pub fn add_hcl(&mut self, file: usize, body: &'a Body) -> Result<(), Error> {
        let path = self.paths[file];
        for attr in body.attributes() {
            let line = self.line(file, attr.span().map(|s| s.start));
            self.variables.insert(
                attr.key.value().as_str().to_string(),
                (
                    Some(Attr {
                        file,
                        line,
                        expr: Expr::Hcl(&attr.value),
                    }),
                    false,
                ),
            );
        }
        for block in body.blocks() {
            let kind = block.ident.value().as_str();
            let line = self.line(file, block.span().map(|s| s.start));
            let attrs: Vec<(String, Attr)> = block
                .body
                .attributes()
                .map(|a| {
                    let line = self.line(file, a.value.span().map(|s| s.start));
                    (
                        a.key.value().as_str().to_string(),
                        Attr {
                            file,
                            line,
                            expr: Expr::Hcl(&a.value),
                        },
                    )
                })
                .collect();
            self.add_block(path, file, line, kind, block_name(&block.labels), attrs)?;
        }
        Ok(())
    }

    pub fn add_json(&mut self, file: usize, doc: &'a Node) -> Result<(), Error> {
        let path = self.paths[file];
        if !doc.is_map() {
            return Err(Error::new(
                path,
                doc.line,
                "a bake JSON file must be an object",
            ));
        }
        for (k, v) in doc.entries() {
            let kind = k.as_str().unwrap_or_default();
            if !matches!(kind, "variable" | "target" | "group") {
                self.variables.insert(
                    kind.to_string(),
                    (
                        Some(Attr {
                            file,
                            line: v.line,
                            expr: Expr::Json(v),
                        }),
                        false,
                    ),
                );
                continue;
            }
            for (name, block) in v.entries() {
                let attrs = block
                    .entries()
                    .map(|(ak, av)| {
                        (
                            ak.as_str().unwrap_or_default().to_string(),
                            Attr {
                                file,
                                line: av.line,
                                expr: Expr::Json(av),
                            },
                        )
                    })
                    .collect();
                let name = name.as_str().map(str::to_string);
                self.add_block(path, file, block.line, kind, name, attrs)?;
            }
        }
        Ok(())
    }

    fn add_block(
        &mut self,
        path: &Path,
        file: usize,
        line: usize,
        kind: &str,
        name: Option<String>,
        attrs: Vec<(String, Attr<'a>)>,
    ) -> Result<(), Error> {
        let (list, index) = match kind {
            "variable" => {
                let name =
                    name.ok_or_else(|| Error::new(path, line, "a variable block needs one name"))?;
                let default = attrs.iter().find(|(k, _)| k == "default").map(|(_, a)| *a);
                self.variables.insert(name, (default, true));
                return Ok(());
            }
            "target" => (&mut self.targets, &mut self.target_index),
            "group" => (&mut self.groups, &mut self.group_index),
            // `function` blocks define functions; calling one is reported where it is called.
            _ => return Ok(()),
        };
        let name =
            name.ok_or_else(|| Error::new(path, line, format!("a {kind} block needs one name")))?;
        let def = Def { file, line, attrs };
        match index.get(&name) {
            Some(&i) => list[i].1.push(def),
            None => {
                index.insert(name.clone(), list.len());
                list.push((name, vec![def]));
            }
        }
        Ok(())
    }
}
