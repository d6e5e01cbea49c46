//! The manifest as it is written (docs/PROTOCOL.md §8): public fields, no checks. The voting
//! window's instants, and the re-voting and re-issue policies, with their wire names.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::core::crypto::Bytes;

/// The manifest as it is written: public fields, no checks. See docs/PROTOCOL.md §8.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestDraft {
    /// Always [`MANIFEST_VERSION`](super::MANIFEST_VERSION).
    pub version: i64,
    /// Short id, `[a-z0-9-]{1,64}`.
    pub election: String,
    /// Title shown to members.
    pub title: String,
    /// The voting window (RFC 3339 instants, opens before closes): the box issues passes and
    /// accepts ballots only inside it.
    pub window: Window,
    /// Whether a member may vote again.
    pub revote: Revote,
    /// Whether, and by whose decision, a member who lost the pass secret may get a new pass.
    pub reissue: Reissue,
    /// The contests, at least one.
    pub contests: Vec<ContestDraft>,
    /// The public keys.
    pub keys: Keys,
    /// The trustees: threshold and one share commitment per trustee.
    pub trustees: Trustees,
    /// The witnesses whose cosignatures make a checkpoint one to rely on (docs/PROTOCOL.md §16);
    /// absent when the election names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Witnesses>,
}

/// The voting window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// When voting opens (RFC 3339, e.g. `2026-11-01T09:00:00Z`).
    pub opens: String,
    /// When voting closes (RFC 3339); the first instant at which it is closed.
    pub closes: String,
}

/// The window as instants, in Unix seconds: voting is open for `opens <= t < closes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instants {
    /// When voting opens.
    pub opens: i64,
    /// When voting closes.
    pub closes: i64,
}

impl Instants {
    /// Whether `now` (Unix seconds) falls inside the window.
    pub fn contains(&self, now: i64) -> bool {
        self.opens <= now && now < self.closes
    }
}

/// Parses an RFC 3339 instant (`2026-11-01T09:00:00Z`, `2026-11-01T10:00:00+01:00`) to Unix
/// seconds; fractions of a second are dropped.
pub fn parse_instant(text: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2026-11-01T09:00:00Z ({e})"))
}

/// Writes Unix seconds as RFC 3339 in UTC (`2026-11-01T09:00:00Z`).
pub fn format_instant(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("@{unix}"))
}

/// The re-voting policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Revote {
    /// One ballot per voting pass and contest (usual in party ballots).
    Forbidden,
    /// A later ballot under the same voting key replaces the earlier one, naming it.
    Last,
}

/// The re-issue policy (docs/PROTOCOL.md §8): how many more passes a member may get for a
/// contest after the first, and who decides. Nothing links a member's passes to each other, so
/// each re-issue is a pass that may cast a second ballot: the record counts them, and that count
/// is the contest's worst-case duplicate exposure (docs/design/passes.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reissue {
    /// Who may start a re-issue.
    pub by: ReissueBy,
    /// Re-issues per member and contest, at most; 0 for none, at most [`MAX_REISSUES`].
    pub limit: i64,
}

impl Reissue {
    /// Whether a member who has had `reissued` re-issues for a contest may have one more;
    /// `granted` says whether an unused grant of the returning officer waits for them there (it
    /// matters only under [`ReissueBy::Officer`]). docs/PROTOCOL.md §8.
    pub fn allows(&self, reissued: i64, granted: bool) -> Result<(), ReissueRefused> {
        if self.limit == 0 {
            return Err(ReissueRefused::NoneAllowed);
        }
        if reissued >= self.limit {
            return Err(ReissueRefused::LimitReached { limit: self.limit });
        }
        if self.by == ReissueBy::Officer && !granted {
            return Err(ReissueRefused::NotGranted);
        }
        Ok(())
    }
}

/// Why a member may not have a new pass; the message is for the member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReissueRefused {
    /// The manifest's limit is 0.
    #[error("this election does not issue a second voting pass; only the first one can vote")]
    NoneAllowed,
    /// The member has had every re-issue the manifest allows.
    #[error(
        "you have already had the most new voting passes this election allows for this contest ({limit}); contact the returning officer"
    )]
    LimitReached {
        /// The manifest's limit.
        limit: i64,
    },
    /// Under `by: officer`, no grant waits.
    #[error(
        "in this election only the returning officer can let you have a new voting pass; contact the returning officer, then log in again"
    )]
    NotGranted,
}

/// The most re-issues per member and contest a manifest may allow.
pub const MAX_REISSUES: i64 = 9;

/// Who may start a re-issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReissueBy {
    /// The member, after a fresh login, by asking for a new pass.
    Member,
    /// Only the returning officer, who grants one re-issue at a time (`teller passes reissue`).
    Officer,
}

/// One contest as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestDraft {
    /// Short id, `[a-z0-9-]{1,32}`, unique in the election; also a file name in the record.
    pub id: String,
    /// Title shown on the ballot.
    pub title: String,
    /// Seats to fill.
    pub seats: i64,
    /// The counting rule's name (`scottish`, `meek`, `ers97`, `irv`, `block`).
    pub method: String,
    /// The candidates in ballot order, at least as many as seats.
    pub candidates: Vec<CandidateDraft>,
    /// A minimum of seats for candidates with an attribute, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<MinimumDraft>,
    /// Who may vote in the contest, decided from the register when it is frozen.
    pub eligibility: EligibilityDraft,
}

/// A contest's eligibility rule as the manifest publishes it (DESIGN.md, "Eligibility"). Every
/// member must be in good standing and have joined before `freeze`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityDraft {
    /// The freeze date, `YYYY-MM-DD`: members who joined on or after it may not vote.
    pub freeze: String,
    /// Members in arrears may not vote.
    pub exclude_arrears: bool,
    /// Only members younger than this on the freeze date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub under_age: Option<i64>,
    /// Only members in this region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Only members who declared a disability.
    pub disability: bool,
}

/// One candidate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateDraft {
    /// Name as printed.
    pub name: String,
    /// Gender as the register records it, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Slate, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slate: Option<String>,
    /// The candidate's statement, as the booth shows it, if the election publishes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

/// "At least `seats` seats go to candidates whose `attribute` is `value`."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinimumDraft {
    /// `gender` or `slate`.
    pub attribute: String,
    /// The value that puts a candidate in the group.
    pub value: String,
    /// The minimum number of seats.
    pub seats: i64,
}

/// The election's public keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The issuer's RSA keys (RFC 9474), DER SubjectPublicKeyInfo, one per contest and keyed by
    /// contest id: a blind signature cannot show which contest it was asked for, so only the key
    /// that made it can (docs/design/passes.md).
    pub issuers: BTreeMap<String, Bytes<0>>,
    /// The issuer's note key for issuance-log checkpoints (signed-note verifier key).
    pub issuance_log: String,
    /// The ballot box's note key for ballot-log checkpoints.
    pub ballot_log: String,
    /// The election key ballots are sealed to (X25519).
    pub election: Bytes<32>,
}

/// The trustees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trustees {
    /// Shares needed to rebuild the election key.
    pub threshold: i64,
    /// Commitment to each trustee's share, trustee 1 first (§11): a hash for a dealt key, the
    /// verifying share `s_i·B` for a key from the trustees' ceremony.
    pub commitments: Vec<Bytes<32>>,
    /// The trustees' key ceremony, whole (§11.2), when they made the key together; absent when
    /// the returning officer's machine dealt it (`election create --dealer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<crate::core::ceremony::Ceremony>,
}

/// The witnesses of an election's logs and how many of them must cosign a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witnesses {
    /// Each witness's key, `<name>+<hex key ID>+<base64(0x04 ‖ public key)>`.
    pub keys: Vec<String>,
    /// Distinct witnesses whose cosignatures a checkpoint needs.
    pub quorum: i64,
}
