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
use super::super::{CandidateIndex, CountError, CountInput, MethodResult};
use super::stages::{Rule, Stages, exclusion, run};

type Value = Fixed<5>;

pub(crate) fn count(input: &CountInput<'_>) -> Result<MethodResult, CountError> {
    run::<5>(input, Scottish)
}

/// What Scottish STV states for itself; the stages are [`super::stages`]'.
struct Scottish;

impl Rule<5> for Scottish {
    /// Rule 46: integer Droop quota.
    fn quota(&self, valid: i64, seats: usize) -> Value {
        Value::from_int(valid / (seats as i64 + 1) + 1)
    }

    /// Rule 47: whoever reached the quota, in order of votes; then rule 52: as many continuing
    /// candidates as seats left fill them.
    fn elect(&mut self, count: &mut Stages<'_, 5>) -> Result<(), CountError> {
        let reached: Vec<CandidateIndex> = (count.ledger.hopeful())
            .filter(|c| count.votes[c.get()] >= count.quota)
            .collect();
        count.elect_in_order_of_votes(reached)?;
        count.ledger.fill_remaining_seats(&count.votes);
        Ok(())
    }

    /// The next stage: the constraint's doomed candidate excluded, else the largest surplus
    /// transferred (rule 48), else the lowest candidate excluded (rule 50).
    fn next_stage(&mut self, count: &mut Stages<'_, 5>) -> Result<bool, CountError> {
        if let Some((candidate, reason)) = count.doomed_exclusion(true)? {
            count.exclude_all_at_once(candidate, reason);
            return count.end_stage(self, exclusion(candidate));
        }
        if let Some(done) = count.surplus_stage(self, transfer_surplus)? {
            return Ok(done);
        }
        let (candidate, reason) = count.lowest()?;
        count.exclude_all_at_once(candidate, reason);
        count.end_stage(self, exclusion(candidate))
    }
}

/// Rule 48: transfers `candidate`'s surplus, every paper they hold (weighted inclusive Gregory);
/// returns the transfer value of a paper received at full value (the ratio printed on the count
/// sheet).
fn transfer_surplus(count: &mut Stages<'_, 5>, candidate: CandidateIndex) -> i64 {
    let total = count.votes[candidate.get()];
    let surplus = total - count.quota;
    let parcels = std::mem::take(&mut count.parcels[candidate.get()]);
    count.votes[candidate.get()] = count.quota;
    let round = count.ledger.rounds.len() + 1;
    let mut moved = Value::ZERO;
    let before: Value = count.votes.iter().copied().sum();
    for parcel in &parcels {
        // Rule 48(3): surplus × value when received ÷ total votes, remainder ignored.
        let value = Value::from_units(
            (i128::from(surplus.units()) * i128::from(parcel.value.units())
                / i128::from(total.units())) as i64,
        );
        let exhausted = count.move_papers(&parcel.papers, value, round);
        count.exhausted += exhausted;
        moved += exhausted;
    }
    let after: Value = count.votes.iter().copied().sum();
    let transferred = after - before;
    count.rounding += surplus - transferred - moved;
    (i128::from(surplus.units()) * i128::from(Value::ONE.units()) / i128::from(total.units()))
        as i64
}
