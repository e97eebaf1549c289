//! Test support shared by the integration tests: a real `docker-registry` harness.
//!
//! ```ignore
//! mod support;
//! use support::images::{ImageKind, PLATFORMS};
//! use support::registry::{Auth, Registry};
//!
//! let reg = Registry::start(Auth::Anonymous); // or Auth::basic(u, p), Auth::token(u, p)
//! let img = reg.push_image("app", "1", ImageKind::OciIndex(PLATFORMS));
//! // img.reference == "127.0.0.1:PORT/app:1", img.digest == sha256 of the pushed bytes,
//! // img.children["linux/arm64"] == that child's digest. Pushing again moves the tag.
//! ```
//!
//! Everything is synchronous and works from `#[test]` and `#[tokio::test]` alike; the
//! registry process is killed and its storage removed when the `Registry` is dropped.
//! For Basic and token registries, write a docker config with `auths` for `reg.host()`.
#![allow(dead_code)]

pub mod apk_lab;
pub mod apt_lab;
pub mod http;
pub mod images;
pub mod issuer;
pub mod layers;
pub mod mock;
pub mod proxy;
pub mod registry;
pub mod sources;
