//! `ADD` sources, locked by checksum and by commit.

pub mod compare;
pub mod pins;
pub mod plan;
