//! Block vote ("vote for up to N"): for comparison with the STV rules on the same ballots.
//!
//! Arithmetic: [`Fixed<0>`], whole votes.
//!
//! The count (docs/COUNTING.md, "Block vote"), in a single round ([`Action::Count`]):
//! - N = seats; each valid ballot gives one vote (its weight) to each of the first N candidates of
//!   its counted preferences (up to the first break), so a ballot ranking fewer gives fewer votes;
//! - the N candidates with the most votes are elected ([`Reason::MostVotes`]), in order of votes;
//! - a tie for the last seat(s) goes straight to lot (there is no earlier round to look back to):
//!   [`TiePurpose::Election`], [`Prefer::Most`].
//!
//! The constraint: the group's top `minimum` members (by votes, ties by lot) are elected first,
//! then the remaining seats are filled from everyone left by votes. A candidate who would have
//! had a seat without the constraint but lost it to a group member is recorded as excluded with
//! [`Reason::ConstraintBlocked`].

use super::super::fixed::Fixed;
use super::super::report::{Action, CandidateStatus, Reason, TiePurpose};
use super::super::tie::Prefer;
use super::super::{CandidateIndex, CountError, CountInput, MethodResult, initial_status};
use super::ledger::{Ledger, StageTotals};

type Value = Fixed<0>;

/// The block vote's one round, top to bottom (votes, the constraint's picks, the rest by votes).
pub(crate) fn count(input: &CountInput<'_>) -> Result<MethodResult, CountError> {
    let election = input.election;
    let seats = election.seats();
    let (votes, exhausted) = first_n_votes(input, seats);
    let mut ledger = Ledger::new(input);
    // The current round is the only one: the look-back has nothing before it (Lookback::None).
    let mut chosen = Vec::new();
    if let Some(constraint) = &input.constraint {
        while constraint.needed(&ledger.status) > 0 {
            let tied = most_votes(&ledger.status, &votes, |c| constraint.in_group(c));
            if tied.is_empty() {
                break;
            }
            let candidate = ledger.pick(&tied, Prefer::Most, TiePurpose::Election)?;
            ledger.status[candidate.get()] = CandidateStatus::Elected;
            chosen.push(candidate);
        }
    }
    while chosen.len() < seats {
        let tied = most_votes(&ledger.status, &votes, |_| true);
        let candidate = match tied.as_slice() {
            [] => break,
            [first, ..] if tied.len() <= seats - chosen.len() => *first,
            _ => ledger.pick(&tied, Prefer::Most, TiePurpose::Election)?,
        };
        ledger.status[candidate.get()] = CandidateStatus::Elected;
        chosen.push(candidate);
    }
    // Reported in order of votes (stable: the order of choice among equals).
    chosen.sort_by_key(|c| std::cmp::Reverse(votes[c.get()]));
    for candidate in chosen {
        ledger.elect(candidate, Reason::MostVotes);
    }
    if let Some(constraint) = &input.constraint {
        // Nobody was elected before this single round: the group needed its full minimum.
        let needed = constraint.needed(&initial_status(election));
        for candidate in unconstrained_winners(&votes, seats, initial_status(election)) {
            if ledger.status[candidate.get()] == CandidateStatus::Hopeful
                && !constraint.in_group(candidate)
            {
                let seats_left = seats;
                ledger.exclude(candidate, Reason::ConstraintBlocked { needed, seats_left });
            }
        }
    }
    let totals = StageTotals {
        quota: Value::ZERO,
        votes: &votes,
        before: &vec![Value::ZERO; votes.len()],
        exhausted,
        rounding: Value::ZERO,
    };
    ledger.record(Action::Count, totals);
    Ok(ledger.result())
}

/// Each candidate's votes: one (the ballot's weight) from each ballot that ranks them among its
/// first `seats` counted preferences; and the unused votes of ballots that ranked fewer, reported
/// as exhausted so that votes + exhausted = seats × valid ballots.
fn first_n_votes(input: &CountInput<'_>, seats: usize) -> (Vec<Value>, Value) {
    let election = input.election;
    let mut votes = vec![Value::ZERO; election.candidates().len()];
    let mut exhausted = Value::ZERO;
    for ballot in election.ballots() {
        let prefix = ballot.counted_prefix();
        if prefix.is_empty() {
            continue;
        }
        let weight = Value::from_int(ballot.weight() as i64);
        for preference in prefix.iter().take(seats) {
            votes[preference.candidate().get()] += weight;
        }
        exhausted += weight.mul_int(seats.saturating_sub(prefix.len()) as u64);
    }
    (votes, exhausted)
}

/// The continuing candidates `admit`ted with the most votes (several when tied).
fn most_votes(
    status: &[CandidateStatus],
    votes: &[Value],
    admit: impl Fn(CandidateIndex) -> bool,
) -> Vec<CandidateIndex> {
    let eligible: Vec<CandidateIndex> = (status.iter().enumerate())
        .filter(|(_, s)| **s == CandidateStatus::Hopeful)
        .map(|(i, _)| CandidateIndex::new(i as u16))
        .filter(|c| admit(*c))
        .collect();
    let most = (eligible.iter().map(|c| votes[c.get()]).max()).unwrap_or(Value::ZERO);
    (eligible.into_iter())
        .filter(|c| votes[c.get()] == most)
        .collect()
}

/// Who would fill the seats without the constraint, to explain displacements: no lot here, every
/// candidate tied for a seat counts as one who would have had it.
fn unconstrained_winners(
    votes: &[Value],
    seats: usize,
    mut status: Vec<CandidateStatus>,
) -> Vec<CandidateIndex> {
    let mut winners = Vec::new();
    while winners.len() < seats {
        let tied = most_votes(&status, votes, |_| true);
        if tied.is_empty() {
            break;
        }
        for c in tied {
            status[c.get()] = CandidateStatus::Elected;
            winners.push(c);
        }
    }
    winners
}
