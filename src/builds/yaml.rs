//! A YAML document as a tree that remembers where each node is: the 1-based line and the
//! byte range of every scalar, so errors name a line and `rewrite` can replace a value in
//! place. Aliases are resolved and `<<` merge keys applied, as compose reads them, within a
//! budget: what aliases add to the tree is counted, so that a small file cannot expand
//! into a huge or very deep one ("billion laughs").

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use granit_parser::{Event, Parser, ScalarStyle};

/// One node and where it is written. For a node reached through an alias, the place is the
/// anchored node's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Node {
    pub value: Value,
    pub line: usize,
    /// Bytes of the scalar as written, quotes included.
    pub span: Range<usize>,
    pub style: Style,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// How a scalar is written; only a plain or quoted one on a single line can be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    Plain,
    Quoted,
    Block,
    Collection,
}

/// A YAML syntax error, or a document over a limit: line and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: String,
    /// The document is well formed but expands past a limit of this reader.
    pub over_limit: bool,
}

impl SyntaxError {
    fn new(line: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            line,
            message: message.into(),
            over_limit: false,
        }
    }

    /// The message for a file read as `format`: a limit is named as it is, anything else
    /// is invalid syntax.
    pub fn described(&self, format: &str) -> String {
        if self.over_limit {
            self.message.clone()
        } else {
            format!("invalid {format}: {}", self.message)
        }
    }

    fn limit(line: usize, message: String) -> SyntaxError {
        SyntaxError {
            line,
            message,
            over_limit: true,
        }
    }
}

/// Collections nested deeper than this, as written or through aliases, are refused rather
/// than recursed into.
pub const MAX_DEPTH: usize = 200;

/// Nodes that all the aliases of a document may add to it together. A compose file that
/// shares a few blocks between services uses well under a thousand.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// Bytes of scalar text that all the aliases of a document may add to it together.
pub const MAX_ALIAS_BYTES: usize = 16 << 20;

/// The first document of `source`; an empty file is an empty map.
pub fn parse(source: &str) -> Result<Node, SyntaxError> {
    let mut events = Vec::new();
    for next in Parser::new_from_str(source) {
        let (event, span) =
            next.map_err(|e| SyntaxError::new(e.marker().line().max(1), e.info()))?;
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        events.push((event, span.start.line().max(1), start..end));
    }
    let mut reader = Reader {
        events,
        pos: 0,
        anchors: HashMap::new(),
        nodes: 0,
        bytes: 0,
        alias_nodes: 0,
        alias_bytes: 0,
        deepest: 0,
    };
    reader.document()
}

/// An anchored node and what an alias to it adds: its nodes, its scalar bytes, and how
/// many levels it nests below itself.
struct Anchored {
    node: Node,
    nodes: usize,
    bytes: usize,
    height: usize,
}

struct Reader<'a> {
    events: Vec<(Event<'a>, usize, Range<usize>)>,
    pos: usize,
    anchors: HashMap<usize, Anchored>,
    /// Nodes and scalar bytes in the tree so far, aliased copies included.
    nodes: usize,
    bytes: usize,
    /// What aliases have added so far, against [`MAX_ALIAS_NODES`] and [`MAX_ALIAS_BYTES`].
    alias_nodes: usize,
    alias_bytes: usize,
    /// The deepest level reached in the node being read.
    deepest: usize,
}

impl Reader<'_> {
    fn document(&mut self) -> Result<Node, SyntaxError> {
        while self.pos < self.events.len() {
            match &self.events[self.pos].0 {
                Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(_) => return self.node(0),
                _ => self.pos += 1,
            }
        }
        Ok(Node {
            value: Value::Map(Vec::new()),
            line: 1,
            span: 0..0,
            style: Style::Collection,
        })
    }

    fn node(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        // What this node adds is measured so that an anchor on it knows its cost.
        let (nodes, bytes, deepest) = (self.nodes, self.bytes, self.deepest);
        self.deepest = depth;
        let (node, anchor) = self.node_inner(depth)?;
        let height = self.deepest - depth;
        self.deepest = self.deepest.max(deepest);
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    nodes: self.nodes - nodes,
                    bytes: self.bytes - bytes,
                    height,
                },
            );
        }
        Ok(node)
    }

    /// A node and its anchor id (0 for none).
    fn node_inner(&mut self, depth: usize) -> Result<(Node, usize), SyntaxError> {
        loop {
            let Some((event, line, span)) = self.events.get(self.pos) else {
                return Err(SyntaxError::new(
                    self.events.last().map_or(1, |e| e.1),
                    "unexpected end of the document",
                ));
            };
            let (line, span) = (*line, span.clone());
            if depth > MAX_DEPTH {
                return Err(too_deep(line));
            }
            match event {
                Event::Scalar(text, style, anchor, _) => {
                    let style = match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                        _ => Style::Block,
                    };
                    let node = Node {
                        value: Value::Scalar(text.to_string()),
                        line,
                        span,
                        style,
                    };
                    let anchor = *anchor;
                    self.pos += 1;
                    self.nodes += 1;
                    self.bytes += text.len();
                    return Ok((node, anchor));
                }
                Event::Alias(id) => {
                    let id = *id;
                    self.pos += 1;
                    return self.alias(id, depth, line).map(|n| (n, 0));
                }
                Event::SequenceStart(_, anchor, _) => {
                    let anchor = *anchor;
                    self.pos += 1;
                    let mut items = Vec::new();
                    while !matches!(self.peek(), Some(Event::SequenceEnd)) {
                        self.skip_meta();
                        if matches!(self.peek(), Some(Event::SequenceEnd)) {
                            break;
                        }
                        items.push(self.node(depth + 1)?);
                    }
                    self.pos += 1;
                    self.nodes += 1;
                    return Ok((self.collection(Value::Seq(items), line, span), anchor));
                }
                Event::MappingStart(_, anchor, _) => {
                    let anchor = *anchor;
                    self.pos += 1;
                    let mut entries: Vec<(Node, Node)> = Vec::new();
                    let mut merged = Merged::default();
                    loop {
                        self.skip_meta();
                        if matches!(self.peek(), Some(Event::MappingEnd) | None) {
                            break;
                        }
                        let key = self.node(depth + 1)?;
                        self.skip_meta();
                        let value = self.node(depth + 1)?;
                        if key.style == Style::Plain && key.as_str() == Some("<<") {
                            merge_into(&mut merged, value, key.line)?;
                        } else {
                            entries.push((key, value));
                        }
                    }
                    self.pos += 1;
                    self.nodes += 1;
                    // `<<` supplies only the keys the mapping does not set itself. The
                    // keys are looked up in a set: a merge is linear in its entries.
                    let own: HashSet<&Value> = entries.iter().map(|(k, _)| &k.value).collect();
                    let extra: Vec<(Node, Node)> = merged
                        .entries
                        .into_iter()
                        .filter(|(k, _)| !own.contains(&k.value))
                        .collect();
                    entries.extend(extra);
                    return Ok((self.collection(Value::Map(entries), line, span), anchor));
                }
                _ => self.pos += 1,
            }
        }
    }

    fn collection(&self, value: Value, line: usize, span: Range<usize>) -> Node {
        Node {
            value,
            line,
            span,
            style: Style::Collection,
        }
    }

    fn peek(&self) -> Option<&Event<'_>> {
        self.events.get(self.pos).map(|e| &e.0)
    }

    /// Skip events that are not nodes (comments, anchor metadata).
    fn skip_meta(&mut self) {
        while let Some(e) = self.peek() {
            match e {
                Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(_)
                | Event::SequenceEnd
                | Event::MappingEnd => return,
                _ => self.pos += 1,
            }
        }
    }

    /// A copy of the anchored node, when the aliases so far and this one stay within the
    /// budget and the copy, placed at `depth`, within [`MAX_DEPTH`].
    fn alias(&mut self, id: usize, depth: usize, line: usize) -> Result<Node, SyntaxError> {
        let Some(a) = self.anchors.get(&id) else {
            return Err(SyntaxError::new(line, "alias names no anchor"));
        };
        if depth + a.height > MAX_DEPTH {
            return Err(too_deep(line));
        }
        self.alias_nodes = self.alias_nodes.saturating_add(a.nodes);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(SyntaxError::limit(
                line,
                format!("YAML aliases expand to more than {MAX_ALIAS_NODES} nodes"),
            ));
        }
        self.alias_bytes = self.alias_bytes.saturating_add(a.bytes);
        if self.alias_bytes > MAX_ALIAS_BYTES {
            return Err(SyntaxError::limit(
                line,
                format!(
                    "YAML aliases expand to more than {} MiB of text",
                    MAX_ALIAS_BYTES >> 20
                ),
            ));
        }
        self.nodes += a.nodes;
        self.bytes += a.bytes;
        self.deepest = self.deepest.max(depth + a.height);
        Ok(a.node.clone())
    }
}

fn too_deep(line: usize) -> SyntaxError {
    SyntaxError::limit(
        line,
        format!("YAML nested more than {MAX_DEPTH} levels deep"),
    )
}

/// The entries `<<` merge keys supply to a mapping, with their keys in a set.
#[derive(Default)]
struct Merged {
    entries: Vec<(Node, Node)>,
    keys: HashSet<Value>,
}

/// `<<: *a` or `<<: [*a, *b]`: earlier maps win over later ones.
fn merge_into(merged: &mut Merged, value: Node, line: usize) -> Result<(), SyntaxError> {
    let bad = || {
        SyntaxError::new(
            line,
            "a `<<` merge key needs a mapping or a list of mappings",
        )
    };
    let maps = match value.value {
        Value::Map(_) => vec![value],
        Value::Seq(items) => items,
        Value::Scalar(_) => return Err(bad()),
    };
    for map in maps {
        let Value::Map(entries) = map.value else {
            return Err(bad());
        };
        for (k, v) in entries {
            if merged.keys.insert(k.value.clone()) {
                merged.entries.push((k, v));
            }
        }
    }
    Ok(())
}

impl Node {
    /// The text of a scalar (a quoted empty string is `Some("")`, as is plain `null`).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// A plain `null`, `~` or nothing at all.
    pub fn is_null(&self) -> bool {
        self.style == Style::Plain
            && matches!(self.as_str(), Some("" | "~" | "null" | "Null" | "NULL"))
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// A mapping's entries (none for a scalar or a list).
    pub fn entries(&self) -> impl Iterator<Item = (&Node, &Node)> {
        let entries: &[(Node, Node)] = match &self.value {
            Value::Map(e) => e,
            _ => &[],
        };
        entries.iter().map(|(k, v)| (k, v))
    }

    /// A list's items (none for a scalar or a mapping).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    /// The bytes of the scalar's text without its quotes, when it is written on one line in
    /// a form where replacing those bytes replaces the value (no escapes in it).
    pub fn text_span(&self, source: &str) -> Option<Range<usize>> {
        let text = self.as_str()?;
        let written = source.get(self.span.clone())?;
        match self.style {
            Style::Plain if written == text => Some(self.span.clone()),
            Style::Quoted => {
                let inner = written.get(1..written.len().checked_sub(1)?)?;
                (inner == text).then(|| self.span.start + 1..self.span.end - 1)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
