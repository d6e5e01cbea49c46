//! Cryptography and canonical encoding for the election record (docs/PROTOCOL.md §1–2, §5–6,
//! §11): canonical JSON, domain-separated hashing, voting passes (RFC 9474 blind signatures),
//! sealed ballots (HPKE, RFC 9180), trustee shares of the election key, and invitation codes
//! (argon2id).

mod canonical;
pub mod dhkem;
mod hash;
mod invitation;
mod pass;
mod random;
mod seal;
mod share;

pub use canonical::{
    Bytes, CanonicalError, DecodeError, MAX_SAFE_INTEGER, decode, decode_bytes, encode,
    encode_bytes, parse_canonical, to_canonical,
};
pub use hash::{Domain, Transcript};
pub use invitation::{
    ARGON2_M_COST, ARGON2_P_COST, ARGON2_T_COST, CODE_BYTES, CODE_CHARS, InvitationCode,
    InvitationError, InvitationHash,
};
pub use pass::{
    ISSUER_KEY_BITS, IssuerKeyPair, IssuerPublicKey, IssuerSecretKey, PASS_SIGNATURE_LEN, Pass,
    PassError, PassRequest, PassSecret, generate_issuer_key, pass_message, sign_blinded,
};
pub use random::{NoRandomness, os_rng};
pub use seal::{
    ENC_LEN, ElectionPublicKey, ElectionSecretKey, IKM_LEN, KeyOrigin, SealError, SealedBallot,
    TAG_LEN, open, seal, seal_info, seal_with_ikm,
};
pub use share::{MAX_TRUSTEES, Share, ShareError, deal, reconstruct};
