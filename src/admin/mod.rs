//! Returning-officer operations behind the command line: they do the I/O (files, clock, OS
//! randomness) around `core` and report progress: reading and writing an election record
//! directory, creating an election (definition, keys, shares), the officer's commands against
//! the database, `teller simulate`, and the verification benchmark.
//!
//! The verifier-only build (`--no-default-features`) has only what a scrutineer runs: reading a
//! record and the verification benchmark. Everything that writes keys, records or the database is
//! built with `server`.

mod bench;
#[cfg(feature = "server")]
pub mod ceremony;
#[cfg(feature = "server")]
pub mod create;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
mod office;
#[cfg(feature = "server")]
pub mod officers;
mod progress;
mod record_dir;
#[cfg(feature = "server")]
mod simulate;
#[cfg(feature = "server")]
mod tally;

pub use bench::{VerifyBench, bench_argon2, bench_verify};
#[cfg(feature = "server")]
pub use create::{
    EXAMPLE_ELECTION, ElectionDefinition, ElectionKeys, KeyMaking, TrusteeCount, create_election,
    resolve_time, secret_seed, write_keys, write_secret, write_share,
};
#[cfg(feature = "server")]
pub use office::{
    ImportReport, MAX_REASON_CHARS, Officers, RegisterPlan, RegisterRefused, adopt, apply_register,
    create as create_stored_election, edit_election, export_invitations, grant_reissue,
    import_register, open, plan_register, record, remove_member,
};
pub use progress::ProgressLine;
pub use record_dir::{count_from_record, read_record};
#[cfg(feature = "server")]
pub use record_dir::{write_record, write_record_archive};
#[cfg(feature = "server")]
pub use simulate::{CeremonyShares, DEFAULT_CHECKPOINTS, SimulateOptions, Simulated, simulate};
#[cfg(feature = "server")]
pub use tally::{parse_share, read_share, tally_election};
