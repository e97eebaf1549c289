//! Bake files.
