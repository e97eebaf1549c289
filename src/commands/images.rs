//! `dockerfile-lock images`.

use super::{Console, Outcome};
use crate::diagnostic::Diagnostic;

pub fn run(_args: &crate::cli::ImagesArgs, _console: &mut Console<'_>) -> Outcome {
    Err(Diagnostic::new("`images` is not available yet").into())
}
