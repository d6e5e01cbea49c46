//! Who could vote (§14 checks `rosters`, `issuance-log`, `ballots-issuances-eligible`): each
//! contest's roster is the one the open entry commits to; the issuance log is a chain of
//! issuances to roster members, one first issuance per member and contest, each re-issue after it
//! and within the manifest's limit, covered by a signed checkpoint; and per contest, the voting
//! keys that cast are no more than the passes issued, whose members are no more than the eligible.

use std::collections::{BTreeMap, BTreeSet};

use super::ballots::Ballot;
use super::log::ISSUANCE_CHECKPOINT_CHECKS;
use super::{BALLOTS_ISSUANCES_ELIGIBLE, ISSUANCE_LOG, ROSTERS, Verifier, lines};
use crate::core::crypto::{decode, decode_bytes};
use crate::core::log::{Entry, IssuanceEntry, OpenEntry, RemovalEntry, entry_hash, leaf_hash};
use crate::core::manifest::Manifest;
use crate::core::record::{layout, parse_roster_file, roster_commitment};

/// Passes issued in one contest, as the issuance log shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Issued {
    /// Issuance entries, re-issues included.
    pub passes: usize,
    /// Of which re-issues.
    pub reissues: usize,
    /// Members with a first issuance.
    pub members: usize,
    /// Members removed after opening (removal entries).
    pub removed: usize,
    /// Of which had been issued a pass before their removal (it stays good).
    pub removed_holding_pass: usize,
}

/// What the log shows of one member in one contest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Seen {
    firsts: usize,
    reissues: usize,
    removals: usize,
}

/// Per (contest, member commitment).
type PerMember = BTreeMap<(String, Vec<u8>), Seen>;

/// One line of the issuance log, read.
enum Line {
    Issuance(IssuanceEntry),
    Removal(RemovalEntry),
}

impl Line {
    fn contest_and_member(&self) -> (&str, &[u8]) {
        match self {
            Line::Issuance(e) => (&e.contest, &e.member.0),
            Line::Removal(e) => (&e.contest, &e.member.0),
        }
    }
}

impl Verifier<'_> {
    /// Checks roster files against the open entry; returns eligible members per contest.
    pub(super) fn rosters(
        &mut self,
        manifest: &Manifest,
        open: Option<&OpenEntry>,
    ) -> BTreeMap<String, usize> {
        let mut eligible = BTreeMap::new();
        for contest in manifest.contests() {
            let path = layout::roster(contest.id());
            let Some(bytes) = self.required(ROSTERS, &path) else {
                continue;
            };
            let Some(commitment) = open.and_then(|o| o.rosters.get(contest.id())) else {
                self.fail(
                    ROSTERS,
                    format!("no roster commitment for {}", contest.id()),
                );
                continue;
            };
            let members = match parse_roster_file(bytes) {
                Ok(members) => members,
                Err(e) => {
                    self.fail(ROSTERS, format!("{path}: {e}"));
                    continue;
                }
            };
            let found = roster_commitment(&members);
            if found.eligible != commitment.eligible {
                self.fail(
                    ROSTERS,
                    format!(
                        "{path} has {} members, the open entry commits to {}",
                        found.eligible, commitment.eligible
                    ),
                );
            }
            if found.root != commitment.root {
                self.fail(
                    ROSTERS,
                    format!("{path}: the root is not the one the open entry commits to"),
                );
            }
            eligible.insert(contest.id().to_owned(), members.len());
        }
        eligible
    }

    /// Checks the issuance log; returns what it issued and removed per contest.
    pub(super) fn issuance(&mut self, manifest: &Manifest) -> BTreeMap<String, Issued> {
        let mut issued: BTreeMap<String, Issued> = BTreeMap::new();
        let Some(bytes) = self.required(ISSUANCE_LOG, layout::ISSUANCE_LOG) else {
            return issued;
        };
        let raw = match lines(bytes) {
            Ok(raw) => raw,
            Err(e) => {
                self.fail(ISSUANCE_LOG, format!("{}: {e}", layout::ISSUANCE_LOG));
                return issued;
            }
        };
        let rosters = self.roster_members(manifest);
        let mut expected = manifest.fingerprint();
        let mut leaves = Vec::with_capacity(raw.len());
        let mut seen = PerMember::new();
        for (i, bytes) in raw.iter().enumerate() {
            leaves.push(leaf_hash(bytes));
            let line = self.issuance_entry(i, bytes, &expected);
            expected = entry_hash(bytes);
            let Some(line) = line else {
                continue;
            };
            let (contest, member) = line.contest_and_member();
            let Some(roster) = rosters.get(contest) else {
                self.fail(
                    ISSUANCE_LOG,
                    format!("issuance entry {i}: unknown contest {contest:?}"),
                );
                continue;
            };
            if !roster.contains(member) {
                self.fail(
                    ISSUANCE_LOG,
                    format!("issuance entry {i}: the member is not in the roster of {contest}"),
                );
            }
            let member = seen
                .entry((contest.to_owned(), member.to_vec()))
                .or_default();
            let counts = issued.entry(contest.to_owned()).or_default();
            if member.removals > 0 {
                // A removed member gets nothing more (§10): no pass, and no second removal.
                let what = match &line {
                    Line::Issuance(e) if e.reissue => "a re-issue",
                    Line::Issuance(_) => "an issuance",
                    Line::Removal(_) => "a second removal",
                };
                self.fail(
                    ISSUANCE_LOG,
                    format!("issuance entry {i}: {what} in {contest} after the member's removal"),
                );
            }
            match &line {
                Line::Issuance(IssuanceEntry { reissue: true, .. }) => {
                    // A re-issue replaces a lost pass; without a first one there is nothing to
                    // replace, and it would be an unmarked second pass (§10). Batches are
                    // shuffled, but within one the issuer puts first issuances before re-issues,
                    // so a member's re-issue always follows their first issuance in the log.
                    if member.firsts == 0 {
                        self.fail(
                            ISSUANCE_LOG,
                            format!(
                                "issuance entry {i}: a re-issue in {contest} for a member with no first issuance before it"
                            ),
                        );
                    }
                    member.reissues += 1;
                    counts.passes += 1;
                    counts.reissues += 1;
                }
                Line::Issuance(_) => {
                    member.firsts += 1;
                    counts.passes += 1;
                    counts.members += 1;
                }
                Line::Removal(_) => {
                    if member.removals == 0 {
                        counts.removed += 1;
                        if member.firsts > 0 {
                            counts.removed_holding_pass += 1;
                        }
                    }
                    member.removals += 1;
                }
            }
        }
        self.per_member_limits(manifest, &seen);
        let (good, _) = self.log_checkpoints(
            layout::ISSUANCE_CHECKPOINTS,
            manifest.issuance_log_key(),
            &manifest.issuance_log_origin(),
            &leaves,
            &ISSUANCE_CHECKPOINT_CHECKS,
        );
        if good.last().map(|c| c.size() as usize) != Some(leaves.len()) {
            self.fail(
                ISSUANCE_LOG,
                format!(
                    "no signed issuance checkpoint covers all {} issuance entries",
                    leaves.len()
                ),
            );
        }
        issued
    }

    /// The members of each contest's roster (the roster files were read and checked already).
    fn roster_members(&self, manifest: &Manifest) -> BTreeMap<String, BTreeSet<Vec<u8>>> {
        let mut rosters = BTreeMap::new();
        for contest in manifest.contests() {
            let members = self
                .record
                .files
                .get(&layout::roster(contest.id()))
                .and_then(|b| lines(b).ok())
                .unwrap_or_default()
                .iter()
                .filter_map(|l| {
                    std::str::from_utf8(l)
                        .ok()
                        .and_then(|t| decode_bytes(t).ok())
                })
                .collect();
            rosters.insert(contest.id().to_owned(), members);
        }
        rosters
    }

    /// Line `i` of the issuance log as an issuance or removal entry in its place: numbered `i`,
    /// carrying `expected` (the hash of the line before). `None` when it is neither.
    fn issuance_entry(&mut self, i: usize, bytes: &[u8], expected: &[u8; 32]) -> Option<Line> {
        let (seq, prev, line) = match decode::<Entry>(bytes) {
            Ok(Entry::Issuance(entry)) => (entry.seq, entry.prev.clone(), Line::Issuance(entry)),
            Ok(Entry::Removal(entry)) => (entry.seq, entry.prev.clone(), Line::Removal(entry)),
            Ok(_) => {
                self.fail(
                    ISSUANCE_LOG,
                    format!("issuance entry {i} is neither an issuance nor a removal"),
                );
                return None;
            }
            Err(e) => {
                self.fail(ISSUANCE_LOG, format!("issuance line {}: {e}", i + 1));
                return None;
            }
        };
        if seq != i as i64 {
            self.fail(
                ISSUANCE_LOG,
                format!("issuance line {} carries seq {seq}", i + 1),
            );
        }
        if prev.array() != *expected {
            self.fail(
                ISSUANCE_LOG,
                format!("issuance entry {i} does not carry the hash of the entry before it"),
            );
        }
        Some(line)
    }

    /// Each member has one first issuance per contest, and no more re-issues than the manifest
    /// allows.
    fn per_member_limits(&mut self, manifest: &Manifest, seen: &PerMember) {
        let limit = usize::try_from(manifest.reissue().limit).unwrap_or(0);
        for (
            (contest, _),
            Seen {
                firsts, reissues, ..
            },
        ) in seen
        {
            if *reissues > limit {
                self.fail(
                    ISSUANCE_LOG,
                    format!(
                        "contest {contest}: a member has {reissues} re-issues; the manifest allows {limit} per member and contest"
                    ),
                );
            }
            if *firsts > 1 {
                self.fail(
                    ISSUANCE_LOG,
                    format!(
                        "contest {contest}: a member has {firsts} first issuances and {reissues} re-issues; \
                         a second pass must be marked as a re-issue"
                    ),
                );
            }
        }
    }

    /// Ballots ≤ passes issued, and members issued + members removed before any pass ≤ eligible,
    /// per contest: more voting keys than passes would be passes minted outside the issuance
    /// log; more members than the roster, passes to members who may not vote (a member removed
    /// before a pass holds none, so they leave fewer who can).
    pub(super) fn bounds(
        &mut self,
        manifest: &Manifest,
        ballots: &[Ballot],
        eligible: &BTreeMap<String, usize>,
        issued: &BTreeMap<String, Issued>,
    ) {
        for contest in manifest.contests() {
            let id = contest.id();
            let voting_keys: BTreeSet<[u8; 32]> = (ballots.iter())
                .filter(|b| b.entry.contest == id)
                .map(|b| b.entry.pass.key.array())
                .collect();
            let issued = issued.get(id).copied().unwrap_or_default();
            let eligible = eligible.get(id).copied().unwrap_or_default();
            if voting_keys.len() > issued.passes {
                self.fail(
                    BALLOTS_ISSUANCES_ELIGIBLE,
                    format!(
                        "contest {id}: {} voting keys cast ballots but only {} passes were issued",
                        voting_keys.len(),
                        issued.passes
                    ),
                );
            }
            let removed_without_pass = issued.removed - issued.removed_holding_pass;
            if issued.members + removed_without_pass > eligible {
                let removed = match removed_without_pass {
                    0 => String::new(),
                    n => format!(" and {n} were removed without one"),
                };
                self.fail(
                    BALLOTS_ISSUANCES_ELIGIBLE,
                    format!(
                        "contest {id}: passes went to {} members{removed} but only {eligible} are eligible",
                        issued.members
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{OPTIONS, failures, fixture};
    use super::*;
    use crate::core::verify::Record;

    fn manifest(record: &Record) -> Manifest {
        Manifest::parse(&record.files[layout::MANIFEST]).unwrap()
    }

    #[test]
    fn the_fixture_rosters_and_issuance_log_pass() {
        let record = fixture();
        let manifest = manifest(&record);
        let mut verifier = Verifier::new(&record, &OPTIONS);
        let log = verifier.ballot_log(&manifest);
        let eligible = verifier.rosters(&manifest, log.open.as_ref());
        let issued = verifier.issuance(&manifest);
        assert!(verifier.failures.is_empty(), "{:?}", verifier.failures);
        assert_eq!(eligible["nec"], 35);
        let nec = issued["nec"];
        assert!(nec.members <= 35 && nec.passes == nec.members + nec.reissues);
    }

    #[test]
    fn a_roster_with_a_member_left_out_is_not_the_committed_one() {
        let mut record = fixture();
        let path = layout::roster("nec");
        let roster = &record.files[&path];
        let cut = roster.iter().position(|&b| b == b'\n').unwrap() + 1;
        let shorter = roster[cut..].to_vec();
        record.files.insert(path.clone(), shorter);
        let manifest = manifest(&record);
        let mut verifier = Verifier::new(&record, &OPTIONS);
        let log = verifier.ballot_log(&manifest);
        verifier.rosters(&manifest, log.open.as_ref());
        let found = failures(&verifier, ROSTERS);
        assert_eq!(
            found[0],
            format!("{path} has 34 members, the open entry commits to 35")
        );
        assert!(found[1].contains("the root is not the one the open entry commits to"));
    }

    #[test]
    fn issuance_entries_out_of_order_break_the_numbers_the_chain_and_the_checkpoint() {
        let mut record = fixture();
        let bytes = &record.files[layout::ISSUANCE_LOG];
        let mut lines: Vec<&[u8]> = lines(bytes).unwrap();
        lines.swap(2, 3);
        let swapped: Vec<u8> = lines
            .iter()
            .flat_map(|l| [*l, &b"\n"[..]].concat())
            .collect();
        record.files.insert(layout::ISSUANCE_LOG.into(), swapped);
        let mut verifier = Verifier::new(&record, &OPTIONS);
        verifier.issuance(&manifest(&record));
        let found = failures(&verifier, ISSUANCE_LOG);
        assert_eq!(found[0], "issuance line 3 carries seq 3");
        assert_eq!(
            found[1],
            "issuance entry 2 does not carry the hash of the entry before it"
        );
        assert!(
            found
                .iter()
                .any(|f| f.contains("the root is not the Merkle root"))
        );
    }

    #[test]
    fn a_second_first_issuance_and_too_many_reissues_are_caught() {
        let record = fixture();
        let manifest = manifest(&record);
        let limit = usize::try_from(manifest.reissue().limit).unwrap();
        let mut verifier = Verifier::new(&record, &OPTIONS);
        let mut seen = PerMember::new();
        let seen_as = |firsts, reissues| Seen {
            firsts,
            reissues,
            removals: 0,
        };
        seen.insert(("nec".into(), vec![1]), seen_as(2, 0));
        seen.insert(("nec".into(), vec![2]), seen_as(1, limit + 1));
        seen.insert(("nec".into(), vec![3]), seen_as(1, limit));
        verifier.per_member_limits(&manifest, &seen);
        let found = failures(&verifier, ISSUANCE_LOG);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("2 first issuances and 0 re-issues"));
        assert!(found[1].contains(&format!(
            "{} re-issues; the manifest allows {limit}",
            limit + 1
        )));
    }

    #[test]
    fn more_voting_keys_than_passes_or_members_than_eligible_break_the_bounds() {
        let record = fixture();
        let manifest = manifest(&record);
        let mut verifier = Verifier::new(&record, &OPTIONS);
        let log = verifier.ballot_log(&manifest);
        let ballots = verifier.ballots(&manifest, &log.entries, &[], None);
        let eligible = verifier.rosters(&manifest, log.open.as_ref());
        let issued = verifier.issuance(&manifest);
        verifier.bounds(&manifest, &ballots, &eligible, &issued);
        assert!(failures(&verifier, BALLOTS_ISSUANCES_ELIGIBLE).is_empty());

        let mut fewer = issued.clone();
        fewer.get_mut("nec").unwrap().passes = 1;
        let mut smaller = eligible.clone();
        smaller.insert("nec".into(), 1);
        verifier.bounds(&manifest, &ballots, &smaller, &fewer);
        let found = failures(&verifier, BALLOTS_ISSUANCES_ELIGIBLE);
        assert!(
            found[0].starts_with("contest nec: ")
                && found[0].ends_with("but only 1 passes were issued")
        );
        assert!(
            found[1].starts_with("contest nec: passes went to ")
                && found[1].ends_with("but only 1 are eligible")
        );

        // Members removed before a pass count against the eligible too; one removed holding a
        // pass is already among the members issued.
        let mut verifier = Verifier::new(&record, &OPTIONS);
        let members = issued["nec"].members;
        let mut removed = issued.clone();
        let nec = removed.get_mut("nec").unwrap();
        (nec.removed, nec.removed_holding_pass) = (3, 1);
        let mut exact = eligible.clone();
        exact.insert("nec".into(), members + 2);
        verifier.bounds(&manifest, &ballots, &exact, &removed);
        assert!(failures(&verifier, BALLOTS_ISSUANCES_ELIGIBLE).is_empty());
        exact.insert("nec".into(), members + 1);
        verifier.bounds(&manifest, &ballots, &exact, &removed);
        let found = failures(&verifier, BALLOTS_ISSUANCES_ELIGIBLE);
        assert_eq!(
            found[0],
            format!(
                "contest nec: passes went to {members} members and 2 were removed without one but only {} are eligible",
                members + 1
            )
        );
    }
}
