//! `teller trustee …`: the trustees make the election key together (docs/PROTOCOL.md §11.2),
//! each on their own machine, exchanging files through one directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};

use teller::admin::ceremony::{
    Exchange, SETUP_FILE, accept_file, complaint_file, read_identity, round1_file, round2_file,
    trustee_seed, write_identity,
};
use teller::admin::{read_share, write_share};
use teller::core::ceremony::{self, Finished, Setup, TrusteeKey, judge};
use teller::core::crypto::{Bytes, decode_bytes, encode_bytes, os_rng};
use teller::core::manifest::Manifest;

/// The trustees' commands, in the order a ceremony runs them.
#[derive(clap::Subcommand)]
pub enum TrusteeCommand {
    /// Make your trustee key: writes it to FILE (readable by you only) and prints the line to
    /// give the returning officer.
    Keygen {
        /// Your name as the members know you, e.g. "Ann Jones".
        #[arg(long)]
        name: String,
        /// The key file to create (it must not exist). Keep it until the election is over.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// (Returning officer) Start a ceremony: writes setup.json into the exchange directory from
    /// the lines the trustees' `keygen` printed.
    Setup {
        /// The exchange directory (created if need be).
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The election id, as in its definition.
        #[arg(long)]
        election: String,
        /// How many trustees must bring their shares to decrypt.
        #[arg(long)]
        threshold: i64,
        /// A trustee, as `keygen` printed it (`NAME=KEY`), once per trustee, in order.
        #[arg(long = "trustee", value_name = "NAME=KEY", required = true)]
        trustees: Vec<String>,
    },
    /// Round 1: your commitments and your encryption key, into the exchange directory.
    Round1(Step),
    /// Round 2, once every trustee's round-1 file is in the directory: your share for each other
    /// trustee, sealed so only they can open it.
    Round2(Step),
    /// Once every round-2 file is in: check the shares sealed to you, write your share of the
    /// election key to --share and your acceptance of the key to the directory. A bad share is
    /// answered with a complaint (exit 3).
    Finish {
        #[command(flatten)]
        step: Step,
        /// Where to write your share of the election key (it must not exist). Keep it secret and
        /// safe: you bring it to the tally.
        #[arg(long, value_name = "FILE")]
        share: PathBuf,
    },
    /// Anyone: what the exchange directory holds, what is missing, and every complaint judged.
    /// Exit 0 when the ceremony is complete and checks, 1 while files are missing, 3 when it
    /// failed (the trustee at fault is named).
    Status {
        /// The exchange directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Before the election opens: check that the manifest's election key is the one your
    /// ceremony made and that your share matches it.
    Check {
        /// The election's manifest (`election create --out`, or the server's
        /// /api/elections/{id}/manifest).
        manifest: PathBuf,
        /// Your trustee key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Your share file (from `finish`).
        #[arg(long, value_name = "FILE")]
        share: PathBuf,
    },
}

/// What a trustee gives each step.
#[derive(clap::Args)]
pub struct Step {
    /// The exchange directory.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Your trustee key file (from `keygen`).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Your state file for this ceremony: written by round1 (readable by you only), read by the
    /// later steps. Keep it on your machine; never send it.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
}

/// Runs `teller trustee …`.
pub fn run_trustee(command: TrusteeCommand) -> Result<ExitCode> {
    match command {
        TrusteeCommand::Keygen { name, out } => {
            let identity = write_identity(&out, &name)?;
            println!("{}", identity.public_line());
            eprintln!(
                "teller: your trustee key is in {} (readable by you only; keep it until the \
                 election is over). Give the returning officer the line above.",
                out.display()
            );
        }
        TrusteeCommand::Setup {
            dir,
            election,
            threshold,
            trustees,
        } => setup(&dir, election, threshold, &trustees)?,
        TrusteeCommand::Round1(step) => round1(&step)?,
        TrusteeCommand::Round2(step) => round2(&step)?,
        TrusteeCommand::Finish { step, share } => return finish(&step, &share),
        TrusteeCommand::Status { dir } => return status(&dir),
        TrusteeCommand::Check {
            manifest,
            key,
            share,
        } => check(&manifest, &key, &share)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn setup(dir: &Path, election: String, threshold: i64, lines: &[String]) -> Result<()> {
    let trustees = lines
        .iter()
        .map(|line| {
            let (name, key) = line.rsplit_once('=').ok_or_else(|| {
                anyhow!("--trustee {line:?}: give NAME=KEY, as `teller trustee keygen` printed it")
            })?;
            let key = decode_bytes(key.trim())
                .ok()
                .filter(|k| k.len() == 32)
                .ok_or_else(|| {
                    anyhow!("--trustee {line:?}: the key is not 32 bytes of base64url")
                })?;
            Ok(TrusteeKey {
                name: name.trim().to_owned(),
                key: Bytes(key),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let setup = Setup {
        election,
        threshold,
        trustees,
    };
    setup.check()?;
    let path = Exchange::new(dir).write(SETUP_FILE, &setup)?;
    describe(&setup, None);
    println!("written {}", path.display());
    println!("next: each trustee runs `teller trustee round1 --dir DIR --key KEY --state STATE`");
    Ok(())
}

/// Prints the ceremony's setup, so a trustee sees what they take part in.
fn describe(setup: &Setup, me: Option<u8>) {
    println!(
        "ceremony for election {}: {} of {} trustees needed to decrypt; id {}",
        setup.election,
        setup.threshold,
        setup.count(),
        base16ct::lower::encode_string(&setup.id())
    );
    for (i, trustee) in (1u8..).zip(&setup.trustees) {
        let you = if me == Some(i) { "  (you)" } else { "" };
        println!(
            "  {i}. {}  {}{you}",
            trustee.name,
            encode_bytes(&trustee.key.0)
        );
    }
}

/// The setup, this trustee's identity and index, and its seed.
fn start(
    step: &Step,
    create: bool,
) -> Result<(
    Exchange,
    Setup,
    ed25519_dalek::SigningKey,
    u8,
    ceremony::TrusteeSeed,
)> {
    let exchange = Exchange::new(&step.dir);
    let setup = exchange.setup()?;
    let identity = read_identity(&step.key)?;
    let index = setup
        .index_of(identity.key.verifying_key().as_bytes())
        .ok_or_else(|| {
            anyhow!(
                "your key ({}) is not one of this ceremony's trustees; check setup.json with the \
                 returning officer",
                identity.public_line()
            )
        })?;
    let seed = trustee_seed(&step.state, &setup, create)?;
    Ok((exchange, setup, identity.key, index, seed))
}

fn round1(step: &Step) -> Result<()> {
    let (exchange, setup, key, index, seed) = start(step, true)?;
    describe(&setup, Some(index));
    let file = ceremony::round1(&setup, &key, &seed)?;
    let path = exchange.write(&round1_file(index), &file)?;
    println!("written {}", path.display());
    println!(
        "next: when every trustee's round1-*.json is in the directory, run `teller trustee round2`"
    );
    Ok(())
}

fn round2(step: &Step) -> Result<()> {
    let (exchange, setup, key, index, seed) = start(step, false)?;
    let round1 = exchange.round1(&setup)?;
    let file = ceremony::round2(&setup, &key, &seed, &round1, &mut os_rng()?)?;
    let path = exchange.write(&round2_file(index), &file)?;
    println!(
        "every round-1 file checks (signatures and proofs of knowledge); your {} shares are sealed",
        file.shares.len()
    );
    println!("written {}", path.display());
    println!(
        "next: when every trustee's round2-*.json is in the directory, run `teller trustee finish`"
    );
    Ok(())
}

fn finish(step: &Step, share_path: &Path) -> Result<ExitCode> {
    let (exchange, setup, key, index, seed) = start(step, false)?;
    let round1 = exchange.round1(&setup)?;
    let round2 = exchange.round2(&setup)?;
    match ceremony::finish(&setup, &key, &seed, &round1, &round2)? {
        Finished::Complained(complaint) => {
            let against = complaint.against as u8;
            let path = exchange.write(&complaint_file(index, against), &complaint)?;
            eprintln!(
                "teller: the share trustee {against} ({}) sealed to you does not match their \
                 commitments. Your complaint is {}: send it to every trustee and the returning \
                 officer; anyone can check it with `teller trustee status`. This ceremony cannot \
                 make a key: run a new one without trustee {against}.",
                setup.name(against),
                path.display()
            );
            Ok(ExitCode::from(3))
        }
        Finished::Accepted {
            share,
            acceptance,
            outcome,
        } => {
            write_share(share_path, &share)?;
            let path = exchange.write(&accept_file(index), &acceptance)?;
            println!("every share sealed to you matches its sender's commitments");
            println!("election key {}", encode_bytes(&outcome.election_key));
            println!(
                "your share: {} (keep it secret and safe; bring it to the tally)",
                share_path.display()
            );
            println!("written {}", path.display());
            println!(
                "next: when every accept-*.json is in the directory, the returning officer runs \
                 `teller election create DEFINITION --ceremony DIR`; then check its manifest with \
                 `teller trustee check`"
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn status(dir: &Path) -> Result<ExitCode> {
    let exchange = Exchange::new(dir);
    let setup = exchange.setup()?;
    describe(&setup, None);
    let present = |name: String| exchange.path(&name).exists();
    for i in 1..=setup.count() as u8 {
        let mark = |name: String| if present(name) { "yes" } else { "no " };
        println!(
            "  trustee {i} ({}): round 1 {}  round 2 {}  accepted {}",
            setup.name(i),
            mark(round1_file(i)),
            mark(round2_file(i)),
            mark(accept_file(i))
        );
    }
    let complaints = exchange.complaints()?;
    let mut failed = false;
    if !complaints.is_empty() {
        let round1 = exchange.round1(&setup)?;
        let round2 = exchange.round2(&setup)?;
        for (name, complaint) in &complaints {
            let verdict = judge(&setup, &round1, &round2, complaint)?;
            failed = true;
            let by = complaint.trustee as u8;
            let against = complaint.against as u8;
            if verdict.upheld {
                println!(
                    "{name}: UPHELD. Trustee {against} ({}) sent trustee {by} ({}) a bad share: {}",
                    setup.name(against),
                    setup.name(by),
                    verdict.reason
                );
            } else {
                println!(
                    "{name}: FALSE. Trustee {by} ({}) complained of a good share from trustee \
                     {against} ({}): {}",
                    setup.name(by),
                    setup.name(against),
                    verdict.reason
                );
            }
        }
    }
    if failed {
        println!(
            "this ceremony cannot make a key; run a new one (a new setup) without the trustee at \
             fault"
        );
        return Ok(ExitCode::from(3));
    }
    match exchange.ceremony() {
        Ok(ceremony) => {
            let outcome = ceremony.check()?;
            println!(
                "complete: every file checks and every trustee accepted election key {}",
                encode_bytes(&outcome.election_key)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.to_string().starts_with("waiting for") => {
            println!("not complete: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            println!("FAILED: {e:#}");
            Ok(ExitCode::from(3))
        }
    }
}

fn check(manifest_path: &Path, key: &Path, share_path: &Path) -> Result<()> {
    let bytes = std::fs::read(manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let manifest = Manifest::parse(&bytes)
        .map_err(|e| anyhow!("{} is not a valid manifest: {e}", manifest_path.display()))?;
    let Some(ceremony) = manifest.ceremony() else {
        bail!(
            "this manifest's key was dealt by the returning officer's machine (`--dealer`), not \
             made by a trustees' ceremony"
        );
    };
    let identity = read_identity(key)?;
    let index = (ceremony.setup)
        .index_of(identity.key.verifying_key().as_bytes())
        .ok_or_else(|| {
            anyhow!(
                "you ({}) are not one of this manifest's trustees",
                identity.public_line()
            )
        })?;
    // The manifest parsed, so its ceremony checks, every trustee's acceptance included — this
    // trustee's signature over every round's files and this key is among them.
    let share = read_share(share_path)?;
    if share.index() != index {
        bail!(
            "{} is trustee {}'s share; you are trustee {index}",
            share_path.display(),
            share.index()
        );
    }
    let commitment = manifest.share_commitments()[usize::from(index) - 1];
    if share.commitment_for(manifest.key_origin()) != commitment {
        bail!(
            "your share does not match the manifest's commitment for trustee {index}: this is not \
             the key your ceremony made"
        );
    }
    println!(
        "OK: election {} (fingerprint {}) uses the key your ceremony made ({}), which you \
         accepted; your share is trustee {index}'s of {} ({} needed)",
        manifest.draft().election,
        manifest.fingerprint_hex(),
        encode_bytes(&manifest.election_key().to_bytes()),
        ceremony.setup.count(),
        ceremony.setup.threshold
    );
    Ok(())
}
