//! `POST /api/elections/{id}/ballots`: a cast, with no identity; the receipt after it is durable.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use actix_web::{HttpResponse, web};

use super::{ApiError, State};
use crate::core::ballot::accept_cast;
use crate::core::log::promise_text;
use crate::core::wire::{CastBody, Receipt, tracker};
use crate::store::PendingCast;

pub(super) async fn cast(
    state: State,
    id: web::Path<String>,
    body: web::Json<CastBody>,
) -> Result<HttpResponse, ApiError> {
    let election = state.election(&id)?;
    // Only the ballot box appends ballots: an issuer run apart from it has no ballot log.
    election.ballot_box()?;
    let id = id.into_inner();
    let body = body.into_inner();
    // The checks are a few hundred microseconds of crypto and no I/O: done on the worker.
    // The ballot's own claim stands for its previous ballot; the sequencer checks it against
    // the log under its lock, so the box need not read the database first.
    let (request, previous) = body.into_request(election.manifest.revote());
    let cast = accept_cast(&election.manifest, request, previous).map_err(ApiError::Refused)?;
    let checked = PendingCast {
        election: id,
        cast,
        previous,
        revote: election.manifest.revote(),
        window: election.manifest.window(),
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    state
        .sequencer
        .send((checked, reply))
        .map_err(|_| ApiError::internal("the sequencer has stopped"))?;
    let appended = answer
        .await
        .map_err(|_| ApiError::internal("the sequencer dropped a cast"))?
        .map_err(ApiError::from)?
        .map_err(ApiError::Refused)?;
    let text = promise_text(
        &election.manifest.ballot_log_origin(),
        appended.seq,
        &appended.leaf,
    );
    let promise = (election.ballot_box()?)
        .sign(&text)
        .map_err(|e| ApiError::internal(&format!("signing a promise: {e}")))?;
    Ok(HttpResponse::Ok().json(Receipt {
        seq: appended.seq,
        leaf: appended.leaf.into(),
        tracker: tracker(&appended.leaf),
        promise,
    }))
}
