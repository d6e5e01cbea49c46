//! The routes of docs/API.md.

use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest as _, Sha256};

use super::wire::{
    CastBody, ElectionSummary, LoginRequest, LoginResponse, PassRequestBody, PassResponse, Receipt,
    tracker,
};
use super::{ApiError, AppState};
use crate::core::ballot::{CastRequest, accept_cast};
use crate::core::crypto::{Bytes, InvitationCode, InvitationHash, encode_bytes, sign_blinded};
use crate::core::log::promise_text;
use crate::core::manifest::Revote;
use crate::store::{BALLOTS, ISSUANCE, IssueOutcome, PendingCast, StoredIssuance, now};

/// How long a member session lasts.
const SESSION_SECONDS: i64 = 2 * 60 * 60;
/// Entries returned by one request at most.
const MAX_ENTRIES: i64 = 1000;
/// A checkpoint younger than this is served instead of signing a new one.
const CHECKPOINT_MAX_AGE: i64 = 1;

type State = web::Data<AppState>;

/// Registers the API's routes.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/api/health", web::get().to(health))
        .route("/api/elections", web::get().to(elections))
        .route("/api/elections/{id}/manifest", web::get().to(manifest))
        .route("/api/elections/{id}/login", web::post().to(login))
        .route("/api/elections/{id}/passes", web::post().to(pass))
        .route("/api/elections/{id}/ballots", web::post().to(cast))
        .route(
            "/api/elections/{id}/logs/{log}/checkpoint",
            web::get().to(checkpoint),
        )
        .route(
            "/api/elections/{id}/logs/{log}/entries",
            web::get().to(entries),
        )
        .route(
            "/api/elections/{id}/logs/{log}/inclusion",
            web::get().to(inclusion),
        )
        .route(
            "/api/elections/{id}/logs/{log}/consistency",
            web::get().to(consistency),
        );
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(f).await?
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
}

async fn elections(state: State) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let rows = blocking(move || Ok(store.elections()?)).await?;
    let list: Vec<ElectionSummary> = rows
        .into_iter()
        .filter_map(|row| {
            let manifest = crate::admin::manifest_of(&row).ok()?;
            Some(ElectionSummary {
                id: row.id,
                title: manifest.draft().title.clone(),
                state: row.state,
                fingerprint: manifest.fingerprint_hex(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

async fn manifest(state: State, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let election = state.election(&id)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(election.manifest.bytes().to_vec()))
}

async fn login(
    state: State,
    id: web::Path<String>,
    request: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    // Loaded first, so an unknown election answers 404 before any hashing.
    state.election(&id)?;
    let id = id.into_inner();
    let LoginRequest { member, code } = body.into_inner();
    let member_subject = format!("member:{member}");
    // The direct peer: behind a proxy every member would share its address (docs/API.md).
    let address_subject = format!(
        "address:{}",
        request
            .peer_addr()
            .map_or("unknown".into(), |a| a.ip().to_string())
    );
    let store = state.store.clone();
    let subjects = [member_subject.clone(), address_subject.clone()];
    let (throttled, row) = {
        let id = id.clone();
        let member = member.clone();
        blocking(move || {
            let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
            Ok((
                store.throttled(&id, &subjects)?,
                store.member(&id, &member)?,
            ))
        })
        .await?
    };
    let (throttled, failures_counted) = throttled;
    if let Some(throttled) = throttled {
        return Err(ApiError::Throttled {
            retry_after: throttled.retry_after,
        });
    }
    let stored = row.as_ref().and_then(|r| r.code_hash.clone());
    let matched = state
        .argon2
        .run(move |memory| {
            let Ok(code) = InvitationCode::parse(&code) else {
                return Ok(false);
            };
            // An unknown member costs the same hash as a known one, so timing does not tell
            // them apart.
            let phc = match &stored {
                Some(phc) => phc.as_str(),
                None => dummy_hash()?,
            };
            let hash = InvitationHash::from_phc(phc).map_err(|e| anyhow::anyhow!("{e}"))?;
            let verified = hash
                .verify_in(&code, memory)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(verified && stored.is_some())
        })
        .await;
    let store = state.store.clone();
    let matched = matched?;
    if !matched {
        let id = id.clone();
        blocking(move || {
            store.login_failed(&id, &format!("member:{member}"))?;
            store.login_failed(&id, &address_subject)?;
            Ok(())
        })
        .await?;
        return Err(ApiError::BadLogin);
    }
    let row = row.ok_or(ApiError::BadLogin)?;
    let mut token = [0u8; 32];
    getrandom::fill(&mut token).map_err(|e| ApiError::internal(&format!("randomness: {e}")))?;
    let token_hash = Sha256::digest(token).to_vec();
    let expires = now() + SESSION_SECONDS;
    let contests: Vec<String> = row.eligible_contests().map(str::to_owned).collect();
    let number = row.number.clone();
    blocking(move || {
        if failures_counted.contains(&member_subject) {
            store.login_succeeded(&id, &member_subject)?;
        }
        store.create_session(&token_hash, &id, &number, expires)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        token: encode_bytes(&token),
        expires,
        contests,
    }))
}

/// A hash no code matches, checked for unknown members.
fn dummy_hash() -> Result<&'static str, ApiError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(phc) = DUMMY.get() {
        return Ok(phc);
    }
    let mut rng = crate::admin::os_seeded()?;
    let code = InvitationCode::generate(&mut rng);
    let phc = InvitationHash::new(&code, &mut rng)
        .map_err(|e| ApiError::internal(&e.to_string()))?
        .to_phc();
    Ok(DUMMY.get_or_init(|| phc))
}

/// The member behind the request's bearer token.
async fn member_of(state: &State, id: &str, request: &HttpRequest) -> Result<String, ApiError> {
    let token = request
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized)?;
    let token = crate::core::crypto::decode_bytes(token).map_err(|_| ApiError::Unauthorized)?;
    let token_hash = Sha256::digest(&token).to_vec();
    let store = state.store.clone();
    let id = id.to_owned();
    blocking(move || Ok(store.session(&token_hash, &id)?))
        .await?
        .ok_or(ApiError::Unauthorized)
}

async fn pass(
    state: State,
    id: web::Path<String>,
    request: HttpRequest,
    body: web::Json<PassRequestBody>,
) -> Result<HttpResponse, ApiError> {
    let member = member_of(&state, &id, &request).await?;
    let election = state.election(&id)?;
    let PassRequestBody { contest, blinded } = body.into_inner();
    let store = state.store.clone();
    let id = id.into_inner();
    let signature = blocking(move || {
        let row = store.member(&id, &member)?.ok_or(ApiError::Unauthorized)?;
        if election.manifest.contest(&contest).is_none() {
            return Err(ApiError::NotFound {
                what: format!("contest {contest:?} in this election"),
            });
        }
        if !row.eligible_contests().any(|c| c == contest) {
            return Err(ApiError::NotEligible(contest));
        }
        if store.election(&id)?.state != "open" {
            return Err(ApiError::NotOpen);
        }
        if let Some(existing) = store.issuance(&id, &contest, &member)? {
            return if existing.blinded == blinded.0 {
                Ok((contest, existing.blind_sig))
            } else {
                Err(ApiError::AlreadyIssued(contest))
            };
        }
        let blind_sig = sign_blinded(&election.keys.issuer, &blinded.0)
            .map_err(|e| ApiError::BadRequest(format!("the blinded message is not valid: {e}")))?;
        let issued = StoredIssuance {
            blinded: blinded.0,
            blind_sig,
        };
        match store.record_issuance(&election.manifest, &contest, &member, &issued)? {
            IssueOutcome::Issued => Ok((contest, issued.blind_sig)),
            IssueOutcome::Repeated(signature) => Ok((contest, signature)),
            IssueOutcome::AlreadyIssued => Err(ApiError::AlreadyIssued(contest)),
            IssueOutcome::Closed => Err(ApiError::NotOpen),
        }
    })
    .await?;
    Ok(HttpResponse::Ok().json(PassResponse {
        contest: signature.0,
        blind_signature: Bytes(signature.1),
    }))
}

async fn cast(
    state: State,
    id: web::Path<String>,
    body: web::Json<CastBody>,
) -> Result<HttpResponse, ApiError> {
    let election = state.election(&id)?;
    let id = id.into_inner();
    let body = body.into_inner();
    // The checks are a few hundred microseconds of crypto and no I/O: done on the worker.
    // The ballot's own claim stands for its previous ballot; the sequencer checks it against
    // the log under its lock, so the box need not read the database first.
    let previous = match election.manifest.revote() {
        Revote::Last => body.replaces,
        Revote::Forbidden => None,
    };
    let request = CastRequest {
        contest: body.contest,
        pass: body.pass,
        enc: body.enc.array(),
        ct: body.ct.0,
        signature: body.signature.array(),
        replaces: body.replaces,
    };
    let cast = accept_cast(&election.manifest, request, previous).map_err(ApiError::Refused)?;
    let checked = PendingCast {
        election: id,
        cast,
        previous,
        revote: election.manifest.revote(),
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    state
        .sequencer
        .send((checked, reply))
        .map_err(|_| ApiError::internal("the sequencer has stopped"))?;
    let appended = answer
        .await
        .map_err(|_| ApiError::internal("the sequencer dropped a cast"))?
        .map_err(|e| ApiError::internal(&e))?
        .map_err(ApiError::Refused)?;
    let text = promise_text(
        &election.manifest.ballot_log_origin(),
        appended.seq,
        &appended.leaf,
    );
    let promise = election
        .keys
        .ballot_log
        .sign(&text)
        .map_err(|e| ApiError::internal(&format!("signing a promise: {e}")))?;
    Ok(HttpResponse::Ok().json(Receipt {
        seq: appended.seq,
        leaf: appended.leaf.into(),
        tracker: tracker(&appended.leaf),
        promise,
    }))
}

fn log_name(log: &str) -> Result<&'static str, ApiError> {
    match log {
        "ballots" => Ok(BALLOTS),
        "issuance" => Ok(ISSUANCE),
        other => Err(ApiError::NotFound {
            what: format!("log {other:?} (the logs are `ballots` and `issuance`)"),
        }),
    }
}

async fn checkpoint(
    state: State,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, log) = path.into_inner();
    let log = log_name(&log)?;
    let election = state.election(&id)?;
    let store = state.store.clone();
    let note = blocking(move || {
        let (origin, signer) = if log == BALLOTS {
            (
                election.manifest.ballot_log_origin(),
                &election.keys.ballot_log,
            )
        } else {
            (
                election.manifest.issuance_log_origin(),
                &election.keys.issuance_log,
            )
        };
        Ok(store.checkpoint(&id, log, &origin, signer, CHECKPOINT_MAX_AGE)?)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(note))
}

#[derive(serde::Deserialize)]
struct Range {
    start: i64,
    end: i64,
}

async fn entries(
    state: State,
    path: web::Path<(String, String)>,
    range: web::Query<Range>,
) -> Result<HttpResponse, ApiError> {
    let (id, log) = path.into_inner();
    let log = log_name(&log)?;
    state.election(&id)?;
    let Range { start, end } = range.into_inner();
    if start < 0 || end < start || end - start > MAX_ENTRIES {
        return Err(ApiError::BadRequest(format!(
            "ask for 0 <= start <= end, at most {MAX_ENTRIES} entries at a time"
        )));
    }
    let store = state.store.clone();
    let entries = blocking(move || Ok(store.entries(&id, log, start, end)?)).await?;
    let mut body = Vec::new();
    for entry in entries {
        body.extend_from_slice(&entry);
        body.push(b'\n');
    }
    Ok(HttpResponse::Ok()
        .content_type("application/jsonl")
        .body(body))
}

#[derive(serde::Deserialize)]
struct InclusionQuery {
    seq: u64,
    size: u64,
}

async fn inclusion(
    state: State,
    path: web::Path<(String, String)>,
    query: web::Query<InclusionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, log) = path.into_inner();
    let log = log_name(&log)?;
    state.election(&id)?;
    let InclusionQuery { seq, size } = query.into_inner();
    let store = state.store.clone();
    let proof = blocking(move || {
        let head = store.head(&id, log)?;
        if seq >= size || size > head.size() {
            return Err(ApiError::BadRequest(format!(
                "ask for seq < size <= {} (the log's size)",
                head.size()
            )));
        }
        Ok(store.inclusion_proof(&id, log, seq, size)?)
    })
    .await?;
    let bytes = proof
        .encode()
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(bytes))
}

#[derive(serde::Deserialize)]
struct ConsistencyQuery {
    old: u64,
    new: u64,
}

async fn consistency(
    state: State,
    path: web::Path<(String, String)>,
    query: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, log) = path.into_inner();
    let log = log_name(&log)?;
    state.election(&id)?;
    let ConsistencyQuery { old, new } = query.into_inner();
    let store = state.store.clone();
    let proof = blocking(move || {
        let head = store.head(&id, log)?;
        if old == 0 || old > new || new > head.size() {
            return Err(ApiError::BadRequest(format!(
                "ask for 0 < old <= new <= {} (the log's size)",
                head.size()
            )));
        }
        Ok(store.consistency_proof(&id, log, old, new)?)
    })
    .await?;
    let bytes = proof
        .encode()
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(bytes))
}
