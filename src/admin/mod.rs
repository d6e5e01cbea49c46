//! Returning-officer operations behind the command line: they do the I/O (files, clock, OS
//! randomness) around `core` and report progress. So far: reading and writing an election record
//! directory, creating an election (definition, keys, shares), `teller simulate`, and the
//! verification benchmark.

mod bench;
mod create;
#[cfg(feature = "server")]
mod office;
mod record_dir;
mod simulate;

pub use bench::{VerifyBench, bench_verify};
pub use create::{
    EXAMPLE_ELECTION, ElectionDefinition, ElectionKeys, TrusteeCount, create_election,
    resolve_time, write_keys,
};
#[cfg(feature = "server")]
pub use office::{
    INVITATION_COLUMNS, ImportReport, IssuerKeys, ServerKeys, adopt, close,
    create as create_stored_election, export_invitations, grant_reissue, import_register,
    load_keys, manifest_of, open, os_seeded, parse_share, read_share, record, tally_election,
};
pub use record_dir::{read_record, write_record};
pub use simulate::{DEFAULT_CHECKPOINTS, SimulateOptions, Simulated, simulate};
