//! The command line's server side: the returning officer's commands against the database,
//! `teller serve`, `teller demo` and `teller vote-sim`. Argument parsing and printing only; the
//! work is in `teller::admin`, `teller::server` and `teller::client`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;

use teller::admin::{
    adopt, close, create_stored_election, export_invitations, grant_reissue, import_register, open,
    read_share, record, tally_election, write_record,
};
use teller::client::{VoteSimOptions, quantile, read_invitations, vote_sim};
use teller::core::manifest::{format_instant, parse_instant};
use teller::core::verify::Progress;
use teller::store::{Roles, Store};

use super::ProgressLine;

/// Where the database is.
#[derive(clap::Args, Clone)]
pub struct Database {
    /// The database: a SQLite file (created if missing) or a `postgres://` URL.
    #[arg(long, env = "DATABASE_URL", default_value = "teller.db", global = true)]
    pub database: String,
}

impl Database {
    fn open(&self) -> Result<Store> {
        Ok(Store::open(&self.database)?)
    }
}

/// The returning officer's election commands.
#[derive(Subcommand)]
pub enum ElectionCommand {
    /// Check an election definition (TOML), generate its keys, store the election and print its
    /// fingerprint. Secret keys go to --keys (default keys/<election>); the election key is split
    /// among the trustees at once, one share file each, and never stored whole.
    Create {
        /// The election definition, e.g. examples/election.toml.
        definition: PathBuf,
        /// Also write the manifest (canonical JSON) to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// A new directory for the secret keys and the trustees' share files.
        #[arg(long, value_name = "DIR")]
        keys: Option<PathBuf>,
        /// Store the election as its issuer only, when another operator runs the ballot box with
        /// its own database (`teller election adopt`; docs/design/unlinkability.md). Hand them
        /// the manifest and ballot-log.key, and delete that key here.
        #[arg(long)]
        issuer_only: bool,
        #[command(flatten)]
        db: Database,
    },
    /// Take an election another operator created (as its issuer) into this database as its
    /// ballot box. The key directory needs only ballot-log.key; no member is ever stored here.
    Adopt {
        /// The manifest the issuer published (`election create --out`).
        manifest: PathBuf,
        /// The directory holding ballot-log.key.
        #[arg(long, value_name = "DIR")]
        keys: PathBuf,
        #[command(flatten)]
        db: Database,
    },
    /// Open the election: the register is frozen into the roster commitments and voting starts.
    Open {
        /// The election id.
        election: String,
        /// For a ballot box run apart from its issuer: the issuer's rosters, as
        /// `teller record export` writes them on the issuer's database once it is open.
        #[arg(long, value_name = "DIR")]
        rosters: Option<PathBuf>,
        #[command(flatten)]
        db: Database,
    },
    /// Close the election: no more passes or ballots; the logs get their final checkpoints.
    /// `teller serve` does this by itself at the closing time; run it to close early.
    Close {
        /// The election id.
        election: String,
        #[command(flatten)]
        db: Database,
    },
    /// Extend the voting window before it ends: a later closing time than the one in force
    /// (logged in the election's events). Run it on every database that serves the election
    /// (the issuer's and the ballot box's, if apart).
    Extend {
        /// The election id.
        election: String,
        /// The new closing time: RFC 3339 (`2026-11-28T17:00:00Z`) or relative to now
        /// (`now+2d`).
        #[arg(long, value_name = "TIME")]
        closes: String,
        #[command(flatten)]
        db: Database,
    },
    /// List the elections in the database, with their state and window.
    List {
        #[command(flatten)]
        db: Database,
    },
}

/// The register.
#[derive(Subcommand)]
pub enum RegisterCommand {
    /// Import the membership office's CSV export; eligibility per contest is computed under the
    /// manifest's rules. All or nothing; bad rows are reported by line; a re-import before the
    /// election opens shows what changed.
    Import {
        /// The election id.
        election: String,
        /// The register (CSV: member_number,joined,good_standing,arrears,date_of_birth,region,
        /// disability).
        file: PathBuf,
        #[command(flatten)]
        db: Database,
    },
}

/// Invitation codes.
#[derive(Subcommand)]
pub enum InvitationsCommand {
    /// Write one new invitation code per member without one (CSV for a mail merge); only their
    /// argon2id hashes are stored. With --reissue, new codes for those members only; their old
    /// codes stop working and the re-issue is logged.
    Export {
        /// The election id.
        election: String,
        /// The CSV file to write (readable by its owner only).
        #[arg(long)]
        out: PathBuf,
        /// A member whose code is replaced (repeatable).
        #[arg(long, value_name = "MEMBER")]
        reissue: Vec<String>,
        #[command(flatten)]
        db: Database,
    },
}

/// Voting passes.
#[derive(Subcommand)]
pub enum PassesCommand {
    /// Let a member who lost the booth's pass secret have one new voting pass, in every contest
    /// they are eligible for or in --contest only, when the manifest says `reissue.by =
    /// "officer"` (up to its `reissue.limit`). The member then logs in again and the booth asks
    /// for the new pass. The events log records that a re-issue was granted, not to whom.
    Reissue {
        /// The election id.
        election: String,
        /// The member's number.
        member: String,
        /// Only this contest.
        #[arg(long, value_name = "CONTEST")]
        contest: Option<String>,
        #[command(flatten)]
        db: Database,
    },
}

/// The election record.
#[derive(Subcommand)]
pub enum RecordCommand {
    /// Write the election record (what `teller verify` checks) to a new directory. On an issuer
    /// run apart from its ballot box, its own part: rosters once open, the issuance log once
    /// closed.
    Export {
        /// The election id.
        election: String,
        /// The directory to write (must not exist yet).
        dir: PathBuf,
        /// For a ballot box run apart from its issuer: the issuer's part of the record, exported
        /// on the issuer's database after it closed.
        #[arg(long, value_name = "DIR")]
        issuer_part: Option<PathBuf>,
        #[command(flatten)]
        db: Database,
    },
}

/// `teller serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// HTTP worker threads (default: the cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// A reverse proxy in front of Teller (an address or a CIDR such as 10.0.0.0/8; repeat for
    /// several): only from these is `X-Forwarded-For` believed, and its client address is the
    /// one the login throttle counts. Without it, the TCP peer is the address.
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Seconds a request may take to arrive (head and body) and be answered; then `408`, and
    /// the connection is closed, so slow clients cannot hold the server's connections.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    #[command(flatten)]
    pub db: Database,
}

/// `--trusted-proxy`: a CIDR, or one address (a /32 or /128).
fn parse_proxy(text: &str) -> Result<ipnet::IpNet, String> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is not an address or a CIDR such as 10.0.0.0/8"))
}

/// `teller vote-sim`.
#[derive(clap::Args)]
pub struct VoteSimArgs {
    /// The server's base URL (repeat to spread members over several servers).
    #[arg(long = "server", required = true)]
    pub servers: Vec<String>,
    /// The ballot box's base URL, when another operator runs it (casts go there).
    #[arg(long = "ballot-box", value_name = "URL")]
    pub ballot_box: Option<String>,
    /// The election id.
    #[arg(long)]
    pub election: String,
    /// The invitations CSV from `teller invitations export`.
    #[arg(long)]
    pub invitations: PathBuf,
    /// Fraction of members who vote.
    #[arg(long, default_value_t = 1.0)]
    pub turnout: f64,
    /// Members in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Seed for who votes and how (any text).
    #[arg(long, default_value = "vote-sim")]
    pub seed: String,
    /// Members who first try a wrong code (each must be refused).
    #[arg(long, default_value_t = 0)]
    pub wrong_codes: usize,
    /// Append every acknowledged receipt here (JSON lines) as it arrives.
    #[arg(long)]
    pub receipts: Option<PathBuf>,
    /// Do not check the receipts against a checkpoint at the end.
    #[arg(long)]
    pub skip_receipt_checks: bool,
    /// Only log in (the login benchmark).
    #[arg(long)]
    pub logins_only: bool,
    /// Skip the probes of refusals (repeated and ineligible pass requests, second ballots).
    #[arg(long)]
    pub no_probes: bool,
}

fn progress_fn(line: &ProgressLine) -> impl Fn(Progress) + Sync + '_ {
    move |p| line.show(p)
}

/// `teller election …`.
pub fn run_election(command: ElectionCommand) -> Result<ExitCode> {
    match command {
        ElectionCommand::Create {
            definition,
            out,
            keys,
            issuer_only,
            db,
        } => {
            let text = fs::read_to_string(&definition)
                .with_context(|| format!("reading {}", definition.display()))?;
            let parsed = teller::admin::ElectionDefinition::parse(&text)
                .with_context(|| format!("in {}", definition.display()))?;
            if let Some(out) = &out
                && out.exists()
            {
                bail!(
                    "{} already exists; give a new file for the manifest",
                    out.display()
                );
            }
            let keys = keys.unwrap_or_else(|| Path::new("keys").join(&parsed.election));
            let store = db.open()?;
            let roles = if issuer_only {
                Roles::Issuer
            } else {
                Roles::Both
            };
            let manifest = create_stored_election(&store, &text, &keys, roles)
                .with_context(|| format!("in {}", definition.display()))?;
            if let Some(out) = &out {
                fs::write(out, manifest.bytes())
                    .with_context(|| format!("writing {}", out.display()))?;
            }
            println!(
                "election {} fingerprint {}",
                manifest.draft().election,
                manifest.fingerprint_hex()
            );
            println!(
                "keys and {} trustee shares: {} (give each trustee their share file, then delete it here)",
                manifest.share_commitments().len(),
                keys.display()
            );
        }
        ElectionCommand::Adopt { manifest, keys, db } => {
            let bytes =
                fs::read(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
            let manifest = adopt(&db.open()?, &bytes, &keys)
                .with_context(|| format!("adopting {}", manifest.display()))?;
            println!(
                "election {} fingerprint {}: this database is its ballot box; open it with the \
                 issuer's rosters (`teller election open {} --rosters DIR`)",
                manifest.draft().election,
                manifest.fingerprint_hex(),
                manifest.draft().election,
            );
        }
        ElectionCommand::Open {
            election,
            rosters,
            db,
        } => {
            let store = db.open()?;
            open(&store, &election, rosters.as_deref())?;
            match store.election(&election)?.roles()? {
                Roles::Issuer => println!(
                    "election {election} is open: the register is frozen; give the ballot box \
                     the rosters (`teller record export {election} DIR`)"
                ),
                Roles::BallotBox => {
                    println!("election {election} is open: the ballot log commits to the rosters")
                }
                Roles::Both => println!("election {election} is open: the register is frozen"),
            }
        }
        ElectionCommand::Close { election, db } => {
            let store = db.open()?;
            let size = close(&store, &election)?;
            let log = match store.election(&election)?.roles()? {
                Roles::Issuer => "issuance",
                Roles::BallotBox | Roles::Both => "ballot",
            };
            println!("election {election} is closed: {size} entries in the {log} log");
        }
        ElectionCommand::Extend {
            election,
            closes,
            db,
        } => {
            let store = db.open()?;
            let manifest = teller::admin::manifest_of(&store.election(&election)?)?;
            let now = teller::store::now();
            let closes = teller::admin::resolve_time(&closes, now).context("--closes")?;
            let at = parse_instant(&closes).map_err(|e| anyhow!("--closes: {e}"))?;
            let window = store.extend_election(&manifest, at, now)?;
            println!(
                "election {election} now closes at {} (the manifest said {})",
                format_instant(window.closes),
                manifest.draft().window.closes
            );
        }
        ElectionCommand::List { db } => {
            let store = db.open()?;
            for row in store.elections()? {
                let window = teller::admin::manifest_of(&row).map(|m| row.window(&m));
                match window {
                    Ok(w) => println!(
                        "{}\t{}\t{} to {}",
                        row.id,
                        row.state,
                        format_instant(w.opens),
                        format_instant(w.closes)
                    ),
                    Err(_) => println!("{}\t{}", row.id, row.state),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `teller register import`.
pub fn run_register(command: RegisterCommand) -> Result<ExitCode> {
    let RegisterCommand::Import { election, file, db } = command;
    let csv = fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let report = import_register(&db.open()?, &election, &csv)
        .with_context(|| format!("importing {}", file.display()))?;
    if let Some(diff) = &report.diff {
        let list = |numbers: &[String]| {
            let shown: Vec<&str> = numbers.iter().take(10).map(String::as_str).collect();
            let more = numbers.len().saturating_sub(10);
            if more > 0 {
                format!("{} … and {more} more", shown.join(", "))
            } else {
                shown.join(", ")
            }
        };
        println!("changes against the register imported before:");
        println!("  added ({}): {}", diff.added.len(), list(&diff.added));
        println!(
            "  removed ({}): {}",
            diff.removed.len(),
            list(&diff.removed)
        );
        println!(
            "  changed ({}): {}",
            diff.changed.len(),
            list(&diff.changed)
        );
    }
    println!("{} members imported; eligible per contest:", report.members);
    for (contest, eligible) in &report.eligible {
        println!("  {contest}: {eligible}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `teller invitations export`.
pub fn run_invitations(command: InvitationsCommand, threads: usize) -> Result<ExitCode> {
    let InvitationsCommand::Export {
        election,
        out,
        reissue,
        db,
    } = command;
    let line = ProgressLine::new(false);
    let count = export_invitations(
        &db.open()?,
        &election,
        &out,
        &reissue,
        threads,
        &progress_fn(&line),
    )?;
    println!(
        "{count} invitation codes written to {} (only their hashes are stored; keep this file safe)",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `teller passes reissue`.
pub fn run_passes(command: PassesCommand) -> Result<ExitCode> {
    let PassesCommand::Reissue {
        election,
        member,
        contest,
        db,
    } = command;
    let granted = grant_reissue(&db.open()?, &election, &member, contest.as_deref())?;
    println!(
        "member {member} may now have a new voting pass in {}: they log in again and the booth asks for it",
        granted.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

/// `teller turnout`.
pub fn run_turnout(election: &str, db: &Database) -> Result<ExitCode> {
    let store = db.open()?;
    let row = store.election(election)?;
    let manifest = teller::admin::manifest_of(&row)?;
    let turnout = store.turnout(&manifest)?;
    println!("election {election} ({})", row.state);
    println!("contest\teligible\tpasses issued\tballots cast");
    for (contest, eligible, passes, ballots) in &turnout.contests {
        println!("{contest}\t{eligible}\t{passes}\t{ballots}");
    }
    println!("region\tmembers\tmembers with a pass");
    for (region, members, issued) in &turnout.regions {
        println!("{region}\t{members}\t{issued}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `teller tally ELECTION --share FILE… [--issuer-part DIR]`.
pub fn run_election_tally(
    election: &str,
    shares: &[PathBuf],
    issuer_part: Option<&Path>,
    db: &Database,
    threads: usize,
) -> Result<ExitCode> {
    let shares = shares
        .iter()
        .map(|p| read_share(p))
        .collect::<Result<Vec<_>>>()?;
    let line = ProgressLine::new(false);
    let record = tally_election(
        &db.open()?,
        election,
        issuer_part,
        &shares,
        threads,
        &progress_fn(&line),
    )?;
    let manifest = teller::core::manifest::Manifest::parse(
        &record.files[teller::core::record::layout::MANIFEST],
    )?;
    println!("election {election} tallied; the record verifies");
    for contest in manifest.contests() {
        let results: serde_json::Value = serde_json::from_slice(
            &record.files[&teller::core::record::layout::results(contest.id())],
        )?;
        let elected: Vec<String> = results["report"]["elected"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        println!("{}: elected {}", contest.id(), elected.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// `teller record export`.
pub fn run_record(command: RecordCommand) -> Result<ExitCode> {
    let RecordCommand::Export {
        election,
        dir,
        issuer_part,
        db,
    } = command;
    let record = record(&db.open()?, &election, issuer_part.as_deref())?;
    write_record(&dir, &record)?;
    println!(
        "the record of {election} ({} files) is in {}",
        record.files.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `teller serve`.
pub fn run_serve(args: ServeArgs) -> Result<ExitCode> {
    let store = args.db.open()?;
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let backend = if store.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let options = teller::server::ServeOptions {
        bind: args.bind,
        workers,
        trusted_proxies: args.trusted_proxies,
        request_timeout: std::time::Duration::from_secs(args.request_timeout),
    };
    teller::server::serve(store, options, move |address| {
        println!("teller: serving on http://{address} ({backend})");
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `teller vote-sim`.
pub fn run_vote_sim(args: VoteSimArgs) -> Result<ExitCode> {
    let text = fs::read_to_string(&args.invitations)
        .with_context(|| format!("reading {}", args.invitations.display()))?;
    let invitations = read_invitations(&text)?;
    let line = ProgressLine::new(false);
    let options = VoteSimOptions {
        servers: args.servers,
        ballot_box: args.ballot_box,
        election: args.election,
        invitations,
        turnout: args.turnout,
        concurrency: args.concurrency,
        seed: <sha2::Sha256 as sha2::Digest>::digest(args.seed.as_bytes()).into(),
        wrong_codes: args.wrong_codes,
        receipts: args.receipts,
        skip_receipt_checks: args.skip_receipt_checks,
        logins_only: args.logins_only,
        no_probes: args.no_probes,
    };
    let report = vote_sim(&options, &|stage, done, total| {
        line.show(Progress { stage, done, total })
    })?;
    println!(
        "members logged in: {} ({} wrong codes refused); passes: {} ({} repeats answered alike, {} ineligible refused)",
        report.logins,
        report.wrong_codes_refused,
        report.passes,
        report.repeats_same,
        report.ineligible_refused
    );
    println!(
        "login and passes: {:.2} s ({:.1} members/s); login latency p50 {:.1} ms, p99 {:.1} ms; pass latency p50 {:.1} ms, p99 {:.1} ms",
        report.session_seconds,
        report.logins as f64 / report.session_seconds.max(1e-9),
        quantile(&report.login_latencies_ms, 0.5),
        quantile(&report.login_latencies_ms, 0.99),
        quantile(&report.pass_latencies_ms, 0.5),
        quantile(&report.pass_latencies_ms, 0.99)
    );
    println!(
        "ballots accepted: {} in {:.2} s = {:.0} ballots/s; latency p50 {:.1} ms, p99 {:.1} ms; second ballots handled: {}",
        report.ballots,
        report.cast_seconds,
        report.ballots as f64 / report.cast_seconds.max(1e-9),
        quantile(&report.cast_latencies_ms, 0.5),
        quantile(&report.cast_latencies_ms, 0.99),
        report.second_ballots
    );
    println!(
        "receipts checked against a signed checkpoint: {}",
        report.receipts_checked
    );
    if report.busy_retried > 0 {
        println!(
            "busy answers (429 for a second, or 503) waited out and sent again: {}",
            report.busy_retried
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `teller demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Members on the demo register (from examples/members.csv).
    #[arg(long, default_value_t = 200)]
    pub members: usize,
    /// The demo's own directory (database, keys, invitations); emptied at every start.
    #[arg(long, default_value = "demo")]
    pub dir: PathBuf,
}

/// The example register shipped in examples/members.csv.
const EXAMPLE_MEMBERS: &str = include_str!("../examples/members.csv");

/// `teller demo`: a fresh election on the embedded database, open, and served.
pub fn run_demo(args: DemoArgs) -> Result<ExitCode> {
    if args.dir.exists() {
        // Only ever a directory this command made: it holds the marker file.
        if !args.dir.join("TELLER-DEMO").exists() {
            bail!(
                "{} exists and is not a Teller demo directory; give another --dir",
                args.dir.display()
            );
        }
        fs::remove_dir_all(&args.dir)
            .with_context(|| format!("emptying {}", args.dir.display()))?;
    }
    fs::create_dir_all(&args.dir).with_context(|| format!("creating {}", args.dir.display()))?;
    fs::write(
        args.dir.join("TELLER-DEMO"),
        "made by `teller demo`; removed at its next start\n",
    )?;
    let store = Store::open(&args.dir.join("teller.db").to_string_lossy())?;
    // The example's window opens at creation and closes two weeks later: the booth shows it.
    let definition = teller::admin::EXAMPLE_ELECTION;
    let manifest = create_stored_election(&store, definition, &args.dir.join("keys"), Roles::Both)?;
    let election = manifest.draft().election.clone();
    let register: String = EXAMPLE_MEMBERS
        .lines()
        .take(args.members.max(1) + 1)
        .map(|l| format!("{l}\n"))
        .collect();
    import_register(&store, &election, &register)?;
    let invitations = args.dir.join("invitations.csv");
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let line = ProgressLine::new(false);
    export_invitations(
        &store,
        &election,
        &invitations,
        &[],
        threads,
        &progress_fn(&line),
    )?;
    open(&store, &election, None)?;
    let codes = read_invitations(&fs::read_to_string(&invitations)?)?;
    println!(
        "Demo election {election:?} is open (fingerprint {}).",
        manifest.fingerprint_hex()
    );
    println!(
        "Some members and their invitation codes (all are in {}):",
        invitations.display()
    );
    // Those who may vote in the most contests first: a newcomer sees the whole booth.
    let mut shown = Vec::new();
    for (member, code) in &codes {
        let eligible = store
            .member(&election, member)?
            .map(|m| m.eligible)
            .unwrap_or_default();
        let contests = eligible.split(',').filter(|c| !c.is_empty()).count();
        shown.push((
            std::cmp::Reverse(contests),
            member,
            code,
            eligible.replace(',', ", "),
        ));
    }
    shown.sort();
    for (_, member, code, eligible) in shown.iter().take(5) {
        println!("  {member}  {code}  (eligible: {eligible})");
    }
    let dir = args.dir.display().to_string();
    let invitations = invitations.display().to_string();
    let options = teller::server::ServeOptions {
        bind: args.bind.clone(),
        workers: threads,
        trusted_proxies: Vec::new(),
        request_timeout: teller::server::guard::DEFAULT_REQUEST_TIMEOUT,
    };
    teller::server::serve(store, options, move |address| {
        println!("Vote in the booth:  http://{address}/e/{election}/");
        println!(
            "Or simulate members:  teller vote-sim --server http://{address} --election {election} --invitations {invitations}"
        );
        println!(
            "Then stop the server, and:  teller election close {election} --database {dir}/teller.db"
        );
        println!(
            "  teller tally {election} --share {dir}/keys/trustee-1.share --share {dir}/keys/trustee-2.share --database {dir}/teller.db"
        );
        println!("teller: serving on http://{address} (SQLite, demo)");
    })?;
    Ok(ExitCode::SUCCESS)
}
