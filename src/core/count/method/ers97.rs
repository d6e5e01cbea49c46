//! ERS97 STV: the Electoral Reform Society's "How to conduct an election by the Single
//! Transferable Vote", 3rd edition (1997), sections 5 (the count) and 6 (glossary).
//!
//! Arithmetic: [`Fixed<2>`]; quota and transfer values to two decimal places, remainders ignored
//! (5.1.6, 5.3.7). What a surplus transfer loses to that truncation (the "non-transferable
//! difference", 6.11) is reported as rounding; papers with no next available preference are
//! reported as exhausted. ERS result sheets print both together as "non-transferable".
//!
//! The count (docs/COUNTING.md, "ERS97"):
//! - 5.1.6: quota = valid ÷ (seats + 1) to two places; if not exact, ignore the remainder and add
//!   0.01 (so an exact division is the quota itself: this is a ceiling at two places);
//! - 5.4.8: while nobody is elected, the quota is recalculated after each exclusion batch, leaving
//!   out the non-transferable vote;
//! - 5.1.7, 5.3.13, 5.4.9: continuing candidates, in descending order of votes, are deemed elected
//!   when their vote equals or exceeds the quota or the total active vote (6.20) ÷ (places not yet
//!   filled + 1); 5.6.2 settles ties for the last places;
//! - 5.2.2: surpluses are deferred while their total cannot change who is excluded next;
//! - 5.2.3, 5.3: the largest surplus goes first; at stage 1 every paper is examined, later only
//!   the last received batch; transfer value = surplus ÷ transferable papers, truncated, but never
//!   more than the papers' present value (5.3.7);
//! - 5.2.5: exclusion of the lowest candidate, or of as many lowest candidates together as the
//!   rule allows; 5.4: their papers move in batches by transfer value, highest first, each batch a
//!   sub-stage (a round with `Action::Exclusion { transfer_value }`), and candidates elected after
//!   a batch receive no further papers (5.4.10);
//! - 5.5.1: when a proposed exclusion would leave as many continuing candidates as places, they
//!   are all elected; 5.5.2: when the places are filled, no further transfers are made.
//!
//! Ties look to the first stage or the earliest point in the count, after the transfer of a batch
//! of papers, at which the tied candidates' votes differed (5.2.3, 5.2.5, 5.6.2): every batch is a
//! round in the report, so [`Lookback::Earliest`](super::super::tie::Lookback) over the rounds is
//! exactly that rule. Then lot.
//!
//! The constraint (`constraint.rs`) is applied as in Scottish STV: doom at the start of every
//! stage, block at every election, guard at every exclusion.

use super::super::fixed::Fixed;
use super::super::report::{Action, CandidateStatus, LotSource, Reason, TiePurpose};
use super::super::tie::{Lookback, Prefer, TieBreaker};
use super::super::{CandidateIndex, CountError, CountInput, MethodResult};
use super::stages::{Parcel, Rule, Stages, run};

type Value = Fixed<2>;

pub(crate) fn count(input: &CountInput<'_>) -> Result<MethodResult, CountError> {
    run::<2>(
        input,
        Ers97 {
            valid: Value::from_int(input.totals.valid as i64),
        },
    )
}

/// 5.1.6: `total ÷ (seats + 1)` to two decimal places; if not exact, the remainder is ignored and
/// 0.01 added. That is the division rounded up at two places.
fn quota(total: Value, seats: usize) -> Value {
    total.div_round_up(Value::from_int(seats as i64 + 1))
}

/// What ERS97 states for itself; the stages are [`super::stages`]'.
struct Ers97 {
    /// The valid votes, from which 5.4.8 recalculates the quota.
    valid: Value,
}

impl Rule<2> for Ers97 {
    fn quota(&self, valid: i64, seats: usize) -> Value {
        quota(Value::from_int(valid), seats)
    }

    /// Recalculates the quota (5.4.8), deems candidates elected (5.1.7), fills the last places
    /// (4.3, 5.5.1).
    fn elect(&mut self, count: &mut Stages<'_, 2>) -> Result<(), CountError> {
        if count.ledger.elected.is_empty() && count.exhausted > Value::ZERO {
            // 5.4.8: papers became non-transferable before anyone was elected.
            count.quota = quota(
                self.valid - count.exhausted - count.rounding,
                count.ledger.seats,
            );
        }
        deem_elected(count)?;
        count.ledger.fill_remaining_seats(&count.votes);
        Ok(())
    }

    /// 5.2.2–5.2.5 (and the constraint's doom and guard): what the next stage does, done.
    fn next_stage(&mut self, count: &mut Stages<'_, 2>) -> Result<bool, CountError> {
        if let Some((candidate, reason)) = count.doomed_exclusion(true)? {
            return self.exclude(count, vec![candidate], reason);
        }
        let deferred: Value = count.pending.iter().map(|c| count.surplus(*c)).sum();
        // 5.2.2: surpluses are deferred when the lowest candidates could be excluded under
        // 5.2.5(b) even counting every surplus in their favour.
        if let Some(group) = sure_losers(count, deferred) {
            let reason = if group.len() > 1 {
                Reason::BulkExclusion
            } else {
                Reason::FewestVotes
            };
            return self.exclude(count, group, reason);
        }
        // 5.2.3: the largest surplus; equal ones by the earliest differing stage, then lot.
        if let Some(done) = count.surplus_stage(self, transfer_surplus)? {
            return Ok(done);
        }
        // 5.2.5: no group can go together, so one candidate with the fewest votes (ties by the
        // earliest differing stage, then lot), passing over candidates the constraint guards.
        let (candidate, reason) = count.lowest()?;
        self.exclude(count, vec![candidate], reason)
    }
}

impl Ers97 {
    /// 5.4: excludes `group` and moves their papers in batches by value, highest first, each
    /// batch a sub-stage. True when the count is done.
    fn exclude(
        &mut self,
        count: &mut Stages<'_, 2>,
        group: Vec<CandidateIndex>,
        reason: Reason,
    ) -> Result<bool, CountError> {
        for candidate in &group {
            count.ledger.exclude(*candidate, reason.clone());
        }
        let seats_left = count.ledger.seats_left();
        if count.ledger.hopeful().count() <= seats_left && count.ledger.doomed().is_empty() {
            // 5.5.1: the proposed exclusion leaves as many continuing candidates as places:
            // they are all elected and no papers are transferred (5.5.2).
            return count.end_stage(self, whole_exclusion(group));
        }
        let mut batches: Vec<Parcel<2>> = Vec::new();
        for candidate in &group {
            for parcel in std::mem::take(&mut count.parcels[candidate.get()]) {
                match batches.iter_mut().find(|b| b.value == parcel.value) {
                    Some(batch) => batch.papers.extend(parcel.papers),
                    None => batches.push(parcel),
                }
            }
        }
        // 5.4.1: descending order of transfer value.
        batches.sort_by_key(|b| std::cmp::Reverse(b.value));
        if batches.is_empty() {
            return count.end_stage(self, whole_exclusion(group));
        }
        for batch in batches {
            let round = count.ledger.rounds.len() + 1;
            // Papers leave the excluded candidate they sit with (the report shows what is left).
            for &(ballot, position) in &batch.papers {
                let holder = count.papers.ranking(ballot)[position as usize];
                count.votes[holder.get()] -=
                    batch.value.mul_int(count.papers.weights[ballot as usize]);
            }
            let exhausted = count.move_papers(&batch.papers, batch.value, round);
            count.exhausted += exhausted;
            let action = Action::Exclusion {
                candidates: group.clone(),
                transfer_value: Some(batch.value.units()),
            };
            if count.end_stage(self, action)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The action of an exclusion that moved no papers.
fn whole_exclusion(group: Vec<CandidateIndex>) -> Action {
    Action::Exclusion {
        candidates: group,
        transfer_value: None,
    }
}

/// 6.20: the votes of all continuing candidates plus votes awaiting transfer (untransferred
/// surpluses, and papers of excluded candidates not yet moved).
fn total_active_vote(count: &Stages<'_, 2>) -> Value {
    let mut total = Value::ZERO;
    for (i, status) in count.ledger.status.iter().enumerate() {
        total += match status {
            CandidateStatus::Hopeful | CandidateStatus::Excluded => count.votes[i],
            CandidateStatus::Elected => count.surplus(CandidateIndex::new(i as u16)),
            CandidateStatus::Withdrawn => Value::ZERO,
        };
    }
    total
}

/// 5.1.7(a)/(b): the vote that deems a candidate elected now: the quota, or the total active
/// vote ÷ (places not yet filled + 1) where that is less. A vote "equals or exceeds" the exact
/// quotient exactly when it reaches the quotient rounded up to two places. At least 0.01, so that
/// a candidate with no votes is never deemed elected (as OpenSTV's ERS97STV).
fn threshold(count: &Stages<'_, 2>) -> Value {
    let seats_left = count.ledger.seats_left();
    let active = quota(total_active_vote(count), seats_left);
    count.quota.min(active).max(Value::from_units(1))
}

/// 5.2.5: the largest group of lowest candidates that may be excluded together: enough
/// candidates remain for the places (a), and their votes plus the deferred surpluses do not
/// exceed the vote of the candidate next above (b). Candidates with equal votes are taken or left
/// together, so the group never splits a tie (our reading: "the candidate next above" is only
/// defined when the next candidate has more votes; OpenSTV's ERS97STV reads it the same way).
/// With a constraint, a group may not take more group members than the group can spare. `None`
/// when no group qualifies.
fn sure_losers(count: &Stages<'_, 2>, deferred: Value) -> Option<Vec<CandidateIndex>> {
    let mut hopeful: Vec<CandidateIndex> = count.ledger.hopeful().collect();
    hopeful.sort_by_key(|c| (count.votes[c.get()], c.get()));
    let seats_left = count.ledger.seats_left();
    let most_excluded = hopeful.len().checked_sub(seats_left)?;
    let constraint = count.ledger.input.constraint.as_ref();
    let mut spare_group_members = usize::MAX;
    if let Some(constraint) = constraint {
        let members = hopeful.iter().filter(|c| constraint.in_group(**c)).count();
        spare_group_members = members.saturating_sub(constraint.needed(&count.ledger.status));
    }
    let mut running = deferred;
    let mut best = None;
    let mut i = 0;
    while i < hopeful.len() {
        let value = count.votes[hopeful[i].get()];
        let mut end = i;
        while end < hopeful.len() && count.votes[hopeful[end].get()] == value {
            running += value;
            end += 1;
        }
        let Some(next) = hopeful.get(end) else { break };
        if end > most_excluded {
            break;
        }
        let group = &hopeful[..end];
        let members = constraint.map_or(0, |k| group.iter().filter(|c| k.in_group(**c)).count());
        if members > spare_group_members {
            break;
        }
        if running <= count.votes[next.get()] {
            best = Some(group.to_vec());
        }
        i = end;
    }
    best
}

/// 5.3: transfers `candidate`'s surplus; returns the transfer value applied.
fn transfer_surplus(count: &mut Stages<'_, 2>, candidate: CandidateIndex) -> i64 {
    let surplus = count.surplus(candidate);
    let parcels = std::mem::take(&mut count.parcels[candidate.get()]);
    let elected_in = count.ledger.elected_in[candidate.get()];
    // 5.3.1: a surplus arising at the first stage: every paper. 5.3.2: later, only the last
    // received batch, the one that gave rise to the surplus. A candidate elected without
    // receiving a batch in that stage (only possible when 5.4.8 lowered the quota) has none,
    // and the whole surplus is non-transferable.
    let selected: Vec<&Parcel<2>> = if elected_in == 1 {
        parcels.iter().collect()
    } else {
        (parcels.last())
            .filter(|p| p.round == elected_in)
            .into_iter()
            .collect()
    };
    let mut transferable: u64 = 0;
    let mut present = Value::ZERO;
    for parcel in &selected {
        for &(ballot, position) in &parcel.papers {
            if count.next_preference(ballot, position).is_some() {
                let weight = count.papers.weights[ballot as usize];
                transferable += weight;
                present += parcel.value.mul_int(weight);
            }
        }
    }
    let round = count.ledger.rounds.len() + 1;
    // 5.3.7: if the transferable papers are worth more than the surplus, each goes at
    // surplus ÷ number of transferable papers, remainder ignored; otherwise at its present value.
    let shared = present > surplus && transferable > 0;
    let transfer_value = if shared {
        surplus.div_int_round_down(transferable)
    } else {
        Value::ONE
    };
    let mut moved = Value::ZERO;
    for parcel in &selected {
        let value = if shared { transfer_value } else { parcel.value };
        let before: Value = count.votes.iter().copied().sum();
        // The value returned for papers with no next preference is not used: the surplus is
        // shared among the transferable papers only (5.3.7); what the transfer does not move
        // is accounted from `moved` below.
        let _unused = count.move_papers(&parcel.papers, value, round);
        let after: Value = count.votes.iter().copied().sum();
        moved += after - before;
    }
    count.votes[candidate.get()] = count.quota;
    if shared {
        // 6.11: the non-transferable difference, from ignoring the remainder.
        count.rounding += surplus - moved;
        transfer_value.units()
    } else {
        // The papers went at their present value and carry less than the surplus: the rest
        // (the share of papers with no next preference) is non-transferable.
        count.exhausted += surplus - moved;
        selected.first().map_or(0, |p| p.value.units())
    }
}

/// 5.1.7 / 5.3.13 / 5.4.9: deems elected, in descending order of votes, every continuing
/// candidate at or above the threshold, recomputed after each election since the places left and
/// the active vote change (the threshold never rises as a result: an elected candidate takes at
/// least the old threshold out of the active vote).
fn deem_elected(count: &mut Stages<'_, 2>) -> Result<(), CountError> {
    let mut considered: Vec<CandidateIndex> = count.ledger.hopeful().collect();
    considered.sort_by_key(|c| (std::cmp::Reverse(count.votes[c.get()]), c.get()));
    let mut rest = considered.as_slice();
    while let Some(first) = rest.first() {
        let value = count.votes[first.get()];
        if count.ledger.seats_left() == 0 || value < threshold(count) {
            break;
        }
        let equal = (rest.iter())
            .take_while(|c| count.votes[c.get()] == value)
            .count();
        let mut tied: Vec<CandidateIndex> = rest[..equal].to_vec();
        rest = &rest[equal..];
        while !tied.is_empty() && count.ledger.seats_left() > 0 {
            let seats_left = count.ledger.seats_left();
            let candidate = if tied.len() <= seats_left {
                tied[0]
            } else {
                // 5.6.2: not enough places for all of them: the earliest stage at which they
                // differed decides; equal throughout, none of them is deemed elected at this
                // stage (and nobody below them either: they would overtake a higher vote).
                let breaker = TieBreaker::new(Lookback::Earliest, LotSource::None);
                let history: Vec<Vec<i64>> = count
                    .ledger
                    .rounds
                    .iter()
                    .map(|r| r.votes.clone())
                    .collect();
                match breaker.choose(TiePurpose::Election, &tied, &history, Prefer::Most) {
                    Ok(decision) => {
                        let chosen = decision.chosen;
                        count.ledger.ties.push(decision);
                        chosen
                    }
                    Err(CountError::LotNeeded { .. }) => return Ok(()),
                    Err(other) => return Err(other),
                }
            };
            tied.retain(|c| *c != candidate);
            if !count.ledger.may_elect(candidate) {
                // Left continuing; the doom check at the next stage excludes them (ConstraintBlocked).
                continue;
            }
            let reason = if count.votes[candidate.get()] >= count.quota {
                Reason::ReachedQuota
            } else {
                Reason::ReachedActiveVoteShare
            };
            count.ledger.elect(candidate, reason);
            if count.votes[candidate.get()] > count.quota {
                count.pending.push(candidate);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_is_the_division_rounded_up_at_two_places() {
        // 5.1.6 and the booklet's model election: 753 / 7 = 107.571… → 107.58.
        assert_eq!(quota(Value::from_int(753), 6), Value::from_units(10_758));
        // An exact division is the quota itself, not 0.01 more.
        assert_eq!(quota(Value::from_int(700), 6), Value::from_units(10_000));
        assert_eq!(
            quota(Value::from_units(70_001), 6),
            Value::from_units(10_001)
        );
    }
}
