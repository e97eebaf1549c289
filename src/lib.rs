//! dockerfile-lock: lock the images a Dockerfile uses to registry digests.
//!
//! The library parses Dockerfiles as BuildKit does ([`dockerfile`]), models image
//! references ([`reference`](mod@reference)), resolves tags to digests over the OCI
//! distribution API ([`registry`]), and reads and writes `Dockerfile.lock` ([`lockfile`]).
//! It never prints: the binary decides what a person or a machine sees.
//!
//! The layers, top to bottom, with no import circle among them (`tests/layout.rs`):
//! the verbs ([`commands`]); the workspace, which files, builds and locks
//! ([`workspace`]); the kinds of locked input, each with the same steps ([`kinds`]); the
//! readers ([`dockerfile`], [`compose`], [`bake`], [`devcontainer`], [`workflows`],
//! [`builds`], [`lockfile`]); the clients
//! ([`registry`], [`sources`], [`gitcmd`]); the leaves ([`reference`](mod@reference),
//! [`platform`], [`diagnostic`], [`report`], [`boundary`], [`splice`], [`console`]).
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod bake;
pub mod boundary;
pub mod builds;
pub mod cli;
pub mod commands;
pub mod compose;
pub mod config;
pub mod console;
pub mod devcontainer;
pub mod diagnostic;
pub mod dockerfile;
pub mod gitcmd;
pub mod kinds;
pub mod lockfile;
pub mod packages;
pub mod platform;
pub mod reference;
pub mod registry;
pub mod report;
pub mod sources;
pub mod splice;
pub mod workflows;
pub mod workspace;
