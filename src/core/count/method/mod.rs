//! The counting rules. One file per rule, each stating its arithmetic and citing its rule text.

use std::fmt;
use std::str::FromStr;

use super::tie::Lookback;

pub(super) mod block;
pub(super) mod ers97;
pub(super) mod irv;
mod ledger;
pub(super) mod meek;
mod papers;
pub(super) mod scottish;
mod stages;

/// A counting rule, named exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Scottish Local Government Elections Order 2007, Sch. 1 rules 45–52: weighted inclusive
    /// Gregory, 5 decimal places truncated.
    Scottish,
    /// Meek's method, New Zealand rules / Hill–Wichmann–Woodall Algorithm 123, 9 decimal places.
    Meek,
    /// The Electoral Reform Society's 1997 rules (3rd edition), 2 decimal places.
    Ers97,
    /// Instant-runoff voting: single seat, one exclusion per round.
    Irv,
    /// Block vote: each ballot's first N preferences count one vote each.
    Block,
}

impl Method {
    /// Every method, in the order the command line lists them.
    pub const ALL: [Method; 5] = [
        Method::Scottish,
        Method::Meek,
        Method::Ers97,
        Method::Irv,
        Method::Block,
    ];

    /// The short name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Method::Scottish => "scottish",
            Method::Meek => "meek",
            Method::Ers97 => "ers97",
            Method::Irv => "irv",
            Method::Block => "block",
        }
    }

    /// Decimal places of the rule's arithmetic.
    pub fn decimals(self) -> u32 {
        match self {
            Method::Scottish => 5,
            Method::Meek => 9,
            Method::Ers97 => 2,
            Method::Irv | Method::Block => 0,
        }
    }

    /// Which earlier round the rule looks back to when breaking a tie.
    pub fn lookback(self) -> Lookback {
        match self {
            Method::Scottish => Lookback::MostRecent,
            Method::Meek | Method::Ers97 | Method::Irv => Lookback::Earliest,
            Method::Block => Lookback::None,
        }
    }

    /// A one-line statement of the rule and its arithmetic, printed on every report.
    pub fn description(self) -> &'static str {
        match self {
            Method::Scottish => {
                "Scottish STV (SSI 2007/42 Sch. 1 rules 45-52): weighted inclusive Gregory, values truncated to 5 decimal places, quota floor(valid/(seats+1))+1"
            }
            Method::Meek => {
                "Meek STV (New Zealand rules / Hill-Wichmann-Woodall Algorithm 123): fixed point, 9 decimal places, omega 0.000001"
            }
            Method::Ers97 => {
                "ERS97 STV (Electoral Reform Society, 3rd edition 1997): 2 decimal places truncated, quota valid/(seats+1) rounded up to 2 places (5.1.6)"
            }
            Method::Irv => {
                "Instant-runoff voting: single seat, elected by a majority of continuing votes"
            }
            Method::Block => {
                "Block vote: each ballot's first N preferences count one vote each; N = seats"
            }
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown method name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown counting method {0:?}; expected one of scottish, meek, ers97, irv, block")]
pub struct UnknownMethod(String);

impl FromStr for Method {
    type Err = UnknownMethod;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| UnknownMethod(name.to_owned()))
    }
}
