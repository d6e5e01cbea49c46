//! What the STV rules keep the same way, whatever moves the votes: each candidate's status, who
//! is elected and when, the decisions and tie-breaks of the stage in progress, the stages
//! recorded so far, and the choices made from them (the lowest candidate under the constraint's
//! guard, filling the last seats). Scottish STV, ERS97 and IRV hold one inside
//! [`super::stages::Stages`]; Meek holds one beside its keep factors.

use super::super::fixed::Fixed;
use super::super::report::{
    Action, CandidateStatus, Decision, Outcome, Reason, Round, TieDecision, TiePurpose,
};
use super::super::tie::Prefer;
use super::super::{CandidateIndex, CountError, CountInput, MethodResult, initial_status};

/// The count's record of candidates and stages.
pub(super) struct Ledger<'a> {
    pub input: &'a CountInput<'a>,
    pub seats: usize,
    pub status: Vec<CandidateStatus>,
    /// In the order they were elected.
    pub elected: Vec<CandidateIndex>,
    /// The stage in which each candidate was elected (0 if not).
    pub elected_in: Vec<usize>,
    /// The stages recorded so far.
    pub rounds: Vec<Round>,
    /// The decisions and tie-breaks of the stage in progress, recorded with it.
    pub decisions: Vec<Decision>,
    pub ties: Vec<TieDecision>,
}

impl<'a> Ledger<'a> {
    /// Before the first stage: withdrawn candidates withdrawn, everyone else continuing.
    pub fn new(input: &'a CountInput<'a>) -> Self {
        let election = input.election;
        Ledger {
            input,
            seats: election.seats(),
            status: initial_status(election),
            elected: Vec::new(),
            elected_in: vec![0; election.candidates().len()],
            rounds: Vec::new(),
            decisions: Vec::new(),
            ties: Vec::new(),
        }
    }

    /// The continuing candidates.
    pub fn hopeful(&self) -> impl Iterator<Item = CandidateIndex> + '_ {
        (self.status.iter().enumerate())
            .filter(|(_, s)| **s == CandidateStatus::Hopeful)
            .map(|(i, _)| CandidateIndex::new(i as u16))
    }

    /// Seats not yet filled.
    pub fn seats_left(&self) -> usize {
        self.seats.saturating_sub(self.elected.len())
    }

    /// One candidate from `among` (which the caller has found tied, or a single candidate),
    /// by the rule's tie-breaking; a tie-break is recorded with the stage.
    pub fn pick(
        &mut self,
        among: &[CandidateIndex],
        prefer: Prefer,
        purpose: TiePurpose,
    ) -> Result<CandidateIndex, CountError> {
        (self.input.ties).pick(among, prefer, purpose, &self.rounds, &mut self.ties)
    }

    /// Elects `candidate` for `reason`, in the stage in progress.
    pub fn elect(&mut self, candidate: CandidateIndex, reason: Reason) {
        self.status[candidate.get()] = CandidateStatus::Elected;
        self.elected.push(candidate);
        self.elected_in[candidate.get()] = self.rounds.len() + 1;
        self.decisions.push(Decision {
            candidate,
            outcome: Outcome::Elected,
            reason,
        });
    }

    /// Excludes `candidate` for `reason` (their votes are the rule's to move).
    pub fn exclude(&mut self, candidate: CandidateIndex, reason: Reason) {
        self.status[candidate.get()] = CandidateStatus::Excluded;
        self.decisions.push(Decision {
            candidate,
            outcome: Outcome::Excluded,
            reason,
        });
    }

    /// The continuing candidates the constraint has doomed (the group can no longer fill its
    /// minimum unless they go).
    pub fn doomed(&self) -> Vec<CandidateIndex> {
        (self.input.constraint.as_ref())
            .map(|k| k.doomed(&self.status))
            .unwrap_or_default()
    }

    /// Whether the constraint lets `candidate` take a seat now.
    pub fn may_elect(&self, candidate: CandidateIndex) -> bool {
        (self.input.constraint.as_ref()).is_none_or(|k| k.may_elect(candidate, &self.status))
    }

    /// The candidate to exclude for fewest votes, under the constraint's guard (docs/COUNTING.md
    /// §8), and why: among the continuing candidates the constraint does not guard, those with
    /// no more than the fewest votes plus `reach` (0 for the paper-moving rules, the surplus
    /// for Meek's B.3) are tied, and the rule's tie-breaking picks one. The reason is
    /// `ConstraintGuard` naming any guarded candidate passed over with as few votes or fewer,
    /// else `FewestVotes`. Should the guard protect every continuing candidate (it cannot while
    /// more remain than seats), all of them are considered rather than the count stalling.
    pub fn lowest<const D: u32>(
        &mut self,
        votes: &[Fixed<D>],
        reach: Fixed<D>,
    ) -> Result<(CandidateIndex, Reason), CountError> {
        let hopeful: Vec<CandidateIndex> = self.hopeful().collect();
        let constraint = self.input.constraint.as_ref();
        let guarded = |c: &CandidateIndex| constraint.is_some_and(|k| k.guarded(*c, &self.status));
        let unguarded: Vec<CandidateIndex> =
            hopeful.iter().copied().filter(|c| !guarded(c)).collect();
        let excludable = if unguarded.is_empty() {
            hopeful.clone()
        } else {
            unguarded
        };
        let Some(fewest) = excludable.iter().map(|c| votes[c.get()]).min() else {
            return Err(CountError::NoCandidateToChoose);
        };
        let passed_over: Vec<CandidateIndex> = (hopeful.into_iter())
            .filter(|c| !excludable.contains(c) && votes[c.get()] <= fewest)
            .collect();
        let reason = if passed_over.is_empty() {
            Reason::FewestVotes
        } else {
            Reason::ConstraintGuard { passed_over }
        };
        let tied: Vec<CandidateIndex> = (excludable.into_iter())
            .filter(|c| votes[c.get()] <= fewest + reach)
            .collect();
        Ok((
            self.pick(&tied, Prefer::Fewest, TiePurpose::Exclusion)?,
            reason,
        ))
    }

    /// As many continuing candidates as seats left (and none doomed): they are all elected, in
    /// order of `votes`, equal votes in ballot-file order (Scottish STV rule 52, ERS97 5.5.1,
    /// Meek C.1).
    pub fn fill_remaining_seats<const D: u32>(&mut self, votes: &[Fixed<D>]) {
        let seats_left = self.seats_left();
        let mut rest: Vec<CandidateIndex> = self.hopeful().collect();
        if seats_left > 0 && rest.len() <= seats_left && self.doomed().is_empty() {
            rest.sort_by_key(|c| std::cmp::Reverse(votes[c.get()]));
            for candidate in rest {
                self.elect(candidate, Reason::FilledRemainingSeats);
            }
        }
    }

    /// Records the stage that did `action` and ended with `totals`, with its decisions and
    /// tie-breaks.
    pub fn record<const D: u32>(
        &mut self,
        action: Action,
        totals: StageTotals<'_, D>,
    ) -> &mut Round {
        let round = Round {
            number: self.rounds.len() + 1,
            action,
            quota: totals.quota.units(),
            votes: totals.votes.iter().map(|v| v.units()).collect(),
            transfers: (totals.votes.iter().zip(totals.before))
                .map(|(a, b)| (*a - *b).units())
                .collect(),
            exhausted: totals.exhausted.units(),
            rounding: totals.rounding.units(),
            status: self.status.clone(),
            decisions: std::mem::take(&mut self.decisions),
            ties: std::mem::take(&mut self.ties),
            keep_factors: Vec::new(),
        };
        self.rounds.push(round);
        let last = self.rounds.len() - 1;
        &mut self.rounds[last]
    }

    /// The count's result: every stage and who was elected.
    pub fn result(self) -> MethodResult {
        MethodResult {
            rounds: self.rounds,
            elected: self.elected,
        }
    }
}

/// The totals a rule holds at the end of a stage, at its precision.
pub(super) struct StageTotals<'a, const D: u32> {
    pub quota: Fixed<D>,
    pub votes: &'a [Fixed<D>],
    /// Votes at the start of the stage, to report each candidate's transfer.
    pub before: &'a [Fixed<D>],
    pub exhausted: Fixed<D>,
    pub rounding: Fixed<D>,
}
