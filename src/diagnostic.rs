//! What the user is told when something goes wrong: a message, where, and how to fix it.
//!
//! Every layer's error converts into a [`Diagnostic`]; `main` renders them all the same
//! way (`error: …`, `  --> FILE:LINE`, `help: …`) and exits 2.

use std::fmt;
use std::path::{Path, PathBuf};

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

    /// Render as `LEVEL: message` / `  --> path:line` / `  = note: …` / `help: …`.
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
        let mut s = format!("{lc}{level}{reset}: {}\n", self.message);
        if let Some(path) = &self.path {
            match self.line {
                Some(line) => s.push_str(&format!("  --> {}:{line}\n", path.display())),
                None => s.push_str(&format!("  --> {}\n", path.display())),
            }
        }
        for note in &self.notes {
            s.push_str(&format!("  = note: {note}\n"));
        }
        if let Some(help) = &self.help {
            s.push_str(&format!("{bold_cyan}help{reset}: {help}\n"));
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
    fn renders_without_line() {
        let d = Diagnostic::new("gone").at("Dockerfile.lock", None);
        assert_eq!(
            d.render("warning", false),
            "warning: gone\n  --> Dockerfile.lock\n"
        );
    }
}
