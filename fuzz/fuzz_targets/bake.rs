//! Fuzz the bake reader, HCL or JSON by the first byte: never a panic, and an error quotes
//! only a short excerpt. `inherits` in any shape and variables that grow are bounded.
#![no_main]

use std::path::Path;

use dockerfile_lock::bake;
use dockerfile_lock::builds::Env;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let name = if first % 2 == 0 {
        "docker-bake.hcl"
    } else {
        "docker-bake.json"
    };
    let inputs = [(Path::new(name), text)];
    if let Err(e) = bake::read(&inputs, Path::new(""), &Env::default()) {
        assert!(e.message.len() < 1000, "{} bytes", e.message.len());
    }
});
