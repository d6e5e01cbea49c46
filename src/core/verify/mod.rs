//! Election-record verification (docs/PROTOCOL.md §14): everything `teller verify` checks, and
//! what the tally runs before it counts.
//!
//! The verifier reads only the published record, handed to it as a map of file paths to bytes; it
//! never calls the server or the database. It runs every check even after one fails, and each
//! failure names its evidence (file, line, entry, contest). Per-ballot work (blind signature,
//! voting-key signature, HPKE open) runs on all cores.
//!
//! One file per family of checks, each a part of one `Verifier`: `log` (the ballot log, its hash
//! chain and checkpoints), `issuance` (rosters, the issuance log, and the bounds ballots ≤ passes
//! ≤ eligible), `ballots` (every ballot as the box checked it, one counted per pass), `key` (the
//! shares and the revealed key), `recount` (decryptions, BLT files, results and totals) and
//! `report` (what `teller verify` prints). `browser` is the same for the browser's verifier page,
//! whose workers share the per-ballot checks out with `parts`. This file holds the names, the
//! outcome and the order the families run in.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod ballots;
pub mod browser;
mod events;
mod issuance;
mod key;
mod log;
mod parallel;
mod parts;
mod recount;
mod report;
mod witness;

use std::collections::{BTreeMap, BTreeSet};

// Bytes in lower-case hex, as failures show hashes and keys.
use base16ct::lower::encode_string as hex;

use crate::core::ballot::Invalid;
use crate::core::manifest::Manifest;
use crate::core::record::layout;

pub use parallel::par_map;
pub use parts::{BallotPart, PartError, check_part};
pub use witness::Cosigners;

/// The checks, in the order they are reported. Scripts match on these names.
pub const CHECKS: [&str; 23] = [
    MANIFEST,
    ENTRIES,
    HASH_CHAIN,
    CHECKPOINT_SIGNATURES,
    CHECKPOINT_ROOTS,
    CHECKPOINT_CONSISTENCY,
    FINAL_CHECKPOINT,
    ROSTERS,
    ISSUANCE_LOG,
    EVENTS_LOG,
    WITNESS_COSIGNATURES,
    PASS_SIGNATURES,
    BALLOT_SIGNATURES,
    ONE_BALLOT_PER_PASS,
    BALLOTS_ISSUANCES_ELIGIBLE,
    KEY_SHARES,
    ELECTION_KEY,
    DECRYPTIONS,
    BALLOT_VALIDITY,
    BLT_EXPORT,
    RECOUNT,
    RECORD_FILES,
    TOTALS,
];

/// The manifest is canonical, valid, and has the expected fingerprint.
pub const MANIFEST: &str = "manifest-fingerprint";
/// Every ballot-log entry well-formed and in order: open first, close last, nothing after.
pub const ENTRIES: &str = "entries";
/// Each entry carries the hash of the one before (the first, the fingerprint).
pub const HASH_CHAIN: &str = "hash-chain";
/// Every checkpoint signed by the ballot box's log key.
pub const CHECKPOINT_SIGNATURES: &str = "checkpoint-signatures";
/// Every checkpoint's root is the Merkle root of that many entries.
pub const CHECKPOINT_ROOTS: &str = "checkpoint-roots";
/// Consecutive checkpoints are of one log, so consistent (a pair that is not is shown with the
/// consistency proof the log gives).
pub const CHECKPOINT_CONSISTENCY: &str = "checkpoint-consistency";
/// A checkpoint covers the whole log, ending with its close entry.
pub const FINAL_CHECKPOINT: &str = "final-checkpoint";
/// Each roster file matches the commitment in the open entry.
pub const ROSTERS: &str = "rosters";
/// The issuance log: chain, checkpoints, members in the roster, one first issuance per member,
/// each re-issue after its first issuance, at most the manifest's limit of re-issues, nothing
/// for a member and contest after its removal.
pub const ISSUANCE_LOG: &str = "issuance-log";
/// The returning officers' events log: canonical lines in order, signed by the issuer's log key,
/// its removals the issuance log's (docs/PROTOCOL.md §17).
pub const EVENTS_LOG: &str = "events-log";
/// Every cosignature by a witness the manifest names verifies, and each log's final checkpoint
/// carries the manifest's quorum of them (docs/PROTOCOL.md §16).
pub const WITNESS_COSIGNATURES: &str = "witness-cosignatures";
/// Every pass's blind signature verifies under the manifest's issuer key.
pub const PASS_SIGNATURES: &str = "pass-signatures";
/// Every ballot's voting-key signature verifies.
pub const BALLOT_SIGNATURES: &str = "ballot-signatures";
/// At most one counted ballot per pass, per the re-voting policy.
pub const ONE_BALLOT_PER_PASS: &str = "one-ballot-per-pass";
/// Ballots ≤ passes issued ≤ eligible members, per contest.
pub const BALLOTS_ISSUANCES_ELIGIBLE: &str = "ballots-issuances-eligible";
/// The revealed shares match their commitments and are at least the threshold.
pub const KEY_SHARES: &str = "key-shares";
/// The key rebuilt from the shares is the revealed key and matches the manifest's public key.
pub const ELECTION_KEY: &str = "election-key";
/// The published decryptions are what the revealed key opens.
pub const DECRYPTIONS: &str = "decryptions";
/// Invalid ballots are listed with their reason, not dropped.
pub const BALLOT_VALIDITY: &str = "ballot-validity";
/// The BLT files are exactly the counted valid ballots.
pub const BLT_EXPORT: &str = "blt-export";
/// A recount gives byte-identical canonical results.
pub const RECOUNT: &str = "recount";
/// Every file of the record was checked; no file is missing or unexplained.
pub const RECORD_FILES: &str = "record-files";
/// The totals add up: cast = counted + replaced, counted = valid + invalid.
pub const TOTALS: &str = "totals";

/// What check `name` establishes, in words for a member or scrutineer who is not an engineer
/// (the verifier page shows it beside each check's name).
pub fn describe(name: &str) -> &'static str {
    match name {
        MANIFEST => "The election definition is well formed and is the one with this fingerprint.",
        ENTRIES => {
            "Every line of the ballot log is an entry, in order: the opening first, the close last, nothing after."
        }
        HASH_CHAIN => {
            "Each ballot-log entry carries the hash of the one before it, so none was removed, added or reordered."
        }
        CHECKPOINT_SIGNATURES => {
            "Every checkpoint of the ballot log is signed by the ballot box's log key."
        }
        CHECKPOINT_ROOTS => {
            "Every checkpoint's root is the Merkle root of that many entries of the log."
        }
        CHECKPOINT_CONSISTENCY => {
            "Each checkpoint extends the one before it: the log only ever grew."
        }
        FINAL_CHECKPOINT => "A signed checkpoint covers the whole log, up to its close.",
        ROSTERS => {
            "Each contest's roster of eligible members matches the commitment published when voting opened."
        }
        ISSUANCE_LOG => {
            "The log of voting passes issued is intact: members on the roster, one first pass each, re-issues within the limit, nothing for a member after their removal."
        }
        EVENTS_LOG => {
            "The officers' events log is complete as the issuer signed it, in time order, and its removals are the issuance log's."
        }
        WITNESS_COSIGNATURES => {
            "The witnesses named for the election cosigned the final log: everyone was shown the same log."
        }
        PASS_SIGNATURES => "Every ballot carries a voting pass the issuer signed for its contest.",
        BALLOT_SIGNATURES => "Every ballot is signed with the voting key of its pass.",
        ONE_BALLOT_PER_PASS => "At most one ballot counts per pass, as the re-voting rule says.",
        BALLOTS_ISSUANCES_ELIGIBLE => {
            "In each contest, ballots ≤ passes issued ≤ eligible members."
        }
        KEY_SHARES => {
            "The trustees' shares match their published commitments, and there are enough of them."
        }
        ELECTION_KEY => {
            "The key rebuilt from the shares is the revealed key, and the one ballots were sealed to."
        }
        DECRYPTIONS => "The published decryptions are what the key opens from the sealed ballots.",
        BALLOT_VALIDITY => "Invalid ballots are listed with their reason, none silently dropped.",
        BLT_EXPORT => "The published ballot files (BLT) are exactly the counted valid ballots.",
        RECOUNT => "Counting the ballots again gives exactly the published results.",
        RECORD_FILES => "Every file of the record was checked, and none is missing.",
        TOTALS => "The totals add up: cast = counted + replaced, counted = valid + invalid.",
        _ => "",
    }
}

/// The published record: file paths (relative, `/`-separated) to their bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// The files.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Progress of a long stage, for the caller to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// What is being done.
    pub stage: &'static str,
    /// Items done.
    pub done: usize,
    /// Items in all.
    pub total: usize,
}

/// How to verify.
pub struct VerifyOptions<'a> {
    /// Threads for per-ballot checks (the machine's cores).
    pub threads: usize,
    /// The fingerprint printed on the notices, if the scrutineer has it.
    pub fingerprint: Option<[u8; 32]>,
    /// Called as long stages advance.
    pub progress: &'a (dyn Fn(Progress) + Sync),
}

/// One check's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// The check's name (one of [`CHECKS`]).
    pub name: &'static str,
    /// Why it failed, or `None` if it passed.
    pub failure: Option<String>,
}

/// Totals for one contest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContestTotals {
    /// The contest.
    pub contest: String,
    /// Eligible members (roster).
    pub eligible: usize,
    /// Passes issued (issuance entries, re-issues included).
    pub issued: usize,
    /// Of which re-issues.
    pub reissued: usize,
    /// Members removed after opening (removal entries).
    pub removed: usize,
    /// Of which had been issued a pass before their removal.
    pub removed_holding_pass: usize,
    /// Ballot entries cast.
    pub cast: usize,
    /// Ballots counted (last per voting key).
    pub counted: usize,
    /// Counted and valid.
    pub valid: usize,
    /// Counted and invalid.
    pub invalid: usize,
}

/// Everything the verifier found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    /// Every check, in [`CHECKS`] order.
    pub checks: Vec<CheckResult>,
    /// Totals per contest, in manifest order.
    pub totals: Vec<ContestTotals>,
    /// Invalid counted ballots: contest, entry, reason.
    pub invalid: Vec<(String, i64, Invalid)>,
    /// The files the checks read.
    pub files_read: BTreeSet<String>,
    /// What each witness the manifest names cosigned, in manifest order (empty if it names none).
    pub witnesses: Vec<Cosigners>,
}

impl Verification {
    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.failure.is_none())
    }

    /// The failure of check `name`, if it failed.
    pub fn failure(&self, name: &str) -> Option<&str> {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.failure.as_deref())
    }
}

/// Verifies `record`.
pub fn verify(record: &Record, options: &VerifyOptions) -> Verification {
    verify_with_parts(record, options, &[])
}

/// Verifies `record`, taking the ballots other workers checked from their `parts` (see
/// [`check_part`]); the outcome is the same as [`verify`]'s.
pub fn verify_with_parts<'a>(
    record: &'a Record,
    options: &'a VerifyOptions<'a>,
    parts: &'a [BallotPart],
) -> Verification {
    let mut verifier = Verifier::new(record, options);
    verifier.parts = parts;
    verifier.run();
    let checks = CHECKS
        .iter()
        .map(|&name| CheckResult {
            name,
            failure: verifier.failures.get(name).map(|list| {
                let mut text = list[0].clone();
                if list.len() > 1 {
                    text.push_str(&format!(" (and {} more)", list.len() - 1));
                }
                text
            }),
        })
        .collect();
    Verification {
        checks,
        totals: verifier.totals,
        invalid: verifier.invalid,
        files_read: verifier.read,
        witnesses: verifier.witnesses,
    }
}

/// The verifier's state as the families of checks run: what failed, what was read, the totals.
struct Verifier<'a> {
    record: &'a Record,
    options: &'a VerifyOptions<'a>,
    /// Ballots other workers checked ([`parts`]).
    parts: &'a [BallotPart],
    failures: BTreeMap<&'static str, Vec<String>>,
    read: BTreeSet<String>,
    totals: Vec<ContestTotals>,
    invalid: Vec<(String, i64, Invalid)>,
    witnesses: Vec<Cosigners>,
}

/// The lines of a log file, each ending in a newline and none empty.
fn lines(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let Some(body) = bytes.strip_suffix(b"\n") else {
        return Err("the last line does not end in a newline".into());
    };
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    if let Some(i) = lines.iter().position(|l| l.is_empty()) {
        return Err(format!("line {} is empty", i + 1));
    }
    Ok(lines)
}

/// Where a published file first departs from what the record gives.
fn first_difference(found: &[u8], expected: &[u8]) -> String {
    let line = found
        .iter()
        .zip(expected)
        .take_while(|(a, b)| a == b)
        .filter(|(a, _)| **a == b'\n')
        .count()
        + 1;
    if found.len() != expected.len() && found.starts_with(expected) {
        format!(
            "has {} bytes after the expected end",
            found.len() - expected.len()
        )
    } else {
        format!("differs from line {line} on")
    }
}

impl<'a> Verifier<'a> {
    fn new(record: &'a Record, options: &'a VerifyOptions<'a>) -> Self {
        Verifier {
            record,
            options,
            parts: &[],
            failures: BTreeMap::new(),
            read: BTreeSet::new(),
            totals: Vec::new(),
            invalid: Vec::new(),
            witnesses: Vec::new(),
        }
    }

    fn fail(&mut self, check: &'static str, reason: impl Into<String>) {
        self.failures.entry(check).or_default().push(reason.into());
    }

    fn file(&mut self, path: &str) -> Option<&'a [u8]> {
        self.read.insert(path.to_owned());
        self.record.files.get(path).map(Vec::as_slice)
    }

    fn required(&mut self, check: &'static str, path: &str) -> Option<&'a [u8]> {
        let bytes = self.file(path);
        if bytes.is_none() {
            self.fail(check, format!("{path} is missing"));
        }
        bytes
    }

    fn not_checked(&mut self, checks: &[&'static str], why: &str) {
        for &check in checks {
            if !self.failures.contains_key(check) {
                self.fail(check, format!("not checked: {why}"));
            }
        }
    }

    fn progress(&self, stage: &'static str, done: usize, total: usize) {
        (self.options.progress)(Progress { stage, done, total });
    }

    fn run(&mut self) {
        let Some(manifest) = self.manifest() else {
            self.not_checked(&CHECKS, "the manifest did not verify");
            self.record_files();
            return;
        };
        let log = self.ballot_log(&manifest);
        let eligible = self.rosters(&manifest, log.open.as_ref());
        let issued = self.issuance(&manifest);
        self.events_log(&manifest, &issued);
        self.witness_cosignatures(&manifest);
        let key = self.reveal(&manifest);
        let ballots = self.ballots(&manifest, &log.entries, &log.leaves, key.as_ref());
        self.bounds(&manifest, &ballots, &eligible, &issued);
        match key {
            Some(_) => self.recount(&manifest, &log, &ballots, &eligible, &issued),
            None => self.no_recount(&manifest, &ballots, &eligible, &issued),
        }
        self.record_files();
    }

    fn manifest(&mut self) -> Option<Manifest> {
        let bytes = self.required(MANIFEST, layout::MANIFEST)?;
        match Manifest::parse(bytes) {
            Ok(manifest) => {
                if let Some(expected) = self.options.fingerprint
                    && expected != manifest.fingerprint()
                {
                    self.fail(
                        MANIFEST,
                        format!(
                            "the manifest's fingerprint is {}, not the {} published",
                            manifest.fingerprint_hex(),
                            hex(&expected)
                        ),
                    );
                }
                Some(manifest)
            }
            Err(e) => {
                self.fail(MANIFEST, format!("{}: {e}", layout::MANIFEST));
                None
            }
        }
    }

    fn record_files(&mut self) {
        let unexplained: Vec<&String> = self
            .record
            .files
            .keys()
            .filter(|p| !self.read.contains(*p))
            .collect();
        if !unexplained.is_empty() {
            let list = unexplained
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            self.fail(RECORD_FILES, format!("files no check covers: {list}"));
        }
        let missing: Vec<String> = self
            .read
            .iter()
            .filter(|p| !self.record.files.contains_key(*p))
            .cloned()
            .collect();
        if !missing.is_empty() {
            self.fail(RECORD_FILES, format!("missing: {}", missing.join(", ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet(_: Progress) {}

    /// One thread, no progress, no fingerprint to compare.
    pub(super) static OPTIONS: VerifyOptions<'static> = VerifyOptions {
        threads: 1,
        fingerprint: None,
        progress: &quiet,
    };

    /// The fixture record (tests/data/record, `teller simulate --members 40 --seed fixture`).
    pub(super) fn fixture() -> Record {
        fn walk(
            dir: &std::path::Path,
            base: &std::path::Path,
            files: &mut BTreeMap<String, Vec<u8>>,
        ) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, base, files);
                } else {
                    let name = path
                        .strip_prefix(base)
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .replace('\\', "/");
                    files.insert(name, std::fs::read(&path).unwrap());
                }
            }
        }
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/record");
        let mut files = BTreeMap::new();
        walk(&base, &base, &mut files);
        Record { files }
    }

    /// The failures of `check` the verifier has so far.
    pub(super) fn failures<'v>(verifier: &'v Verifier, check: &str) -> &'v [String] {
        verifier.failures.get(check).map_or(&[], Vec::as_slice)
    }

    #[test]
    fn the_fixture_record_passes_every_check() {
        let result = verify(&fixture(), &OPTIONS);
        assert!(result.passed(), "{:?}", result.checks);
        assert_eq!(result.checks.len(), CHECKS.len());
    }

    #[test]
    fn another_fingerprint_than_the_published_one_fails_the_manifest() {
        let options = VerifyOptions {
            fingerprint: Some([7; 32]),
            ..OPTIONS
        };
        let result = verify(&fixture(), &options);
        let failure = result.failure(MANIFEST).unwrap();
        assert!(failure.contains(&"07".repeat(32)), "{failure}");
    }

    #[test]
    fn an_unreadable_manifest_leaves_every_check_not_checked() {
        let mut record = fixture();
        record.files.insert(layout::MANIFEST.into(), b"{".to_vec());
        let result = verify(&record, &OPTIONS);
        for check in &result.checks[1..] {
            let failure = check.failure.as_deref().unwrap_or_default();
            assert!(
                failure.starts_with("not checked") || check.name == RECORD_FILES,
                "{}: {failure}",
                check.name
            );
        }
    }

    #[test]
    fn a_file_no_check_reads_and_a_missing_file_are_named() {
        let mut record = fixture();
        record.files.insert("notes.txt".into(), b"hello".to_vec());
        let result = verify(&record, &OPTIONS);
        assert!(result.failure(RECORD_FILES).unwrap().contains("notes.txt"));

        let mut record = fixture();
        record.files.remove(layout::REVEAL);
        let result = verify(&record, &OPTIONS);
        assert!(result.failure(KEY_SHARES).unwrap().contains("missing"));
        assert!(
            result
                .failure(RECORD_FILES)
                .unwrap()
                .contains(layout::REVEAL)
        );
    }

    #[test]
    fn every_check_is_described() {
        for check in CHECKS {
            assert!(describe(check).ends_with('.'), "{check}");
        }
    }

    #[test]
    fn first_difference_names_the_line_or_the_extra_bytes() {
        assert_eq!(
            first_difference(b"a\nb\nc\n", b"a\nb\nd\n"),
            "differs from line 3 on"
        );
        assert_eq!(
            first_difference(b"a\nb\n!", b"a\nb\n"),
            "has 1 bytes after the expected end"
        );
        assert_eq!(lines(b"a\n\nb\n"), Err("line 2 is empty".to_owned()));
        assert_eq!(
            lines(b"a"),
            Err("the last line does not end in a newline".to_owned())
        );
    }
}
