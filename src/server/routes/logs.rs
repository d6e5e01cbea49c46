//! `GET /api/elections/{id}/logs/{log}/…`: checkpoints, entries, inclusion and consistency
//! proofs of the ballot and issuance logs.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use actix_web::{HttpResponse, web};

use super::{ApiError, State, blocking};
use crate::store::{BALLOTS, ISSUANCE};

/// Entries returned by one request at most.
const MAX_ENTRIES: i64 = 1000;
/// A checkpoint younger than this is served instead of signing a new one.
const CHECKPOINT_MAX_AGE: i64 = 1;

fn log_name(log: &str) -> Result<&'static str, ApiError> {
    match log {
        "ballots" => Ok(BALLOTS),
        "issuance" => Ok(ISSUANCE),
        other => Err(ApiError::NotFound {
            what: format!("log {other:?} (the logs are `ballots` and `issuance`)"),
        }),
    }
}

pub(super) async fn checkpoint(
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
pub(super) struct InclusionQuery {
    seq: u64,
    size: u64,
}

pub(super) async fn inclusion(
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
pub(super) struct ConsistencyQuery {
    old: u64,
    new: u64,
}

pub(super) async fn consistency(
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
