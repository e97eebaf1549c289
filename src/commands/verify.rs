//! `dockerfile-lock verify`.

use super::{Console, Outcome};
use crate::diagnostic::Diagnostic;

pub fn run(_args: &crate::cli::VerifyArgs, _console: &mut Console<'_>) -> Outcome {
    Err(Diagnostic::new("`verify` is not available yet").into())
}
