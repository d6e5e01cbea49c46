//! Fuzz target for the election manifest and the key reveal (`teller::core::manifest::Manifest::
//! parse`, the record's `reveal.json`), the first files a scrutineer's verifier reads.
//!
//! Properties: parsing never panics; an accepted manifest's canonical bytes are the input and its
//! fingerprint is their SHA-256.

#![no_main]

use libfuzzer_sys::fuzz_target;
use teller::core::crypto::decode;
use teller::core::manifest::Manifest;
use teller::core::record::Reveal;

fuzz_target!(|data: &[u8]| {
    if let Ok(manifest) = Manifest::parse(data) {
        assert_eq!(manifest.bytes(), data);
        for contest in manifest.contests() {
            let _ = contest.count_options(&[0; 32]);
        }
    }
    let _ = decode::<Reveal>(data);
});
