//! `teller witness`: what a faction's scrutineer runs to watch an election's logs for a split view
//! (docs/PROTOCOL.md §16). It follows both logs on the server, checks that each new checkpoint
//! extends the last one it cosigned (a consistency proof from the server, checked here), cosigns
//! it (C2SP `tlog-cosignature`) and posts the cosignature back. Shown two checkpoints that cannot
//! both be true, it refuses, prints both signed checkpoints and the failed proof, and exits 3: that
//! text is the proof of the fork, which anyone can check with the manifest's log keys.
//!
//! The last checkpoint cosigned of each log is kept in a state file, written (atomically) before
//! the cosignature leaves, so a crash can never lead the witness to cosign a checkpoint that
//! contradicts one it already vouched for.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use super::{Http, api_base};
use crate::core::log::{
    Checkpoint, ConsistencyProof, NoteVerifier, Witness, cosignatures, open_note,
};
use crate::core::manifest::Manifest;
use crate::core::wire::ElectionSummary;

/// What the witness is told to do.
pub struct WitnessOptions {
    /// The server's base URL (`https://ballots.example.org`).
    pub server: String,
    /// The election id.
    pub election: String,
    /// The witness's signing key.
    pub key: Witness,
    /// Where the last cosigned checkpoints are kept.
    pub state: PathBuf,
    /// Seconds between rounds.
    pub every: Duration,
    /// One round, then stop (for a scheduler).
    pub once: bool,
    /// The fingerprint on the election's notices, if the scrutineer has it.
    pub fingerprint: Option<[u8; 32]>,
}

/// How a run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum WitnessEnd {
    /// The election is closed and both final checkpoints are cosigned (or `--once` ran its round).
    Done,
    /// The server showed a fork: the proof, as printed.
    Fork(String),
}

/// The state file: the last checkpoint cosigned of each log, as the server signed it.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct State {
    /// `teller-witness-state-v1`.
    format: String,
    election: String,
    /// The manifest's fingerprint, hex: a server that changes its manifest is refused.
    fingerprint: String,
    /// Log name → the checkpoint note last cosigned.
    logs: BTreeMap<String, String>,
}

const STATE_FORMAT: &str = "teller-witness-state-v1";

/// One log as the witness sees it.
struct Log {
    name: &'static str,
    key: NoteVerifier,
    origin: String,
}

/// Runs the witness until the election's logs are final and cosigned, `once` is done, or a fork
/// is found. `say` gets each line of progress.
pub fn run_witness(options: &WitnessOptions, say: &mut dyn FnMut(&str)) -> Result<WitnessEnd> {
    let http = Http::new();
    let base = api_base(&options.server, &options.election);
    let manifest_bytes = get(&http, &format!("{base}/manifest"), "the manifest")?;
    let manifest = Manifest::parse(&manifest_bytes)
        .map_err(|e| anyhow!("the server's manifest does not check: {e}"))?;
    let fingerprint = manifest.fingerprint_hex();
    if let Some(expected) = options.fingerprint
        && expected != manifest.fingerprint()
    {
        bail!(
            "the server's manifest has fingerprint {fingerprint}, not the {} you were given: do not trust this server's election",
            base16ct::lower::encode_string(&expected)
        );
    }
    let me = options.key.public();
    if !manifest.witnesses().contains(me) {
        let named: Vec<String> = manifest.witnesses().iter().map(|w| w.encode()).collect();
        bail!(
            "your key {} is not among the witnesses election {} names ({}); the server would refuse your cosignatures",
            me.encode(),
            options.election,
            if named.is_empty() {
                "it names none".to_owned()
            } else {
                named.join(", ")
            }
        );
    }
    let mut state = read_state(&options.state)?.unwrap_or_else(|| State {
        format: STATE_FORMAT.into(),
        election: options.election.clone(),
        fingerprint: fingerprint.clone(),
        logs: BTreeMap::new(),
    });
    if state.election != options.election || state.fingerprint != fingerprint {
        bail!(
            "{} is the state of election {} with fingerprint {}, but the server now serves election {} with fingerprint {fingerprint}: a witness follows one election (use another --state file)",
            options.state.display(),
            state.election,
            state.fingerprint,
            options.election
        );
    }
    say(&format!(
        "witness {} following election {} (fingerprint {fingerprint}) at {}",
        me.name(),
        options.election,
        options.server
    ));
    let logs = [
        Log {
            name: "ballots",
            key: manifest.ballot_log_key().clone(),
            origin: manifest.ballot_log_origin(),
        },
        Log {
            name: "issuance",
            key: manifest.issuance_log_key().clone(),
            origin: manifest.issuance_log_origin(),
        },
    ];
    loop {
        let closed = election_closed(&http, &options.server, &options.election)?;
        let mut all_final = closed;
        for log in &logs {
            match follow(&http, &base, options, &mut state, log, say)? {
                Step::Fork(proof) => return Ok(WitnessEnd::Fork(proof)),
                Step::Current => {}
                Step::NotBegun => all_final = false,
            }
        }
        if options.once {
            return Ok(WitnessEnd::Done);
        }
        if all_final {
            // The logs take nothing after the close: a checkpoint cosigned after it is final.
            say("the election is closed and both logs' final checkpoints are cosigned");
            return Ok(WitnessEnd::Done);
        }
        std::thread::sleep(options.every);
    }
}

/// What one look at a log found.
enum Step {
    /// The served checkpoint is cosigned (now or before), or is older than the last cosigned.
    Current,
    /// The log has not begun (the election is not open yet).
    NotBegun,
    /// Two checkpoints that cannot both be true.
    Fork(String),
}

fn follow(
    http: &Http,
    base: &str,
    options: &WitnessOptions,
    state: &mut State,
    log: &Log,
    say: &mut dyn FnMut(&str),
) -> Result<Step> {
    let url = format!("{base}/logs/{}/checkpoint", log.name);
    let answer = http.get(&url)?;
    match answer.status {
        200 => {}
        409 => return Ok(Step::NotBegun),
        status => bail!(
            "fetching the {} log's checkpoint: HTTP {status} {}",
            log.name,
            String::from_utf8_lossy(&answer.body)
        ),
    }
    let note = String::from_utf8(answer.body)
        .map_err(|_| anyhow!("the {} log's checkpoint is not UTF-8", log.name))?;
    let (body, new) = checked(&note, log)
        .with_context(|| format!("the {} log's checkpoint from the server", log.name))?;
    if let Some(old_note) = state.logs.get(log.name) {
        let (_, old) = checked(old_note, log).with_context(|| {
            format!(
                "the {} log's checkpoint in {}",
                log.name,
                options.state.display()
            )
        })?;
        if let Some(reason) = inconsistency(http, base, log, &old, &new)? {
            return Ok(Step::Fork(fork_proof(
                options, log, old_note, &note, &reason,
            )));
        }
        if new.size() < old.size() {
            say(&format!(
                "{} log: the server shows size {}, older than the {} already cosigned (consistent; not cosigned again)",
                log.name,
                new.size(),
                old.size()
            ));
            return Ok(Step::Current);
        }
    }
    let mine = cosignatures(note.as_bytes(), std::slice::from_ref(options.key.public()))
        .map_err(|e| anyhow!("the {} log's checkpoint: {e}", log.name))?;
    if !mine.is_empty() {
        return Ok(Step::Current);
    }
    // Recorded before the cosignature leaves: never vouch for two histories.
    state.logs.insert(log.name.to_owned(), note.clone());
    write_state(&options.state, state)?;
    let line = options.key.cosign(&body, unix_now())?;
    let answer = http.post(
        &format!("{base}/logs/{}/cosignatures", log.name),
        None,
        &serde_json::json!({ "size": new.size(), "cosignature": line }),
    )?;
    if answer.status != 200 {
        bail!(
            "the server refused the cosignature of the {} log at size {}: HTTP {} {}",
            log.name,
            new.size(),
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
    say(&format!("{} log: cosigned size {}", log.name, new.size()));
    Ok(Step::Current)
}

/// The checkpoint's body and parsed form, its log signature and origin checked.
fn checked(note: &str, log: &Log) -> Result<(String, Checkpoint)> {
    let (body, _) = open_note(note.as_bytes(), std::slice::from_ref(&log.key))
        .map_err(|e| anyhow!("its signature does not verify under the manifest's key: {e}"))?;
    let checkpoint = Checkpoint::parse(&body).map_err(|e| anyhow!("it does not parse: {e}"))?;
    if checkpoint.origin() != log.origin {
        bail!(
            "it is of log {:?}, not {:?}",
            checkpoint.origin(),
            log.origin
        );
    }
    Ok((body, checkpoint))
}

/// Why `old` (cosigned before) and `new` (shown now) cannot both be this log's, or `None` when
/// one extends the other (proved by the server's consistency proof, checked here).
fn inconsistency(
    http: &Http,
    base: &str,
    log: &Log,
    old: &Checkpoint,
    new: &Checkpoint,
) -> Result<Option<String>> {
    if old.size() == new.size() {
        return Ok((old.root() != new.root()).then(|| {
            format!(
                "both checkpoints are of size {} but their roots differ",
                old.size()
            )
        }));
    }
    let (smaller, larger) = if old.size() < new.size() {
        (old, new)
    } else {
        (new, old)
    };
    if smaller.size() == 0 {
        return Ok(None);
    }
    let url = format!(
        "{base}/logs/{}/consistency?old={}&new={}",
        log.name,
        smaller.size(),
        larger.size()
    );
    let answer = http.get(&url)?;
    if answer.status != 200 {
        return Ok(Some(format!(
            "the server gave no consistency proof from size {} to {} (HTTP {}: {})",
            smaller.size(),
            larger.size(),
            answer.status,
            String::from_utf8_lossy(&answer.body)
        )));
    }
    let proof = String::from_utf8_lossy(&answer.body).into_owned();
    Ok(ConsistencyProof::decode(&answer.body)
        .map_err(|e| e.to_string())
        .and_then(|p| p.verify(smaller, larger).map_err(|e| e.to_string()))
        .err()
        .map(|e| {
            format!(
                "the server's consistency proof from size {} to {} does not verify ({e}); the proof it gave: {proof}",
                smaller.size(),
                larger.size()
            )
        }))
}

fn fork_proof(
    options: &WitnessOptions,
    log: &Log,
    old_note: &str,
    new_note: &str,
    reason: &str,
) -> String {
    format!(
        "FORK: the {} log of election {} at {} has two histories.\n\
         {reason}.\n\
         Both checkpoints below are signed by the log's key {} (the manifest's); no honest log can \
         have signed both. Publish this text.\n\n\
         The checkpoint witness {} cosigned before:\n{old_note}\n\
         The checkpoint the server shows now:\n{new_note}",
        log.name,
        options.election,
        options.server,
        log.key.name(),
        options.key.public().name(),
    )
}

/// Whether the election takes nothing more (closed or tallied), from the server's list.
fn election_closed(http: &Http, server: &str, election: &str) -> Result<bool> {
    let url = format!("{}/api/elections", server.trim_end_matches('/'));
    let list: Vec<ElectionSummary> = http.get(&url)?.json("the list of elections")?;
    let summary = (list.iter().find(|e| e.id == election))
        .ok_or_else(|| anyhow!("the server lists no election {election:?}"))?;
    Ok(matches!(summary.state.as_str(), "closed" | "tallied"))
}

fn get(http: &Http, url: &str, what: &str) -> Result<Vec<u8>> {
    let answer = http.get(url)?;
    if answer.status != 200 {
        bail!(
            "fetching {what}: HTTP {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
    Ok(answer.body)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn read_state(path: &Path) -> Result<Option<State>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let state: State = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a witness state file", path.display()))?;
            if state.format != STATE_FORMAT {
                bail!("{} is not a {STATE_FORMAT} file", path.display());
            }
            Ok(Some(state))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes the state to a temporary file beside it, syncs it and renames it into place.
fn write_state(path: &Path, state: &State) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(state)?;
    let temporary = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    write().with_context(|| format!("writing {}", path.display()))
}
