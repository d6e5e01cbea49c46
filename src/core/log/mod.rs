//! The election log: the RFC 6962 Merkle tree and its proofs, C2SP signed notes and checkpoints
//! (docs/PROTOCOL.md §3–4), and the entries with their hash chain (§10).

mod checkpoint;
mod cosignature;
mod entry;
mod merkle;
mod note;
mod promise;
mod proof;
mod publish;

pub use checkpoint::{
    Checkpoint, CheckpointError, InconsistencyKind, Inconsistent, verify_consistent,
};
pub use cosignature::{
    CosignatureError, Cosigned, MAX_TIMESTAMP, Witness, WitnessKey, cosignatures, cosigned_message,
    short_of_quorum, witness_key_id,
};
pub use entry::{
    BallotEntry, CloseEntry, Entry, IssuanceEntry, LogWriter, OpenEntry, PassJson, RemovalEntry,
    RosterCommitment, ballot_message, entry_hash,
};
pub use merkle::{
    Frontier, Hash, ProofError, consistency_proof, consistency_proof_with, inclusion_proof,
    inclusion_proof_with, leaf_hash, node_hash, root, subtree_from_nodes, verify_consistency,
    verify_inclusion,
};
pub use note::{
    MAX_NOTE_BYTES, MAX_SIGNATURES, NoteError, NoteSignature, NoteSigner, NoteVerifier, key_id,
    open_note, parse_note,
};
pub use promise::{open_promise, promise_text};
pub use proof::{ConsistencyProof, InclusionProof, MAX_PROOF_HASHES, ProofDecodeError};
pub use publish::{ISSUANCE_BATCH, publication_order};
