//! Scottish STV: the Scottish Local Government Elections Order 2007 (SSI 2007/42), Schedule 1,
//! rules 45–52, as amended by SSI 2011/399.
//!
//! Arithmetic: [`Fixed<5>`]; every transfer value and every total truncated to 5 decimal places
//! (rule 48(3): "any remainder being ignored"). What truncation loses is reported as rounding, so
//! that candidates + non-transferable + rounding = valid ballots in every stage; official reports
//! print non-transferable and rounding together.
//!
//! The count (docs/COUNTING.md, "Scottish STV"):
//! - rule 46: quota = floor(valid votes / (seats + 1)) + 1;
//! - rule 47: a continuing candidate whose votes reach the quota is elected at the end of a stage;
//!   several in one stage are elected in order of votes, largest first;
//! - rule 48: the largest untransferred surplus is transferred first. Every ballot paper the
//!   candidate holds (weighted inclusive Gregory) moves to its next continuing preference at the
//!   value `surplus × value when received ÷ candidate's total`, truncated; papers with no next
//!   preference are non-transferable;
//! - rule 49(2): equal surpluses go in order of votes at the most recent preceding stage at which
//!   the candidates' votes differed, else by lot;
//! - rule 50: when no surplus remains, the candidate with fewest votes is excluded and all their
//!   papers move, in one stage, at the value each carries; rule 51: ties as in rule 49(2);
//! - rule 52: when the continuing candidates are as many as the seats left, they are all elected
//!   and no further transfer is made.
//!
//! The constraint (`constraint.rs`) is applied at the start of every stage (doom) and at every
//! election (block) and exclusion (guard).

use super::super::fixed::Fixed;
use super::super::report::{
    Action, CandidateStatus, Decision, Outcome, Reason, Round, TieDecision, TiePurpose,
};
use super::super::tie::Prefer;
use super::super::{CandidateIndex, CountError, CountInput, MethodResult, initial_status};
use super::papers::Papers;

type Value = Fixed<5>;

/// Ballot papers that reached a candidate in one transfer, all at one value.
struct Parcel {
    value: Value,
    /// (ballot, position of the holding candidate in that ballot's counted preferences)
    papers: Vec<(u32, u16)>,
}

struct Count<'a> {
    input: &'a CountInput<'a>,
    papers: Papers,
    quota: Value,
    seats: usize,
    status: Vec<CandidateStatus>,
    votes: Vec<Value>,
    parcels: Vec<Vec<Parcel>>,
    exhausted: Value,
    rounding: Value,
    rounds: Vec<Round>,
    elected: Vec<CandidateIndex>,
    /// Elected candidates whose surplus has not been transferred.
    pending: Vec<CandidateIndex>,
    /// Votes at the start of the current stage, to report transfers.
    before: Vec<Value>,
    decisions: Vec<Decision>,
    ties: Vec<TieDecision>,
}

pub(crate) fn count(input: &CountInput<'_>) -> Result<MethodResult, CountError> {
    let election = input.election;
    let candidates = election.candidates().len();
    let valid = input.totals.valid as i64;
    // Rule 46: integer Droop quota.
    let quota = Value::from_int(valid / (election.seats() as i64 + 1) + 1);
    let mut count = Count {
        input,
        papers: Papers::new(input.election),
        quota,
        seats: election.seats(),
        status: initial_status(election),
        votes: vec![Value::ZERO; candidates],
        parcels: (0..candidates).map(|_| Vec::new()).collect(),
        exhausted: Value::ZERO,
        rounding: Value::ZERO,
        rounds: Vec::new(),
        elected: Vec::new(),
        pending: Vec::new(),
        before: vec![Value::ZERO; candidates],
        decisions: Vec::new(),
        ties: Vec::new(),
    };
    count.first_preferences();
    let mut done = count.end_stage(Action::FirstPreferences)?;
    while !done {
        let action = count.next_transfer()?;
        done = count.end_stage(action)?;
    }
    Ok(MethodResult {
        rounds: count.rounds,
        elected: count.elected,
    })
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

    /// Chooses the next stage's transfer (doomed exclusion, largest surplus, or lowest exclusion),
    /// performs it and says what it was.
    fn next_transfer(&mut self) -> Result<Action, CountError> {
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
                self.exclude(candidate, reason);
                return Ok(Action::Exclusion {
                    candidates: vec![candidate],
                    transfer_value: None,
                });
            }
        }
        if !self.pending.is_empty() {
            let surplus = |c: &CandidateIndex| self.votes[c.get()] - self.quota;
            let largest = self
                .pending
                .iter()
                .map(surplus)
                .max()
                .unwrap_or(Value::ZERO);
            let tied: Vec<CandidateIndex> = self
                .pending
                .iter()
                .copied()
                .filter(|c| surplus(c) == largest)
                .collect();
            let candidate = self.pick(&tied, Prefer::Most, TiePurpose::SurplusOrder)?;
            self.pending.retain(|c| *c != candidate);
            let transfer_value = self.transfer_surplus(candidate);
            return Ok(Action::Surplus {
                candidate,
                transfer_value: Some(transfer_value),
            });
        }
        let hopeful: Vec<CandidateIndex> = self.hopeful().collect();
        let (tied, reason) = super::fewest_unguarded(
            &hopeful,
            |c| self.votes[c.get()],
            self.input.constraint.as_ref(),
            &self.status,
        );
        let candidate = self.pick(&tied, Prefer::Fewest, TiePurpose::Exclusion)?;
        self.exclude(candidate, reason);
        Ok(Action::Exclusion {
            candidates: vec![candidate],
            transfer_value: None,
        })
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

    /// Moves every paper of `parcel` to its next continuing preference at `value`, returning
    /// the value of the papers that had none (non-transferable).
    fn move_papers(&mut self, papers: &[(u32, u16)], value: Value) -> Value {
        let mut arriving: Vec<Vec<(u32, u16)>> =
            (0..self.votes.len()).map(|_| Vec::new()).collect();
        let mut exhausted = Value::ZERO;
        for &(ballot, position) in papers {
            let ranking = self.papers.ranking(ballot);
            let weight = self.papers.weights[ballot as usize];
            let next = ranking
                .iter()
                .enumerate()
                .skip(position as usize + 1)
                .find(|(_, c)| self.status[c.get()] == CandidateStatus::Hopeful);
            match next {
                Some((at, candidate)) => {
                    arriving[candidate.get()].push((ballot, at as u16));
                    self.votes[candidate.get()] += value.mul_int(weight);
                }
                None => exhausted += value.mul_int(weight),
            }
        }
        for (candidate, papers) in arriving.into_iter().enumerate() {
            if !papers.is_empty() {
                self.parcels[candidate].push(Parcel { value, papers });
            }
        }
        exhausted
    }

    /// Rule 48: transfers `candidate`'s surplus; returns the transfer value of a paper received
    /// at full value (the ratio printed on the count sheet).
    fn transfer_surplus(&mut self, candidate: CandidateIndex) -> i64 {
        let total = self.votes[candidate.get()];
        let surplus = total - self.quota;
        let parcels = std::mem::take(&mut self.parcels[candidate.get()]);
        self.votes[candidate.get()] = self.quota;
        let mut moved = Value::ZERO;
        let before: Value = self.votes.iter().copied().sum();
        for parcel in &parcels {
            // Rule 48(3): surplus × value when received ÷ total votes, remainder ignored.
            let value = Value::from_units(
                (i128::from(surplus.units()) * i128::from(parcel.value.units())
                    / i128::from(total.units())) as i64,
            );
            let exhausted = self.move_papers(&parcel.papers, value);
            self.exhausted += exhausted;
            moved += exhausted;
        }
        let after: Value = self.votes.iter().copied().sum();
        let transferred = after - before;
        self.rounding += surplus - transferred - moved;
        (i128::from(surplus.units()) * i128::from(Value::ONE.units()) / i128::from(total.units()))
            as i64
    }

    /// Rule 50: excludes `candidate` and moves all their papers at the value each carries.
    fn exclude(&mut self, candidate: CandidateIndex, reason: Reason) {
        self.status[candidate.get()] = CandidateStatus::Excluded;
        self.decisions.push(Decision {
            candidate,
            outcome: Outcome::Excluded,
            reason,
        });
        let parcels = std::mem::take(&mut self.parcels[candidate.get()]);
        for parcel in &parcels {
            let exhausted = self.move_papers(&parcel.papers, parcel.value);
            self.exhausted += exhausted;
        }
        self.votes[candidate.get()] = Value::ZERO;
    }

    fn elect(&mut self, candidate: CandidateIndex, reason: Reason) {
        self.status[candidate.get()] = CandidateStatus::Elected;
        self.elected.push(candidate);
        self.decisions.push(Decision {
            candidate,
            outcome: Outcome::Elected,
            reason,
        });
    }

    /// Elects whoever reached the quota, applies rule 52, records the stage. True when done.
    fn end_stage(&mut self, action: Action) -> Result<bool, CountError> {
        // Rule 47: elect in order of votes, largest first.
        let mut reached: Vec<CandidateIndex> = self
            .hopeful()
            .filter(|c| self.votes[c.get()] >= self.quota)
            .collect();
        while !reached.is_empty() && self.elected.len() < self.seats {
            let most = reached
                .iter()
                .map(|c| self.votes[c.get()])
                .max()
                .unwrap_or(Value::ZERO);
            let tied: Vec<CandidateIndex> = reached
                .iter()
                .copied()
                .filter(|c| self.votes[c.get()] == most)
                .collect();
            let candidate = self.pick(&tied, Prefer::Most, TiePurpose::Election)?;
            reached.retain(|c| *c != candidate);
            if self
                .input
                .constraint
                .as_ref()
                .is_some_and(|k| !k.may_elect(candidate, &self.status))
            {
                // Left continuing; the doom check at the next stage excludes them (ConstraintBlocked).
                continue;
            }
            self.elect(candidate, Reason::ReachedQuota);
            if self.votes[candidate.get()] > self.quota {
                self.pending.push(candidate);
            }
        }
        let seats_left = self.seats - self.elected.len();
        let doomed = self
            .input
            .constraint
            .as_ref()
            .is_some_and(|k| !k.doomed(&self.status).is_empty());
        let hopeful: Vec<CandidateIndex> = self.hopeful().collect();
        if seats_left > 0 && hopeful.len() <= seats_left && !doomed {
            // Rule 52: the continuing candidates fill the remaining seats.
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
