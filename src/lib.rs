//! Teller: a ballot server with verifiable counts for membership organisations.
//!
//! [`core`] is the logic everyone else is a shell around and a scrutineer audits: the manifest,
//! passes, sealed ballots, the logs, the election record and its verifier, and the counter
//! ([`core::count`]: BLT files, Scottish STV, Meek, ERS97, IRV and block vote in fixed-point
//! arithmetic, with a minimum-representation constraint). It builds alone
//! (`--no-default-features`) and for the browser's WebAssembly. With the `server` feature:
//! `store` (the database), `server` (`teller serve`), `client` (Teller's member client) and the
//! returning officer's operations in [`admin`]. ARCHITECTURE.md is the map.
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

#[cfg(not(target_arch = "wasm32"))]
pub mod admin;
#[cfg(feature = "server")]
pub mod client;
pub mod core;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod store;
