//! `dockerfile-lock generate`.

use super::{Console, Outcome};
use crate::diagnostic::Diagnostic;

pub fn run(_args: &crate::cli::GenerateArgs, _console: &mut Console<'_>) -> Outcome {
    Err(Diagnostic::new("`generate` is not available yet").into())
}
