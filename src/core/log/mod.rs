//! The election log: so far the RFC 6962 Merkle tree and its proofs. Entries, the hash chain and
//! checkpoints come with the election record (issue "The election record").

mod merkle;

pub use merkle::{
    Hash, ProofError, consistency_proof, inclusion_proof, leaf_hash, node_hash, root,
    verify_consistency, verify_inclusion,
};
