//! The member's side of the protocol (docs/PROTOCOL.md §5, §6, §10, §15): what the browser booth
//! runs, compiled to WebAssembly (`wasm/`), and what `teller audit-ballot` and the tests run
//! natively. One implementation, so booth, server and verifier cannot drift apart.
//!
//! [`call`] is the booth's whole interface: a JSON request `{"op": …}` in, `{"ok": …}` or
//! `{"error": {"code", "message"}}` out. Randomness comes in with the request (the booth draws it
//! with `crypto.getRandomValues`), so every answer is a function of its request: the same bytes
//! natively and in the browser.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod call;

pub use call::call;

use base16ct::lower::encode_string as hex;
use ed25519_dalek::Signer as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::core::ballot::{CastRequest, Marks, plaintext_len};
use crate::core::crypto::{
    Bytes, IKM_LEN, PassError, PassSecret, SealError, SealedBallot, seal_with_ikm,
};
use crate::core::log::{
    Checkpoint, ConsistencyProof, InclusionProof, NoteError, PassJson, ballot_message,
    cosignatures, leaf_hash, open_note, open_promise, short_of_quorum,
};
use crate::core::manifest::{Contest, Manifest, ManifestError, Revote};

/// The version tag of a ballot audit file (PROTOCOL.md §15).
pub const AUDIT_FORMAT: &str = "teller-ballot-audit-v1";

/// `POST /api/elections/{id}/ballots`: no cookie, no identity (docs/API.md).
/// Its fields are the ballot entry's ([`crate::core::log::BallotEntry`]) less `seq` and `prev`,
/// declared again rather than shared by `#[serde(flatten)]`, which cannot be combined with
/// `deny_unknown_fields`: each wire format refuses what PROTOCOL.md does not define.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CastBody {
    /// The contest.
    pub contest: String,
    /// The voting pass.
    pub pass: PassJson,
    /// HPKE encapsulated key.
    pub enc: Bytes<32>,
    /// HPKE ciphertext.
    pub ct: Bytes<0>,
    /// The voting key's signature over the ballot message.
    pub signature: Bytes<64>,
    /// Under re-voting policy `last`: the entry this ballot replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<i64>,
}

impl CastBody {
    /// The box's acceptance request for this body, and the previous ballot it is checked
    /// against: under re-voting policy `last` the ballot's own `replaces` claim (the sequencer
    /// checks it under its lock), under `forbidden` none.
    pub fn into_request(self, revote: Revote) -> (CastRequest, Option<i64>) {
        let previous = match revote {
            Revote::Last => self.replaces,
            Revote::Forbidden => None,
        };
        let request = CastRequest {
            contest: self.contest,
            pass: self.pass,
            enc: self.enc.array(),
            ct: self.ct.0,
            signature: self.signature.array(),
            replaces: self.replaces,
        };
        (request, previous)
    }
}

/// The receipt: where the ballot went, and the box's signed promise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The entry's sequence number.
    pub seq: i64,
    /// The entry's Merkle leaf hash.
    pub leaf: Bytes<32>,
    /// A short code to find the ballot in the published record.
    pub tracker: String,
    /// The signed promise of inclusion (a signed note, docs/PROTOCOL.md §10.4).
    pub promise: String,
}

/// The tracker of an entry: the first five bytes of its leaf hash, in two groups of hex.
pub fn tracker(leaf: &[u8; 32]) -> String {
    let hex: String = leaf[..5].iter().map(|b| format!("{b:02X}")).collect();
    format!("{}-{}", &hex[..5], &hex[5..])
}

/// A sealed ballot opened for checking instead of being cast (a Benaloh challenge,
/// PROTOCOL.md §15): the ephemeral key material is revealed, so anyone can re-seal the claimed
/// ranking and compare bytes. An audited sealing is never cast.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotAudit {
    /// [`AUDIT_FORMAT`].
    pub audit: String,
    /// The manifest's SHA-256, hex.
    pub election: String,
    /// The contest.
    pub contest: String,
    /// The voting key the ballot was sealed for (HPKE's `aad`).
    pub voting_key: Bytes<32>,
    /// The ranking: candidate indices in the manifest's order, first preference first.
    pub ranking: Vec<usize>,
    /// HPKE's ephemeral input keying material `ikmE` (RFC 9180 §7.1.3).
    pub ikm: Bytes<32>,
    /// The encapsulated key.
    pub enc: Bytes<32>,
    /// The ciphertext.
    pub ct: Bytes<0>,
}

/// Why the booth stopped. Each has a stable code the booth maps to a message for the member.
#[derive(Debug, thiserror::Error)]
pub enum BoothError {
    /// The request is not one the booth understands.
    #[error("the request does not parse: {0}")]
    Request(String),
    /// The manifest's SHA-256 is not the fingerprint the member was given.
    #[error(
        "the election definition does not match its fingerprint: expected {expected}, got {found}"
    )]
    Fingerprint {
        /// The fingerprint the member was given.
        expected: String,
        /// The SHA-256 of what the server sent.
        found: String,
    },
    /// The manifest does not parse or check.
    #[error("the election definition is not valid: {0}")]
    Manifest(#[from] ManifestError),
    /// A contest the manifest lacks.
    #[error("there is no contest {0:?} in this election")]
    UnknownContest(String),
    /// A pass could not be made or does not verify.
    #[error("the voting pass: {0}")]
    Pass(#[from] PassError),
    /// Sealing failed.
    #[error("sealing the ballot: {0}")]
    Seal(#[from] SealError),
    /// A ranking names a candidate twice or one the contest lacks.
    #[error("the ranking is not valid for this contest: {0}")]
    Ranking(String),
    /// An audit file does not check.
    #[error("the audit does not check: {0}")]
    Audit(String),
    /// A receipt or log proof does not check.
    #[error("{0}")]
    Receipt(String),
}

impl BoothError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Request(_) => "bad_request",
            Self::Fingerprint { .. } => "fingerprint",
            Self::Manifest(_) => "bad_manifest",
            Self::UnknownContest(_) => "unknown_contest",
            Self::Pass(_) => "bad_pass",
            Self::Seal(_) => "seal",
            Self::Ranking(_) => "bad_ranking",
            Self::Audit(_) => "bad_audit",
            Self::Receipt(_) => "bad_receipt",
        }
    }
}

/// Parses the manifest the server sent and checks its SHA-256 against `fingerprint` (hex, any
/// case, spaces and colons ignored, as printed on a notice).
pub fn open_manifest(bytes: &[u8], fingerprint: &str) -> Result<Manifest, BoothError> {
    let expected: String = fingerprint
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    let found = hex(&Sha256::digest(bytes));
    if expected != found {
        return Err(BoothError::Fingerprint { expected, found });
    }
    Ok(Manifest::parse(bytes)?)
}

fn contest<'m>(manifest: &'m Manifest, id: &str) -> Result<&'m Contest, BoothError> {
    manifest
        .contest(id)
        .ok_or_else(|| BoothError::UnknownContest(id.to_owned()))
}

/// A blinded pass request for one contest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassRequestJson {
    /// The contest (the label the issuer signs under).
    pub contest: String,
    /// The blinded message.
    pub blinded: Bytes<0>,
}

/// The pass requests for `contests`, each blinded under its contest's issuer key. Deterministic in
/// the secret: asking again sends the same bytes.
pub fn pass_requests(
    manifest: &Manifest,
    secret: &PassSecret,
    contests: &[String],
) -> Result<Vec<PassRequestJson>, BoothError> {
    let fingerprint = manifest.fingerprint();
    contests
        .iter()
        .map(|id| {
            let contest = contest(manifest, id)?;
            let request = secret.blind(contest.issuer_key(), &fingerprint, id)?;
            Ok(PassRequestJson {
                contest: id.clone(),
                blinded: Bytes(request.blinded_message().to_vec()),
            })
        })
        .collect()
}

/// Unblinds the issuer's answer for `contest` into a pass, checking it verifies under the
/// contest's issuer key.
pub fn finalize_pass(
    manifest: &Manifest,
    secret: &PassSecret,
    contest_id: &str,
    blind_signature: &[u8],
) -> Result<PassJson, BoothError> {
    let fingerprint = manifest.fingerprint();
    let contest = contest(manifest, contest_id)?;
    let key = contest.issuer_key();
    let pass = secret
        .blind(key, &fingerprint, contest_id)?
        .finalize(key, blind_signature)?;
    pass.verify(key, &fingerprint, contest_id)?;
    Ok(PassJson::from(&pass))
}

/// The ranking's validity for a contest of `candidates`: distinct indices, each in range.
fn check_ranking(ranking: &[usize], candidates: usize) -> Result<(), BoothError> {
    let mut seen = vec![false; candidates];
    for &c in ranking {
        match seen.get_mut(c) {
            None => {
                return Err(BoothError::Ranking(format!(
                    "candidate {c} is not one of the contest's {candidates}"
                )));
            }
            Some(true) => {
                return Err(BoothError::Ranking(format!(
                    "candidate {c} is ranked twice"
                )));
            }
            Some(seen) => *seen = true,
        }
    }
    Ok(())
}

/// A sealed, signed ballot ready to cast, and the audit that opens it instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// The body to `POST …/ballots`.
    pub cast: CastBody,
    /// The same sealing opened: give this out only if the ballot is not cast.
    pub audit: BallotAudit,
}

/// Seals `ranking` (candidate indices, first preference first; empty abstains) for `contest`
/// under `pass` with ephemeral key material `ikm`, and signs it with the secret's voting key.
pub fn seal_ballot(
    manifest: &Manifest,
    secret: &PassSecret,
    contest_id: &str,
    pass: &PassJson,
    ranking: &[usize],
    replaces: Option<i64>,
    ikm: &[u8; IKM_LEN],
) -> Result<Sealed, BoothError> {
    let fingerprint = manifest.fingerprint();
    let contest = contest(manifest, contest_id)?;
    let candidates = contest.candidate_count();
    check_ranking(ranking, candidates)?;
    let voting_key = secret.voting_key(&fingerprint, contest_id);
    if voting_key.verifying_key().to_bytes() != pass.key.array() {
        return Err(BoothError::Pass(PassError::BadVotingKey));
    }
    let plaintext = Marks::from_ranking(candidates, ranking).encode();
    let key = pass.key.array();
    let sealed = seal_with_ikm(
        &manifest.election_key(),
        &fingerprint,
        contest_id,
        &key,
        &plaintext,
        ikm,
    )?;
    let message = ballot_message(&fingerprint, contest_id, &key, &sealed, replaces);
    let signature = voting_key.sign(&message);
    Ok(Sealed {
        cast: CastBody {
            contest: contest_id.to_owned(),
            pass: pass.clone(),
            enc: sealed.enc.into(),
            ct: Bytes(sealed.ct.clone()),
            signature: signature.to_bytes().into(),
            replaces,
        },
        audit: BallotAudit {
            audit: AUDIT_FORMAT.to_owned(),
            election: manifest.fingerprint_hex(),
            contest: contest_id.to_owned(),
            voting_key: pass.key.clone(),
            ranking: ranking.to_vec(),
            ikm: (*ikm).into(),
            enc: sealed.enc.into(),
            ct: Bytes(sealed.ct),
        },
    })
}

/// What an audit shows: the contest and the names in the ranking the sealed ballot holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditResult {
    /// The contest.
    pub contest: String,
    /// The contest's title.
    pub title: String,
    /// The candidates' names, first preference first (empty: an abstention).
    pub ranking: Vec<String>,
}

/// Checks an audit file against the manifest: re-seals the claimed ranking with the revealed
/// key material and compares `enc` and `ct` byte for byte.
pub fn check_audit(manifest: &Manifest, audit: &BallotAudit) -> Result<AuditResult, BoothError> {
    if audit.audit != AUDIT_FORMAT {
        return Err(BoothError::Audit(format!(
            "not a {AUDIT_FORMAT} file (it says {:?})",
            audit.audit
        )));
    }
    if !audit
        .election
        .eq_ignore_ascii_case(&manifest.fingerprint_hex())
    {
        return Err(BoothError::Audit(format!(
            "it is for election {}, not this one ({})",
            audit.election,
            manifest.fingerprint_hex()
        )));
    }
    let contest = contest(manifest, &audit.contest)?;
    let candidates = contest.candidate_count();
    check_ranking(&audit.ranking, candidates)?;
    if audit.ct.0.len() != plaintext_len(candidates) + crate::core::crypto::TAG_LEN {
        return Err(BoothError::Audit(
            "the ciphertext is not this contest's length".into(),
        ));
    }
    let resealed = seal_with_ikm(
        &manifest.election_key(),
        &manifest.fingerprint(),
        contest.id(),
        &audit.voting_key.array(),
        &Marks::from_ranking(candidates, &audit.ranking).encode(),
        &audit.ikm.array(),
    )?;
    let claimed = SealedBallot {
        enc: audit.enc.array(),
        ct: audit.ct.0.clone(),
    };
    if resealed != claimed {
        return Err(BoothError::Audit(
            "the sealed ballot does not hold this ranking: the booth sealed something else".into(),
        ));
    }
    let names = &contest.draft().candidates;
    Ok(AuditResult {
        contest: contest.id().to_owned(),
        title: contest.draft().title.clone(),
        ranking: audit
            .ranking
            .iter()
            .map(|&c| names[c].name.clone())
            .collect(),
    })
}

/// A checkpoint of the ballot log, its signature and origin checked.
pub fn ballot_checkpoint(manifest: &Manifest, note: &[u8]) -> Result<Checkpoint, BoothError> {
    let (text, _) = open_note(note, std::slice::from_ref(manifest.ballot_log_key()))
        .map_err(|e| receipt_error("the checkpoint's signature does not verify", &e))?;
    let checkpoint = Checkpoint::parse(&text)
        .map_err(|e| BoothError::Receipt(format!("the checkpoint does not parse: {e}")))?;
    if checkpoint.origin() != manifest.ballot_log_origin() {
        return Err(BoothError::Receipt(
            "the checkpoint is of another log".into(),
        ));
    }
    Ok(checkpoint)
}

/// The witnesses of the manifest who cosigned the checkpoint `note`, in manifest order; a
/// cosignature by one of them that does not verify is an error (docs/PROTOCOL.md §16).
pub fn checkpoint_witnesses(manifest: &Manifest, note: &[u8]) -> Result<Vec<String>, BoothError> {
    let cosigned = cosignatures(note, manifest.witnesses())
        .map_err(|e| BoothError::Receipt(format!("a witness's cosignature is wrong: {e}")))?;
    Ok((manifest.witnesses().iter())
        .filter(|w| cosigned.iter().any(|c| c.witness == w.name()))
        .map(|w| w.name().to_owned())
        .collect())
}

/// A checkpoint of the ballot log as [`ballot_checkpoint`] checks it, and cosigned by the
/// manifest's quorum of witnesses: with the names of those who cosigned. A manifest that names
/// no witnesses needs none.
pub fn witnessed_checkpoint(
    manifest: &Manifest,
    note: &[u8],
) -> Result<(Checkpoint, Vec<String>), BoothError> {
    let checkpoint = ballot_checkpoint(manifest, note)?;
    let names = checkpoint_witnesses(manifest, note)?;
    if names.len() < manifest.witness_quorum() {
        return Err(BoothError::Receipt(format!(
            "the checkpoint of size {} is {}; without them this server could be showing you a log \
             that others do not see",
            checkpoint.size(),
            short_of_quorum(&names, manifest.witness_quorum()),
        )));
    }
    Ok((checkpoint, names))
}

fn receipt_error(what: &str, e: &NoteError) -> BoothError {
    BoothError::Receipt(format!("{what}: {e}"))
}

/// What a checked receipt shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptCheck {
    /// The ballot's entry.
    pub seq: i64,
    /// Its tracker.
    pub tracker: String,
    /// The size of the checkpoint it is under.
    pub size: u64,
    /// The checkpoint's signer.
    pub signer: String,
    /// The witnesses who cosigned the checkpoint, in manifest order (none if it names none).
    pub witnesses: Vec<String>,
}

/// Checks a receipt: the promise is signed by the ballot box for this log and names the receipt's
/// entry; `entry` (its bytes, from the log) has the promised leaf hash; `checkpoint` is signed and
/// covers it and carries the manifest's quorum of witness cosignatures; `proof` is its inclusion
/// proof in that checkpoint.
pub fn check_receipt(
    manifest: &Manifest,
    receipt: &Receipt,
    checkpoint: &[u8],
    entry: &[u8],
    proof: &[u8],
) -> Result<ReceiptCheck, BoothError> {
    let (seq, leaf) = open_promise(
        receipt.promise.as_bytes(),
        manifest.ballot_log_key(),
        &manifest.ballot_log_origin(),
    )
    .map_err(|e| receipt_error("the ballot box's promise does not verify", &e))?;
    if seq != receipt.seq || leaf.to_vec() != receipt.leaf.0 || tracker(&leaf) != receipt.tracker {
        return Err(BoothError::Receipt(
            "the signed promise names another entry than the receipt".into(),
        ));
    }
    let (checkpoint, witnesses) = witnessed_checkpoint(manifest, checkpoint)?;
    if checkpoint.size() <= seq as u64 {
        return Err(BoothError::Receipt(format!(
            "the log's latest checkpoint (size {}) does not yet cover entry {seq}",
            checkpoint.size()
        )));
    }
    if leaf_hash(entry) != leaf {
        return Err(BoothError::Receipt(format!(
            "entry {seq} in the log is not the ballot the box promised"
        )));
    }
    InclusionProof::decode(proof)
        .map_err(|e| BoothError::Receipt(format!("the inclusion proof does not parse: {e}")))?
        .verify(entry, &checkpoint)
        .map_err(|e| {
            BoothError::Receipt(format!(
                "entry {seq} is not in the signed checkpoint of size {}: {e}",
                checkpoint.size()
            ))
        })?;
    Ok(ReceiptCheck {
        seq,
        tracker: receipt.tracker.clone(),
        size: checkpoint.size(),
        signer: manifest.ballot_log_key().name().to_owned(),
        witnesses,
    })
}

/// Checks that the log behind `newer` extends the one behind `older` (both signed checkpoints of
/// the ballot log), by `proof`: a split view shows here.
pub fn check_consistency(
    manifest: &Manifest,
    older: &[u8],
    newer: &[u8],
    proof: &[u8],
) -> Result<(), BoothError> {
    let older = ballot_checkpoint(manifest, older)?;
    let newer = ballot_checkpoint(manifest, newer)?;
    if older.size() == newer.size() && older.root() == newer.root() {
        return Ok(());
    }
    ConsistencyProof::decode(proof)
        .map_err(|e| BoothError::Receipt(format!("the consistency proof does not parse: {e}")))?
        .verify(&older, &newer)
        .map_err(|e| {
            BoothError::Receipt(format!(
                "the log of size {} does not extend the one of size {} seen before: {e}",
                newer.size(),
                older.size()
            ))
        })
}
