//! Inclusion and consistency proofs as they travel (docs/PROTOCOL.md §3): canonical JSON, checked
//! against a signed checkpoint, so a voter's receipt can be verified offline.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use serde::{Deserialize, Serialize};

use super::checkpoint::Checkpoint;
use super::merkle::{ProofError, leaf_hash, verify_consistency, verify_inclusion};
use crate::core::crypto::{Bytes, CanonicalError, DecodeError, decode, encode};

/// Most hashes a proof may carry: a tree of 2⁶³ leaves needs 63 for inclusion and 126 for
/// consistency.
pub const MAX_PROOF_HASHES: usize = 128;

/// "Entry `index` is in the tree of `size` entries."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The entry's sequence number.
    pub index: i64,
    /// The tree size the proof is for (a checkpoint's).
    pub size: i64,
    /// The audit path, leaf side first.
    pub hashes: Vec<Bytes<32>>,
}

/// "The tree of `old` entries is a prefix of the tree of `new` entries."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The older size.
    pub old: i64,
    /// The newer size.
    pub new: i64,
    /// The proof's hashes.
    pub hashes: Vec<Bytes<32>>,
}

/// Why a proof is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofDecodeError {
    /// Not canonical JSON of the proof's shape.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Negative sizes or too many hashes.
    #[error("the proof's sizes are negative or it has more than {MAX_PROOF_HASHES} hashes")]
    OutOfRange,
    /// The proof is not for the checkpoint's size.
    #[error("the proof is for a tree of {proof} entries, the checkpoint has {checkpoint}")]
    WrongSize {
        /// The size in the proof.
        proof: i64,
        /// The checkpoint's size.
        checkpoint: u64,
    },
    /// The proof does not verify.
    #[error(transparent)]
    Proof(#[from] ProofError),
}

fn hashes(list: &[Bytes<32>]) -> Vec<[u8; 32]> {
    list.iter().map(Bytes::array).collect()
}

impl InclusionProof {
    /// The one decoder.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProofDecodeError> {
        let proof: Self = decode(bytes)?;
        if proof.index < 0 || proof.size < 0 || proof.hashes.len() > MAX_PROOF_HASHES {
            return Err(ProofDecodeError::OutOfRange);
        }
        Ok(proof)
    }

    /// The one encoder.
    pub fn encode(&self) -> Result<Vec<u8>, CanonicalError> {
        encode(self)
    }

    /// Checks that `entry` (its encoded bytes) is under `checkpoint`: the size comes from the
    /// signed checkpoint, never from the proof alone (§3).
    pub fn verify(&self, entry: &[u8], checkpoint: &Checkpoint) -> Result<(), ProofDecodeError> {
        if self.size as u64 != checkpoint.size() {
            return Err(ProofDecodeError::WrongSize {
                proof: self.size,
                checkpoint: checkpoint.size(),
            });
        }
        verify_inclusion(
            &leaf_hash(entry),
            self.index as u64,
            checkpoint.size(),
            &hashes(&self.hashes),
            checkpoint.root(),
        )?;
        Ok(())
    }
}

impl ConsistencyProof {
    /// The one decoder.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProofDecodeError> {
        let proof: Self = decode(bytes)?;
        if proof.old < 0 || proof.new < 0 || proof.hashes.len() > MAX_PROOF_HASHES {
            return Err(ProofDecodeError::OutOfRange);
        }
        Ok(proof)
    }

    /// The one encoder.
    pub fn encode(&self) -> Result<Vec<u8>, CanonicalError> {
        encode(self)
    }

    /// Checks the proof joins `older` to `newer` (sizes from the checkpoints).
    pub fn verify(&self, older: &Checkpoint, newer: &Checkpoint) -> Result<(), ProofDecodeError> {
        for (proof, checkpoint) in [(self.old, older), (self.new, newer)] {
            if proof as u64 != checkpoint.size() {
                return Err(ProofDecodeError::WrongSize {
                    proof,
                    checkpoint: checkpoint.size(),
                });
            }
        }
        verify_consistency(
            older.size(),
            newer.size(),
            &hashes(&self.hashes),
            older.root(),
            newer.root(),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::merkle::{consistency_proof, inclusion_proof, root};
    use super::*;

    fn tree(n: usize) -> (Vec<Vec<u8>>, Vec<[u8; 32]>) {
        let data: Vec<Vec<u8>> = (0..n).map(|i| format!("entry {i}").into_bytes()).collect();
        let leaves = data.iter().map(|d| leaf_hash(d)).collect();
        (data, leaves)
    }

    fn checkpoint(leaves: &[[u8; 32]]) -> Checkpoint {
        Checkpoint::new("teller/test", leaves.len() as u64, root(leaves)).unwrap()
    }

    #[test]
    fn inclusion_proof_round_trips_and_verifies_against_the_checkpoint() {
        let (data, leaves) = tree(7);
        let proof = InclusionProof {
            index: 3,
            size: 7,
            hashes: inclusion_proof(&leaves, 3)
                .unwrap()
                .into_iter()
                .map(Bytes::from)
                .collect(),
        };
        let bytes = proof.encode().unwrap();
        let decoded = InclusionProof::decode(&bytes).unwrap();
        decoded.verify(&data[3], &checkpoint(&leaves)).unwrap();
        assert!(decoded.verify(&data[2], &checkpoint(&leaves)).is_err());
        // Index 3 has the same path shape in trees of 5 to 8: the size must be the checkpoint's.
        let (_, eight) = tree(8);
        assert!(matches!(
            decoded.verify(&data[3], &checkpoint(&eight)),
            Err(ProofDecodeError::WrongSize { .. })
        ));
        let mut truncated = decoded.clone();
        truncated.hashes.pop();
        assert!(truncated.verify(&data[3], &checkpoint(&leaves)).is_err());
    }

    #[test]
    fn consistency_proof_round_trips_and_verifies() {
        let (_, leaves) = tree(9);
        let proof = ConsistencyProof {
            old: 4,
            new: 9,
            hashes: consistency_proof(&leaves, 4)
                .unwrap()
                .into_iter()
                .map(Bytes::from)
                .collect(),
        };
        let decoded = ConsistencyProof::decode(&proof.encode().unwrap()).unwrap();
        decoded
            .verify(&checkpoint(&leaves[..4]), &checkpoint(&leaves))
            .unwrap();
        let (_, fork) = tree(4);
        let mut other = fork.clone();
        other[3] = leaf_hash(b"fork");
        assert!(
            decoded
                .verify(&checkpoint(&other), &checkpoint(&leaves))
                .is_err()
        );
    }

    #[test]
    fn rejects_negative_sizes_and_non_canonical_text() {
        assert!(InclusionProof::decode(br#"{"hashes":[],"index":-1,"size":1}"#).is_err());
        assert!(InclusionProof::decode(br#"{"index":0,"size":1,"hashes":[]}"#).is_err());
        assert!(InclusionProof::decode(br#"{"hashes":[],"index":0,"size":1}"#).is_ok());
    }
}
