//! A YAML document as a tree that remembers where each node is: the 1-based line and the
//! byte range of every scalar, so errors name a line and `rewrite` can replace a value in
//! place. Aliases are resolved and `<<` merge keys applied, as compose reads them.

use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, Parser, ScalarStyle};

/// One node and where it is written. For a node reached through an alias, the place is the
/// anchored node's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub value: Value,
    pub line: usize,
    /// Bytes of the scalar as written, quotes included.
    pub span: Range<usize>,
    pub style: Style,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// How a scalar is written; only a plain or quoted one on a single line can be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
    Collection,
}

/// A YAML syntax error: line and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: String,
}

/// Maps nested deeper than this are refused rather than recursed into.
const MAX_DEPTH: usize = 200;

/// The first document of `source`; an empty file is an empty map.
pub fn parse(source: &str) -> Result<Node, SyntaxError> {
    let mut events = Vec::new();
    for next in Parser::new_from_str(source) {
        let (event, span) = next.map_err(|e| SyntaxError {
            line: e.marker().line().max(1),
            message: e.info(),
        })?;
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        events.push((event, span.start.line().max(1), start..end));
    }
    let mut reader = Reader {
        events,
        pos: 0,
        anchors: HashMap::new(),
    };
    reader.document()
}

struct Reader<'a> {
    events: Vec<(Event<'a>, usize, Range<usize>)>,
    pos: usize,
    anchors: HashMap<usize, Node>,
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
        loop {
            let Some((event, line, span)) = self.events.get(self.pos) else {
                return Err(SyntaxError {
                    line: self.events.last().map_or(1, |e| e.1),
                    message: "unexpected end of the document".into(),
                });
            };
            let (line, span) = (*line, span.clone());
            if depth > MAX_DEPTH {
                return Err(SyntaxError {
                    line,
                    message: format!("nested more than {MAX_DEPTH} levels deep"),
                });
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
                    return Ok(self.anchor(anchor, node));
                }
                Event::Alias(id) => {
                    let id = *id;
                    self.pos += 1;
                    return self.anchors.get(&id).cloned().ok_or(SyntaxError {
                        line,
                        message: "alias names no anchor".into(),
                    });
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
                    let node = self.collection(Value::Seq(items), line, span);
                    return Ok(self.anchor(anchor, node));
                }
                Event::MappingStart(_, anchor, _) => {
                    let anchor = *anchor;
                    self.pos += 1;
                    let mut entries: Vec<(Node, Node)> = Vec::new();
                    let mut merged: Vec<(Node, Node)> = Vec::new();
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
                    // `<<` supplies only the keys the mapping does not set itself.
                    for (k, v) in merged {
                        if !entries.iter().any(|(e, _)| e.value == k.value) {
                            entries.push((k, v));
                        }
                    }
                    let node = self.collection(Value::Map(entries), line, span);
                    return Ok(self.anchor(anchor, node));
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

    fn anchor(&mut self, id: usize, node: Node) -> Node {
        if id != 0 {
            self.anchors.insert(id, node.clone());
        }
        node
    }
}

/// `<<: *a` or `<<: [*a, *b]`: earlier maps win over later ones.
fn merge_into(merged: &mut Vec<(Node, Node)>, value: Node, line: usize) -> Result<(), SyntaxError> {
    let maps = match value.value {
        Value::Map(_) => vec![value],
        Value::Seq(items) => items,
        Value::Scalar(_) => {
            return Err(SyntaxError {
                line,
                message: "a `<<` merge key needs a mapping or a list of mappings".into(),
            })
        }
    };
    for map in maps {
        let Value::Map(entries) = map.value else {
            return Err(SyntaxError {
                line,
                message: "a `<<` merge key needs a mapping or a list of mappings".into(),
            });
        };
        for (k, v) in entries {
            if !merged.iter().any(|(e, _)| e.value == k.value) {
                merged.push((k, v));
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
mod tests {
    use super::*;

    #[test]
    fn scalars_keep_their_line_and_span() {
        let src = "services:\n  web:\n    image: nginx:1.25\n  db:\n    image: \"postgres:16\"\n";
        let doc = parse(src).unwrap();
        let web = doc.get("services").unwrap().get("web").unwrap();
        let image = web.get("image").unwrap();
        assert_eq!(image.as_str(), Some("nginx:1.25"));
        assert_eq!(image.line, 3);
        assert_eq!(&src[image.text_span(src).unwrap()], "nginx:1.25");
        let db = doc
            .get("services")
            .unwrap()
            .get("db")
            .unwrap()
            .get("image")
            .unwrap();
        assert_eq!(db.line, 5);
        assert_eq!(&src[db.text_span(src).unwrap()], "postgres:16");
    }

    #[test]
    fn an_escape_in_a_quoted_value_has_no_replaceable_span() {
        let src = "a: \"x\\ty\"\nb: 'it''s'\n";
        let doc = parse(src).unwrap();
        assert_eq!(doc.get("a").unwrap().text_span(src), None);
        assert_eq!(doc.get("b").unwrap().text_span(src), None);
    }

    #[test]
    fn aliases_and_merge_keys_resolve() {
        let src =
            "x-base: &base\n  image: alpine:3\n  user: root\nweb:\n  <<: *base\n  user: app\n";
        let doc = parse(src).unwrap();
        let web = doc.get("web").unwrap();
        assert_eq!(web.get("image").unwrap().as_str(), Some("alpine:3"));
        assert_eq!(web.get("image").unwrap().line, 2);
        assert_eq!(web.get("user").unwrap().as_str(), Some("app"));
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let err = parse("a: b\nc: [d\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
    }

    #[test]
    fn utf8_before_a_value_keeps_byte_spans() {
        let src = "# café\nimage: alpine\n";
        let doc = parse(src).unwrap();
        let span = doc.get("image").unwrap().text_span(src).unwrap();
        assert_eq!(&src[span], "alpine");
    }

    #[test]
    fn json_is_read_too() {
        let src = "{\n  \"target\": {\n    \"a\": {\"dockerfile\": \"x\"}\n  }\n}\n";
        let doc = parse(src).unwrap();
        let d = doc
            .get("target")
            .unwrap()
            .get("a")
            .unwrap()
            .get("dockerfile")
            .unwrap();
        assert_eq!((d.as_str(), d.line), (Some("x"), 3));
    }
}
