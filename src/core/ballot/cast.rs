//! The ballot box's decision on a cast (docs/PROTOCOL.md §10): what it checks before a ballot is
//! appended to the log. The box learns no identity; it checks the ballot ([`check_ballot`], the
//! same function the verifier runs on every logged ballot) and the re-voting policy, and either
//! builds the entry or says exactly why not.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use ed25519_dalek::Signature;

use super::plaintext::plaintext_len;
use crate::core::crypto::{Bytes, ENC_LEN, SealedBallot, TAG_LEN};
use crate::core::log::{BallotEntry, PassJson, ballot_message};
use crate::core::manifest::{Manifest, Revote};

/// A cast as the booth sends it: no cookie, no identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CastRequest {
    /// The contest.
    pub contest: String,
    /// The voting pass.
    pub pass: PassJson,
    /// HPKE encapsulated key.
    pub enc: [u8; ENC_LEN],
    /// HPKE ciphertext.
    pub ct: Vec<u8>,
    /// The voting key's signature.
    pub signature: [u8; 64],
    /// Under re-voting policy `last`: the entry this ballot replaces.
    pub replaces: Option<i64>,
}

/// Why a ballot is not one its contest can count: the box refuses such a cast, and the verifier
/// fails such a logged ballot, for the same reason (see [`check_ballot`]).
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum BallotRefused {
    /// The contest is not in this election.
    #[error("there is no contest {0:?} in this election")]
    UnknownContest(String),
    /// The pass does not verify under the issuer key for this election and contest.
    #[error("the voting pass is not valid for this election and contest")]
    BadPass,
    /// The ciphertext is not the contest's fixed length.
    #[error("a sealed ballot for this contest is {expected} bytes, this one is {found}")]
    WrongLength {
        /// The contest's ciphertext length.
        expected: usize,
        /// What was sent.
        found: usize,
    },
    /// The voting-key signature does not verify.
    #[error("the ballot's signature does not verify under its voting key")]
    BadSignature,
}

/// Why the box refuses a cast. Each says what the booth (or member) can do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CastRefused {
    /// The ballot itself is not one the contest can count.
    #[error(transparent)]
    Ballot(#[from] BallotRefused),
    /// The election is not open for voting (not yet, or closed).
    #[error("the election is not open for voting")]
    Closed,
    /// Re-voting is forbidden and this pass has voted.
    #[error(
        "this voting pass has already cast its ballot (entry {entry}); this election does not allow voting again"
    )]
    AlreadyVoted {
        /// The entry already cast.
        entry: i64,
    },
    /// Under re-voting policy `last`, `replaces` must name the pass's previous ballot.
    #[error("this ballot must name the entry it replaces ({expected:?}), it names {found:?}")]
    WrongReplaces {
        /// The pass's previous ballot, if any.
        expected: Option<i64>,
        /// What the ballot named.
        found: Option<i64>,
    },
}

/// A cast the box accepted, waiting for its place in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedCast(BallotEntry);

impl AcceptedCast {
    /// The pass the ballot was cast under.
    pub fn pass(&self) -> &PassJson {
        &self.0.pass
    }

    /// The contest the ballot is for.
    pub fn contest(&self) -> &str {
        &self.0.contest
    }

    /// The entry at `seq` after the entry whose chain hash is `prev`.
    pub fn into_entry(self, seq: i64, prev: Bytes<32>) -> BallotEntry {
        BallotEntry {
            seq,
            prev,
            ..self.0
        }
    }
}

/// The sequencer's re-check under the log's lock: the voting key's last ballot in the log
/// (`in_log`) must still be the one the cast was checked against (`checked`), or another ballot
/// under the same key got there first.
pub fn check_sequenced(
    policy: Revote,
    in_log: Option<i64>,
    checked: Option<i64>,
) -> Result<(), CastRefused> {
    if in_log == checked {
        return Ok(());
    }
    Err(match (policy, in_log) {
        (Revote::Forbidden, Some(entry)) => CastRefused::AlreadyVoted { entry },
        _ => CastRefused::WrongReplaces {
            expected: in_log,
            found: checked,
        },
    })
}

/// What every counted ballot is (§10), checked by the box before it logs a cast and by the
/// verifier on every logged ballot (§14), so that the two cannot disagree: its contest is the
/// manifest's, its pass verifies under that contest's issuer key, its sealed ballot is the
/// contest's fixed length (any other would say something about the ballot inside), and its voting
/// key signed it. In that order; the first that fails is the refusal.
pub fn check_ballot(
    manifest: &Manifest,
    contest: &str,
    pass: &PassJson,
    sealed: &SealedBallot,
    signature: &[u8; 64],
    replaces: Option<i64>,
) -> Result<(), BallotRefused> {
    let contest = manifest
        .contest(contest)
        .ok_or_else(|| BallotRefused::UnknownContest(contest.to_owned()))?;
    let fingerprint = manifest.fingerprint();
    // Each contest's passes verify under that contest's own issuer key: the key is what binds a
    // blind signature to its contest.
    let key = (pass.pass())
        .verify(contest.issuer_key(), &fingerprint, contest.id())
        .map_err(|_| BallotRefused::BadPass)?;
    let expected = plaintext_len(contest.candidate_count()) + TAG_LEN;
    if sealed.ct.len() != expected {
        return Err(BallotRefused::WrongLength {
            expected,
            found: sealed.ct.len(),
        });
    }
    let message = ballot_message(&fingerprint, contest.id(), key.as_bytes(), sealed, replaces);
    key.verify_strict(&message, &Signature::from_bytes(signature))
        .map_err(|_| BallotRefused::BadSignature)
}

/// Checks a cast; `previous` is the last entry cast under the same voting key in this contest.
pub fn accept_cast(
    manifest: &Manifest,
    cast: CastRequest,
    previous: Option<i64>,
) -> Result<AcceptedCast, CastRefused> {
    let sealed = SealedBallot {
        enc: cast.enc,
        ct: cast.ct,
    };
    check_ballot(
        manifest,
        &cast.contest,
        &cast.pass,
        &sealed,
        &cast.signature,
        cast.replaces,
    )?;
    match (manifest.revote(), previous) {
        (Revote::Forbidden, Some(entry)) => return Err(CastRefused::AlreadyVoted { entry }),
        (Revote::Forbidden, None) if cast.replaces.is_some() => {
            return Err(CastRefused::WrongReplaces {
                expected: None,
                found: cast.replaces,
            });
        }
        (Revote::Last, _) if cast.replaces != previous => {
            return Err(CastRefused::WrongReplaces {
                expected: previous,
                found: cast.replaces,
            });
        }
        _ => {}
    }
    let CastRequest {
        contest: id,
        pass,
        signature,
        replaces,
        ..
    } = cast;
    Ok(AcceptedCast(BallotEntry {
        seq: 0,
        prev: [0; 32].into(),
        contest: id,
        pass,
        enc: sealed.enc.into(),
        ct: Bytes(sealed.ct),
        signature: Bytes(signature.to_vec()),
        replaces,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequencer_refuses_a_cast_overtaken_by_another_under_the_same_key() {
        assert_eq!(check_sequenced(Revote::Forbidden, None, None), Ok(()));
        assert_eq!(check_sequenced(Revote::Last, Some(4), Some(4)), Ok(()));
        // Forbidden: another ballot under the key landed first.
        assert_eq!(
            check_sequenced(Revote::Forbidden, Some(7), None),
            Err(CastRefused::AlreadyVoted { entry: 7 })
        );
        // Last: two replacements of one ballot race; the second names a ballot no longer last.
        assert_eq!(
            check_sequenced(Revote::Last, Some(9), Some(4)),
            Err(CastRefused::WrongReplaces {
                expected: Some(9),
                found: Some(4)
            })
        );
        assert_eq!(
            check_sequenced(Revote::Last, Some(9), None),
            Err(CastRefused::WrongReplaces {
                expected: Some(9),
                found: None
            })
        );
    }
}
