//! The commands that serve or simulate: `teller serve`, `teller demo`, `teller vote-sim` and
//! `teller simulate`.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use sha2::{Digest as _, Sha256};
use teller::admin::{
    EXAMPLE_ELECTION, ElectionDefinition, KeyMaking, ProgressLine, SimulateOptions,
    create_stored_election, export_invitations, import_register, open, simulate, write_keys,
    write_record,
};
use teller::client::{VoteSimOptions, quantile, read_invitations, vote_sim};
use teller::core::manifest::Revote;
use teller::core::record::layout;
use teller::core::verify::Progress;
use teller::store::{Roles, Store};

use super::Database;

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
    /// The mail server for invitations sent from the console: `smtps://user:password@host`
    /// (TLS), `smtp://host:587?tls=required` (STARTTLS) or `smtp://127.0.0.1:25` (a relay on
    /// this machine, no TLS). Needs --mail-from and --public-url.
    #[arg(long, value_name = "URL", env = "TELLER_SMTP", requires_all = ["mail_from", "public_url"])]
    pub smtp: Option<String>,
    /// The sender of invitation mails, e.g. "Returning Officer <ro@party.example.org>".
    #[arg(long, value_name = "ADDRESS", requires = "smtp")]
    pub mail_from: Option<String>,
    /// The address members reach this server at (the booth links in the mails), e.g.
    /// https://vote.example.org.
    #[arg(long, value_name = "URL", env = "TELLER_PUBLIC_URL", requires = "smtp")]
    pub public_url: Option<String>,
    /// Where elections created from the console keep their keys, one directory each
    /// (DIR/<election>), as `teller election create --keys` does.
    #[arg(long = "keys", value_name = "DIR", default_value = "keys")]
    pub key_root: PathBuf,
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
    let mailer = match (&args.smtp, &args.mail_from, &args.public_url) {
        (Some(smtp), Some(from), Some(public)) => {
            Some(teller::admin::mail::Mailer::new(smtp, from, public)?)
        }
        _ => None,
    };
    let options = teller::server::ServeOptions {
        bind: args.bind,
        workers,
        trusted_proxies: args.trusted_proxies,
        request_timeout: std::time::Duration::from_secs(args.request_timeout),
        mailer,
        key_root: args.key_root,
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
const EXAMPLE_MEMBERS: &str = include_str!("../../examples/members.csv");

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
    let manifest = create_stored_election(
        &store,
        definition,
        &KeyMaking::Dealer,
        &args.dir.join("keys"),
        Roles::Both,
    )?;
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
        &line.callback(),
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
        mailer: None,
        key_root: args.dir.join("keys"),
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

/// `teller simulate`.
pub fn run_simulate(args: crate::SimulateArgs) -> Result<ExitCode> {
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
        threads: crate::threads(args.threads),
        everyone_votes_everywhere: args.everyone_votes_everywhere,
        revote: match args.revote {
            crate::RevoteArg::Forbidden => Revote::Forbidden,
            crate::RevoteArg::Last => Revote::Last,
        },
        checkpoints: args.checkpoints,
        trustees: None,
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
