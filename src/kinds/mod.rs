//! The kinds of locked input: images and `ADD` sources.

pub mod images;
pub mod sources;
