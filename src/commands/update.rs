//! `dockerfile-lock update`.

use super::{Console, Outcome};
use crate::diagnostic::Diagnostic;

pub fn run(_args: &crate::cli::UpdateArgs, _console: &mut Console<'_>) -> Outcome {
    Err(Diagnostic::new("`update` is not available yet").into())
}
