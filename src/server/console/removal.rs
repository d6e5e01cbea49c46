//! Removing a member after the election opened (suspension, expulsion, death): a form for the
//! member number and the reason, a page that says what the removal fixes for ever, then the
//! removal (`admin::remove_member`, the same as `teller register remove`).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::{
    Officer, Refusal, State, bad_request, blocking, error_summary, page, see_other, text_field,
};
use crate::admin::{MAX_REASON_CHARS, remove_member};
use crate::store::ElectionState;

/// The removal form, as posted by both steps.
#[derive(Deserialize)]
pub(super) struct RemovalForm {
    csrf: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    reason: String,
}

/// `?done=1` after a removal.
#[derive(Deserialize)]
pub(super) struct Done {
    #[serde(default)]
    done: Option<u8>,
}

/// What the pages need of the election.
struct Election {
    title: String,
    open: bool,
    removed: i64,
}

async fn election(state: &State, id: &str) -> Result<Election, Refusal> {
    let (store, id) = (state.store.clone(), id.to_owned());
    blocking(move || {
        let row = store
            .find_election(&id)?
            .ok_or_else(|| Refusal::NotFound(format!("there is no election {id:?}")))?;
        let title = row.manifest()?.draft().title.clone();
        let removed = store.removed_members(&id)?;
        Ok(Election {
            title,
            open: row.is(ElectionState::Open),
            removed,
        })
    })
    .await
}

/// The member-number-and-reason form.
fn form_page(
    officer: &Officer,
    id: &str,
    election: &Election,
    form: Option<&RemovalForm>,
    problems: &Problems,
    done: bool,
) -> HttpResponse {
    let Problems {
        member: member_wrong,
        reason: reason_wrong,
        ..
    } = *problems;
    let errors = &problems.messages;
    let (member, reason) = form.map_or(("", ""), |f| (f.member.as_str(), f.reason.as_str()));
    page(
        "Remove a member",
        Some(officer),
        html! {
            p { a href={ "/console/e/" (id) } { "Back to the election" } }
            (error_summary(errors))
            h1 { "Remove a member: " (election.title) }
            @if done {
                div.done role="status" {
                    p { strong { "The member was removed." } " Their invitation code no longer works and they will not be given a voting pass. The issuance log records the removal with its next batch, or when voting closes." }
                }
            }
            @if !election.open {
                p { "Members can be removed only while the election is open. Before it opens, take them out of the register and upload it again." }
            } @else {
                p { "For a member suspended, expelled or who has died since the register was frozen. From the moment you remove them:" }
                ul {
                    li { "their invitation code no longer signs in, and a session they have open stops working;" }
                    li { "they are not given a voting pass in any contest;" }
                    li { "a ballot they have already cast still counts. Teller cannot tell you whether they voted, and does not." }
                }
                p { "The published record shows how many members were removed in each contest, and the reason in the events log, never who." }
                form method="post" action={ "/console/e/" (id) "/remove" } novalidate {
                    (officer.csrf_field())
                    (text_field("member", "Member number", None, member, member_wrong))
                    (text_field("reason", "Reason", Some(&format!(
                        "For example: suspended, expelled, died. At most {MAX_REASON_CHARS} characters. It goes into the election's events log, so do not name the member."
                    )), reason, reason_wrong))
                    button type="submit" { "Continue" }
                }
            }
            p { (election.removed) " member(s) removed since the election opened." }
        },
    )
}

pub(super) async fn form(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::of_election(&state, &request, &id).await?;
    let election = election(&state, &id).await?;
    Ok(form_page(
        &officer,
        &id,
        &election,
        None,
        &Problems::default(),
        query.done.is_some(),
    ))
}

/// What is wrong with the form: the messages, and which fields they are about.
#[derive(Default)]
struct Problems {
    messages: Vec<String>,
    member: bool,
    reason: bool,
}

impl Problems {
    fn member(&mut self, message: String) {
        self.messages.push(message);
        self.member = true;
    }

    fn reason(&mut self, message: String) {
        self.messages.push(message);
        self.reason = true;
    }

    /// A refusal of the removal itself, about neither field.
    fn refused(message: String) -> Self {
        Self {
            messages: vec![message],
            ..Self::default()
        }
    }
}

/// What is wrong with the form, before anything is done (the removal checks again).
async fn problems(state: &State, id: &str, form: &RemovalForm) -> Result<Problems, Refusal> {
    let member = form.member.trim().to_owned();
    let reason = form.reason.trim();
    let mut problems = Problems::default();
    if member.is_empty() {
        problems.member("Enter the member number".to_owned());
    } else {
        let (store, election) = (state.store.clone(), id.to_owned());
        let found = {
            let member = member.clone();
            blocking(move || Ok(store.member(&election, &member)?)).await?
        };
        match found {
            None => problems.member(format!("{member} is not on the register")),
            Some(row) if row.removed => problems.member(format!("{member} was removed already")),
            Some(_) => {}
        }
    }
    if reason.is_empty() {
        problems.reason("Enter the reason".to_owned());
    } else if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        problems.reason(format!(
            "The reason must be one line of at most {MAX_REASON_CHARS} characters"
        ));
    }
    Ok(problems)
}

/// Step one: the form checked, then the page that asks for confirmation.
pub(super) async fn check(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    form: web::Form<RemovalForm>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::posting(&state, &request, &id, &form.csrf).await?;
    let election = election(&state, &id).await?;
    let problems = problems(&state, &id, &form).await?;
    if !problems.messages.is_empty() || !election.open {
        return Ok(bad_request(form_page(
            &officer,
            &id,
            &election,
            Some(&form),
            &problems,
            false,
        )));
    }
    let member = form.member.trim();
    let reason = form.reason.trim();
    Ok(page(
        "Remove this member?",
        Some(&officer),
        html! {
            p { a href={ "/console/e/" (id) "/remove" } { "Back (nothing is done)" } }
            h1 { "Remove member " (member) "?" }
            dl.facts {
                dt { "Member" } dd { (member) }
                dt { "Reason (goes into the events log)" } dd { (reason) }
            }
            p { "They will not be able to sign in or get a voting pass in " (election.title) ". A ballot they have already cast still counts." }
            form method="post" action={ "/console/e/" (id) "/remove/confirm" } {
                (officer.csrf_field())
                input type="hidden" name="member" value=(member);
                input type="hidden" name="reason" value=(reason);
                p.warning { strong { "This cannot be undone." } " The removal is published in the issuance log." }
                button type="submit" { "Remove this member" }
            }
        },
    ))
}

/// Step two: the removal.
pub(super) async fn confirm(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    form: web::Form<RemovalForm>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::posting(&state, &request, &id, &form.csrf).await?;
    let store = state.store.acting_as(&officer.email);
    let (election_id, member, reason) = (
        id.clone(),
        form.member.trim().to_owned(),
        form.reason.trim().to_owned(),
    );
    let removed = blocking(move || {
        Ok(remove_member(&store, &election_id, &member, &reason).map_err(|e| format!("{e:#}")))
    })
    .await?;
    match removed {
        Ok(_) => Ok(see_other(&format!("/console/e/{id}/remove?done=1"))),
        Err(message) => {
            let election = election(&state, &id).await?;
            Ok(bad_request(form_page(
                &officer,
                &id,
                &election,
                Some(&form),
                &Problems::refused(message),
                false,
            )))
        }
    }
}
