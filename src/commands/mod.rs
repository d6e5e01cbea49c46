//! The command line's server side: the returning officer's commands against the database,
//! `teller serve`, `teller demo` and `teller vote-sim`. Argument parsing and printing only; the
//! work is in `teller::admin`, `teller::server` and `teller::client`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;

use teller::admin::ceremony::Exchange;
use teller::admin::{
    KeyMaking, Officers, ProgressLine, adopt, create_stored_election, export_invitations,
    grant_reissue, import_register, open, read_share, record, remove_member, tally_election,
    write_record, write_record_archive,
};
use teller::core::manifest::{format_instant, parse_instant};
use teller::store::{Roles, Store};

mod officer;
mod serve;
mod trustee;
mod witness;

pub use officer::{OfficerCommand, run_officer};
pub use serve::{
    DemoArgs, ServeArgs, VoteSimArgs, run_demo, run_serve, run_simulate, run_vote_sim,
};
pub use trustee::{TrusteeCommand, run_trustee};
pub use witness::{WitnessArgs, run_witness_command};

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
    /// fingerprint. Secret keys go to --keys (default keys/<election>). The election key comes
    /// from the trustees' ceremony (--ceremony DIR) or, in dealer mode (--dealer), is drawn here
    /// and split among the trustees at once, one share file each.
    #[command(group(clap::ArgGroup::new("key_making").required(true)))]
    Create {
        /// The election definition, e.g. examples/election.toml.
        definition: PathBuf,
        /// Also write the manifest (canonical JSON) to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// A new directory for the secret keys (and, with --dealer, the trustees' share files).
        #[arg(long, value_name = "DIR")]
        keys: Option<PathBuf>,
        /// The trustees' ceremony (its exchange directory, `teller trustee …`): the election key
        /// they made together, which nobody ever held. The usual way.
        #[arg(long, value_name = "DIR", group = "key_making")]
        ceremony: Option<PathBuf>,
        /// DEALER MODE, for small elections only: this machine draws the election key and
        /// splits it into the trustees' share files at once. The returning officer's machine
        /// holds the whole key for a moment, and the manifest says so.
        #[arg(long, group = "key_making")]
        dealer: bool,
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
    /// Print the election's events log: what the returning officer did and when (register
    /// imports, invitations, opening, re-issues, extensions, closing, the tally), one per line:
    /// time, event, particulars, and who (an officer's email, or `command line`).
    Events {
        /// The election id.
        election: String,
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
    /// Remove a member after the election opened (suspension, expulsion, death): their code and
    /// sessions stop working and no voting pass is issued to them from now on; a pass they were
    /// issued before still casts (a member who voted keeps their ballot). The issuance log
    /// records the removal per contest (no name); the events log keeps the reason.
    Remove {
        /// The election id.
        election: String,
        /// The member's number.
        member: String,
        /// Why (one line; it goes into the events log, so do not name the member).
        #[arg(long)]
        reason: String,
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
    /// Write the election record (what `teller verify` checks) to a new directory, or to one
    /// archive file when the name ends in `.tar` (the same bytes every time: its SHA-256 names
    /// the record). On an issuer run apart from its ballot box, its own part: rosters once open,
    /// the issuance log once closed.
    Export {
        /// The election id.
        election: String,
        /// The directory, or `NAME.tar`, to write (must not exist yet).
        dir: PathBuf,
        /// For a ballot box run apart from its issuer: the issuer's part of the record, exported
        /// on the issuer's database after it closed.
        #[arg(long, value_name = "DIR")]
        issuer_part: Option<PathBuf>,
        /// Name the officers in the record's events log by their email; without it they are
        /// `officer 1`, `officer 2`, … (the command line is `command line` either way).
        #[arg(long)]
        name_officers: bool,
        #[command(flatten)]
        db: Database,
    },
}

/// `teller election …`.
pub fn run_election(command: ElectionCommand) -> Result<ExitCode> {
    match command {
        ElectionCommand::Create {
            definition,
            out,
            keys,
            ceremony,
            dealer: _,
            issuer_only,
            db,
        } => create(
            &definition,
            out.as_deref(),
            keys,
            ceremony.as_deref(),
            issuer_only,
            &db,
        )?,
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
            let size = store.close(&election)?;
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
            let manifest = store.election(&election)?.manifest()?;
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
        ElectionCommand::List { db } => list(&db)?,
        ElectionCommand::Events { election, db } => {
            let store = db.open()?;
            store.election(&election)?;
            for event in store.events(&election)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    format_instant(event.at),
                    event.kind,
                    event.detail,
                    event.by()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `teller election create`.
fn create(
    definition: &Path,
    out: Option<&Path>,
    keys: Option<PathBuf>,
    ceremony: Option<&Path>,
    issuer_only: bool,
    db: &Database,
) -> Result<()> {
    let key = match ceremony {
        Some(dir) => KeyMaking::Ceremony(Box::new(
            (Exchange::new(dir).ceremony())
                .with_context(|| format!("the trustees' ceremony in {}", dir.display()))?,
        )),
        None => KeyMaking::Dealer,
    };
    let text = fs::read_to_string(definition)
        .with_context(|| format!("reading {}", definition.display()))?;
    let parsed = teller::admin::ElectionDefinition::parse(&text)
        .with_context(|| format!("in {}", definition.display()))?;
    if let Some(out) = out
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
    let manifest = create_stored_election(&store, &text, &key, &keys, roles)
        .with_context(|| format!("in {}", definition.display()))?;
    if let Some(out) = out {
        fs::write(out, manifest.bytes()).with_context(|| format!("writing {}", out.display()))?;
    }
    println!(
        "election {} fingerprint {}",
        manifest.draft().election,
        manifest.fingerprint_hex()
    );
    match key {
        KeyMaking::Ceremony(ceremony) => println!(
            "election key: made by the {} trustees' ceremony ({} needed to decrypt); nobody holds \
             it. Each trustee now runs `teller trustee check` on this manifest. Keys: {}",
            ceremony.setup.count(),
            ceremony.setup.threshold,
            keys.display()
        ),
        KeyMaking::Dealer => println!(
            "DEALER MODE: this machine made the election key and split it. Keys and {} trustee \
             shares: {} (give each trustee their share file, then delete it here)",
            manifest.share_commitments().len(),
            keys.display()
        ),
    }
    Ok(())
}

/// `teller election list`.
fn list(db: &Database) -> Result<()> {
    let store = db.open()?;
    for row in store.elections()? {
        let window = row.manifest().map(|m| row.window(&m));
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
    Ok(())
}

/// `teller register …`.
pub fn run_register(command: RegisterCommand) -> Result<ExitCode> {
    let (election, file, db) = match command {
        RegisterCommand::Import { election, file, db } => (election, file, db),
        RegisterCommand::Remove {
            election,
            member,
            reason,
            db,
        } => {
            let contests = remove_member(&db.open()?, &election, &member, &reason)?;
            println!(
                "member {member} is removed from {election}: their code no longer logs in and no \
                 pass will be issued to them; the issuance log will record it in {} with its next \
                 batch (or at the close)",
                match contests.is_empty() {
                    true => "no contest (they were eligible for none)".to_owned(),
                    false => contests.join(", "),
                }
            );
            return Ok(ExitCode::SUCCESS);
        }
    };
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
        &line.callback(),
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
    let manifest = row.manifest()?;
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
        &line.callback(),
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
        name_officers,
        db,
    } = command;
    let officers = match name_officers {
        true => Officers::Named,
        false => Officers::Pseudonymous,
    };
    let record = record(&db.open()?, &election, issuer_part.as_deref(), officers)?;
    if dir.extension().is_some_and(|e| e == "tar") {
        let sha256 = write_record_archive(&dir, &election, &record)?;
        println!(
            "the record of {election} ({} files) is in {}, SHA-256 {sha256}",
            record.files.len(),
            dir.display(),
        );
    } else {
        write_record(&dir, &record)?;
        println!(
            "the record of {election} ({} files) is in {}",
            record.files.len(),
            dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
