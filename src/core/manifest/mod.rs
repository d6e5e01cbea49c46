//! The election manifest (docs/PROTOCOL.md §8): contests, candidates, counting rules, the
//! re-voting policy, the keys, and the trustees' share commitments, as canonical JSON. Its SHA-256
//! is the election's fingerprint, printed on every notice.
//!
//! Parse, don't validate: [`ManifestDraft`] is the wire shape; [`Manifest::new`] checks it once
//! (ids, seats, constraint, keys, trustees) and downstream code takes `&Manifest` without checking
//! again.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod check;
mod draft;
#[cfg(test)]
mod tests;

pub use draft::*;

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::core::count::{
    Attribute, Candidate, CandidateAttributes, Constraint, CountOptions, ElectionBuilder, Method,
};
use crate::core::crypto::{
    Bytes, CanonicalError, DecodeError, ElectionPublicKey, IssuerPublicKey, KeyOrigin,
    MAX_TRUSTEES, decode, encode,
};
use crate::core::log::{NoteVerifier, WitnessKey};
use crate::core::register::{Date, EligibilityRule};

use check::{check_contest, check_id, check_issuer_key, check_texts, check_window};
/// The version this code writes and reads.
pub const MANIFEST_VERSION: i64 = 1;
/// Most candidates in one contest.
pub const MAX_CANDIDATES: usize = 1000;
/// Most witnesses an election may name (a signed note carries at most 100 signature lines, the
/// log's own among them).
pub const MAX_WITNESSES: usize = 32;

/// Why a manifest is refused. Each names the field and the fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ManifestError {
    /// Not canonical JSON of the manifest's shape.
    #[error("the manifest is not canonical JSON of the expected shape: {0}")]
    Decode(#[from] DecodeError),
    /// Encoding failed (a number out of range).
    #[error(transparent)]
    Encode(#[from] CanonicalError),
    /// Another version.
    #[error("manifest version {0} is not supported (this is version {MANIFEST_VERSION})")]
    Version(i64),
    /// Canonical JSON, but not the manifest's one encoding (an optional member written as null).
    #[error("the manifest writes an optional member as null; leave it out instead")]
    NotTheEncoding,
    /// An id with characters outside `[a-z0-9-]` or of the wrong length.
    #[error("{what} id {id:?} must be 1 to {max} characters of a-z, 0-9 and -")]
    BadId {
        /// What kind of id.
        what: &'static str,
        /// The id.
        id: String,
        /// The longest allowed.
        max: usize,
    },
    /// No contests.
    #[error("the election has no contests")]
    NoContests,
    /// Two contests with one id.
    #[error("contest id {0:?} is used twice")]
    DuplicateContest(String),
    /// A contest problem.
    #[error("contest {contest:?}: {problem}")]
    Contest {
        /// The contest's id.
        contest: String,
        /// What is wrong.
        problem: String,
    },
    /// A key that does not parse.
    #[error("keys.{key}: {problem}")]
    BadKey {
        /// Which key.
        key: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// `keys.issuers` does not name exactly the contests.
    #[error(
        "keys.issuers must hold one key per contest: {missing:?} without a key, {unknown:?} not contests"
    )]
    IssuerKeysNotTheContests {
        /// Contests without an issuer key.
        missing: Vec<String>,
        /// Keys named for no contest.
        unknown: Vec<String>,
    },
    /// Two contests share one issuer key (or RSA modulus), so a pass for one would be good for
    /// the other.
    #[error(
        "keys.issuers: contests {first:?} and {second:?} share one key; each contest needs its own"
    )]
    SharedIssuerKey {
        /// The first contest.
        first: String,
        /// The contest reusing its key.
        second: String,
    },
    /// A name or title that could not be written to the record's line-based files and read
    /// back (a line break or another control character), or an empty name.
    #[error("{field}: {problem}")]
    BadText {
        /// Where: `title`, `contest nec: title`, `contest nec: candidate 3 name`, …
        field: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A window time that is not RFC 3339, or a window that closes before it opens.
    #[error("window: {0}")]
    BadWindow(String),
    /// A re-issue limit out of range.
    #[error(
        "reissue.limit {0} must be between 0 (no re-issues) and {MAX_REISSUES} re-issues per member and contest"
    )]
    BadReissueLimit(i64),
    /// A witness key that does not parse, a name used twice, or a quorum out of range.
    #[error("witnesses: {0}")]
    BadWitnesses(String),
    /// The trustees' key ceremony does not check, or does not make this manifest's keys.
    #[error("trustees.ceremony: {0}")]
    BadCeremony(String),
    /// Bad threshold or commitment count.
    #[error(
        "trustees: threshold {threshold} must be between 1 and the number of commitments ({trustees}), at most {MAX_TRUSTEES}"
    )]
    BadTrustees {
        /// t.
        threshold: i64,
        /// n.
        trustees: usize,
    },
}

/// The ceremony checks (signatures, proofs, every trustee's acceptance) and made exactly this
/// manifest's election, threshold, election key and share commitments.
fn check_ceremony(
    draft: &ManifestDraft,
    ceremony: &crate::core::ceremony::Ceremony,
) -> Result<(), ManifestError> {
    let bad = |reason: String| Err(ManifestError::BadCeremony(reason));
    let outcome = ceremony
        .check()
        .map_err(|e| ManifestError::BadCeremony(e.to_string()))?;
    if ceremony.setup.election != draft.election {
        return bad(format!(
            "the ceremony was for election {:?}, not {:?}",
            ceremony.setup.election, draft.election
        ));
    }
    if ceremony.setup.threshold != draft.trustees.threshold {
        return bad(format!(
            "the ceremony's threshold is {}, the manifest's {}",
            ceremony.setup.threshold, draft.trustees.threshold
        ));
    }
    if draft.keys.election.array() != outcome.election_key {
        return bad("the election key is not the one the ceremony made".into());
    }
    let commitments: Vec<[u8; 32]> = draft
        .trustees
        .commitments
        .iter()
        .map(Bytes::array)
        .collect();
    if commitments != outcome.verifying_shares {
        return bad("the share commitments are not the ceremony's verifying shares".into());
    }
    Ok(())
}

/// A contest definition's candidates as the count takes them, with gender and slate.
fn count_candidates(draft: &ContestDraft) -> Vec<Candidate> {
    (draft.candidates.iter())
        .map(|c| Candidate {
            name: c.name.clone(),
            nick: None,
            withdrawn: false,
            attributes: CandidateAttributes {
                gender: c.gender.clone(),
                slate: c.slate.clone(),
            },
        })
        .collect()
}

/// The witnesses' keys, each parsed, no name twice, and 1 ≤ quorum ≤ witnesses ≤
/// [`MAX_WITNESSES`].
fn check_witnesses(witnesses: Option<&Witnesses>) -> Result<Vec<WitnessKey>, ManifestError> {
    let Some(witnesses) = witnesses else {
        return Ok(Vec::new());
    };
    let bad = ManifestError::BadWitnesses;
    let n = witnesses.keys.len();
    if n == 0 || n > MAX_WITNESSES {
        return Err(bad(format!(
            "name 1 to {MAX_WITNESSES} witness keys, not {n} (leave witnesses out for none)"
        )));
    }
    if witnesses.quorum < 1 || witnesses.quorum as usize > n {
        return Err(bad(format!(
            "quorum {} must be between 1 and the number of witnesses ({n})",
            witnesses.quorum
        )));
    }
    let mut keys: Vec<WitnessKey> = Vec::with_capacity(n);
    for (i, encoded) in witnesses.keys.iter().enumerate() {
        let key = WitnessKey::parse(encoded).map_err(|e| bad(format!("key {}: {e}", i + 1)))?;
        if keys.iter().any(|k| k.name() == key.name()) {
            return Err(bad(format!(
                "key {}: witness name {:?} is named twice",
                i + 1,
                key.name()
            )));
        }
        keys.push(key);
    }
    Ok(keys)
}

/// A checked contest.
#[derive(Clone, Debug)]
pub struct Contest {
    draft: ContestDraft,
    issuer: IssuerPublicKey,
    method: Method,
    constraint: Option<Constraint>,
    eligibility: EligibilityRule,
}

impl Contest {
    /// The contest's id.
    pub fn id(&self) -> &str {
        &self.draft.id
    }

    /// The contest as written.
    pub fn draft(&self) -> &ContestDraft {
        &self.draft
    }

    /// Seats to fill.
    pub fn seats(&self) -> usize {
        self.draft.seats as usize
    }

    /// The issuer's blind-signature key for this contest's passes (docs/PROTOCOL.md §5).
    pub fn issuer_key(&self) -> &IssuerPublicKey {
        &self.issuer
    }

    /// Who may vote in the contest.
    pub fn eligibility(&self) -> &EligibilityRule {
        &self.eligibility
    }

    /// The counting rule.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Number of candidates.
    pub fn candidate_count(&self) -> usize {
        self.draft.candidates.len()
    }

    /// The candidates for the count, with gender and slate.
    pub fn count_candidates(&self) -> Vec<Candidate> {
        count_candidates(&self.draft)
    }

    /// How to count this contest with the tie-break `seed`.
    pub fn count_options(&self, seed: &[u8]) -> CountOptions {
        CountOptions {
            method: self.method,
            seed: Some(seed.to_vec()),
            constraint: self.constraint.clone(),
        }
    }
}

/// A checked manifest with its canonical bytes and fingerprint.
#[derive(Clone, Debug)]
pub struct Manifest {
    draft: ManifestDraft,
    contests: Vec<Contest>,
    window: Instants,
    bytes: Vec<u8>,
    fingerprint: [u8; 32],
    issuance_log: NoteVerifier,
    ballot_log: NoteVerifier,
    witnesses: Vec<WitnessKey>,
}

impl Manifest {
    /// Checks `draft` and computes its canonical bytes and fingerprint.
    pub fn new(draft: ManifestDraft) -> Result<Self, ManifestError> {
        if draft.version != MANIFEST_VERSION {
            return Err(ManifestError::Version(draft.version));
        }
        check_id("election", &draft.election, 64)?;
        check_texts(&draft)?;
        let window = check_window(&draft.window)?;
        if !(0..=MAX_REISSUES).contains(&draft.reissue.limit) {
            return Err(ManifestError::BadReissueLimit(draft.reissue.limit));
        }
        if draft.contests.is_empty() {
            return Err(ManifestError::NoContests);
        }
        for (i, contest) in draft.contests.iter().enumerate() {
            check_id("contest", &contest.id, 32)?;
            if draft.contests[..i].iter().any(|c| c.id == contest.id) {
                return Err(ManifestError::DuplicateContest(contest.id.clone()));
            }
        }
        let issuers = &draft.keys.issuers;
        let missing: Vec<String> = (draft.contests.iter())
            .filter(|c| !issuers.contains_key(&c.id))
            .map(|c| c.id.clone())
            .collect();
        let unknown: Vec<String> = (issuers.keys())
            .filter(|id| !draft.contests.iter().any(|c| &c.id == *id))
            .cloned()
            .collect();
        if !missing.is_empty() || !unknown.is_empty() {
            return Err(ManifestError::IssuerKeysNotTheContests { missing, unknown });
        }
        let mut contests = Vec::with_capacity(draft.contests.len());
        // One key per contest is the whole point: a key shared by two contests (or a modulus,
        // under another exponent) would sign a pass good for either.
        let mut moduli: BTreeMap<Vec<u8>, &str> = BTreeMap::new();
        for contest in &draft.contests {
            let der = issuers.get(&contest.id).map_or(&[][..], |k| &k.0);
            let issuer = check_issuer_key(&contest.id, der)?;
            if let Some(first) = moduli.insert(issuer.components().n(), &contest.id) {
                return Err(ManifestError::SharedIssuerKey {
                    first: first.to_owned(),
                    second: contest.id.clone(),
                });
            }
            contests.push(check_contest(contest, issuer)?);
        }
        let bad_key = |key, problem: String| ManifestError::BadKey { key, problem };
        let issuance_log = NoteVerifier::parse(&draft.keys.issuance_log)
            .map_err(|e| bad_key("issuance_log", e.to_string()))?;
        let ballot_log = NoteVerifier::parse(&draft.keys.ballot_log)
            .map_err(|e| bad_key("ballot_log", e.to_string()))?;
        let trustees = draft.trustees.commitments.len();
        if draft.trustees.threshold < 1
            || draft.trustees.threshold as usize > trustees
            || trustees > usize::from(MAX_TRUSTEES)
        {
            return Err(ManifestError::BadTrustees {
                threshold: draft.trustees.threshold,
                trustees,
            });
        }
        if let Some(ceremony) = &draft.trustees.ceremony {
            check_ceremony(&draft, ceremony)?;
        }
        let witnesses = check_witnesses(draft.witnesses.as_ref())?;
        let bytes = encode(&draft)?;
        let fingerprint = Sha256::digest(&bytes).into();
        Ok(Self {
            witnesses,
            draft,
            contests,
            window,
            bytes,
            fingerprint,
            issuance_log,
            ballot_log,
        })
    }

    /// Parses and checks canonical manifest bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        let manifest = Self::new(decode(bytes)?)?;
        // Canonical JSON can still spell one manifest two ways (`"minimum":null` or left out);
        // only the one this code writes is accepted, so the fingerprint is SHA-256 of the file.
        if manifest.bytes != bytes {
            return Err(ManifestError::NotTheEncoding);
        }
        Ok(manifest)
    }

    /// The manifest as written.
    pub fn draft(&self) -> &ManifestDraft {
        &self.draft
    }

    /// The canonical bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// SHA-256 of the canonical bytes: the election's fingerprint.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The fingerprint in lower-case hex, as printed on notices.
    pub fn fingerprint_hex(&self) -> String {
        base16ct::lower::encode_string(&self.fingerprint)
    }

    /// The contests in manifest order.
    pub fn contests(&self) -> &[Contest] {
        &self.contests
    }

    /// The contest with this id.
    pub fn contest(&self, id: &str) -> Option<&Contest> {
        self.contests.iter().find(|c| c.id() == id)
    }

    /// The voting window as instants.
    pub fn window(&self) -> Instants {
        self.window
    }

    /// The re-voting policy.
    pub fn revote(&self) -> Revote {
        self.draft.revote
    }

    /// The re-issue policy.
    pub fn reissue(&self) -> Reissue {
        self.draft.reissue
    }

    /// The issuance log's checkpoint key.
    pub fn issuance_log_key(&self) -> &NoteVerifier {
        &self.issuance_log
    }

    /// The ballot log's checkpoint key.
    pub fn ballot_log_key(&self) -> &NoteVerifier {
        &self.ballot_log
    }

    /// The witnesses the manifest names (none if it names none), in manifest order.
    pub fn witnesses(&self) -> &[WitnessKey] {
        &self.witnesses
    }

    /// Distinct witnesses whose cosignatures a checkpoint needs: 0 when the manifest names none.
    pub fn witness_quorum(&self) -> usize {
        self.draft
            .witnesses
            .as_ref()
            .map_or(0, |w| w.quorum as usize)
    }

    /// The election key ballots are sealed to.
    pub fn election_key(&self) -> ElectionPublicKey {
        ElectionPublicKey::from_bytes(self.draft.keys.election.array())
    }

    /// Shares needed for the key reveal.
    pub fn threshold(&self) -> usize {
        self.draft.trustees.threshold as usize
    }

    /// How the election key was made: by the trustees' ceremony, or dealt.
    pub fn key_origin(&self) -> KeyOrigin {
        if self.draft.trustees.ceremony.is_some() {
            KeyOrigin::Ceremony
        } else {
            KeyOrigin::Dealer
        }
    }

    /// The trustees' key ceremony, if they made the key together.
    pub fn ceremony(&self) -> Option<&crate::core::ceremony::Ceremony> {
        self.draft.trustees.ceremony.as_ref()
    }

    /// Trustee `index`'s name, when the ceremony names them, else `trustee <index>`.
    pub fn trustee_name(&self, index: u8) -> String {
        match self.ceremony() {
            Some(c) if usize::from(index) <= c.setup.count() && index > 0 => {
                format!("trustee {index} ({})", c.setup.name(index))
            }
            _ => format!("trustee {index}"),
        }
    }

    /// The trustees' share commitments, trustee 1 first.
    pub fn share_commitments(&self) -> Vec<[u8; 32]> {
        self.draft
            .trustees
            .commitments
            .iter()
            .map(Bytes::array)
            .collect()
    }

    /// Origin line of the ballot log's checkpoints.
    pub fn ballot_log_origin(&self) -> String {
        format!("teller/ballots/{}", self.fingerprint_hex())
    }

    /// Origin line of the issuance log's checkpoints.
    pub fn issuance_log_origin(&self) -> String {
        format!("teller/issuance/{}", self.fingerprint_hex())
    }
}
