//! Fuzz target for signed notes and checkpoints (`teller::core::log::{parse_note, open_note,
//! Checkpoint::parse}`), which the verifier and every voter's receipt check read from outside.
//!
//! Properties checked on arbitrary bytes:
//! 1. parsing and opening never panic;
//! 2. a note that opens under the test key has a text that, when it parses as a checkpoint,
//!    re-encodes to exactly the same text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use teller::core::log::{Checkpoint, NoteSigner, open_note, parse_note};

fuzz_target!(|data: &[u8]| {
    let _ = parse_note(data);
    let signer = NoteSigner::from_seed("fuzz.example/log", &[9; 32]).expect("a valid key name");
    if let Ok((text, _)) = open_note(data, std::slice::from_ref(signer.verifier())) {
        if let Ok(checkpoint) = Checkpoint::parse(&text) {
            assert_eq!(checkpoint.to_text(), text);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(checkpoint) = Checkpoint::parse(text) {
            assert_eq!(checkpoint.to_text(), text, "accepted bodies are their own encoding");
        }
    }
});
