//! Fuzz target for the verifier page's requests (`teller::core::verify::browser`, parts of
//! `teller::core::verify::BallotPart`): the bytes the page's workers hand the WebAssembly module.
//!
//! Input: arbitrary bytes, given to each reader as they are, and as the one part of a `verify`
//! request with an empty archive (so the part's reader runs before the archive is refused).
//!
//! Properties: nothing panics; every `verify` answer is JSON with `ok` or `error`; a part that
//! reads back writes to the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use teller::core::verify::BallotPart;
use teller::core::verify::browser::{part, verify};

fn answer_is_json(answer: &[u8]) {
    let value: serde_json::Value = serde_json::from_slice(answer).expect("the answer is JSON");
    assert!(value.get("ok").is_some() || value.get("error").is_some());
}

fuzz_target!(|data: &[u8]| {
    if let Ok(read) = BallotPart::from_bytes(data) {
        assert_eq!(BallotPart::from_bytes(&read.to_bytes()), Ok(read));
    }
    answer_is_json(&verify(data, &|_| {}));
    let _ = part(data, &|_| {});
    // The same bytes as the one part of a request with no archive worth reading.
    let mut request = vec![0, 0, 0, 0, 0];
    request.extend_from_slice(&(data.len() as u32).to_le_bytes());
    request.extend_from_slice(data);
    answer_is_json(&verify(&request, &|_| {}));
});
