//! The API's request and response bodies (docs/API.md), shared by the server and Teller's own
//! member client (`teller vote-sim`). Byte strings are unpadded base64url, as in the record.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use serde::{Deserialize, Serialize};

use crate::core::crypto::Bytes;
use crate::core::log::PassJson;

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
}

/// The issuer's answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PassResponse {
    /// The contest.
    pub contest: String,
    /// The blind signature.
    pub blind_signature: Bytes<0>,
}

/// `POST /api/elections/{id}/ballots`: no cookie, no identity.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CastBody {
    /// The contest.
    pub contest: String,
    /// The voting pass.
    pub pass: PassJson,
    /// HPKE encapsulated key.
    pub enc: Bytes<32>,
    /// HPKE ciphertext.
    pub ct: Bytes<0>,
    /// The voting key's signature over the ballot message.
    pub signature: Bytes<64>,
    /// Under re-voting policy `last`: the entry this ballot replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<i64>,
}

/// The receipt: where the ballot went, and the box's signed promise.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Receipt {
    /// The entry's sequence number.
    pub seq: i64,
    /// The entry's Merkle leaf hash.
    pub leaf: Bytes<32>,
    /// A short code to find the ballot in the published record.
    pub tracker: String,
    /// The signed promise of inclusion (a signed note, docs/PROTOCOL.md §10.4).
    pub promise: String,
}

/// The tracker of an entry: the first five bytes of its leaf hash, in two groups of hex.
pub fn tracker(leaf: &[u8; 32]) -> String {
    let hex: String = leaf[..5].iter().map(|b| format!("{b:02X}")).collect();
    format!("{}-{}", &hex[..5], &hex[5..])
}
