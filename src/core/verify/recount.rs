//! The count again (§14 checks `decryptions`, `ballot-validity`, `blt-export`, `recount`,
//! `totals`): with the revealed key, each contest's ballots are opened and counted exactly as the
//! tally does ([`tally_contest`], one function for both), and the published decryptions, BLT file
//! and results must be byte for byte what that gives; the BLT file must also read back as the
//! contest's. The totals add up: cast = counted + replaced, counted = valid + invalid.

use std::collections::{BTreeMap, BTreeSet};

use super::ballots::Ballot;
use super::issuance::Issued;
use super::log::BallotLog;
use super::{
    BALLOT_VALIDITY, BLT_EXPORT, ContestTotals, DECRYPTIONS, RECOUNT, TOTALS, Verifier,
    first_difference,
};
use crate::core::manifest::{Contest, Manifest};
use crate::core::record::{Opened, layout, replaced, tally_contest};

impl Verifier<'_> {
    /// Recounts every contest from the opened ballots (the key was revealed and checks).
    pub(super) fn recount(
        &mut self,
        manifest: &Manifest,
        log: &BallotLog,
        ballots: &[Ballot],
        eligible: &BTreeMap<String, usize>,
        issued: &BTreeMap<String, Issued>,
    ) {
        let replaced = replaced(&log.entries);
        let count = manifest.contests().len();
        for (done, contest) in manifest.contests().iter().enumerate() {
            self.progress("recounting", done, count);
            let mut totals = totals(contest.id(), ballots, eligible, issued);
            if self.recount_contest(contest, log, ballots, &replaced, &mut totals) {
                self.totals.push(totals);
            }
        }
        self.progress("recounting", count, count);
    }

    /// Without a key: the totals the logs give, and every check that needs the ballots opened
    /// marked as not checked (their files are still accounted for).
    pub(super) fn no_recount(
        &mut self,
        manifest: &Manifest,
        ballots: &[Ballot],
        eligible: &BTreeMap<String, usize>,
        issued: &BTreeMap<String, Issued>,
    ) {
        for contest in manifest.contests() {
            let id = contest.id();
            self.totals.push(totals(id, ballots, eligible, issued));
            for path in [
                layout::decryptions(id),
                layout::blt(id),
                layout::results(id),
            ] {
                self.file(&path);
            }
        }
        self.not_checked(
            &[DECRYPTIONS, BALLOT_VALIDITY, BLT_EXPORT, RECOUNT, TOTALS],
            "no election key to open the ballots with",
        );
    }

    /// Recounts one contest and compares the published files with the recount; fills in the
    /// counted totals. False if the contest could not be tallied at all.
    fn recount_contest(
        &mut self,
        contest: &Contest,
        log: &BallotLog,
        ballots: &[Ballot],
        replaced: &BTreeSet<i64>,
        totals: &mut ContestTotals,
    ) -> bool {
        let id = contest.id();
        let opened: Vec<Opened> = (ballots.iter())
            .filter(|b| b.entry.contest == id)
            .map(|b| Opened {
                seq: b.entry.seq,
                plaintext: b.plaintext.clone(),
            })
            .collect();
        let Ok(tally) = tally_contest(contest, &opened, replaced, &log.root) else {
            self.fail(
                RECOUNT,
                format!("contest {id}: the tally could not be encoded"),
            );
            return false;
        };
        totals.counted = tally.counted;
        totals.invalid = tally.invalid.len();
        totals.valid = tally.counted - tally.invalid.len();
        if tally.cast != tally.counted + opened.iter().filter(|o| replaced.contains(&o.seq)).count()
        {
            self.fail(TOTALS, format!("contest {id}: cast ≠ counted + replaced"));
        }
        self.invalid
            .extend((tally.invalid.iter()).map(|&(seq, reason)| (id.to_owned(), seq, reason)));
        for (check, path, expected) in [
            (DECRYPTIONS, layout::decryptions(id), &tally.decryptions),
            (BLT_EXPORT, layout::blt(id), &tally.blt),
            (RECOUNT, layout::results(id), &tally.results),
        ] {
            match self.required(check, &path) {
                Some(found) if found == expected.as_slice() => {
                    // Equal to what the record gives is not enough: the scrutineers' own
                    // counters must be able to read it.
                    if check == BLT_EXPORT
                        && let Err(problem) = blt_reads_back(found, contest)
                    {
                        self.fail(check, format!("{path} cannot be read back: {problem}"));
                    }
                }
                Some(found) => {
                    let how = first_difference(found, expected);
                    self.fail(
                        check,
                        format!("{path} {how}: it is not what the record gives"),
                    );
                }
                None => {}
            }
        }
        true
    }
}

/// A contest's totals as the logs give them: eligible, issued, cast.
fn totals(
    id: &str,
    ballots: &[Ballot],
    eligible: &BTreeMap<String, usize>,
    issued: &BTreeMap<String, Issued>,
) -> ContestTotals {
    let issued = issued.get(id).copied().unwrap_or_default();
    ContestTotals {
        contest: id.to_owned(),
        eligible: eligible.get(id).copied().unwrap_or_default(),
        issued: issued.passes,
        reissued: issued.reissues,
        removed: issued.removed,
        removed_holding_pass: issued.removed_holding_pass,
        cast: ballots.iter().filter(|b| b.entry.contest == id).count(),
        ..ContestTotals::default()
    }
}

fn blt_reads_back(bytes: &[u8], contest: &Contest) -> Result<(), String> {
    let parsed = crate::core::count::parse_blt(bytes).map_err(|e| e.to_string())?;
    let names: Vec<&str> = (parsed.election.candidates().iter())
        .map(|c| c.name.as_str())
        .collect();
    let expected: Vec<&str> = (contest.draft().candidates.iter())
        .map(|c| c.name.as_str())
        .collect();
    if names != expected {
        return Err(format!("it names {names:?}, the manifest {expected:?}"));
    }
    if parsed.election.title() != contest.draft().title {
        return Err(format!(
            "its title is {:?}, the manifest's {:?}",
            parsed.election.title(),
            contest.draft().title
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{OPTIONS, fixture};
    use super::super::{Record, verify};
    use super::*;

    fn edited(path: &str, edit: impl FnOnce(&mut Vec<u8>)) -> Record {
        let mut record = fixture();
        edit(record.files.get_mut(path).unwrap());
        record
    }

    #[test]
    fn results_that_differ_from_the_recount_are_shown_from_where_they_differ() {
        let path = layout::results("wales");
        let record = edited(&path, |bytes| {
            let at = bytes.len() - 5;
            bytes[at] ^= 1;
        });
        let result = verify(&record, &OPTIONS);
        let failure = result.failure(RECOUNT).unwrap();
        assert!(
            failure.starts_with(&format!("{path} differs from line ")),
            "{failure}"
        );
        assert_eq!(result.failure(DECRYPTIONS), None);
    }

    #[test]
    fn decryptions_with_a_line_added_are_caught() {
        let path = layout::decryptions("nec");
        let record = edited(&path, |bytes| bytes.extend_from_slice(b"{}\n"));
        let failure = verify(&record, &OPTIONS)
            .failure(DECRYPTIONS)
            .unwrap()
            .to_owned();
        assert_eq!(
            failure,
            format!("{path} has 3 bytes after the expected end: it is not what the record gives")
        );
    }

    #[test]
    fn without_the_key_the_recount_is_not_checked_but_the_totals_are_given() {
        let mut record = fixture();
        record.files.remove(crate::core::record::layout::REVEAL);
        let result = verify(&record, &OPTIONS);
        for check in [DECRYPTIONS, BALLOT_VALIDITY, BLT_EXPORT, RECOUNT, TOTALS] {
            assert!(
                result.failure(check).unwrap().starts_with("not checked"),
                "{check}"
            );
        }
        let nec = result.totals.iter().find(|t| t.contest == "nec").unwrap();
        assert_eq!(nec.eligible, 35);
        assert!(nec.cast > 0 && nec.counted == 0);
    }

    #[test]
    fn the_fixture_totals_add_up() {
        let result = verify(&fixture(), &OPTIONS);
        assert_eq!(result.totals.len(), 4);
        for t in &result.totals {
            assert_eq!(t.counted, t.valid + t.invalid, "{t:?}");
            assert!(t.cast >= t.counted && t.issued >= t.counted, "{t:?}");
        }
    }

    #[test]
    fn a_blt_that_does_not_read_back_is_caught() {
        let manifest =
            Manifest::parse(include_bytes!("../../../tests/data/record/manifest.json")).unwrap();
        let contest = manifest.contest("wales").unwrap();
        let good = include_bytes!("../../../tests/data/record/blt/wales.blt");
        assert_eq!(blt_reads_back(good, contest), Ok(()));
        let text = String::from_utf8(good.to_vec()).unwrap();
        // A name broken over two lines (what a line break in a manifest name gave).
        let broken = text.replacen("\"Rhys Rowlands\"", "\"Rhys\nRowlands\"", 1);
        assert!(blt_reads_back(broken.as_bytes(), contest).is_err());
        let renamed = text.replacen("Rhys Rowlands", "Rhys Rowland", 1);
        assert!(blt_reads_back(renamed.as_bytes(), contest).is_err());
    }
}
