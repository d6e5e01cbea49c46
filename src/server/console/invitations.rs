//! Invitations from the console: mailed to every member with an address of their own (in the
//! background, with progress and each member's outcome), re-sent to one member (a new code: the
//! old one stops working), and letters (CSV for a mail merge) for the members who cannot be
//! mailed. The console never shows a code: mailed codes go only to the member; a letter file is
//! a download for printing.

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
use crate::admin::mail::{letter_invitations, mail_invitations, reach};
use crate::store::{ElectionState, MailStatus};

/// Threads hashing codes for a mailing (the server's own requests keep the rest).
const MAILING_THREADS: usize = 1;

pub(super) async fn page_for(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::of_election(&state, &request, &id).await?;
    invitations_page(&state, &officer, &id, &[]).await
}

async fn invitations_page(
    state: &State,
    officer: &Officer,
    id: &str,
    errors: &[String],
) -> Result<HttpResponse, Refusal> {
    let (store, election) = (state.store.clone(), id.to_owned());
    let (row, members, statuses) = blocking(move || {
        let row = store.election(&election)?;
        Ok((
            row,
            store.members(&election)?,
            store.mail_statuses(&election)?,
        ))
    })
    .await?;
    let reach = reach(&members);
    let unsent = members
        .iter()
        .filter(|m| m.code_hash.is_none() && reach.by_email.contains_key(&m.number))
        .count();
    let letters_due = members
        .iter()
        .filter(|m| m.code_hash.is_none() && !reach.by_email.contains_key(&m.number))
        .count();
    let count = |status: &str| statuses.iter().filter(|s| s.status == status).count();
    let mailing = job(state, &format!("{id}/mail"))?;
    let running = mailing.as_ref().is_some_and(|m| m.running());
    let outcome = mailing.as_ref().and_then(|m| m.outcome());
    let can_send = row.is(ElectionState::Created) || row.is(ElectionState::Open);
    let problems: Vec<&MailStatus> = statuses
        .iter()
        .filter(|s| s.status == "bounced" || s.status == "failed")
        .collect();
    let mut response = page(
        "Invitations",
        Some(officer),
        html! {
            p { a href={ "/console/e/" (id) } { "Back to the election" } }
            (error_summary(errors))
            h1 { "Invitations" }
            dl.facts {
                dt { "Members with an email address of their own" } dd { (reach.by_email.len()) }
                dt { "Sharing an address with another member (a letter each)" } dd { (reach.shared.len()) }
                dt { "Without an email address (a letter each)" } dd { (reach.without.len()) }
                dt { "Mailed" } dd { (count("sent")) " sent, " (count("re-sent")) " re-sent, " (count("bounced")) " bounced, " (count("failed")) " failed" }
            }
            @if let Some(mailing) = &mailing {
                @if running {
                    p role="status" { "Mailing: " (mailing.progress().0) " of " (mailing.progress().1) " done. This page reloads itself until it is finished." }
                } @else if let Some(outcome) = &outcome {
                    p role="status" { "Last mailing: " (outcome) }
                }
            }
            @if !can_send {
                p { "The election is closed: no more invitations." }
            } @else if state.mailer.is_none() {
                p { "This server has no mail server set up: its administrator starts it with " code { "teller serve --smtp … --mail-from … --public-url …" } ". Letters work without it." }
            } @else if !running {
                h2 { "Email the invitations" }
                p { "Each member gets their member number, a new invitation code, the booth's link and the election's fingerprint, in English and Welsh. The code is never shown here." }
                form method="post" action={ "/console/e/" (id) "/invitations/send" } {
                    (officer.csrf_field())
                    button type="submit" disabled[unsent == 0] { "Email " (unsent) " member(s) who have no invitation yet" }
                }
                h2 { "Send one member a new code" }
                p { "For a member who lost the mail or whose mail bounced and whose address is now put right on the register. Their old code stops working at once." }
                form method="post" action={ "/console/e/" (id) "/invitations/resend" } novalidate {
                    (officer.csrf_field())
                    div.field {
                        label for="member" { "Member number" }
                        input #member type="text" name="member" autocomplete="off" spellcheck="false" required;
                    }
                    button type="submit" { "Send a new code" }
                }
            }
            @if can_send {
                h2 { "Letters" }
                p { (letters_due) " member(s) cannot be mailed and have no code yet. The file (CSV for a mail merge) holds their new codes: print and post it, then delete it." }
                form method="post" action={ "/console/e/" (id) "/invitations/letters" } {
                    (officer.csrf_field())
                    button type="submit" disabled[letters_due == 0] { "Download letters for " (letters_due) " member(s)" }
                }
            }
            @if !problems.is_empty() {
                h2 { "Mails that did not arrive" }
                div.scroll tabindex="0" role="region" aria-label="Mails that did not arrive (scrolls sideways)" { table {
                    caption { "Bounced and failed mails" }
                    thead { tr { th scope="col" { "Member" } th scope="col" { "What happened" } th scope="col" { "The mail server said" } } }
                    tbody { @for s in &problems { tr { td { (s.member) } td { (s.status) } td { (s.detail) } } } }
                } }
            }
        },
    );
    if running {
        // No script: the page reloads itself while a mailing runs.
        response
            .headers_mut()
            .insert(header::REFRESH, header::HeaderValue::from_static("3"));
    }
    Ok(response)
}

#[derive(serde::Deserialize)]
pub(super) struct InvitationForm {
    /// Missing is refused as a wrong token (403), not as a malformed form.
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    member: String,
}

/// Starts a mailing in the background; the page shows its progress.
fn start(
    state: &State,
    officer: &Officer,
    id: &str,
    targets: Vec<String>,
    resend: bool,
) -> Result<(), Refusal> {
    let mailer = state.mailer.clone().ok_or_else(|| {
        Refusal::Bad("this server has no mail server set up (teller serve --smtp)".into())
    })?;
    let store = state.store.acting_as(&officer.email);
    let election = id.to_owned();
    start_job(state, &format!("{id}/mail"), move |job| {
        let progress = |p: crate::core::verify::Progress| job.report(p);
        match mail_invitations(
            &store,
            &mailer,
            &election,
            &targets,
            resend,
            MAILING_THREADS,
            &progress,
        ) {
            Ok(m) => format!(
                "{} sent, {} bounced, {} failed",
                m.sent, m.bounced, m.failed
            ),
            Err(e) => format!("stopped: {e:#}"),
        }
    })
}

pub(super) async fn send(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    form: web::Form<InvitationForm>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::posting(&state, &request, &id, &form.csrf).await?;
    let (store, election) = (state.store.clone(), id.clone());
    let members = blocking(move || Ok(store.members(&election)?)).await?;
    let reach = reach(&members);
    let targets: Vec<String> = members
        .iter()
        .filter(|m| m.code_hash.is_none() && reach.by_email.contains_key(&m.number))
        .map(|m| m.number.clone())
        .collect();
    if targets.is_empty() {
        return Ok(bad_request(
            invitations_page(
                &state,
                &officer,
                &id,
                &["Every member with an address of their own has an invitation already".into()],
            )
            .await?,
        ));
    }
    start(&state, &officer, &id, targets, false)?;
    Ok(see_other(&format!("/console/e/{id}/invitations")))
}

pub(super) async fn resend(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    form: web::Form<InvitationForm>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::posting(&state, &request, &id, &form.csrf).await?;
    let member = form.member.trim().to_owned();
    let (store, election) = (state.store.clone(), id.clone());
    let members = blocking(move || Ok(store.members(&election)?)).await?;
    let reach = reach(&members);
    let problem = if member.is_empty() {
        Some("Enter the member number".to_owned())
    } else if !members.iter().any(|m| m.number == member) {
        Some(format!("{member} is not on the register"))
    } else if !reach.by_email.contains_key(&member) {
        Some(format!(
            "{member} has no email address of their own on the register: send them a letter (teller invitations export --reissue {member})"
        ))
    } else {
        None
    };
    if let Some(problem) = problem {
        return Ok(bad_request(
            invitations_page(&state, &officer, &id, &[problem]).await?,
        ));
    }
    start(&state, &officer, &id, vec![member], true)?;
    Ok(see_other(&format!("/console/e/{id}/invitations")))
}

pub(super) async fn letters(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    form: web::Form<InvitationForm>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::posting(&state, &request, &id, &form.csrf).await?;
    let (store, election) = (state.store.acting_as(&officer.email), id.clone());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let made = blocking(move || Ok(letter_invitations(&store, &election, threads))).await?;
    match made {
        Ok((csv, _)) => Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}-letters.csv\""),
            ))
            .body(csv)),
        Err(e) => Ok(bad_request(
            invitations_page(&state, &officer, &id, &[format!("{e:#}")]).await?,
        )),
    }
}
