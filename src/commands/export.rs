//! `dockerfile-lock export`.

use super::{Console, Outcome};
use crate::diagnostic::Diagnostic;

pub fn run(_args: &crate::cli::ExportArgs, _console: &mut Console<'_>) -> Outcome {
    Err(Diagnostic::new("`export` is not available yet").into())
}
