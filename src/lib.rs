//! Teller: a ballot server with verifiable counts for membership organisations.
//!
//! This crate currently holds the counter, [`core::count`]: BLT ballot files in and out, the
//! Scottish STV, Meek, ERS97, IRV and block-vote rules in fixed-point arithmetic, a
//! minimum-representation constraint, and round-by-round reports; and the first piece of the
//! election log, [`core::log`]'s RFC 6962 Merkle tree with inclusion and consistency proofs.
//!
//! ```
//! use teller::core::count::{count, parse_blt, CountOptions, Method};
//!
//! // [returning officer] the ballots, as any STV program writes them
//! let blt = b"3 1\n4 1 2 0\n3 2 0\n2 3 2 0\n0\n\"Ann\"\n\"Bob\"\n\"Cat\"\n\"Example\"\n";
//! let election = parse_blt(blt).unwrap().election;
//! // [scrutineer] the count, under a named rule
//! let options = CountOptions { method: Method::Scottish, seed: None, constraint: None };
//! let report = count(&election, &options).unwrap();
//! assert_eq!(report.elected_names(), ["Bob"]);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
#[cfg(feature = "server")]
pub mod client;
pub mod core;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod store;
