//! The ballots (§14 checks `pass-signatures`, `ballot-signatures`, `one-ballot-per-pass`): every
//! logged ballot is one the box could accept ([`check_ballot`], the very function the box runs),
//! and each pass has at most one counted ballot under the re-voting policy. The same parallel pass
//! opens each ballot with the revealed election key.

use std::collections::BTreeMap;

use super::{
    BALLOT_SIGNATURES, ENTRIES, ONE_BALLOT_PER_PASS, PASS_SIGNATURES, Verifier, par_map, parts,
};
use crate::core::ballot::{BallotRefused, check_ballot};
use crate::core::crypto::{ElectionSecretKey, encode_bytes, open};
use crate::core::log::{BallotEntry, Entry, Hash};
use crate::core::manifest::{Manifest, Revote};

/// A logged ballot of one of the manifest's contests and, if the key opened it, its plaintext.
pub(super) struct Ballot<'e> {
    pub entry: &'e BallotEntry,
    pub plaintext: Option<Vec<u8>>,
}

/// What checking one ballot gives: the box's verdict and, if the key opened it, the plaintext.
pub(super) type Checked = (Result<(), BallotRefused>, Option<Vec<u8>>);

/// Checks one ballot as the box did ([`check_ballot`]) and opens it with `key`.
pub(super) fn check_one(
    manifest: &Manifest,
    key: Option<&ElectionSecretKey>,
    ballot: &BallotEntry,
) -> Checked {
    let sealed = ballot.sealed();
    let accepted = check_ballot(
        manifest,
        &ballot.contest,
        &ballot.pass,
        &sealed,
        &ballot.signature.array(),
        ballot.replaces,
    );
    let plaintext = key.and_then(|key| {
        let voting_key = ballot.pass.key.array();
        open(
            key,
            &manifest.fingerprint(),
            &ballot.contest,
            &voting_key,
            &sealed,
        )
        .ok()
    });
    (accepted, plaintext)
}

impl Verifier<'_> {
    /// Checks every ballot of the manifest's contests (ballots of other contests fail `entries`)
    /// on all cores, and opens it if there is a `key`. A ballot a worker already checked under
    /// this manifest and key ([`super::parts`]) is taken from its part, found by its leaf hash
    /// in `leaves` (beside `entries`; empty when there are no parts).
    pub(super) fn ballots<'e>(
        &mut self,
        manifest: &Manifest,
        entries: &'e [Entry],
        leaves: &[Hash],
        key: Option<&ElectionSecretKey>,
    ) -> Vec<Ballot<'e>> {
        let ballots: Vec<(&BallotEntry, Option<&Hash>)> = (entries.iter().enumerate())
            .filter_map(|(i, e)| match e {
                Entry::Ballot(b) if manifest.contest(&b.contest).is_some() => {
                    Some((b, leaves.get(i)))
                }
                _ => None,
            })
            .collect();
        let done_by_parts = parts::results(self.parts, manifest, key);
        let count = ballots.len();
        let checked = par_map(
            &ballots,
            self.options.threads,
            |(ballot, leaf)| match leaf.and_then(|leaf| done_by_parts.get(leaf)) {
                Some(checked) => (*checked).clone(),
                None => check_one(manifest, key, ballot),
            },
            |done| self.progress("checking ballots", done, count),
        );
        let mut out = Vec::with_capacity(count);
        for ((entry, _), (accepted, plaintext)) in ballots.into_iter().zip(checked) {
            if let Err(refused) = accepted {
                let check = match refused {
                    BallotRefused::UnknownContest(_) | BallotRefused::WrongLength { .. } => ENTRIES,
                    BallotRefused::BadPass => PASS_SIGNATURES,
                    BallotRefused::BadSignature => BALLOT_SIGNATURES,
                };
                self.fail(
                    check,
                    format!(
                        "entry {} in contest {}: {refused}",
                        entry.seq, entry.contest
                    ),
                );
            }
            out.push(Ballot { entry, plaintext });
        }
        self.one_ballot_per_pass(manifest, &out);
        out
    }

    /// Under `forbidden`, one ballot per voting key and none replacing another; under `last`,
    /// each ballot replaces the key's previous one.
    fn one_ballot_per_pass(&mut self, manifest: &Manifest, ballots: &[Ballot]) {
        let mut by_key: BTreeMap<(&str, [u8; 32]), Vec<&BallotEntry>> = BTreeMap::new();
        for ballot in ballots.iter().map(|b| b.entry) {
            by_key
                .entry((ballot.contest.as_str(), ballot.pass.key.array()))
                .or_default()
                .push(ballot);
        }
        for ((contest, key), list) in by_key {
            let seqs: Vec<i64> = list.iter().map(|b| b.seq).collect();
            match manifest.revote() {
                Revote::Forbidden => {
                    if list.len() > 1 {
                        self.fail(
                            ONE_BALLOT_PER_PASS,
                            format!(
                                "contest {contest}: voting key {} cast entries {seqs:?}; re-voting is forbidden",
                                encode_bytes(&key)
                            ),
                        );
                    }
                    for b in list.iter().filter(|b| b.replaces.is_some()) {
                        self.fail(
                            ONE_BALLOT_PER_PASS,
                            format!(
                                "entry {} replaces another, but re-voting is forbidden",
                                b.seq
                            ),
                        );
                    }
                }
                Revote::Last => {
                    let mut previous: Option<i64> = None;
                    for b in &list {
                        if b.replaces != previous {
                            self.fail(
                                ONE_BALLOT_PER_PASS,
                                format!(
                                    "entry {} must replace {:?} (the voting key's previous ballot), it names {:?}",
                                    b.seq, previous, b.replaces
                                ),
                            );
                        }
                        previous = Some(b.seq);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{OPTIONS, failures, fixture};
    use super::*;
    use crate::core::record::layout;

    /// The fixture's ballot-log entries, its manifest, and its key.
    fn fixture_ballots() -> (Vec<Entry>, Manifest, ElectionSecretKey) {
        let record = fixture();
        let manifest = Manifest::parse(&record.files[layout::MANIFEST]).unwrap();
        let mut verifier = super::super::Verifier::new(&record, &OPTIONS);
        let key = verifier.reveal(&manifest).unwrap();
        let log = verifier.ballot_log(&manifest);
        (log.entries, manifest, key)
    }

    fn first_ballot(entries: &mut [Entry]) -> &mut BallotEntry {
        entries
            .iter_mut()
            .find_map(|e| match e {
                Entry::Ballot(b) => Some(b),
                _ => None,
            })
            .unwrap()
    }

    /// Runs the ballot checks over `entries`; the failures of each ballot check.
    fn check(entries: &[Entry], manifest: &Manifest, key: &ElectionSecretKey) -> [Vec<String>; 4] {
        let record = fixture();
        let mut verifier = super::super::Verifier::new(&record, &OPTIONS);
        verifier.ballots(manifest, entries, &[], Some(key));
        [
            ENTRIES,
            PASS_SIGNATURES,
            BALLOT_SIGNATURES,
            ONE_BALLOT_PER_PASS,
        ]
        .map(|check| failures(&verifier, check).to_vec())
    }

    #[test]
    fn the_fixture_ballots_pass_and_open() {
        let (entries, manifest, key) = fixture_ballots();
        let found = check(&entries, &manifest, &key);
        assert!(found.iter().all(Vec::is_empty), "{found:?}");
        let record = fixture();
        let mut verifier = super::super::Verifier::new(&record, &OPTIONS);
        let ballots = verifier.ballots(&manifest, &entries, &[], Some(&key));
        assert!(!ballots.is_empty());
        assert!(ballots.iter().all(|b| b.plaintext.is_some()));
    }

    #[test]
    fn a_flipped_signature_bit_fails_the_ballot_signature_only() {
        let (mut entries, manifest, key) = fixture_ballots();
        let ballot = first_ballot(&mut entries);
        ballot.signature.0[10] ^= 1;
        let seq = ballot.seq;
        let [entries_, pass, signature, once] = check(&entries, &manifest, &key);
        assert!(entries_.is_empty() && pass.is_empty() && once.is_empty());
        assert_eq!(signature.len(), 1);
        assert!(
            signature[0].starts_with(&format!("entry {seq} in contest ")),
            "{signature:?}"
        );
    }

    #[test]
    fn a_ballot_moved_to_another_contest_fails_its_pass() {
        let (mut entries, manifest, key) = fixture_ballots();
        let ballot = first_ballot(&mut entries);
        let other = if ballot.contest == "nec" {
            "youth"
        } else {
            "nec"
        };
        ballot.contest = other.into();
        let [_, pass, signature, _] = check(&entries, &manifest, &key);
        assert!(pass[0].contains(&format!("in contest {other}: the voting pass is not valid")));
        // The first refusal is the one reported: the signature was not reached.
        assert!(signature.is_empty());
    }

    #[test]
    fn a_sealed_ballot_cut_short_fails_its_length() {
        let (mut entries, manifest, key) = fixture_ballots();
        first_ballot(&mut entries).ct.0.pop();
        let [entries_, pass, signature, _] = check(&entries, &manifest, &key);
        assert!(entries_[0].contains("bytes, this one is"), "{entries_:?}");
        assert!(pass.is_empty() && signature.is_empty());
    }

    #[test]
    fn a_second_ballot_under_one_pass_is_refused_when_re_voting_is_forbidden() {
        let (mut entries, manifest, key) = fixture_ballots();
        assert!(matches!(manifest.revote(), Revote::Forbidden));
        let mut again = first_ballot(&mut entries).clone();
        again.seq = 1000;
        entries.push(Entry::Ballot(again));
        let [_, _, _, once] = check(&entries, &manifest, &key);
        assert_eq!(once.len(), 1);
        assert!(once[0].contains("re-voting is forbidden"));
    }
}
