//! The per-ballot checks split over workers that share no memory (the browser's Web Workers):
//! each checks one part of the ballot log ([`check_part`]), and the verifier
//! ([`super::verify_with_parts`]) takes their results instead of checking those ballots again.
//!
//! A result is found by its log line's leaf hash, and a part is used only if it was made under
//! the same manifest and the same election key as the verifier's own: the result of checking a
//! ballot is a function of exactly those three, so a part can make verification faster, never
//! different. A ballot no part covers is checked by the verifier itself.
//!
//! The byte form ([`BallotPart::to_bytes`]) passes only between workers of one page; it is not
//! part of the protocol.

use std::collections::HashMap;

use super::ballots::{Checked, check_one};
use super::parallel::CHUNK;
use super::{Progress, Record, lines};
use crate::core::ballot::BallotRefused;
use crate::core::crypto::{ElectionSecretKey, decode};
use crate::core::log::{Entry, Hash, leaf_hash};
use crate::core::manifest::Manifest;
use crate::core::record::{Reveal, layout};

/// One worker's checked ballots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BallotPart {
    /// The fingerprint of the manifest the ballots were checked under.
    fingerprint: [u8; 32],
    /// The election key they were opened with, if the reveal gave one the manifest accepts.
    key: Option<[u8; 32]>,
    /// Each ballot's leaf hash and result.
    results: Vec<(Hash, Checked)>,
}

/// The ballots of every `parts`-th chunk of the ballot log from chunk `part` on, checked as the
/// verifier checks them. A record whose manifest or log cannot be read gives an empty part (the
/// verifier then reports why).
pub fn check_part(
    record: &Record,
    part: usize,
    parts: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> BallotPart {
    let mut out = BallotPart::default();
    let Some(manifest) =
        (record.files.get(layout::MANIFEST)).and_then(|bytes| Manifest::parse(bytes).ok())
    else {
        return out;
    };
    out.fingerprint = manifest.fingerprint();
    let key = revealed_key(record, &manifest);
    out.key = key.as_ref().map(ElectionSecretKey::to_bytes);
    let log = record.files.get(layout::BALLOT_LOG).map(Vec::as_slice);
    let Ok(lines) = lines(log.unwrap_or_default()) else {
        return out;
    };
    let mine: Vec<&[u8]> = (lines.chunks(CHUNK).enumerate())
        .filter(|(i, _)| i % parts.max(1) == part)
        .flat_map(|(_, chunk)| chunk.iter().copied())
        .collect();
    for (done, line) in mine.iter().enumerate() {
        if let Ok(Entry::Ballot(ballot)) = Entry::decode(line)
            && manifest.contest(&ballot.contest).is_some()
        {
            out.results
                .push((leaf_hash(line), check_one(&manifest, key.as_ref(), &ballot)));
        }
        if (done + 1) % CHUNK == 0 || done + 1 == mine.len() {
            progress(Progress {
                stage: "checking ballots",
                done: done + 1,
                total: mine.len(),
            });
        }
    }
    out
}

/// The key the verifier opens ballots with: the revealed key, if it is the manifest's.
fn revealed_key(record: &Record, manifest: &Manifest) -> Option<ElectionSecretKey> {
    let reveal: Reveal = decode(record.files.get(layout::REVEAL)?).ok()?;
    let key = ElectionSecretKey::new(reveal.key.array(), manifest.key_origin());
    (key.public_key().ok()? == manifest.election_key()).then_some(key)
}

/// The results of the `parts` made under `manifest` and `key`, by leaf hash.
pub(super) fn results<'p>(
    parts: &'p [BallotPart],
    manifest: &Manifest,
    key: Option<&ElectionSecretKey>,
) -> HashMap<&'p Hash, &'p Checked> {
    let key = key.map(ElectionSecretKey::to_bytes);
    (parts.iter())
        .filter(|p| p.fingerprint == manifest.fingerprint() && p.key == key)
        .flat_map(|p| p.results.iter().map(|(leaf, checked)| (leaf, checked)))
        .collect()
}

const ACCEPTED: u8 = 0;
const UNKNOWN_CONTEST: u8 = 1;
const BAD_PASS: u8 = 2;
const WRONG_LENGTH: u8 = 3;
const BAD_SIGNATURE: u8 = 4;

/// Why a part's bytes cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a worker's part of the ballot checks is malformed")]
pub struct PartError;

impl BallotPart {
    /// Ballots in this part.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// True if the part holds no ballot.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }

    /// The part as bytes, to pass from one worker to another: the fingerprint, the key (a flag
    /// byte, then 32 bytes if set), then per ballot its leaf hash, its verdict and its plaintext.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(80 + self.results.len() * 96);
        out.extend_from_slice(&self.fingerprint);
        match &self.key {
            Some(key) => {
                out.push(1);
                out.extend_from_slice(key);
            }
            None => out.push(0),
        }
        for (leaf, (accepted, plaintext)) in &self.results {
            out.extend_from_slice(leaf);
            match accepted {
                Ok(()) => out.push(ACCEPTED),
                Err(BallotRefused::UnknownContest(contest)) => {
                    out.push(UNKNOWN_CONTEST);
                    put_bytes(&mut out, contest.as_bytes());
                }
                Err(BallotRefused::BadPass) => out.push(BAD_PASS),
                Err(BallotRefused::WrongLength { expected, found }) => {
                    out.push(WRONG_LENGTH);
                    put_u32(&mut out, *expected);
                    put_u32(&mut out, *found);
                }
                Err(BallotRefused::BadSignature) => out.push(BAD_SIGNATURE),
            }
            match plaintext {
                Some(plaintext) => {
                    out.push(1);
                    put_bytes(&mut out, plaintext);
                }
                None => out.push(0),
            }
        }
        out
    }

    /// Reads [`BallotPart::to_bytes`]' form back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PartError> {
        let mut at = Reader(bytes);
        let fingerprint = at.array()?;
        let key = match at.byte()? {
            0 => None,
            1 => Some(at.array()?),
            _ => return Err(PartError),
        };
        let mut results = Vec::new();
        while !at.0.is_empty() {
            let leaf = at.array()?;
            let accepted = match at.byte()? {
                ACCEPTED => Ok(()),
                UNKNOWN_CONTEST => Err(BallotRefused::UnknownContest(
                    String::from_utf8(at.bytes()?.to_vec()).map_err(|_| PartError)?,
                )),
                BAD_PASS => Err(BallotRefused::BadPass),
                WRONG_LENGTH => Err(BallotRefused::WrongLength {
                    expected: at.u32()?,
                    found: at.u32()?,
                }),
                BAD_SIGNATURE => Err(BallotRefused::BadSignature),
                _ => return Err(PartError),
            };
            let plaintext = match at.byte()? {
                0 => None,
                1 => Some(at.bytes()?.to_vec()),
                _ => return Err(PartError),
            };
            results.push((leaf, (accepted, plaintext)));
        }
        Ok(BallotPart {
            fingerprint,
            key,
            results,
        })
    }
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// The unread rest of a part's bytes.
struct Reader<'b>(&'b [u8]);

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Result<&'b [u8], PartError> {
        if self.0.len() < n {
            return Err(PartError);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, PartError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PartError> {
        self.take(N)?.try_into().map_err(|_| PartError)
    }

    fn u32(&mut self) -> Result<usize, PartError> {
        Ok(u32::from_le_bytes(self.array()?) as usize)
    }

    fn bytes(&mut self) -> Result<&'b [u8], PartError> {
        let n = self.u32()?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{OPTIONS, fixture};
    use super::super::{verify, verify_with_parts};
    use super::*;

    fn quiet(_: Progress) {}

    #[test]
    fn parts_cover_every_ballot_once_and_give_the_same_verdict() {
        let record = fixture();
        let parts: Vec<BallotPart> = (0..3).map(|k| check_part(&record, k, 3, &quiet)).collect();
        let ballots = (record.files[layout::BALLOT_LOG].split(|&b| b == b'\n'))
            .filter(|l| matches!(Entry::decode(l), Ok(Entry::Ballot(_))))
            .count();
        assert_eq!(parts.iter().map(BallotPart::len).sum::<usize>(), ballots);
        let whole = verify(&record, &OPTIONS);
        assert_eq!(verify_with_parts(&record, &OPTIONS, &parts), whole);
    }

    #[test]
    fn the_byte_form_reads_back_and_refuses_a_cut_or_a_bad_tag() {
        let mut part = check_part(&fixture(), 0, 1, &quiet);
        part.results[0].1.0 = Err(BallotRefused::UnknownContest("x".into()));
        part.results[1].1 = (
            Err(BallotRefused::WrongLength {
                expected: 40,
                found: 39,
            }),
            None,
        );
        let bytes = part.to_bytes();
        assert_eq!(BallotPart::from_bytes(&bytes), Ok(part));
        for cut in [1, 32, 34, 70, bytes.len() - 1] {
            assert_eq!(
                BallotPart::from_bytes(&bytes[..cut]),
                Err(PartError),
                "{cut}"
            );
        }
        let mut bad = bytes.clone();
        bad[32] = 2;
        assert_eq!(BallotPart::from_bytes(&bad), Err(PartError));
    }

    #[test]
    fn a_part_made_under_another_key_or_manifest_is_not_used() {
        let record = fixture();
        let mut part = check_part(&record, 0, 1, &quiet);
        // A lying part: every ballot refused. Under the right manifest and key it would be used
        // (and the verdict change); under another key or manifest it must be ignored.
        for (_, checked) in &mut part.results {
            checked.0 = Err(BallotRefused::BadSignature);
        }
        let used = verify_with_parts(&record, &OPTIONS, std::slice::from_ref(&part));
        assert!(used.failure(super::super::BALLOT_SIGNATURES).is_some());
        let mut other_key = part.clone();
        other_key.key = Some([1; 32]);
        let mut other_manifest = part.clone();
        other_manifest.fingerprint = [2; 32];
        for ignored in [other_key, other_manifest] {
            assert!(verify_with_parts(&record, &OPTIONS, &[ignored]).passed());
        }
    }
}
