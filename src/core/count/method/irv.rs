//! Instant-runoff voting (the alternative vote): one seat, whole votes.
//!
//! Arithmetic: [`Fixed<0>`], whole ballots; nothing is ever divided, so nothing is rounded.
//!
//! The count (docs/COUNTING.md, "IRV"):
//! - every valid ballot counts one vote (its weight) for its first preference;
//! - a candidate with more than half of the continuing votes (votes on ballots that still rank a
//!   continuing candidate; exhausted ballots are left out) is elected ([`Reason::Majority`]);
//! - otherwise the candidate with the fewest votes is excluded and each of their ballots moves to
//!   its next continuing preference, one exclusion per round; ties look back to the earliest
//!   round at which the tied candidates differed, then lot;
//! - when only one candidate remains, they are elected ([`Reason::MostVotes`]).
//!
//! Scottish STV with one seat elects the same candidate (its quota is a majority of the valid
//! votes, and with no surplus it only ever excludes the lowest), which the reference test over the
//! 30 Scottish by-elections checks. The constraint is applied as in Scottish STV: doom at the
//! start of every round, block at election, guard at exclusion.

use super::super::fixed::Fixed;
use super::super::report::{
    Action, CandidateStatus, Decision, Outcome, Reason, Round, TieDecision, TiePurpose,
};
use super::super::tie::Prefer;
use super::super::{CandidateIndex, CountError, CountInput, Method, MethodResult, initial_status};

type Value = Fixed<0>;

struct Count<'a> {
    input: &'a CountInput<'a>,
    /// Each counted ballot's preferences (up to the first break) and weight.
    ballots: Vec<(&'a [super::super::Preference], u64)>,
    /// For each counted ballot, the index in its preferences of the candidate holding it, if any.
    holder: Vec<Option<usize>>,
    status: Vec<CandidateStatus>,
    votes: Vec<Value>,
    exhausted: Value,
    rounds: Vec<Round>,
    elected: Vec<CandidateIndex>,
    before: Vec<Value>,
    decisions: Vec<Decision>,
    ties: Vec<TieDecision>,
}

pub(crate) fn count(input: &CountInput<'_>) -> Result<MethodResult, CountError> {
    let election = input.election;
    if election.seats() != 1 {
        return Err(CountError::SingleSeatOnly {
            method: Method::Irv,
            seats: election.seats(),
        });
    }
    let candidates = election.candidates().len();
    let ballots: Vec<_> = election
        .ballots()
        .iter()
        .map(|b| (b.counted_prefix(), b.weight()))
        .filter(|(prefix, _)| !prefix.is_empty())
        .collect();
    let mut count = Count {
        input,
        holder: vec![None; ballots.len()],
        ballots,
        status: initial_status(election),
        votes: vec![Value::ZERO; candidates],
        exhausted: Value::ZERO,
        rounds: Vec::new(),
        elected: Vec::new(),
        before: vec![Value::ZERO; candidates],
        decisions: Vec::new(),
        ties: Vec::new(),
    };
    count.distribute();
    let mut done = count.end_round(Action::FirstPreferences)?;
    while !done {
        let (candidate, reason) = count.choose_exclusion()?;
        count.status[candidate.get()] = CandidateStatus::Excluded;
        count.decisions.push(Decision {
            candidate,
            outcome: Outcome::Excluded,
            reason,
        });
        count.distribute();
        done = count.end_round(Action::Exclusion {
            candidates: vec![candidate],
            transfer_value: None,
        })?;
    }
    Ok(MethodResult {
        rounds: count.rounds,
        elected: count.elected,
    })
}

impl Count<'_> {
    fn hopeful(&self) -> impl Iterator<Item = CandidateIndex> + '_ {
        self.status
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == CandidateStatus::Hopeful)
            .map(|(i, _)| CandidateIndex::new(i as u16))
    }

    /// Moves every ballot not held by a continuing candidate to its next continuing preference
    /// (at the start, every ballot to its first preference).
    fn distribute(&mut self) {
        for (i, (preferences, weight)) in self.ballots.iter().enumerate() {
            let start = match self.holder[i] {
                Some(at)
                    if self.status[preferences[at].candidate().get()]
                        == CandidateStatus::Hopeful =>
                {
                    continue;
                }
                Some(at) => {
                    self.votes[preferences[at].candidate().get()] -=
                        Value::from_int(*weight as i64);
                    at + 1
                }
                None if self.rounds.is_empty() => 0,
                // Already exhausted.
                None => continue,
            };
            let next = preferences
                .iter()
                .enumerate()
                .skip(start)
                .find(|(_, p)| self.status[p.candidate().get()] == CandidateStatus::Hopeful);
            match next {
                Some((at, p)) => {
                    self.holder[i] = Some(at);
                    self.votes[p.candidate().get()] += Value::from_int(*weight as i64);
                }
                None => {
                    self.holder[i] = None;
                    self.exhausted += Value::from_int(*weight as i64);
                }
            }
        }
    }

    /// The candidate to exclude next: a doomed candidate (constraint), else the fewest votes
    /// among those the constraint does not guard.
    fn choose_exclusion(&mut self) -> Result<(CandidateIndex, Reason), CountError> {
        if let Some(constraint) = &self.input.constraint {
            let doomed = constraint.doomed(&self.status);
            if !doomed.is_empty() {
                let needed = constraint.needed(&self.status);
                let seats_left = constraint.seats_left(&self.status);
                let candidate = self.pick(&doomed, Prefer::Fewest, TiePurpose::Exclusion)?;
                return Ok((candidate, Reason::ConstraintDoomed { needed, seats_left }));
            }
        }
        let hopeful: Vec<CandidateIndex> = self.hopeful().collect();
        let (tied, reason) = super::fewest_unguarded(
            &hopeful,
            |c| self.votes[c.get()],
            self.input.constraint.as_ref(),
            &self.status,
        );
        Ok((
            self.pick(&tied, Prefer::Fewest, TiePurpose::Exclusion)?,
            reason,
        ))
    }

    fn pick(
        &mut self,
        among: &[CandidateIndex],
        prefer: Prefer,
        purpose: TiePurpose,
    ) -> Result<CandidateIndex, CountError> {
        self.input
            .ties
            .pick(among, prefer, purpose, &self.rounds, &mut self.ties)
    }

    /// Elects a majority winner or the last candidate standing, records the round. True when done.
    fn end_round(&mut self, action: Action) -> Result<bool, CountError> {
        let allowed = |c: CandidateIndex, status: &[CandidateStatus]| {
            self.input
                .constraint
                .as_ref()
                .is_none_or(|k| k.may_elect(c, status))
        };
        let hopeful: Vec<CandidateIndex> = self.hopeful().collect();
        let continuing: Value = hopeful.iter().map(|c| self.votes[c.get()]).sum();
        // More than half: twice the votes exceed the continuing total (no division, no rounding).
        let majority = hopeful.iter().copied().find(|c| {
            self.votes[c.get()].units() * 2 > continuing.units() && allowed(*c, &self.status)
        });
        let winner = match (majority, hopeful.as_slice()) {
            (Some(c), _) => Some((c, Reason::Majority)),
            (None, [only]) if allowed(*only, &self.status) => Some((*only, Reason::MostVotes)),
            _ => None,
        };
        if let Some((candidate, reason)) = winner {
            self.status[candidate.get()] = CandidateStatus::Elected;
            self.elected.push(candidate);
            self.decisions.push(Decision {
                candidate,
                outcome: Outcome::Elected,
                reason,
            });
        }
        let round = super::StageTotals {
            // The "quota" an IRV round shows is the majority threshold of the continuing votes.
            quota: Value::from_units(continuing.units() / 2 + 1),
            votes: &self.votes,
            before: &self.before,
            exhausted: self.exhausted,
            rounding: Value::ZERO,
            status: &self.status,
        }
        .round(
            &self.rounds,
            action,
            std::mem::take(&mut self.decisions),
            std::mem::take(&mut self.ties),
        );
        self.before.clone_from(&self.votes);
        self.rounds.push(round);
        if self.elected.is_empty() && self.hopeful().next().is_none() {
            // Every candidate was excluded (only possible when the constraint blocks the last one).
            return Err(CountError::NoCandidateToChoose);
        }
        Ok(!self.elected.is_empty())
    }
}
