//! Ballot papers for the rules that move whole papers between candidates (Scottish STV, ERS97, IRV):
//! every valid ballot's counted preferences, flattened into one array so a million ballots cost
//! three allocations, not a million.

use super::super::CandidateIndex;
use super::super::election::Election;

/// The counted preferences of every valid ballot, flattened. Ballot `b` is the `b`-th ballot with
/// a non-empty counted prefix, in the election's order.
pub(super) struct Papers {
    /// How many identical ballots each paper stands for.
    pub weights: Vec<u64>,
    starts: Vec<u32>,
    preferences: Vec<CandidateIndex>,
}

impl Papers {
    pub fn new(election: &Election) -> Self {
        let ballots = election.ballots();
        let mut papers = Papers {
            weights: Vec::with_capacity(ballots.len()),
            starts: Vec::with_capacity(ballots.len() + 1),
            preferences: Vec::new(),
        };
        for ballot in ballots {
            let prefix = ballot.counted_prefix();
            if prefix.is_empty() {
                continue;
            }
            papers.weights.push(ballot.weight());
            papers.starts.push(papers.preferences.len() as u32);
            papers
                .preferences
                .extend(prefix.iter().map(|p| p.candidate()));
        }
        papers.starts.push(papers.preferences.len() as u32);
        papers
    }

    /// Ballot `ballot`'s counted preferences, first preference first.
    pub fn ranking(&self, ballot: u32) -> &[CandidateIndex] {
        let b = ballot as usize;
        &self.preferences[self.starts[b] as usize..self.starts[b + 1] as usize]
    }
}
