//! Returning-officer operations behind the command line: they do the I/O (files, clock, OS
//! randomness) around `core` and report progress. So far: reading and writing an election record
//! directory, creating an election (definition, keys, shares), `teller simulate`, and the
//! verification benchmark.

mod bench;
mod create;
mod record_dir;
mod simulate;

pub use bench::{VerifyBench, bench_verify};
pub use create::{
    EXAMPLE_ELECTION, ElectionDefinition, ElectionKeys, TrusteeCount, create_election, write_keys,
};
pub use record_dir::{read_record, write_record};
pub use simulate::{SimulateOptions, Simulated, simulate};
