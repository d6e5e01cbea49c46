//! `POST /api/elections/{id}/passes`: the issuer blind-signs a voting key.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use actix_web::{HttpRequest, HttpResponse, web};

use super::login::{bearer, member_of};
use super::{ApiError, State, blocking};
use crate::core::crypto::{Bytes, sign_blinded};
use crate::core::wire::{PassRequestBody, PassResponse};
use crate::store::{ElectionState, IssueOutcome, StoredIssuance, now};

pub(super) async fn pass(
    state: State,
    id: web::Path<String>,
    request: HttpRequest,
    body: web::Json<PassRequestBody>,
) -> Result<HttpResponse, ApiError> {
    let election = state.election(&id)?;
    let bearer = bearer(&request);
    let PassRequestBody {
        contest,
        blinded,
        reissue,
    } = body.into_inner();
    let store = state.store.clone();
    let id = id.into_inner();
    let signature = blocking(move || {
        let row = member_of(&store, &election, &id, bearer.as_deref())?;
        let member = row.number.clone();
        if election.manifest.contest(&contest).is_none() {
            return Err(ApiError::NotFound {
                what: format!("contest {contest:?} in this election"),
            });
        }
        if !row.eligible_contests().any(|c| c == contest) {
            return Err(ApiError::NotEligible(contest));
        }
        // The state is checked again under the issuance log's lock (`record_issuance`); the
        // window here: a pass issued a moment late cannot cast (the box checks under its lock).
        let current = store.election(&id)?;
        if !current.is(ElectionState::Open) || !current.window(&election.manifest).contains(now()) {
            return Err(ApiError::NotOpen);
        }
        // Cheap answers before the slow signature; `record_issuance` decides again under the
        // issuance log's lock (and applies the re-issue policy there).
        let existing = store.issuances(&id, &contest, &member)?;
        if let Some(same) = existing.iter().find(|e| e.blinded == blinded.0) {
            return Ok((contest, same.blind_sig.clone()));
        }
        match (reissue, existing.is_empty()) {
            (false, false) => return Err(ApiError::AlreadyIssued(contest)),
            (true, true) => return Err(ApiError::NotIssued(contest)),
            _ => {}
        }
        // The contest's own key (PROTOCOL §5): whatever the blinded message says, the signature
        // is good only for the contest the member is eligible for and asked for.
        let issuer = (election.issuer()?.pass_key(&contest)).ok_or_else(|| {
            ApiError::internal(&format!("no issuer key is loaded for contest {contest:?}"))
        })?;
        let blind_sig = sign_blinded(issuer, &blinded.0)
            .map_err(|e| ApiError::BadRequest(format!("the blinded message is not valid: {e}")))?;
        let issued = StoredIssuance {
            blinded: blinded.0,
            blind_sig,
        };
        match store.record_issuance(&election.manifest, &contest, &member, &issued, reissue)? {
            IssueOutcome::Issued => Ok((contest, issued.blind_sig)),
            IssueOutcome::Repeated(signature) => Ok((contest, signature)),
            IssueOutcome::AlreadyIssued => Err(ApiError::AlreadyIssued(contest)),
            IssueOutcome::NotIssued => Err(ApiError::NotIssued(contest)),
            IssueOutcome::NoReissue(refused) => Err(ApiError::NoReissue(refused)),
            IssueOutcome::Closed => Err(ApiError::NotOpen),
            IssueOutcome::Removed => Err(ApiError::removed()),
        }
    })
    .await?;
    Ok(HttpResponse::Ok().json(PassResponse {
        contest: signature.0,
        blind_signature: Bytes(signature.1),
    }))
}
