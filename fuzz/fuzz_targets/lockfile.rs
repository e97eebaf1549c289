//! Fuzz the strict lockfile reader: never a panic; a lock it accepts encodes and reads
//! back the same.
#![no_main]

use std::path::Path;

use dockerfile_lock::lockfile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("Dockerfile.lock");
    if let Ok(lock) = lockfile::parse(data, path) {
        let text = lockfile::encode(&lock).expect("an accepted lock encodes");
        assert_eq!(lockfile::parse(text.as_bytes(), path).unwrap(), lock);
    }
});
