//! `teller witness`: a faction's scrutineer cosigns an election's checkpoints (docs/PROTOCOL.md
//! §16), and `teller witness keygen` makes the key whose public half goes in the election's
//! definition.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use teller::admin::{secret_seed, write_secret};
use teller::client::{WitnessEnd, WitnessOptions, run_witness};
use teller::core::log::Witness;

/// `teller witness`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct WitnessArgs {
    #[command(subcommand)]
    command: Option<WitnessCommand>,
    /// The server's base URL.
    #[arg(long, required = true)]
    server: Option<String>,
    /// The election id.
    #[arg(long, required = true)]
    election: Option<String>,
    /// Your witness key file (from `teller witness keygen`).
    #[arg(long, required = true)]
    key: Option<PathBuf>,
    /// Where the last checkpoints you cosigned are kept (default: witness-ELECTION.json here).
    /// Keep it: it is what lets you notice a fork.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Seconds between looks at the logs.
    #[arg(long, default_value_t = 10)]
    every: u64,
    /// Look once and stop (for a scheduler), instead of following until the election closes.
    #[arg(long)]
    once: bool,
    /// The fingerprint printed on the election's notices: refuse a server whose manifest differs.
    #[arg(long, value_name = "HEX")]
    fingerprint: Option<String>,
}

#[derive(clap::Subcommand)]
enum WitnessCommand {
    /// Make a witness key: writes the private key to FILE (readable by you only) and prints the
    /// public key for the returning officer to name in the election's [witnesses].
    Keygen {
        /// Your witness's name, e.g. left-caucus.example/witness (no spaces or +).
        #[arg(long)]
        name: String,
        /// The private key file to create (it must not exist).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs `teller witness`: exit 0 when done, 3 on a fork (its proof printed), 2 on an error.
pub fn run_witness_command(args: WitnessArgs) -> Result<ExitCode> {
    if let Some(WitnessCommand::Keygen { name, out }) = args.command {
        return keygen(&name, &out);
    }
    let missing = |what| anyhow!("--{what} is required");
    let election = args.election.ok_or_else(|| missing("election"))?;
    let key_path = args.key.ok_or_else(|| missing("key"))?;
    let key_text = fs::read_to_string(&key_path)
        .with_context(|| format!("reading the witness key {}", key_path.display()))?;
    let key = Witness::parse(key_text.trim())
        .map_err(|e| anyhow!("{} is not a witness key: {e}", key_path.display()))?;
    let fingerprint = args
        .fingerprint
        .map(|hex| {
            let compact: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
            let mut bytes = [0u8; 32];
            base16ct::mixed::decode(&compact, &mut bytes)
                .map_err(|_| anyhow!("--fingerprint must be 64 hex digits"))?;
            Ok::<_, anyhow::Error>(bytes)
        })
        .transpose()?;
    let options = WitnessOptions {
        server: args.server.ok_or_else(|| missing("server"))?,
        state: args
            .state
            .unwrap_or_else(|| PathBuf::from(format!("witness-{election}.json"))),
        election,
        key,
        every: Duration::from_secs(args.every.max(1)),
        once: args.once,
        fingerprint,
    };
    let mut say = |line: &str| println!("{line}");
    match run_witness(&options, &mut say)? {
        WitnessEnd::Done => Ok(ExitCode::SUCCESS),
        WitnessEnd::Fork(proof) => {
            println!("{proof}");
            eprintln!(
                "teller: the witness refused: the server showed two inconsistent checkpoints (the proof is above)"
            );
            Ok(ExitCode::from(3))
        }
    }
}

fn keygen(name: &str, out: &std::path::Path) -> Result<ExitCode> {
    let seed = secret_seed()?;
    let witness =
        Witness::from_seed(name, &seed).map_err(|e| anyhow!("witness name {name:?}: {e}"))?;
    let text = zeroize::Zeroizing::new(format!("{}\n", witness.encode().as_str()));
    write_secret(out, text.as_bytes())?;
    println!("{}", witness.public().encode());
    eprintln!(
        "teller: private key written to {}; give the returning officer the public key above for the election's [witnesses]",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
