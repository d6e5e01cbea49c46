//! Teller's own member client over real HTTP: the steps a member's booth takes, one function
//! each — log in, get a blind-signed pass per contest, seal and cast, check the receipt's signed
//! promise and its inclusion in a checkpoint — with the booth's own code from [`crate::core::booth`].
//! The load generator [`load`] (`teller vote-sim`) and the end-to-end tests run these steps, so
//! they exercise the booth's protocol rather than one of their own.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod load;
pub mod witness;

use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};

use crate::core::booth::{seal_ballot, witnessed_checkpoint};
use crate::core::crypto::{Bytes, Pass, PassSecret};
use crate::core::log::{Checkpoint, InclusionProof, PassJson, leaf_hash, open_promise};
use crate::core::manifest::Manifest;
use crate::core::wire::{
    CastBody, LoginRequest, LoginResponse, PassRequestBody, PassResponse, Receipt,
};

pub use load::{VoteSimOptions, VoteSimReport, quantile, read_invitations, vote_sim};
pub use witness::{WitnessEnd, WitnessOptions, run_witness};

/// An HTTP client with the booth's manners: it waits when the server says it is busy.
pub(crate) struct Http {
    agent: ureq::Agent,
}

/// An HTTP answer: status and body.
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON, if the status is 200; otherwise an error naming `what` was asked.
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T> {
        if self.status != 200 {
            bail!(
                "{what}: HTTP {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            );
        }
        serde_json::from_slice(&self.body).with_context(|| format!("{what}: unreadable answer"))
    }

    /// The API error's code (docs/API.md), or "" if the body is not an API error.
    pub fn error_code(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Tries of one request while the server answers that it is busy.
const BUSY_TRIES: usize = 60;
/// Requests retried because the server was busy, in this process.
pub(crate) static BUSY_RETRIED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // One keep-alive connection pool per worker thread, as a member's browser would keep one.
    pub(crate) static HTTP: Http = Http::new();
}

impl Http {
    pub fn new() -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Self { agent }
    }

    pub fn get(&self, url: &str) -> Result<Answer> {
        let mut response = self
            .agent
            .get(url)
            .call()
            .with_context(|| format!("GET {url}"))?;
        Ok(Answer {
            status: response.status().as_u16(),
            body: response.body_mut().read_to_vec()?,
        })
    }

    pub fn post<T: serde::Serialize>(
        &self,
        url: &str,
        token: Option<&str>,
        body: &T,
    ) -> Result<Answer> {
        // A busy server (login queue full: 503; this address's or member's hashes in flight:
        // 429 with a wait of a second) says when to come back, as a booth would.
        for _ in 0..BUSY_TRIES {
            let mut request = self.agent.post(url);
            if let Some(token) = token {
                request = request.header("Authorization", &format!("Bearer {token}"));
            }
            let mut response = request
                .send_json(body)
                .with_context(|| format!("POST {url}"))?;
            let status = response.status().as_u16();
            let wait = (response.headers().get("Retry-After"))
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            let answer = Answer {
                status,
                body: response.body_mut().read_to_vec()?,
            };
            match (status, wait) {
                (503, Some(wait)) | (429, Some(wait @ 0..=2)) => {
                    BUSY_RETRIED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    std::thread::sleep(Duration::from_secs(wait.clamp(1, 5)));
                }
                _ => return Ok(answer),
            }
        }
        bail!("POST {url}: the server was still busy after {BUSY_TRIES} tries")
    }
}

/// The base URL of an election's API on a server.
pub(crate) fn api_base(server: &str, election: &str) -> String {
    format!("{}/api/elections/{election}", server.trim_end_matches('/'))
}

/// Step 1: logs `member` in with their invitation code.
pub(crate) fn login(http: &Http, base: &str, member: &str, code: &str) -> Result<LoginResponse> {
    let request = LoginRequest {
        member: member.to_owned(),
        code: code.to_owned(),
    };
    http.post(&format!("{base}/login"), None, &request)?
        .json(&format!("logging in as {member}"))
}

/// A pass the issuer signed, with what was sent for it.
pub(crate) struct Issued {
    /// The request as sent (a booth that lost the answer sends it again).
    pub body: PassRequestBody,
    /// The issuer's answer.
    pub response: PassResponse,
    /// The finalised pass.
    pub pass: Pass,
    /// The request's round trip, blinding and finalising not included.
    pub round_trip: Duration,
}

/// Step 2: blinds a pass for `contest` under the member's pass secret, has the issuer sign it
/// (with the session `token`), and finalises the signature into the pass, which must verify
/// under the contest's issuer key.
pub(crate) fn get_pass(
    http: &Http,
    base: &str,
    token: &str,
    manifest: &Manifest,
    secret: &PassSecret,
    contest: &str,
) -> Result<Issued> {
    let issuer = (manifest.contest(contest))
        .ok_or_else(|| anyhow!("the server offered contest {contest:?}, not in the manifest"))?
        .issuer_key();
    let request = secret.blind(issuer, &manifest.fingerprint(), contest)?;
    let body = PassRequestBody {
        contest: contest.to_owned(),
        blinded: Bytes(request.blinded_message().to_vec()),
        reissue: false,
    };
    let sent = Instant::now();
    let response: PassResponse = http
        .post(&format!("{base}/passes"), Some(token), &body)?
        .json(&format!("a pass in {contest}"))?;
    let round_trip = sent.elapsed();
    let pass = request
        .finalize(issuer, &response.blind_signature.0)
        .map_err(|e| anyhow!("the server's pass for {contest} does not verify: {e}"))?;
    Ok(Issued {
        body,
        response,
        pass,
        round_trip,
    })
}

/// Step 3: seals `ranking` to the election key and signs it with the pass's voting key, as the
/// booth does; `ikm` is the sealing's ephemeral key material.
pub(crate) fn seal(
    manifest: &Manifest,
    secret: &PassSecret,
    contest: &str,
    pass: &Pass,
    ranking: &[usize],
    replaces: Option<i64>,
    ikm: &[u8; 32],
) -> Result<CastBody> {
    let sealed = seal_ballot(
        manifest,
        secret,
        contest,
        &PassJson::from(pass),
        ranking,
        replaces,
        ikm,
    )?;
    Ok(sealed.cast)
}

/// Step 4: casts a sealed ballot; the box's answer as it came.
pub(crate) fn cast(http: &Http, base: &str, body: &CastBody) -> Result<Answer> {
    http.post(&format!("{base}/ballots"), None, body)
}

/// The receipt in a cast's answer, whose signed promise must name the entry it gives.
pub(crate) fn receipt(answer: &Answer, manifest: &Manifest, what: &str) -> Result<Receipt> {
    let receipt: Receipt = answer.json(what)?;
    let (seq, leaf) = open_promise(
        receipt.promise.as_bytes(),
        manifest.ballot_log_key(),
        &manifest.ballot_log_origin(),
    )
    .map_err(|e| anyhow!("the promise of inclusion does not verify: {e}"))?;
    ensure!(
        seq == receipt.seq && leaf.to_vec() == receipt.leaf.0,
        "the signed promise names another entry than the receipt"
    );
    Ok(receipt)
}

/// The ballot log's latest checkpoint once it covers `needed` entries (waiting up to 30 s), with
/// the booth's own check: signed by the ballot log's key, of this log's origin, and cosigned by
/// the manifest's quorum of witnesses (the largest such checkpoint is asked for).
pub(crate) fn checkpoint_covering(
    http: &Http,
    base: &str,
    manifest: &Manifest,
    needed: u64,
) -> Result<Checkpoint> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let witnessed = manifest.witness_quorum() > 0;
    let url = match witnessed {
        true => format!("{base}/logs/ballots/checkpoint?witnessed=true"),
        false => format!("{base}/logs/ballots/checkpoint"),
    };
    loop {
        let answer = http.get(&url)?;
        let size = match answer.status {
            200 => {
                let (checkpoint, _) = witnessed_checkpoint(manifest, &answer.body)?;
                if checkpoint.size() >= needed {
                    return Ok(checkpoint);
                }
                checkpoint.size()
            }
            // No checkpoint has the witnesses' quorum yet.
            404 if witnessed => 0,
            status => bail!("fetching the checkpoint: HTTP {status}"),
        };
        ensure!(
            Instant::now() < deadline,
            "no checkpoint{} covers the receipts after 30 s (latest size {size}, needed {needed})",
            if witnessed {
                " cosigned by the witnesses"
            } else {
                ""
            }
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Step 5: the receipt's entry is the ballot it promised, and is in `checkpoint` (an inclusion
/// proof from the log).
pub(crate) fn check_inclusion(
    http: &Http,
    base: &str,
    receipt: &Receipt,
    checkpoint: &Checkpoint,
) -> Result<()> {
    let entry = http.get(&format!(
        "{base}/logs/ballots/entries?start={}&end={}",
        receipt.seq,
        receipt.seq + 1
    ))?;
    ensure!(
        entry.status == 200,
        "fetching entry {}: HTTP {}",
        receipt.seq,
        entry.status
    );
    let bytes = entry.body.strip_suffix(b"\n").unwrap_or(&entry.body);
    ensure!(
        leaf_hash(bytes).to_vec() == receipt.leaf.0,
        "entry {} is not the ballot the receipt promised",
        receipt.seq
    );
    let proof = http.get(&format!(
        "{base}/logs/ballots/inclusion?seq={}&size={}",
        receipt.seq,
        checkpoint.size()
    ))?;
    ensure!(
        proof.status == 200,
        "fetching a proof: HTTP {}",
        proof.status
    );
    InclusionProof::decode(&proof.body)
        .map_err(|e| anyhow!("the inclusion proof does not parse: {e}"))?
        .verify(bytes, checkpoint)
        .map_err(|e| anyhow!("entry {} is not in the checkpoint: {e}", receipt.seq))
}
