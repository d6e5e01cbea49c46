//! The booth's one interface (`core::booth::call`), which the browser feeds with what the server
//! sends (manifest, blind signatures, checkpoints, entries, proofs) and what the member loads (a
//! receipt or audit file): never panics, and always answers `{"ok": …}` or `{"error": …}`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const MANIFEST: &str = include_str!("../../tests/data/record/manifest.json");

fn answer(request: &[u8]) {
    let answer: Value = serde_json::from_slice(&teller::core::booth::call(request))
        .expect("the booth always answers JSON");
    assert!(answer.get("ok").is_some() ^ answer.get("error").is_some());
}

fuzz_target!(|data: &[u8]| {
    answer(data);
    // The same bytes as each outside field of each operation, with the real manifest.
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\u{1}');
    let (a, b, c, d) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let object = serde_json::from_str::<Value>(a).unwrap_or(Value::Null);
    for request in [
        json!({"op": "open_manifest", "manifest": text, "fingerprint": b}),
        json!({"op": "check_receipt", "manifest": MANIFEST, "receipt": object,
               "checkpoint": b, "entry": c, "proof": d}),
        json!({"op": "check_checkpoint", "manifest": MANIFEST, "checkpoint": text}),
        json!({"op": "check_consistency", "manifest": MANIFEST, "older": a, "newer": b, "proof": c}),
        json!({"op": "check_audit", "manifest": MANIFEST, "audit": object}),
        json!({"op": "finalize_passes", "manifest": MANIFEST, "secret": "AAAAAAAAAAAAAAAAAAAAAA",
               "answers": [{"contest": "nec", "blind_signature": b}]}),
    ] {
        answer(request.to_string().as_bytes());
    }
});
