//! Fuzz the compose reader (YAML with anchors, aliases and merge keys, interpolation):
//! never a panic, and an error names a line and quotes only a short excerpt. The alias
//! and interpolation budgets keep every input small in memory.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use dockerfile_lock::builds::Env;
use dockerfile_lock::compose;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = Env::default();
    let dotenv = BTreeMap::from([("BIG".to_string(), "x".repeat(4096))]);
    let inputs = [(Path::new("compose.yaml"), text)];
    if let Err(e) = compose::read(&inputs, Path::new(""), &env, &dotenv) {
        assert!(e.message.len() < 1000, "{} bytes", e.message.len());
    }
});
