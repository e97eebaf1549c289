//! What the user is told when something goes wrong: a message, where, and how to fix it.
//!
//! Every layer's error converts into a [`Diagnostic`]; `main` renders them all the same
//! way (`error: …`, `  --> FILE:LINE`, `help: …`) and exits 2.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

/// Characters of a file or of a registry's answer that a message may quote.
pub const EXCERPT_CHARS: usize = 80;

/// The longest message, note or help line printed: past it, a message is cut (so that
/// no error, whatever it quotes, can print a whole file).
const MAX_FIELD_CHARS: usize = 400;

/// `s` with every control character (C0, DEL, C1) written as a visible escape (`\x1b`,
/// `\n`, `\u{9b}`), so that bytes from a Dockerfile, a lock or a registry can neither
/// drive the terminal (retitle it, move the cursor) nor fake a line of output. Tabs stay.
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A short, escaped excerpt of untrusted text for a message: at most `max` characters
/// (then `…`), control characters escaped.
pub fn excerpt(s: &str, max: usize) -> String {
    let cut = match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    };
    escape_control(&cut).into_owned()
}

/// As printed: escaped, and cut at [`MAX_FIELD_CHARS`].
fn printable(s: &str) -> String {
    let escaped = escape_control(s);
    match escaped.char_indices().nth(MAX_FIELD_CHARS) {
        Some((i, _)) => format!(
            "{}… ({} more characters not shown)",
            &escaped[..i],
            escaped[i..].chars().count()
        ),
        None => escaped.into_owned(),
    }
}

/// One error or warning, rendered by `main` (or collected by a command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            path: None,
            line: None,
            notes: Vec::new(),
            help: None,
        }
    }

    /// Attach the file (and, if known, the 1-based line) the diagnostic is about.
    pub fn at(mut self, path: impl AsRef<Path>, line: Option<usize>) -> Self {
        self.path = Some(path.as_ref().to_path_buf());
        if line.is_some() {
            self.line = line;
        }
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Render as `LEVEL: message` / `  --> path:line` / `  = note: …` / `help: …`, every
    /// part escaped (see [`escape_control`]) and cut to a few lines' length.
    pub fn render(&self, level: &str, color: bool) -> String {
        let (bold_red, bold_yellow, bold_cyan, reset) = if color {
            ("\x1b[1;31m", "\x1b[1;33m", "\x1b[1;36m", "\x1b[0m")
        } else {
            ("", "", "", "")
        };
        let lc = if level == "error" {
            bold_red
        } else {
            bold_yellow
        };
        let mut s = format!("{lc}{level}{reset}: {}\n", printable(&self.message));
        if let Some(path) = &self.path {
            let path = printable(&path.display().to_string());
            match self.line {
                Some(line) => s.push_str(&format!("  --> {path}:{line}\n")),
                None => s.push_str(&format!("  --> {path}\n")),
            }
        }
        for note in &self.notes {
            s.push_str(&format!("  = note: {}\n", printable(note)));
        }
        if let Some(help) = &self.help {
            s.push_str(&format!("{bold_cyan}help{reset}: {}\n", printable(help)));
        }
        s
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A command that could not do its job: one or more diagnostics, exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub Vec<Diagnostic>);

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure(vec![d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_note_and_help() {
        let d = Diagnostic::new("unknown instruction: FORM")
            .at("Dockerfile", Some(3))
            .with_note("did you mean FROM?")
            .with_help("fix the line");
        assert_eq!(
            d.render("error", false),
            "error: unknown instruction: FORM\n  --> Dockerfile:3\n  = note: did you mean FROM?\nhelp: fix the line\n"
        );
    }

    #[test]
    fn control_characters_are_escaped_everywhere() {
        let d = Diagnostic::new("unknown instruction: \x1b]0;pwned\x07")
            .at("a\x1b[2J/Dockerfile", Some(1))
            .with_note("x\ny\u{9b}z")
            .with_help("tab\tstays\r");
        assert_eq!(
            d.render("error", false),
            "error: unknown instruction: \\x1b]0;pwned\\x07\n  --> a\\x1b[2J/Dockerfile:1\n  \
             = note: x\\ny\\u{9b}z\nhelp: tab\tstays\\r\n"
        );
        assert_eq!(escape_control("plain → text"), "plain → text");
        assert!(matches!(escape_control("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn excerpts_and_long_messages_are_cut() {
        assert_eq!(excerpt("abcdef", 3), "abc…");
        assert_eq!(excerpt("ab\0", 3), "ab\\x00");
        assert_eq!(excerpt("héé", 2), "hé…");
        let d = Diagnostic::new("x".repeat(10_000));
        let shown = d.render("error", false);
        assert!(shown.len() < 600, "{}", shown.len());
        assert!(shown.contains("9600 more characters not shown"), "{shown}");
    }

    #[test]
    fn renders_without_line() {
        let d = Diagnostic::new("gone").at("Dockerfile.lock", None);
        assert_eq!(
            d.render("warning", false),
            "warning: gone\n  --> Dockerfile.lock\n"
        );
    }
}
