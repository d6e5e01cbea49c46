//! What `teller verify` prints: the election, PASS or FAIL per check in [`CHECKS`] order, the
//! invalid ballots, the totals per contest, what re-issued passes could hide, and the verdict.
//! Scripts match on the `PASS`/`FAIL` lines and the last line.

use super::{Record, Verification};
use crate::core::manifest::Manifest;
use crate::core::record::layout;

impl Verification {
    /// The report on `record`, as `teller verify` prints it.
    pub fn report(&self, record: &Record) -> String {
        let mut text = String::new();
        let manifest =
            (record.files.get(layout::MANIFEST)).and_then(|bytes| Manifest::parse(bytes).ok());
        if let Some(manifest) = &manifest {
            text.push_str(&format!(
                "election {} fingerprint {}\n",
                manifest.draft().election,
                manifest.fingerprint_hex()
            ));
        }
        for check in &self.checks {
            match &check.failure {
                None => text.push_str(&format!("PASS {}\n", check.name)),
                Some(reason) => text.push_str(&format!("FAIL {}: {reason}\n", check.name)),
            }
        }
        for (contest, seq, reason) in &self.invalid {
            text.push_str(&format!(
                "invalid ballot: contest {contest} entry {seq}: {reason}\n"
            ));
        }
        self.totals_table(&mut text);
        self.duplicate_exposure(&mut text);
        self.removals(&mut text);
        if let Some(manifest) = &manifest {
            key_makers(manifest, record, &mut text);
            self.cosigners(manifest, &mut text);
        }
        let failed = self.checks.iter().filter(|c| c.failure.is_some()).count();
        if failed == 0 {
            text.push_str(&format!("verify: PASS ({} checks)\n", self.checks.len()));
        } else {
            text.push_str(&format!(
                "verify: FAIL ({failed} of {} checks failed)\n",
                self.checks.len()
            ));
        }
        text
    }

    fn totals_table(&self, text: &mut String) {
        text.push_str(&format!(
            "{:<12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            "contest",
            "eligible",
            "issued",
            "reissued",
            "cast",
            "counted",
            "valid",
            "invalid",
            "removed"
        ));
        for t in &self.totals {
            text.push_str(&format!(
                "{:<12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
                t.contest,
                t.eligible,
                t.issued,
                t.reissued,
                t.cast,
                t.counted,
                t.valid,
                t.invalid,
                t.removed
            ));
        }
    }

    /// Who vouched that everyone saw the same logs (docs/PROTOCOL.md §16).
    fn cosigners(&self, manifest: &Manifest, text: &mut String) {
        if manifest.witnesses().is_empty() {
            text.push_str("witnesses: none named in the manifest\n");
            return;
        }
        text.push_str(&format!(
            "witnesses: {} of the {} named must cosign each log's final checkpoint\n",
            manifest.witness_quorum(),
            manifest.witnesses().len()
        ));
        let cosigned = |n: usize, largest: Option<u64>, log: &str| match largest {
            Some(largest) => format!("{n} {log} checkpoint(s), the largest of size {largest}"),
            None => format!("no {log} checkpoint"),
        };
        for w in &self.witnesses {
            text.push_str(&format!(
                "witness {}: cosigned {} and {}\n",
                w.witness,
                cosigned(w.ballot_checkpoints, w.ballot_largest, "ballot-log"),
                cosigned(w.issuance_checkpoints, w.issuance_largest, "issuance-log"),
            ));
        }
    }

    /// What a re-issue costs, in the record's own terms (PROTOCOL §14): nothing links a member's
    /// passes, so each re-issued pass that cast could be a member's second ballot.
    fn duplicate_exposure(&self, text: &mut String) {
        if self.totals.iter().all(|t| t.reissued == 0) {
            text.push_str("duplicate exposure: none (no pass was re-issued)\n");
            return;
        }
        text.push_str(
            "reissued: passes issued again to a member who lost the first; nothing links the two, \
             so each may have cast\n",
        );
        for t in self.totals.iter().filter(|t| t.reissued > 0) {
            text.push_str(&format!(
                "duplicate exposure: {}: at most {} counted ballot(s) can be a second ballot of one member\n",
                t.contest, t.reissued
            ));
        }
    }

    /// Members removed after opening (PROTOCOL §10): no pass after the removal, but a pass issued
    /// before it stays good and may have cast, as DESIGN.md's rule wants (a member who cast keeps
    /// their ballot; nothing can tell whether a pass in hand has cast).
    fn removals(&self, text: &mut String) {
        if self.totals.iter().all(|t| t.removed == 0) {
            text.push_str("removals: none (no member was removed after opening)\n");
            return;
        }
        for t in self.totals.iter().filter(|t| t.removed > 0) {
            text.push_str(&format!(
                "removals: {}: {} member(s) removed after opening, no pass issued to them after; \
                 {} of them held a pass from before, which may have cast\n",
                t.contest, t.removed, t.removed_holding_pass
            ));
        }
    }
}

/// Who made the election key and who brought shares to decrypt (docs/PROTOCOL.md §11).
fn key_makers(manifest: &Manifest, record: &Record, text: &mut String) {
    let threshold = manifest.threshold();
    let count = manifest.share_commitments().len();
    match manifest.ceremony() {
        Some(ceremony) => {
            let names: Vec<&str> = (ceremony.setup.trustees.iter())
                .map(|t| t.name.as_str())
                .collect();
            text.push_str(&format!(
                "trustees: the election key was made by the {count} trustees' ceremony ({}), any \
                 {threshold} of them to decrypt; nobody held it before the tally\n",
                names.join(", ")
            ));
        }
        None => text.push_str(&format!(
            "trustees: DEALER MODE: the returning officer's machine made the election key and \
             split it among {count} trustees, any {threshold} of them to decrypt\n"
        )),
    }
    let reveal = (record.files.get(layout::REVEAL))
        .and_then(|bytes| crate::core::crypto::decode::<crate::core::record::Reveal>(bytes).ok());
    if let Some(reveal) = reveal {
        let brought: Vec<String> = (reveal.shares.iter())
            .map(|s| match u8::try_from(s.index) {
                Ok(index) => manifest.trustee_name(index),
                Err(_) => format!("trustee {}", s.index),
            })
            .collect();
        text.push_str(&format!(
            "shares brought to the tally: {}\n",
            brought.join(", ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{OPTIONS, fixture};
    use super::super::{CHECKS, verify};

    #[test]
    fn the_report_names_the_election_every_check_the_totals_and_the_verdict() {
        let record = fixture();
        let report = verify(&record, &OPTIONS).report(&record);
        let lines: Vec<&str> = report.lines().collect();
        assert!(lines[0].starts_with("election nec-2026 fingerprint "));
        for (line, check) in lines[1..].iter().zip(CHECKS) {
            assert_eq!(*line, format!("PASS {check}"));
        }
        assert!(report.contains("\nnec "));
        assert_eq!(lines.last(), Some(&"verify: PASS (23 checks)"));
    }

    #[test]
    fn a_failed_check_is_a_fail_line_and_a_fail_verdict() {
        let mut record = fixture();
        record.files.remove("reveal.json");
        let report = verify(&record, &OPTIONS).report(&record);
        assert!(report.contains("\nFAIL key-shares: reveal.json is missing\n"));
        assert!(report.trim_end().ends_with("checks failed)"));
    }
}
