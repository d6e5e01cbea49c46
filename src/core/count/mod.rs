//! The STV engine: ballot files in and out, the counting rules, and the round-by-round report.
//!
//! A count is a pure function: [`count`] takes a validated [`Election`] and [`CountOptions`] and
//! returns a [`Report`]. It reads no clock, file or environment and prints nothing; the renderers
//! in [`render`] turn the report into text, JSON, CSV or HTML without recomputing anything.
//! The rules are specified in docs/COUNTING.md.

mod attributes;
mod blt;
mod constraint;
mod election;
mod fixed;
mod generate;
mod method;
pub mod render;
mod report;
mod tie;

pub use attributes::{AttributesError, apply_attributes};
pub use blt::{BltError, BltErrorKind, ParsedBlt, parse_blt, write_blt};
pub use constraint::{Attribute, Constraint, ConstraintParseError, ConstraintState};
pub use election::{
    Ballot, BallotValidity, Candidate, CandidateAttributes, CandidateIndex, Election,
    ElectionBuilder, ElectionError, MAX_CANDIDATES, MAX_TOTAL_WEIGHT, Preference,
};
pub use fixed::{Fixed, format_units, parse_units};
pub use generate::{
    GeneratorError, GeneratorOptions, MAX_GENERATED_CANDIDATES, SplitMix64, SyntheticElection,
    Xoshiro256StarStar, generate,
};
pub use method::{Method, UnknownMethod};
pub use report::{
    Action, BallotTotals, CandidateStatus, Decision, LotSource, Outcome, Reason, Report,
    ReportCandidate, Round, TieBasis, TieDecision, TiePurpose,
};
pub use tie::{LOT_TAG, Lookback, Prefer, TieBreaker, lot_key};

/// Why a count could not be completed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CountError {
    /// A tie survived the rule's look-back and there is no source of lot.
    #[error(
        "candidates {tied:?} are tied and the rule falls back to lot; give a seed (--seed HEX) to draw lots"
    )]
    LotNeeded {
        /// The tied candidates.
        tied: Vec<CandidateIndex>,
    },
    /// The constraint cannot be met by any result.
    #[error(
        "the constraint needs {minimum} seats for its group, but there are {seats} seats and {standing} group candidates standing"
    )]
    ConstraintUnsatisfiable {
        /// Seats the constraint requires.
        minimum: usize,
        /// Seats in the election.
        seats: usize,
        /// Group members standing.
        standing: usize,
    },
    /// The method fills one seat only.
    #[error("{method} fills a single seat, but the election has {seats} seats")]
    SingleSeatOnly {
        /// The method.
        method: Method,
        /// Seats asked for.
        seats: usize,
    },
    /// The method does not implement the constraint.
    #[error("{method} cannot apply a minimum-representation constraint")]
    ConstraintNotSupported {
        /// The method.
        method: Method,
    },
    /// A rule asked to choose among no candidates: an internal invariant failed. Never expected;
    /// please report the ballot file.
    #[error(
        "the count reached a decision with no candidate to choose from (a bug; please report the ballot file)"
    )]
    NoCandidateToChoose,
    /// No valid ballot at all.
    #[error("there are no valid ballots to count")]
    NoValidBallots,
}

/// What to count and how.
#[derive(Clone, Debug)]
pub struct CountOptions {
    /// The counting rule.
    pub method: Method,
    /// Seed for ties that reach lot (`--seed`); without it, a `[tie]` line or an error.
    pub seed: Option<Vec<u8>>,
    /// A minimum-representation constraint.
    pub constraint: Option<Constraint>,
}

/// Everything a method needs, checked once.
pub(crate) struct CountInput<'a> {
    pub election: &'a Election,
    pub ties: TieBreaker,
    pub constraint: Option<ConstraintState>,
    pub totals: BallotTotals,
}

/// A method's result: its rounds and the elected candidates in order of election.
pub(crate) struct MethodResult {
    pub rounds: Vec<Round>,
    pub elected: Vec<CandidateIndex>,
}

/// Counts `election` under `options`.
pub fn count(election: &Election, options: &CountOptions) -> Result<Report, CountError> {
    let lot = match (&options.seed, election.tie_order()) {
        (Some(seed), _) => LotSource::Seed(seed.clone()),
        (None, Some(order)) => LotSource::TieLine(order.to_vec()),
        (None, None) => LotSource::None,
    };
    let constraint = options
        .constraint
        .as_ref()
        .map(|c| ConstraintState::new(c, election))
        .transpose()?;
    let totals = ballot_totals(election);
    if totals.valid == 0 {
        return Err(CountError::NoValidBallots);
    }
    let input = CountInput {
        election,
        ties: TieBreaker::new(options.method.lookback(), lot.clone()),
        constraint,
        totals,
    };
    let result = match options.method {
        Method::Scottish => method::scottish::count(&input)?,
        Method::Meek => method::meek::count(&input)?,
        Method::Ers97 => method::ers97::count(&input)?,
        Method::Irv => method::irv::count(&input)?,
        Method::Block => method::block::count(&input)?,
    };
    Ok(Report {
        title: election.title().to_owned(),
        method: options.method,
        decimals: options.method.decimals(),
        seats: election.seats(),
        candidates: election
            .candidates()
            .iter()
            .map(|c| ReportCandidate {
                name: c.name.clone(),
                withdrawn: c.withdrawn,
                gender: c.attributes.gender.clone(),
                slate: c.attributes.slate.clone(),
            })
            .collect(),
        ballots: totals,
        constraint: options.constraint.clone(),
        lot,
        rounds: result.rounds,
        elected: result.elected,
    })
}

fn ballot_totals(election: &Election) -> BallotTotals {
    let mut totals = BallotTotals::default();
    for ballot in election.ballots() {
        totals.total += ballot.weight();
        match ballot.validity() {
            BallotValidity::Valid => totals.valid += ballot.weight(),
            BallotValidity::Blank => totals.blank += ballot.weight(),
            BallotValidity::NoUniqueFirstPreference => totals.invalid += ballot.weight(),
        }
    }
    totals
}

/// The initial status of every candidate.
pub(crate) fn initial_status(election: &Election) -> Vec<CandidateStatus> {
    election
        .candidates()
        .iter()
        .map(|c| {
            if c.withdrawn {
                CandidateStatus::Withdrawn
            } else {
                CandidateStatus::Hopeful
            }
        })
        .collect()
}
