//! `Dockerfile.lock`: the on-disk schema, strict reading, deterministic atomic writing.
