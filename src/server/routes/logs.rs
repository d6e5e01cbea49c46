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
use crate::store::{BALLOTS, LogName, Store};

/// Entries returned by one request at most.
const MAX_ENTRIES: i64 = 1000;
/// A checkpoint younger than this is served instead of signing a new one.
const CHECKPOINT_MAX_AGE: i64 = 1;

/// The log's latest checkpoint: the one stored if it is under a second old, else a new one signed
/// now. Blocking (the database).
pub(crate) fn latest_checkpoint(
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

pub(super) async fn checkpoint(
    state: State,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, log) = path.into_inner();
    let election = state.election(&id)?;
    let log = log_name(&election, &log)?;
    let store = state.store.clone();
    let note = blocking(move || latest_checkpoint(&store, &election, &id, log)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(note))
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
