//! Fuzz the Dockerfile parser, stage checks and ARG expansion: never a panic; an error
//! always names a line inside the input.
#![no_main]

use dockerfile_lock::dockerfile::{analyze, BuildOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut options = BuildOptions::default();
    options.build_args.insert("A".into(), "alpine".into());
    if let Err(e) = analyze(data, &options) {
        let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
        assert!(e.line >= 1 && e.line <= lines);
    }
});
