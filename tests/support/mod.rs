//! Test support shared by the integration tests: a real `docker-registry` harness.
//!
//! Any `tests/*.rs` can `mod support;` and start a registry with
//! `support::registry::Registry::start(Auth::Anonymous)`.
#![allow(dead_code)]

pub mod images;
pub mod issuer;
pub mod registry;
