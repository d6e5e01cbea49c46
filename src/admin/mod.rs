//! Returning-officer operations behind the command line: they do the I/O (files, clock, OS
//! randomness) around `core` and report progress. So far: reading and writing an election record
//! directory, `teller simulate`, and the verification benchmark.

mod bench;
mod record_dir;
mod simulate;

pub use bench::{VerifyBench, bench_verify};
pub use record_dir::{read_record, write_record};
pub use simulate::{SimulateOptions, Simulated, SimulatedKeys, simulate};
