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
use super::super::report::{
    Action, CandidateStatus, Decision, Outcome, Reason, Round, TieDecision, TiePurpose,
};
use super::super::tie::Prefer;
use super::super::{CandidateIndex, CountError, CountInput, MethodResult, initial_status};

type Value = Fixed<0>;

/// The block vote's one round, top to bottom (votes, the constraint's picks, the rest by votes).
pub(crate) fn count(input: &CountInput<'_>) -> Result<MethodResult, CountError> {
    let election = input.election;
    let seats = election.seats();
    let mut votes = vec![Value::ZERO; election.candidates().len()];
    let mut exhausted = Value::ZERO;
    for ballot in election.ballots() {
        let prefix = ballot.counted_prefix();
        let weight = Value::from_int(ballot.weight() as i64);
        for preference in prefix.iter().take(seats) {
            votes[preference.candidate().get()] += weight;
        }
        if prefix.is_empty() {
            continue;
        }
        // Unused votes of a ballot that ranked fewer than N are reported as exhausted, so that
        // votes + exhausted = N × valid ballots in the round.
        exhausted += weight.mul_int(seats.saturating_sub(prefix.len()) as u64);
    }
    let mut status = initial_status(election);
    let mut elected = Vec::new();
    let mut decisions = Vec::new();
    let mut ties = Vec::new();
    // The current round is the only one: the look-back has nothing before it (Lookback::None).
    let pick = |among: Vec<CandidateIndex>, ties: &mut Vec<TieDecision>| {
        input
            .ties
            .pick(&among, Prefer::Most, TiePurpose::Election, &[], ties)
    };
    let top = |status: &[CandidateStatus],
               filter: &dyn Fn(CandidateIndex) -> bool|
     -> Vec<CandidateIndex> {
        let eligible: Vec<CandidateIndex> = status
            .iter()
            .enumerate()
            .filter(|(i, s)| {
                **s == CandidateStatus::Hopeful && filter(CandidateIndex::new(*i as u16))
            })
            .map(|(i, _)| CandidateIndex::new(i as u16))
            .collect();
        let most = eligible
            .iter()
            .map(|c| votes[c.get()])
            .max()
            .unwrap_or(Value::ZERO);
        eligible
            .into_iter()
            .filter(|c| votes[c.get()] == most)
            .collect()
    };
    // Without the constraint, who would fill the seats: used only to explain displacements.
    let mut unconstrained_status = status.clone();
    let mut unconstrained = Vec::new();
    if input.constraint.is_some() {
        while unconstrained.len() < seats {
            let tied = top(&unconstrained_status, &|_| true);
            if tied.is_empty() {
                break;
            }
            // No lot here: every tied candidate counts as "would have had a seat".
            for c in tied {
                unconstrained_status[c.get()] = CandidateStatus::Elected;
                unconstrained.push(c);
            }
        }
    }
    if let Some(constraint) = &input.constraint {
        while constraint.needed(&status) > 0 {
            let tied = top(&status, &|c| constraint.in_group(c));
            if tied.is_empty() {
                break;
            }
            let candidate = pick(tied, &mut ties)?;
            status[candidate.get()] = CandidateStatus::Elected;
            elected.push(candidate);
        }
    }
    while elected.len() < seats {
        let tied = top(&status, &|_| true);
        if tied.is_empty() {
            break;
        }
        let candidate = if tied.len() <= seats - elected.len() {
            tied[0]
        } else {
            pick(tied, &mut ties)?
        };
        status[candidate.get()] = CandidateStatus::Elected;
        elected.push(candidate);
    }
    // Report in order of votes (stable: the order of choice among equals).
    elected.sort_by_key(|c| std::cmp::Reverse(votes[c.get()]));
    for candidate in &elected {
        decisions.push(Decision {
            candidate: *candidate,
            outcome: Outcome::Elected,
            reason: Reason::MostVotes,
        });
    }
    if let Some(constraint) = &input.constraint {
        // Nobody was elected before this single round: the group needed its full minimum.
        let needed = constraint.needed(&initial_status(election));
        for candidate in unconstrained {
            if status[candidate.get()] == CandidateStatus::Hopeful
                && !constraint.in_group(candidate)
            {
                status[candidate.get()] = CandidateStatus::Excluded;
                decisions.push(Decision {
                    candidate,
                    outcome: Outcome::Excluded,
                    reason: Reason::ConstraintBlocked {
                        needed,
                        seats_left: seats,
                    },
                });
            }
        }
    }
    let units: Vec<i64> = votes.iter().map(|v| v.units()).collect();
    let round = Round {
        number: 1,
        action: Action::Count,
        quota: 0,
        votes: units.clone(),
        transfers: units,
        exhausted: exhausted.units(),
        rounding: 0,
        status,
        decisions,
        ties,
        keep_factors: Vec::new(),
    };
    Ok(MethodResult {
        rounds: vec![round],
        elected,
    })
}
