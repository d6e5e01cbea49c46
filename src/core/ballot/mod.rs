//! The ballot: its plaintext, fixed length and validity (docs/PROTOCOL.md §9), and the ballot
//! box's decision on a cast (§10).

mod cast;
mod plaintext;

pub use cast::{
    AcceptedCast, BallotRefused, CastRefused, CastRequest, accept_cast, check_ballot,
    check_sequenced,
};
pub use plaintext::{BALLOT_VERSION, Invalid, Marks, plaintext_len};
