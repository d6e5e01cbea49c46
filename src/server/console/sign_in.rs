//! Enrolment (the one-time link from `teller officer add`), sign-in and sign-out.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, PreEscaped, html};

use super::{
    COOKIE, Officer, Refusal, SESSION_SECONDS, State, THROTTLE_SCOPE, bad_request, blocking,
    error_summary, page, same_site, see_other,
};
use crate::admin::officers::{
    PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, TOTP_SECRET_BYTES, code_step, new_token, otpauth_uri,
    secret_base32, token_hash,
};
use crate::core::crypto::InvitationHash;
use crate::server::throttle::{ADDRESS_IN_FLIGHT, address_subject, client_address};
use crate::store::{ADDRESS_FREE_FAILURES, MEMBER_FREE_FAILURES, now};

#[derive(serde::Deserialize)]
pub(super) struct SignInForm {
    email: String,
    password: String,
    code: String,
}

pub(super) async fn form(state: State, request: HttpRequest) -> Result<HttpResponse, Refusal> {
    // Signed in already: straight to the elections.
    if Officer::of(&state, &request).await.is_ok() {
        return Ok(see_other("/console"));
    }
    Ok(sign_in_page(&[], ""))
}

fn sign_in_page(errors: &[String], email: &str) -> HttpResponse {
    super::page_with_script(
        "Sign in",
        None,
        html! {
            (error_summary(errors))
            h1 { "Sign in to run your elections" }
            p.hint { "For returning officers named by this server's administrator. Members vote in the booth, not here." }
            form method="post" action="/console/sign-in" novalidate {
                div.field {
                    label for="email" { "Email address" }
                    input #email type="email" name="email" value=(email) autocomplete="username" spellcheck="false" required;
                }
                div.field {
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                }
                div.field {
                    label for="code" { "Code from your authenticator app" }
                    p.hint #code-hint { "6 digits; it changes every 30 seconds." }
                    input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" aria-describedby="code-hint" required;
                }
                button type="submit" { "Sign in" }
            }
            // Shown by console.js where the browser has passkeys (WebAuthn needs script).
            div #passkey-sign-in hidden {
                h2 { "Or sign in with a passkey" }
                p.hint { "Enter your email address above, then:" }
                button type="button" { "Sign in with a passkey" }
                p #passkey-status role="status" {}
            }
        },
    )
}

pub(super) async fn submit(
    state: State,
    request: HttpRequest,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, Refusal> {
    same_site(&request)?;
    let SignInForm {
        email,
        password,
        code,
    } = form.into_inner();
    let email = email.trim().to_lowercase();
    if email.is_empty() || password.is_empty() || code.trim().is_empty() {
        let mut errors = Vec::new();
        for (value, said) in [
            (email.as_str(), "Enter your email address"),
            (password.as_str(), "Enter your password"),
            (code.trim(), "Enter the code from your authenticator app"),
        ] {
            if value.is_empty() {
                errors.push(said.to_owned());
            }
        }
        return Ok(bad_request(sign_in_page(&errors, &email)));
    }
    if email.len() > 254 || password.chars().count() > PASSWORD_MAX_CHARS {
        return Ok(refused_sign_in(&email));
    }
    let address = address_subject(client_address(&request, &state.trusted_proxies));
    let officer_here = format!("officer:{email} from {address}");
    let _slots = state
        .in_flight
        .enter(&[(address.clone(), ADDRESS_IN_FLIGHT)])?;
    let store = state.store.clone();
    let (admitted, row) = {
        let (email, officer_here, address) = (email.clone(), officer_here.clone(), address.clone());
        blocking(move || {
            let subjects = [
                (officer_here.as_str(), MEMBER_FREE_FAILURES),
                (address.as_str(), ADDRESS_FREE_FAILURES),
            ];
            // Counted before the password is hashed, as member logins are.
            let admitted = store.begin_login(THROTTLE_SCOPE, &subjects)?;
            let row = match admitted {
                Ok(()) => store.officer(&email)?,
                Err(_) => None,
            };
            Ok((admitted, row))
        })
        .await?
    };
    if let Err(throttled) = admitted {
        return Err(Refusal::Throttled(throttled.retry_after));
    }
    let stored = row.as_ref().and_then(|r| r.password_hash.clone());
    let password_right = state
        .argon2
        .run(move |memory| {
            // An unknown officer costs the same hash as a known one.
            let phc = match &stored {
                Some(phc) => phc.as_str(),
                None => crate::server::routes::dummy_hash()?,
            };
            let hash = InvitationHash::from_phc(phc).map_err(|e| anyhow::anyhow!("{e}"))?;
            let right = hash
                .verify_password_in(&password, memory)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(right && stored.is_some())
        })
        .await?;
    let step = match (&row, password_right) {
        (Some(row), true) => row
            .totp_secret
            .as_deref()
            .and_then(|secret| code_step(secret, &code, now())),
        _ => None,
    };
    let (Some(row), Some(step)) = (row, step) else {
        return Ok(refused_sign_in(&email));
    };
    let old_cookie = request.cookie(COOKIE).map(|c| c.value().to_owned());
    let store = state.store.clone();
    let session = blocking(move || {
        // A code is taken once (RFC 6238 §5.2): one seen over a shoulder is already spent.
        if !store.use_officer_code(&row.email, step)? {
            return Ok(None);
        }
        store.login_succeeded(
            THROTTLE_SCOPE,
            &officer_here,
            (&address, ADDRESS_FREE_FAILURES),
        )?;
        // Session fixation: whatever session cookie came with the sign-in is ended, and the
        // session gets a fresh random id the browser never had before.
        if let Some(old) = old_cookie {
            store.end_officer_session(&token_hash(&old))?;
        }
        Ok(Some(start_session(&store, &row.email)?))
    })
    .await?;
    match session {
        Some(cookie) => Ok(signed_in(cookie)),
        None => Ok(refused_sign_in(&email)),
    }
}

/// A new session for `email`: its cookie value (the database keeps only its hash).
pub(super) fn start_session(store: &crate::store::Store, email: &str) -> Result<String, Refusal> {
    let id = new_token().map_err(|_| Refusal::Internal)?;
    let csrf = new_token().map_err(|_| Refusal::Internal)?;
    store.start_officer_session(&token_hash(&id), email, &csrf, now() + SESSION_SECONDS)?;
    Ok(id)
}

/// The session cookie for session `id`.
pub(super) fn signed_in_cookie(id: String) -> Cookie<'static> {
    Cookie::build(COOKIE, id)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::seconds(SESSION_SECONDS))
        .finish()
}

/// The answer that sets the session cookie and goes to the officer's elections.
fn signed_in(id: String) -> HttpResponse {
    let mut response = see_other("/console");
    let _ = response.add_cookie(&signed_in_cookie(id));
    response
}

/// One answer for every wrong sign-in: which of email, password or code was wrong is not said.
fn refused_sign_in(email: &str) -> HttpResponse {
    let mut response = sign_in_page(
        &[
            "The email, password or code is not right (a code works once: wait for the next one)"
                .into(),
        ],
        email,
    );
    *response.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
    response
}

#[derive(serde::Deserialize)]
pub(super) struct SignOutForm {
    /// Missing is refused as a wrong token (403), not as a malformed form.
    #[serde(default)]
    csrf: String,
}

pub(super) async fn sign_out(
    state: State,
    request: HttpRequest,
    form: web::Form<SignOutForm>,
) -> Result<HttpResponse, Refusal> {
    same_site(&request)?;
    let officer = Officer::of(&state, &request).await?;
    officer.check_form(&form.csrf)?;
    if let Some(cookie) = request.cookie(COOKIE) {
        let (store, hash) = (state.store.clone(), token_hash(cookie.value()));
        blocking(move || Ok(store.end_officer_session(&hash)?)).await?;
    }
    let mut response = see_other("/console/sign-in");
    let mut gone = Cookie::build(COOKIE, "")
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    gone.make_removal();
    let _ = response.add_cookie(&gone);
    Ok(response)
}

#[derive(serde::Deserialize)]
pub(super) struct EnrolForm {
    secret: String,
    password: String,
    confirm: String,
    code: String,
}

/// The email of the officer whose enrolment link this is, or a page saying it does not work.
async fn enrolling(state: &State, token: &str) -> Result<String, Refusal> {
    let (store, hash) = (state.store.clone(), token_hash(token));
    blocking(move || Ok(store.officer_by_enrolment(&hash)?))
        .await?
        .map(|row| row.email)
        .ok_or_else(|| {
            Refusal::NotFound(
                "this enrolment link has been used or has expired: ask the server's \
                 administrator for a new one (`teller officer add`)"
                    .into(),
            )
        })
}

pub(super) async fn enrol_form(
    state: State,
    request: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let email = enrolling(&state, &token).await?;
    let mut secret = [0u8; TOTP_SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|_| Refusal::Internal)?;
    Ok(enrol_page(&request, &token, &email, &secret, &[]))
}

fn enrol_page(
    request: &HttpRequest,
    token: &str,
    email: &str,
    secret: &[u8],
    errors: &[String],
) -> HttpResponse {
    let host = request.connection_info().host().to_owned();
    let uri = otpauth_uri(secret, email, &format!("Teller {host}"));
    let base32 = secret_base32(secret);
    let grouped: Vec<String> = base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    page(
        "Set up your sign-in",
        None,
        html! {
            (error_summary(errors))
            h1 { "Set up your sign-in" }
            p { "You are enrolling as " strong { (email) } ". You sign in with a password and a code from an authenticator app on your phone." }
            form method="post" action={ "/console/enrol/" (token) } novalidate {
                input type="hidden" name="secret" value=(base32);
                h2 { "1. Add Teller to your authenticator app" }
                p { "Scan this code with the app, or choose to enter a key and type the key below it." }
                (qr(&uri))
                p { "Key: " code.fingerprint { (grouped.join(" ")) } }
                h2 { "2. Choose a password" }
                div.field {
                    label for="password" { "Password" }
                    p.hint #password-hint { "At least " (PASSWORD_MIN_CHARS) " characters. A few unrelated words are easy to remember and hard to guess." }
                    input #password type="password" name="password" autocomplete="new-password" aria-describedby="password-hint" required;
                }
                div.field {
                    label for="confirm" { "Type the password again" }
                    input #confirm type="password" name="confirm" autocomplete="new-password" required;
                }
                h2 { "3. Prove the app works" }
                div.field {
                    label for="code" { "Code the app shows now" }
                    input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required;
                }
                button type="submit" { "Finish and sign in" }
            }
        },
    )
}

/// The QR code of `uri` as inline SVG, named for screen readers (who use the key instead).
fn qr(uri: &str) -> Markup {
    let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) else {
        return html! {};
    };
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // The renderer starts with an XML declaration, which has no place inside HTML.
    let svg = svg.find("<svg").map_or("", |at| &svg[at..]).to_owned();
    html! {
        div.qr role="img" aria-label="QR code for your authenticator app (the key below says the same)" {
            (PreEscaped(svg))
        }
    }
}

pub(super) async fn enrol(
    state: State,
    request: HttpRequest,
    token: web::Path<String>,
    form: web::Form<EnrolForm>,
) -> Result<HttpResponse, Refusal> {
    same_site(&request)?;
    let token = token.into_inner();
    let email = enrolling(&state, &token).await?;
    let EnrolForm {
        secret,
        password,
        confirm,
        code,
    } = form.into_inner();
    let secret = totp_rs::Secret::try_from_base32(&secret)
        .ok()
        .and_then(|s| {
            s.as_ref()
                .len()
                .eq(&TOTP_SECRET_BYTES)
                .then(|| s.as_ref().to_vec())
        })
        .ok_or_else(|| Refusal::Bad("the form's key was altered: reload the page".into()))?;
    let mut errors = Vec::new();
    let length = password.chars().count();
    if length < PASSWORD_MIN_CHARS {
        errors.push(format!(
            "Choose a password of at least {PASSWORD_MIN_CHARS} characters"
        ));
    } else if length > PASSWORD_MAX_CHARS {
        errors.push(format!(
            "Choose a password of at most {PASSWORD_MAX_CHARS} characters"
        ));
    } else if password != confirm {
        errors.push("The two passwords are not the same".into());
    }
    let step = code_step(&secret, &code, now());
    if step.is_none() {
        errors.push(
            "The code is not right: check the app shows Teller for this email, and type the \
             code it shows now"
                .into(),
        );
    }
    let Some(step) = step.filter(|_| errors.is_empty()) else {
        return Ok(bad_request(enrol_page(
            &request, &token, &email, &secret, &errors,
        )));
    };
    let phc = state
        .argon2
        .run(move |memory| {
            let mut rng = crate::core::crypto::os_rng().map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(InvitationHash::of_password_in(&password, &mut rng, memory)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .to_phc())
        })
        .await?;
    let store = state.store.clone();
    let cookie = blocking(move || {
        let Some(email) = store.enrol_officer(&token_hash(&token), &phc, &secret, step)? else {
            return Ok(None);
        };
        Ok(Some(start_session(&store, &email)?))
    })
    .await?;
    match cookie {
        Some(cookie) => Ok(signed_in(cookie)),
        None => Err(Refusal::NotFound(
            "this enrolment link has just been used: ask the server's administrator for a new \
             one"
            .into(),
        )),
    }
}
