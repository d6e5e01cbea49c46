//! Fuzz target for inclusion and consistency proofs (`teller::core::log::{InclusionProof,
//! ConsistencyProof}`), which a voter's receipt check and the public log API read from outside.
//!
//! Properties: decoding never panics; an accepted proof re-encodes to the input; verifying it
//! against a real checkpoint never panics, whatever its index, sizes and hashes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use teller::core::log::{Checkpoint, ConsistencyProof, InclusionProof, leaf_hash, root};

fuzz_target!(|data: &[u8]| {
    let leaves: Vec<[u8; 32]> = (0u8..13).map(|i| leaf_hash(&[i])).collect();
    let small = Checkpoint::new("fuzz/log", 5, root(&leaves[..5])).expect("a valid checkpoint");
    let large = Checkpoint::new("fuzz/log", 13, root(&leaves)).expect("a valid checkpoint");
    if let Ok(proof) = InclusionProof::decode(data) {
        assert_eq!(proof.encode().expect("encodes"), data);
        let _ = proof.verify(&[3], &large);
        let _ = proof.verify(&[3], &small);
    }
    if let Ok(proof) = ConsistencyProof::decode(data) {
        assert_eq!(proof.encode().expect("encodes"), data);
        let _ = proof.verify(&small, &large);
        let _ = proof.verify(&large, &small);
    }
});
