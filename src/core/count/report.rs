//! The canonical result of a count: one value that every renderer (text, JSON, CSV, HTML) reads.
//!
//! A method fills a [`Report`] round by round as it counts; renderers never recompute anything
//! (docs/COUNTING.md, "Reports"). Vote values are integers of 10^-`decimals` units, the rule's own
//! precision, so the report carries exactly the numbers the rule computed.

use super::constraint::Constraint;
use super::election::CandidateIndex;
use super::method::Method;

/// The result of a count, round by round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The election's title from the ballot file.
    pub title: String,
    /// The counting rule.
    pub method: Method,
    /// Decimal places of every vote value in this report.
    pub decimals: u32,
    /// Seats filled.
    pub seats: usize,
    /// Every candidate, in ballot-file order.
    pub candidates: Vec<ReportCandidate>,
    /// How many ballots were cast, counted and set aside.
    pub ballots: BallotTotals,
    /// The minimum-representation constraint, if the count had one.
    pub constraint: Option<Constraint>,
    /// Where ties that reach lot are decided.
    pub lot: LotSource,
    /// The rounds (stages) of the count, in order.
    pub rounds: Vec<Round>,
    /// The elected candidates in order of election.
    pub elected: Vec<CandidateIndex>,
}

/// A candidate as the report shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportCandidate {
    /// The name exactly as in the ballot file.
    pub name: String,
    /// Withdrawn before the count.
    pub withdrawn: bool,
    /// Gender, when known.
    pub gender: Option<String>,
    /// Slate, when known.
    pub slate: Option<String>,
}

/// Ballot totals (all are numbers of ballots, i.e. summed weights).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BallotTotals {
    /// Every ballot in the file.
    pub total: u64,
    /// Ballots with a unique first preference: these are counted.
    pub valid: u64,
    /// Ballots ranking nobody still standing.
    pub blank: u64,
    /// Ballots with no unique first preference (equal first rankings).
    pub invalid: u64,
}

/// Where lot comes from when a tie survives the rule's look-back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LotSource {
    /// A permutation seeded from these bytes (`--seed`; later the final checkpoint's root hash).
    Seed(Vec<u8>),
    /// The `[tie]` order given in the ballot file.
    TieLine(Vec<CandidateIndex>),
    /// No source: a count that needs lot fails and says so.
    None,
}

/// A candidate's state at the end of a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateStatus {
    /// Still in the count.
    Hopeful,
    /// Elected.
    Elected,
    /// Excluded (defeated).
    Excluded,
    /// Withdrawn before the count.
    Withdrawn,
}

/// What a round did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The first round: ballots credited to their first preferences.
    FirstPreferences,
    /// A surplus transferred from an elected candidate.
    Surplus {
        /// Whose surplus.
        candidate: CandidateIndex,
        /// The transfer value applied (units at the report's scale), where the rule has one.
        transfer_value: Option<i64>,
    },
    /// Candidates excluded and (some of) their ballots transferred.
    Exclusion {
        /// Who was excluded.
        candidates: Vec<CandidateIndex>,
        /// For rules that transfer an exclusion in parts by value (ERS97), this part's value.
        transfer_value: Option<i64>,
    },
    /// A Meek round: keep factors iterated to convergence after the last change of state.
    MeekRound {
        /// Iterations of the keep-factor loop in this round.
        iterations: u32,
    },
    /// A single-pass count (block vote).
    Count,
}

/// A decision about one candidate in a round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Who.
    pub candidate: CandidateIndex,
    /// Elected or excluded.
    pub outcome: Outcome,
    /// Why.
    pub reason: Reason,
}

/// The outcome of a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Elected.
    Elected,
    /// Excluded.
    Excluded,
}

/// Why a candidate was elected or excluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Votes reached the quota.
    ReachedQuota,
    /// Votes reached the total active vote ÷ (places not yet filled + 1), which was below the
    /// quota (ERS97 5.1.7(b), 5.3.13(b), 5.4.9(b)).
    ReachedActiveVoteShare,
    /// The continuing candidates were exactly as many as the seats left.
    FilledRemainingSeats,
    /// Fewest votes of the continuing candidates.
    FewestVotes,
    /// Excluded together with others whose combined votes could not reach the next candidate.
    BulkExclusion,
    /// Most votes (block vote and the last candidate standing in IRV).
    MostVotes,
    /// More than half of the continuing votes (IRV).
    Majority,
    /// Fewest votes among the candidates the constraint does not guard: these guarded group
    /// members had as few or fewer votes but could not be excluded.
    ConstraintGuard {
        /// The guarded candidates passed over.
        passed_over: Vec<CandidateIndex>,
    },
    /// Excluded because the constraint needs every remaining seat for its group.
    ConstraintDoomed {
        /// Seats the group still needs.
        needed: usize,
        /// Seats left to fill.
        seats_left: usize,
    },
    /// Skipped for election (excluded) because electing them would leave too few seats for the group.
    ConstraintBlocked {
        /// Seats the group still needs.
        needed: usize,
        /// Seats left to fill.
        seats_left: usize,
    },
}

/// What a tie was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TiePurpose {
    /// Which of several lowest candidates to exclude.
    Exclusion,
    /// Which equal surplus to transfer first.
    SurplusOrder,
    /// Which of several candidates to elect (or rank first among those elected together).
    Election,
}

/// How a tie was broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TieBasis {
    /// By the tied candidates' votes at this earlier round (1-based), as the rule prescribes.
    Round(usize),
    /// By lot: the tied candidates in the order the lot drew them (first drawn is chosen).
    Lot(Vec<CandidateIndex>),
}

/// A tie and its resolution; every tie appears in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TieDecision {
    /// What was being decided.
    pub purpose: TiePurpose,
    /// The tied candidates.
    pub tied: Vec<CandidateIndex>,
    /// The candidate chosen (excluded, transferred first, or elected).
    pub chosen: CandidateIndex,
    /// How.
    pub basis: TieBasis,
}

/// One round (stage) of the count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    /// 1-based round number.
    pub number: usize,
    /// What this round did.
    pub action: Action,
    /// The quota in force at the end of the round.
    pub quota: i64,
    /// Each candidate's votes at the end of the round.
    pub votes: Vec<i64>,
    /// Each candidate's change in votes during the round.
    pub transfers: Vec<i64>,
    /// Non-transferable (exhausted) votes so far.
    pub exhausted: i64,
    /// Votes lost (positive) or gained (negative) to rounding so far.
    pub rounding: i64,
    /// Each candidate's state at the end of the round.
    pub status: Vec<CandidateStatus>,
    /// Elections and exclusions decided in this round, in order.
    pub decisions: Vec<Decision>,
    /// Ties broken in this round.
    pub ties: Vec<TieDecision>,
    /// Meek keep factors at the end of the round (units of 10^-`decimals`); empty for other rules.
    pub keep_factors: Vec<i64>,
}

impl Round {
    /// The total of every candidate's votes, exhausted votes and rounding loss: equals the valid
    /// ballots in every round (votes are conserved).
    pub fn accounted(&self) -> i64 {
        self.votes.iter().sum::<i64>() + self.exhausted + self.rounding
    }
}

impl Report {
    /// The report with every value rounded to `places` decimal places (half away from zero), for
    /// reading; unchanged when it has no more places than that. Each value is rounded on its own,
    /// so a rounded column may not add up in its last place: the exact report does.
    pub fn rounded(&self, places: u32) -> Report {
        if places >= self.decimals {
            return self.clone();
        }
        let step = 10i64.pow(self.decimals - places);
        let round = |units: i64| {
            let half = step / 2;
            if units >= 0 {
                (units + half) / step
            } else {
                -((-units + half) / step)
            }
        };
        let mut rounded = self.clone();
        rounded.decimals = places;
        for r in &mut rounded.rounds {
            r.quota = round(r.quota);
            r.exhausted = round(r.exhausted);
            r.rounding = round(r.rounding);
            for list in [&mut r.votes, &mut r.transfers, &mut r.keep_factors] {
                for units in list.iter_mut() {
                    *units = round(*units);
                }
            }
        }
        rounded
    }

    /// The elected candidates' names in order of election.
    pub fn elected_names(&self) -> Vec<&str> {
        self.elected
            .iter()
            .map(|c| self.candidates[c.get()].name.as_str())
            .collect()
    }

    /// A candidate's name.
    pub fn name(&self, candidate: CandidateIndex) -> &str {
        &self.candidates[candidate.get()].name
    }
}
