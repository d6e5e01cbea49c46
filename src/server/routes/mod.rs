//! The routes of docs/API.md, one file per part of the URL tree: `elections` (list, manifest),
//! `login`, `passes`, `ballots`, `logs` (checkpoints, entries, proofs).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod ballots;
mod elections;
mod login;
mod logs;
mod passes;

use actix_web::web;

use super::{ApiError, AppState};
pub(crate) use login::dummy_hash;
pub(crate) use logs::{cosigned_checkpoint, log_name};

type State = web::Data<AppState>;

/// Registers the API's routes.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/api/health", web::get().to(elections::health))
        .route("/api/elections", web::get().to(elections::list))
        .route(
            "/api/elections/{id}/manifest",
            web::get().to(elections::manifest),
        )
        .route(
            "/api/elections/{id}/record",
            web::get().to(elections::record),
        )
        .route("/api/elections/{id}/login", web::post().to(login::login))
        .route("/api/elections/{id}/passes", web::post().to(passes::pass))
        .route("/api/elections/{id}/ballots", web::post().to(ballots::cast))
        .route(
            "/api/elections/{id}/logs/{log}/checkpoint",
            web::get().to(logs::checkpoint),
        )
        .route(
            "/api/elections/{id}/logs/{log}/cosignatures",
            web::post().to(logs::cosign),
        )
        .route(
            "/api/elections/{id}/logs/{log}/entries",
            web::get().to(logs::entries),
        )
        .route(
            "/api/elections/{id}/logs/{log}/inclusion",
            web::get().to(logs::inclusion),
        )
        .route(
            "/api/elections/{id}/logs/{log}/consistency",
            web::get().to(logs::consistency),
        );
}

/// Runs blocking work (the database, RSA signing) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(f).await?
}
