//! The election log: so far the RFC 6962 Merkle tree and its proofs. Entries, the hash chain and
//! checkpoints come with the election record (issue "The election record").

mod merkle;
mod note;

pub use merkle::{
    Hash, ProofError, consistency_proof, inclusion_proof, leaf_hash, node_hash, root,
    verify_consistency, verify_inclusion,
};
pub use note::{
    MAX_NOTE_BYTES, MAX_SIGNATURES, NoteError, NoteSignature, NoteSigner, NoteVerifier, key_id,
    open_note, parse_note,
};
