//! Hashing with domain separation (docs/PROTOCOL.md §2). Every SHA-256 Teller computes over its
//! own data starts with a tag from [`Domain`], so a value of one kind can never be replayed as
//! another: a roster leaf is not an entry hash, a share commitment is not a pass message.

use sha2::{Digest, Sha256};

/// What a hash is of. The tag bytes are `teller/<name>/v1` followed by one zero byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// A member's salted commitment in a contest's roster (§9).
    RosterMember,
    /// The message an issuer blind-signs: election, contest and voting key (§5).
    PassMessage,
    /// Derivation of a contest's voting key from the pass secret (§5).
    PassVotingKey,
    /// Derivation of a contest's blinding randomness from the pass secret (§5).
    PassBlinding,
    /// What a voting key signs in a ballot entry (§10).
    BallotSignature,
    /// HPKE `info` of a sealed ballot (§6).
    BallotSealInfo,
    /// The hash chain over log entries (§10).
    Entry,
    /// A trustee's share commitment (§11).
    ShareCommitment,
    /// The key ceremony's setup: election, threshold, trustees (§11.2).
    CeremonySetup,
    /// What a trustee signs in round 1: commitments, proof, encryption key (§11.2).
    CeremonyRound1,
    /// What a trustee signs in round 2: the sealed shares (§11.2).
    CeremonyRound2,
    /// HPKE `info` of a share sealed from one trustee to another (§11.2).
    CeremonyShareInfo,
    /// What a trustee signs on accepting the ceremony's key (§11.2).
    CeremonyAccept,
    /// What a trustee signs to complain of a share (§11.2).
    CeremonyComplaint,
    /// A trustee's private randomness for one ceremony, from its seed (never published).
    CeremonySeed,
}

impl Domain {
    /// The tag, without its terminating zero byte.
    pub const fn tag(self) -> &'static str {
        match self {
            Domain::RosterMember => "teller/roster/member/v1",
            Domain::PassMessage => "teller/pass/message/v1",
            Domain::PassVotingKey => "teller/pass/voting-key/v1",
            Domain::PassBlinding => "teller/pass/blinding/v1",
            Domain::BallotSignature => "teller/ballot/signature/v1",
            Domain::BallotSealInfo => "teller/ballot/seal/v1",
            Domain::Entry => "teller/log/entry/v1",
            Domain::ShareCommitment => "teller/trustee/share/v1",
            Domain::CeremonySetup => "teller/ceremony/setup/v1",
            Domain::CeremonyRound1 => "teller/ceremony/round1/v1",
            Domain::CeremonyRound2 => "teller/ceremony/round2/v1",
            Domain::CeremonyShareInfo => "teller/ceremony/share/v1",
            Domain::CeremonyAccept => "teller/ceremony/accept/v1",
            Domain::CeremonyComplaint => "teller/ceremony/complaint/v1",
            Domain::CeremonySeed => "teller/ceremony/seed/v1",
        }
    }

    /// Every domain, for tests that the tags are distinct and prefix-free.
    pub const ALL: [Domain; 15] = [
        Domain::RosterMember,
        Domain::PassMessage,
        Domain::PassVotingKey,
        Domain::PassBlinding,
        Domain::BallotSignature,
        Domain::BallotSealInfo,
        Domain::Entry,
        Domain::ShareCommitment,
        Domain::CeremonySetup,
        Domain::CeremonyRound1,
        Domain::CeremonyRound2,
        Domain::CeremonyShareInfo,
        Domain::CeremonyAccept,
        Domain::CeremonyComplaint,
        Domain::CeremonySeed,
    ];
}

/// Builds `tag ‖ 0x00 ‖ fields…`, as bytes to sign or to hash.
#[derive(Clone, Debug)]
pub struct Transcript(Vec<u8>);

impl Transcript {
    /// Starts with `domain`'s tag and the zero byte.
    pub fn new(domain: Domain) -> Self {
        let mut bytes = domain.tag().as_bytes().to_vec();
        bytes.push(0);
        Self(bytes)
    }

    /// Appends bytes of a length fixed by the protocol (a hash, a key).
    pub fn fixed(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }

    /// Appends bytes of variable length, prefixed by their length as 4 bytes big-endian, so no
    /// two sequences of fields give the same transcript.
    pub fn field(mut self, bytes: &[u8]) -> Self {
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(bytes);
        self
    }

    /// The transcript's bytes (what a signature covers).
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// SHA-256 of the transcript.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(&self.0).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_distinct_and_none_is_a_prefix_of_another() {
        for a in Domain::ALL {
            for b in Domain::ALL {
                if a != b {
                    assert!(!b.tag().starts_with(a.tag()), "{a:?} prefixes {b:?}");
                }
            }
        }
    }

    #[test]
    fn transcript_known_answer() {
        // SHA-256("teller/log/entry/v1" ‖ 00 ‖ 00000003 ‖ "abc"), computed with Python hashlib.
        let hash = Transcript::new(Domain::Entry).field(b"abc").hash();
        let bytes = Transcript::new(Domain::Entry).field(b"abc").into_bytes();
        assert_eq!(bytes, b"teller/log/entry/v1\0\0\0\0\x03abc");
        use sha2::Digest as _;
        assert_eq!(hash, <[u8; 32]>::from(sha2::Sha256::digest(&bytes)));
    }

    #[test]
    fn fields_cannot_be_shifted_between_each_other() {
        let a = Transcript::new(Domain::Entry)
            .field(b"ab")
            .field(b"c")
            .hash();
        let b = Transcript::new(Domain::Entry)
            .field(b"a")
            .field(b"bc")
            .hash();
        assert_ne!(a, b);
    }
}
