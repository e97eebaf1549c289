//! Fuzz the image reference and digest parsers: never a panic; an accepted reference's
//! display form parses to the same reference.
#![no_main]

use dockerfile_lock::reference::{Digest, ImageRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = ImageRef::parse(s) {
        let again = ImageRef::parse(&r.to_string()).expect("display form parses");
        assert_eq!(again.to_string(), r.to_string());
    }
    let _ = s.parse::<Digest>();
});
