//! The trustees' tally from the console: once the election is closed, the election's threshold of
//! trustees paste their share files into the officer's tally page (as they would hand them to
//! `teller tally` on the server); the tally runs in the background (every ballot opened, each
//! contest counted, the whole record verified before anything is stored) and the page then links
//! the results, the board and the record.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use super::{
    Officer, Refusal, State, bad_request, blocking, error_summary, job, page, see_other, start_job,
};
use crate::admin::{parse_share, tally_election};
use crate::store::ElectionState;

pub(super) async fn tally_page(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::of_election(&state, &request, &id).await?;
    render(&state, &officer, &id, &[]).await
}

async fn render(
    state: &State,
    officer: &Officer,
    id: &str,
    errors: &[String],
) -> Result<HttpResponse, Refusal> {
    let (store, election) = (state.store.clone(), id.to_owned());
    let row = blocking(move || Ok(store.election(&election)?)).await?;
    let manifest = row.manifest()?;
    let threshold = manifest.threshold();
    let tally = job(state, &format!("{id}/tally"))?;
    let running = tally.as_ref().is_some_and(|j| j.running());
    let outcome = tally.as_ref().and_then(|j| j.outcome());
    let ceremony = manifest.ceremony().is_some();
    let mut response = page(
        "The trustees' tally",
        Some(officer),
        html! {
            p { a href={ "/console/e/" (id) } { "Back to the election" } }
            (error_summary(errors))
            h1 { "The trustees' tally" }
            @if let Some(tally) = &tally {
                @if running {
                    p role="status" { "Tallying: " (tally.progress().0) " of " (tally.progress().1) " done. This page reloads itself until it is finished." }
                } @else if let Some(outcome) = &outcome {
                    p role="status" { (outcome) }
                }
            }
            @if row.is(ElectionState::Tallied) {
                p { "The election is tallied: its results and its record are published." }
                ul.links {
                    @for contest in manifest.contests() {
                        li { a href={ "/e/" (id) "/results/" (contest.id()) } { "Results: " (contest.draft().title) } }
                    }
                    li { a href={ "/e/" (id) "/board" } { "The bulletin board" } }
                    li { a href={ "/api/elections/" (id) "/record" } { "The election record (one file, for " code { "teller verify" } ")" } }
                }
            } @else if !row.is(ElectionState::Closed) {
                p { "The tally comes after the election closes." }
            } @else if !running {
                p {
                    "This election needs the shares of " strong { (threshold) } " of its " (manifest.draft().trustees.commitments.len()) " trustees. "
                    @if ceremony {
                        "Each brings the share file their " code { "teller trustee finish" } " wrote."
                    } @else {
                        "Each brings the share file the returning officer's machine gave them (dealer mode)."
                    }
                }
                p { "Each trustee opens their file in a text editor and pastes its one line below, here on this machine. The shares rebuild the election key on the server only for the tally; every ballot is opened and counted, and the whole record is checked before anything is stored. The key is published with the results, as the record requires." }
                form method="post" action={ "/console/e/" (id) "/tally" } novalidate {
                    (officer.csrf_field())
                    @for i in 1..=threshold {
                        div.field {
                            label for={ "share-" (i) } { "Share " (i) " of " (threshold) }
                            input id={ "share-" (i) } type="password" name="share" autocomplete="off" spellcheck="false" required;
                        }
                    }
                    p.warning { strong { "This cannot be undone: " } "the results are published as soon as the tally is done." }
                    button type="submit" { "Run the tally" }
                }
            }
        },
    );
    if running {
        response
            .headers_mut()
            .insert(header::REFRESH, header::HeaderValue::from_static("3"));
    }
    Ok(response)
}

pub(super) async fn run(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    let fields = form.into_inner();
    let csrf = fields
        .iter()
        .find(|(name, _)| name == "csrf")
        .map_or("", |(_, v)| v.as_str());
    let officer = Officer::posting(&state, &request, &id, csrf).await?;
    let mut shares = Vec::new();
    let mut errors = Vec::new();
    for (i, (_, text)) in fields.iter().filter(|(n, _)| n == "share").enumerate() {
        if text.trim().is_empty() {
            errors.push(format!("Share {}: paste the share file's line", i + 1));
            continue;
        }
        match parse_share(text, &format!("share {}", i + 1)) {
            Ok(share) => shares.push(share),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    if !errors.is_empty() {
        return Ok(bad_request(render(&state, &officer, &id, &errors).await?));
    }
    let store = state.store.acting_as(&officer.email);
    let election = id.clone();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    start_job(&state, &format!("{id}/tally"), move |job| {
        let progress = |p: crate::core::verify::Progress| job.report(p);
        match tally_election(&store, &election, None, &shares, threads, &progress) {
            Ok(_) => "Tallied: every ballot opened and counted, and the record verifies.".into(),
            Err(e) => format!("The tally stopped and nothing was stored: {e:#}"),
        }
    })?;
    Ok(see_other(&format!("/console/e/{id}/tally")))
}
