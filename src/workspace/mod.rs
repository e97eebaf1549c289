//! The workspace: which files a command works on, where their locks are, and reading them.

pub mod discover;
pub mod project;
pub mod scan;
pub mod targets;
