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
