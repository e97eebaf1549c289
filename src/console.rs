//! Where a command writes: results to stdout, warnings, errors and progress to stderr, at
//! the verbosity and in the colours asked for. A leaf: the verbs and the kinds of locked
//! input (a registry's progress line) both write through it.

use std::io::Write;

use crate::diagnostic::{escape_control, Diagnostic, Failure};
use crate::splice;

/// Where a command writes: results to `out`, warnings and progress to `err`.
pub struct Console<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Progress lines only when stderr is a terminal.
    pub err_is_tty: bool,
    pub color: bool,
    /// Colour for what goes to stdout (diffs): stdout is a terminal, or --color=always.
    pub out_color: bool,
    /// -1 quiet, 0 normal, 1+ verbose.
    pub verbosity: i8,
}

impl Console<'_> {
    /// Print a warning on stderr (unless quiet).
    pub fn warn(&mut self, d: &Diagnostic) {
        if self.verbosity >= 0 {
            let _ = self
                .err
                .write_all(d.render("warning", self.color).as_bytes());
        }
    }

    /// Print an error on stderr now (for commands that go on after one item fails).
    pub fn error(&mut self, d: &Diagnostic) {
        let _ = self.err.write_all(d.render("error", self.color).as_bytes());
    }

    /// Print an informational line on stderr (unless quiet), control characters escaped.
    pub fn info(&mut self, line: &str) {
        if self.verbosity >= 0 {
            let _ = writeln!(self.err, "{}", escape_control(line));
        }
    }

    /// Print a detail line on stderr with `-v`, control characters escaped.
    pub fn debug(&mut self, line: &str) {
        if self.verbosity >= 1 {
            let _ = writeln!(self.err, "{}", escape_control(line));
        }
    }
}

/// Write to stdout; a closed pipe is not an error worth a message.
pub fn write_out(console: &mut Console<'_>, text: &str) -> Result<(), Failure> {
    match console.out.write_all(text.as_bytes()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Diagnostic::new(format!("cannot write to stdout: {e}")).into()),
    }
}

/// Print the unified diff of what `--check` would change, coloured when stdout wants it.
pub fn write_diff(
    console: &mut Console<'_>,
    path: &std::path::Path,
    old: &[u8],
    new: &[u8],
) -> Result<(), Failure> {
    let path = path.display().to_string().replace('\\', "/");
    let diff = splice::diff(&path, old, new);
    let text = if console.out_color {
        splice::paint_diff(&diff)
    } else {
        diff
    };
    write_out(console, &text)
}
