//! The engine of the rules that move ballot papers between candidates stage by stage: Scottish
//! STV, ERS97 and IRV. It holds what they share — the papers and where each sits, the votes, the
//! first preferences, moving papers to their next continuing preference, the choice of the
//! largest surplus and of the lowest candidate (under the constraint's doom and guard), electing,
//! filling the last seats, and recording each stage — and is generic over a [`Rule`], which states
//! only what differs: the quota, who is elected when, and how a stage transfers.

use super::super::fixed::Fixed;
use super::super::report::{Action, CandidateStatus, Reason, TiePurpose};
use super::super::tie::Prefer;
use super::super::{CandidateIndex, CountError, CountInput, MethodResult};
use super::ledger::{Ledger, StageTotals};
use super::papers::Papers;

/// Ballot papers that reached a candidate in one transfer, all at one value (ERS97's batch).
pub(super) struct Parcel<const D: u32> {
    pub value: Fixed<D>,
    /// The round (stage or sub-stage) in which the papers arrived.
    pub round: usize,
    /// (ballot, position of the holding candidate in that ballot's counted preferences)
    pub papers: Vec<(u32, u16)>,
}

/// What a rule states for itself; the engine does the rest.
pub(super) trait Rule<const D: u32> {
    /// The quota the count starts with, from the number of valid ballots.
    fn quota(&self, valid: i64, seats: usize) -> Fixed<D>;
    /// At the end of a stage: elects whoever the rule elects now, in the order it elects them.
    fn elect(&mut self, count: &mut Stages<'_, D>) -> Result<(), CountError>;
    /// Performs the stages after the first: chooses the next transfer, makes it and ends its
    /// stage (or sub-stages) with [`Stages::end_stage`]. True when the count is done.
    fn next_stage(&mut self, count: &mut Stages<'_, D>) -> Result<bool, CountError>;
    /// Whether the count is done after a stage.
    fn done(&self, count: &Stages<'_, D>) -> Result<bool, CountError> {
        Ok(count.ledger.elected.len() >= count.ledger.seats)
    }
}

/// Counts `input` under `rule`.
pub(super) fn run<const D: u32>(
    input: &CountInput<'_>,
    mut rule: impl Rule<D>,
) -> Result<MethodResult, CountError> {
    let quota = rule.quota(input.totals.valid as i64, input.election.seats());
    let mut count = Stages::new(input, quota);
    let mut done = count.end_stage(&mut rule, Action::FirstPreferences)?;
    while !done {
        done = rule.next_stage(&mut count)?;
    }
    Ok(count.ledger.result())
}

/// The count's state between stages.
pub(super) struct Stages<'a, const D: u32> {
    /// Statuses, who is elected, the stages so far.
    pub ledger: Ledger<'a>,
    pub papers: Papers,
    pub quota: Fixed<D>,
    pub votes: Vec<Fixed<D>>,
    /// The papers each candidate holds, by the transfer they came in.
    pub parcels: Vec<Vec<Parcel<D>>>,
    /// Value of papers with no next continuing preference (non-transferable).
    pub exhausted: Fixed<D>,
    /// What truncated transfer values lost.
    pub rounding: Fixed<D>,
    /// Elected candidates whose surplus has not been transferred.
    pub pending: Vec<CandidateIndex>,
    /// Votes at the start of the current round, to report each candidate's transfer.
    pub before: Vec<Fixed<D>>,
}

impl<'a, const D: u32> Stages<'a, D> {
    /// The count before its first stage, every paper with its first preference at full value.
    fn new(input: &'a CountInput<'a>, quota: Fixed<D>) -> Self {
        let election = input.election;
        let candidates = election.candidates().len();
        let mut count = Stages {
            ledger: Ledger::new(input),
            papers: Papers::new(election),
            quota,
            votes: vec![Fixed::ZERO; candidates],
            parcels: (0..candidates).map(|_| Vec::new()).collect(),
            exhausted: Fixed::ZERO,
            rounding: Fixed::ZERO,
            pending: Vec::new(),
            before: vec![Fixed::ZERO; candidates],
        };
        let mut first: Vec<Vec<(u32, u16)>> = (0..candidates).map(|_| Vec::new()).collect();
        for ballot in 0..count.papers.weights.len() as u32 {
            let candidate = count.papers.ranking(ballot)[0];
            first[candidate.get()].push((ballot, 0));
            count.votes[candidate.get()] +=
                Fixed::from_int(count.papers.weights[ballot as usize] as i64);
        }
        for (candidate, papers) in first.into_iter().enumerate() {
            if !papers.is_empty() {
                count.parcels[candidate].push(Parcel {
                    value: Fixed::ONE,
                    round: 1,
                    papers,
                });
            }
        }
        count
    }

    /// A candidate's votes above the quota.
    pub fn surplus(&self, candidate: CandidateIndex) -> Fixed<D> {
        (self.votes[candidate.get()] - self.quota).max(Fixed::ZERO)
    }

    /// The constraint's doomed candidate to exclude first, if any, and why: blocked if they
    /// reached the quota (a rule whose quota is a threshold of its own says `blocked_at_quota:
    /// false` and every such exclusion is doomed).
    pub fn doomed_exclusion(
        &mut self,
        blocked_at_quota: bool,
    ) -> Result<Option<(CandidateIndex, Reason)>, CountError> {
        let Some(constraint) = &self.ledger.input.constraint else {
            return Ok(None);
        };
        let doomed = constraint.doomed(&self.ledger.status);
        if doomed.is_empty() {
            return Ok(None);
        }
        let needed = constraint.needed(&self.ledger.status);
        let seats_left = constraint.seats_left(&self.ledger.status);
        let candidate = self
            .ledger
            .pick(&doomed, Prefer::Fewest, TiePurpose::Exclusion)?;
        let reason = if blocked_at_quota && self.votes[candidate.get()] >= self.quota {
            Reason::ConstraintBlocked { needed, seats_left }
        } else {
            Reason::ConstraintDoomed { needed, seats_left }
        };
        Ok(Some((candidate, reason)))
    }

    /// The elected candidate with the largest untransferred surplus (equal ones by the rule's
    /// tie-breaking), taken off the pending list; `None` when no surplus is pending.
    pub fn largest_surplus(&mut self) -> Result<Option<CandidateIndex>, CountError> {
        let Some(largest) = self.pending.iter().map(|c| self.surplus(*c)).max() else {
            return Ok(None);
        };
        let tied: Vec<CandidateIndex> = (self.pending.iter().copied())
            .filter(|c| self.surplus(*c) == largest)
            .collect();
        let candidate = self
            .ledger
            .pick(&tied, Prefer::Most, TiePurpose::SurplusOrder)?;
        self.pending.retain(|c| *c != candidate);
        Ok(Some(candidate))
    }

    /// The stage that transfers the largest pending surplus by the rule's `transfer` (which
    /// returns the transfer value to report) and ends; `None` when no surplus is pending.
    pub fn surplus_stage<R: Rule<D>>(
        &mut self,
        rule: &mut R,
        transfer: impl FnOnce(&mut Self, CandidateIndex) -> i64,
    ) -> Result<Option<bool>, CountError> {
        let Some(candidate) = self.largest_surplus()? else {
            return Ok(None);
        };
        let transfer_value = transfer(self, candidate);
        let action = Action::Surplus {
            candidate,
            transfer_value: Some(transfer_value),
        };
        self.end_stage(rule, action).map(Some)
    }

    /// The continuing candidate with the fewest votes among those the constraint does not guard
    /// (ties by the rule's tie-breaking), and why.
    pub fn lowest(&mut self) -> Result<(CandidateIndex, Reason), CountError> {
        self.ledger.lowest(&self.votes, Fixed::ZERO)
    }

    /// The next preference after `position` on `ballot` for a continuing candidate.
    pub fn next_preference(&self, ballot: u32, position: u16) -> Option<(u16, CandidateIndex)> {
        (self.papers.ranking(ballot).iter().enumerate())
            .skip(position as usize + 1)
            .find(|(_, c)| self.ledger.status[c.get()] == CandidateStatus::Hopeful)
            .map(|(at, c)| (at as u16, *c))
    }

    /// Moves `papers` to their next continuing preferences at `value`, arriving in round `round`;
    /// returns the value of the papers that had none (non-transferable).
    pub fn move_papers(
        &mut self,
        papers: &[(u32, u16)],
        value: Fixed<D>,
        round: usize,
    ) -> Fixed<D> {
        let mut arriving: Vec<Vec<(u32, u16)>> =
            (0..self.votes.len()).map(|_| Vec::new()).collect();
        let mut exhausted = Fixed::ZERO;
        for &(ballot, position) in papers {
            let weight = self.papers.weights[ballot as usize];
            match self.next_preference(ballot, position) {
                Some((at, candidate)) => {
                    arriving[candidate.get()].push((ballot, at));
                    self.votes[candidate.get()] += value.mul_int(weight);
                }
                None => exhausted += value.mul_int(weight),
            }
        }
        for (candidate, papers) in arriving.into_iter().enumerate() {
            if !papers.is_empty() {
                self.parcels[candidate].push(Parcel {
                    value,
                    round,
                    papers,
                });
            }
        }
        exhausted
    }

    /// Excludes `candidate` and moves all their papers in this one stage, each at the value it
    /// carries (Scottish STV rule 50, and IRV).
    pub fn exclude_all_at_once(&mut self, candidate: CandidateIndex, reason: Reason) {
        self.ledger.exclude(candidate, reason);
        let round = self.ledger.rounds.len() + 1;
        for parcel in std::mem::take(&mut self.parcels[candidate.get()]) {
            let exhausted = self.move_papers(&parcel.papers, parcel.value, round);
            self.exhausted += exhausted;
        }
        self.votes[candidate.get()] = Fixed::ZERO;
    }

    /// Elects `reached` (candidates who reached the quota) in order of votes, largest first,
    /// while seats are left; equal votes by the rule's tie-breaking. A candidate the constraint
    /// may not elect stays continuing (the doom check of the next stage excludes them). An
    /// elected candidate with more than the quota has a surplus pending.
    pub fn elect_in_order_of_votes(
        &mut self,
        mut reached: Vec<CandidateIndex>,
    ) -> Result<(), CountError> {
        while !reached.is_empty() && self.ledger.seats_left() > 0 {
            let most = (reached.iter().map(|c| self.votes[c.get()]).max()).unwrap_or(Fixed::ZERO);
            let tied: Vec<CandidateIndex> = (reached.iter().copied())
                .filter(|c| self.votes[c.get()] == most)
                .collect();
            let candidate = self
                .ledger
                .pick(&tied, Prefer::Most, TiePurpose::Election)?;
            reached.retain(|c| *c != candidate);
            if !self.ledger.may_elect(candidate) {
                continue;
            }
            self.ledger.elect(candidate, Reason::ReachedQuota);
            if self.votes[candidate.get()] > self.quota {
                self.pending.push(candidate);
            }
        }
        Ok(())
    }

    /// Ends a stage (or sub-stage) that did `action`: the rule elects, the stage is recorded.
    /// True when the count is done.
    pub fn end_stage<R: Rule<D> + ?Sized>(
        &mut self,
        rule: &mut R,
        action: Action,
    ) -> Result<bool, CountError> {
        rule.elect(self)?;
        let totals = StageTotals {
            quota: self.quota,
            votes: &self.votes,
            before: &self.before,
            exhausted: self.exhausted,
            rounding: self.rounding,
        };
        self.ledger.record(action, totals);
        self.before.clone_from(&self.votes);
        rule.done(self)
    }
}

/// The action of a stage that excluded one candidate and moved their papers.
pub(super) fn exclusion(candidate: CandidateIndex) -> Action {
    Action::Exclusion {
        candidates: vec![candidate],
        transfer_value: None,
    }
}
