//! The verbs, one file each: each reads its arguments, asks the workspace which files and
//! locks it works on, runs each kind of locked input's step ([`crate::kinds`]) and reports.
//! A verb never imports another verb; what two verbs share lives below them, or here when
//! it is about how a command ends (`--check`, list output).

use serde::Serialize;

use crate::cli::ListFormat;
pub use crate::console::{write_diff, write_out, Console};
use crate::diagnostic::{Diagnostic, Failure};

pub mod completions;
pub mod export;
pub mod generate;
pub mod images;
pub mod packages;
pub mod resolve;
pub mod rewrite;
pub mod sources;
pub mod update;
pub mod verify;

/// How a command that did its job ended: in sync (exit 0) or with findings (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Findings,
}

/// The result of a command: a status, or a failure (exit 2).
pub type Outcome = Result<Status, Failure>;

/// `--check`: print the diff of every file that would change; exit 1 if any would.
pub fn check_only(console: &mut Console<'_>, files: &[(&std::path::Path, &[u8])]) -> Outcome {
    let changes = would_change(files)?;
    for (path, old, new) in &changes {
        write_diff(console, path, old, new)?;
    }
    let changed = changes.len();
    if changed == 0 {
        return Ok(Status::Ok);
    }
    let s = if changed == 1 { "" } else { "s" };
    console.info(&format!(
        "{changed} file{s} would change (--check: nothing written)"
    ));
    Ok(Status::Findings)
}

/// A file that would change: its path, old bytes and new bytes.
pub type Change<'a> = (&'a std::path::Path, Vec<u8>, &'a [u8]);

/// The files whose bytes would change, in order; what would be refused for writing is
/// refused here too.
pub fn would_change<'a>(
    files: &[(&'a std::path::Path, &'a [u8])],
) -> Result<Vec<Change<'a>>, Failure> {
    let mut out = Vec::new();
    for (path, new) in files {
        crate::boundary::check_write(path).map_err(|e| e.to_diagnostic())?;
        let old = match crate::boundary::read(path, crate::boundary::DOCUMENT_LIMIT) {
            Ok(old) => old,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(e.to_diagnostic().into()),
        };
        if old != *new {
            out.push((*path, old, *new));
        }
    }
    Ok(out)
}

/// Rows of cells as aligned columns, two spaces apart, no trailing blanks.
pub fn columns<const N: usize>(cells: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in cells {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            line.push_str(c);
            if i + 1 < N {
                line.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `images` and `sources` output: pretty JSON, or the table; on a terminal-facing text
/// run with nothing to list, say so (`empty`) on stderr.
pub fn list_output<T: Serialize>(
    console: &mut Console<'_>,
    format: ListFormat,
    rows: &[T],
    table: impl Fn(&[T]) -> String,
    empty: &str,
) -> Outcome {
    let text = match format {
        ListFormat::Json => {
            let mut s = serde_json::to_string_pretty(rows)
                .map_err(|e| Diagnostic::new(format!("cannot encode JSON: {e}")))?;
            s.push('\n');
            s
        }
        ListFormat::Text => table(rows),
    };
    if rows.is_empty() && format == ListFormat::Text {
        console.info(empty);
    }
    write_out(console, &text)?;
    Ok(Status::Ok)
}
