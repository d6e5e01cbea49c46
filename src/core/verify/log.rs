//! The ballot log (§14 checks `entries`, `hash-chain`, `checkpoint-signatures`,
//! `checkpoint-roots`, `checkpoint-consistency`, `final-checkpoint`): every line an entry in order,
//! open first and close last, each carrying the hash of the one before, and every signed
//! checkpoint a Merkle root of the log. The issuance log's checkpoints are checked by the same
//! code ([`Verifier::log_checkpoints`]), reported under its one check.

use std::collections::BTreeSet;

use super::{
    CHECKPOINT_CONSISTENCY, CHECKPOINT_ROOTS, CHECKPOINT_SIGNATURES, ENTRIES, FINAL_CHECKPOINT,
    HASH_CHAIN, ISSUANCE_LOG, MANIFEST, Verifier, hex, lines, par_map,
};
use crate::core::log::{
    Checkpoint, Entry, Frontier, Hash, NoteVerifier, OpenEntry, consistency_proof, entry_hash,
    leaf_hash, open_note, verify_consistent,
};
use crate::core::manifest::Manifest;
use crate::core::record::layout;

/// Which checks a log's checkpoint failures are reported under.
pub(super) struct CheckpointChecks {
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
pub(super) const ISSUANCE_CHECKPOINT_CHECKS: CheckpointChecks = CheckpointChecks {
    signatures: ISSUANCE_LOG,
    roots: ISSUANCE_LOG,
    consistency: ISSUANCE_LOG,
};

/// A ballot-log line after decoding.
struct Line {
    entry: Option<Entry>,
    leaf: Hash,
    hash: [u8; 32],
}

/// The ballot log, as the checks after it need it.
pub(super) struct BallotLog {
    /// The entries that decoded, in log order.
    pub entries: Vec<Entry>,
    /// Each entry's leaf hash (the hash of its line), beside it.
    pub leaves: Vec<Hash>,
    /// The open entry, if the log starts with one.
    pub open: Option<OpenEntry>,
    /// The Merkle root of the whole log: the tie-break seed of every count.
    pub root: Hash,
}

impl<'a> Verifier<'a> {
    /// Reads the ballot log and checks its entries, hash chain and checkpoints.
    pub(super) fn ballot_log(&mut self, manifest: &Manifest) -> BallotLog {
        let fingerprint = manifest.fingerprint();
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
        let (entries, entry_leaves, open) = self.entries(manifest, &raw, decoded);
        let root = self.checkpoints(manifest, &leaves, &entries);
        BallotLog {
            entries,
            leaves: entry_leaves,
            open,
            root,
        }
    }

    /// Every line an entry, numbered in order; the open entry first and only there; the close
    /// entry last; every ballot of one of the manifest's contests. Ballots are checked further
    /// in [`super::ballots`].
    fn entries(
        &mut self,
        manifest: &Manifest,
        raw: &[&[u8]],
        decoded: Vec<Line>,
    ) -> (Vec<Entry>, Vec<Hash>, Option<OpenEntry>) {
        let mut entries = Vec::with_capacity(decoded.len());
        let mut leaves = Vec::with_capacity(decoded.len());
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
                Entry::Issuance(_) | Entry::Removal(_) => self.fail(
                    ENTRIES,
                    format!("entry {i}: an issuance-log entry in the ballot log"),
                ),
                Entry::Ballot(b) => {
                    if manifest.contest(&b.contest).is_none() {
                        self.fail(
                            ENTRIES,
                            format!("entry {i}: contest {:?} is not in the manifest", b.contest),
                        );
                    }
                    if i == 0 {
                        self.fail(ENTRIES, "the first entry is not the open entry");
                    }
                }
                Entry::Close(_) => closed_at = closed_at.or(Some(i)),
            }
            entries.push(entry);
            leaves.push(line.leaf);
        }
        if open.is_none() {
            self.fail(ENTRIES, "the ballot log does not start with an open entry");
        }
        if closed_at.is_none() {
            self.fail(ENTRIES, "the ballot log has no close entry");
        }
        (entries, leaves, open)
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
    pub(super) fn log_checkpoints(
        &mut self,
        dir: &str,
        key: &NoteVerifier,
        origin: &str,
        leaves: &[Hash],
        checks: &CheckpointChecks,
    ) -> (Vec<Checkpoint>, Hash) {
        let checkpoints = self.signed_checkpoints(dir, key, origin, checks);

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
        self.consistency(&checkpoints, &ours, leaves, checks);
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

    /// The checkpoints under `dir` whose signature, name and origin check, smallest first.
    fn signed_checkpoints(
        &mut self,
        dir: &str,
        key: &NoteVerifier,
        origin: &str,
        checks: &CheckpointChecks,
    ) -> Vec<Checkpoint> {
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
        checkpoints
    }

    /// Consecutive checkpoints not both of this log (`ours`): the first such pair gets the
    /// evidence (a consistency proof costs a pass over the leaves), the rest are counted.
    fn consistency(
        &mut self,
        checkpoints: &[Checkpoint],
        ours: &[bool],
        leaves: &[Hash],
        checks: &CheckpointChecks,
    ) {
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
                        "checkpoints of sizes {} and {} are not consistent ({}); proof {}",
                        older.size(),
                        newer.size(),
                        e.error,
                        proof.iter().map(|h| hex(h)).collect::<Vec<_>>().join(",")
                    );
                }
            }
            self.fail(checks.consistency, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{OPTIONS, failures, fixture};
    use super::*;
    use crate::core::verify::Record;

    fn ballot_log_of(record: &Record) -> (Verifier<'_>, BallotLog) {
        let mut verifier = Verifier::new(record, &OPTIONS);
        let manifest = Manifest::parse(&record.files[layout::MANIFEST]).unwrap();
        let log = verifier.ballot_log(&manifest);
        (verifier, log)
    }

    fn edit_log(record: &mut Record, edit: impl FnOnce(&mut Vec<Vec<u8>>)) {
        let bytes = &record.files[layout::BALLOT_LOG];
        let mut lines: Vec<Vec<u8>> = lines(bytes)
            .unwrap()
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        edit(&mut lines);
        let joined: Vec<u8> = lines
            .into_iter()
            .flat_map(|mut l| {
                l.push(b'\n');
                l
            })
            .collect();
        record.files.insert(layout::BALLOT_LOG.into(), joined);
    }

    #[test]
    fn the_fixture_log_passes_and_gives_its_open_entry_and_root() {
        let record = fixture();
        let (verifier, log) = ballot_log_of(&record);
        assert!(verifier.failures.is_empty(), "{:?}", verifier.failures);
        assert!(log.open.is_some());
        assert!(matches!(log.entries.last(), Some(Entry::Close(_))));
        assert_ne!(log.root, [0; 32]);
    }

    #[test]
    fn two_entries_swapped_break_the_order_the_chain_and_the_roots() {
        let mut record = fixture();
        edit_log(&mut record, |lines| lines.swap(2, 3));
        let (verifier, _) = ballot_log_of(&record);
        assert!(failures(&verifier, ENTRIES)[0].contains("line 3 carries seq 3, expected 2"));
        assert!(failures(&verifier, HASH_CHAIN)[0].contains("entry 2"));
        assert!(!failures(&verifier, CHECKPOINT_ROOTS).is_empty());
        assert!(!failures(&verifier, CHECKPOINT_CONSISTENCY).is_empty());
    }

    #[test]
    fn a_log_cut_before_its_close_has_no_close_and_no_final_checkpoint() {
        let mut record = fixture();
        edit_log(&mut record, |lines| {
            lines.pop();
        });
        let (verifier, _) = ballot_log_of(&record);
        assert!(
            failures(&verifier, ENTRIES).contains(&"the ballot log has no close entry".to_owned())
        );
        // The checkpoint of 37 entries now covers the whole log, which does not end in a close.
        assert_eq!(
            failures(&verifier, FINAL_CHECKPOINT),
            ["the final checkpoint does not end with a close entry"]
        );
        assert!(
            failures(&verifier, CHECKPOINT_ROOTS)[0].contains("size 38 but the log has 37 entries")
        );
        assert!(failures(&verifier, HASH_CHAIN).is_empty());
    }

    #[test]
    fn a_line_that_is_not_an_entry_and_a_missing_newline_are_named() {
        let mut record = fixture();
        edit_log(&mut record, |lines| {
            lines[1] = b"{\"type\":\"ballot\"}".to_vec()
        });
        let (verifier, _) = ballot_log_of(&record);
        assert!(failures(&verifier, ENTRIES)[0].starts_with("line 2: "));

        let mut record = fixture();
        let log = record.files.get_mut(layout::BALLOT_LOG).unwrap();
        log.pop();
        let (verifier, _) = ballot_log_of(&record);
        assert!(
            failures(&verifier, ENTRIES)[0].ends_with("the last line does not end in a newline")
        );
    }

    #[test]
    fn a_checkpoint_with_a_flipped_bit_or_under_another_name_is_caught() {
        let record = fixture();
        let (path, _) = (record.files.range(layout::BALLOT_CHECKPOINTS.to_owned()..))
            .find(|(p, _)| p.starts_with(layout::BALLOT_CHECKPOINTS))
            .unwrap();
        let path = path.clone();

        let mut flipped = record.clone();
        let bytes = flipped.files.get_mut(&path).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 1;
        let (verifier, _) = ballot_log_of(&flipped);
        assert!(failures(&verifier, CHECKPOINT_SIGNATURES)[0].starts_with(&path));

        let mut renamed = record.clone();
        let bytes = renamed.files.remove(&path).unwrap();
        renamed
            .files
            .insert(format!("{}999999.txt", layout::BALLOT_CHECKPOINTS), bytes);
        let (verifier, _) = ballot_log_of(&renamed);
        assert!(failures(&verifier, CHECKPOINT_ROOTS)[0].contains("holds a checkpoint of size"));
    }
}
