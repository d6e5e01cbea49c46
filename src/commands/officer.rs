//! `teller officer`: the server's administrator names the returning officers who run elections
//! from the console, and removes them.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Subcommand;

use super::Database;
use teller::admin::officers::{ENROL_PATH, add_officer, officer_email};
use teller::core::manifest::format_instant;
use teller::store::OfficerScope;

/// The administrator's officer commands.
#[derive(Subcommand)]
pub enum OfficerCommand {
    /// Name EMAIL an officer of ELECTION (or, with --all, of every election on this server) and
    /// print their one-time enrolment link. Run again to add another election; an officer who
    /// has not enrolled yet gets a new link.
    Add {
        /// ELECTION EMAIL, or EMAIL alone with --all. Their email is the name they sign in with
        /// and the events log shows.
        #[arg(value_name = "ELECTION|EMAIL", required = true, num_args = 1..=2)]
        names: Vec<String>,
        /// Every election on this server, present and future; they may also create elections
        /// from the console.
        #[arg(long)]
        all: bool,
        /// The election does not exist yet: the officer creates it from the console's form,
        /// under this id.
        #[arg(long, conflicts_with = "all")]
        new: bool,
        /// The server's public address, to print the link whole (e.g. https://vote.example.org).
        #[arg(long, value_name = "URL", env = "TELLER_PUBLIC_URL")]
        url: Option<String>,
        #[command(flatten)]
        db: Database,
    },
    /// List the officers, whether they have enrolled, and their elections.
    List {
        #[command(flatten)]
        db: Database,
    },
    /// Remove an officer: their sessions end at once.
    Remove {
        /// Their email.
        email: String,
        #[command(flatten)]
        db: Database,
    },
}

/// Runs an officer command.
pub fn run_officer(command: OfficerCommand) -> Result<ExitCode> {
    match command {
        OfficerCommand::Add {
            names,
            all,
            new,
            url,
            db,
        } => {
            let (election, email) = match (all, names.as_slice()) {
                (true, [email]) => (None, email.clone()),
                (false, [election, email]) => (Some(election.clone()), email.clone()),
                (true, _) => bail!("with --all, give the officer's email alone"),
                (false, _) => bail!(
                    "give the election and the officer's email (`teller officer add ELECTION \
                     EMAIL`), or --all and the email"
                ),
            };
            let store = db.open()?;
            let added = add_officer(&store, election.as_deref(), &email, new)?;
            match &election {
                Some(id) if new => println!(
                    "{} may create election {id} from the console, then run it.",
                    added.email
                ),
                Some(id) => println!("{} may run election {id}.", added.email),
                None => println!("{} may run every election on this server.", added.email),
            }
            match added.enrol_token {
                Some(token) => {
                    let base = url.as_deref().unwrap_or("").trim_end_matches('/');
                    println!(
                        "Send them this link to enrol (it works once, until {}):",
                        format_instant(added.expires)
                    );
                    println!("  {base}{ENROL_PATH}{token}");
                    if base.is_empty() {
                        println!(
                            "(put your server's address in front, or give --url https://your.server)"
                        );
                    }
                    println!(
                        "They choose a password and set up an authenticator app there; keep the \
                         link private: whoever opens it first becomes this officer."
                    );
                }
                None => println!("They have enrolled already: they sign in as before."),
            }
        }
        OfficerCommand::List { db } => {
            let store = db.open()?;
            let officers = store.officers()?;
            if officers.is_empty() {
                println!("no officers yet: `teller officer add ELECTION EMAIL` names one");
            }
            for officer in officers {
                let scope = match &officer.scope {
                    OfficerScope::All => "every election".to_owned(),
                    OfficerScope::Elections(ids) if ids.is_empty() => "no election".to_owned(),
                    OfficerScope::Elections(ids) => ids.join(", "),
                };
                let enrolled = match officer.enrolled() {
                    true => "enrolled",
                    false => "not enrolled yet",
                };
                println!("{}\t{enrolled}\t{scope}", officer.email);
            }
        }
        OfficerCommand::Remove { email, db } => {
            let email = officer_email(&email)?;
            let store = db.open()?;
            if !store.remove_officer(&email)? {
                bail!("there is no officer {email} (`teller officer list`)");
            }
            println!("{email} is no longer an officer; their sessions have ended.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
