//! `GET /api/elections/{id}/logs/{log}/…`: checkpoints, entries, inclusion and consistency
//! proofs of the ballot and issuance logs.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use actix_web::{HttpResponse, web};

use super::super::LoadedElection;
use super::{ApiError, State, blocking};
use crate::core::crypto::CanonicalError;
use crate::core::log::cosignatures;
use crate::store::{BALLOTS, LogName, Store};

/// Entries returned by one request at most.
const MAX_ENTRIES: i64 = 1000;
/// A checkpoint younger than this is served instead of signing a new one.
const CHECKPOINT_MAX_AGE: i64 = 1;

/// The log's latest checkpoint: the one stored if it is under a second old, else a new one signed
/// now. Blocking (the database).
pub(super) fn latest_checkpoint(
    store: &Store,
    election: &LoadedElection,
    id: &str,
    log: LogName,
) -> Result<String, ApiError> {
    let (origin, signer) = if log == BALLOTS {
        (
            election.manifest.ballot_log_origin(),
            election.ballot_box()?,
        )
    } else {
        (
            election.manifest.issuance_log_origin(),
            &election.issuer()?.issuance_log,
        )
    };
    Ok(store.checkpoint(id, log, &origin, signer, CHECKPOINT_MAX_AGE)?)
}

/// The log named in the path, if this server keeps it for the election (an issuer run apart from
/// its ballot box keeps only the issuance log, and the other way round).
pub(crate) fn log_name(election: &LoadedElection, log: &str) -> Result<LogName, ApiError> {
    let log = LogName::parse(log).ok_or_else(|| ApiError::NotFound {
        what: format!("log {log:?} (the logs are `ballots` and `issuance`)"),
    })?;
    match log {
        LogName::Ballots => election.ballot_box().map(|_| log),
        LogName::Issuance => election.issuer().map(|_| log),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct CheckpointQuery {
    /// Ask for the largest checkpoint the manifest's quorum of witnesses has cosigned.
    #[serde(default)]
    witnessed: bool,
}

/// The log's latest checkpoint with the witnesses' cosignatures it has so far, or with
/// `?witnessed=true` the largest one the manifest's quorum of witnesses has cosigned (`not_found`
/// until there is one). An election that names no witnesses answers the latest either way.
pub(super) async fn checkpoint(
    state: State,
    path: web::Path<(String, String)>,
    query: web::Query<CheckpointQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, log) = path.into_inner();
    let election = state.election(&id)?;
    let log = log_name(&election, &log)?;
    let store = state.store.clone();
    let quorum = election.manifest.witness_quorum();
    let note = blocking(move || {
        if query.witnessed && quorum > 0 {
            return store
                .witnessed_checkpoint(&id, log, quorum)?
                .ok_or_else(|| ApiError::NotFound {
                    what: format!(
                        "checkpoint of the {} log cosigned by {quorum} witnesses yet (they cosign as they catch up; ask again shortly)",
                        log.as_str()
                    ),
                });
        }
        cosigned_checkpoint(&store, &election, &id, log)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(note))
}

/// The log's latest checkpoint ([`latest_checkpoint`]) with the witnesses' lines it has so far.
pub(crate) fn cosigned_checkpoint(
    store: &Store,
    election: &LoadedElection,
    id: &str,
    log: LogName,
) -> Result<String, ApiError> {
    let note = latest_checkpoint(store, election, id, log)?;
    let size = note_size(&note)?;
    Ok(store.with_cosignatures(id, log, size, note)?)
}

/// The tree size a checkpoint note states (its second line).
fn note_size(note: &str) -> Result<u64, ApiError> {
    (note.lines().nth(1))
        .and_then(|line| line.parse().ok())
        .ok_or_else(|| ApiError::internal("a stored checkpoint without a size line"))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CosignatureBody {
    /// The tree size of the checkpoint cosigned.
    size: u64,
    /// The witness's line, `— <name> <base64>`, with or without its final newline.
    cosignature: String,
}

/// `POST …/logs/{log}/cosignatures`: a witness's cosignature of a checkpoint this server signed.
/// Stored only when it is by a witness the manifest names and verifies over that checkpoint.
pub(super) async fn cosign(
    state: State,
    path: web::Path<(String, String)>,
    body: web::Json<CosignatureBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, log) = path.into_inner();
    let election = state.election(&id)?;
    let log = log_name(&election, &log)?;
    let CosignatureBody { size, cosignature } = body.into_inner();
    if election.manifest.witnesses().is_empty() {
        return Err(ApiError::NotFound {
            what: format!("witness for election {id:?} (its manifest names none)"),
        });
    }
    let line = format!(
        "{}\n",
        cosignature.strip_suffix('\n').unwrap_or(&cosignature)
    );
    if line.trim_end().contains('\n') {
        return Err(ApiError::BadRequest(
            "send one cosignature line: \u{2014} <witness name> <base64>".into(),
        ));
    }
    let store = state.store.clone();
    let (witness, new) = blocking(move || {
        let note =
            (store.checkpoint_of_size(&id, log, size)?).ok_or_else(|| ApiError::NotFound {
                what: format!("checkpoint of size {size} of the {} log", log.as_str()),
            })?;
        let cosigned = cosignatures(
            format!("{note}{line}").as_bytes(),
            election.manifest.witnesses(),
        )
        .map_err(|e| {
            ApiError::BadCosignature(format!(
                "{e} over the checkpoint of size {size} of the {} log",
                log.as_str()
            ))
        })?;
        let witness = cosigned
            .into_iter()
            .next()
            .ok_or(ApiError::NotAWitness)?
            .witness;
        let new = store.add_cosignature(&id, log, size, &witness, &line)?;
        Ok((witness, new))
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "size": size,
        "witness": witness,
        "new": new,
    })))
}

#[derive(serde::Deserialize)]
pub(super) struct Range {
    start: i64,
    end: i64,
}

pub(super) async fn entries(
    state: State,
    path: web::Path<(String, String)>,
    range: web::Query<Range>,
) -> Result<HttpResponse, ApiError> {
    let (id, log) = path.into_inner();
    let election = state.election(&id)?;
    let log = log_name(&election, &log)?;
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
pub(super) struct InclusionQuery {
    seq: u64,
    size: u64,
}

pub(super) async fn inclusion(
    state: State,
    path: web::Path<(String, String)>,
    query: web::Query<InclusionQuery>,
) -> Result<HttpResponse, ApiError> {
    let InclusionQuery { seq, size } = query.into_inner();
    proof(state, path, move |store, id, log, log_size| {
        if seq >= size || size > log_size {
            return Err(ApiError::BadRequest(format!(
                "ask for seq < size <= {log_size} (the log's size)"
            )));
        }
        Ok(store.inclusion_proof(id, log, seq, size)?.encode())
    })
    .await
}

#[derive(serde::Deserialize)]
pub(super) struct ConsistencyQuery {
    old: u64,
    new: u64,
}

pub(super) async fn consistency(
    state: State,
    path: web::Path<(String, String)>,
    query: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let ConsistencyQuery { old, new } = query.into_inner();
    proof(state, path, move |store, id, log, log_size| {
        if old == 0 || old > new || new > log_size {
            return Err(ApiError::BadRequest(format!(
                "ask for 0 < old <= new <= {log_size} (the log's size)"
            )));
        }
        Ok(store.consistency_proof(id, log, old, new)?.encode())
    })
    .await
}

/// Answers a proof request: `make` checks the query against the log's size and builds the
/// proof; the answer is its canonical JSON.
async fn proof(
    state: State,
    path: web::Path<(String, String)>,
    make: impl FnOnce(&Store, &str, LogName, u64) -> Result<Result<Vec<u8>, CanonicalError>, ApiError>
    + Send
    + 'static,
) -> Result<HttpResponse, ApiError> {
    let (id, log) = path.into_inner();
    let election = state.election(&id)?;
    let log = log_name(&election, &log)?;
    let store = state.store.clone();
    let bytes = blocking(move || {
        let size = store.head(&id, log)?.size();
        make(&store, &id, log, size)
    })
    .await?
    .map_err(|e| ApiError::internal(&e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(bytes))
}
