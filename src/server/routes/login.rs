//! `POST /api/elections/{id}/login`, and the bearer token the member calls carry.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use actix_web::{HttpRequest, HttpResponse, web};

use super::super::LoadedElection;
use super::super::session::Claim;
use super::super::throttle::{
    ADDRESS_IN_FLIGHT, MEMBER_IN_FLIGHT, address_subject, client_address,
};
use super::{ApiError, State, blocking};
use crate::core::crypto::{InvitationCode, InvitationHash, encode_bytes};
use crate::core::record::member_commitment;
use crate::core::wire::{LoginRequest, LoginResponse};
use crate::store::{ADDRESS_FREE_FAILURES, MEMBER_FREE_FAILURES, MemberRow, Store, now};

/// How long a member session lasts.
const SESSION_SECONDS: i64 = 2 * 60 * 60;
/// The longest member number a login may name (a register's are far shorter).
const MAX_MEMBER_BYTES: usize = 256;

pub(super) async fn login(
    state: State,
    id: web::Path<String>,
    request: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    // Loaded first, so an unknown election answers 404 before any hashing.
    let election = state.election(&id)?;
    // Only the issuer logs members in: a ballot box run apart from it knows no member.
    election.sessions()?;
    let id = id.into_inner();
    let LoginRequest { member, code } = body.into_inner();
    // No register holds such a number, and PostgreSQL refuses a NUL in text: not a member, said
    // without touching the database (the answer of any unknown member).
    if member.len() > MAX_MEMBER_BYTES || member.chars().any(char::is_control) {
        return Err(ApiError::BadLogin);
    }
    let address = address_subject(client_address(&request, &state.trusted_proxies));
    // Failures count against the member number from this address (a stranger elsewhere cannot
    // block the member) and against the address (docs/design/README.md, "Throttling").
    let member_here = format!("member:{member} from {address}");
    let _slots = state.in_flight.enter(&[
        (format!("member:{member}"), MEMBER_IN_FLIGHT),
        (address.clone(), ADDRESS_IN_FLIGHT),
    ])?;
    let store = state.store.clone();
    let (admitted, row) = {
        let (id, member, member_here, address) = (
            id.clone(),
            member.clone(),
            member_here.clone(),
            address.clone(),
        );
        blocking(move || {
            let subjects = [
                (member_here.as_str(), MEMBER_FREE_FAILURES),
                (address.as_str(), ADDRESS_FREE_FAILURES),
            ];
            // Counted before hashing, atomically: concurrent wrong codes cannot all be hashed.
            let admitted = store.begin_login(&id, &subjects)?;
            let row = match admitted {
                Ok(()) => store.member(&id, &member)?,
                Err(_) => None,
            };
            Ok((admitted, row))
        })
        .await?
    };
    if let Err(throttled) = admitted {
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
        .await?;
    // The attempt was counted when admitted: a wrong code needs nothing more.
    if !matched {
        return Err(ApiError::BadLogin);
    }
    let row = row.ok_or(ApiError::BadLogin)?;
    let code_hash = row.code_hash.as_deref().ok_or(ApiError::BadLogin)?;
    // Said only to someone who has the member's code: a number alone tells nothing. With it go
    // the member's roster commitments, which the issuance log's removal entries name: the member
    // can find their own removal there, and nobody else can tell it is theirs.
    if row.removed {
        let salt: [u8; 16] = (row.salt.as_slice().try_into())
            .map_err(|_| ApiError::internal("a member's salt is damaged"))?;
        let commitments = row
            .eligible_contests()
            .map(|c| {
                let commitment = member_commitment(c, &salt, &row.number);
                (c.to_owned(), encode_bytes(&commitment))
            })
            .collect();
        return Err(ApiError::Removed { commitments });
    }
    // The session is the signed token alone: nothing about this login is stored (issue 9).
    let expires = now() + SESSION_SECONDS;
    let token = (election.sessions()?).issue(&id, &row.number, code_hash, expires);
    let contests: Vec<String> = row.eligible_contests().map(str::to_owned).collect();
    let store = state.store.clone();
    blocking(move || {
        Ok(store.login_succeeded(&id, &member_here, (&address, ADDRESS_FREE_FAILURES))?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        token: encode_bytes(&token),
        expires,
        contests,
    }))
}

/// A hash no code matches, checked for unknown members.
pub(crate) fn dummy_hash() -> Result<&'static str, ApiError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(phc) = DUMMY.get() {
        return Ok(phc);
    }
    let mut rng = crate::core::crypto::os_rng().map_err(|e| ApiError::internal(&e.to_string()))?;
    let code = InvitationCode::generate(&mut rng);
    let phc = InvitationHash::new(&code, &mut rng)
        .map_err(|e| ApiError::internal(&e.to_string()))?
        .to_phc();
    Ok(DUMMY.get_or_init(|| phc))
}

/// The request's bearer token, as sent. The scheme's name is case-insensitive (RFC 7235 §2.1).
pub(super) fn bearer(request: &HttpRequest) -> Option<String> {
    let value = request.headers().get("Authorization")?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The member behind the request's bearer token: its signature is checked against the member's
/// current invitation-code hash (a re-issued code ends the session), and its expiry; a member
/// removed since the login is refused.
pub(super) fn member_of(
    store: &Store,
    election: &LoadedElection,
    id: &str,
    bearer: Option<&str>,
) -> Result<MemberRow, ApiError> {
    let token = bearer.ok_or(ApiError::Unauthorized)?;
    let token = crate::core::crypto::decode_bytes(token).map_err(|_| ApiError::Unauthorized)?;
    let (claim, _) = Claim::read(&token).ok_or(ApiError::Unauthorized)?;
    let row = store
        .member(id, claim.member)?
        .ok_or(ApiError::Unauthorized)?;
    let code_hash = row.code_hash.as_deref().ok_or(ApiError::Unauthorized)?;
    if !(election.sessions()?).check(id, &token, code_hash, now()) {
        return Err(ApiError::Unauthorized);
    }
    if row.removed {
        return Err(ApiError::removed());
    }
    Ok(row)
}
