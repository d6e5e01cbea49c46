//! The load generator, `teller vote-sim`: many members at once, each taking the booth's steps
//! ([`super`]): log in with the invitation code, get every pass, cast a random valid ranking, and
//! finally every receipt checked against a checkpoint. Logging in and getting passes, and casting,
//! are timed apart, with latencies per request.
//!
//! It probes the server's refusals as it goes: wrong codes, a pass for a contest the member is
//! not eligible for, a repeated pass request (must give the same signature), a second ballot
//! under a pass (refused under re-voting policy `forbidden`). Any answer other than the expected
//! one is an error.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail, ensure};
use rand::rngs::ChaCha20Rng;
use rand::seq::SliceRandom as _;
use rand::{Rng as _, RngExt as _, SeedableRng as _};

use super::{
    BUSY_RETRIED, HTTP, Http, api_base, cast, check_inclusion, checkpoint_covering, get_pass,
    login, receipt, seal,
};
use crate::core::crypto::{Bytes, Pass, PassSecret};
use crate::core::csv_file::{record_line, undo_defuse};
use crate::core::manifest::{Manifest, Revote};
use crate::core::register::INVITATION_COLUMNS;
use crate::core::wire::{CastBody, LoginRequest, PassRequestBody, PassResponse, Receipt};

/// What `teller vote-sim` does.
#[derive(Clone, Debug)]
pub struct VoteSimOptions {
    /// Base URLs of the servers (members are spread over them in turn).
    pub servers: Vec<String>,
    /// The ballot box's base URL, where another operator runs it: casts and the ballot log go
    /// there, logins and passes to `servers`.
    pub ballot_box: Option<String>,
    /// The election.
    pub election: String,
    /// `(member number, invitation code)` from `teller invitations export`.
    pub invitations: Vec<(String, String)>,
    /// Fraction of members who vote.
    pub turnout: f64,
    /// Members in flight at once.
    pub concurrency: usize,
    /// Seed of every random choice (who votes, rankings).
    pub seed: [u8; 32],
    /// Members who first try a wrong code.
    pub wrong_codes: usize,
    /// Write each acknowledged receipt here as it arrives (one JSON line, flushed).
    pub receipts: Option<std::path::PathBuf>,
    /// Skip checking receipts against a checkpoint (the crash test checks them itself).
    pub skip_receipt_checks: bool,
    /// Only log in (the login benchmark): no passes, no ballots.
    pub logins_only: bool,
    /// Skip the probes of refusals (repeated and ineligible pass requests, second ballots), so a
    /// benchmark times only what members normally do.
    pub no_probes: bool,
}

/// What happened.
#[derive(Debug, Default)]
pub struct VoteSimReport {
    /// Members who logged in.
    pub logins: usize,
    /// Wrong-code logins refused.
    pub wrong_codes_refused: usize,
    /// Passes issued.
    pub passes: usize,
    /// Pass requests for contests the member may not vote in, refused.
    pub ineligible_refused: usize,
    /// Repeated pass requests answered with the same signature.
    pub repeats_same: usize,
    /// Ballots accepted.
    pub ballots: usize,
    /// Second ballots refused (`already_voted`) or accepted as replacements.
    pub second_ballots: usize,
    /// Receipts checked against a checkpoint.
    pub receipts_checked: usize,
    /// Seconds spent logging in and getting passes.
    pub session_seconds: f64,
    /// Seconds spent casting.
    pub cast_seconds: f64,
    /// Cast latencies, sorted (milliseconds).
    pub cast_latencies_ms: Vec<f64>,
    /// Login latencies (the right code's request), sorted (milliseconds).
    pub login_latencies_ms: Vec<f64>,
    /// Pass request latencies (each first request), sorted (milliseconds).
    pub pass_latencies_ms: Vec<f64>,
    /// Requests the server answered busy (429 for a second, or 503) and that were sent again.
    pub busy_retried: usize,
}

/// The `q` quantile of sorted latencies (milliseconds; 0 when there are none).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n => sorted[((n - 1) as f64 * q).round() as usize],
    }
}

/// Reads `teller invitations export`'s CSV (RFC 4180: a member number may hold commas, quotes
/// and line breaks). Its fields are under the formula rule of [`crate::core::csv_file`], undone
/// here: `'-12` is member `-12`.
pub fn read_invitations(text: &str) -> Result<Vec<(String, String)>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = records
        .next()
        .transpose()
        .context("reading the invitations file")?;
    ensure!(
        header.is_some_and(|h| h.iter().eq(INVITATION_COLUMNS)),
        "not an invitations file: the first line must be `member_number,invitation_code`"
    );
    records
        .map(|record| {
            let record = record.context("reading the invitations file")?;
            let line = record_line(text, record.position());
            match (record.get(0), record.get(1), record.len()) {
                (Some(member), Some(code), 2) => {
                    Ok((undo_defuse(member).to_owned(), undo_defuse(code).to_owned()))
                }
                _ => bail!("line {line}: expected `member,code`"),
            }
        })
        .collect()
}

/// One voter's plan and what they got.
struct Voter {
    member: String,
    code: String,
    server: String,
    secret: PassSecret,
    wrong_code: bool,
    probe: bool,
    seed: [u8; 32],
    passes: Vec<(String, Pass)>,
}

/// Runs the simulation; `progress(stage, done, total)` as it goes.
pub fn vote_sim(
    options: &VoteSimOptions,
    progress: &(dyn Fn(&'static str, usize, usize) + Sync),
) -> Result<VoteSimReport> {
    ensure!(!options.servers.is_empty(), "give at least one --server");
    ensure!(
        (0.0..=1.0).contains(&options.turnout),
        "--turnout is a fraction between 0 and 1"
    );
    let http = Http::new();
    let manifest_bytes = http.get(&format!(
        "{}/manifest",
        api_base(&options.servers[0], &options.election)
    ))?;
    ensure!(
        manifest_bytes.status == 200,
        "the server has no election {:?} (HTTP {})",
        options.election,
        manifest_bytes.status
    );
    let manifest = Manifest::parse(&manifest_bytes.body)
        .map_err(|e| anyhow!("the server's manifest does not parse: {e}"))?;
    let mut voters = voters(options, ChaCha20Rng::from_seed(options.seed));
    let report = Mutex::new(VoteSimReport::default());
    let receipts_file = match &options.receipts {
        Some(path) => Some(Mutex::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => None,
    };

    // Phase 1: log in and get passes.
    let started = Instant::now();
    let voting = voters.len();
    run_parallel(
        voting,
        options.concurrency,
        |i| {
            let mut voter = voters[i].lock().map_err(|_| anyhow!("a worker panicked"))?;
            HTTP.with(|http| log_in_and_get_passes(http, options, &manifest, &mut voter, &report))
        },
        &|done| progress("logging in and getting passes", done, voting),
    )?;
    let session_seconds = started.elapsed().as_secs_f64();

    // Phase 2: cast, timed on its own.
    let mut jobs: Vec<(usize, usize)> = Vec::new();
    for (v, voter) in voters.iter_mut().enumerate() {
        let voter = voter.get_mut().map_err(|_| anyhow!("poisoned"))?;
        for p in 0..voter.passes.len() {
            jobs.push((v, p));
        }
    }
    let receipts: Mutex<Vec<Receipt>> = Mutex::new(Vec::new());
    let latencies = Mutex::new(Vec::with_capacity(jobs.len()));
    let started = Instant::now();
    let total_jobs = jobs.len();
    let casting = Casting {
        options,
        manifest: &manifest,
        report: &report,
        receipts: &receipts,
        latencies: &latencies,
        receipts_file: receipts_file.as_ref(),
    };
    run_parallel(
        jobs.len(),
        options.concurrency,
        |j| {
            let (v, p) = jobs[j];
            let voter = voters[v].lock().map_err(|_| anyhow!("poisoned"))?;
            HTTP.with(|http| casting.cast(http, &voter, p))
        },
        &|done| progress("casting", done, total_jobs),
    )?;
    let cast_seconds = started.elapsed().as_secs_f64();

    let mut report = report.into_inner().map_err(|_| anyhow!("poisoned"))?;
    report.session_seconds = session_seconds;
    report.cast_seconds = cast_seconds;
    let mut latencies = latencies.into_inner().map_err(|_| anyhow!("poisoned"))?;
    latencies.sort_by(f64::total_cmp);
    report.cast_latencies_ms = latencies;
    report.login_latencies_ms.sort_by(f64::total_cmp);
    report.pass_latencies_ms.sort_by(f64::total_cmp);
    report.busy_retried = BUSY_RETRIED.load(Ordering::Relaxed);
    let receipts = receipts.into_inner().map_err(|_| anyhow!("poisoned"))?;
    if !options.skip_receipt_checks && !receipts.is_empty() {
        report.receipts_checked = check_receipts(options, &manifest, &receipts, progress)?;
    }
    Ok(report)
}

/// Who votes (a `turnout` share of the invitations, drawn with `rng`), each with a pass secret,
/// a seed for their rankings, and a server (spread in turn).
fn voters(options: &VoteSimOptions, mut rng: ChaCha20Rng) -> Vec<Mutex<Voter>> {
    let mut order: Vec<usize> = (0..options.invitations.len()).collect();
    order.shuffle(&mut rng);
    let voting = ((options.invitations.len() as f64) * options.turnout).round() as usize;
    order[..voting]
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let (member, code) = options.invitations[i].clone();
            let mut secret = [0u8; 16];
            rng.fill_bytes(&mut secret);
            let mut seed = [0u8; 32];
            rng.fill_bytes(&mut seed);
            Mutex::new(Voter {
                member,
                code,
                server: options.servers[n % options.servers.len()].clone(),
                secret: PassSecret::from_bytes(secret),
                wrong_code: n < options.wrong_codes,
                probe: !options.no_probes && n % 10 == 3,
                seed,
                passes: Vec::new(),
            })
        })
        .collect()
}

/// Phase 1 for one voter: a wrong code first if planned, the login, a pass in each contest the
/// server offers, and the probes of a repeated and an ineligible pass request.
fn log_in_and_get_passes(
    http: &Http,
    options: &VoteSimOptions,
    manifest: &Manifest,
    voter: &mut Voter,
    report: &Mutex<VoteSimReport>,
) -> Result<()> {
    let base = api_base(&voter.server, &options.election);
    let mut wrong_refused = 0;
    if voter.wrong_code {
        let wrong = LoginRequest {
            member: voter.member.clone(),
            code: "0000-0000-0000-0000-0000-0000".into(),
        };
        let answer = http.post(&format!("{base}/login"), None, &wrong)?;
        ensure!(
            answer.status == 401 && answer.error_code() == "bad_login",
            "a wrong code for {} was not refused as bad_login (HTTP {})",
            voter.member,
            answer.status
        );
        wrong_refused += 1;
    }
    let login_started = Instant::now();
    let login = login(http, &base, &voter.member, &voter.code)?;
    let login_ms = login_started.elapsed().as_secs_f64() * 1000.0;
    let mut pass_ms = Vec::new();
    let mut passes = Vec::new();
    let mut repeats = 0;
    let contests: &[String] = if options.logins_only {
        &[]
    } else {
        &login.contests
    };
    for contest in contests {
        let issued = get_pass(http, &base, &login.token, manifest, &voter.secret, contest)?;
        pass_ms.push(issued.round_trip.as_secs_f64() * 1000.0);
        if voter.probe {
            // A retry (a booth that lost the answer) gets the same signature, nothing more.
            let again: PassResponse = http
                .post(&format!("{base}/passes"), Some(&login.token), &issued.body)?
                .json("a repeated pass request")?;
            ensure!(
                again.blind_signature == issued.response.blind_signature,
                "a repeated pass request got a different signature"
            );
            repeats += 1;
        }
        passes.push((contest.clone(), issued.pass));
    }
    let mut ineligible = 0;
    if voter.probe
        && !options.logins_only
        && let Some(other) =
            (manifest.contests().iter()).find(|c| !login.contests.iter().any(|e| e == c.id()))
    {
        let request =
            (voter.secret).blind(other.issuer_key(), &manifest.fingerprint(), other.id())?;
        let answer = http.post(
            &format!("{base}/passes"),
            Some(&login.token),
            &PassRequestBody {
                contest: other.id().to_owned(),
                blinded: Bytes(request.blinded_message().to_vec()),
                reissue: false,
            },
        )?;
        ensure!(
            answer.status == 403 && answer.error_code() == "not_eligible",
            "a pass for {} in {}, where the member is not eligible, was not refused (HTTP {})",
            voter.member,
            other.id(),
            answer.status
        );
        ineligible += 1;
    }
    let mut report = report.lock().map_err(|_| anyhow!("poisoned"))?;
    report.wrong_codes_refused += wrong_refused;
    report.logins += 1;
    report.login_latencies_ms.push(login_ms);
    report.pass_latencies_ms.extend(pass_ms);
    report.passes += passes.len();
    report.repeats_same += repeats;
    report.ineligible_refused += ineligible;
    voter.passes = passes;
    Ok(())
}

/// What phase 2's workers share.
struct Casting<'a> {
    options: &'a VoteSimOptions,
    manifest: &'a Manifest,
    report: &'a Mutex<VoteSimReport>,
    receipts: &'a Mutex<Vec<Receipt>>,
    latencies: &'a Mutex<Vec<f64>>,
    receipts_file: Option<&'a Mutex<std::fs::File>>,
}

impl Casting<'_> {
    /// Phase 2 for one pass: a random valid ranking cast under it, its receipt kept (and written
    /// out), and for a probing voter a second ballot under the same pass.
    fn cast(&self, http: &Http, voter: &Voter, p: usize) -> Result<()> {
        let (contest_id, pass) = &voter.passes[p];
        let contest = (self.manifest.contest(contest_id)).ok_or_else(|| {
            anyhow!("the server named a contest {contest_id:?} the manifest lacks")
        })?;
        let mut seed = voter.seed;
        seed[0] ^= p as u8;
        let mut rng = ChaCha20Rng::from_seed(seed);
        let n = contest.candidate_count();
        let length = rng.random_range(1..=n);
        let mut left: Vec<usize> = (0..n).collect();
        let ranking: Vec<usize> = (0..length)
            .map(|_| left.remove(rng.random_range(0..left.len())))
            .collect();
        let server = (self.options.ballot_box.as_deref()).unwrap_or(&voter.server);
        let base = api_base(server, &self.options.election);
        // The sealing's ephemeral key material from the voter's seeded generator.
        let sealed = |replaces: Option<i64>, rng: &mut ChaCha20Rng| -> Result<CastBody> {
            let mut ikm = [0u8; 32];
            rng.fill_bytes(&mut ikm);
            seal(
                self.manifest,
                &voter.secret,
                contest_id,
                pass,
                &ranking,
                replaces,
                &ikm,
            )
        };
        let body = sealed(None, &mut rng)?;
        let sent = Instant::now();
        let answer = cast(http, &base, &body)?;
        let what = format!("casting {}'s ballot in {contest_id}", voter.member);
        let receipt = receipt(&answer, self.manifest, &what)?;
        (self.latencies.lock().map_err(|_| anyhow!("poisoned"))?)
            .push(sent.elapsed().as_secs_f64() * 1000.0);
        if let Some(file) = self.receipts_file {
            use std::io::Write as _;
            let mut file = file.lock().map_err(|_| anyhow!("poisoned"))?;
            writeln!(file, "{}", serde_json::to_string(&receipt)?)?;
            file.flush()?;
        }
        let mut seconds = 0;
        if voter.probe && p == 0 {
            // A second ballot under the same pass.
            let revote = self.manifest.revote();
            let replaces = (revote == Revote::Last).then_some(receipt.seq);
            let again = cast(http, &base, &sealed(replaces, &mut rng)?)?;
            match revote {
                Revote::Forbidden => ensure!(
                    again.status == 409 && again.error_code() == "already_voted",
                    "a second ballot under one pass was not refused (HTTP {})",
                    again.status
                ),
                Revote::Last => {
                    let second = super::receipt(&again, self.manifest, "a replacing ballot")?;
                    (self.receipts.lock().map_err(|_| anyhow!("poisoned"))?).push(second);
                }
            }
            seconds += 1;
        }
        (self.receipts.lock().map_err(|_| anyhow!("poisoned"))?).push(receipt);
        let mut report = self.report.lock().map_err(|_| anyhow!("poisoned"))?;
        report.ballots += 1;
        report.second_ballots += seconds;
        Ok(())
    }
}

/// Fetches a checkpoint covering every receipt and checks each receipt's entry and inclusion
/// proof against it.
fn check_receipts(
    options: &VoteSimOptions,
    manifest: &Manifest,
    receipts: &[Receipt],
    progress: &(dyn Fn(&'static str, usize, usize) + Sync),
) -> Result<usize> {
    let ballot_box = (options.ballot_box.as_ref()).unwrap_or(&options.servers[0]);
    let base = api_base(ballot_box, &options.election);
    let needed = receipts.iter().map(|r| r.seq).max().unwrap_or(0) as u64 + 1;
    let checkpoint = checkpoint_covering(&Http::new(), &base, manifest, needed)?;
    let checked = AtomicUsize::new(0);
    run_parallel(
        receipts.len(),
        options.concurrency.min(8),
        |i| {
            HTTP.with(|http| check_inclusion(http, &base, &receipts[i], &checkpoint))?;
            checked.fetch_add(1, Ordering::Relaxed);
            Ok(())
        },
        &|done| progress("checking receipts", done, receipts.len()),
    )?;
    Ok(checked.into_inner())
}

/// Runs `job(0..count)` on `threads` threads, stopping at the first error.
fn run_parallel(
    count: usize,
    threads: usize,
    job: impl Fn(usize) -> Result<()> + Sync,
    tick: &(dyn Fn(usize) + Sync),
) -> Result<()> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, count.max(1)) {
            scope.spawn(|| {
                loop {
                    if failed.lock().map(|f| f.is_some()).unwrap_or(true) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return;
                    }
                    if let Err(e) = job(i) {
                        if let Ok(mut failed) = failed.lock() {
                            failed.get_or_insert(e);
                        }
                        return;
                    }
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if finished.is_multiple_of(50) || finished == count {
                        tick(finished);
                    }
                }
            });
        }
    });
    match failed.into_inner().map_err(|_| anyhow!("poisoned"))? {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_are_taken_from_the_sorted_latencies() {
        assert_eq!(quantile(&[], 0.99), 0.0);
        assert_eq!(quantile(&[7.0], 0.5), 7.0);
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&hundred, 0.5), 51.0);
        assert_eq!(quantile(&hundred, 0.99), 99.0);
        assert_eq!(quantile(&hundred, 1.0), 100.0);
    }
}
