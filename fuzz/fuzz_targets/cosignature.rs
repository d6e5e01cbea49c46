//! Fuzz target for witness cosignatures (`teller::core::log::{cosignatures, WitnessKey::parse,
//! Witness::parse}`): the server reads cosignature lines from anyone who POSTs one, and the
//! booth, `teller witness` and the verifier read them on every checkpoint; manifests carry
//! witness keys.
//!
//! Properties checked on arbitrary bytes:
//! 1. reading cosignatures (alone, and appended to a genuine checkpoint note) never panics;
//! 2. a cosignature line accepted for the test witness is one it made over that body (a line
//!    the witness did not sign never verifies);
//! 3. a witness key or private key that parses re-encodes to exactly the same text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use teller::core::log::{NoteSigner, Witness, WitnessKey, cosignatures};

const BODY: &str = "teller/ballots/00\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

fuzz_target!(|data: &[u8]| {
    let witness = Witness::from_seed("fuzz.example/witness", &[7; 32]).expect("a valid name");
    let keys = [witness.public().clone()];
    let _ = cosignatures(data, &keys);
    let note = NoteSigner::from_seed("fuzz.example/log", &[9; 32])
        .expect("a valid key name")
        .sign(BODY)
        .expect("a valid body");
    let mut appended = note.into_bytes();
    appended.extend_from_slice(data);
    if let Ok(found) = cosignatures(&appended, &keys) {
        for cosigned in found {
            // Only the witness's own line over BODY at that time can verify.
            let line = witness.cosign(BODY, cosigned.timestamp).expect("a valid time");
            assert!(
                std::str::from_utf8(data).is_ok_and(|text| text.contains(line.trim_end())),
                "a cosignature verified that the witness did not make"
            );
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(key) = WitnessKey::parse(text) {
            assert_eq!(key.encode(), text);
        }
        if let Ok(private) = Witness::parse(text) {
            assert_eq!(private.encode().as_str(), text);
        }
    }
});
