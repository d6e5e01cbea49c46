//! The commands that need no database or network: count, gen, verify, tally from a record,
//! audit-ballot, the booth's call, and the benchmarks. Each reads its files, calls the library,
//! and prints.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use teller::admin::{ProgressLine, bench_verify, read_record};
use teller::core::count::render::slate_voting;
use teller::core::count::{self, CountOptions, Election, GeneratorOptions, SyntheticElection};
use teller::core::verify::{Record, VerifyOptions, verify};

use super::{CountArgs, Format, GenArgs, TallyArgs, VerifyArgs, threads};

/// `teller audit-ballot`: the file holds `{"audits": [...]}` as the booth writes it, or one audit.
pub(super) fn run_audit_ballot(file: &Path, manifest: &Path) -> Result<ExitCode> {
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
pub(super) fn run_booth_call() -> Result<ExitCode> {
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

pub(super) fn write_output(out: Option<&Path>, text: &str) -> Result<()> {
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
    base16ct::mixed::decode_vec(text).map_err(|_| {
        anyhow::anyhow!(
            "{option} {text:?} is not hexadecimal (an even number of the digits 0-9, a-f)"
        )
    })
}

fn load_election(path: &Path) -> Result<Election> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let parsed = count::parse_blt(&bytes).with_context(|| format!("in {}", path.display()))?;
    for note in &parsed.notes {
        eprintln!("teller: note: {}: {note}", path.display());
    }
    Ok(parsed.election)
}

pub(super) fn run_count(args: CountArgs) -> Result<ExitCode> {
    let mut election = load_election(&args.ballots)?;
    if let Some(seats) = args.seats {
        election = election.with_seats(seats).context("--seats")?;
    }
    if let Some(path) = &args.attributes {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        count::apply_attributes(&mut election, &text)
            .with_context(|| format!("in {}", path.display()))?;
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
        Format::Text => {
            let voting = slate_voting(&election).map(|v| count::render::slate_voting_text(&v));
            count::render::text(&report) + &voting.map_or(String::new(), |v| format!("\n{v}"))
        }
        Format::Json => count::render::json(&report),
        Format::Csv => count::render::csv(&report),
        Format::Html => count::render::html(&report, slate_voting(&election).as_ref()),
    };
    write_output(args.out.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn run_gen(args: GenArgs) -> Result<ExitCode> {
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

fn parse_fingerprint(text: &str) -> Result<[u8; 32]> {
    let bytes = parse_hex("--fingerprint", text)?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("--fingerprint must be 64 hex digits (SHA-256)"))
}

/// Runs every check; returns the report to print and whether all passed.
pub(super) fn verify_report(
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
    Ok((result.report(files), result.passed()))
}

pub(super) fn run_verify(args: VerifyArgs) -> Result<ExitCode> {
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

pub(super) fn run_bench_argon2(checks: usize, threads: usize) -> Result<ExitCode> {
    use teller::core::crypto::{ARGON2_M_COST, ARGON2_T_COST};
    let seconds = teller::admin::bench_argon2(checks, threads)?.as_secs_f64();
    println!(
        "argon2id m={ARGON2_M_COST} KiB t={ARGON2_T_COST} p=1: {checks} checks on {threads} threads in {seconds:.2} s = {:.1} checks/s",
        checks as f64 / seconds
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn run_bench_verify(record: &Path, sample: usize, threads: usize) -> Result<ExitCode> {
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

pub(super) fn run_tally(args: TallyArgs) -> Result<ExitCode> {
    #[cfg(feature = "server")]
    if !args.shares.is_empty() {
        let election = args.record.to_string_lossy();
        return super::commands::run_election_tally(
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
    let (report, election) = teller::admin::count_from_record(&record, &contest_id)?;
    let text = match args.format {
        Format::Text => {
            let voting = slate_voting(&election).map(|v| count::render::slate_voting_text(&v));
            count::render::text(&report) + &voting.map_or(String::new(), |v| format!("\n{v}"))
        }
        Format::Json => count::render::json(&report),
        Format::Csv => count::render::csv(&report),
        Format::Html => count::render::html(&report, slate_voting(&election).as_ref()),
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
