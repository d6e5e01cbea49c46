//! The `teller` command line: parses arguments, reads and writes files, and hands everything else
//! to the library. No counting logic lives here.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use sha2::{Digest as _, Sha256};

use teller::admin::{
    EXAMPLE_ELECTION, ElectionDefinition, SimulateOptions, bench_verify, read_record, simulate,
    write_keys, write_record,
};
use teller::core::manifest::Revote;
use teller::core::record::layout;
use teller::core::verify::{Progress, Record, VerifyOptions, verify};

#[cfg(feature = "server")]
mod commands;

use teller::core::count::{
    self, CandidateAttributes, Constraint, CountOptions, Election, GeneratorOptions, Method,
    SyntheticElection,
};

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
enum RevoteArg {
    Forbidden,
    Last,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The election record directory.
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
        Command::Count(args) => run_count(args),
        Command::Gen(args) => run_gen(args),
        Command::Simulate(args) => run_simulate(args),
        Command::Verify(args) => run_verify(args),
        Command::Tally(args) => run_tally(args),
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
        Command::AuditBallot { file, manifest } => run_audit_ballot(&file, &manifest),
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
        Command::Booth(BoothCommand::Call) => run_booth_call(),
        Command::Bench(BenchCommand::Argon2 {
            checks,
            threads: requested,
        }) => run_bench_argon2(checks, threads(requested)),
        Command::Bench(BenchCommand::Verify {
            record,
            sample,
            threads: requested,
        }) => run_bench_verify(&record, sample, threads(requested)),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("teller: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// `teller audit-ballot`: the file holds `{"audits": [...]}` as the booth writes it, or one audit.
fn run_audit_ballot(file: &Path, manifest: &Path) -> Result<ExitCode> {
    use teller::core::booth::{BallotAudit, check_audit};
    let manifest_bytes =
        fs::read(manifest).with_context(|| format!("reading {}", manifest.display()))?;
    let manifest = teller::core::manifest::Manifest::parse(&manifest_bytes)
        .with_context(|| format!("{} is not a valid manifest", manifest.display()))?;
    let text = fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum AuditFile {
        Many { audits: Vec<BallotAudit> },
        One(BallotAudit),
    }
    let audits = match serde_json::from_str::<AuditFile>(&text)
        .with_context(|| format!("{} is not a ballot audit file", file.display()))?
    {
        AuditFile::Many { audits } => audits,
        AuditFile::One(audit) => vec![audit],
    };
    println!("Election {}", manifest.fingerprint_hex());
    let mut failed = 0;
    for audit in &audits {
        match check_audit(&manifest, audit) {
            Ok(result) => {
                let ranking = if result.ranking.is_empty() {
                    "a blank ballot (abstention)".to_owned()
                } else {
                    result
                        .ranking
                        .iter()
                        .enumerate()
                        .map(|(i, name)| format!("{}. {name}", i + 1))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                println!(
                    "PASS  {}: the sealed ballot holds {ranking}",
                    result.contest
                );
            }
            Err(error) => {
                failed += 1;
                println!("FAIL  {}: {error}", audit.contest);
            }
        }
    }
    if failed == 0 {
        println!("Every sealed ballot in the file holds the ranking the file states.");
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{failed} of {} sealed ballots do NOT hold what the file states.",
            audits.len()
        );
        Ok(ExitCode::from(1))
    }
}

/// `teller booth call`.
fn run_booth_call() -> Result<ExitCode> {
    use std::io::{Read as _, Write as _};
    let mut request = Vec::new();
    std::io::stdin()
        .read_to_end(&mut request)
        .context("reading the request from standard input")?;
    let answer = teller::core::booth::call(&request);
    let mut out = std::io::stdout();
    out.write_all(&answer)?;
    out.write_all(b"\n")?;
    Ok(ExitCode::SUCCESS)
}

fn write_output(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(path) => fs::write(path, text).with_context(|| format!("writing {}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .context("writing to standard output")
        }
    }
}

/// `text` as hex bytes; errors name `option`, the command-line option it came from.
fn parse_hex(option: &str, text: &str) -> Result<Vec<u8>> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("{option} {text:?} is not hexadecimal (an even number of the digits 0-9, a-f)");
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).context("hex digit"))
        .collect()
}

fn load_election(path: &Path) -> Result<Election> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let parsed = count::parse_blt(&bytes).with_context(|| format!("in {}", path.display()))?;
    for note in &parsed.notes {
        eprintln!("teller: note: {}: {note}", path.display());
    }
    Ok(parsed.election)
}

/// Reads `--attributes`: CSV (RFC 4180) with a `name` column and optional `gender` and `slate`
/// columns, in any order and case; blank lines skipped; fields read verbatim, less the spaces
/// around them. A row's line is the line it starts on.
fn apply_attributes(election: &mut Election, path: &Path) -> Result<()> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = reader.records().filter(|record| {
        record
            .as_ref()
            .map_or(true, |r| r.iter().any(|f| !f.trim().is_empty()))
    });
    let Some(header) = rows.next() else {
        bail!("{} is empty", path.display())
    };
    let header = header.with_context(|| format!("reading {}", path.display()))?;
    let columns: Vec<String> = header.iter().map(str::to_lowercase).collect();
    let column = |name: &str| columns.iter().position(|c| c == name);
    let name_at = column("name")
        .with_context(|| format!("{}: the header needs a `name` column", path.display()))?;
    let (gender_at, slate_at) = (column("gender"), column("slate"));
    for fields in rows {
        let fields = fields.with_context(|| format!("reading {}", path.display()))?;
        let line = fields.position().map_or(0, |p| p.line());
        let field = |at: Option<usize>| {
            at.and_then(|i| fields.get(i))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let name = field(Some(name_at)).unwrap_or_default();
        let candidate = election.candidate_by_name(&name).with_context(|| {
            format!(
                "{} line {line}: no candidate named {name:?} in the ballot file",
                path.display(),
            )
        })?;
        election.set_attributes(
            candidate,
            CandidateAttributes {
                gender: field(gender_at),
                slate: field(slate_at),
            },
        );
    }
    Ok(())
}

fn run_count(args: CountArgs) -> Result<ExitCode> {
    let mut election = load_election(&args.ballots)?;
    if let Some(seats) = args.seats {
        election = election.with_seats(seats).context("--seats")?;
    }
    if let Some(path) = &args.attributes {
        apply_attributes(&mut election, path)?;
    } else if args.minimum.is_some() {
        bail!("--minimum needs --attributes FILE to say which candidates are in the group");
    }
    let seed = (args.seed.as_deref())
        .map(|seed| parse_hex("--seed", seed))
        .transpose()?;
    let options = CountOptions {
        method: args.method.into(),
        seed,
        constraint: args.minimum,
    };
    let report = count::count(&election, &options)
        .map_err(|error| match &error {
            count::CountError::LotNeeded { tied } => {
                let names: Vec<&str> = tied
                    .iter()
                    .map(|c| election.candidates()[c.get()].name.as_str())
                    .collect();
                anyhow::anyhow!(
                    "{} are tied and the rule falls back to lot; give --seed HEX to draw lots",
                    names.join(", ")
                )
            }
            _ => anyhow::Error::new(error),
        })
        .with_context(|| format!("counting {}", args.ballots.display()))?;
    let text = match args.format {
        Format::Text => count::render::text(&report),
        Format::Json => count::render::json(&report),
        Format::Csv => count::render::csv(&report),
        Format::Html => count::render::html(&report),
    };
    write_output(args.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn run_gen(args: GenArgs) -> Result<ExitCode> {
    let options = GeneratorOptions {
        ballots: args.ballots,
        candidates: args.candidates,
        seats: args.seats,
        seed: args.seed,
    };
    let election = SyntheticElection::new(&options).context("teller gen")?;
    // Streamed through a buffer: a million-ballot file is about 20 MB.
    let (sink, what): (Box<dyn std::io::Write>, String) = match &args.out {
        Some(path) => {
            let file =
                fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
            (Box::new(file), path.display().to_string())
        }
        None => (
            Box::new(std::io::stdout().lock()),
            "standard output".to_owned(),
        ),
    };
    let mut writer = IoFmt {
        inner: std::io::BufWriter::new(sink),
        error: None,
    };
    let written = election.write_blt(&mut writer);
    if let Some(error) = writer.error.take() {
        return Err(error).with_context(|| format!("writing {what}"));
    }
    written.with_context(|| format!("writing {what}"))?;
    writer
        .inner
        .flush()
        .with_context(|| format!("writing {what}"))?;
    if let Some(path) = &args.attributes_out {
        fs::write(path, election.attributes_csv())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn threads(requested: Option<usize>) -> usize {
    requested
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1)
}

/// Shows progress on standard error: at most one line a second per stage, and the last.
pub(crate) struct ProgressLine {
    quiet: bool,
    last: Mutex<(Option<&'static str>, Instant)>,
}

impl ProgressLine {
    pub(crate) fn new(quiet: bool) -> Self {
        Self {
            quiet,
            last: Mutex::new((None, Instant::now())),
        }
    }

    pub(crate) fn show(&self, progress: Progress) {
        if self.quiet {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let new_stage = last.0 != Some(progress.stage);
        let finished = progress.done == progress.total;
        if new_stage || finished || last.1.elapsed().as_secs() >= 1 {
            let percent = (progress.done * 100)
                .checked_div(progress.total)
                .unwrap_or(100);
            eprintln!(
                "teller: {}: {}/{} ({percent}%)",
                progress.stage, progress.done, progress.total
            );
            *last = (Some(progress.stage), Instant::now());
        }
    }
}

fn run_simulate(args: SimulateArgs) -> Result<ExitCode> {
    let seed: [u8; 32] = match &args.seed {
        Some(text) => Sha256::digest(text.as_bytes()).into(),
        None => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("OS randomness: {e}"))?;
            seed
        }
    };
    let definition = match &args.election {
        Some(path) => {
            let text =
                fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            ElectionDefinition::parse(&text).with_context(|| format!("in {}", path.display()))?
        }
        None => ElectionDefinition::parse(EXAMPLE_ELECTION).context("the built-in example")?,
    };
    let options = SimulateOptions {
        definition,
        members: args.members,
        seed,
        threads: threads(args.threads),
        everyone_votes_everywhere: args.everyone_votes_everywhere,
        revote: match args.revote {
            RevoteArg::Forbidden => Revote::Forbidden,
            RevoteArg::Last => Revote::Last,
        },
        checkpoints: args.checkpoints,
    };
    let progress = ProgressLine::new(false);
    let started = Instant::now();
    let simulated = simulate(&options, &|p| progress.show(p)).context("teller simulate")?;
    write_record(&args.out, &simulated.record)?;
    if let Some(dir) = &args.keys {
        write_keys(dir, &simulated.keys)?;
    }
    if let Some(path) = &args.register_out {
        fs::write(path, simulated.register.to_csv())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let ballots = simulated
        .record
        .files
        .get(layout::BALLOT_LOG)
        .map_or(0, |log| {
            log.iter()
                .filter(|&&b| b == b'\n')
                .count()
                .saturating_sub(2)
        });
    println!(
        "election {} fingerprint {}",
        simulated.manifest.draft().election,
        simulated.manifest.fingerprint_hex()
    );
    println!(
        "wrote {} ({} members, {ballots} ballots, {:.1} s)",
        args.out.display(),
        args.members,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn parse_fingerprint(text: &str) -> Result<[u8; 32]> {
    let bytes = parse_hex("--fingerprint", text)?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("--fingerprint must be 64 hex digits (SHA-256)"))
}

/// Runs every check; returns the report to print and whether all passed.
fn verify_report(
    files: &Record,
    fingerprint: Option<[u8; 32]>,
    threads: usize,
    quiet: bool,
) -> Result<(String, bool)> {
    let progress = ProgressLine::new(quiet);
    let options = VerifyOptions {
        threads,
        fingerprint,
        progress: &|p| progress.show(p),
    };
    let result = verify(files, &options);
    let mut text = String::new();
    if let Some(manifest) = files
        .files
        .get(layout::MANIFEST)
        .and_then(|bytes| teller::core::manifest::Manifest::parse(bytes).ok())
    {
        text.push_str(&format!(
            "election {} fingerprint {}\n",
            manifest.draft().election,
            manifest.fingerprint_hex()
        ));
    }
    for check in &result.checks {
        match &check.failure {
            None => text.push_str(&format!("PASS {}\n", check.name)),
            Some(reason) => text.push_str(&format!("FAIL {}: {reason}\n", check.name)),
        }
    }
    for (contest, seq, reason) in &result.invalid {
        text.push_str(&format!(
            "invalid ballot: contest {contest} entry {seq}: {reason}\n"
        ));
    }
    text.push_str(&format!(
        "{:<12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
        "contest", "eligible", "issued", "reissued", "cast", "counted", "valid", "invalid"
    ));
    for t in &result.totals {
        text.push_str(&format!(
            "{:<12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            t.contest, t.eligible, t.issued, t.reissued, t.cast, t.counted, t.valid, t.invalid
        ));
    }
    // What a re-issue costs, in the record's own terms (PROTOCOL §14): nothing links a member's
    // passes, so each re-issued pass that cast could be a member's second ballot.
    if result.totals.iter().all(|t| t.reissued == 0) {
        text.push_str("duplicate exposure: none (no pass was re-issued)\n");
    } else {
        text.push_str(
            "reissued: passes issued again to a member who lost the first; nothing links the two, \
             so each may have cast\n",
        );
        for t in result.totals.iter().filter(|t| t.reissued > 0) {
            text.push_str(&format!(
                "duplicate exposure: {}: at most {} counted ballot(s) can be a second ballot of one member\n",
                t.contest, t.reissued
            ));
        }
    }
    let failed = result.checks.iter().filter(|c| c.failure.is_some()).count();
    if failed == 0 {
        text.push_str(&format!("verify: PASS ({} checks)\n", result.checks.len()));
    } else {
        text.push_str(&format!(
            "verify: FAIL ({failed} of {} checks failed)\n",
            result.checks.len()
        ));
    }
    Ok((text, failed == 0))
}

fn run_verify(args: VerifyArgs) -> Result<ExitCode> {
    let fingerprint = args
        .fingerprint
        .as_deref()
        .map(parse_fingerprint)
        .transpose()?;
    let (report, passed) = verify_report(
        &read_record(&args.record)?,
        fingerprint,
        threads(args.threads),
        args.quiet,
    )?;
    write_output(None, &report)?;
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn run_bench_argon2(checks: usize, threads: usize) -> Result<ExitCode> {
    use teller::core::crypto::{ARGON2_M_COST, ARGON2_T_COST, InvitationCode, InvitationHash};
    let mut rng = <rand::rngs::ChaCha20Rng as rand::SeedableRng>::from_seed([7; 32]);
    let code = InvitationCode::generate(&mut rng);
    let hash = InvitationHash::new(&code, &mut rng)?;
    let start = Instant::now();
    let all_ok = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (hash, code) = (&hash, &code);
                scope.spawn(move || {
                    let mut memory = Vec::new();
                    (t..checks)
                        .step_by(threads)
                        .all(|_| hash.verify_in(code, &mut memory).unwrap_or(false))
                })
            })
            .collect();
        workers.into_iter().all(|w| w.join().unwrap_or(false))
    });
    let seconds = start.elapsed().as_secs_f64();
    if !all_ok {
        bail!("a code check failed");
    }
    println!(
        "argon2id m={} KiB t={ARGON2_T_COST} p=1: {checks} checks on {threads} threads in {seconds:.2} s = {:.1} checks/s",
        ARGON2_M_COST,
        checks as f64 / seconds
    );
    Ok(ExitCode::SUCCESS)
}

fn run_bench_verify(record: &Path, sample: usize, threads: usize) -> Result<ExitCode> {
    let (files, read) = {
        let start = Instant::now();
        (read_record(record)?, start.elapsed())
    };
    let bench = bench_verify(&files, threads, sample)?;
    println!(
        "record {}: {} ballots, read in {:.2} s",
        record.display(),
        bench.ballots,
        read.as_secs_f64()
    );
    println!(
        "per-ballot cost, one thread, mean of {} ballots:",
        bench.sample
    );
    for (name, cost) in &bench.per_ballot {
        println!("  {name:<24} {:>8.1} µs", cost.as_secs_f64() * 1e6);
    }
    println!(
        "floor (sum x ballots): {:.2} s; / {} cores: {:.2} s",
        bench.floor.as_secs_f64(),
        bench.threads,
        bench.floor.as_secs_f64() / bench.threads as f64
    );
    println!(
        "teller verify wall time: {:.2} s ({}); ratio to floor/cores: {:.2} (target <= 1.25)",
        bench.wall.as_secs_f64(),
        if bench.passed { "PASS" } else { "FAIL" },
        bench.ratio()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_tally(args: TallyArgs) -> Result<ExitCode> {
    #[cfg(feature = "server")]
    if !args.shares.is_empty() {
        let election = args.record.to_string_lossy();
        return commands::run_election_tally(
            &election,
            &args.shares,
            args.issuer_part.as_deref(),
            &args.db,
            threads(args.threads),
        );
    }
    let Some(contest_id) = args.contest.clone() else {
        bail!(
            "give --contest (to count from a record directory) or --share (to tally an election)"
        );
    };
    // The tally refuses an unverified record (DESIGN.md, protocol step 6), and counts the very
    // bytes it verified: the record is read once, so nothing can change between the two.
    let record = read_record(&args.record)?;
    let (report, passed) = verify_report(&record, None, threads(args.threads), false)?;
    eprint!("{report}");
    if !passed {
        eprintln!("teller: the record does not verify; refusing to count it");
        return Ok(ExitCode::from(1));
    }
    let manifest_bytes = record
        .files
        .get(layout::MANIFEST)
        .context("the record has no manifest")?;
    let manifest = teller::core::manifest::Manifest::parse(manifest_bytes)?;
    let contest = manifest.contest(&contest_id).with_context(|| {
        let ids: Vec<&str> = manifest.contests().iter().map(|c| c.id()).collect();
        format!(
            "no contest {:?}; the contests are {}",
            contest_id,
            ids.join(", ")
        )
    })?;
    let blt = record
        .files
        .get(&layout::blt(contest.id()))
        .context("the record has no BLT file for the contest")?;
    let results = record
        .files
        .get(&layout::results(contest.id()))
        .context("the record has no results for the contest")?;
    let results: serde_json::Value = serde_json::from_slice(results)?;
    let seed = results["seed"]
        .as_str()
        .context("the results name no seed")?;
    let seed = teller::core::crypto::decode_bytes(seed)?;
    let mut election = count::parse_blt(blt)
        .with_context(|| format!("in {}", layout::blt(contest.id())))?
        .election;
    for (index, candidate) in contest.count_candidates().into_iter().enumerate() {
        election.set_attributes(
            count::CandidateIndex::new(index as u16),
            candidate.attributes,
        );
    }
    let report = count::count(&election, &contest.count_options(&seed))?;
    let text = match args.format {
        Format::Text => count::render::text(&report),
        Format::Json => count::render::json(&report),
        Format::Csv => count::render::csv(&report),
        Format::Html => count::render::html(&report),
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Lets the generator's `fmt::Write` output go to a file, keeping the I/O error that `fmt::Error`
/// cannot carry.
struct IoFmt<W: std::io::Write> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: std::io::Write> std::fmt::Write for IoFmt<W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.inner.write_all(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            std::fmt::Error
        })
    }
}
