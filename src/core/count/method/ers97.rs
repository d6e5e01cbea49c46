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
//!   sub-stage (a [`Round`] with `Action::Exclusion { transfer_value }`), and candidates elected
//!   after a batch receive no further papers (5.4.10);
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
use super::super::report::{
    Action, CandidateStatus, Decision, LotSource, Outcome, Reason, Round, TieDecision, TiePurpose,
};
use super::super::tie::{Lookback, Prefer, TieBreaker};
use super::super::{CandidateIndex, CountError, CountInput, MethodResult, initial_status};
use super::papers::Papers;

type Value = Fixed<2>;

/// Ballot papers that reached a candidate in one transfer, all at one value: a batch (6.1).
struct Parcel {
    value: Value,
    /// The round (stage or sub-stage) in which the batch arrived.
    round: usize,
    /// (ballot, position of the holding candidate in that ballot's counted preferences)
    papers: Vec<(u32, u16)>,
}

/// What the next stage does, decided by 5.2.2–5.2.5.
enum Step {
    /// Exclude these candidates together, for this reason.
    Exclude(Vec<CandidateIndex>, Reason),
    /// Transfer this candidate's surplus.
    Surplus(CandidateIndex),
}

struct Count<'a> {
    input: &'a CountInput<'a>,
    papers: Papers,
    valid: Value,
    quota: Value,
    seats: usize,
    status: Vec<CandidateStatus>,
    votes: Vec<Value>,
    parcels: Vec<Vec<Parcel>>,
    /// Value of papers with no next available preference (non-transferable papers, 6.12).
    exhausted: Value,
    /// Non-transferable difference from truncated transfer values (6.11).
    rounding: Value,
    rounds: Vec<Round>,
    elected: Vec<CandidateIndex>,
    /// Round in which each candidate was deemed elected (5.3.1/5.3.2 pick the papers by it).
    elected_in: Vec<usize>,
    /// Elected candidates whose surplus has not been transferred (including deferred ones).
    pending: Vec<CandidateIndex>,
    /// Votes at the start of the current round, to report transfers.
    before: Vec<Value>,
    decisions: Vec<Decision>,
    ties: Vec<TieDecision>,
}

pub(crate) fn count(input: &CountInput<'_>) -> Result<MethodResult, CountError> {
    let election = input.election;
    let candidates = election.candidates().len();
    let valid = Value::from_int(input.totals.valid as i64);
    let mut count = Count {
        input,
        papers: Papers::new(input.election),
        valid,
        quota: quota(valid, election.seats()),
        seats: election.seats(),
        status: initial_status(election),
        votes: vec![Value::ZERO; candidates],
        parcels: (0..candidates).map(|_| Vec::new()).collect(),
        exhausted: Value::ZERO,
        rounding: Value::ZERO,
        rounds: Vec::new(),
        elected: Vec::new(),
        elected_in: vec![0; candidates],
        pending: Vec::new(),
        before: vec![Value::ZERO; candidates],
        decisions: Vec::new(),
        ties: Vec::new(),
    };
    count.first_preferences();
    let mut done = count.end_stage(Action::FirstPreferences)?;
    while !done {
        done = match count.next_step()? {
            Step::Surplus(candidate) => {
                let transfer_value = count.transfer_surplus(candidate);
                count.end_stage(Action::Surplus {
                    candidate,
                    transfer_value: Some(transfer_value),
                })?
            }
            Step::Exclude(group, reason) => count.exclude(group, reason)?,
        };
    }
    Ok(MethodResult {
        rounds: count.rounds,
        elected: count.elected,
    })
}

/// 5.1.6: `total ÷ (seats + 1)` to two decimal places; if not exact, the remainder is ignored and
/// 0.01 added. That is the division rounded up at two places.
fn quota(total: Value, seats: usize) -> Value {
    total.div_round_up(Value::from_int(seats as i64 + 1))
}

impl Count<'_> {
    fn first_preferences(&mut self) {
        let mut first: Vec<Vec<(u32, u16)>> = (0..self.votes.len()).map(|_| Vec::new()).collect();
        for ballot in 0..self.papers.weights.len() as u32 {
            let candidate = self.papers.ranking(ballot)[0];
            first[candidate.get()].push((ballot, 0));
            self.votes[candidate.get()] +=
                Value::from_int(self.papers.weights[ballot as usize] as i64);
        }
        for (candidate, papers) in first.into_iter().enumerate() {
            if !papers.is_empty() {
                self.parcels[candidate].push(Parcel {
                    value: Value::ONE,
                    round: 1,
                    papers,
                });
            }
        }
    }

    fn hopeful(&self) -> impl Iterator<Item = CandidateIndex> + '_ {
        self.status
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == CandidateStatus::Hopeful)
            .map(|(i, _)| CandidateIndex::new(i as u16))
    }

    fn history(&self) -> Vec<Vec<i64>> {
        self.rounds.iter().map(|r| r.votes.clone()).collect()
    }

    fn surplus(&self, candidate: CandidateIndex) -> Value {
        (self.votes[candidate.get()] - self.quota).max(Value::ZERO)
    }

    /// 6.20: the votes of all continuing candidates plus votes awaiting transfer (untransferred
    /// surpluses, and papers of excluded candidates not yet moved).
    fn total_active_vote(&self) -> Value {
        let mut total = Value::ZERO;
        for (i, status) in self.status.iter().enumerate() {
            total += match status {
                CandidateStatus::Hopeful | CandidateStatus::Excluded => self.votes[i],
                CandidateStatus::Elected => self.surplus(CandidateIndex::new(i as u16)),
                CandidateStatus::Withdrawn => Value::ZERO,
            };
        }
        total
    }

    /// 5.1.7(a)/(b): the vote that deems a candidate elected now: the quota, or the total active
    /// vote ÷ (places not yet filled + 1) where that is less. A vote "equals or exceeds" the
    /// exact quotient exactly when it reaches the quotient rounded up to two places. At least
    /// 0.01, so that a candidate with no votes is never deemed elected (as OpenSTV's ERS97STV).
    fn threshold(&self) -> Value {
        let seats_left = self.seats - self.elected.len();
        let active = quota(self.total_active_vote(), seats_left);
        self.quota.min(active).max(Value::from_units(1))
    }

    /// 5.2.2–5.2.5 (and the constraint's doom and guard): what the next stage does.
    fn next_step(&mut self) -> Result<Step, CountError> {
        if let Some(constraint) = &self.input.constraint {
            let doomed = constraint.doomed(&self.status);
            if !doomed.is_empty() {
                let needed = constraint.needed(&self.status);
                let seats_left = constraint.seats_left(&self.status);
                let candidate = self.pick(&doomed, Prefer::Fewest, TiePurpose::Exclusion)?;
                let reason = if self.votes[candidate.get()] >= self.quota {
                    Reason::ConstraintBlocked { needed, seats_left }
                } else {
                    Reason::ConstraintDoomed { needed, seats_left }
                };
                return Ok(Step::Exclude(vec![candidate], reason));
            }
        }
        let deferred: Value = self.pending.iter().map(|c| self.surplus(*c)).sum();
        // 5.2.2: surpluses are deferred when the lowest candidates could be excluded under
        // 5.2.5(b) even counting every surplus in their favour.
        if let Some(group) = self.sure_losers(deferred) {
            let reason = if group.len() > 1 {
                Reason::BulkExclusion
            } else {
                Reason::FewestVotes
            };
            return Ok(Step::Exclude(group, reason));
        }
        if !self.pending.is_empty() {
            // 5.2.3: the largest surplus; equal ones by the earliest differing stage, then lot.
            let largest = self
                .pending
                .iter()
                .map(|c| self.surplus(*c))
                .max()
                .unwrap_or(Value::ZERO);
            let tied: Vec<CandidateIndex> = self
                .pending
                .iter()
                .copied()
                .filter(|c| self.surplus(*c) == largest)
                .collect();
            let candidate = self.pick(&tied, Prefer::Most, TiePurpose::SurplusOrder)?;
            self.pending.retain(|c| *c != candidate);
            return Ok(Step::Surplus(candidate));
        }
        // 5.2.5: no group can go together, so one candidate with the fewest votes (ties by the
        // earliest differing stage, then lot), passing over candidates the constraint guards.
        let hopeful: Vec<CandidateIndex> = self.hopeful().collect();
        let (tied, reason) = super::fewest_unguarded(
            &hopeful,
            |c| self.votes[c.get()],
            self.input.constraint.as_ref(),
            &self.status,
        );
        let candidate = self.pick(&tied, Prefer::Fewest, TiePurpose::Exclusion)?;
        Ok(Step::Exclude(vec![candidate], reason))
    }

    /// 5.2.5: the largest group of lowest candidates that may be excluded together: enough
    /// candidates remain for the places (a), and their votes plus the deferred surpluses do not
    /// exceed the vote of the candidate next above (b). Candidates with equal votes are taken or
    /// left together, so the group never splits a tie (our reading: "the candidate next above" is
    /// only defined when the next candidate has more votes; OpenSTV's ERS97STV reads it the same
    /// way). With a constraint, a group may not take more group members than the group can spare.
    /// `None` when no group qualifies.
    fn sure_losers(&self, deferred: Value) -> Option<Vec<CandidateIndex>> {
        let mut hopeful: Vec<CandidateIndex> = self.hopeful().collect();
        hopeful.sort_by_key(|c| (self.votes[c.get()], c.get()));
        let seats_left = self.seats - self.elected.len();
        let most_excluded = hopeful.len().checked_sub(seats_left)?;
        let mut spare_group_members = usize::MAX;
        if let Some(constraint) = &self.input.constraint {
            let members = hopeful.iter().filter(|c| constraint.in_group(**c)).count();
            spare_group_members = members.saturating_sub(constraint.needed(&self.status));
        }
        let mut running = deferred;
        let mut best = None;
        let mut i = 0;
        while i < hopeful.len() {
            let value = self.votes[hopeful[i].get()];
            let mut end = i;
            while end < hopeful.len() && self.votes[hopeful[end].get()] == value {
                running += value;
                end += 1;
            }
            let Some(next) = hopeful.get(end) else { break };
            if end > most_excluded {
                break;
            }
            let group = &hopeful[..end];
            let members = self
                .input
                .constraint
                .as_ref()
                .map_or(0, |k| group.iter().filter(|c| k.in_group(**c)).count());
            if members > spare_group_members {
                break;
            }
            if running <= self.votes[next.get()] {
                best = Some(group.to_vec());
            }
            i = end;
        }
        best
    }

    /// One candidate from `among` (which the caller has found tied, or a single candidate).
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

    /// Moves `papers` to their next available preferences at `value`, as batches arriving in
    /// round `round`; returns the value of the papers that had none (non-transferable).
    fn move_papers(&mut self, papers: &[(u32, u16)], value: Value, round: usize) -> Value {
        let mut arriving: Vec<Vec<(u32, u16)>> =
            (0..self.votes.len()).map(|_| Vec::new()).collect();
        let mut exhausted = Value::ZERO;
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

    /// 6.10: the next preference after `position` for a continuing candidate.
    fn next_preference(&self, ballot: u32, position: u16) -> Option<(u16, CandidateIndex)> {
        self.papers
            .ranking(ballot)
            .iter()
            .enumerate()
            .skip(position as usize + 1)
            .find(|(_, c)| self.status[c.get()] == CandidateStatus::Hopeful)
            .map(|(at, c)| (at as u16, *c))
    }

    /// 5.3: transfers `candidate`'s surplus; returns the transfer value applied.
    fn transfer_surplus(&mut self, candidate: CandidateIndex) -> i64 {
        let surplus = self.surplus(candidate);
        let parcels = std::mem::take(&mut self.parcels[candidate.get()]);
        let elected_in = self.elected_in[candidate.get()];
        // 5.3.1: a surplus arising at the first stage: every paper. 5.3.2: later, only the last
        // received batch, the one that gave rise to the surplus. A candidate elected without
        // receiving a batch in that stage (only possible when 5.4.8 lowered the quota) has none,
        // and the whole surplus is non-transferable.
        let selected: Vec<&Parcel> = if elected_in == 1 {
            parcels.iter().collect()
        } else {
            parcels
                .last()
                .filter(|p| p.round == elected_in)
                .into_iter()
                .collect()
        };
        let mut transferable: u64 = 0;
        let mut present = Value::ZERO;
        for parcel in &selected {
            for &(ballot, position) in &parcel.papers {
                if self.next_preference(ballot, position).is_some() {
                    let weight = self.papers.weights[ballot as usize];
                    transferable += weight;
                    present += parcel.value.mul_int(weight);
                }
            }
        }
        let round = self.rounds.len() + 1;
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
            let before: Value = self.votes.iter().copied().sum();
            // The value returned for papers with no next preference is not used: the surplus is
            // shared among the transferable papers only (5.3.7); what the transfer does not move
            // is accounted from `moved` below.
            let _unused = self.move_papers(&parcel.papers, value, round);
            let after: Value = self.votes.iter().copied().sum();
            moved += after - before;
        }
        self.votes[candidate.get()] = self.quota;
        if shared {
            // 6.11: the non-transferable difference, from ignoring the remainder.
            self.rounding += surplus - moved;
            transfer_value.units()
        } else {
            // The papers went at their present value and carry less than the surplus: the rest
            // (the share of papers with no next preference) is non-transferable.
            self.exhausted += surplus - moved;
            selected.first().map_or(0, |p| p.value.units())
        }
    }

    /// 5.4: excludes `group` and moves their papers in batches by value, highest first, each
    /// batch a sub-stage. True when the count is done.
    fn exclude(&mut self, group: Vec<CandidateIndex>, reason: Reason) -> Result<bool, CountError> {
        for candidate in &group {
            self.status[candidate.get()] = CandidateStatus::Excluded;
            self.decisions.push(Decision {
                candidate: *candidate,
                outcome: Outcome::Excluded,
                reason: reason.clone(),
            });
        }
        let seats_left = self.seats - self.elected.len();
        let doomed = self
            .input
            .constraint
            .as_ref()
            .is_some_and(|k| !k.doomed(&self.status).is_empty());
        if self.hopeful().count() <= seats_left && !doomed {
            // 5.5.1: the proposed exclusion leaves as many continuing candidates as places:
            // they are all elected and no papers are transferred (5.5.2).
            return self.end_stage(Action::Exclusion {
                candidates: group,
                transfer_value: None,
            });
        }
        let mut batches: Vec<Parcel> = Vec::new();
        for candidate in &group {
            for parcel in std::mem::take(&mut self.parcels[candidate.get()]) {
                match batches.iter_mut().find(|b| b.value == parcel.value) {
                    Some(batch) => batch.papers.extend(parcel.papers),
                    None => batches.push(parcel),
                }
            }
        }
        // 5.4.1: descending order of transfer value.
        batches.sort_by_key(|b| std::cmp::Reverse(b.value));
        if batches.is_empty() {
            return self.end_stage(Action::Exclusion {
                candidates: group,
                transfer_value: None,
            });
        }
        for batch in batches {
            let round = self.rounds.len() + 1;
            // Papers leave the excluded candidate they sit with (the report shows what is left).
            for &(ballot, position) in &batch.papers {
                let holder = self.papers.ranking(ballot)[position as usize];
                self.votes[holder.get()] -=
                    batch.value.mul_int(self.papers.weights[ballot as usize]);
            }
            let exhausted = self.move_papers(&batch.papers, batch.value, round);
            self.exhausted += exhausted;
            let action = Action::Exclusion {
                candidates: group.clone(),
                transfer_value: Some(batch.value.units()),
            };
            if self.end_stage(action)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn elect(&mut self, candidate: CandidateIndex, reason: Reason) {
        self.status[candidate.get()] = CandidateStatus::Elected;
        self.elected.push(candidate);
        self.elected_in[candidate.get()] = self.rounds.len() + 1;
        self.decisions.push(Decision {
            candidate,
            outcome: Outcome::Elected,
            reason,
        });
    }

    /// 5.1.7 / 5.3.13 / 5.4.9: deems elected, in descending order of votes, every continuing
    /// candidate at or above the threshold, recomputed after each election since the places
    /// left and the active vote change (the threshold never rises as a result: an elected
    /// candidate takes at least the old threshold out of the active vote).
    fn deem_elected(&mut self) -> Result<(), CountError> {
        let mut considered: Vec<CandidateIndex> = self.hopeful().collect();
        considered.sort_by_key(|c| (std::cmp::Reverse(self.votes[c.get()]), c.get()));
        let mut rest = considered.as_slice();
        while let Some(first) = rest.first() {
            let value = self.votes[first.get()];
            if self.elected.len() >= self.seats || value < self.threshold() {
                break;
            }
            let equal = rest
                .iter()
                .take_while(|c| self.votes[c.get()] == value)
                .count();
            let mut tied: Vec<CandidateIndex> = rest[..equal].to_vec();
            rest = &rest[equal..];
            while !tied.is_empty() && self.elected.len() < self.seats {
                let seats_left = self.seats - self.elected.len();
                let candidate = if tied.len() <= seats_left {
                    tied[0]
                } else {
                    // 5.6.2: not enough places for all of them: the earliest stage at which they
                    // differed decides; equal throughout, none of them is deemed elected at this
                    // stage (and nobody below them either: they would overtake a higher vote).
                    let breaker = TieBreaker::new(Lookback::Earliest, LotSource::None);
                    match breaker.choose(TiePurpose::Election, &tied, &self.history(), Prefer::Most)
                    {
                        Ok(decision) => {
                            let chosen = decision.chosen;
                            self.ties.push(decision);
                            chosen
                        }
                        Err(CountError::LotNeeded { .. }) => return Ok(()),
                        Err(other) => return Err(other),
                    }
                };
                tied.retain(|c| *c != candidate);
                if self
                    .input
                    .constraint
                    .as_ref()
                    .is_some_and(|k| !k.may_elect(candidate, &self.status))
                {
                    // Left continuing; the doom check at the next stage excludes them (ConstraintBlocked).
                    continue;
                }
                let reason = if self.votes[candidate.get()] >= self.quota {
                    Reason::ReachedQuota
                } else {
                    Reason::ReachedActiveVoteShare
                };
                self.elect(candidate, reason);
                if self.votes[candidate.get()] > self.quota {
                    self.pending.push(candidate);
                }
            }
        }
        Ok(())
    }

    /// Ends a stage or sub-stage: recalculates the quota (5.4.8), deems candidates elected,
    /// fills the last places (4.3), records the round. True when done.
    fn end_stage(&mut self, action: Action) -> Result<bool, CountError> {
        if self.elected.is_empty() && self.exhausted > Value::ZERO {
            // 5.4.8: papers became non-transferable before anyone was elected.
            self.quota = quota(self.valid - self.exhausted - self.rounding, self.seats);
        }
        self.deem_elected()?;
        let seats_left = self.seats - self.elected.len();
        let doomed = self
            .input
            .constraint
            .as_ref()
            .is_some_and(|k| !k.doomed(&self.status).is_empty());
        let hopeful: Vec<CandidateIndex> = self.hopeful().collect();
        if seats_left > 0 && hopeful.len() <= seats_left && !doomed {
            // 4.3 / 5.5.1: as many continuing candidates as places left: all elected.
            let mut rest = hopeful;
            rest.sort_by_key(|c| std::cmp::Reverse(self.votes[c.get()]));
            for candidate in rest {
                self.elect(candidate, Reason::FilledRemainingSeats);
            }
        }
        let round = super::StageTotals {
            quota: self.quota,
            votes: &self.votes,
            before: &self.before,
            exhausted: self.exhausted,
            rounding: self.rounding,
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
        Ok(self.elected.len() >= self.seats)
    }
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
