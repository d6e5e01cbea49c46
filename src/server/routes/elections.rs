//! `GET /api/health`, `GET /api/elections`, `GET /api/elections/{id}/manifest`,
//! `GET /api/elections/{id}/record`.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use actix_web::{HttpResponse, http::header, web};

use super::{ApiError, State, blocking};
use crate::core::archive;
use crate::core::manifest::format_instant;
use crate::core::wire::ElectionSummary;
use crate::store::{ElectionState, now};

pub(super) async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
}

pub(super) async fn list(state: State) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let rows = blocking(move || Ok(store.elections()?)).await?;
    let list: Vec<ElectionSummary> = rows
        .into_iter()
        .filter_map(|row| {
            let manifest = row.manifest().ok()?;
            let window = row.window(&manifest);
            Some(ElectionSummary {
                voting: row.is(ElectionState::Open) && window.contains(now()),
                closes: format_instant(window.closes),
                id: row.id,
                title: manifest.draft().title.clone(),
                state: row.state,
                fingerprint: manifest.fingerprint_hex(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

pub(super) async fn manifest(
    state: State,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let election = state.election(&id)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(election.manifest.bytes().to_vec()))
}

/// The whole record of a tallied election as one archive (docs/PROTOCOL.md §13).
pub(super) async fn record(state: State, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state.election(&id)?;
    let archive = {
        let state = state.clone();
        let id = id.clone();
        blocking(move || state.archive(&id)).await?
    };
    let archive = archive.ok_or_else(|| ApiError::NotFound {
        what: format!(
            "record of election {id:?} yet: it is published once the election is tallied"
        ),
    })?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-tar")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}.tar\"",
                archive::top_directory(&id)
            ),
        ))
        .insert_header(("X-Record-SHA256", archive.sha256.clone()))
        .body(archive.bytes.clone()))
}
