//! Parser directives at the very top of a Dockerfile (`# syntax=`, `# escape=`,
//! `# check=`), as BuildKit's `DirectiveParser` reads them: keys case-insensitive, each at
//! most once, and directive processing ends at the first line that is not one (a blank
//! line, an ordinary comment, an unknown key, or an instruction).

use std::ops::Range;

use super::Error;

/// A parser directive (`# syntax=…`, `# escape=…`, `# check=…`) from the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased name.
    pub name: String,
    pub value: String,
    pub line: usize,
    /// Byte range of the value in the source.
    pub span: Range<usize>,
}

/// The directive state while the lexer reads the top of the file.
#[derive(Debug)]
pub(crate) struct Directives {
    pub found: Vec<Directive>,
    pub escape: u8,
    done: bool,
}

impl Default for Directives {
    fn default() -> Self {
        Directives {
            found: Vec::new(),
            escape: b'\\',
            done: false,
        }
    }
}

impl Directives {
    /// Look at one left-trimmed physical line `t` (starting at `t_start` in the source).
    pub fn line(&mut self, no: usize, t: &[u8], t_start: usize) -> Result<(), Error> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) =
            directive(t).filter(|(n, _)| matches!(n.as_str(), "syntax" | "escape" | "check"))
        else {
            self.done = true;
            return Ok(());
        };
        let error = |message: String| Error {
            line: no,
            message,
            help: None,
        };
        if self.found.iter().any(|d| d.name == name) {
            return Err(error(format!(
                "only one {name} parser directive can be used"
            )));
        }
        let v = String::from_utf8_lossy(&t[value.clone()]).into_owned();
        if name == "escape" {
            self.escape = match v.as_str() {
                "\\" => b'\\',
                "`" => b'`',
                _ => {
                    return Err(error(format!(
                        "invalid escape token '{v}' does not match ` or \\"
                    )))
                }
            };
        }
        self.found.push(Directive {
            name,
            value: v,
            line: no,
            span: t_start + value.start..t_start + value.end,
        });
        Ok(())
    }
}

/// The frontend image, found as BuildKit's `DetectSyntax` finds it (it picks the frontend
/// before any parsing): after a byte order mark and a `#!` first line, the `# syntax=`
/// among the directive lines at the very top (`#` in the first column), its value cut at
/// the first space (`# syntax=docker/dockerfile:1.7 # pinned`).
pub(crate) fn detect_syntax(src: &[u8]) -> Option<Directive> {
    let mut pos = if src.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let mut no = 0;
    if src[pos..].starts_with(b"#!") {
        pos = src[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(src.len(), |i| pos + i + 1);
        no += 1;
    }
    let mut seen: Vec<String> = Vec::new();
    while pos < src.len() {
        no += 1;
        let end = src[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(src.len(), |i| pos + i);
        let mut line = &src[pos..end];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        let (name, value) = directive(line)?;
        if !matches!(name.as_str(), "syntax" | "escape" | "check") || seen.contains(&name) {
            return None;
        }
        if name == "syntax" {
            let v = &line[value.clone()];
            let cut = v.iter().position(|&b| b == b' ').unwrap_or(v.len());
            return Some(Directive {
                name,
                value: String::from_utf8_lossy(&v[..cut]).into_owned(),
                line: no,
                span: pos + value.start..pos + value.start + cut,
            });
        }
        seen.push(name);
        pos = end + 1;
    }
    None
}

/// Match BuildKit's directive pattern `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` on a
/// left-trimmed line; returns the name and the value's range within `t`.
fn directive(t: &[u8]) -> Option<(String, Range<usize>)> {
    let ws = |b: u8| matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ');
    let mut i = 1;
    if t.first() != Some(&b'#') {
        return None;
    }
    while i < t.len() && ws(t[i]) {
        i += 1;
    }
    let name_start = i;
    if !t.get(i).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    while i < t.len() && t[i].is_ascii_alphanumeric() {
        i += 1;
    }
    let name = String::from_utf8_lossy(&t[name_start..i]).to_ascii_lowercase();
    while i < t.len() && ws(t[i]) {
        i += 1;
    }
    if t.get(i) != Some(&b'=') {
        return None;
    }
    i += 1;
    while i < t.len() && ws(t[i]) {
        i += 1;
    }
    let mut end = t.len();
    while end > i && ws(t[end - 1]) {
        end -= 1;
    }
    (end > i).then_some((name, i..end))
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;

    /// Regression: a `#!` first line hid the `# syntax=` after it, and a comment after
    /// the value made it an invalid image.
    #[test]
    fn syntax_is_detected_as_buildkit_detects_it() {
        let d = super::detect_syntax(
            b"#!/usr/bin/env buildctl\n# syntax=docker/dockerfile:1.7\nFROM a",
        )
        .unwrap();
        assert_eq!(
            (d.value.as_str(), d.line, d.span.clone()),
            ("docker/dockerfile:1.7", 2, 33..54)
        );
        let src = b"# syntax=docker/dockerfile:1.7 # pinned\nFROM a";
        let d = super::detect_syntax(src).unwrap();
        assert_eq!(d.value, "docker/dockerfile:1.7");
        assert_eq!(&src[d.span], b"docker/dockerfile:1.7");
        let d = super::detect_syntax(b"\xef\xbb\xbf# escape=`\r\n# syntax=a/b\r\nFROM a").unwrap();
        assert_eq!((d.value.as_str(), d.line), ("a/b", 2));
        assert!(super::detect_syntax(b"  # syntax=a/b\nFROM a").is_none());
        assert!(super::detect_syntax(b"# hello\n# syntax=a/b\nFROM a").is_none());
    }

    #[test]
    fn directives_only_at_the_top() {
        let l = lex(
            b"# Syntax = docker/dockerfile:1 \n#escape=\\\n# check=skip=all\nFROM a",
            |_| {},
        )
        .unwrap();
        let names: Vec<_> = l.directives.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["syntax", "escape", "check"]);
        assert_eq!(l.directives[0].value, "docker/dockerfile:1");
        assert_eq!(l.directives[0].span, 11..30);
        for src in [
            "# hello\n# syntax=x\nFROM a",
            "\n# syntax=x\nFROM a",
            "FROM a\n# syntax=x",
            "# unknown=1\n# syntax=x\nFROM a",
        ] {
            assert!(
                lex(src.as_bytes(), |_| {}).unwrap().directives.is_empty(),
                "{src}"
            );
        }
        let e = lex(b"# syntax=a\n# SYNTAX=b\nFROM a", |_| {})
            .err()
            .unwrap();
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "only one syntax parser directive can be used")
        );
        let e = lex(b"# escape=x\nFROM a", |_| {}).err().unwrap();
        assert_eq!(e.message, "invalid escape token 'x' does not match ` or \\");
    }
}
