//! The election record (docs/PROTOCOL.md §12–13): its directory layout, and the tally that turns
//! opened ballots into the published decryptions, BLT files and canonical results.
//!
//! The tally is a pure function of the manifest, the ballot entries, their plaintexts and the
//! tie-break seed. `teller simulate` (and later the server's tally) writes its output; `teller
//! verify` runs it again on what it decrypted itself and demands the same bytes.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::core::ballot::{Invalid, Marks};
use crate::core::count::{self, CountError, ElectionBuilder, ElectionError, render};
use crate::core::crypto::{Bytes, CanonicalError, Domain, Transcript, encode, to_canonical};
use crate::core::log::{BallotEntry, Entry, RosterCommitment, leaf_hash, root};
use crate::core::manifest::Contest;

/// The record's files, as paths relative to its root with `/` separators.
pub mod layout {
    /// The manifest: its exact canonical bytes (no newline), so `sha256sum` prints the
    /// fingerprint.
    pub const MANIFEST: &str = "manifest.json";
    /// The ballot log's entries, one per line.
    pub const BALLOT_LOG: &str = "log/entries.jsonl";
    /// Directory of the ballot log's signed checkpoints, each named `<size>.txt`.
    pub const BALLOT_CHECKPOINTS: &str = "log/checkpoints/";
    /// The issuance log's entries, one per line.
    pub const ISSUANCE_LOG: &str = "issuance/entries.jsonl";
    /// Directory of the issuance log's signed checkpoints, each named `<size>.txt`.
    pub const ISSUANCE_CHECKPOINTS: &str = "issuance/checkpoints/";
    /// The key reveal: trustee shares and the rebuilt key.
    pub const REVEAL: &str = "reveal.json";
    /// The returning officers' events log, one event per line (§17).
    pub const EVENTS: &str = "events/entries.jsonl";
    /// The issuer's signed note over the events log (§17).
    pub const EVENTS_NOTE: &str = "events/signed.txt";

    /// A ballot-log checkpoint of `size` entries.
    pub fn ballot_checkpoint(size: u64) -> String {
        format!("{BALLOT_CHECKPOINTS}{size}.txt")
    }

    /// An issuance-log checkpoint of `size` entries.
    pub fn issuance_checkpoint(size: u64) -> String {
        format!("{ISSUANCE_CHECKPOINTS}{size}.txt")
    }

    /// A contest's roster commitments.
    pub fn roster(contest: &str) -> String {
        format!("roster/{contest}.txt")
    }

    /// A contest's decryptions.
    pub fn decryptions(contest: &str) -> String {
        format!("decryptions/{contest}.jsonl")
    }

    /// A contest's counted ballots as BLT, for any other STV counter.
    pub fn blt(contest: &str) -> String {
        format!("blt/{contest}.blt")
    }

    /// A contest's canonical results.
    pub fn results(contest: &str) -> String {
        format!("results/{contest}.json")
    }
}

/// A member's commitment in a contest's roster: `SHA-256(tag ‖ contest ‖ salt ‖ member number)`.
/// The member and the issuer know the salt; the record shows only the commitment.
pub fn member_commitment(contest: &str, salt: &[u8; 16], member: &str) -> [u8; 32] {
    Transcript::new(Domain::RosterMember)
        .field(contest.as_bytes())
        .fixed(salt)
        .field(member.as_bytes())
        .hash()
}

/// A log file of the record: each entry's bytes and a newline.
pub fn jsonl(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.len() + 1).sum());
    for entry in entries {
        out.extend_from_slice(entry);
        out.push(b'\n');
    }
    out
}

/// A roster file: the sorted commitments, one base64url line each.
pub fn roster_file(commitments: &BTreeSet<[u8; 32]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(commitments.len() * 44);
    for commitment in commitments {
        out.extend_from_slice(crate::core::crypto::encode_bytes(commitment).as_bytes());
        out.push(b'\n');
    }
    out
}

/// Why a roster file does not read (docs/PROTOCOL.md §9).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RosterFileError {
    /// A line that is not the base64url of 32 bytes.
    #[error("line {0}: not a 32-byte commitment in base64url")]
    NotACommitment(usize),
    /// A line not strictly after the one before.
    #[error("line {0}: not in ascending order (or repeated)")]
    NotAscending(usize),
    /// Not lines ending in `\n`.
    #[error("the file must be lines of text, each ending in a newline")]
    NotLines,
}

/// Reads a roster file written by [`roster_file`]: strictly ascending commitments.
pub fn parse_roster_file(bytes: &[u8]) -> Result<BTreeSet<[u8; 32]>, RosterFileError> {
    if bytes.is_empty() {
        return Ok(BTreeSet::new());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| RosterFileError::NotLines)?;
    let body = text.strip_suffix('\n').ok_or(RosterFileError::NotLines)?;
    let mut commitments = BTreeSet::new();
    let mut previous: Option<[u8; 32]> = None;
    // Split on `\n` alone: `str::lines` would also take `\r\n`, a second spelling of one file.
    for (i, line) in body.split('\n').enumerate() {
        let commitment: [u8; 32] = crate::core::crypto::decode_bytes(line)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(RosterFileError::NotACommitment(i + 1))?;
        if previous.is_some_and(|p| p >= commitment) {
            return Err(RosterFileError::NotAscending(i + 1));
        }
        previous = Some(commitment);
        commitments.insert(commitment);
    }
    Ok(commitments)
}

/// A roster's commitment as the `open` entry carries it: the count and the Merkle root of the
/// commitments as leaves (§9).
pub fn roster_commitment(commitments: &BTreeSet<[u8; 32]>) -> RosterCommitment {
    let leaves: Vec<[u8; 32]> = commitments.iter().map(|c| leaf_hash(c)).collect();
    RosterCommitment {
        eligible: commitments.len() as i64,
        root: root(&leaves).into(),
    }
}

/// The key reveal as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reveal {
    /// The election secret key rebuilt from the shares.
    pub key: Bytes<32>,
    /// The shares used, by trustee index.
    pub shares: Vec<RevealedShare>,
}

/// One trustee's share as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealedShare {
    /// The trustee's index, 1..=n.
    pub index: i64,
    /// The share's value.
    pub value: Bytes<32>,
}

/// One ballot entry as the tally sees it: where it is, and what opening it gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The entry's sequence number.
    pub seq: i64,
    /// The plaintext, or `None` if it did not open.
    pub plaintext: Option<Vec<u8>>,
}

/// What the tally publishes for one contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestTally {
    /// `decryptions/<contest>.jsonl`.
    pub decryptions: Vec<u8>,
    /// `blt/<contest>.blt`.
    pub blt: Vec<u8>,
    /// `results/<contest>.json`.
    pub results: Vec<u8>,
    /// Ballot entries cast in the contest.
    pub cast: usize,
    /// Ballots counted (the last under each voting key when re-voting is allowed).
    pub counted: usize,
    /// Counted ballots that are invalid, with the reason.
    pub invalid: Vec<(i64, Invalid)>,
}

/// Why a contest's count did not run. Its `Display` is the `"error"` member that replaces
/// `"report"` in `results/<c>.json` (docs/PROTOCOL.md §12), so these texts are part of the record's
/// bytes: they are written here, once, rather than borrowed from the count's own errors, so that
/// rewording a message of `teller count` cannot change a record. PROTOCOL §12 lists them byte for
/// byte; `tests/tally.rs` holds the list and the code to each other.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TallyError {
    /// No counted ballot is valid (none was cast, or every one is invalid, §9).
    #[error("there are no valid ballots to count")]
    NoValidBallots,
    /// More valid ballots than the count's arithmetic is proven for
    /// ([`count::MAX_TOTAL_WEIGHT`]).
    #[error("the ballots' total weight exceeds 1000000000")]
    TooManyBallots,
    /// The count refused a contest that the manifest had accepted (seats, method, constraint or
    /// lot), or an internal invariant failed. A checked manifest rules all of these out, so this
    /// is a bug; the cause is kept for the log, not the record.
    #[error(
        "the count could not run on a contest the manifest accepts (a bug; please report the record)"
    )]
    Internal(#[source] InternalCause),
}

/// What went wrong behind [`TallyError::Internal`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InternalCause {
    /// The contest did not make an election.
    #[error(transparent)]
    Election(ElectionError),
    /// The count stopped.
    #[error(transparent)]
    Count(CountError),
}

impl From<ElectionError> for TallyError {
    fn from(error: ElectionError) -> Self {
        match error {
            ElectionError::TooManyBallots => TallyError::TooManyBallots,
            other => TallyError::Internal(InternalCause::Election(other)),
        }
    }
}

impl From<CountError> for TallyError {
    fn from(error: CountError) -> Self {
        match error {
            CountError::NoValidBallots => TallyError::NoValidBallots,
            other => TallyError::Internal(InternalCause::Count(other)),
        }
    }
}

/// The sequence numbers of ballot entries that some later entry replaces.
pub fn replaced(entries: &[Entry]) -> BTreeSet<i64> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Ballot(BallotEntry {
                replaces: Some(r), ..
            }) => Some(*r),
            _ => None,
        })
        .collect()
}

/// Tallies one contest: `opened` holds every ballot entry of the contest in log order;
/// `replaced` the entries a later ballot replaced; `seed` is the final checkpoint's root hash.
pub fn tally_contest(
    contest: &Contest,
    opened: &[Opened],
    replaced: &BTreeSet<i64>,
    seed: &[u8; 32],
) -> Result<ContestTally, CanonicalError> {
    let mut decryptions = Vec::new();
    for ballot in opened {
        let line = match &ballot.plaintext {
            Some(plain) => {
                json!({"seq": ballot.seq, "plaintext": crate::core::crypto::encode_bytes(plain)})
            }
            None => json!({"seq": ballot.seq, "error": Invalid::DoesNotOpen.code()}),
        };
        decryptions.extend_from_slice(&to_canonical(&line)?);
        decryptions.push(b'\n');
    }

    let candidates = contest.candidate_count();
    let mut builder = ElectionBuilder::new_unnamed(contest.count_candidates());
    let mut invalid = Vec::new();
    let mut counted = 0;
    let mut build_error = None;
    for ballot in opened.iter().filter(|b| !replaced.contains(&b.seq)) {
        counted += 1;
        let ranking = ballot
            .plaintext
            .as_deref()
            .ok_or(Invalid::DoesNotOpen)
            .and_then(|plain| Marks::decode(plain, candidates))
            .and_then(|marks| marks.ranking());
        match ranking {
            Ok(ranking) => {
                if let Err(e) = builder.add(1, ranking.iter().map(std::slice::from_ref)) {
                    build_error.get_or_insert(TallyError::from(e));
                }
            }
            Err(reason) => invalid.push((ballot.seq, reason)),
        }
    }
    let election = builder.build(contest.draft().title.clone(), contest.seats(), None);
    let (blt, outcome) = match election {
        Ok(election) => {
            let blt = count::write_blt(&election).into_bytes();
            let outcome = match build_error {
                Some(e) => Err(e),
                None => {
                    count::count(&election, &contest.count_options(seed)).map_err(TallyError::from)
                }
            };
            (blt, outcome)
        }
        Err(e) => (Vec::new(), Err(TallyError::from(e))),
    };

    let invalid_json: Vec<Value> = invalid
        .iter()
        .map(|(seq, reason)| json!({"seq": seq, "reason": reason.code()}))
        .collect();
    let mut results = json!({
        "contest": contest.id(),
        "method": contest.method().name(),
        "seed": crate::core::crypto::encode_bytes(seed),
        "cast": opened.len(),
        "counted": counted,
        "valid": counted - invalid.len(),
        "invalid": invalid_json,
    });
    match outcome {
        Ok(report) => results["report"] = render::json_value(&report),
        Err(error) => results["error"] = Value::String(error.to_string()),
    }
    let mut results = to_canonical(&results)?;
    results.push(b'\n');
    Ok(ContestTally {
        decryptions,
        blt,
        results,
        cast: opened.len(),
        counted,
        invalid,
    })
}

/// The canonical bytes of the key reveal.
pub fn reveal_file(reveal: &Reveal) -> Result<Vec<u8>, CanonicalError> {
    encode(reveal)
}

/// Why a contest cannot be counted again from a record.
#[derive(Debug, thiserror::Error)]
pub enum RecountError {
    /// A file the count needs is missing.
    #[error("the record has no {0}")]
    Missing(String),
    /// The manifest does not parse.
    #[error("the record's manifest: {0}")]
    Manifest(#[from] crate::core::manifest::ManifestError),
    /// No such contest.
    #[error("no contest {id:?}; the contests are {ids}")]
    NoContest {
        /// The contest asked for.
        id: String,
        /// The manifest's contests, comma-separated.
        ids: String,
    },
    /// The results file names no usable seed.
    #[error("{path} names no tie-break seed")]
    NoSeed {
        /// The results file.
        path: String,
    },
    /// The BLT file does not parse.
    #[error("{path}: {error}")]
    Blt {
        /// The BLT file.
        path: String,
        /// Why.
        error: count::BltError,
    },
    /// The count fails.
    #[error("counting: {0}")]
    Count(#[from] CountError),
}

/// One contest counted again from a record: its published BLT file under the manifest's rule,
/// with the candidates' attributes from the manifest and the tie-break seed its results name;
/// and the ballots it counted (for the slate voting beside the count). What the results pages
/// and `teller tally --contest` show next to a record that verified.
pub fn recount(
    files: &std::collections::BTreeMap<String, Vec<u8>>,
    contest_id: &str,
) -> Result<(count::Report, count::Election), RecountError> {
    let file = |path: String| files.get(&path).ok_or(RecountError::Missing(path));
    let manifest = crate::core::manifest::Manifest::parse(file(layout::MANIFEST.to_owned())?)?;
    let contest = manifest
        .contest(contest_id)
        .ok_or_else(|| RecountError::NoContest {
            id: contest_id.to_owned(),
            ids: (manifest.contests().iter())
                .map(|c| c.id())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let results_path = layout::results(contest.id());
    let results: Value = serde_json::from_slice(file(results_path.clone())?).unwrap_or(Value::Null);
    let seed = (results["seed"].as_str())
        .and_then(|seed| crate::core::crypto::decode_bytes(seed).ok())
        .ok_or(RecountError::NoSeed { path: results_path })?;
    let blt_path = layout::blt(contest.id());
    let mut election = count::parse_blt(file(blt_path.clone())?)
        .map_err(|error| RecountError::Blt {
            path: blt_path,
            error,
        })?
        .election;
    for (index, candidate) in contest.count_candidates().into_iter().enumerate() {
        // Candidate indices fit in u16: the manifest allows at most MAX_CANDIDATES.
        election.set_attributes(
            count::CandidateIndex::new(index as u16),
            candidate.attributes,
        );
    }
    let report = count::count(&election, &contest.count_options(&seed))?;
    Ok((report, election))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roster_file_reads_back_and_refuses_disorder_and_damage() {
        let commitments: BTreeSet<[u8; 32]> = [[3; 32], [1; 32], [2; 32]].into();
        let file = roster_file(&commitments);
        assert_eq!(parse_roster_file(&file), Ok(commitments.clone()));
        assert_eq!(parse_roster_file(b""), Ok(BTreeSet::new()));
        let text = String::from_utf8(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let swapped = format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2]);
        assert_eq!(
            parse_roster_file(swapped.as_bytes()),
            Err(RosterFileError::NotAscending(2))
        );
        let repeated = format!("{}\n{}\n", lines[0], lines[0]);
        assert_eq!(
            parse_roster_file(repeated.as_bytes()),
            Err(RosterFileError::NotAscending(2))
        );
        assert_eq!(
            parse_roster_file(text.trim_end().as_bytes()),
            Err(RosterFileError::NotLines)
        );
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(
            parse_roster_file(crlf.as_bytes()),
            Err(RosterFileError::NotACommitment(1))
        );
        let short = format!("{}\n", &lines[0][..40]);
        assert_eq!(
            parse_roster_file(short.as_bytes()),
            Err(RosterFileError::NotACommitment(1))
        );
        assert_eq!(roster_commitment(&commitments).eligible, 3);
    }
}
