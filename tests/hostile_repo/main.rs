//! Hostile trees, as a stranger's pull request can lay them out, built on the fly and run
//! through the real binary with real `git` and real loopback servers. Each test asserts
//! what must not happen: no command from the tree runs, nothing is written or read
//! outside it, no secret reaches a file or the output, no credential goes to the wrong
//! host, and every run ends within a bounded time and memory.
#![allow(dead_code)]

#[path = "../support/mod.rs"]
mod support;

mod budgets;
mod deadlines;
mod discovery;
mod git_config;
mod locations;
mod netrc;
mod paths;
mod secrets;
mod tree;
