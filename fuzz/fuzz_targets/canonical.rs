//! Fuzz target for the canonical JSON parser (`teller::core::crypto::parse_canonical`), which the
//! verifier applies to every entry of a record it is handed.
//!
//! Properties checked on arbitrary bytes:
//! 1. `parse_canonical` returns `Ok` or `Err`, never panics;
//! 2. whatever it accepts re-encodes to exactly the same bytes;
//! 3. `decode_bytes` on the input as text never panics, and what it accepts re-encodes identically.

#![no_main]

use libfuzzer_sys::fuzz_target;
use teller::core::crypto::{decode_bytes, encode_bytes, parse_canonical, to_canonical};

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = parse_canonical(data) {
        let again = to_canonical(&value).expect("an accepted document re-encodes");
        assert_eq!(again, data, "accepted bytes are their own canonical form");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(bytes) = decode_bytes(text) {
            assert_eq!(encode_bytes(&bytes), text, "accepted base64url is canonical");
        }
    }
});
