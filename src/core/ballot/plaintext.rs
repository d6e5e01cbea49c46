//! The ballot plaintext (docs/PROTOCOL.md §9): what a member seals, its fixed length, and its
//! validity under UK STV practice.
//!
//! A ballot is what the member writes on a paper: next to each candidate, a preference number or
//! nothing. The plaintext is `0x01 ‖ candidates (u16 BE) ‖ one u16 BE mark per candidate`, so every
//! ballot of a contest has the same length and its ciphertext says nothing of how many candidates
//! were ranked. Validity (docs/COUNTING.md §1): the ballot counts up to the first break (a
//! preference number missing or given to two candidates); with no unique first preference it is
//! invalid, listed with its reason, never silently dropped.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::fmt;

use crate::core::count::CandidateIndex;

/// The plaintext version byte.
pub const BALLOT_VERSION: u8 = 1;

/// The plaintext length for a contest of `candidates` candidates.
pub fn plaintext_len(candidates: usize) -> usize {
    3 + 2 * candidates
}

/// The marks on one ballot: per candidate in ballot order, 0 for no mark or the preference number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marks(Vec<u16>);

/// Why a ballot does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Invalid {
    /// The sealed ballot does not open under the election key.
    DoesNotOpen,
    /// The plaintext is not a ballot of this contest (length, version, or a mark beyond the
    /// number of candidates).
    Malformed,
    /// No candidate is marked.
    Unmarked,
    /// No candidate is marked 1.
    NoFirstPreference,
    /// More than one candidate is marked 1.
    FirstPreferenceNotUnique,
}

impl Invalid {
    /// The reason as the record writes it.
    pub fn code(self) -> &'static str {
        match self {
            Invalid::DoesNotOpen => "does-not-open",
            Invalid::Malformed => "malformed",
            Invalid::Unmarked => "unmarked",
            Invalid::NoFirstPreference => "no-first-preference",
            Invalid::FirstPreferenceNotUnique => "first-preference-not-unique",
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Marks {
    /// Marks from a ranking: the first candidate listed gets 1, the next 2, …
    pub fn from_ranking(candidates: usize, ranking: &[usize]) -> Self {
        let mut marks = vec![0u16; candidates];
        for (rank, &candidate) in ranking.iter().enumerate() {
            if let Some(mark) = marks.get_mut(candidate) {
                *mark = u16::try_from(rank + 1).unwrap_or(u16::MAX);
            }
        }
        Self(marks)
    }

    /// Marks as written, one per candidate (0 = none).
    pub fn from_marks(marks: Vec<u16>) -> Self {
        Self(marks)
    }

    /// The marks, one per candidate.
    pub fn marks(&self) -> &[u16] {
        &self.0
    }

    /// The plaintext: `0x01 ‖ n (u16 BE) ‖ n marks (u16 BE)`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(plaintext_len(self.0.len()));
        out.push(BALLOT_VERSION);
        out.extend_from_slice(&(self.0.len() as u16).to_be_bytes());
        for mark in &self.0 {
            out.extend_from_slice(&mark.to_be_bytes());
        }
        out
    }

    /// Reads a plaintext of a contest with `candidates` candidates.
    pub fn decode(bytes: &[u8], candidates: usize) -> Result<Self, Invalid> {
        if bytes.len() != plaintext_len(candidates) {
            return Err(Invalid::Malformed);
        }
        let [BALLOT_VERSION, hi, lo, rest @ ..] = bytes else {
            return Err(Invalid::Malformed);
        };
        if usize::from(u16::from_be_bytes([*hi, *lo])) != candidates {
            return Err(Invalid::Malformed);
        }
        let marks: Vec<u16> = rest
            .chunks_exact(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect();
        if marks.iter().any(|&m| usize::from(m) > candidates) {
            return Err(Invalid::Malformed);
        }
        Ok(Self(marks))
    }

    /// The ranking that counts: candidates marked 1, 2, 3, … up to the first number that is
    /// missing or given to more than one candidate.
    pub fn ranking(&self) -> Result<Vec<CandidateIndex>, Invalid> {
        if self.0.iter().all(|&m| m == 0) {
            return Err(Invalid::Unmarked);
        }
        let mut ranking = Vec::new();
        for preference in 1..=self.0.len() {
            let mut marked = self
                .0
                .iter()
                .enumerate()
                .filter(|&(_, &m)| usize::from(m) == preference);
            match (marked.next(), marked.next()) {
                (Some((candidate, _)), None) => {
                    ranking.push(CandidateIndex::new(candidate as u16));
                }
                (None, _) if preference == 1 => return Err(Invalid::NoFirstPreference),
                (Some(_), Some(_)) if preference == 1 => {
                    return Err(Invalid::FirstPreferenceNotUnique);
                }
                _ => break,
            }
        }
        Ok(ranking)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranking(marks: &[u16]) -> Result<Vec<usize>, Invalid> {
        Marks::from_marks(marks.to_vec())
            .ranking()
            .map(|r| r.iter().map(|c| c.get()).collect())
    }

    #[test]
    fn plaintext_known_answer() {
        let marks = Marks::from_ranking(3, &[2, 0]);
        assert_eq!(marks.encode(), [1, 0, 3, 0, 2, 0, 0, 0, 1]);
        assert_eq!(Marks::decode(&marks.encode(), 3).unwrap(), marks);
    }

    #[test]
    fn every_ballot_of_a_contest_has_one_length() {
        let full = Marks::from_ranking(5, &[0, 1, 2, 3, 4]).encode();
        let one = Marks::from_ranking(5, &[3]).encode();
        let none = Marks::from_ranking(5, &[]).encode();
        assert_eq!(full.len(), plaintext_len(5));
        assert_eq!(one.len(), full.len());
        assert_eq!(none.len(), full.len());
    }

    #[test]
    fn counts_up_to_the_first_break() {
        assert_eq!(ranking(&[2, 1, 3]), Ok(vec![1, 0, 2]));
        assert_eq!(ranking(&[1, 0, 3]), Ok(vec![0]), "2 missing");
        assert_eq!(ranking(&[1, 2, 2, 3]), Ok(vec![0]), "2 repeated");
        assert_eq!(ranking(&[0, 1, 0]), Ok(vec![1]));
    }

    #[test]
    fn invalid_without_a_unique_first_preference() {
        assert_eq!(ranking(&[0, 0, 0]), Err(Invalid::Unmarked));
        assert_eq!(ranking(&[2, 3, 0]), Err(Invalid::NoFirstPreference));
        assert_eq!(ranking(&[1, 1, 2]), Err(Invalid::FirstPreferenceNotUnique));
    }

    #[test]
    fn rejects_malformed_plaintexts() {
        let good = Marks::from_ranking(3, &[0]).encode();
        assert_eq!(Marks::decode(&good[..8], 3), Err(Invalid::Malformed));
        assert_eq!(Marks::decode(&good, 4), Err(Invalid::Malformed));
        let mut bad = good.clone();
        bad[0] = 2;
        assert_eq!(Marks::decode(&bad, 3), Err(Invalid::Malformed));
        let mut bad = good.clone();
        bad[2] = 4;
        assert_eq!(Marks::decode(&bad, 3), Err(Invalid::Malformed));
        let mut bad = good;
        bad[4] = 4;
        assert_eq!(
            Marks::decode(&bad, 3),
            Err(Invalid::Malformed),
            "mark 4 of 3"
        );
    }
}
