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
use super::super::report::Reason;
use super::super::{CandidateIndex, CountError, CountInput, Method, MethodResult};
use super::stages::{Rule, Stages, exclusion, run};

type Value = Fixed<0>;

pub(crate) fn count(input: &CountInput<'_>) -> Result<MethodResult, CountError> {
    if input.election.seats() != 1 {
        return Err(CountError::SingleSeatOnly {
            method: Method::Irv,
            seats: input.election.seats(),
        });
    }
    run::<0>(input, Irv)
}

/// What IRV states for itself; the rounds are [`super::stages`]'.
struct Irv;

impl Rule<0> for Irv {
    /// No quota: the threshold is a majority of each round's continuing votes (see `elect`).
    fn quota(&self, _valid: i64, _seats: usize) -> Value {
        Value::ZERO
    }

    /// A majority winner, or the last candidate standing. The "quota" the round shows is the
    /// majority threshold of the continuing votes.
    fn elect(&mut self, count: &mut Stages<'_, 0>) -> Result<(), CountError> {
        let hopeful: Vec<CandidateIndex> = count.ledger.hopeful().collect();
        let continuing: Value = hopeful.iter().map(|c| count.votes[c.get()]).sum();
        count.quota = Value::from_units(continuing.units() / 2 + 1);
        // More than half: twice the votes exceed the continuing total (no division, no rounding).
        let majority = hopeful.iter().copied().find(|c| {
            count.votes[c.get()].units() * 2 > continuing.units() && count.ledger.may_elect(*c)
        });
        let winner = match (majority, hopeful.as_slice()) {
            (Some(c), _) => Some((c, Reason::Majority)),
            (None, [only]) if count.ledger.may_elect(*only) => Some((*only, Reason::MostVotes)),
            _ => None,
        };
        if let Some((candidate, reason)) = winner {
            count.ledger.elect(candidate, reason);
        }
        Ok(())
    }

    /// One exclusion per round: a doomed candidate (constraint), else the fewest votes among
    /// those the constraint does not guard; their ballots move to their next preferences.
    fn next_stage(&mut self, count: &mut Stages<'_, 0>) -> Result<bool, CountError> {
        let (candidate, reason) = match count.doomed_exclusion(false)? {
            Some(doomed) => doomed,
            None => count.lowest()?,
        };
        count.exclude_all_at_once(candidate, reason);
        count.end_stage(self, exclusion(candidate))
    }

    fn done(&self, count: &Stages<'_, 0>) -> Result<bool, CountError> {
        if count.ledger.elected.is_empty() && count.ledger.hopeful().next().is_none() {
            // Every candidate was excluded (only possible when the constraint blocks the last one).
            return Err(CountError::NoCandidateToChoose);
        }
        Ok(!count.ledger.elected.is_empty())
    }
}
