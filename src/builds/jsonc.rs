//! JSON with comments ("JSONC", as `devcontainer.json` is written): `//` and `/* */`
//! comments and trailing commas, read into the same tree [`super::yaml`] gives, so that
//! every string keeps its line and byte span and `rewrite` can replace it in place.
//!
//! A small recursive reader with a depth limit: nesting past [`yaml::MAX_DEPTH`] levels is
//! refused where it starts, so a file of a million `[` fails at once rather than
//! overflowing the stack. A repeated key keeps its last value, as JSON readers do.

use super::yaml::{self, Node, Style, SyntaxError, Value};

/// Read `source` (one JSON value, comments and trailing commas allowed).
pub fn parse(source: &str) -> Result<Node, SyntaxError> {
    let mut r = Reader {
        src: source.as_bytes(),
        pos: 0,
        line: 1,
    };
    // A byte order mark is not part of the document.
    if source.starts_with('\u{feff}') {
        r.pos = 3;
    }
    r.skip()?;
    if r.pos >= r.src.len() {
        return Err(r.error("the file holds no JSON value"));
    }
    let node = r.value(0)?;
    r.skip()?;
    if r.pos < r.src.len() {
        return Err(r.error("unexpected text after the JSON value"));
    }
    Ok(node)
}

struct Reader<'a> {
    src: &'a [u8],
    pos: usize,
    line: usize,
}

impl Reader<'_> {
    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            line: self.line,
            message: message.into(),
            over_limit: false,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// Skip whitespace and comments.
    fn skip(&mut self) -> Result<(), SyntaxError> {
        while let Some(c) = self.peek() {
            match c {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'/' if self.src.get(self.pos + 1) == Some(&b'/') => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b'/' if self.src.get(self.pos + 1) == Some(&b'*') => {
                    let start = self.line;
                    self.pos += 2;
                    loop {
                        match self.peek() {
                            None => {
                                self.line = start;
                                return Err(self.error("a `/*` comment is never closed"));
                            }
                            Some(b'*') if self.src.get(self.pos + 1) == Some(&b'/') => {
                                self.pos += 2;
                                break;
                            }
                            Some(b'\n') => {
                                self.line += 1;
                                self.pos += 1;
                            }
                            Some(_) => self.pos += 1,
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth > yaml::MAX_DEPTH {
            return Err(SyntaxError {
                line: self.line,
                message: format!("JSON nested more than {} levels deep", yaml::MAX_DEPTH),
                over_limit: true,
            });
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string(),
            Some(c) if c == b'-' || c.is_ascii_digit() => self.number(),
            Some(b't' | b'f' | b'n') => self.literal(),
            Some(_) => Err(self.error(format!("unexpected {}", self.shown()))),
            None => Err(self.error("unexpected end of the file")),
        }
    }

    /// The character at the reading position, for messages.
    fn shown(&self) -> String {
        let rest = String::from_utf8_lossy(&self.src[self.pos..self.src.len().min(self.pos + 4)]);
        format!("{:?}", rest.chars().next().unwrap_or(' '))
    }

    fn object(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let (line, start) = (self.line, self.pos);
        self.pos += 1;
        let mut entries: Vec<(Node, Node)> = Vec::new();
        loop {
            self.skip()?;
            if self.peek() == Some(b'}') {
                self.pos += 1;
                break;
            }
            if self.peek() != Some(b'"') {
                return Err(self.error(match self.peek() {
                    None => "an object is never closed".to_string(),
                    Some(_) => format!("expected a quoted key, found {}", self.shown()),
                }));
            }
            let key = self.string()?;
            self.skip()?;
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after the key"));
            }
            self.pos += 1;
            self.skip()?;
            let value = self.value(depth + 1)?;
            match entries.iter_mut().find(|(k, _)| k.value == key.value) {
                Some(entry) => *entry = (key, value),
                None => entries.push((key, value)),
            }
            self.skip()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                None => return Err(self.error("an object is never closed")),
                Some(_) => {
                    return Err(self.error(format!("expected `,` or `}}`, found {}", self.shown())))
                }
            }
        }
        Ok(collection(Value::Map(entries), line, start..self.pos))
    }

    fn array(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let (line, start) = (self.line, self.pos);
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip()?;
            if self.peek() == Some(b']') {
                self.pos += 1;
                break;
            }
            items.push(self.value(depth + 1)?);
            self.skip()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {}
                None => return Err(self.error("a list is never closed")),
                Some(_) => {
                    return Err(self.error(format!("expected `,` or `]`, found {}", self.shown())))
                }
            }
        }
        Ok(collection(Value::Seq(items), line, start..self.pos))
    }

    fn string(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        let mut text: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("a string is never closed"));
            };
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error("a string is never closed"));
                    };
                    self.pos += 1;
                    let decoded = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode()?,
                        _ => return Err(self.error("invalid escape in a string")),
                    };
                    let mut buf = [0; 4];
                    text.extend_from_slice(decoded.encode_utf8(&mut buf).as_bytes());
                }
                b'\n' => return Err(self.error("a string must be closed on the line it starts")),
                c if c < 0x20 => {
                    return Err(self.error("a control character in a string must be escaped"))
                }
                c => text.push(c),
            }
        }
        let text =
            String::from_utf8(text).map_err(|_| self.error("a string is not valid UTF-8"))?;
        Ok(Node {
            value: Value::Scalar(text),
            line: self.line,
            span: start..self.pos,
            style: Style::Quoted,
        })
    }

    /// The character of a `\uXXXX` escape (a surrogate pair takes two).
    fn unicode(&mut self) -> Result<char, SyntaxError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if self.src.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return Err(self.error("a \\u escape names half a character"));
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("a \\u escape names half a character"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("a \\u escape names no character"))
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let digits = self
            .src
            .get(self.pos..self.pos + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("a \\u escape needs four hex digits"))?;
        self.pos += 4;
        Ok(digits)
    }

    fn number(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || b"+-.eE".contains(&c))
        {
            self.pos += 1;
        }
        let text = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
        if serde_json::from_str::<serde_json::Number>(&text).is_err() {
            return Err(self.error(format!("invalid number {text:?}")));
        }
        Ok(self.scalar(text, start))
    }

    fn literal(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        for word in ["true", "false", "null"] {
            if self.src[start..].starts_with(word.as_bytes()) {
                self.pos += word.len();
                return Ok(self.scalar(word.to_string(), start));
            }
        }
        Err(self.error(format!("unexpected {}", self.shown())))
    }

    fn scalar(&self, text: String, start: usize) -> Node {
        Node {
            value: Value::Scalar(text),
            line: self.line,
            span: start..self.pos,
            style: Style::Plain,
        }
    }
}

fn collection(value: Value, line: usize, span: std::ops::Range<usize>) -> Node {
    Node {
        value,
        line,
        span,
        style: Style::Collection,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_trailing_commas_keep_spans() {
        let src = "// top\n{\n  /* a\n  b */ \"image\": \"alpine:3.20\", // why\n  \"build\": {\"args\": {\"A\": \"1\",},},\n}\n";
        let doc = parse(src).unwrap();
        let image = doc.get("image").unwrap();
        assert_eq!(image.line, 4);
        assert_eq!(&src[image.text_span(src).unwrap()], "alpine:3.20");
        let a = doc.get("build").unwrap().get("args").unwrap().get("A");
        assert_eq!(a.unwrap().as_str(), Some("1"));
    }

    #[test]
    fn escapes_decode_and_are_not_replaceable() {
        let src = "{\"a\": \"x\\/y\\u00e9\\ud83d\\ude00\", \"a\": \"last\", \"n\": -1.5e3, \"t\": [true, null]}";
        let doc = parse(src).unwrap();
        assert_eq!(doc.get("a").unwrap().as_str(), Some("last"));
        let first = parse("{\"a\": \"x\\/y\\u00e9\\ud83d\\ude00\"}").unwrap();
        let a = first.get("a").unwrap();
        assert_eq!(a.as_str(), Some("x/yé😀"));
        assert_eq!(a.text_span("{\"a\": \"x\\/y\\u00e9\\ud83d\\ude00\"}"), None);
        assert!(doc.get("t").unwrap().items()[1].is_null());
    }

    #[test]
    fn bad_input_names_its_line() {
        for (src, line, says) in [
            ("{\n\"a\": 1 /* open\n\n", 2, "never closed"),
            ("{\n\"a\": \"b\n\"}", 2, "closed on the line"),
            ("{\n\"a\" 1}", 2, "expected `:`"),
            ("{\"a\": 1}\n}", 2, "after the JSON value"),
            ("", 1, "no JSON value"),
            ("{'a': 1}", 1, "quoted key"),
            ("[01x]", 1, "invalid number"),
            ("{\"a\": [1, 2", 1, "never closed"),
            ("{\"a\": \"\\q\"}", 1, "invalid escape"),
        ] {
            let e = parse(src).unwrap_err();
            assert_eq!(e.line, line, "{src:?}: {e:?}");
            assert!(e.message.contains(says), "{src:?}: {e:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_at_once() {
        let src = "[".repeat(1 << 20);
        let started = std::time::Instant::now();
        let e = parse(&src).unwrap_err();
        assert!(e.over_limit && e.message.contains("nested"), "{e:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(&ok).is_ok());
    }
}
