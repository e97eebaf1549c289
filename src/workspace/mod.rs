//! The workspace: which files a command works on (named, found with `--recursive`, or the
//! compose or bake file that builds a named Dockerfile), where their locks are, the build
//! each is read under, and reading them into one [`crate::dockerfile::Analysis`] each.
//!
//! Below the kinds of locked input and the verbs; above the readers. Its files import one
//! way only: `targets` → `scan` → `project` → `read` → `discover` → `paths`, and
//! `project` → `options` → `discover`, `paths`.

pub mod built;
pub mod discover;
pub mod options;
pub mod paths;
pub mod project;
pub mod read;
pub mod scan;
pub mod targets;

pub use options::{build_options, env};
pub use paths::{lock_path, no_dockerfile, read_lock, relative_dockerfile, Target};
pub use project::Origin;
pub use targets::{listed, select, targets, Listed};
