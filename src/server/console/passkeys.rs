//! Officers' passkeys (WebAuthn, through webauthn-rs): a signed-in officer adds one on the
//! passkeys page, then signs in with it instead of the password and code. The browser side is
//! `booth/console.js` (WebAuthn needs script); the password-and-code sign-in works without it.
//!
//! The relying party is the host the officer's browser reached (its `Host`): a passkey made on
//! `vote.example.org` works only there, as WebAuthn intends. A ceremony's state (its challenge)
//! is kept in this process's memory for two minutes, under a random token the page sends back.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::sign_in::{signed_in_cookie, start_session};
use super::{Officer, Refusal, State, THROTTLE_SCOPE, blocking, page_with_script, same_site};
use crate::admin::officers::{new_token, token_hash};
use crate::server::throttle::{ADDRESS_IN_FLIGHT, address_subject, client_address};
use crate::store::{ADDRESS_FREE_FAILURES, MEMBER_FREE_FAILURES};

/// How long a ceremony's challenge is good for.
const CEREMONY_TTL: Duration = Duration::from_secs(120);

/// A passkey ceremony under way.
pub enum Ceremony {
    /// Adding a passkey for this officer.
    Register(String, Box<PasskeyRegistration>, Instant),
    /// Signing this officer in.
    SignIn(String, Box<PasskeyAuthentication>, Instant),
}

/// The ceremonies under way, by token.
pub type Ceremonies = Mutex<HashMap<String, Ceremony>>;

/// The relying party for the host this request reached.
fn relying_party(request: &HttpRequest) -> Result<Webauthn, Refusal> {
    let info = request.connection_info();
    let host = info.host();
    let rp_id = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let origin = Url::parse(&format!("{}://{host}", info.scheme()))
        .map_err(|_| Refusal::Bad("this server's address cannot hold a passkey".into()))?;
    WebauthnBuilder::new(rp_id, &origin)
        .and_then(|b| b.rp_name("Teller console").build())
        .map_err(|e| {
            Refusal::Bad(format!(
                "passkeys need the server to be reached by a name (not an IP address) over \
                 HTTPS, or at localhost ({e})"
            ))
        })
}

fn keep(state: &State, ceremony: Ceremony) -> Result<String, Refusal> {
    let token = new_token().map_err(|_| Refusal::Internal)?;
    let mut ceremonies = state.passkeys.lock().map_err(|_| Refusal::Internal)?;
    ceremonies.retain(|_, c| match c {
        Ceremony::Register(_, _, at) | Ceremony::SignIn(_, _, at) => at.elapsed() < CEREMONY_TTL,
    });
    ceremonies.insert(token.clone(), ceremony);
    Ok(token)
}

fn take(state: &State, token: &str) -> Result<Ceremony, Refusal> {
    let ceremony = state
        .passkeys
        .lock()
        .map_err(|_| Refusal::Internal)?
        .remove(token)
        .ok_or_else(|| Refusal::Bad("that took too long: try again".into()))?;
    let at = match &ceremony {
        Ceremony::Register(_, _, at) | Ceremony::SignIn(_, _, at) => *at,
    };
    if at.elapsed() >= CEREMONY_TTL {
        return Err(Refusal::Bad("that took too long: try again".into()));
    }
    Ok(ceremony)
}

/// A stored passkey's id: the SHA-256 of its credential id.
fn passkey_id(passkey: &Passkey) -> Result<String, Refusal> {
    let id = serde_json::to_string(passkey.cred_id()).map_err(|_| Refusal::Internal)?;
    Ok(token_hash(&id))
}

fn stored(passkeys: Vec<String>) -> Vec<Passkey> {
    passkeys
        .iter()
        .filter_map(|p| serde_json::from_str(p).ok())
        .collect()
}

pub(super) async fn page(state: State, request: HttpRequest) -> Result<HttpResponse, Refusal> {
    let officer = Officer::of(&state, &request).await?;
    let (store, email) = (state.store.clone(), officer.email.clone());
    let count = blocking(move || Ok(store.officer_passkeys(&email)?.len())).await?;
    Ok(page_with_script(
        "Passkeys",
        Some(&officer),
        html! {
            p { a href="/console" { "Back to your elections" } }
            h1 { "Passkeys" }
            p { "A passkey lets you sign in with your phone, your computer's screen lock or a security key, instead of your password and code." }
            p #passkey-count { "You have " (count) " passkey(s)." }
            noscript { p { "Adding a passkey needs JavaScript. Your password and code keep working without it." } }
            div #passkey-add data-csrf=(officer.csrf) hidden {
                button type="button" { "Add a passkey" }
            }
            p #passkey-status role="status" {}
        },
    ))
}

#[derive(serde::Deserialize)]
pub(super) struct StartRegister {
    csrf: String,
}

pub(super) async fn register_start(
    state: State,
    request: HttpRequest,
    body: web::Json<StartRegister>,
) -> Result<HttpResponse, Refusal> {
    same_site(&request)?;
    let officer = Officer::of(&state, &request).await?;
    officer.check_form(&body.csrf)?;
    let rp = relying_party(&request)?;
    let (store, email) = (state.store.clone(), officer.email.clone());
    let existing = stored(blocking(move || Ok(store.officer_passkeys(&email)?)).await?);
    let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
    // The user handle: derived from the email, so it names nothing else.
    let digest = <sha2::Sha256 as sha2::Digest>::digest(officer.email.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let handle = Uuid::from_bytes(bytes);
    let (options, registration) = rp
        .start_passkey_registration(handle, &officer.email, &officer.email, Some(exclude))
        .map_err(|e| Refusal::Bad(format!("the passkey could not be started: {e}")))?;
    let token = keep(
        &state,
        Ceremony::Register(
            officer.email.clone(),
            Box::new(registration),
            Instant::now(),
        ),
    )?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "ceremony": token, "options": options })))
}

#[derive(serde::Deserialize)]
pub(super) struct FinishRegister {
    csrf: String,
    ceremony: String,
    credential: RegisterPublicKeyCredential,
}

pub(super) async fn register_finish(
    state: State,
    request: HttpRequest,
    body: web::Json<FinishRegister>,
) -> Result<HttpResponse, Refusal> {
    same_site(&request)?;
    let officer = Officer::of(&state, &request).await?;
    officer.check_form(&body.csrf)?;
    let Ceremony::Register(email, registration, _) = take(&state, &body.ceremony)? else {
        return Err(Refusal::Bad("that was not a passkey being added".into()));
    };
    if email != officer.email {
        return Err(Refusal::Forbidden(
            "that passkey is another officer's".into(),
        ));
    }
    let passkey = relying_party(&request)?
        .finish_passkey_registration(&body.credential, &registration)
        .map_err(|e| Refusal::Bad(format!("the passkey was not accepted: {e}")))?;
    let id = passkey_id(&passkey)?;
    let json = serde_json::to_string(&passkey).map_err(|_| Refusal::Internal)?;
    let store = state.store.clone();
    blocking(move || Ok(store.add_officer_passkey(&email, &id, &json)?)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "added": true })))
}

#[derive(serde::Deserialize)]
pub(super) struct StartSignIn {
    email: String,
}

pub(super) async fn sign_in_start(
    state: State,
    request: HttpRequest,
    body: web::Json<StartSignIn>,
) -> Result<HttpResponse, Refusal> {
    same_site(&request)?;
    let email = body.email.trim().to_lowercase();
    let (store, who) = (state.store.clone(), email.clone());
    let passkeys = stored(blocking(move || Ok(store.officer_passkeys(&who)?)).await?);
    if passkeys.is_empty() {
        return Err(Refusal::Bad(
            "there is no passkey for this email: sign in with your password and code".into(),
        ));
    }
    let (options, authentication) = relying_party(&request)?
        .start_passkey_authentication(&passkeys)
        .map_err(|e| Refusal::Bad(format!("the passkey sign-in could not be started: {e}")))?;
    let token = keep(
        &state,
        Ceremony::SignIn(email, Box::new(authentication), Instant::now()),
    )?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "ceremony": token, "options": options })))
}

#[derive(serde::Deserialize)]
pub(super) struct FinishSignIn {
    ceremony: String,
    credential: PublicKeyCredential,
}

pub(super) async fn sign_in_finish(
    state: State,
    request: HttpRequest,
    body: web::Json<FinishSignIn>,
) -> Result<HttpResponse, Refusal> {
    same_site(&request)?;
    let Ceremony::SignIn(email, authentication, _) = take(&state, &body.ceremony)? else {
        return Err(Refusal::Bad("that was not a sign-in".into()));
    };
    let address = address_subject(client_address(&request, &state.trusted_proxies));
    let officer_here = format!("officer:{email} from {address}");
    let _slots = state
        .in_flight
        .enter(&[(address.clone(), ADDRESS_IN_FLIGHT)])?;
    let store = state.store.clone();
    {
        let (store, officer_here, address) = (store.clone(), officer_here.clone(), address.clone());
        let admitted = blocking(move || {
            Ok(store.begin_login(
                THROTTLE_SCOPE,
                &[
                    (officer_here.as_str(), MEMBER_FREE_FAILURES),
                    (address.as_str(), ADDRESS_FREE_FAILURES),
                ],
            )?)
        })
        .await?;
        if let Err(throttled) = admitted {
            return Err(Refusal::Throttled(throttled.retry_after));
        }
    }
    let result = relying_party(&request)?
        .finish_passkey_authentication(&body.credential, &authentication)
        .map_err(|_| Refusal::Forbidden("the passkey was not accepted".into()))?;
    let old_cookie = request.cookie(super::COOKIE).map(|c| c.value().to_owned());
    let cookie = blocking(move || {
        // The signature counter moves on: a cloned authenticator shows up as a counter gone back.
        for json in store.officer_passkeys(&email)? {
            let Ok(mut passkey) = serde_json::from_str::<Passkey>(&json) else {
                continue;
            };
            if passkey.update_credential(&result) == Some(true) {
                let id = passkey_id(&passkey)?;
                let json = serde_json::to_string(&passkey).map_err(|_| Refusal::Internal)?;
                store.update_officer_passkey(&id, &json)?;
            }
        }
        store.login_succeeded(
            THROTTLE_SCOPE,
            &officer_here,
            (&address, ADDRESS_FREE_FAILURES),
        )?;
        if let Some(old) = old_cookie {
            store.end_officer_session(&token_hash(&old))?;
        }
        start_session(&store, &email)
    })
    .await?;
    let mut response = HttpResponse::Ok().json(serde_json::json!({ "to": "/console" }));
    let _ = response.add_cookie(&signed_in_cookie(cookie));
    Ok(response)
}
