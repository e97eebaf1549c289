//! Dockerfiles read as BuildKit reads them: directives, instructions, ARG expansion,
//! stages, and every external image they use, each with its exact byte span.
//!
//! The layers follow BuildKit's:
//! - `lexer` (lines, BOM, continuations, heredoc bodies) with `directives` and `heredoc`,
//!   and `words` (keyword, flags, fields) give the syntax tree of [`parse`] (`syntax`);
//! - `stages` checks instructions as `instructions.Parse` does (with `flags`, BuildKit's
//!   `BFlags`) and groups them;
//! - `analysis` and `dispatch` apply `dockerfile2llb`'s rules (the stage graph, triggers,
//!   the target), `scope` dispatches the stages the target needs, with [`expand`] (the
//!   shell lexer's variable expansion), `pattern` and `csv` (mount options).
//!
//! [`analyze`] reads the source in one pass and keeps only what the image analysis needs;
//! [`parse`] materializes every instruction. The types below are the contract the
//! commands code against.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::platform::Platform;
use crate::reference::ImageRef;

mod analysis;
mod csv;
mod directives;
mod dispatch;
pub mod expand;
mod flags;
mod heredoc;
mod lexer;
mod pattern;
pub mod runs;
mod scope;
mod stages;
mod syntax;
#[cfg(test)]
mod tests;
mod words;
mod written;

pub use analysis::{global_arg_default, ArgDefault};
pub use lexer::{Directive, Heredoc};
pub use syntax::{parse, Dockerfile, FlagValue, Instruction, Word};

/// A Dockerfile error: the 1-based line it is about, the reason, and a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub line: usize,
    pub message: String,
    pub help: Option<String>,
}

/// How the Dockerfile is built: `--build-arg`s, target platforms, `--target`.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub build_args: BTreeMap<String, String>,
    /// Empty means BuildKit's default, linux/amd64.
    pub platforms: Vec<Platform>,
    pub target: Option<String>,
}

/// Where an image is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UseKind {
    /// `# syntax=` frontend image.
    Syntax,
    From,
    CopyFrom,
    MountFrom,
    /// A compose service's `image:`.
    Image,
    /// A `docker-image://` named context of a compose or bake build.
    Context,
}

impl UseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UseKind::Syntax => "syntax",
            UseKind::From => "from",
            UseKind::CopyFrom => "copy-from",
            UseKind::MountFrom => "mount-from",
            UseKind::Image => "image",
            UseKind::Context => "context",
        }
    }
}

/// One use of an external image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUse {
    pub kind: UseKind,
    /// 1-based line where the instruction (or directive) starts.
    pub line: usize,
    /// The reference as written (quotes removed), before ARG expansion.
    pub raw: String,
    /// Byte range of the reference text in the source, when it is written literally in one
    /// piece (no variables, no continuation inside it): what `rewrite` replaces.
    pub span: Option<Range<usize>>,
    /// The reference after ARG expansion.
    pub reference: String,
    pub image: ImageRef,
    /// The stage this use belongs to (its name, lower-cased), if named.
    pub stage: Option<String>,
    /// The `--platform` flag value as written, if any.
    pub platform: Option<String>,
}

/// One source of an `ADD` instruction after ARG expansion, local paths included: which of
/// them BuildKit fetches (URLs, git repositories) is for the caller to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddSource {
    /// 1-based line where the instruction starts.
    pub line: usize,
    /// The source as written (quotes removed), before ARG expansion.
    pub raw: String,
    /// Byte range of the source text, when it is written literally in one piece.
    pub span: Option<Range<usize>>,
    /// The source after ARG expansion.
    pub value: String,
    /// The stage it belongs to (its name, lower-cased), if named.
    pub stage: Option<String>,
    /// The instruction's `--checksum` value after expansion, if given.
    pub checksum: Option<String>,
    /// Byte range of the whole `--checksum=…` flag, when written literally.
    pub checksum_span: Option<Range<usize>>,
    /// Where a flag can be inserted (just after the keyword), when the instruction is not
    /// an ONBUILD trigger.
    pub flags_at: Option<usize>,
    /// How many sources the instruction has (`--checksum` needs exactly one).
    pub siblings: usize,
    /// Where the use was read from, when a compose or bake file's build read it.
    pub origin: Option<AddOrigin>,
}

/// The Dockerfile a use is in, and the build that reads it, for a use found through a
/// compose or bake file: findings name that Dockerfile, not the file that builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddOrigin {
    /// The Dockerfile (or, for an inline Dockerfile, the compose or bake file).
    pub path: std::path::PathBuf,
    /// `service` or `target`.
    pub word: &'static str,
    /// The service or target: `web`.
    pub owner: String,
}

impl AddOrigin {
    /// The build that reads it, for messages: `service "web"` or `target "api"`.
    pub fn build(&self) -> String {
        format!("{} {:?}", self.word, self.owner)
    }
}

/// A warning that does not stop the build (e.g. `COPY --from=` naming no stage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

/// Everything the commands need from a Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// In order of appearance; with several platforms, duplicates removed.
    pub images: Vec<ImageUse>,
    pub warnings: Vec<Warning>,
    /// Stage names (lower-cased) in order; unnamed stages are `None`.
    pub stages: Vec<Option<String>>,
    /// Every `ADD` source of the stages built, in order of appearance.
    pub sources: Vec<AddSource>,
}

/// Parse `source` and list the external images a build with `options` uses.
pub fn analyze(source: &[u8], options: &BuildOptions) -> Result<Analysis, Error> {
    let program = stages::program(source)?;
    analysis::analyze(program, options)
}
