//! The `teller` command line: the arguments (clap) and the dispatch. The commands that need no
//! database are in `offline.rs`, the others in `commands/`; each reads its files, calls the
//! library and prints. No counting or protocol logic lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[cfg(feature = "server")]
mod commands;
mod offline;

use teller::core::count::{Constraint, Method};

#[derive(Parser)]
#[command(
    name = "teller",
    version,
    about = "Ballot server with verifiable counts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Count a BLT ballot file under a named STV rule and print the round-by-round result.
    Count(CountArgs),
    /// Write a synthetic election (slates, name recognition, truncated rankings) as BLT.
    Gen(GenArgs),
    /// Run a whole election in one process (issuer, booth, ballot box, trustees, tally) and write
    /// its election record.
    #[cfg(feature = "server")]
    Simulate(SimulateArgs),
    /// Check an election record: prints PASS or FAIL per check and the totals; exit status 0 only
    /// if every check passes (1 if one fails, 2 if the record could not be read).
    Verify(VerifyArgs),
    /// Tally: with --share, a closed election in the database (t trustees' shares rebuild the key;
    /// decrypt, count, verify, store the results); otherwise verify a record directory and, only
    /// if every check passes, print one contest's count from it.
    Tally(TallyArgs),
    /// Returning-officer commands for an election: create, open, close, list.
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Election(commands::ElectionCommand),
    /// The register of members.
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Register(commands::RegisterCommand),
    /// Invitation codes for the members.
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Invitations(commands::InvitationsCommand),
    /// Voting passes: a re-issue the returning officer grants.
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Passes(commands::PassesCommand),
    /// Turnout per contest and region (never a running tally).
    #[cfg(feature = "server")]
    Turnout {
        /// The election id.
        election: String,
        #[command(flatten)]
        db: commands::Database,
    },
    /// The election record of a stored election.
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Record(commands::RecordCommand),
    /// Serve the member and public-log API (docs/API.md).
    #[cfg(feature = "server")]
    Serve(commands::ServeArgs),
    /// Create a throwaway demo election, print member numbers with codes, and serve it.
    #[cfg(feature = "server")]
    Demo(commands::DemoArgs),
    /// Members voting over real HTTP: Teller's own client, and the load generator.
    #[cfg(feature = "server")]
    VoteSim(commands::VoteSimArgs),
    /// Witness an election's logs: cosign each checkpoint that extends the last one you cosigned,
    /// and refuse (exit 3, printing the proof) when the server shows a fork. `teller witness
    /// keygen` makes your key.
    #[cfg(feature = "server")]
    Witness(commands::WitnessArgs),
    /// The trustees' key ceremony: keygen, setup, round1, round2, finish, status, check
    /// (README, "The trustees' ceremony").
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Trustee(commands::TrusteeCommand),
    /// Returning officers of the console: the server's administrator names who may run which
    /// election from a browser (README, "Officers and the console").
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Officer(commands::OfficerCommand),
    /// Benchmarks (docs/BENCHMARKS.md).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Check a ballot audit file from the booth ("check a sealed ballot"): re-seals the ranking it
    /// claims with the revealed key material and compares bytes (docs/PROTOCOL.md §15). Exit
    /// status 0 only if every sealed ballot in the file holds what the file says.
    AuditBallot {
        /// The audit file the booth offered for download.
        file: PathBuf,
        /// The election's manifest (from the server's /api/elections/{id}/manifest or the record).
        #[arg(long)]
        manifest: PathBuf,
    },
    /// The booth's code and operations, natively.
    #[command(subcommand)]
    Booth(BoothCommand),
}

#[derive(Subcommand)]
enum BoothCommand {
    /// Print the SHA-256 of every file of the booth built into this binary and the hash of the
    /// whole, as the booth's start page shows it: compare with a build of your own.
    #[cfg(feature = "server")]
    Hash,
    /// Answer one booth request (JSON on standard input, docs/design/booth.md) with the same Rust
    /// the browser runs as WebAssembly; the answer goes to standard output.
    Call,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The raw argon2id rate: invitation-code checks per second on all threads, with the
    /// parameters logins use (the ceiling for login throughput).
    Argon2 {
        /// Checks to time.
        #[arg(long, default_value_t = 400)]
        checks: usize,
        /// Threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Time `teller verify` on a record against the floor: the per-ballot primitive costs
    /// measured here, times the ballots, divided by the cores.
    Verify {
        /// The election record directory.
        record: PathBuf,
        /// Ballots sampled to measure each primitive.
        #[arg(long, default_value_t = 5000)]
        sample: usize,
        /// Threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
}

#[derive(clap::Args)]
#[cfg(feature = "server")]
struct SimulateArgs {
    /// Members on the register.
    #[arg(long)]
    members: usize,
    /// The election definition (TOML, as `teller election create` reads); default: the built-in
    /// copy of examples/election.toml.
    #[arg(long, value_name = "TOML")]
    election: Option<PathBuf>,
    /// Seed: any text; the same seed gives the same record byte for byte. Without it, fresh
    /// randomness from the operating system.
    #[arg(long)]
    seed: Option<String>,
    /// The directory to write the record to (must not exist yet).
    #[arg(long)]
    out: PathBuf,
    /// Also write the election's secret keys and trustee shares here (for testing only: a real
    /// election never has them in one place).
    #[arg(long, value_name = "DIR")]
    keys: Option<PathBuf>,
    /// Also write the simulated register, as a membership office would export it (CSV).
    #[arg(long, value_name = "CSV")]
    register_out: Option<PathBuf>,
    /// Make every member eligible for every contest and vote in each, with valid rankings (the
    /// verification benchmark).
    #[arg(long)]
    everyone_votes_everywhere: bool,
    /// The re-voting policy: `forbidden` (one ballot per pass) or `last` (some members vote
    /// again; the last ballot under a voting key counts).
    #[arg(long, value_enum, default_value = "forbidden")]
    revote: RevoteArg,
    /// Ballot-log checkpoints to sign while members vote, spread evenly (the final one comes on
    /// top); a server signs up to one a second, so a three-week election has many.
    #[arg(long, default_value_t = teller::admin::DEFAULT_CHECKPOINTS)]
    checkpoints: usize,
    /// Threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
#[cfg(feature = "server")]
enum RevoteArg {
    Forbidden,
    Last,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The election record: its directory, or its archive (`.tar`).
    record: PathBuf,
    /// The fingerprint printed on the election notices (hex); the manifest must have it.
    #[arg(long, value_name = "HEX")]
    fingerprint: Option<String>,
    /// Threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Do not show progress.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args)]
struct TallyArgs {
    /// The election record directory; with --share, the election id.
    record: PathBuf,
    /// The contest to count (from a record directory).
    #[arg(long, required_unless_present = "shares")]
    contest: Option<String>,
    /// A trustee's share file (repeat: the election's threshold of them).
    #[cfg(feature = "server")]
    #[arg(long = "share", value_name = "FILE")]
    shares: Vec<PathBuf>,
    /// For a ballot box run apart from its issuer: the issuer's part of the record.
    #[cfg(feature = "server")]
    #[arg(long, value_name = "DIR", requires = "shares")]
    issuer_part: Option<PathBuf>,
    #[cfg(feature = "server")]
    #[command(flatten)]
    db: commands::Database,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum MethodArg {
    Scottish,
    Meek,
    Ers97,
    Irv,
    Block,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Self {
        match m {
            MethodArg::Scottish => Method::Scottish,
            MethodArg::Meek => Method::Meek,
            MethodArg::Ers97 => Method::Ers97,
            MethodArg::Irv => Method::Irv,
            MethodArg::Block => Method::Block,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Csv,
    Html,
}

#[derive(clap::Args)]
struct CountArgs {
    /// The ballot file (BLT).
    ballots: PathBuf,
    /// The counting rule.
    #[arg(long, value_enum)]
    method: MethodArg,
    /// Seats to fill (overrides the ballot file's header).
    #[arg(long)]
    seats: Option<usize>,
    /// Seed for ties that reach lot, in hex (later: the final checkpoint's root hash).
    #[arg(long, value_name = "HEX")]
    seed: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the result here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Candidate attributes: a CSV file with header `name,gender,slate` (names as in the BLT).
    #[arg(long, value_name = "CSV")]
    attributes: Option<PathBuf>,
    /// A minimum-representation constraint, ATTRIBUTE=VALUE:MINIMUM, e.g. `gender=W:5`
    /// (at least 5 seats to candidates whose gender is W). Needs --attributes.
    #[arg(long, value_name = "RULE")]
    minimum: Option<Constraint>,
}

#[derive(clap::Args)]
struct GenArgs {
    /// Number of ballots.
    #[arg(long)]
    ballots: u64,
    /// Number of candidates.
    #[arg(long)]
    candidates: usize,
    /// Seats.
    #[arg(long)]
    seats: usize,
    /// Seed (a whole number); the same arguments always give the same file.
    #[arg(long)]
    seed: u64,
    /// Write here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the candidates' attributes (CSV `name,gender,slate`, as `count --attributes`
    /// reads) to this file.
    #[arg(long, value_name = "CSV")]
    attributes_out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Count(args) => offline::run_count(args),
        Command::Gen(args) => offline::run_gen(args),
        #[cfg(feature = "server")]
        Command::Simulate(args) => commands::run_simulate(args),
        Command::Verify(args) => offline::run_verify(args),
        Command::Tally(args) => offline::run_tally(args),
        #[cfg(feature = "server")]
        Command::Election(command) => commands::run_election(command),
        #[cfg(feature = "server")]
        Command::Register(command) => commands::run_register(command),
        #[cfg(feature = "server")]
        Command::Invitations(command) => commands::run_invitations(command, threads(None)),
        #[cfg(feature = "server")]
        Command::Passes(command) => commands::run_passes(command),
        #[cfg(feature = "server")]
        Command::Turnout { election, db } => commands::run_turnout(&election, &db),
        #[cfg(feature = "server")]
        Command::Record(command) => commands::run_record(command),
        #[cfg(feature = "server")]
        Command::Serve(args) => commands::run_serve(args),
        #[cfg(feature = "server")]
        Command::Demo(args) => commands::run_demo(args),
        #[cfg(feature = "server")]
        Command::VoteSim(args) => commands::run_vote_sim(args),
        #[cfg(feature = "server")]
        Command::Witness(args) => commands::run_witness_command(args),
        #[cfg(feature = "server")]
        Command::Trustee(command) => commands::run_trustee(command),
        #[cfg(feature = "server")]
        Command::Officer(command) => commands::run_officer(command),
        Command::AuditBallot { file, manifest } => offline::run_audit_ballot(&file, &manifest),
        #[cfg(feature = "server")]
        Command::Booth(BoothCommand::Hash) => {
            let booth = teller::server::booth::Booth::get();
            print!("{}", booth.listing());
            println!(
                "{}  (the booth's code hash: SHA-256 of the lines above)",
                booth.code_hash
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Booth(BoothCommand::Call) => offline::run_booth_call(),
        Command::Bench(BenchCommand::Argon2 {
            checks,
            threads: requested,
        }) => offline::run_bench_argon2(checks, threads(requested)),
        Command::Bench(BenchCommand::Verify {
            record,
            sample,
            threads: requested,
        }) => offline::run_bench_verify(&record, sample, threads(requested)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("teller: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Threads for parallel work: as asked, else every core.
fn threads(requested: Option<usize>) -> usize {
    requested
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1)
}
