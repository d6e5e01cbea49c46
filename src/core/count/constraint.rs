//! The minimum-representation constraint: "at least K of the seats go to candidates in group G".
//!
//! The rule (docs/COUNTING.md, "Minimum representation") is guard and doom:
//! - `needed` = K minus the group members already elected (never below 0);
//!   `seats_left` = seats minus candidates already elected.
//! - **Doom**: when `needed ≥ seats_left`, every continuing candidate outside the group is excluded
//!   (reason [`Reason::ConstraintDoomed`](super::report::Reason::ConstraintDoomed)), before any
//!   further transfer, because every remaining seat must go to the group.
//! - **Block**: a candidate outside the group who reaches the quota is elected only while
//!   `needed < seats_left`; otherwise they are excluded instead (reason `ConstraintBlocked`).
//! - **Guard**: when the continuing group members are no more than `needed`, none of them may be
//!   excluded; the lowest unguarded candidate is excluded instead.
//!
//! Every method applies these three checks at the points its own rules elect and exclude.

// Parsers of outside input never panic (STYLE.md §4).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::fmt;
use std::str::FromStr;

use super::CountError;
use super::election::{CandidateIndex, Election};
use super::report::CandidateStatus;

/// Which candidate attribute a constraint groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribute {
    /// The candidate's gender.
    Gender,
    /// The candidate's slate.
    Slate,
}

/// "At least `minimum` seats go to candidates whose `attribute` is `value`."
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    /// The attribute grouped by.
    pub attribute: Attribute,
    /// The attribute value that puts a candidate in the group.
    pub value: String,
    /// The minimum number of seats for the group.
    pub minimum: usize,
}

/// Why a constraint description could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "constraint {text:?} is not of the form ATTRIBUTE=VALUE:MINIMUM, e.g. gender=W:5 (attributes: gender, slate)"
)]
pub struct ConstraintParseError {
    text: String,
}

impl FromStr for Constraint {
    type Err = ConstraintParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ConstraintParseError {
            text: text.to_owned(),
        };
        let (attribute, rest) = text.split_once('=').ok_or_else(bad)?;
        let (value, minimum) = rest.rsplit_once(':').ok_or_else(bad)?;
        let attribute = match attribute.trim() {
            "gender" => Attribute::Gender,
            "slate" => Attribute::Slate,
            _ => return Err(bad()),
        };
        let minimum = minimum.trim().parse().map_err(|_| bad())?;
        if value.is_empty() {
            return Err(bad());
        }
        Ok(Self {
            attribute,
            value: value.to_owned(),
            minimum,
        })
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attribute = match self.attribute {
            Attribute::Gender => "gender",
            Attribute::Slate => "slate",
        };
        write!(
            f,
            "at least {} seats for {attribute} {}",
            self.minimum, self.value
        )
    }
}

/// A constraint bound to one election: who is in the group, and the guard/doom/block tests.
#[derive(Clone, Debug)]
pub struct ConstraintState {
    minimum: usize,
    seats: usize,
    in_group: Vec<bool>,
}

impl ConstraintState {
    /// Binds `constraint` to `election`, refusing one that no result could satisfy.
    pub fn new(constraint: &Constraint, election: &Election) -> Result<Self, CountError> {
        let in_group: Vec<bool> = election
            .candidates()
            .iter()
            .map(|c| {
                let value = match constraint.attribute {
                    Attribute::Gender => c.attributes.gender.as_deref(),
                    Attribute::Slate => c.attributes.slate.as_deref(),
                };
                !c.withdrawn && value == Some(constraint.value.as_str())
            })
            .collect();
        let standing = in_group.iter().filter(|&&g| g).count();
        if constraint.minimum > election.seats() || standing < constraint.minimum {
            return Err(CountError::ConstraintUnsatisfiable {
                minimum: constraint.minimum,
                seats: election.seats(),
                standing,
            });
        }
        Ok(Self {
            minimum: constraint.minimum,
            seats: election.seats(),
            in_group,
        })
    }

    /// Whether `candidate` is in the group.
    pub fn in_group(&self, candidate: CandidateIndex) -> bool {
        self.in_group[candidate.get()]
    }

    /// Seats the group still needs.
    pub fn needed(&self, status: &[CandidateStatus]) -> usize {
        let elected = self.count(status, CandidateStatus::Elected);
        self.minimum.saturating_sub(elected)
    }

    /// Seats not yet filled.
    pub fn seats_left(&self, status: &[CandidateStatus]) -> usize {
        let elected = status
            .iter()
            .filter(|s| **s == CandidateStatus::Elected)
            .count();
        self.seats.saturating_sub(elected)
    }

    fn count(&self, status: &[CandidateStatus], wanted: CandidateStatus) -> usize {
        status
            .iter()
            .zip(&self.in_group)
            .filter(|(s, g)| **s == wanted && **g)
            .count()
    }

    /// Continuing candidates outside the group who must be excluded now (empty unless the group
    /// needs every remaining seat).
    pub fn doomed(&self, status: &[CandidateStatus]) -> Vec<CandidateIndex> {
        let needed = self.needed(status);
        if needed == 0 || needed < self.seats_left(status) {
            return Vec::new();
        }
        status
            .iter()
            .enumerate()
            .filter(|(i, s)| **s == CandidateStatus::Hopeful && !self.in_group[*i])
            .map(|(i, _)| CandidateIndex::new(i as u16))
            .collect()
    }

    /// Whether `candidate` may be elected now without making the constraint unsatisfiable.
    pub fn may_elect(&self, candidate: CandidateIndex, status: &[CandidateStatus]) -> bool {
        self.in_group(candidate) || self.needed(status) < self.seats_left(status)
    }

    /// Whether `candidate` is protected from exclusion: the group has no continuing members to spare.
    pub fn guarded(&self, candidate: CandidateIndex, status: &[CandidateStatus]) -> bool {
        self.in_group(candidate)
            && self.count(status, CandidateStatus::Hopeful) <= self.needed(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_gender_and_slate_constraints() {
        let c: Constraint = "gender=W:5".parse().unwrap();
        assert_eq!(
            c,
            Constraint {
                attribute: Attribute::Gender,
                value: "W".into(),
                minimum: 5
            }
        );
        let c: Constraint = "slate=Left: Unity:2".parse().unwrap();
        assert_eq!(c.value, "Left: Unity");
    }

    #[test]
    fn rejects_malformed_constraints() {
        for text in ["gender", "gender=W", "age=W:5", "gender=W:x", "gender=:3"] {
            assert!(
                text.parse::<Constraint>().is_err(),
                "{text} should be rejected"
            );
        }
    }
}
