//! Breaking ties: first by the rule's look-back over earlier rounds, then by lot.
//!
//! Look-back (docs/COUNTING.md, "Ties"): Scottish STV (2007 Order, rules 49(2) and 51(2)) compares
//! the tied candidates' votes at the most recent preceding stage at which they differed; ERS97
//! (5.2.5, 5.3.2) and the New Zealand Meek rules look to the earliest stage at which they differed.
//!
//! Lot: with a seed, every candidate is given the key `SHA-256(LOT_TAG || seed || index as u16 BE)`
//! and the lot draws the tied candidates in ascending key order; the first drawn is chosen (excluded,
//! transferred first, elected). The seed is public after close (the final checkpoint's root), so
//! anyone can reproduce the draw, and nobody could know it before. Without a seed, a `[tie]` line in
//! the ballot file gives the order instead: the lot draws candidates in the line's order, so the
//! first listed is chosen (as Droop.py and stv-rs defeat the first of a `[tie]` line). Without either, a count that needs lot stops
//! with [`CountError::LotNeeded`].

use sha2::{Digest, Sha256};

use super::CountError;
use super::election::CandidateIndex;
use super::report::{LotSource, Round, TieBasis, TieDecision, TiePurpose};

/// Domain-separation tag for lot keys (docs/PROTOCOL.md §2 lists it with the other tags).
pub const LOT_TAG: &[u8] = b"teller/count/lot/v1\0";

/// Which earlier round a rule compares tied candidates at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookback {
    /// The most recent preceding round at which the tied candidates' votes differed (Scottish STV).
    MostRecent,
    /// The earliest round at which they differed (ERS97, NZ Meek).
    Earliest,
    /// No look-back: straight to lot.
    None,
}

/// Which end of the tie the decision picks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefer {
    /// The candidate with fewer votes at the looked-back round (exclusion).
    Fewest,
    /// The candidate with more votes at the looked-back round (surplus order, election).
    Most,
}

/// Breaks ties the same way throughout one count.
#[derive(Clone, Debug)]
pub struct TieBreaker {
    lookback: Lookback,
    lot: LotSource,
}

impl TieBreaker {
    /// A tie-breaker with the rule's look-back and the count's lot source.
    pub fn new(lookback: Lookback, lot: LotSource) -> Self {
        Self { lookback, lot }
    }

    /// Picks one of `tied` (at least two candidates, all with equal current votes).
    ///
    /// `history` holds every candidate's votes at the end of each completed earlier round, oldest
    /// first; `history[i]` is round `i + 1`.
    pub fn choose(
        &self,
        purpose: TiePurpose,
        tied: &[CandidateIndex],
        history: &[Vec<i64>],
        prefer: Prefer,
    ) -> Result<TieDecision, CountError> {
        let rounds: Box<dyn Iterator<Item = usize>> = match self.lookback {
            Lookback::MostRecent => Box::new((0..history.len()).rev()),
            Lookback::Earliest => Box::new(0..history.len()),
            Lookback::None => Box::new(std::iter::empty()),
        };
        for round in rounds {
            let votes = &history[round];
            let value = |c: &CandidateIndex| votes[c.get()];
            let (Some(min), Some(max)) =
                (tied.iter().map(value).min(), tied.iter().map(value).max())
            else {
                break;
            };
            if min == max {
                continue;
            }
            let target = if prefer == Prefer::Fewest { min } else { max };
            let candidates: Vec<CandidateIndex> = tied
                .iter()
                .copied()
                .filter(|c| value(c) == target)
                .collect();
            if let [chosen] = candidates.as_slice() {
                return Ok(TieDecision {
                    purpose,
                    tied: tied.to_vec(),
                    chosen: *chosen,
                    basis: TieBasis::Round(round + 1),
                });
            }
            // Several still tied at this round: the look-back narrows to them and goes on.
            let narrowed = self.choose(purpose, &candidates, &history[..round], prefer)?;
            return Ok(TieDecision {
                tied: tied.to_vec(),
                ..narrowed
            });
        }
        let order = self.draw(tied)?;
        Ok(TieDecision {
            purpose,
            tied: tied.to_vec(),
            chosen: order[0],
            basis: TieBasis::Lot(order),
        })
    }

    /// One candidate from `among`: the only one, or the one this tie-breaker chooses when several
    /// are tied, with the decision appended to `log` for the round's report. `rounds` are the
    /// completed rounds, whose votes the look-back reads.
    pub fn pick(
        &self,
        among: &[CandidateIndex],
        prefer: Prefer,
        purpose: TiePurpose,
        rounds: &[Round],
        log: &mut Vec<TieDecision>,
    ) -> Result<CandidateIndex, CountError> {
        match among {
            [] => Err(CountError::NoCandidateToChoose),
            [only] => Ok(*only),
            tied => {
                let history: Vec<Vec<i64>> = rounds.iter().map(|r| r.votes.clone()).collect();
                let decision = self.choose(purpose, tied, &history, prefer)?;
                let chosen = decision.chosen;
                log.push(decision);
                Ok(chosen)
            }
        }
    }

    /// The tied candidates in the order the lot draws them.
    pub fn draw(&self, tied: &[CandidateIndex]) -> Result<Vec<CandidateIndex>, CountError> {
        let mut order = tied.to_vec();
        match &self.lot {
            LotSource::Seed(seed) => order.sort_by_cached_key(|c| lot_key(seed, *c)),
            LotSource::TieLine(line) => {
                let position = |c: &CandidateIndex| line.iter().position(|x| x == c);
                order.sort_by_key(position);
            }
            LotSource::None => {
                return Err(CountError::LotNeeded {
                    tied: tied.to_vec(),
                });
            }
        }
        Ok(order)
    }
}

/// The lot key of `candidate` under `seed`.
pub fn lot_key(seed: &[u8], candidate: CandidateIndex) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(LOT_TAG);
    hasher.update(seed);
    hasher.update((candidate.get() as u16).to_be_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(i: u16) -> CandidateIndex {
        CandidateIndex::new(i)
    }

    #[test]
    fn most_recent_lookback_uses_the_latest_differing_round() {
        // Round 1: a < b; round 2: a > b; round 3 (current): equal.
        let history = vec![vec![10, 20], vec![30, 25]];
        let breaker = TieBreaker::new(Lookback::MostRecent, LotSource::None);
        let d = breaker
            .choose(
                TiePurpose::Exclusion,
                &[c(0), c(1)],
                &history,
                Prefer::Fewest,
            )
            .unwrap();
        assert_eq!((d.chosen, d.basis), (c(1), TieBasis::Round(2)));
    }

    #[test]
    fn earliest_lookback_uses_the_first_differing_round() {
        let history = vec![vec![10, 20], vec![30, 25]];
        let breaker = TieBreaker::new(Lookback::Earliest, LotSource::None);
        let d = breaker
            .choose(
                TiePurpose::Exclusion,
                &[c(0), c(1)],
                &history,
                Prefer::Fewest,
            )
            .unwrap();
        assert_eq!((d.chosen, d.basis), (c(0), TieBasis::Round(1)));
    }

    #[test]
    fn lookback_skips_rounds_where_the_tied_were_equal() {
        let history = vec![vec![5, 9, 5], vec![7, 7, 7]];
        let breaker = TieBreaker::new(Lookback::MostRecent, LotSource::None);
        let d = breaker
            .choose(
                TiePurpose::SurplusOrder,
                &[c(0), c(1), c(2)],
                &history,
                Prefer::Most,
            )
            .unwrap();
        assert_eq!((d.chosen, d.basis), (c(1), TieBasis::Round(1)));
    }

    #[test]
    fn unresolved_tie_without_lot_source_is_an_error() {
        let breaker = TieBreaker::new(Lookback::Earliest, LotSource::None);
        let err = breaker.choose(
            TiePurpose::Exclusion,
            &[c(0), c(1)],
            &[vec![1, 1]],
            Prefer::Fewest,
        );
        assert_eq!(
            err,
            Err(CountError::LotNeeded {
                tied: vec![c(0), c(1)]
            })
        );
    }

    #[test]
    fn lot_is_reproducible_and_depends_on_the_seed() {
        let tied: Vec<_> = (0..8).map(c).collect();
        let draw = |seed: &[u8]| {
            TieBreaker::new(Lookback::None, LotSource::Seed(seed.to_vec()))
                .draw(&tied)
                .unwrap()
        };
        assert_eq!(draw(b"\x01\x02"), draw(b"\x01\x02"));
        assert_ne!(draw(b"\x01\x02"), draw(b"\x01\x03"));
    }

    #[test]
    fn lot_key_known_answer() {
        // SHA-256("teller/count/lot/v1\0" || 0x00 || 0x0000), computed with Python's hashlib.
        let key = lot_key(&[0], c(0));
        assert_eq!(hex(&key), LOT_KEY_ZERO);
    }

    const LOT_KEY_ZERO: &str = "e2d5198f1d90046b1da71a13b4cf5bd4e1b3eb5d8a3b05b56bc973f2f6f4c1d0";

    use base16ct::lower::encode_string as hex;

    #[test]
    fn tie_line_draws_in_the_line_order() {
        let breaker = TieBreaker::new(Lookback::None, LotSource::TieLine(vec![c(2), c(1), c(0)]));
        assert_eq!(
            breaker.draw(&[c(1), c(2), c(0)]).unwrap(),
            vec![c(2), c(1), c(0)]
        );
    }
}
