//! Fuzz what a registry sends back: `WWW-Authenticate` challenges, manifests, indexes,
//! image configs and token replies. Never a panic.
#![no_main]

use dockerfile_lock::registry::{manifest, parse_challenge, parse_token_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_challenge(s);
    }
    let _ = manifest::declared_media_type(data);
    let _ = manifest::platforms_of(data);
    let _ = manifest::config_platform(data);
    let _ = parse_token_response(data);
});
