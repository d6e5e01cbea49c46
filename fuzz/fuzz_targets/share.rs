//! Fuzz target for trustees' share files (`teller::admin::parse_share`, what `teller tally
//! --share FILE` reads) and the reconstruction of the election key from them.
//!
//! Input: up to eight share files separated by byte 0x01. Properties: parsing never panics; a
//! share that parses, written as `write_keys` writes it, parses back equal; reconstructing from
//! the parsed shares against the committed record's commitments never panics, and succeeds only
//! with shares that match those commitments (which no fuzz input can know).

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use teller::admin::parse_share;
use teller::core::crypto::{encode_bytes, reconstruct};
use teller::core::manifest::Manifest;

const MANIFEST: &[u8] = include_bytes!("../../tests/data/record/manifest.json");

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut shares = Vec::new();
    for file in text.split('\u{1}').take(8) {
        if let Ok(share) = parse_share(file, "fuzz.share") {
            let written = format!("{} {}\n", share.index(), encode_bytes(&share.value()));
            assert_eq!(parse_share(&written, "again").expect("a written share parses"), share);
            shares.push(share);
        }
    }
    static FIXTURE: OnceLock<Manifest> = OnceLock::new();
    let manifest =
        FIXTURE.get_or_init(|| Manifest::parse(MANIFEST).expect("the committed manifest parses"));
    let commitments = manifest.share_commitments();
    let threshold = usize::try_from(manifest.draft().trustees.threshold).expect("a small threshold");
    if let Ok(_key) = reconstruct(&shares, &commitments, threshold) {
        panic!("a key rebuilt from shares no fuzz input can know");
    }
});
