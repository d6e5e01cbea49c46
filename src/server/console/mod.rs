//! The returning officer's console (issue 15): officers sign in (password and one-time code) and
//! run the elections they are named for from a browser — the register with a preview before it
//! is applied, opening, extending and closing with a confirmation that says what each fixes,
//! live turnout, the events log. Server-rendered HTML (maud), no script.
//!
//! Sessions are stored (SHA-256 of the cookie only), so signing out and removing an officer end
//! them. The cookie is `__Host-` prefixed, `Secure`, `HttpOnly`, `SameSite=Strict`; every form
//! carries the session's CSRF token, and every POST from another site (`Origin`,
//! `Sec-Fetch-Site`) is refused before anything else. An officer is answered 403 on every page
//! and action of an election they are not named for.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod define;
mod elections;
mod invitations;
mod passkeys;
mod removal;
mod shares;
mod sign_in;
mod tally;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use maud::{Markup, html};
use subtle::ConstantTimeEq as _;

use super::{ApiError, AppState};
/// The mail server for invitations (`teller serve --smtp`).
pub use crate::admin::mail::Mailer;
use crate::admin::officers::token_hash;
use crate::store::{OfficerScope, StoreError};

type State = web::Data<AppState>;

/// The session cookie. `__Host-` makes browsers refuse it unless it is `Secure`, has `Path=/`
/// and no `Domain`: no sibling host can plant or read it.
pub const COOKIE: &str = "__Host-teller-console";
/// How long a session lasts from sign-in.
const SESSION_SECONDS: i64 = 8 * 60 * 60;
/// The throttle's scope for officer sign-ins (the throttle table is keyed by election).
const THROTTLE_SCOPE: &str = "~console";
/// The largest register the console takes (a local ballot's; a national one goes through
/// `teller register import`).
pub const MAX_REGISTER_BYTES: usize = 8 * 1024 * 1024;

/// The largest election definition the form takes (twenty contests with their statements).
const MAX_DEFINITION_BYTES: usize = 1024 * 1024;

/// The console's pages' policy: no script at all, forms to this server only.
const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The policy of the pages with passkeys (sign-in, passkeys): their own script, calls to this
/// server.
const PASSKEY_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

pub use define::{election_form_fields, read_election_form};
pub use passkeys::Ceremonies;

/// Registers the console's pages and actions.
pub fn routes(config: &mut web::ServiceConfig) {
    let form = |limit: usize| {
        web::FormConfig::default()
            .limit(limit)
            .error_handler(|error, _| {
                Refusal::Bad(format!("the form could not be read ({error})")).into()
            })
    };
    let small = || form(16 * 1024);
    let register = || form(MAX_REGISTER_BYTES + 16 * 1024);
    let definition = || form(MAX_DEFINITION_BYTES);
    config
        .route("/console", web::get().to(elections::list))
        .service(
            web::resource("/console/new")
                .app_data(definition())
                .route(web::get().to(define::new_form))
                .route(web::post().to(define::new_check)),
        )
        .service(
            web::resource("/console/new/confirm")
                .app_data(definition())
                .route(web::post().to(define::new_confirm)),
        )
        .service(
            web::resource("/console/sign-in")
                .app_data(small())
                .route(web::get().to(sign_in::form))
                .route(web::post().to(sign_in::submit)),
        )
        .service(
            web::resource("/console/sign-out")
                .app_data(small())
                .route(web::post().to(sign_in::sign_out)),
        )
        .service(
            web::resource("/console/enrol/{token}")
                .app_data(small())
                .route(web::get().to(sign_in::enrol_form))
                .route(web::post().to(sign_in::enrol)),
        )
        .route("/console/passkeys", web::get().to(passkeys::page))
        .route(
            "/console/passkeys/register/start",
            web::post().to(passkeys::register_start),
        )
        .route(
            "/console/passkeys/register/finish",
            web::post().to(passkeys::register_finish),
        )
        .route(
            "/console/passkeys/sign-in/start",
            web::post().to(passkeys::sign_in_start),
        )
        .route(
            "/console/passkeys/sign-in/finish",
            web::post().to(passkeys::sign_in_finish),
        )
        .route("/console/e/{id}", web::get().to(elections::overview))
        .service(
            web::resource("/console/e/{id}/register")
                .app_data(register())
                .route(web::get().to(elections::register_form))
                .route(web::post().to(elections::register_preview)),
        )
        .service(
            web::resource("/console/e/{id}/register/apply")
                .app_data(register())
                .route(web::post().to(elections::register_apply)),
        )
        .route(
            "/console/e/{id}/invitations",
            web::get().to(invitations::page_for),
        )
        .service(
            web::resource("/console/e/{id}/invitations/send")
                .app_data(small())
                .route(web::post().to(invitations::send)),
        )
        .service(
            web::resource("/console/e/{id}/invitations/resend")
                .app_data(small())
                .route(web::post().to(invitations::resend)),
        )
        .service(
            web::resource("/console/e/{id}/invitations/letters")
                .app_data(small())
                .route(web::post().to(invitations::letters)),
        )
        .service(
            web::resource("/console/e/{id}/tally")
                .app_data(small())
                .route(web::get().to(tally::tally_page))
                .route(web::post().to(tally::run)),
        )
        .service(
            web::resource("/console/e/{id}/remove")
                .app_data(small())
                .route(web::get().to(removal::form))
                .route(web::post().to(removal::check)),
        )
        .service(
            web::resource("/console/e/{id}/remove/confirm")
                .app_data(small())
                .route(web::post().to(removal::confirm)),
        )
        .service(
            web::resource("/console/e/{id}/edit")
                .app_data(definition())
                .route(web::get().to(define::edit_form))
                .route(web::post().to(define::edit_check)),
        )
        .service(
            web::resource("/console/e/{id}/edit/confirm")
                .app_data(definition())
                .route(web::post().to(define::edit_confirm)),
        )
        .service(
            web::resource("/console/e/{id}/shares")
                .app_data(small())
                .route(web::get().to(shares::list))
                .route(web::post().to(shares::hand_over)),
        )
        .service(
            web::resource("/console/e/{id}/{action}")
                .app_data(small())
                .route(web::get().to(elections::confirm))
                .route(web::post().to(elections::act)),
        );
}

/// Every page and action of one election, as `(method, path)` with `{id}` for the election:
/// what an officer of another election must be refused (tests walk it).
pub const ELECTION_ROUTES: &[(&str, &str)] = &[
    ("GET", "/console/e/{id}"),
    ("GET", "/console/e/{id}/register"),
    ("POST", "/console/e/{id}/register"),
    ("POST", "/console/e/{id}/register/apply"),
    ("GET", "/console/e/{id}/invitations"),
    ("POST", "/console/e/{id}/invitations/send"),
    ("POST", "/console/e/{id}/invitations/resend"),
    ("POST", "/console/e/{id}/invitations/letters"),
    ("GET", "/console/e/{id}/tally"),
    ("POST", "/console/e/{id}/tally"),
    ("GET", "/console/e/{id}/open"),
    ("POST", "/console/e/{id}/open"),
    ("GET", "/console/e/{id}/extend"),
    ("POST", "/console/e/{id}/extend"),
    ("GET", "/console/e/{id}/close"),
    ("POST", "/console/e/{id}/close"),
    ("GET", "/console/e/{id}/remove"),
    ("POST", "/console/e/{id}/remove"),
    ("POST", "/console/e/{id}/remove/confirm"),
    ("GET", "/console/e/{id}/edit"),
    ("POST", "/console/e/{id}/edit"),
    ("POST", "/console/e/{id}/edit/confirm"),
    ("GET", "/console/e/{id}/shares"),
    ("POST", "/console/e/{id}/shares"),
];

/// Why a console request is not answered with its page.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No session, or an ended one: the sign-in page.
    #[error("sign in first")]
    SignIn,
    /// Signed in, but not for this election, or a form without the session's token, or a post
    /// from another site.
    #[error("{0}")]
    Forbidden(String),
    /// No such page or election.
    #[error("{0}")]
    NotFound(String),
    /// A request that cannot be done as asked; the message says why.
    #[error("{0}")]
    Bad(String),
    /// Too many failed sign-ins.
    #[error("too many failed attempts: wait {0} seconds and try again")]
    Throttled(i64),
    /// The server's fault (logged; not shown).
    #[error("something went wrong on the server; nothing was changed. Try again shortly")]
    Internal,
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        ApiError::from(error).into()
    }
}

/// An operation's refusal (a definition that does not check): its message, shown as it is.
impl From<anyhow::Error> for Refusal {
    fn from(error: anyhow::Error) -> Self {
        Self::Bad(format!("{error:#}"))
    }
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::NotFound { what } => Self::NotFound(format!("there is no {what}")),
            ApiError::Throttled { retry_after } => Self::Throttled(retry_after),
            ApiError::BadRequest(message) => Self::Bad(message),
            ApiError::Unavailable { .. } => {
                Self::Bad("the server is busy: try again in a moment".into())
            }
            other => {
                eprintln!("teller serve: console: {other}");
                Self::Internal
            }
        }
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn => StatusCode::SEE_OTHER,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Bad(_) => StatusCode::BAD_REQUEST,
            Self::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::SignIn = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console/sign-in"))
                .finish();
        }
        let title = match self {
            Self::Forbidden(_) => "Not allowed",
            Self::NotFound(_) => "Not found",
            Self::Throttled(_) => "Too many attempts",
            Self::Bad(_) => "That could not be done",
            _ => "Something went wrong",
        };
        let mut response = page(
            title,
            None,
            html! {
                h1 { (title) }
                p { (self.to_string()) }
                p { a href="/console" { "Back to your elections" } }
            },
        );
        *response.status_mut() = self.status_code();
        if let Self::Throttled(seconds) = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(seconds.max(&1).to_owned()),
            );
        }
        response
    }
}

/// A signed-in officer, for one request.
pub struct Officer {
    email: String,
    scope: OfficerScope,
    csrf: String,
}

impl Officer {
    /// The officer behind the request's session cookie.
    async fn of(state: &State, request: &HttpRequest) -> Result<Self, Refusal> {
        let Some(cookie) = request.cookie(COOKIE) else {
            return Err(Refusal::SignIn);
        };
        let id_hash = token_hash(cookie.value());
        let store = state.store.clone();
        let found = blocking(move || {
            let Some(session) = store.officer_session(&id_hash)? else {
                return Ok(None);
            };
            Ok(store.officer(&session.email)?.map(|row| (row, session)))
        })
        .await?;
        let (row, session) = found.ok_or(Refusal::SignIn)?;
        Ok(Self {
            email: row.email,
            scope: row.scope,
            csrf: session.csrf,
        })
    }

    /// The officer, if they may act on `election`; 403 otherwise (whether or not it exists, so
    /// an officer learns nothing of elections not theirs).
    async fn of_election(
        state: &State,
        request: &HttpRequest,
        election: &str,
    ) -> Result<Self, Refusal> {
        let officer = Self::of(state, request).await?;
        if !officer.scope.admits(election) {
            return Err(Refusal::Forbidden(
                "you are not an officer of this election: ask the server's administrator \
                 (`teller officer add`)"
                    .into(),
            ));
        }
        Ok(officer)
    }

    /// The officer behind a form posted for `election`: from this site, signed in, named for
    /// the election, and carrying the session's token (`token`); refused otherwise.
    async fn posting(
        state: &State,
        request: &HttpRequest,
        election: &str,
        token: &str,
    ) -> Result<Self, Refusal> {
        same_site(request)?;
        let officer = Self::of_election(state, request, election).await?;
        officer.check_form(token)?;
        Ok(officer)
    }

    /// The officer behind a form posted about no one election (creating one): from this site,
    /// signed in, and carrying the session's token.
    async fn posting_any(
        state: &State,
        request: &HttpRequest,
        token: &str,
    ) -> Result<Self, Refusal> {
        same_site(request)?;
        let officer = Self::of(state, request).await?;
        officer.check_form(token)?;
        Ok(officer)
    }

    /// Refuses a form that does not carry this session's token.
    fn check_form(&self, token: &str) -> Result<(), Refusal> {
        match bool::from(token.as_bytes().ct_eq(self.csrf.as_bytes())) {
            true => Ok(()),
            false => Err(Refusal::Forbidden(
                "this form is out of date or did not come from this console: go back, reload \
                 the page and try again"
                    .into(),
            )),
        }
    }

    /// The hidden field every form of this session carries.
    fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }
}

/// Refuses a POST another site's page made. A browser says where a request comes from in
/// `Sec-Fetch-Site` (which no page can forge): only `same-origin` (or `none`, typed by the user)
/// is taken. A browser too old to send it is judged by `Origin`, which must then be this
/// server's (`null` is refused: it is what a sandboxed frame or a redirect sends; this server's
/// own pages, under `Referrer-Policy: no-referrer`, also send `null` — with `Sec-Fetch-Site`).
/// A request with neither header (not a browser's) is left to the cookie and the form token.
fn same_site(request: &HttpRequest) -> Result<(), Refusal> {
    let refused = || {
        Err(Refusal::Forbidden(
            "a form from another site cannot act in this console".into(),
        ))
    };
    let headers = request.headers();
    if let Some(site) = headers.get("Sec-Fetch-Site") {
        return match site.to_str() {
            Ok("same-origin" | "none") => Ok(()),
            _ => refused(),
        };
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let info = request.connection_info();
        let host = info.host();
        let ours = |scheme: &str| origin.to_str().ok() == Some(&format!("{scheme}://{host}"));
        if !ours("http") && !ours("https") {
            return refused();
        }
    }
    Ok(())
}

/// Long work started from the console (a round of invitation mail, the tally), run on a thread
/// of its own while the officer's page shows its progress.
#[derive(Debug, Default)]
pub struct Job {
    done: std::sync::atomic::AtomicUsize,
    total: std::sync::atomic::AtomicUsize,
    /// What it came to, once finished.
    outcome: std::sync::Mutex<Option<String>>,
}

impl Job {
    /// Whether it is still running.
    fn running(&self) -> bool {
        self.outcome.lock().map(|o| o.is_none()).unwrap_or(false)
    }

    /// What it came to, once finished.
    fn outcome(&self) -> Option<String> {
        self.outcome.lock().ok().and_then(|o| o.clone())
    }

    /// Progress as `(done, total)`.
    fn progress(&self) -> (usize, usize) {
        use std::sync::atomic::Ordering;
        (
            self.done.load(Ordering::SeqCst),
            self.total.load(Ordering::SeqCst),
        )
    }

    /// Takes a progress report.
    fn report(&self, progress: crate::core::verify::Progress) {
        use std::sync::atomic::Ordering;
        self.done.store(progress.done, Ordering::SeqCst);
        self.total.store(progress.total, Ordering::SeqCst);
    }
}

/// The job `key` (`<election>/mail`, `<election>/tally`), if one was started.
fn job(state: &State, key: &str) -> Result<Option<std::sync::Arc<Job>>, Refusal> {
    Ok(state
        .jobs
        .lock()
        .map_err(|_| Refusal::Internal)?
        .get(key)
        .cloned())
}

/// Starts `work` as job `key` on a thread of its own, unless one is running under that key;
/// `work` reports progress to the job and returns what it came to.
fn start_job(
    state: &State,
    key: &str,
    work: impl FnOnce(&Job) -> String + Send + 'static,
) -> Result<(), Refusal> {
    let job = std::sync::Arc::new(Job::default());
    {
        let mut jobs = state.jobs.lock().map_err(|_| Refusal::Internal)?;
        if jobs.get(key).is_some_and(|j| j.running()) {
            return Err(Refusal::Bad(
                "this is under way already: wait for it to finish".into(),
            ));
        }
        jobs.insert(key.to_owned(), job.clone());
    }
    std::thread::Builder::new()
        .name(format!("console {key}"))
        .spawn(move || {
            let outcome = work(&job);
            if let Ok(mut slot) = job.outcome.lock() {
                *slot = Some(outcome);
            }
        })
        .map(|_| ())
        .map_err(|_| Refusal::Internal)
}

/// Runs blocking work (the database, files) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    web::block(f).await.map_err(|_| Refusal::Internal)?
}

/// A console page: the public pages' style, the signed-in officer and a sign-out button.
fn page(title: &str, officer: Option<&Officer>, body: Markup) -> HttpResponse {
    page_under(title, officer, body, CONSOLE_CSP, None)
}

/// A console page with `booth/console.js` (passkeys).
fn page_with_script(title: &str, officer: Option<&Officer>, body: Markup) -> HttpResponse {
    page_under(title, officer, body, PASSKEY_CSP, Some("booth/console.js"))
}

fn page_under(
    title: &str,
    officer: Option<&Officer>,
    body: Markup,
    csp: &str,
    script: Option<&str>,
) -> HttpResponse {
    super::pages::page_with(
        &format!("{title} — Teller console"),
        html! {
            header.console {
                p { a href="/console" { "Teller console" } }
                @if let Some(officer) = officer {
                    p { a href="/console/passkeys" { "Passkeys" } }
                    form method="post" action="/console/sign-out" {
                        (officer.csrf_field())
                        "Signed in as " strong { (officer.email) } " "
                        button type="submit" { "Sign out" }
                    }
                }
            }
            (body)
        },
        csp,
        script,
    )
}

/// A redirect after a successful POST (the browser then GETs `to`).
fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// A form page shown again with what is wrong: 400.
fn bad_request(mut response: HttpResponse) -> HttpResponse {
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
}

/// A one-line text field with its label, an optional hint (tied to it for screen readers) and
/// `aria-invalid` when a problem is about it.
fn text_field(name: &str, label: &str, hint: Option<&str>, value: &str, invalid: bool) -> Markup {
    let hint_id = format!("{name}-hint");
    html! {
        div.field {
            label for=(name) { (label) }
            @if let Some(hint) = hint { p.hint id=(hint_id) { (hint) } }
            input id=(name) type="text" name=(name) value=(value) autocomplete="off"
                aria-describedby=[hint.map(|_| hint_id.as_str())]
                aria-invalid=[invalid.then_some("true")];
        }
    }
}

/// The error summary at the top of a form page (GOV.UK's pattern: a heading and each problem).
fn error_summary(errors: &[String]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" aria-labelledby="error-summary-title" {
                h2 #error-summary-title { "There is a problem" }
                ul { @for error in errors { li { (error) } } }
            }
        }
    }
}
