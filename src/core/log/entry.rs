//! Log entries and the hash chain (docs/PROTOCOL.md §10).
//!
//! Two logs make up an election: the issuer's issuance log (one `issuance` entry per pass issued,
//! one `removal` entry per contest of a member removed after opening) and the ballot box's ballot
//! log (`open`, then `ballot` entries, then `close`). Each entry is one
//! line of canonical JSON carrying its sequence number and the hash of the previous entry (the
//! first entry's `prev` is the manifest fingerprint, which anchors the chain to the election); the
//! entry's bytes are also its leaf in the RFC 6962 tree (§3).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::checkpoint::Checkpoint;
use super::merkle::{Frontier, leaf_hash};
use super::note::{NoteError, NoteSigner};
use crate::core::crypto::{
    Bytes, CanonicalError, DecodeError, Domain, Pass, SealedBallot, Transcript, decode, encode,
};

/// One entry of either log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Entry {
    /// Opens the ballot log and commits to the frozen rosters.
    Open(OpenEntry),
    /// One pass issued (issuance log).
    Issuance(IssuanceEntry),
    /// A member removed from a contest after opening: no pass may follow (issuance log).
    Removal(RemovalEntry),
    /// One sealed ballot cast (ballot log).
    Ballot(BallotEntry),
    /// Closes the ballot log: nothing may follow.
    Close(CloseEntry),
}

/// A contest's roster commitment: how many members are eligible and the Merkle root of their
/// salted commitments (§9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterCommitment {
    /// Eligible members.
    pub eligible: i64,
    /// RFC 6962 root over the sorted member commitments.
    pub root: Bytes<32>,
}

/// The `open` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenEntry {
    /// Sequence number (0).
    pub seq: i64,
    /// The manifest fingerprint.
    pub prev: Bytes<32>,
    /// Roster commitment per contest id.
    pub rosters: BTreeMap<String, RosterCommitment>,
}

/// An `issuance` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuanceEntry {
    /// Sequence number.
    pub seq: i64,
    /// Hash of the previous entry (or the fingerprint).
    pub prev: Bytes<32>,
    /// The contest.
    pub contest: String,
    /// The member's roster commitment in that contest.
    pub member: Bytes<32>,
    /// A second pass for a member who lost the first, under the election's policy.
    pub reissue: bool,
}

/// A `removal` entry: the returning officer removed the member after the election opened
/// (suspension, expulsion, death). No issuance for this member and contest may follow it; a pass
/// issued before it stays good, as a ballot cast before it counts (DESIGN.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovalEntry {
    /// Sequence number.
    pub seq: i64,
    /// Hash of the previous entry.
    pub prev: Bytes<32>,
    /// The contest.
    pub contest: String,
    /// The member's roster commitment in that contest.
    pub member: Bytes<32>,
}

/// A pass as a ballot entry carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassJson {
    /// The voting key.
    pub key: Bytes<32>,
    /// RFC 9474's message randomizer.
    pub randomizer: Bytes<32>,
    /// The issuer's signature.
    pub signature: Bytes<0>,
}

impl From<&Pass> for PassJson {
    fn from(pass: &Pass) -> Self {
        Self {
            key: pass.key.into(),
            randomizer: pass.randomizer.into(),
            signature: Bytes(pass.signature.clone()),
        }
    }
}

impl PassJson {
    /// The pass.
    pub fn pass(&self) -> Pass {
        Pass {
            key: self.key.array(),
            randomizer: self.randomizer.array(),
            signature: self.signature.0.clone(),
        }
    }
}

/// A `ballot` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotEntry {
    /// Sequence number.
    pub seq: i64,
    /// Hash of the previous entry.
    pub prev: Bytes<32>,
    /// The contest.
    pub contest: String,
    /// The voting pass.
    pub pass: PassJson,
    /// HPKE encapsulated key.
    pub enc: Bytes<32>,
    /// HPKE ciphertext.
    pub ct: Bytes<0>,
    /// The voting key's Ed25519 signature over [`ballot_message`].
    pub signature: Bytes<64>,
    /// Under re-voting policy `last`: the entry this ballot replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<i64>,
}

impl BallotEntry {
    /// The sealed ballot.
    pub fn sealed(&self) -> SealedBallot {
        SealedBallot {
            enc: self.enc.array(),
            ct: self.ct.0.clone(),
        }
    }
}

/// The `close` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseEntry {
    /// Sequence number.
    pub seq: i64,
    /// Hash of the previous entry.
    pub prev: Bytes<32>,
}

/// What a voting key signs: `tag ‖ fingerprint ‖ contest ‖ voting key ‖ enc ‖ ct ‖ replaces`,
/// where `replaces` is empty or the replaced entry's sequence number as 8 bytes big-endian.
pub fn ballot_message(
    election: &[u8; 32],
    contest: &str,
    voting_key: &[u8; 32],
    sealed: &SealedBallot,
    replaces: Option<i64>,
) -> Vec<u8> {
    let replaces = replaces
        .map(|r| r.to_be_bytes().to_vec())
        .unwrap_or_default();
    Transcript::new(Domain::BallotSignature)
        .fixed(election)
        .field(contest.as_bytes())
        .fixed(voting_key)
        .fixed(&sealed.enc)
        .field(&sealed.ct)
        .field(&replaces)
        .into_bytes()
}

impl Entry {
    /// The entry's sequence number.
    pub fn seq(&self) -> i64 {
        match self {
            Entry::Open(e) => e.seq,
            Entry::Issuance(e) => e.seq,
            Entry::Removal(e) => e.seq,
            Entry::Ballot(e) => e.seq,
            Entry::Close(e) => e.seq,
        }
    }

    /// The hash of the previous entry it carries.
    pub fn prev(&self) -> [u8; 32] {
        match self {
            Entry::Open(e) => e.prev.array(),
            Entry::Issuance(e) => e.prev.array(),
            Entry::Removal(e) => e.prev.array(),
            Entry::Ballot(e) => e.prev.array(),
            Entry::Close(e) => e.prev.array(),
        }
    }

    /// The one encoder: canonical JSON, without a newline.
    pub fn encode(&self) -> Result<Vec<u8>, CanonicalError> {
        encode(self)
    }

    /// The one decoder: canonical JSON of one entry, nothing else.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode(bytes)
    }
}

/// The chain hash of an entry: `SHA-256(tag ‖ entry bytes)`.
pub fn entry_hash(bytes: &[u8]) -> [u8; 32] {
    Transcript::new(Domain::Entry).fixed(bytes).hash()
}

/// An append-only log being written: sequence numbers, the hash chain, leaf hashes, checkpoints.
#[derive(Clone, Debug)]
pub struct LogWriter {
    origin: String,
    last: [u8; 32],
    entries: Vec<Vec<u8>>,
    /// The tree's right edge, so a checkpoint costs `O(log n)`, not a pass over every leaf.
    frontier: Frontier,
}

impl LogWriter {
    /// An empty log of `origin`, its chain anchored at the manifest `fingerprint`.
    pub fn new(origin: String, fingerprint: [u8; 32]) -> Self {
        Self {
            origin,
            last: fingerprint,
            entries: Vec::new(),
            frontier: Frontier::default(),
        }
    }

    /// The next sequence number.
    pub fn next_seq(&self) -> i64 {
        self.entries.len() as i64
    }

    /// What the next entry's `prev` must be.
    pub fn prev(&self) -> Bytes<32> {
        self.last.into()
    }

    /// Appends the entry `make(seq, prev)` builds, returning its sequence number.
    pub fn append(
        &mut self,
        make: impl FnOnce(i64, Bytes<32>) -> Entry,
    ) -> Result<i64, CanonicalError> {
        let seq = self.next_seq();
        let bytes = make(seq, self.prev()).encode()?;
        self.last = entry_hash(&bytes);
        self.frontier.append(leaf_hash(&bytes));
        self.entries.push(bytes);
        Ok(seq)
    }

    /// The encoded entries so far.
    pub fn entries(&self) -> &[Vec<u8>] {
        &self.entries
    }

    /// The checkpoint of the log as it stands.
    pub fn checkpoint(&self) -> Result<Checkpoint, super::CheckpointError> {
        Checkpoint::new(&self.origin, self.frontier.size(), self.frontier.root())
    }

    /// The checkpoint signed by `signer`, as a signed note.
    pub fn signed_checkpoint(&self, signer: &NoteSigner) -> Result<String, NoteError> {
        let checkpoint = self.checkpoint().map_err(|_| NoteError::Malformed {
            reason: "the log origin is not a valid origin line",
        })?;
        signer.sign(&checkpoint.to_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(seq: i64, prev: Bytes<32>) -> Entry {
        Entry::Close(CloseEntry { seq, prev })
    }

    #[test]
    fn entries_round_trip_through_the_one_codec() {
        let entry = Entry::Issuance(IssuanceEntry {
            seq: 3,
            prev: [1; 32].into(),
            contest: "nec".into(),
            member: [2; 32].into(),
            reissue: false,
        });
        let bytes = entry.encode().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "{\"contest\":\"nec\",\"member\":\"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI\",\
             \"prev\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\",\"reissue\":false,\"seq\":3,\
             \"type\":\"issuance\"}"
        );
        assert_eq!(Entry::decode(&bytes).unwrap(), entry);

        let removal = Entry::Removal(RemovalEntry {
            seq: 4,
            prev: [1; 32].into(),
            contest: "nec".into(),
            member: [2; 32].into(),
        });
        let bytes = removal.encode().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "{\"contest\":\"nec\",\"member\":\"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI\",\
             \"prev\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\",\"seq\":4,\"type\":\"removal\"}"
        );
        assert_eq!(Entry::decode(&bytes).unwrap(), removal);
        // A removal carries no `reissue`, and an issuance cannot leave it out.
        let text = String::from_utf8(bytes).unwrap();
        let flagged = text.replace("\"seq\"", "\"reissue\":false,\"seq\"");
        assert!(Entry::decode(flagged.as_bytes()).is_err());
        let unflagged = text.replace("removal", "issuance");
        assert!(Entry::decode(unflagged.as_bytes()).is_err());
    }

    #[test]
    fn rejects_unknown_members_unknown_types_and_short_hashes() {
        let good = close(1, [0; 32].into()).encode().unwrap();
        let text = String::from_utf8(good).unwrap();
        let extra = text.replace("\"seq\"", "\"extra\":1,\"seq\"");
        assert!(Entry::decode(extra.as_bytes()).is_err());
        let kind = text.replace("close", "closed");
        assert!(Entry::decode(kind.as_bytes()).is_err());
        let short = text.replace("AAAAAAAAAAA\"", "AAAAAAAA\"");
        assert!(Entry::decode(short.as_bytes()).is_err());
        let spaced = text.replace(',', ", ");
        assert!(Entry::decode(spaced.as_bytes()).is_err());
    }

    #[test]
    fn writer_chains_entries_from_the_fingerprint() {
        let mut log = LogWriter::new("teller/test".into(), [9; 32]);
        log.append(close).unwrap();
        log.append(close).unwrap();
        let first = Entry::decode(&log.entries()[0]).unwrap();
        let second = Entry::decode(&log.entries()[1]).unwrap();
        assert_eq!(first.prev(), [9; 32]);
        assert_eq!(second.prev(), entry_hash(&log.entries()[0]));
        assert_eq!(second.seq(), 1);
        assert_eq!(log.checkpoint().unwrap().size(), 2);
    }
}
