//! `dockerfile-lock resolve`.

use super::{Console, Outcome};
use crate::diagnostic::Diagnostic;

pub fn run(_args: &crate::cli::ResolveArgs, _console: &mut Console<'_>) -> Outcome {
    Err(Diagnostic::new("`resolve` is not available yet").into())
}
