//! The election manifest (docs/PROTOCOL.md §8): contests, candidates, counting rules, the
//! re-voting policy, the keys, and the trustees' share commitments, as canonical JSON. Its SHA-256
//! is the election's fingerprint, printed on every notice.
//!
//! Parse, don't validate: [`ManifestDraft`] is the wire shape; [`Manifest::new`] checks it once
//! (ids, seats, constraint, keys, trustees) and downstream code takes `&Manifest` without checking
//! again.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::core::count::{
    Attribute, Candidate, CandidateAttributes, Constraint, CountOptions, ElectionBuilder, Method,
};
use crate::core::crypto::{
    Bytes, CanonicalError, DecodeError, ElectionPublicKey, IssuerPublicKey, MAX_TRUSTEES, decode,
    encode,
};
use crate::core::log::NoteVerifier;
use crate::core::register::{Date, EligibilityRule};

/// The version this code writes and reads.
pub const MANIFEST_VERSION: i64 = 1;
/// Most candidates in one contest.
pub const MAX_CANDIDATES: usize = 1000;

/// The manifest as it is written: public fields, no checks. See docs/PROTOCOL.md §8.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestDraft {
    /// Always [`MANIFEST_VERSION`].
    pub version: i64,
    /// Short id, `[a-z0-9-]{1,64}`.
    pub election: String,
    /// Title shown to members.
    pub title: String,
    /// The voting window (RFC 3339 instants, opens before closes): the box issues passes and
    /// accepts ballots only inside it.
    pub window: Window,
    /// Whether a member may vote again.
    pub revote: Revote,
    /// Whether, and by whose decision, a member who lost the pass secret may get a new pass.
    pub reissue: Reissue,
    /// The contests, at least one.
    pub contests: Vec<ContestDraft>,
    /// The public keys.
    pub keys: Keys,
    /// The trustees: threshold and one share commitment per trustee.
    pub trustees: Trustees,
}

/// The voting window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// When voting opens (RFC 3339, e.g. `2026-11-01T09:00:00Z`).
    pub opens: String,
    /// When voting closes (RFC 3339); the first instant at which it is closed.
    pub closes: String,
}

/// The window as instants, in Unix seconds: voting is open for `opens <= t < closes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instants {
    /// When voting opens.
    pub opens: i64,
    /// When voting closes.
    pub closes: i64,
}

impl Instants {
    /// Whether `now` (Unix seconds) falls inside the window.
    pub fn contains(&self, now: i64) -> bool {
        self.opens <= now && now < self.closes
    }
}

/// Parses an RFC 3339 instant (`2026-11-01T09:00:00Z`, `2026-11-01T10:00:00+01:00`) to Unix
/// seconds; fractions of a second are dropped.
pub fn parse_instant(text: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2026-11-01T09:00:00Z ({e})"))
}

/// Writes Unix seconds as RFC 3339 in UTC (`2026-11-01T09:00:00Z`).
pub fn format_instant(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("@{unix}"))
}

/// The re-voting policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Revote {
    /// One ballot per voting pass and contest (usual in party ballots).
    Forbidden,
    /// A later ballot under the same voting key replaces the earlier one, naming it.
    Last,
}

/// The re-issue policy (docs/PROTOCOL.md §8): how many more passes a member may get for a
/// contest after the first, and who decides. Nothing links a member's passes to each other, so
/// each re-issue is a pass that may cast a second ballot: the record counts them, and that count
/// is the contest's worst-case duplicate exposure (docs/design/passes.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reissue {
    /// Who may start a re-issue.
    pub by: ReissueBy,
    /// Re-issues per member and contest, at most; 0 for none, at most [`MAX_REISSUES`].
    pub limit: i64,
}

impl Reissue {
    /// Whether a member who has had `reissued` re-issues for a contest may have one more;
    /// `granted` says whether an unused grant of the returning officer waits for them there (it
    /// matters only under [`ReissueBy::Officer`]). docs/PROTOCOL.md §8.
    pub fn allows(&self, reissued: i64, granted: bool) -> Result<(), ReissueRefused> {
        if self.limit == 0 {
            return Err(ReissueRefused::NoneAllowed);
        }
        if reissued >= self.limit {
            return Err(ReissueRefused::LimitReached { limit: self.limit });
        }
        if self.by == ReissueBy::Officer && !granted {
            return Err(ReissueRefused::NotGranted);
        }
        Ok(())
    }
}

/// Why a member may not have a new pass; the message is for the member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReissueRefused {
    /// The manifest's limit is 0.
    #[error("this election does not issue a second voting pass; only the first one can vote")]
    NoneAllowed,
    /// The member has had every re-issue the manifest allows.
    #[error(
        "you have already had the most new voting passes this election allows for this contest ({limit}); contact the returning officer"
    )]
    LimitReached {
        /// The manifest's limit.
        limit: i64,
    },
    /// Under `by: officer`, no grant waits.
    #[error(
        "in this election only the returning officer can let you have a new voting pass; contact the returning officer, then log in again"
    )]
    NotGranted,
}

/// The most re-issues per member and contest a manifest may allow.
pub const MAX_REISSUES: i64 = 9;

/// Who may start a re-issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReissueBy {
    /// The member, after a fresh login, by asking for a new pass.
    Member,
    /// Only the returning officer, who grants one re-issue at a time (`teller passes reissue`).
    Officer,
}

/// One contest as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestDraft {
    /// Short id, `[a-z0-9-]{1,32}`, unique in the election; also a file name in the record.
    pub id: String,
    /// Title shown on the ballot.
    pub title: String,
    /// Seats to fill.
    pub seats: i64,
    /// The counting rule's name (`scottish`, `meek`, `ers97`, `irv`, `block`).
    pub method: String,
    /// The candidates in ballot order, at least as many as seats.
    pub candidates: Vec<CandidateDraft>,
    /// A minimum of seats for candidates with an attribute, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<MinimumDraft>,
    /// Who may vote in the contest, decided from the register when it is frozen.
    pub eligibility: EligibilityDraft,
}

/// A contest's eligibility rule as the manifest publishes it (DESIGN.md, "Eligibility"). Every
/// member must be in good standing and have joined before `freeze`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityDraft {
    /// The freeze date, `YYYY-MM-DD`: members who joined on or after it may not vote.
    pub freeze: String,
    /// Members in arrears may not vote.
    pub exclude_arrears: bool,
    /// Only members younger than this on the freeze date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub under_age: Option<i64>,
    /// Only members in this region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Only members who declared a disability.
    pub disability: bool,
}

/// One candidate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateDraft {
    /// Name as printed.
    pub name: String,
    /// Gender as the register records it, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Slate, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slate: Option<String>,
    /// The candidate's statement, as the booth shows it, if the election publishes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

/// "At least `seats` seats go to candidates whose `attribute` is `value`."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinimumDraft {
    /// `gender` or `slate`.
    pub attribute: String,
    /// The value that puts a candidate in the group.
    pub value: String,
    /// The minimum number of seats.
    pub seats: i64,
}

/// The election's public keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The issuer's RSA keys (RFC 9474), DER SubjectPublicKeyInfo, one per contest and keyed by
    /// contest id: a blind signature cannot show which contest it was asked for, so only the key
    /// that made it can (docs/design/passes.md).
    pub issuers: BTreeMap<String, Bytes<0>>,
    /// The issuer's note key for issuance-log checkpoints (signed-note verifier key).
    pub issuance_log: String,
    /// The ballot box's note key for ballot-log checkpoints.
    pub ballot_log: String,
    /// The election key ballots are sealed to (X25519).
    pub election: Bytes<32>,
}

/// The trustees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trustees {
    /// Shares needed to rebuild the election key.
    pub threshold: i64,
    /// Commitment to each trustee's share, trustee 1 first (§11).
    pub commitments: Vec<Bytes<32>>,
}

/// Why a manifest is refused. Each names the field and the fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ManifestError {
    /// Not canonical JSON of the manifest's shape.
    #[error("the manifest is not canonical JSON of the expected shape: {0}")]
    Decode(#[from] DecodeError),
    /// Encoding failed (a number out of range).
    #[error(transparent)]
    Encode(#[from] CanonicalError),
    /// Another version.
    #[error("manifest version {0} is not supported (this is version {MANIFEST_VERSION})")]
    Version(i64),
    /// Canonical JSON, but not the manifest's one encoding (an optional member written as null).
    #[error("the manifest writes an optional member as null; leave it out instead")]
    NotTheEncoding,
    /// An id with characters outside `[a-z0-9-]` or of the wrong length.
    #[error("{what} id {id:?} must be 1 to {max} characters of a-z, 0-9 and -")]
    BadId {
        /// What kind of id.
        what: &'static str,
        /// The id.
        id: String,
        /// The longest allowed.
        max: usize,
    },
    /// No contests.
    #[error("the election has no contests")]
    NoContests,
    /// Two contests with one id.
    #[error("contest id {0:?} is used twice")]
    DuplicateContest(String),
    /// A contest problem.
    #[error("contest {contest:?}: {problem}")]
    Contest {
        /// The contest's id.
        contest: String,
        /// What is wrong.
        problem: String,
    },
    /// A key that does not parse.
    #[error("keys.{key}: {problem}")]
    BadKey {
        /// Which key.
        key: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// `keys.issuers` does not name exactly the contests.
    #[error(
        "keys.issuers must hold one key per contest: {missing:?} without a key, {unknown:?} not contests"
    )]
    IssuerKeysNotTheContests {
        /// Contests without an issuer key.
        missing: Vec<String>,
        /// Keys named for no contest.
        unknown: Vec<String>,
    },
    /// Two contests share one issuer key (or RSA modulus), so a pass for one would be good for
    /// the other.
    #[error(
        "keys.issuers: contests {first:?} and {second:?} share one key; each contest needs its own"
    )]
    SharedIssuerKey {
        /// The first contest.
        first: String,
        /// The contest reusing its key.
        second: String,
    },
    /// A name or title that could not be written to the record's line-based files and read
    /// back (a line break or another control character), or an empty name.
    #[error("{field}: {problem}")]
    BadText {
        /// Where: `title`, `contest nec: title`, `contest nec: candidate 3 name`, …
        field: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A window time that is not RFC 3339, or a window that closes before it opens.
    #[error("window: {0}")]
    BadWindow(String),
    /// A re-issue limit out of range.
    #[error(
        "reissue.limit {0} must be between 0 (no re-issues) and {MAX_REISSUES} re-issues per member and contest"
    )]
    BadReissueLimit(i64),
    /// Bad threshold or commitment count.
    #[error(
        "trustees: threshold {threshold} must be between 1 and the number of commitments ({trustees}), at most {MAX_TRUSTEES}"
    )]
    BadTrustees {
        /// t.
        threshold: i64,
        /// n.
        trustees: usize,
    },
}

/// A checked contest.
#[derive(Clone, Debug)]
pub struct Contest {
    draft: ContestDraft,
    issuer: IssuerPublicKey,
    method: Method,
    constraint: Option<Constraint>,
    eligibility: EligibilityRule,
}

impl Contest {
    /// The contest's id.
    pub fn id(&self) -> &str {
        &self.draft.id
    }

    /// The contest as written.
    pub fn draft(&self) -> &ContestDraft {
        &self.draft
    }

    /// Seats to fill.
    pub fn seats(&self) -> usize {
        self.draft.seats as usize
    }

    /// The issuer's blind-signature key for this contest's passes (docs/PROTOCOL.md §5).
    pub fn issuer_key(&self) -> &IssuerPublicKey {
        &self.issuer
    }

    /// Who may vote in the contest.
    pub fn eligibility(&self) -> &EligibilityRule {
        &self.eligibility
    }

    /// The counting rule.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Number of candidates.
    pub fn candidate_count(&self) -> usize {
        self.draft.candidates.len()
    }

    /// The candidates for the count, with gender and slate.
    pub fn count_candidates(&self) -> Vec<Candidate> {
        self.draft
            .candidates
            .iter()
            .map(|c| Candidate {
                name: c.name.clone(),
                nick: None,
                withdrawn: false,
                attributes: CandidateAttributes {
                    gender: c.gender.clone(),
                    slate: c.slate.clone(),
                },
            })
            .collect()
    }

    /// How to count this contest with the tie-break `seed`.
    pub fn count_options(&self, seed: &[u8]) -> CountOptions {
        CountOptions {
            method: self.method,
            seed: Some(seed.to_vec()),
            constraint: self.constraint.clone(),
        }
    }
}

/// A checked manifest with its canonical bytes and fingerprint.
#[derive(Clone, Debug)]
pub struct Manifest {
    draft: ManifestDraft,
    contests: Vec<Contest>,
    window: Instants,
    bytes: Vec<u8>,
    fingerprint: [u8; 32],
    issuance_log: NoteVerifier,
    ballot_log: NoteVerifier,
}

fn check_id(what: &'static str, id: &str, max: usize) -> Result<(), ManifestError> {
    let ok = !id.is_empty()
        && id.len() <= max
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ManifestError::BadId {
            what,
            id: id.to_owned(),
            max,
        })
    }
}

fn check_issuer_key(contest: &str, der: &[u8]) -> Result<IssuerPublicKey, ManifestError> {
    let bad = |problem: String| ManifestError::BadKey {
        key: "issuers",
        problem: format!("{contest}: {problem}"),
    };
    let issuer = IssuerPublicKey::from_der(der).map_err(|e| bad(e.to_string()))?;
    if issuer.components().n().len() * 8 != crate::core::crypto::ISSUER_KEY_BITS {
        return Err(bad(format!(
            "must be a {}-bit RSA key",
            crate::core::crypto::ISSUER_KEY_BITS
        )));
    }
    Ok(issuer)
}

/// Checks one contest; its id was checked with the others' (`Manifest::new`).
/// Every name and title is one line of text: the BLT file and the CSV reports put each on one
/// line, so a line break (or any other control character, which no printed name holds) would
/// make a record whose files cannot be read back. A statement may hold line breaks (it is only
/// shown), nothing else.
fn check_texts(draft: &ManifestDraft) -> Result<(), ManifestError> {
    let check = |field: String, text: &str, required: bool, newlines: bool| {
        let bad = |problem| {
            Err(ManifestError::BadText {
                field: field.clone(),
                problem,
            })
        };
        if required && text.trim().is_empty() {
            return bad("must not be empty");
        }
        let line_break = |c: char| matches!(c, '\u{2028}' | '\u{2029}');
        if text
            .chars()
            .any(|c| (c.is_control() && !(newlines && c == '\n')) || line_break(c))
        {
            return bad(if newlines {
                "must not hold control characters other than line breaks (\\n)"
            } else {
                "must be one line: no line breaks, tabs or other control characters"
            });
        }
        Ok(())
    };
    check("title".into(), &draft.title, true, false)?;
    for contest in &draft.contests {
        let id = &contest.id;
        check(format!("contest {id}: title"), &contest.title, true, false)?;
        for (i, candidate) in contest.candidates.iter().enumerate() {
            let at = |what: &str| format!("contest {id}: candidate {} {what}", i + 1);
            check(at("name"), &candidate.name, true, false)?;
            for (what, value) in [("gender", &candidate.gender), ("slate", &candidate.slate)] {
                if let Some(value) = value {
                    check(at(what), value, true, false)?;
                }
            }
            if let Some(statement) = &candidate.statement {
                check(at("statement"), statement, false, true)?;
            }
        }
    }
    Ok(())
}

fn check_contest(draft: &ContestDraft, issuer: IssuerPublicKey) -> Result<Contest, ManifestError> {
    let problem = |problem: String| ManifestError::Contest {
        contest: draft.id.clone(),
        problem,
    };
    let method: Method = draft.method.parse().map_err(|e| problem(format!("{e}")))?;
    let candidates = draft.candidates.len();
    if candidates == 0 || candidates > MAX_CANDIDATES {
        return Err(problem(format!(
            "needs 1 to {MAX_CANDIDATES} candidates, has {candidates}"
        )));
    }
    if draft.seats < 1 || draft.seats as usize > candidates {
        return Err(problem(format!(
            "seats {} must be between 1 and the number of candidates ({candidates})",
            draft.seats
        )));
    }
    if method == Method::Irv && draft.seats != 1 {
        return Err(problem("irv fills exactly one seat".to_owned()));
    }
    // The count refuses duplicate names; catch them here, where the fix is.
    ElectionBuilder::new(
        draft
            .candidates
            .iter()
            .map(|c| Candidate {
                name: c.name.clone(),
                nick: None,
                withdrawn: false,
                attributes: CandidateAttributes::default(),
            })
            .collect(),
    )
    .map_err(|e| problem(e.to_string()))?;
    let constraint = match &draft.minimum {
        None => None,
        Some(minimum) => {
            let attribute = match minimum.attribute.as_str() {
                "gender" => Attribute::Gender,
                "slate" => Attribute::Slate,
                other => {
                    return Err(problem(format!(
                        "minimum.attribute {other:?} must be gender or slate"
                    )));
                }
            };
            let in_group = draft
                .candidates
                .iter()
                .filter(|c| {
                    let value = match attribute {
                        Attribute::Gender => &c.gender,
                        Attribute::Slate => &c.slate,
                    };
                    value.as_deref() == Some(minimum.value.as_str())
                })
                .count();
            if minimum.seats < 1 || minimum.seats > draft.seats || minimum.seats as usize > in_group
            {
                return Err(problem(format!(
                    "minimum of {} seats for {}={} cannot be met: {} seats, {in_group} such candidates",
                    minimum.seats, minimum.attribute, minimum.value, draft.seats
                )));
            }
            Some(Constraint {
                attribute,
                value: minimum.value.clone(),
                minimum: minimum.seats as usize,
            })
        }
    };
    let rule = &draft.eligibility;
    let freeze = Date::parse(&rule.freeze).ok_or_else(|| {
        problem(format!(
            "eligibility.freeze {:?} is not a date YYYY-MM-DD",
            rule.freeze
        ))
    })?;
    let under_age = rule
        .under_age
        .map(|age| {
            u16::try_from(age)
                .ok()
                .filter(|age| (1..=150).contains(age))
                .ok_or_else(|| problem(format!("eligibility.under_age {age} is not an age")))
        })
        .transpose()?;
    if rule.region.as_ref().is_some_and(|r| r.trim().is_empty()) {
        return Err(problem(
            "eligibility.region is empty; leave it out for every region".into(),
        ));
    }
    Ok(Contest {
        draft: draft.clone(),
        issuer,
        method,
        constraint,
        eligibility: EligibilityRule {
            freeze,
            exclude_arrears: rule.exclude_arrears,
            under_age,
            region: rule.region.clone(),
            disability: rule.disability,
        },
    })
}

fn check_window(window: &Window) -> Result<Instants, ManifestError> {
    let opens = parse_instant(&window.opens)
        .map_err(|e| ManifestError::BadWindow(format!("opens: {e}")))?;
    let closes = parse_instant(&window.closes)
        .map_err(|e| ManifestError::BadWindow(format!("closes: {e}")))?;
    if opens >= closes {
        return Err(ManifestError::BadWindow(format!(
            "it closes ({}) before it opens ({})",
            window.closes, window.opens
        )));
    }
    Ok(Instants { opens, closes })
}

impl Manifest {
    /// Checks `draft` and computes its canonical bytes and fingerprint.
    pub fn new(draft: ManifestDraft) -> Result<Self, ManifestError> {
        if draft.version != MANIFEST_VERSION {
            return Err(ManifestError::Version(draft.version));
        }
        check_id("election", &draft.election, 64)?;
        check_texts(&draft)?;
        let window = check_window(&draft.window)?;
        if !(0..=MAX_REISSUES).contains(&draft.reissue.limit) {
            return Err(ManifestError::BadReissueLimit(draft.reissue.limit));
        }
        if draft.contests.is_empty() {
            return Err(ManifestError::NoContests);
        }
        for (i, contest) in draft.contests.iter().enumerate() {
            check_id("contest", &contest.id, 32)?;
            if draft.contests[..i].iter().any(|c| c.id == contest.id) {
                return Err(ManifestError::DuplicateContest(contest.id.clone()));
            }
        }
        let issuers = &draft.keys.issuers;
        let missing: Vec<String> = (draft.contests.iter())
            .filter(|c| !issuers.contains_key(&c.id))
            .map(|c| c.id.clone())
            .collect();
        let unknown: Vec<String> = (issuers.keys())
            .filter(|id| !draft.contests.iter().any(|c| &c.id == *id))
            .cloned()
            .collect();
        if !missing.is_empty() || !unknown.is_empty() {
            return Err(ManifestError::IssuerKeysNotTheContests { missing, unknown });
        }
        let mut contests = Vec::with_capacity(draft.contests.len());
        // One key per contest is the whole point: a key shared by two contests (or a modulus,
        // under another exponent) would sign a pass good for either.
        let mut moduli: BTreeMap<Vec<u8>, &str> = BTreeMap::new();
        for contest in &draft.contests {
            let der = issuers.get(&contest.id).map_or(&[][..], |k| &k.0);
            let issuer = check_issuer_key(&contest.id, der)?;
            if let Some(first) = moduli.insert(issuer.components().n(), &contest.id) {
                return Err(ManifestError::SharedIssuerKey {
                    first: first.to_owned(),
                    second: contest.id.clone(),
                });
            }
            contests.push(check_contest(contest, issuer)?);
        }
        let bad_key = |key, problem: String| ManifestError::BadKey { key, problem };
        let issuance_log = NoteVerifier::parse(&draft.keys.issuance_log)
            .map_err(|e| bad_key("issuance_log", e.to_string()))?;
        let ballot_log = NoteVerifier::parse(&draft.keys.ballot_log)
            .map_err(|e| bad_key("ballot_log", e.to_string()))?;
        let trustees = draft.trustees.commitments.len();
        if draft.trustees.threshold < 1
            || draft.trustees.threshold as usize > trustees
            || trustees > usize::from(MAX_TRUSTEES)
        {
            return Err(ManifestError::BadTrustees {
                threshold: draft.trustees.threshold,
                trustees,
            });
        }
        let bytes = encode(&draft)?;
        let fingerprint = Sha256::digest(&bytes).into();
        Ok(Self {
            draft,
            contests,
            window,
            bytes,
            fingerprint,
            issuance_log,
            ballot_log,
        })
    }

    /// Parses and checks canonical manifest bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        let manifest = Self::new(decode(bytes)?)?;
        // Canonical JSON can still spell one manifest two ways (`"minimum":null` or left out);
        // only the one this code writes is accepted, so the fingerprint is SHA-256 of the file.
        if manifest.bytes != bytes {
            return Err(ManifestError::NotTheEncoding);
        }
        Ok(manifest)
    }

    /// The manifest as written.
    pub fn draft(&self) -> &ManifestDraft {
        &self.draft
    }

    /// The canonical bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// SHA-256 of the canonical bytes: the election's fingerprint.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The fingerprint in lower-case hex, as printed on notices.
    pub fn fingerprint_hex(&self) -> String {
        self.fingerprint
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The contests in manifest order.
    pub fn contests(&self) -> &[Contest] {
        &self.contests
    }

    /// The contest with this id.
    pub fn contest(&self, id: &str) -> Option<&Contest> {
        self.contests.iter().find(|c| c.id() == id)
    }

    /// The voting window as instants.
    pub fn window(&self) -> Instants {
        self.window
    }

    /// The re-voting policy.
    pub fn revote(&self) -> Revote {
        self.draft.revote
    }

    /// The re-issue policy.
    pub fn reissue(&self) -> Reissue {
        self.draft.reissue
    }

    /// The issuance log's checkpoint key.
    pub fn issuance_log_key(&self) -> &NoteVerifier {
        &self.issuance_log
    }

    /// The ballot log's checkpoint key.
    pub fn ballot_log_key(&self) -> &NoteVerifier {
        &self.ballot_log
    }

    /// The election key ballots are sealed to.
    pub fn election_key(&self) -> ElectionPublicKey {
        ElectionPublicKey::from_bytes(self.draft.keys.election.array())
    }

    /// Shares needed for the key reveal.
    pub fn threshold(&self) -> usize {
        self.draft.trustees.threshold as usize
    }

    /// The trustees' share commitments, trustee 1 first.
    pub fn share_commitments(&self) -> Vec<[u8; 32]> {
        self.draft
            .trustees
            .commitments
            .iter()
            .map(Bytes::array)
            .collect()
    }

    /// Origin line of the ballot log's checkpoints.
    pub fn ballot_log_origin(&self) -> String {
        format!("teller/ballots/{}", self.fingerprint_hex())
    }

    /// Origin line of the issuance log's checkpoints.
    pub fn issuance_log_origin(&self) -> String {
        format!("teller/issuance/{}", self.fingerprint_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The manifest of the committed fixture record (tests/data/record).
    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/record/manifest.json"
        ))
        .expect("the fixture manifest")
    }

    fn edited(edit: impl FnOnce(&mut ManifestDraft)) -> Result<Manifest, ManifestError> {
        let mut draft: ManifestDraft = decode(&fixture()).expect("the fixture decodes");
        edit(&mut draft);
        Manifest::new(draft)
    }

    #[test]
    fn the_fixture_parses_and_its_fingerprint_is_the_sha256_of_the_file() {
        let manifest = Manifest::parse(&fixture()).unwrap();
        let digest: [u8; 32] = Sha256::digest(fixture()).into();
        assert_eq!(manifest.fingerprint(), digest);
        assert_eq!(
            manifest.contest("youth").unwrap().eligibility().under_age,
            Some(27)
        );
    }

    #[test]
    fn refuses_names_and_titles_that_are_not_one_line() {
        for (edit, field) in [
            (
                Box::new(|d: &mut ManifestDraft| d.title = "NEC\n2026".into())
                    as Box<dyn FnOnce(&mut ManifestDraft)>,
                "title",
            ),
            (
                Box::new(|d: &mut ManifestDraft| d.contests[0].title = "Chair\r".into()),
                "title",
            ),
            (
                Box::new(|d: &mut ManifestDraft| {
                    d.contests[0].candidates[2].name = "Ada\nBo".into()
                }),
                "candidate 3 name",
            ),
            (
                Box::new(|d: &mut ManifestDraft| {
                    d.contests[0].candidates[0].name = "Ada\u{2028}".into()
                }),
                "candidate 1 name",
            ),
            (
                Box::new(|d: &mut ManifestDraft| {
                    d.contests[0].candidates[0].slate = Some("L\teft".into())
                }),
                "candidate 1 slate",
            ),
            (
                Box::new(|d: &mut ManifestDraft| d.contests[0].candidates[1].name = " ".into()),
                "candidate 2 name",
            ),
            (
                Box::new(|d: &mut ManifestDraft| {
                    d.contests[0].candidates[1].statement = Some("A\u{7}".into())
                }),
                "candidate 2 statement",
            ),
        ] {
            match edited(edit) {
                Err(ManifestError::BadText { field: got, .. }) => {
                    assert!(got.ends_with(field), "{got} should name {field}")
                }
                other => panic!("{field}: expected BadText, got {other:?}"),
            }
        }
        // A statement may have paragraphs; names may hold quotes and accents.
        edited(|d| {
            d.contests[0].candidates[0].statement = Some("One.\n\nTwo.".into());
            d.contests[0].candidates[0].name = "Siân \"Ada\" O'Brien".into();
        })
        .unwrap();
    }

    #[test]
    fn the_window_is_two_rfc3339_instants_in_order() {
        let window = |opens: &str, closes: &str| {
            edited(|d| {
                d.window.opens = opens.into();
                d.window.closes = closes.into();
            })
            .map(|m| m.window())
        };
        let parsed = window("2026-11-01T09:00:00Z", "2026-11-21T18:00:00+01:00").unwrap();
        assert_eq!(parsed.opens, 1_793_523_600);
        assert_eq!(parsed.closes - parsed.opens, 20 * 86_400 + 8 * 3_600);
        assert!(parsed.contains(parsed.opens) && !parsed.contains(parsed.closes));
        assert_eq!(format_instant(parsed.opens), "2026-11-01T09:00:00Z");
        for (opens, closes, says) in [
            (
                "1 November 2026",
                "2026-11-21T17:00:00Z",
                "opens: \"1 November 2026\" is not an RFC 3339",
            ),
            (
                "2026-11-01T09:00:00Z",
                "2026-11-21",
                "closes: \"2026-11-21\" is not an RFC 3339",
            ),
            (
                "2026-11-01T09:00:00Z",
                "2026-11-01T09:00:00Z",
                "closes (2026-11-01T09:00:00Z) before",
            ),
            (
                "2026-11-21T17:00:00Z",
                "2026-11-01T09:00:00Z",
                "closes (2026-11-01T09:00:00Z) before",
            ),
        ] {
            let refused = window(opens, closes).unwrap_err().to_string();
            assert!(
                refused.starts_with("window: ") && refused.contains(says),
                "{refused}"
            );
        }
    }

    #[test]
    fn refuses_a_second_spelling_of_the_same_manifest() {
        let text = String::from_utf8(fixture()).unwrap();
        // `"minimum":null` is canonical JSON and decodes to the same draft, but is not the
        // manifest's encoding, so its SHA-256 would not be the fingerprint.
        let spelled = text.replacen(
            "\"method\":\"irv\"",
            "\"method\":\"irv\",\"minimum\":null",
            1,
        );
        assert_eq!(
            Manifest::parse(spelled.as_bytes()).unwrap_err(),
            ManifestError::NotTheEncoding
        );
    }

    #[test]
    fn refuses_each_kind_of_bad_contest_with_its_reason() {
        let contest_problem = |r: Result<Manifest, ManifestError>| match r {
            Err(ManifestError::Contest { problem, .. }) => problem,
            other => panic!("expected a contest problem, got {other:?}"),
        };
        let p = contest_problem(edited(|d| d.contests[0].seats = 19));
        assert!(p.contains("seats 19"), "{p}");
        let p = contest_problem(edited(|d| d.contests[1].seats = 2));
        assert!(p.contains("irv fills exactly one seat"), "{p}");
        let p = contest_problem(edited(|d| d.contests[0].method = "borda".into()));
        assert!(p.contains("borda"), "{p}");
        let p = contest_problem(edited(|d| {
            d.contests[0].minimum.as_mut().unwrap().seats = 10;
        }));
        assert!(p.contains("cannot be met"), "{p}");
        let p = contest_problem(edited(|d| {
            d.contests[0].eligibility.freeze = "2026-02-30".into()
        }));
        assert!(p.contains("eligibility.freeze"), "{p}");
        let p = contest_problem(edited(|d| d.contests[1].eligibility.under_age = Some(0)));
        assert!(p.contains("under_age"), "{p}");
        let p = contest_problem(edited(|d| {
            let name = d.contests[0].candidates[0].name.clone();
            d.contests[0].candidates[1].name = name;
        }));
        assert!(!p.is_empty());
    }

    /// Issue 9: with one key for every contest, a member eligible for one contest could blind a
    /// pass message for another and the issuer, who cannot see it, would sign it.
    #[test]
    fn refuses_issuer_keys_that_are_not_one_per_contest() {
        let shared = edited(|d| {
            let nec = d.keys.issuers["nec"].clone();
            d.keys.issuers.insert("youth".into(), nec);
        });
        assert!(
            matches!(&shared, Err(ManifestError::SharedIssuerKey { first, second })
                if [first.as_str(), second.as_str()] == ["nec", "youth"]),
            "{shared:?}"
        );
        let missing = edited(|d| {
            d.keys.issuers.remove("wales");
        });
        assert_eq!(
            missing.unwrap_err(),
            ManifestError::IssuerKeysNotTheContests {
                missing: vec!["wales".into()],
                unknown: vec![]
            }
        );
        let unknown = edited(|d| {
            let nec = d.keys.issuers["nec"].clone();
            d.keys.issuers.insert("treasurer".into(), nec);
        });
        assert_eq!(
            unknown.unwrap_err(),
            ManifestError::IssuerKeysNotTheContests {
                missing: vec![],
                unknown: vec!["treasurer".into()]
            }
        );
    }

    #[test]
    fn a_reissue_is_allowed_only_under_the_limit_and_for_officer_with_a_grant() {
        let member = |limit| Reissue {
            by: ReissueBy::Member,
            limit,
        };
        let officer = |limit| Reissue {
            by: ReissueBy::Officer,
            limit,
        };
        assert_eq!(member(0).allows(0, true), Err(ReissueRefused::NoneAllowed));
        assert_eq!(member(1).allows(0, false), Ok(()));
        assert_eq!(
            member(1).allows(1, false),
            Err(ReissueRefused::LimitReached { limit: 1 })
        );
        assert_eq!(officer(2).allows(0, false), Err(ReissueRefused::NotGranted));
        assert_eq!(officer(2).allows(1, true), Ok(()));
        assert_eq!(
            officer(2).allows(2, true),
            Err(ReissueRefused::LimitReached { limit: 2 })
        );
    }

    #[test]
    fn refuses_bad_ids_keys_and_trustees() {
        assert!(matches!(
            edited(|d| d.contests[1].id = "nec".into()),
            Err(ManifestError::DuplicateContest(_))
        ));
        assert!(matches!(
            edited(|d| d.contests[0].id = "NEC".into()),
            Err(ManifestError::BadId { .. })
        ));
        assert!(matches!(
            edited(|d| d.trustees.threshold = 4),
            Err(ManifestError::BadTrustees { .. })
        ));
        assert!(matches!(
            edited(|d| d.keys.issuers.get_mut("nec").unwrap().0.truncate(100)),
            Err(ManifestError::BadKey { key: "issuers", .. })
        ));
        assert!(matches!(
            edited(|d| d.keys.ballot_log = "not a key".into()),
            Err(ManifestError::BadKey {
                key: "ballot_log",
                ..
            })
        ));
        assert!(matches!(
            edited(|d| d.reissue.limit = 10),
            Err(ManifestError::BadReissueLimit(10))
        ));
        assert!(matches!(
            edited(|d| d.reissue.limit = -1),
            Err(ManifestError::BadReissueLimit(-1))
        ));
        assert!(edited(|d| d.reissue.limit = 0).is_ok());
        assert!(edited(|d| d.reissue.limit = MAX_REISSUES).is_ok());
        assert!(matches!(
            edited(|d| d.version = 2),
            Err(ManifestError::Version(2))
        ));
        assert!(matches!(
            edited(|d| d.contests.clear()),
            Err(ManifestError::NoContests)
        ));
    }
}
