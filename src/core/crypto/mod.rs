//! Cryptography and canonical encoding for the election record (docs/PROTOCOL.md §1–2). So far:
//! canonical JSON. Passes, sealing and key shares follow with issue "The election record".

mod canonical;

pub use canonical::{
    CanonicalError, MAX_SAFE_INTEGER, decode_bytes, encode_bytes, parse_canonical, to_canonical,
};
