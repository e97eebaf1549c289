//! The sources `ADD` fetches: which of an instruction's sources BuildKit downloads (HTTP
//! URLs) or clones (git repositories), and what they resolve to now (`http`, `git`).
//!
//! BuildKit's rule (`dockerfile2llb`, `convert_copy.go`): a source is git when
//! `dfgitutil.ParseGitRef` accepts it and it is distinguishable from a local path, else
//! HTTP when it starts with `http://` or `https://`, else it is read from the context.

pub mod git;
pub mod gitref;
pub mod http;
mod netrc;
pub mod pins;
pub mod redact;

pub use pins::{find, Kind, RemoteSource};
