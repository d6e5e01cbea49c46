//! The `teller` command line: parses arguments, reads and writes files, and hands everything else
//! to the library. No counting logic lives here.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("teller: error: {error:#}");
            ExitCode::from(2)
        }
    }
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

fn parse_hex(text: &str) -> Result<Vec<u8>> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("--seed {text:?} is not hexadecimal (an even number of the digits 0-9, a-f)");
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

fn apply_attributes(election: &mut Election, path: &Path) -> Result<()> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        bail!("{} is empty", path.display())
    };
    let columns: Vec<String> = split_csv_line(header)
        .into_iter()
        .map(|c| c.to_lowercase())
        .collect();
    let column = |name: &str| columns.iter().position(|c| c == name);
    let name_at = column("name")
        .with_context(|| format!("{}: the header needs a `name` column", path.display()))?;
    let (gender_at, slate_at) = (column("gender"), column("slate"));
    for (number, line) in lines {
        let fields = split_csv_line(line);
        let field = |at: Option<usize>| {
            at.and_then(|i| fields.get(i))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let name = field(Some(name_at)).unwrap_or_default();
        let candidate = election.candidate_by_name(&name).with_context(|| {
            format!(
                "{} line {}: no candidate named {name:?} in the ballot file",
                path.display(),
                number + 1
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

/// Splits one CSV line (RFC 4180 quoting; no embedded newlines).
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => in_quotes = !in_quotes,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

fn run_count(args: CountArgs) -> Result<()> {
    let mut election = load_election(&args.ballots)?;
    if let Some(seats) = args.seats {
        election = election.with_seats(seats).context("--seats")?;
    }
    if let Some(path) = &args.attributes {
        apply_attributes(&mut election, path)?;
    } else if args.minimum.is_some() {
        bail!("--minimum needs --attributes FILE to say which candidates are in the group");
    }
    let seed = args.seed.as_deref().map(parse_hex).transpose()?;
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
    write_output(args.out.as_deref(), &text)
}

fn run_gen(args: GenArgs) -> Result<()> {
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
    Ok(())
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
