//! The API's request and response bodies (docs/API.md), below both of their users: the server and
//! Teller's own member client (`teller vote-sim`); the booth's are in [`crate::core::booth`]. Byte
//! strings are unpadded base64url, as in the record.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use serde::{Deserialize, Serialize};

use crate::core::crypto::Bytes;

/// An election in the list.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ElectionSummary {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// `created`, `open`, `closed` or `tallied`.
    pub state: String,
    /// The manifest's SHA-256, hex.
    pub fingerprint: String,
    /// The closing time in force (RFC 3339): the manifest's, or a later one the returning
    /// officer set (`teller election extend`).
    pub closes: String,
    /// Whether passes and ballots are taken now: open, and inside the window.
    pub voting: bool,
}

/// `POST /api/elections/{id}/login`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Membership number.
    pub member: String,
    /// Invitation code, as printed (dashes and case do not matter).
    pub code: String,
}

/// The answer to a login.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    /// Unix time the session ends.
    pub expires: i64,
    /// The contests the member may vote in.
    pub contests: Vec<String>,
}

/// `POST /api/elections/{id}/passes`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassRequestBody {
    /// The contest.
    pub contest: String,
    /// The blinded message (RFC 9474).
    pub blinded: Bytes<0>,
    /// Asks for a new pass though one was issued (the member lost the pass secret); allowed
    /// only as the manifest's `reissue` policy says (docs/PROTOCOL.md §8).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reissue: bool,
}

/// The issuer's answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PassResponse {
    /// The contest.
    pub contest: String,
    /// The blind signature.
    pub blind_signature: Bytes<0>,
}

pub use crate::core::booth::{CastBody, Receipt, tracker};
