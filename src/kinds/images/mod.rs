//! Images, locked to registry digests.

pub mod online;
pub mod plan;
