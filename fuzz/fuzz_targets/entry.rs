//! Fuzz target for log entries (`teller::core::log::Entry::decode`), which the verifier reads
//! from every election record and the ballot box from every cast request.
//!
//! Properties on arbitrary bytes: decoding never panics; an accepted entry re-encodes to exactly
//! the input (one spelling per entry); the chain hash and the ballot message can be computed.

#![no_main]

use libfuzzer_sys::fuzz_target;
use teller::core::log::{Entry, ballot_message, entry_hash};

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = Entry::decode(data) {
        assert_eq!(entry.encode().expect("a decoded entry encodes"), data);
        let _ = entry_hash(data);
        if let Entry::Ballot(ballot) = &entry {
            let _ = ballot_message(
                &[0; 32],
                &ballot.contest,
                &ballot.pass.key.array(),
                &ballot.sealed(),
                ballot.replaces,
            );
            let _ = ballot.pass.pass();
        }
    }
});
