//! Fuzz target for the trustees' key ceremony files (`teller::core::ceremony`): every trustee and
//! every verifier reads the others' files (setup, round 1, round 2, acceptances, complaints),
//! and every booth and verifier reads the whole ceremony inside the manifest.
//!
//! Properties checked on arbitrary bytes:
//! 1. decoding any ceremony file and checking it (`Setup::check`, `check_round1`, `check_round2`,
//!    `Ceremony::check`, `judge`) never panics;
//! 2. a genuine 2-of-3 ceremony with bytes XORed in (at an offset the input chooses) either no
//!    longer decodes, no longer checks, or is byte for byte the genuine one: no edit makes another
//!    ceremony that checks;
//! 3. a complaint read from the input, judged against the genuine rounds, never upholds a
//!    complaint against an honest trustee (every share in the genuine ceremony is good).

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rand::SeedableRng as _;
use teller::core::ceremony::{
    Ceremony, Complaint, Round1, Round2, Setup, TrusteeKey, TrusteeSeed, check_round1,
    check_round2, judge, run_all,
};
use teller::core::crypto::{decode, encode};

fn genuine() -> &'static (Ceremony, Vec<u8>) {
    static GENUINE: OnceLock<(Ceremony, Vec<u8>)> = OnceLock::new();
    GENUINE.get_or_init(|| {
        let keys: Vec<ed25519_dalek::SigningKey> = (1..=3u8)
            .map(|i| ed25519_dalek::SigningKey::from_bytes(&[i; 32]))
            .collect();
        let seeds: Vec<TrusteeSeed> = (1..=3u8).map(|i| TrusteeSeed::from_bytes([i + 10; 32])).collect();
        let setup = Setup {
            election: "fuzz".into(),
            threshold: 2,
            trustees: (1..=3)
                .zip(&keys)
                .map(|(i, k)| TrusteeKey {
                    name: format!("T{i}"),
                    key: k.verifying_key().to_bytes().into(),
                })
                .collect(),
        };
        let mut rng = rand::rngs::ChaCha20Rng::from_seed([5; 32]);
        let (ceremony, _) = run_all(&setup, &keys, &seeds, &mut rng).expect("the genuine ceremony");
        let bytes = encode(&ceremony).expect("encodes");
        (ceremony, bytes)
    })
}

fuzz_target!(|data: &[u8]| {
    let (ceremony, bytes) = genuine();
    if let Ok(setup) = decode::<Setup>(data) {
        let _ = setup.check();
        let _ = setup.id();
    }
    if let Ok(file) = decode::<Round1>(data) {
        let mut files = ceremony.round1.clone();
        files[1] = file;
        let _ = check_round1(&ceremony.setup, &files);
    }
    if let Ok(file) = decode::<Round2>(data) {
        let mut files = ceremony.round2.clone();
        files[2] = file;
        let _ = check_round2(&ceremony.setup, &files);
    }
    if let Ok(complaint) = decode::<Complaint>(data) {
        if let Ok(verdict) = judge(&ceremony.setup, &ceremony.round1, &ceremony.round2, &complaint) {
            assert!(!verdict.upheld, "a complaint against an honest trustee was upheld");
        }
    }
    if let Ok(other) = decode::<Ceremony>(data) {
        let _ = other.check();
    }
    // The genuine ceremony with the input XORed in at the offset its first two bytes choose.
    if data.len() > 2 {
        let offset = usize::from(u16::from_le_bytes([data[0], data[1]])) % bytes.len();
        let mut edited = bytes.clone();
        for (byte, patch) in edited[offset..].iter_mut().zip(&data[2..]) {
            *byte ^= patch;
        }
        if let Ok(other) = decode::<Ceremony>(&edited) {
            if other.check().is_ok() {
                assert_eq!(&edited, bytes, "an edited ceremony still checks");
            }
        }
    }
});
