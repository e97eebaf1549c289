//! `dockerfile-lock rewrite`.

use super::{Console, Outcome};
use crate::diagnostic::Diagnostic;

pub fn run(_args: &crate::cli::RewriteArgs, _console: &mut Console<'_>) -> Outcome {
    Err(Diagnostic::new("`rewrite` is not available yet").into())
}
