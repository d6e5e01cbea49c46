//! The officer's elections: the list, one election's overview (state, window, turnout, events),
//! the register with a preview, and the steps that cannot be undone (open, extend, close), each
//! behind a page that says what it fixes for ever.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

use super::{Officer, Refusal, State, bad_request, blocking, error_summary, page, see_other};
use crate::admin::{RegisterRefused, apply_register, open, plan_register};
use crate::core::manifest::{Manifest, format_instant, parse_instant};
use crate::store::{ElectionRow, ElectionState, Event, MemberCounts, OfficerScope, Turnout, now};

fn state_words(row: &ElectionRow) -> &'static str {
    match ElectionState::parse(&row.state) {
        Some(ElectionState::Created) => "Not open yet",
        Some(ElectionState::Open) => "Open",
        Some(ElectionState::Closed) => "Closed: waiting for the trustees' tally",
        Some(ElectionState::Tallied) => "Tallied: results and record published",
        None => "Unknown state",
    }
}

pub(super) async fn list(state: State, request: HttpRequest) -> Result<HttpResponse, Refusal> {
    let officer = Officer::of(&state, &request).await?;
    let store = state.store.clone();
    let rows = blocking(move || Ok(store.elections()?)).await?;
    // An officer of every election, or one named for an election that does not exist yet
    // (`teller officer add ID EMAIL --new`), may create one.
    let may_create = match &officer.scope {
        OfficerScope::All => true,
        OfficerScope::Elections(ids) => ids.iter().any(|id| rows.iter().all(|r| &r.id != id)),
    };
    let mut mine = Vec::new();
    for row in rows.into_iter().filter(|r| officer.scope.admits(&r.id)) {
        let title = row
            .manifest()
            .map(|m| m.draft().title.clone())
            .unwrap_or_else(|_| row.id.clone());
        mine.push((row.id.clone(), title, state_words(&row)));
    }
    Ok(page(
        "Your elections",
        Some(&officer),
        html! {
            h1 { "Your elections" }
            @if may_create {
                p { a href="/console/new" { "Create an election" } }
            }
            @if mine.is_empty() {
                @if !may_create {
                    p { "You are not named for any election yet. The server's administrator names officers with " code { "teller officer add" } "." }
                }
            } @else {
                ul.links {
                    @for (id, title, words) in &mine {
                        li { a href={ "/console/e/" (id) } { (title) } " — " (words) }
                    }
                }
            }
        },
    ))
}

/// What the overview shows, read in one blocking call.
struct Overview {
    row: ElectionRow,
    manifest: Manifest,
    /// Members on the register, and how many have an invitation code.
    counts: MemberCounts,
    turnout: Option<Turnout>,
    events: Vec<Event>,
}

async fn overview_data(state: &State, id: &str) -> Result<Overview, Refusal> {
    let store = state.store.clone();
    let id = id.to_owned();
    blocking(move || {
        let row = store
            .find_election(&id)?
            .ok_or_else(|| Refusal::NotFound(format!("there is no election {id:?}")))?;
        let manifest = row.manifest()?;
        let counts = store.member_counts(&id)?;
        let turnout = match row.is(ElectionState::Created) {
            true => None,
            false => Some(store.turnout(&manifest)?),
        };
        let events = store.events(&id)?;
        Ok(Overview {
            row,
            manifest,
            counts,
            turnout,
            events,
        })
    })
    .await
}

/// `?created=1` after creating the election, `?edited=1` after an edit.
#[derive(serde::Deserialize)]
pub(super) struct Notice {
    #[serde(default)]
    created: Option<u8>,
    #[serde(default)]
    edited: Option<u8>,
}

pub(super) async fn overview(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::of_election(&state, &request, &id).await?;
    let data = overview_data(&state, &id).await?;
    let draft = data.manifest.draft();
    let window = data.row.window(&data.manifest);
    let created = data.row.is(ElectionState::Created);
    let is_open = data.row.is(ElectionState::Open);
    Ok(page(
        &draft.title,
        Some(&officer),
        html! {
            h1 { (draft.title) }
            @if notice.created.is_some() {
                div.done role="status" {
                    p { strong { "The election is created." } " Its keys are made. Hand each trustee their share, upload the register, then send the invitations." }
                }
            }
            @if notice.edited.is_some() {
                div.done role="status" { p { strong { "The changes are saved." } " The fingerprint below is the election's new one." } }
            }
            dl.facts {
                dt { "State" } dd { (state_words(&data.row)) }
                dt { "Voting opens" } dd { (format_instant(window.opens)) }
                dt { "Voting closes" } dd {
                    (format_instant(window.closes))
                    @if data.row.closes_extended.is_some() { " (extended; the manifest said " (draft.window.closes) ")" }
                }
                dt { "Members on the register" } dd { (data.counts.members) }
                dt { "Fingerprint" } dd { code.fingerprint { (data.manifest.fingerprint_hex()) } }
            }
            p { a href={ "/e/" (data.row.id) "/board" } { "The public bulletin board" } }
            h2 { "What you can do now" }
            ul.links {
                @if created || is_open {
                    li { a href={ "/console/e/" (data.row.id) "/invitations" } { "Invitations: by email, and letters" } }
                }
                @if created && data.counts.invited == 0 {
                    li { a href={ "/console/e/" (data.row.id) "/edit" } { "Edit the election (until its invitations go out)" } }
                }
                @if data.manifest.ceremony().is_none() && !data.row.is(ElectionState::Tallied) {
                    li { a href={ "/console/e/" (data.row.id) "/shares" } { "The trustees' shares" } }
                }
                @if created {
                    li { a href={ "/console/e/" (data.row.id) "/register" } { "Upload the register" } }
                    li { a href={ "/console/e/" (data.row.id) "/open" } { "Open the election" } }
                }
                @if is_open {
                    li { a href={ "/console/e/" (data.row.id) "/extend" } { "Extend the voting window" } }
                    li { a href={ "/console/e/" (data.row.id) "/remove" } { "Remove a member (suspended, expelled, died)" } }
                    li { a href={ "/console/e/" (data.row.id) "/close" } { "Close voting now" } }
                }
                @if data.row.is(ElectionState::Closed) {
                    li { a href={ "/console/e/" (data.row.id) "/tally" } { "The trustees' tally" } }
                }
                @if data.row.is(ElectionState::Tallied) {
                    li { a href={ "/console/e/" (data.row.id) "/tally" } { "The published results and record" } }
                    @for contest in data.manifest.contests() {
                        li { a href={ "/e/" (data.row.id) "/results/" (contest.id()) } { "Results: " (contest.draft().title) } }
                    }
                }
            }
            @if let Some(turnout) = &data.turnout { (turnout_tables(&data.manifest, turnout)) }
            h2 { "Events log" }
            p.hint { "Everything done to this election, by whom and when. Nothing here names a member." }
            div.scroll tabindex="0" role="region" aria-label="Events log (scrolls sideways)" { table {
                caption { "Events log" }
                thead { tr { th scope="col" { "When (UTC)" } th scope="col" { "What" } th scope="col" { "Details" } th scope="col" { "By" } } }
                tbody {
                    @for event in &data.events {
                        tr { td.when { (format_instant(event.at)) } td { (event.kind) } td { (event.detail) } td { (event.by()) } }
                    }
                }
            } }
        },
    ))
}

/// Turnout per contest and per region (counts of passes and ballots: never a running tally).
fn turnout_tables(manifest: &Manifest, turnout: &Turnout) -> Markup {
    html! {
        h2 { "Turnout" }
        p.hint { "Passes issued and ballots cast so far. No one sees how anyone voted until the trustees' tally." }
        div.scroll tabindex="0" role="region" aria-label="Turnout by contest (scrolls sideways)" { table {
            caption { "Turnout by contest" }
            thead { tr {
                th scope="col" { "Contest" }
                th.num scope="col" { "Eligible" }
                th.num scope="col" { "Passes issued" }
                th.num scope="col" { "Ballots cast" }
            } }
            tbody {
                @for (contest, eligible, issued, cast) in &turnout.contests {
                    tr {
                        th scope="row" { (manifest.contest(contest).map_or(contest.as_str(), |c| c.draft().title.as_str())) }
                        td.num { (eligible) } td.num { (issued) } td.num { (cast) }
                    }
                }
            }
        } }
        div.scroll tabindex="0" role="region" aria-label="Turnout by region (scrolls sideways)" { table {
            caption { "Turnout by region" }
            thead { tr {
                th scope="col" { "Region" }
                th.num scope="col" { "Members" }
                th.num scope="col" { "Members with a pass" }
            } }
            tbody {
                @for (region, members, issued) in &turnout.regions {
                    tr { th scope="row" { (region) } td.num { (members) } td.num { (issued) } }
                }
            }
        } }
    }
}

pub(super) async fn register_form(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::of_election(&state, &request, &id).await?;
    Ok(register_page(&officer, &id, &[], None, ""))
}

fn register_page(
    officer: &Officer,
    id: &str,
    errors: &[String],
    bad_rows: Option<&[String]>,
    text: &str,
) -> HttpResponse {
    page(
        "Upload the register",
        Some(officer),
        html! {
            p { a href={ "/console/e/" (id) } { "Back to the election" } }
            (error_summary(errors))
            h1 { "Upload the register" }
            @if let Some(rows) = bad_rows {
                h2 { "Rows to put right (" (rows.len()) ")" }
                p { "Nothing was imported. Correct these rows in the membership office's file and upload it again." }
                ol.bad-rows { @for row in rows { li { (row) } } }
            }
            p { "The membership office's CSV export, one row per member (the columns are in README, \"The register\"). You see what it changes before anything is stored." }
            form method="post" action={ "/console/e/" (id) "/register" } novalidate {
                (officer.csrf_field())
                div.field {
                    label for="register" { "The register (CSV)" }
                    p.hint #register-hint { "Paste the file's contents. Up to " (super::MAX_REGISTER_BYTES / (1024 * 1024)) " MB; a larger register goes through " code { "teller register import" } "." }
                    textarea #register name="register" rows="12" spellcheck="false" aria-describedby="register-hint" aria-invalid=[bad_rows.map(|_| "true")] required { (text) }
                }
                button type="submit" { "Check the register" }
            }
        },
    )
}

#[derive(serde::Deserialize)]
pub(super) struct RegisterForm {
    /// Missing is refused as a wrong token (403), not as a malformed form.
    #[serde(default)]
    csrf: String,
    register: String,
}

pub(super) async fn register_preview(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::posting(&state, &request, &id, &form.csrf).await?;
    let RegisterForm { register, .. } = form.into_inner();
    if register.trim().is_empty() {
        return Ok(bad_request(register_page(
            &officer,
            &id,
            &["Paste the register's CSV".into()],
            None,
            "",
        )));
    }
    let (store, election, csv) = (state.store.clone(), id.clone(), register.clone());
    let (planned, manifest) = blocking(move || {
        let manifest = store.election(&election)?.manifest()?;
        Ok((plan_register(&store, &election, &csv), manifest))
    })
    .await?;
    let title = |contest: &str| {
        manifest
            .contest(contest)
            .map_or(contest.to_owned(), |c| c.draft().title.clone())
    };
    let plan = match planned {
        Ok(plan) => plan,
        Err(RegisterRefused::BadRows(rows)) => {
            return Ok(bad_request(register_page(
                &officer,
                &id,
                &[format!(
                    "The register has {} bad row(s); nothing was imported",
                    rows.len()
                )],
                Some(&rows),
                &register,
            )));
        }
        Err(RegisterRefused::Other(error)) => return Err(Refusal::Bad(format!("{error:#}"))),
    };
    let report = &plan.report;
    Ok(page(
        "Check the register",
        Some(&officer),
        html! {
            p { a href={ "/console/e/" (id) "/register" } { "Back: upload another file" } }
            h1 { "Check the register before it is stored" }
            p { strong { (report.members) } " members. Nothing is stored until you apply it." }
            table {
                caption { "Eligible members per contest" }
                thead { tr { th scope="col" { "Contest" } th.num scope="col" { "Eligible" } } }
                tbody { @for (contest, n) in &report.eligible { tr { th scope="row" { (title(contest)) } td.num { (n) } } } }
            }
            @if let Some(diff) = &report.diff {
                h2 { "Changes against the register stored before" }
                dl.facts {
                    dt { "Added (" (diff.added.len()) ")" } dd { (listed(&diff.added)) }
                    dt { "Removed (" (diff.removed.len()) ")" } dd { (listed(&diff.removed)) }
                    dt { "Changed (" (diff.changed.len()) ")" } dd { (listed(&diff.changed)) }
                }
            } @else {
                p { "No register is stored yet: this will be the first." }
            }
            form method="post" action={ "/console/e/" (id) "/register/apply" } {
                (officer.csrf_field())
                input type="hidden" name="register" value=(register);
                button type="submit" { "Apply this register" }
            }
        },
    ))
}

fn listed(numbers: &[String]) -> String {
    match numbers.len() {
        0 => "none".into(),
        n if n <= 30 => numbers.join(", "),
        n => format!("{} … and {} more", numbers[..30].join(", "), n - 30),
    }
}

pub(super) async fn register_apply(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::posting(&state, &request, &id, &form.csrf).await?;
    let RegisterForm { register, .. } = form.into_inner();
    let store = state.store.acting_as(&officer.email);
    let election = id.clone();
    blocking(move || {
        // Checked again: the page's copy came back through the browser.
        let plan = plan_register(&store, &election, &register)
            .map_err(|e| Refusal::Bad(format!("{e:#}")))?;
        apply_register(&store, &election, plan).map_err(|e| Refusal::Bad(format!("{e:#}")))?;
        Ok(())
    })
    .await?;
    Ok(see_other(&format!("/console/e/{id}")))
}

/// The steps that cannot be undone.
#[derive(Clone, Copy)]
enum Action {
    Open,
    Extend,
    Close,
}

impl Action {
    fn parse(name: &str) -> Result<Self, Refusal> {
        match name {
            "open" => Ok(Self::Open),
            "extend" => Ok(Self::Extend),
            "close" => Ok(Self::Close),
            _ => Err(Refusal::NotFound("there is no such page".into())),
        }
    }
}

#[derive(serde::Deserialize)]
pub(super) struct ActionForm {
    /// Missing is refused as a wrong token (403), not as a malformed form.
    #[serde(default)]
    csrf: String,
    closes: Option<String>,
}

pub(super) async fn confirm(
    state: State,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Refusal> {
    let (id, action) = path.into_inner();
    let officer = Officer::of_election(&state, &request, &id).await?;
    let action = Action::parse(&action)?;
    let data = overview_data(&state, &id).await?;
    Ok(confirm_page(&officer, &data, action, &[]))
}

fn confirm_page(
    officer: &Officer,
    data: &Overview,
    action: Action,
    errors: &[String],
) -> HttpResponse {
    let id = &data.row.id;
    let window = data.row.window(&data.manifest);
    let (title, fixes, button): (&str, Markup, &str) = match action {
        Action::Open => (
            "Open the election",
            html! {
                p { "Opening freezes the register of " strong { (data.counts.members) " members" } " and publishes its commitment on the bulletin board: from then on no member can be added or changed, and anyone can check who was eligible." }
                p { "Members can sign in from " (format_instant(window.opens)) " until " (format_instant(window.closes)) "." }
                @if data.counts.members > data.counts.invited {
                    p.warning { (data.counts.members - data.counts.invited) " member(s) have no invitation code yet: they cannot vote until they get one (" a href={ "/console/e/" (id) "/invitations" } { "Invitations" } ")." }
                }
            },
            "Open the election",
        ),
        Action::Extend => (
            "Extend the voting window",
            html! {
                p { "Voting now closes at " strong { (format_instant(window.closes)) } ". A later closing time is published in the events log; it cannot be brought earlier again, and an extension is possible only before the window ends." }
                div.field {
                    label for="closes" { "New closing time" }
                    p.hint #closes-hint { "UTC, e.g. 2026-12-24T17:00:00Z, or from now: now+2d, now+6h." }
                    input #closes type="text" name="closes" aria-describedby="closes-hint" required;
                }
            },
            "Extend the window",
        ),
        Action::Close => (
            "Close voting now",
            html! {
                p { "Closing ends voting for good, even if the window has time left: the final checkpoints of the logs are signed, and no member can vote after this." }
                p { "Turnout now: " (data.turnout.as_ref().map_or(0, |t| t.contests.iter().map(|c| c.3).sum::<i64>())) " ballots in all contests." }
            },
            "Close voting now",
        ),
    };
    let verb = match action {
        Action::Open => "open",
        Action::Extend => "extend",
        Action::Close => "close",
    };
    page(
        title,
        Some(officer),
        html! {
            p { a href={ "/console/e/" (id) } { "Back to the election (nothing is done)" } }
            (error_summary(errors))
            h1 { (title) ": " (data.manifest.draft().title) }
            form method="post" action={ "/console/e/" (id) "/" (verb) } novalidate {
                (officer.csrf_field())
                (fixes)
                p.warning { strong { "This cannot be undone." } }
                button type="submit" { (button) }
            }
        },
    )
}

pub(super) async fn act(
    state: State,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, Refusal> {
    let (id, action) = path.into_inner();
    let officer = Officer::posting(&state, &request, &id, &form.csrf).await?;
    let action = Action::parse(&action)?;
    let store = state.store.acting_as(&officer.email);
    let election = id.clone();
    let closes = form.closes.clone().unwrap_or_default();
    let done = blocking(move || {
        let refused = |e: anyhow::Error| Ok(Err(format!("{e:#}")));
        match action {
            Action::Open => match open(&store, &election, None) {
                Ok(()) => Ok(Ok(())),
                Err(e) => refused(e),
            },
            Action::Close => match store.close(&election) {
                Ok(_) => Ok(Ok(())),
                Err(e) => refused(e.into()),
            },
            Action::Extend => {
                let manifest = store.election(&election)?.manifest()?;
                let now = now();
                let at = crate::admin::resolve_time(closes.trim(), now)
                    .and_then(|text| parse_instant(&text).map_err(|e| anyhow::anyhow!("{e}")));
                let at = match at {
                    Ok(at) => at,
                    Err(e) => return refused(e),
                };
                match store.extend_election(&manifest, at, now) {
                    Ok(_) => Ok(Ok(())),
                    Err(e) => refused(e.into()),
                }
            }
        }
    })
    .await?;
    match done {
        Ok(()) => Ok(see_other(&format!("/console/e/{id}"))),
        Err(message) => {
            let data = overview_data(&state, &id).await?;
            Ok(bad_request(confirm_page(
                &officer,
                &data,
                action,
                &[message],
            )))
        }
    }
}
