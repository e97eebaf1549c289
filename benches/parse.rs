//! Parse throughput on a large synthetic Dockerfile (filled in with the parser).
fn main() {}
