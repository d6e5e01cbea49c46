//! A parsed election: candidates, seats and the merged ballots every counting method reads.
//!
//! An [`Election`] is built once, by the BLT parser or by the generator, and is never modified by
//! a count. Withdrawn candidates are removed from ballots on the way in, and identical ballots are
//! merged (their weights added), so every method sees the same, smallest, input.

// Parsers of outside input never panic (STYLE.md §4).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::fmt;
use std::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;

/// The largest total ballot weight accepted. It bounds every vote total so fixed-point arithmetic
/// at 9 decimal places fits in `i64` (see `fixed.rs`). A billion ballots is far above any election.
pub const MAX_TOTAL_WEIGHT: u64 = 1_000_000_000;

/// The largest number of candidates accepted (preferences are stored as 15-bit indices).
pub const MAX_CANDIDATES: usize = 10_000;

/// A candidate's position in the election's candidate list, from 0.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CandidateIndex(u16);

impl CandidateIndex {
    /// The candidate at position `index` (from 0). The caller checks `index < MAX_CANDIDATES`.
    pub const fn new(index: u16) -> Self {
        Self(index)
    }

    /// The position as a `usize`, for indexing per-candidate vectors.
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Debug for CandidateIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Side information about a candidate that constraints and slate reports use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CandidateAttributes {
    /// The candidate's gender as the register records it (for example `W`, `M`).
    pub gender: Option<String>,
    /// The slate (faction, party list) the candidate stood on.
    pub slate: Option<String>,
}

/// One candidate as the ballot file names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The name exactly as written in the ballot file.
    pub name: String,
    /// Short name from a `[nick …]` line, if any.
    pub nick: Option<String>,
    /// Withdrawn before the count: never elected, skipped on every ballot.
    pub withdrawn: bool,
    /// Gender and slate, when known.
    pub attributes: CandidateAttributes,
}

/// One entry of a ballot's ranking: a candidate, and whether it shares its rank with the previous
/// entry (`a=b` in BLT).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Preference(u16);

impl Preference {
    const EQUAL_BIT: u16 = 0x8000;

    fn new(candidate: CandidateIndex, equal_to_previous: bool) -> Self {
        Self(
            candidate.0
                | if equal_to_previous {
                    Self::EQUAL_BIT
                } else {
                    0
                },
        )
    }

    /// The ranked candidate.
    pub fn candidate(self) -> CandidateIndex {
        CandidateIndex(self.0 & !Self::EQUAL_BIT)
    }

    /// True when this candidate shares its rank with the preceding entry.
    pub fn equal_to_previous(self) -> bool {
        self.0 & Self::EQUAL_BIT != 0
    }
}

impl fmt::Debug for Preference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.equal_to_previous() {
            write!(f, "={:?}", self.candidate())
        } else {
            write!(f, "{:?}", self.candidate())
        }
    }
}

/// A ranked ballot and how many identical ballots it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ballot {
    weight: u64,
    preferences: Box<[Preference]>,
}

impl Ballot {
    /// How many voters cast exactly this ranking.
    pub fn weight(&self) -> u64 {
        self.weight
    }

    /// The ranking, first preference first, with equal ranks marked.
    pub fn preferences(&self) -> &[Preference] {
        &self.preferences
    }

    /// The ranks in order, each a group of one or more candidates ranked equally.
    pub fn ranks(&self) -> impl Iterator<Item = &[Preference]> {
        self.preferences
            .chunk_by(|_, next| next.equal_to_previous())
    }

    /// The candidates this ballot counts for under UK STV practice: preferences up to the first
    /// break. An equal ranking is a break (two candidates marked with the same number), so the
    /// ballot counts only up to the rank before it. Empty for a blank ballot or one with no unique
    /// first preference.
    pub fn counted_prefix(&self) -> &[Preference] {
        let end = self
            .preferences
            .iter()
            .position(|p| p.equal_to_previous())
            .map_or(self.preferences.len(), |i| i - 1);
        &self.preferences[..end]
    }

    /// Whether the ballot is blank, valid, or has no unique first preference.
    pub fn validity(&self) -> BallotValidity {
        match self.preferences.get(1) {
            _ if self.preferences.is_empty() => BallotValidity::Blank,
            Some(second) if second.equal_to_previous() => BallotValidity::NoUniqueFirstPreference,
            _ => BallotValidity::Valid,
        }
    }
}

/// How a ballot fares under the validity rule (DESIGN.md "Ballot validity").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BallotValidity {
    /// Has a unique first preference.
    Valid,
    /// Ranks nobody (or only withdrawn candidates).
    Blank,
    /// Ranks several candidates first.
    NoUniqueFirstPreference,
}

/// Why an election could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ElectionError {
    /// No candidates at all.
    #[error("the election has no candidates")]
    NoCandidates,
    /// More candidates than the counter supports.
    #[error("the election has {found} candidates; at most {MAX_CANDIDATES} are supported")]
    TooManyCandidates {
        /// How many candidates were given.
        found: usize,
    },
    /// Seats must be at least one.
    #[error("the number of seats must be at least 1")]
    NoSeats,
    /// Seats exceed the candidates standing.
    #[error("{seats} seats but only {standing} candidates standing (not withdrawn)")]
    MoreSeatsThanCandidates {
        /// Seats to fill.
        seats: usize,
        /// Candidates not withdrawn.
        standing: usize,
    },
    /// The total weight is beyond what the arithmetic is proven for.
    #[error("the ballots' total weight exceeds {MAX_TOTAL_WEIGHT}")]
    TooManyBallots,
    /// Two candidates share a name, so results would be ambiguous.
    #[error("two candidates are both named {name:?}")]
    DuplicateName {
        /// The repeated name.
        name: String,
    },
}

/// Builds an [`Election`] ballot by ballot, merging identical rankings.
///
/// Distinct rankings are kept in one flat arena and found through a hash table of arena
/// positions, so merging a million ballots costs one hash and no allocation per ballot. The hash
/// is keyed at random per builder (foldhash's `RandomState`), so a crafted file cannot force
/// collisions; it never affects the result, because ballots keep their order of first appearance.
pub struct ElectionBuilder {
    candidates: Vec<Candidate>,
    /// (hash, index into `distinct`): the hash is stored so that growing the table never rehashes.
    table: HashTable<(u64, u32)>,
    hasher: foldhash::fast::RandomState,
    arena: Vec<Preference>,
    /// (start in arena, length, weight) of each distinct ranking, in order of first appearance.
    distinct: Vec<(u32, u32, u64)>,
    total_weight: u64,
    scratch: Vec<Preference>,
}

impl fmt::Debug for ElectionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ElectionBuilder")
            .field("candidates", &self.candidates.len())
            .field("distinct_ballots", &self.distinct.len())
            .field("total_weight", &self.total_weight)
            .finish()
    }
}

impl ElectionBuilder {
    /// Starts an election with these candidates (withdrawn flags already set).
    pub fn new(candidates: Vec<Candidate>) -> Result<Self, ElectionError> {
        check_candidates(&candidates)?;
        Ok(Self::new_unnamed(candidates))
    }

    /// Starts an election whose candidate names are not known yet (BLT puts names after the
    /// ballots); [`ElectionBuilder::with_names`] must follow.
    pub fn new_unnamed(candidates: Vec<Candidate>) -> Self {
        Self {
            candidates,
            table: HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
            arena: Vec::new(),
            distinct: Vec::new(),
            total_weight: 0,
            scratch: Vec::new(),
        }
    }

    /// Sets the candidates' names, in order, and checks them.
    pub fn with_names(mut self, names: Vec<String>) -> Result<Self, ElectionError> {
        for (candidate, name) in self.candidates.iter_mut().zip(names) {
            candidate.name = name;
        }
        check_candidates(&self.candidates)?;
        Ok(self)
    }

    /// The candidates, as given.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// Adds `weight` ballots ranking `ranks` in order; each rank is one or more candidates ranked
    /// equally. Withdrawn candidates are dropped from the ranking (an emptied rank disappears).
    /// The caller has checked every index is in range and no candidate appears twice.
    pub fn add<'a>(
        &mut self,
        weight: u64,
        ranks: impl IntoIterator<Item = &'a [CandidateIndex]>,
    ) -> Result<(), ElectionError> {
        self.scratch.clear();
        for rank in ranks {
            let mut first_in_rank = true;
            for &candidate in rank {
                if self.candidates[candidate.get()].withdrawn {
                    continue;
                }
                self.scratch
                    .push(Preference::new(candidate, !first_in_rank));
                first_in_rank = false;
            }
        }
        self.add_preferences(weight)
    }

    fn add_preferences(&mut self, weight: u64) -> Result<(), ElectionError> {
        self.total_weight = self
            .total_weight
            .checked_add(weight)
            .filter(|total| *total <= MAX_TOTAL_WEIGHT)
            .ok_or(ElectionError::TooManyBallots)?;
        if weight == 0 {
            return Ok(());
        }
        if self.arena.len() + self.scratch.len() > u32::MAX as usize {
            return Err(ElectionError::TooManyBallots);
        }
        let Self {
            table,
            hasher,
            arena,
            distinct,
            scratch,
            ..
        } = self;
        let hash = ranking_hash(hasher, scratch);
        let found = table.find(hash, |&(h, at)| {
            let (start, len, _) = distinct[at as usize];
            h == hash && &arena[start as usize..(start + len) as usize] == scratch.as_slice()
        });
        if let Some(&(_, at)) = found {
            distinct[at as usize].2 += weight;
            return Ok(());
        }
        table.insert_unique(hash, (hash, distinct.len() as u32), |&(h, _)| h);
        distinct.push((arena.len() as u32, scratch.len() as u32, weight));
        arena.extend_from_slice(scratch);
        Ok(())
    }

    /// Finishes the election with `seats` seats.
    pub fn build(
        self,
        title: String,
        seats: usize,
        tie_order: Option<Vec<CandidateIndex>>,
    ) -> Result<Election, ElectionError> {
        if seats == 0 {
            return Err(ElectionError::NoSeats);
        }
        let standing = self.candidates.iter().filter(|c| !c.withdrawn).count();
        if seats > standing {
            return Err(ElectionError::MoreSeatsThanCandidates { seats, standing });
        }
        let ballots = self
            .distinct
            .iter()
            .map(|&(start, len, weight)| Ballot {
                weight,
                preferences: self.arena[start as usize..(start + len) as usize].into(),
            })
            .collect();
        Ok(Election {
            title,
            seats,
            candidates: self.candidates,
            ballots,
            tie_order,
        })
    }
}

fn check_candidates(candidates: &[Candidate]) -> Result<(), ElectionError> {
    if candidates.is_empty() {
        return Err(ElectionError::NoCandidates);
    }
    if candidates.len() > MAX_CANDIDATES {
        return Err(ElectionError::TooManyCandidates {
            found: candidates.len(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for candidate in candidates {
        if !seen.insert(candidate.name.as_str()) {
            return Err(ElectionError::DuplicateName {
                name: candidate.name.clone(),
            });
        }
    }
    Ok(())
}

/// Hashes a ranking four preferences to a word: hashing element by element is several times slower
/// and this is the hot loop of reading a million-ballot file.
fn ranking_hash(hasher: &foldhash::fast::RandomState, ranking: &[Preference]) -> u64 {
    let mut state = hasher.build_hasher();
    for chunk in ranking.chunks(4) {
        let word = chunk
            .iter()
            .fold(0u64, |word, p| (word << 16) | u64::from(p.0));
        state.write_u64(word);
    }
    state.write_usize(ranking.len());
    state.finish()
}

/// A validated election ready to count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Election {
    title: String,
    seats: usize,
    candidates: Vec<Candidate>,
    ballots: Vec<Ballot>,
    tie_order: Option<Vec<CandidateIndex>>,
}

impl Election {
    /// The election's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Seats to fill.
    pub fn seats(&self) -> usize {
        self.seats
    }

    /// All candidates, withdrawn ones included, in file order.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// The merged ballots, in order of first appearance.
    pub fn ballots(&self) -> &[Ballot] {
        &self.ballots
    }

    /// The `[tie]` order from the ballot file, if it had one (earlier = preferred to win).
    pub fn tie_order(&self) -> Option<&[CandidateIndex]> {
        self.tie_order.as_deref()
    }

    /// The total weight of all ballots, blank and invalid included.
    pub fn total_weight(&self) -> u64 {
        self.ballots.iter().map(Ballot::weight).sum()
    }

    /// The same election with a different number of seats (the `--seats` override).
    pub fn with_seats(mut self, seats: usize) -> Result<Self, ElectionError> {
        if seats == 0 {
            return Err(ElectionError::NoSeats);
        }
        let standing = self.candidates.iter().filter(|c| !c.withdrawn).count();
        if seats > standing {
            return Err(ElectionError::MoreSeatsThanCandidates { seats, standing });
        }
        self.seats = seats;
        Ok(self)
    }

    /// Attaches gender/slate attributes to candidates by position.
    pub fn set_attributes(&mut self, candidate: CandidateIndex, attributes: CandidateAttributes) {
        if let Some(c) = self.candidates.get_mut(candidate.get()) {
            c.attributes = attributes;
        }
    }

    /// Finds a candidate by the exact name in the ballot file, or by nickname.
    pub fn candidate_by_name(&self, name: &str) -> Option<CandidateIndex> {
        self.candidates
            .iter()
            .position(|c| c.name == name || c.nick.as_deref() == Some(name))
            .map(|i| CandidateIndex(i as u16))
    }

    /// Every candidate's index, in file order.
    pub fn candidate_indices(&self) -> impl Iterator<Item = CandidateIndex> + '_ {
        (0..self.candidates.len()).map(|i| CandidateIndex(i as u16))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(n: usize) -> Vec<Candidate> {
        (0..n)
            .map(|i| Candidate {
                name: format!("C{i}"),
                nick: None,
                withdrawn: i == n - 1,
                attributes: CandidateAttributes::default(),
            })
            .collect()
    }

    fn c(i: u16) -> CandidateIndex {
        CandidateIndex(i)
    }

    #[test]
    fn merges_identical_ballots_and_drops_withdrawn_candidates() {
        let mut builder = ElectionBuilder::new(candidates(4)).unwrap();
        builder.add(2, [&[c(0)][..], &[c(1)]]).unwrap();
        builder.add(3, [&[c(0)][..], &[c(3)], &[c(1)]]).unwrap();
        let election = builder.build("t".into(), 2, None).unwrap();
        assert_eq!(election.ballots().len(), 1);
        assert_eq!(election.ballots()[0].weight(), 5);
    }

    #[test]
    fn equal_ranking_is_a_break() {
        let mut builder = ElectionBuilder::new(candidates(4)).unwrap();
        builder.add(1, [&[c(0)][..], &[c(1), c(2)]]).unwrap();
        builder.add(1, [&[c(1), c(2)][..], &[c(0)]]).unwrap();
        let election = builder.build("t".into(), 1, None).unwrap();
        let [first, second] = election.ballots() else {
            panic!("two ballots expected")
        };
        assert_eq!(first.counted_prefix().len(), 1);
        assert_eq!(first.validity(), BallotValidity::Valid);
        assert_eq!(second.counted_prefix().len(), 0);
        assert_eq!(second.validity(), BallotValidity::NoUniqueFirstPreference);
    }

    #[test]
    fn rejects_more_seats_than_standing_candidates() {
        let builder = ElectionBuilder::new(candidates(3)).unwrap();
        let err = builder.build("t".into(), 3, None).unwrap_err();
        assert_eq!(
            err,
            ElectionError::MoreSeatsThanCandidates {
                seats: 3,
                standing: 2
            }
        );
    }

    #[test]
    fn rejects_total_weight_beyond_the_arithmetic_bound() {
        let mut builder = ElectionBuilder::new(candidates(2)).unwrap();
        builder.add(MAX_TOTAL_WEIGHT, [&[c(0)][..]]).unwrap();
        assert_eq!(
            builder.add(1, [&[c(0)][..]]),
            Err(ElectionError::TooManyBallots)
        );
    }
}
