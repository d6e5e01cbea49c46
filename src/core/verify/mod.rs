//! Election-record verification (docs/PROTOCOL.md §14): everything `teller verify` checks, and
//! what the tally runs before it counts.
//!
//! The verifier reads only the published record, handed to it as a map of file paths to bytes; it
//! never calls the server or the database. It runs every check even after one fails, and each
//! failure names its evidence (file, line, entry, contest). Per-ballot work (blind signature,
//! voting-key signature, HPKE open) runs on all cores.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod parallel;

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::{Signature, VerifyingKey};

use crate::core::ballot::{Invalid, plaintext_len};
use crate::core::crypto::{
    ElectionSecretKey, Share, TAG_LEN, decode, decode_bytes, encode_bytes, open, reconstruct,
};
use crate::core::log::{
    BallotEntry, Checkpoint, Entry, Frontier, Hash, IssuanceEntry, NoteVerifier, OpenEntry,
    ballot_message, consistency_proof, entry_hash, leaf_hash, open_note, verify_consistent,
};
use crate::core::manifest::{Manifest, Revote};
use crate::core::record::{
    Opened, Reveal, layout, parse_roster_file, replaced, roster_commitment, tally_contest,
};

pub use parallel::par_map;

/// The checks, in the order they are reported. Scripts match on these names.
pub const CHECKS: [&str; 21] = [
    MANIFEST,
    ENTRIES,
    HASH_CHAIN,
    CHECKPOINT_SIGNATURES,
    CHECKPOINT_ROOTS,
    CHECKPOINT_CONSISTENCY,
    FINAL_CHECKPOINT,
    ROSTERS,
    ISSUANCE_LOG,
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
/// each re-issue after its first issuance, at most the manifest's limit of re-issues.
pub const ISSUANCE_LOG: &str = "issuance-log";
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

/// Which checks a log's checkpoint failures are reported under.
struct CheckpointChecks {
    signatures: &'static str,
    roots: &'static str,
    consistency: &'static str,
}

const BALLOT_CHECKPOINT_CHECKS: CheckpointChecks = CheckpointChecks {
    signatures: CHECKPOINT_SIGNATURES,
    roots: CHECKPOINT_ROOTS,
    consistency: CHECKPOINT_CONSISTENCY,
};

/// The issuance log's checkpoints are part of its one check.
const ISSUANCE_CHECKPOINT_CHECKS: CheckpointChecks = CheckpointChecks {
    signatures: ISSUANCE_LOG,
    roots: ISSUANCE_LOG,
    consistency: ISSUANCE_LOG,
};

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
    let mut verifier = Verifier {
        record,
        options,
        failures: BTreeMap::new(),
        read: BTreeSet::new(),
        totals: Vec::new(),
        invalid: Vec::new(),
    };
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
    }
}

struct Verifier<'a> {
    record: &'a Record,
    options: &'a VerifyOptions<'a>,
    failures: BTreeMap<&'static str, Vec<String>>,
    read: BTreeSet<String>,
    totals: Vec<ContestTotals>,
    invalid: Vec<(String, i64, Invalid)>,
}

/// A ballot-log line after decoding.
struct Line {
    entry: Option<Entry>,
    leaf: Hash,
    hash: [u8; 32],
}

/// Per-ballot results of the parallel pass.
struct BallotCheck {
    pass: Result<(), String>,
    signature: Result<(), String>,
    plaintext: Option<Vec<u8>>,
}

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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

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
        let fingerprint = manifest.fingerprint();

        // The ballot log.
        let log_bytes = self
            .required(ENTRIES, layout::BALLOT_LOG)
            .unwrap_or_default();
        let raw = match lines(log_bytes) {
            Ok(raw) => raw,
            Err(e) => {
                self.fail(ENTRIES, format!("{}: {e}", layout::BALLOT_LOG));
                Vec::new()
            }
        };
        let total = raw.len();
        let decoded = par_map(
            &raw,
            self.options.threads,
            |bytes| Line {
                entry: Entry::decode(bytes).ok(),
                leaf: leaf_hash(bytes),
                hash: entry_hash(bytes),
            },
            |done| self.progress("reading entries", done, total),
        );
        if let Some(first) = decoded.first().and_then(|l| l.entry.as_ref())
            && first.prev() != fingerprint
        {
            self.fail(
                MANIFEST,
                format!(
                    "the ballot log is anchored to another manifest (fingerprint {}), not this one ({})",
                    hex(&first.prev()),
                    manifest.fingerprint_hex()
                ),
            );
        }
        self.hash_chain(&fingerprint, &decoded);
        let leaves: Vec<Hash> = decoded.iter().map(|l| l.leaf).collect();
        // The decoded entries move out here (no second copy of a national election's log).
        let (entries, open) = self.entries(&manifest, &raw, decoded);
        let seed = self.checkpoints(&manifest, &leaves, &entries);

        let eligible = self.rosters(&manifest, open.as_ref());
        let issued = self.issuance(&manifest, &fingerprint);
        let key = self.reveal(&manifest);

        // Per-ballot cryptography, on all cores.
        let ballots: Vec<&BallotEntry> = entries
            .iter()
            .filter_map(|e| match e {
                Entry::Ballot(b) if manifest.contest(&b.contest).is_some() => Some(b),
                _ => None,
            })
            .collect();
        let count = ballots.len();
        let checked = par_map(
            &ballots,
            self.options.threads,
            |ballot| check_ballot(&manifest, key.as_ref(), ballot),
            |done| self.progress("checking ballots", done, count),
        );
        for (ballot, check) in ballots.iter().zip(&checked) {
            if let Err(e) = &check.pass {
                self.fail(PASS_SIGNATURES, format!("entry {}: {e}", ballot.seq));
            }
            if let Err(e) = &check.signature {
                self.fail(BALLOT_SIGNATURES, format!("entry {}: {e}", ballot.seq));
            }
        }
        self.one_ballot_per_pass(&manifest, &ballots);
        let replaced = replaced(&entries);

        // The tally, again.
        for contest in manifest.contests() {
            let id = contest.id();
            let opened: Vec<Opened> = ballots
                .iter()
                .zip(&checked)
                .filter(|(b, _)| b.contest == id)
                .map(|(b, c)| Opened {
                    seq: b.seq,
                    plaintext: c.plaintext.clone(),
                })
                .collect();
            let voting_keys: BTreeSet<[u8; 32]> = ballots
                .iter()
                .filter(|b| b.contest == id)
                .map(|b| b.pass.key.array())
                .collect();
            let (issued_here, reissued, members) = issued.get(id).copied().unwrap_or_default();
            let eligible_here = eligible.get(id).copied().unwrap_or_default();
            if voting_keys.len() > issued_here {
                self.fail(
                    BALLOTS_ISSUANCES_ELIGIBLE,
                    format!(
                        "contest {id}: {} voting keys cast ballots but only {issued_here} passes were issued",
                        voting_keys.len()
                    ),
                );
            }
            if members > eligible_here {
                self.fail(
                    BALLOTS_ISSUANCES_ELIGIBLE,
                    format!(
                        "contest {id}: passes went to {members} members but only {eligible_here} are eligible"
                    ),
                );
            }
            let mut totals = ContestTotals {
                contest: id.to_owned(),
                eligible: eligible_here,
                issued: issued_here,
                reissued,
                cast: opened.len(),
                ..ContestTotals::default()
            };
            if key.is_none() {
                self.totals.push(totals);
                continue;
            }
            let Ok(tally) = tally_contest(contest, &opened, &replaced, &seed) else {
                self.fail(
                    RECOUNT,
                    format!("contest {id}: the tally could not be encoded"),
                );
                continue;
            };
            totals.counted = tally.counted;
            totals.invalid = tally.invalid.len();
            totals.valid = tally.counted - tally.invalid.len();
            if tally.cast
                != tally.counted + opened.iter().filter(|o| replaced.contains(&o.seq)).count()
            {
                self.fail(TOTALS, format!("contest {id}: cast ≠ counted + replaced"));
            }
            self.invalid.extend(
                tally
                    .invalid
                    .iter()
                    .map(|&(seq, reason)| (id.to_owned(), seq, reason)),
            );
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
            self.totals.push(totals);
        }
        if key.is_none() {
            self.not_checked(
                &[DECRYPTIONS, BALLOT_VALIDITY, BLT_EXPORT, RECOUNT, TOTALS],
                "no election key to open the ballots with",
            );
            for contest in manifest.contests() {
                for path in [
                    layout::decryptions(contest.id()),
                    layout::blt(contest.id()),
                    layout::results(contest.id()),
                ] {
                    self.file(&path);
                }
            }
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

    fn entries(
        &mut self,
        manifest: &Manifest,
        raw: &[&[u8]],
        decoded: Vec<Line>,
    ) -> (Vec<Entry>, Option<OpenEntry>) {
        let mut entries = Vec::with_capacity(decoded.len());
        let mut open = None;
        let mut closed_at = None;
        for (i, (line, bytes)) in decoded.into_iter().zip(raw).enumerate() {
            let Some(entry) = line.entry else {
                let why = Entry::decode(bytes)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                self.fail(ENTRIES, format!("line {}: {why}", i + 1));
                continue;
            };
            if entry.seq() != i as i64 {
                self.fail(
                    ENTRIES,
                    format!("line {} carries seq {}, expected {i}", i + 1, entry.seq()),
                );
            }
            if let Some(close) = closed_at {
                self.fail(
                    ENTRIES,
                    format!("entry {i} follows the close entry {close}"),
                );
            }
            match &entry {
                Entry::Open(o) if i == 0 => {
                    let ids: BTreeSet<&str> = manifest.contests().iter().map(|c| c.id()).collect();
                    let rosters: BTreeSet<&str> = o.rosters.keys().map(String::as_str).collect();
                    if ids != rosters {
                        self.fail(
                            ENTRIES,
                            "the open entry's rosters do not name exactly the manifest's contests",
                        );
                    }
                    open = Some(o.clone());
                }
                Entry::Open(_) => self.fail(ENTRIES, format!("entry {i}: a second open entry")),
                Entry::Issuance(_) => {
                    self.fail(ENTRIES, format!("entry {i}: an issuance in the ballot log"))
                }
                Entry::Ballot(b) => {
                    match manifest.contest(&b.contest) {
                        None => self.fail(
                            ENTRIES,
                            format!("entry {i}: contest {:?} is not in the manifest", b.contest),
                        ),
                        Some(contest) => {
                            // The box must refuse any other length (§10): a longer or shorter
                            // ciphertext would say something about the ballot inside.
                            let expected = plaintext_len(contest.candidate_count()) + TAG_LEN;
                            if b.ct.0.len() != expected {
                                self.fail(
                                    ENTRIES,
                                    format!(
                                        "entry {i}: the sealed ballot is {} bytes, the contest's are {expected}",
                                        b.ct.0.len()
                                    ),
                                );
                            }
                        }
                    }
                    if i == 0 {
                        self.fail(ENTRIES, "the first entry is not the open entry");
                    }
                }
                Entry::Close(_) => closed_at = closed_at.or(Some(i)),
            }
            entries.push(entry);
        }
        if open.is_none() {
            self.fail(ENTRIES, "the ballot log does not start with an open entry");
        }
        if closed_at.is_none() {
            self.fail(ENTRIES, "the ballot log has no close entry");
        }
        (entries, open)
    }

    fn hash_chain(&mut self, fingerprint: &[u8; 32], decoded: &[Line]) {
        let mut expected = *fingerprint;
        for (i, line) in decoded.iter().enumerate() {
            match &line.entry {
                Some(entry) if entry.prev() == expected => {}
                Some(_) => self.fail(
                    HASH_CHAIN,
                    format!("entry {i} does not carry the hash of the entry before it"),
                ),
                None => self.fail(HASH_CHAIN, format!("entry {i} cannot be read")),
            }
            expected = line.hash;
        }
    }

    /// Checks the ballot log's checkpoints; returns the tie-break seed (the final root).
    fn checkpoints(&mut self, manifest: &Manifest, leaves: &[Hash], entries: &[Entry]) -> [u8; 32] {
        let (good, all) = self.log_checkpoints(
            layout::BALLOT_CHECKPOINTS,
            manifest.ballot_log_key(),
            &manifest.ballot_log_origin(),
            leaves,
            &BALLOT_CHECKPOINT_CHECKS,
        );
        match good.last() {
            Some(c) if c.size() as usize == leaves.len() => {
                if !matches!(entries.last(), Some(Entry::Close(_))) {
                    self.fail(
                        FINAL_CHECKPOINT,
                        "the final checkpoint does not end with a close entry",
                    );
                }
            }
            _ => self.fail(
                FINAL_CHECKPOINT,
                format!("no signed checkpoint covers all {} entries", leaves.len()),
            ),
        }
        all
    }

    /// Checks every signed checkpoint of a log (the files under `dir`, each `<size>.txt`): its
    /// signature, name and origin, and that its root is the Merkle root of the log's first `size`
    /// entries. The roots come from one pass over the leaves (a Merkle frontier read off at each
    /// checkpoint's size), so the cost is linear in entries plus checkpoints; a server signs up
    /// to one a second. Checkpoints whose roots are all the log's are consistent with each other
    /// by construction; a pair that is not is reported with the consistency proof the log gives.
    /// Returns the checkpoints whose root is the log's, smallest first, and the root of the whole
    /// log (the same pass carried to the end).
    fn log_checkpoints(
        &mut self,
        dir: &str,
        key: &NoteVerifier,
        origin: &str,
        leaves: &[Hash],
        checks: &CheckpointChecks,
    ) -> (Vec<Checkpoint>, Hash) {
        let files: Vec<(&'a String, &'a [u8])> = self
            .record
            .files
            .range(dir.to_owned()..)
            .take_while(|(path, _)| path.starts_with(dir))
            .map(|(path, bytes)| (path, bytes.as_slice()))
            .collect();
        self.read
            .extend(files.iter().map(|(path, _)| (*path).clone()));
        let count = files.len();
        let opened = par_map(
            &files,
            self.options.threads,
            |(path, bytes)| -> Result<Checkpoint, (&'static str, String)> {
                let (text, _) = open_note(bytes, std::slice::from_ref(key))
                    .map_err(|e| (checks.signatures, format!("{path}: {e}")))?;
                let checkpoint =
                    Checkpoint::parse(&text).map_err(|e| (checks.roots, format!("{path}: {e}")))?;
                if path.strip_prefix(dir) != Some(&format!("{}.txt", checkpoint.size())) {
                    return Err((
                        checks.roots,
                        format!("{path} holds a checkpoint of size {}", checkpoint.size()),
                    ));
                }
                if checkpoint.origin() != origin {
                    return Err((
                        checks.roots,
                        format!("{path}: origin {:?} is not {origin:?}", checkpoint.origin()),
                    ));
                }
                Ok(checkpoint)
            },
            |done| self.progress("checking checkpoints", done, count),
        );
        let mut checkpoints = Vec::with_capacity(count);
        for result in opened {
            match result {
                Ok(checkpoint) => checkpoints.push(checkpoint),
                Err((check, reason)) => self.fail(check, reason),
            }
        }
        checkpoints.sort_by_key(Checkpoint::size);

        // One pass over the leaves: is each checkpoint's root the log's?
        let mut frontier = Frontier::default();
        let mut ours = Vec::with_capacity(checkpoints.len());
        for checkpoint in &checkpoints {
            let size = checkpoint.size() as usize;
            let is_ours = if size > leaves.len() {
                self.fail(
                    checks.roots,
                    format!(
                        "{dir}{size}.txt: size {size} but the log has {} entries",
                        leaves.len()
                    ),
                );
                false
            } else {
                for leaf in &leaves[frontier.size() as usize..size] {
                    frontier.append(*leaf);
                }
                let is_ours = frontier.root() == *checkpoint.root();
                if !is_ours {
                    self.fail(
                        checks.roots,
                        format!(
                            "{dir}{size}.txt: the root is not the Merkle root of the first {size} entries"
                        ),
                    );
                }
                is_ours
            };
            ours.push(is_ours);
        }

        // A pair of checkpoints not both of this log: the first such pair gets the evidence (a
        // consistency proof costs a pass over the leaves), the rest are counted.
        let mut evidence_given = false;
        for (pair, both) in checkpoints.windows(2).zip(ours.windows(2)) {
            if both[0] && both[1] {
                continue;
            }
            let (older, newer) = (&pair[0], &pair[1]);
            let mut reason = format!(
                "checkpoints of sizes {} and {} are not both of this log",
                older.size(),
                newer.size()
            );
            if !evidence_given {
                evidence_given = true;
                let new_size = (newer.size() as usize).min(leaves.len());
                let proof = consistency_proof(&leaves[..new_size], older.size() as usize)
                    .unwrap_or_default();
                if let Err(e) = verify_consistent(older, newer, &proof) {
                    reason = format!(
                        "checkpoints of sizes {} and {} are not consistent ({:?}); proof {}",
                        older.size(),
                        newer.size(),
                        e.error,
                        proof.iter().map(|h| hex(h)).collect::<Vec<_>>().join(",")
                    );
                }
            }
            self.fail(checks.consistency, reason);
        }
        for leaf in &leaves[frontier.size() as usize..] {
            frontier.append(*leaf);
        }
        let good = checkpoints
            .into_iter()
            .zip(ours)
            .filter_map(|(checkpoint, ours)| ours.then_some(checkpoint))
            .collect();
        (good, frontier.root())
    }

    /// Checks roster files against the open entry; returns eligible members per contest.
    fn rosters(
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

    /// Checks the issuance log; returns per contest (passes issued, re-issues, members).
    fn issuance(
        &mut self,
        manifest: &Manifest,
        fingerprint: &[u8; 32],
    ) -> BTreeMap<String, (usize, usize, usize)> {
        let mut issued: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
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
        // Roster membership: the roster files were read (and checked) already.
        let mut rosters: BTreeMap<String, BTreeSet<Vec<u8>>> = BTreeMap::new();
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
        let mut expected = *fingerprint;
        let mut leaves = Vec::with_capacity(raw.len());
        // Per (contest, member): first issues and re-issues. Batches are shuffled, but within one
        // the issuer puts first issuances before re-issues, so a member's re-issue always follows
        // their first issuance in the log (§10).
        let mut seen: BTreeMap<(String, Vec<u8>), (usize, usize)> = BTreeMap::new();
        for (i, bytes) in raw.iter().enumerate() {
            leaves.push(leaf_hash(bytes));
            let entry = match decode::<Entry>(bytes) {
                Ok(Entry::Issuance(entry)) => entry,
                Ok(_) => {
                    self.fail(
                        ISSUANCE_LOG,
                        format!("issuance entry {i} is not an issuance"),
                    );
                    expected = entry_hash(bytes);
                    continue;
                }
                Err(e) => {
                    self.fail(ISSUANCE_LOG, format!("issuance line {}: {e}", i + 1));
                    expected = entry_hash(bytes);
                    continue;
                }
            };
            let IssuanceEntry {
                seq,
                prev,
                contest,
                member,
                reissue,
            } = &entry;
            if *seq != i as i64 {
                self.fail(
                    ISSUANCE_LOG,
                    format!("issuance line {} carries seq {seq}", i + 1),
                );
            }
            if prev.array() != expected {
                self.fail(
                    ISSUANCE_LOG,
                    format!("issuance entry {i} does not carry the hash of the entry before it"),
                );
            }
            expected = entry_hash(bytes);
            let Some(roster) = rosters.get(contest) else {
                self.fail(
                    ISSUANCE_LOG,
                    format!("issuance entry {i}: unknown contest {contest:?}"),
                );
                continue;
            };
            if !roster.contains(&member.0) {
                self.fail(
                    ISSUANCE_LOG,
                    format!("issuance entry {i}: the member is not in the roster of {contest}"),
                );
            }
            let counts = seen.entry((contest.clone(), member.0.clone())).or_default();
            if *reissue {
                // A re-issue replaces a lost pass; without a first one there is nothing to
                // replace, and it would be an unmarked second pass (§10).
                if counts.0 == 0 {
                    self.fail(
                        ISSUANCE_LOG,
                        format!(
                            "issuance entry {i}: a re-issue in {contest} for a member with no first issuance before it"
                        ),
                    );
                }
                counts.1 += 1;
            } else {
                counts.0 += 1;
            }
            let counts = issued.entry(contest.clone()).or_default();
            counts.0 += 1;
            if *reissue {
                counts.1 += 1;
            } else {
                counts.2 += 1;
            }
        }
        let limit = usize::try_from(manifest.reissue().limit).unwrap_or(0);
        for ((contest, _), (firsts, reissues)) in &seen {
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

    /// Checks the key reveal; returns the election key if it matches the manifest.
    fn reveal(&mut self, manifest: &Manifest) -> Option<ElectionSecretKey> {
        let bytes = self.required(KEY_SHARES, layout::REVEAL)?;
        let reveal: Reveal = match decode(bytes) {
            Ok(reveal) => reveal,
            Err(e) => {
                self.fail(KEY_SHARES, format!("{}: {e}", layout::REVEAL));
                self.not_checked(&[ELECTION_KEY], "the key reveal cannot be read");
                return None;
            }
        };
        let key = ElectionSecretKey::from_bytes(reveal.key.array());
        let shares: Result<Vec<Share>, String> = reveal
            .shares
            .iter()
            .map(|s| {
                let index =
                    u8::try_from(s.index).map_err(|_| format!("share index {}", s.index))?;
                Share::new(index, s.value.array()).map_err(|e| e.to_string())
            })
            .collect();
        match shares.and_then(|shares| {
            reconstruct(&shares, &manifest.share_commitments(), manifest.threshold())
                .map_err(|e| e.to_string())
        }) {
            Ok(rebuilt) => {
                if rebuilt != key {
                    self.fail(
                        ELECTION_KEY,
                        "the key rebuilt from the shares is not the revealed key",
                    );
                }
            }
            Err(e) => self.fail(KEY_SHARES, e),
        }
        match key.public_key() {
            Ok(public) if public == manifest.election_key() => Some(key),
            _ => {
                self.fail(
                    ELECTION_KEY,
                    "the revealed key does not match the manifest's election public key",
                );
                None
            }
        }
    }

    fn one_ballot_per_pass(&mut self, manifest: &Manifest, ballots: &[&BallotEntry]) {
        let mut by_key: BTreeMap<(&str, [u8; 32]), Vec<&BallotEntry>> = BTreeMap::new();
        for ballot in ballots {
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

fn check_ballot(
    manifest: &Manifest,
    key: Option<&ElectionSecretKey>,
    ballot: &BallotEntry,
) -> BallotCheck {
    let fingerprint = manifest.fingerprint();
    // Each contest's passes verify under that contest's own issuer key (§5): the key is what
    // binds a blind signature to its contest.
    let pass = match manifest.contest(&ballot.contest) {
        None => Err(format!(
            "contest {:?} is not in the manifest",
            ballot.contest
        )),
        Some(contest) => (ballot.pass.pass())
            .verify(contest.issuer_key(), &fingerprint, contest.id())
            .map(|_| ())
            .map_err(|e| format!("{e} of contest {:?}", contest.id())),
    };
    let sealed = ballot.sealed();
    let voting_key = ballot.pass.key.array();
    let message = ballot_message(
        &fingerprint,
        &ballot.contest,
        &voting_key,
        &sealed,
        ballot.replaces,
    );
    let signature = VerifyingKey::from_bytes(&voting_key)
        .map_err(|_| "the voting key is not a valid Ed25519 key".to_owned())
        .and_then(|vk| {
            vk.verify_strict(&message, &Signature::from_bytes(&ballot.signature.array()))
                .map_err(|_| "the voting-key signature does not verify".to_owned())
        });
    let plaintext =
        key.and_then(|key| open(key, &fingerprint, &ballot.contest, &voting_key, &sealed).ok());
    BallotCheck {
        pass,
        signature,
        plaintext,
    }
}

/// The published BLT file parses, and names the contest's candidates in order and its title.
fn blt_reads_back(bytes: &[u8], contest: &crate::core::manifest::Contest) -> Result<(), String> {
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
    use super::*;

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
