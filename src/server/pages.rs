//! The public pages (issue 13): each election's bulletin board, its logs page by page, and the
//! results of each contest, for anyone and without login. Server-rendered HTML (maud: typed and
//! escaped), no script; the results' charts are the count renderer's inline SVG
//! (`core::count::render::html_sections`), so the CLI's `--format html` and these pages are one
//! renderer.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{HttpResponse, http::header, web};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::booth::{Booth, VERIFIER_WASM_SOURCE};
use super::routes::{blocking, cosigned_checkpoint, log_name};
use super::{ApiError, AppState, LoadedElection};
use crate::core::booth::tracker;
use crate::core::count::render::{csv, html_sections, slate_voting};
use crate::core::log::{Entry, leaf_hash};
use crate::core::manifest::{Contest, Manifest, ReissueBy, Revote, format_instant};
use crate::core::record::{layout, recount};
use crate::core::verify::{CHECKS, describe};
use crate::store::{ElectionState, LogName, Store};

type State = web::Data<AppState>;

/// Log entries on one page of the log view.
const PAGE_SIZE: i64 = 100;

/// The pages' policy: as the booth's, with forms allowed to this server (the tracker search).
const PUBLIC_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The verifier page's policy: its own script, workers and WebAssembly, fetches to this server.
const VERIFY_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    worker-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; \
    base-uri 'none'; frame-ancestors 'none'";

/// Registers the pages.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/e/{id}/board", web::get().to(board))
        .route("/e/{id}/board/{log}", web::get().to(log_page))
        .route("/verify", web::get().to(verify_any))
        .route("/e/{id}/verify", web::get().to(verify_page))
        .route("/e/{id}/results/{contest}", web::get().to(results))
        .route("/e/{id}/results/{contest}/{file}", web::get().to(download));
}

fn html_page(title: &str, body: Markup) -> HttpResponse {
    page_with(title, body, PUBLIC_CSP, None)
}

/// A public page under `csp`, with `script` (an asset's source name) if it has one.
pub(super) fn page_with(
    title: &str,
    body: Markup,
    csp: &str,
    script: Option<&str>,
) -> HttpResponse {
    let booth = Booth::get();
    let style = |source: &str| booth.assets.iter().find(|a| a.source == source);
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                @for source in ["render/report.css", "booth/public.css"] {
                    @if let Some(asset) = style(source) {
                        link rel="stylesheet" href=(asset.url) integrity=(asset.integrity);
                    }
                }
                @if let Some(asset) = script.and_then(style) {
                    script src=(asset.url) integrity=(asset.integrity) defer {}
                }
            }
            body {
                a.skip href="#main" { "Skip to content" }
                main #main { (body) }
            }
        }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

fn state_words(state: ElectionState) -> &'static str {
    match state {
        ElectionState::Created => "Not open yet",
        ElectionState::Open => "Open",
        ElectionState::Closed => "Closed: waiting for the trustees' tally",
        ElectionState::Tallied => "Tallied: results and record published",
    }
}

/// Per contest: (contest, eligible, passes issued, ballots cast).
pub(super) type ContestTurnout = Vec<(String, i64, i64, i64)>;

/// What the board shows that comes from the database, read in one blocking call.
struct BoardData {
    state: ElectionState,
    closes: i64,
    turnout: ContestTurnout,
    checkpoints: Vec<(LogName, String)>,
    archive: Option<String>,
}

async fn board(state: State, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let election = state.election(&id)?;
    let data = {
        let (state, election, id) = (state.clone(), election.clone(), id.clone());
        blocking(move || board_data(&state, &election, &id)).await?
    };
    let manifest = &election.manifest;
    let draft = manifest.draft();
    let window = manifest.window();
    let body = html! {
        p.note { a href={"/e/" (id) "/"} { "Vote in this election" } }
        h1 { (draft.title) }
        p { "The public bulletin board of election " code { (id) } ". Everything here can be checked against the election record." }
        dl.facts {
            dt { "Fingerprint" } dd { code.fingerprint { (manifest.fingerprint_hex()) } }
            dt { "State" } dd { (state_words(data.state)) }
            dt { "Voting opens" } dd { (format_instant(window.opens)) }
            dt { "Voting closes" } dd {
                (format_instant(data.closes))
                @if data.closes != window.closes { " (extended from " (format_instant(window.closes)) ")" }
            }
            dt { "Voting again" } dd { (revote_words(manifest.revote())) }
            dt { "Lost voting passes" } dd { (reissue_words(manifest)) }
            dt { "Trustees" } dd {
                @match manifest.ceremony() {
                    Some(ceremony) => {
                        @for (i, trustee) in ceremony.setup.trustees.iter().enumerate() {
                            @if i > 0 { ", " }
                            (trustee.name)
                        }
                        " made the election key together: nobody held it while the election was open. Any "
                        (manifest.threshold())
                        " of them together open the ballots after the close"
                    }
                    None => {
                        (manifest.share_commitments().len()) " trustees; any " (manifest.threshold())
                        " of them together open the ballots after the close. Dealer mode: the "
                        "returning officer's machine made the election key and split it"
                    }
                }
            }
            dt { "Witnesses" } dd {
                @if manifest.witnesses().is_empty() {
                    "None named: only the server's own signature vouches for its logs"
                } @else {
                    "Any " (manifest.witness_quorum()) " of "
                    @for (i, w) in manifest.witnesses().iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (w.name()) }
                    }
                    " cosign a checkpoint before a booth relies on it; each cosigns only a log that extends the one it saw before"
                }
            }
        }
        @if data.state == ElectionState::Open {
            h2 { "Turnout so far" }
            p.note { "Counts only: nobody, the operators included, can see how anyone voted before the close." }
            (turnout_table(manifest, &data.turnout))
        }
        @if data.state == ElectionState::Tallied {
            h2 { "Results" }
            ul.links {
                @for contest in manifest.contests() {
                    li { a href={"/e/" (id) "/results/" (contest.id())} { (contest.draft().title) } }
                }
            }
            h2 { "The election record" }
            @if let Some(sha256) = &data.archive {
                p {
                    a href={"/api/elections/" (id) "/record"} download { "Download the record (" (id) "-record.tar)" }
                    br;
                    "SHA-256 " code.fingerprint { (sha256) }
                }
                p { a href={"/e/" (id) "/verify"} { "Check the record in your browser" } " (every check of " code { "teller verify" } ", run on your computer)" }
                p.note { "Or check it with " code { "teller verify " (id) "-record.tar --fingerprint " (manifest.fingerprint_hex()) } "." }
            }
        }
        h2 { "Logs" }
        @if data.checkpoints.is_empty() {
            p { "The logs begin when the election opens." }
        }
        @for (log, note) in &data.checkpoints {
            h3 { (log_heading(*log)) }
            p { "Latest signed checkpoint (a C2SP signed note; copy it to check later that the log only grew):" }
            pre.note-text tabindex="0" aria-label={"Latest checkpoint of the " (log_title(*log))} { (note) }
            p { a href={"/e/" (id) "/board/" (log.as_str())} { "Every entry of the " (log_title(*log)) } }
        }
        h2 { "Contests" }
        @for contest in manifest.contests() { (contest_facts(contest)) }
    };
    Ok(html_page(
        &format!("{} — bulletin board", draft.title),
        body,
    ))
}

/// The verifier page: every check of `teller verify`, run in the reader's browser by the same
/// Rust in WebAssembly (booth/verify.js, booth/verify-worker.js, `core::verify::browser`) on the
/// record this server publishes or on a file the reader picks.
async fn verify_page(state: State, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let election = state.election(&id)?;
    let archive = {
        let (state, id) = (state.clone(), id.clone());
        blocking(move || Ok(state.archive(&id)?.map(|a| a.sha256.clone()))).await?
    };
    let title = election.manifest.draft().title.clone();
    verifier(Some((&id, &title, archive)))
}

/// The verifier page for a record file of any election (`/verify`).
async fn verify_any() -> Result<HttpResponse, ApiError> {
    verifier(None)
}

/// The verifier page; for `election` (its id, title and published archive's SHA-256, if any) it
/// also offers the record this server publishes.
fn verifier(election: Option<(&str, &str, Option<String>)>) -> Result<HttpResponse, ApiError> {
    let booth = Booth::get();
    let asset = |source: &str| booth.assets.iter().find(|a| a.source == source);
    let (Some(wasm), Some(worker)) = (asset(VERIFIER_WASM_SOURCE), asset("booth/verify-worker.js"))
    else {
        return Err(ApiError::internal("the verifier's assets are missing"));
    };
    let for_election = election.is_some();
    let (id, title, archive) = election.unwrap_or(("", "", None));
    let record_url = format!("/api/elections/{id}/record");
    let body = html! {
        @if for_election {
            p.note { a href={"/e/" (id) "/board"} { "Back to the bulletin board" } }
        }
        h1 { "Check the election record" }
        p {
            "This page runs every check of " code { "teller verify" } " on "
            @if for_election { "the record of " (title) } @else { "an election record" }
            ", here in your browser, with the same program compiled to WebAssembly. "
            "The record is read by this page only; nothing about it is sent anywhere."
        }
        noscript {
            p.error { "The check in the browser needs JavaScript. Without it, run " code { "teller verify" } " on the record." }
        }
        form #verify novalidate data-wasm=(wasm.url) data-wasm-integrity=(wasm.integrity)
            data-worker=(worker.url) data-record=(record_url) {
        fieldset {
                legend { "Which record to check" }
                @if for_election {
                    div.choice {
                        input #from-server type="radio" name="source" value="server" checked[archive.is_some()] disabled[archive.is_none()];
                        label for="from-server" {
                            "The record this server publishes"
                            @if let Some(sha256) = &archive {
                                " (" (id) "-record.tar, SHA-256 " code.fingerprint { (sha256) } ")"
                            } @else {
                                " (published once the election is tallied)"
                            }
                        }
                    }
                }
                div.choice {
                    input #from-file type="radio" name="source" value="file" checked[archive.is_none()];
                    label for="from-file" { "A record file you have (" code { ".tar" } ", from this or another copy)" }
                }
                div.field {
                    label for="file" { "Record file" }
                    input #file type="file" accept=".tar,application/x-tar";
                }
            }
            div.field {
                label for="fingerprint" { "The election's fingerprint, as you were given it (optional)" }
                p.hint #fingerprint-hint { "From the notice of election or your faction's scrutineer, not from this server: 64 letters and digits, spaces allowed. The check fails if the record is of another election definition." }
                input #fingerprint type="text" autocomplete="off" spellcheck="false" aria-describedby="fingerprint-hint";
            }
            p #form-error.error role="alert" {}
            button #start type="submit" { "Check the record" }
        }
        section #progress-section hidden aria-labelledby="progress-heading" {
            h2 #progress-heading { "Checking" }
            p #status role="status" { "Starting" }
            progress #bar max="100" value="0" aria-labelledby="progress-heading" {}
        }
        section #outcome hidden aria-labelledby="verdict" {
            h2 #verdict tabindex="-1" {}
            p #archive-facts {}
        }
        h2 { "The checks" }
        ol #checks {
            @for check in CHECKS {
                li data-check=(check) {
                    strong.result { "Not run" } " "
                    code { (check) } ": " (describe(check))
                    span.failure {}
                }
            }
        }
        section #totals-section hidden {
            h2 { "Totals per contest" }
            div.scroll tabindex="0" role="region" aria-label="Totals per contest" {
                table #totals {
                    thead { tr {
                        th scope="col" { "Contest" } th.num scope="col" { "Eligible" } th.num scope="col" { "Passes issued" }
                        th.num scope="col" { "Of which re-issued" } th.num scope="col" { "Cast" } th.num scope="col" { "Counted" }
                        th.num scope="col" { "Valid" } th.num scope="col" { "Invalid" }
                        th.num scope="col" { "Removed after opening" }
                    } }
                    tbody {}
                }
            }
            details {
                summary { "The report, as " code { "teller verify" } " prints it" }
                pre #report.note-text tabindex="0" aria-label="The report as teller verify prints it" {}
            }
        }
    };
    Ok(page_with(
        &if for_election {
            format!("{title} — check the record")
        } else {
            "Check an election record".to_owned()
        },
        body,
        VERIFY_CSP,
        Some("booth/verify.js"),
    ))
}

fn board_data(
    state: &AppState,
    election: &LoadedElection,
    id: &str,
) -> Result<BoardData, ApiError> {
    let store = &state.store;
    let row = store.election(id)?;
    let manifest = &election.manifest;
    let closes = row.window(manifest).closes;
    let turnout = if row.is(ElectionState::Open) {
        turnout(state, manifest, id)?
    } else {
        Vec::new()
    };
    let mut checkpoints = Vec::new();
    if !row.is(ElectionState::Created) {
        for log in [LogName::Ballots, LogName::Issuance] {
            if log_name(election, log.as_str()).is_ok() {
                checkpoints.push((log, cosigned_checkpoint(store, election, id, log)?));
            }
        }
    }
    let archive = state.archive(id)?.map(|a| a.sha256.clone());
    Ok(BoardData {
        state: ElectionState::parse(&row.state).unwrap_or(ElectionState::Created),
        closes,
        turnout,
        checkpoints,
        archive,
    })
}

/// How long the board shows the same turnout figures: counting them reads every member row, and
/// the board is open to anyone.
const TURNOUT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(10);

/// Turnout per contest, counted at most once every [`TURNOUT_MAX_AGE`]. Blocking.
fn turnout(state: &AppState, manifest: &Manifest, id: &str) -> Result<ContestTurnout, ApiError> {
    let poisoned = |_| ApiError::internal("turnout cache poisoned");
    if let Some((at, figures)) = state.turnout.lock().map_err(poisoned)?.get(id)
        && at.elapsed() < TURNOUT_MAX_AGE
    {
        return Ok(figures.clone());
    }
    let figures = state.store.turnout(manifest)?.contests;
    state
        .turnout
        .lock()
        .map_err(poisoned)?
        .insert(id.to_owned(), (std::time::Instant::now(), figures.clone()));
    Ok(figures)
}

fn log_title(log: LogName) -> &'static str {
    match log {
        LogName::Ballots => "ballot log",
        LogName::Issuance => "issuance log",
    }
}

fn log_heading(log: LogName) -> &'static str {
    match log {
        LogName::Ballots => "Ballot log",
        LogName::Issuance => "Issuance log",
    }
}

fn revote_words(revote: Revote) -> &'static str {
    match revote {
        Revote::Forbidden => "Not allowed: a member's first ballot in a contest is final",
        Revote::Last => "Allowed: a member's last ballot in a contest counts",
    }
}

fn reissue_words(manifest: &Manifest) -> String {
    let reissue = manifest.reissue();
    if reissue.limit == 0 {
        return "No new pass is issued for a lost one".into();
    }
    let who = match reissue.by {
        ReissueBy::Member => "on the member's own request",
        ReissueBy::Officer => "when the returning officer grants it",
    };
    format!(
        "Up to {} new pass(es) per member and contest, {who}; every re-issue is counted in the record",
        reissue.limit
    )
}

fn contest_facts(contest: &Contest) -> Markup {
    let draft = contest.draft();
    let rule = &draft.eligibility;
    html! {
        section.contest aria-labelledby={"contest-" (contest.id())} {
            h3 #{"contest-" (contest.id())} { (draft.title) }
            dl.facts {
                dt { "Seats" } dd { (contest.seats()) }
                dt { "Rule" } dd { (contest.method().description()) }
                @if let Some(minimum) = &draft.minimum {
                    dt { "Constraint" } dd {
                        "At least " (minimum.seats) " seat(s) go to candidates whose " (minimum.attribute) " is " (minimum.value)
                    }
                }
                dt { "Who may vote" } dd {
                    "Members on the register frozen on " (rule.freeze)
                    @if rule.exclude_arrears { ", not in arrears" }
                    @if let Some(age) = rule.under_age { ", under " (age) }
                    @if let Some(region) = &rule.region { ", in region " (region) }
                    @if rule.disability { ", who have declared a disability" }
                }
            }
            div.scroll tabindex="0" role="region" aria-label={"Candidates for " (draft.title) " (scrolls sideways)"} { table {
                caption { "Candidates" }
                thead { tr { th scope="col" { "Candidate" } th scope="col" { "Slate" } th scope="col" { "Gender" } } }
                tbody {
                    @for candidate in &draft.candidates {
                        tr {
                            th scope="row" { (candidate.name) }
                            td { (candidate.slate.as_deref().unwrap_or("—")) }
                            td { (candidate.gender.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            } }
        }
    }
}

fn turnout_table(manifest: &Manifest, turnout: &[(String, i64, i64, i64)]) -> Markup {
    html! {
        div.scroll tabindex="0" role="region" aria-label="Turnout by contest (scrolls sideways)" { table {
            caption { "Turnout by contest" }
            thead { tr {
                th scope="col" { "Contest" }
                th.num scope="col" { "Eligible members" }
                th.num scope="col" { "Voting passes issued" }
                th.num scope="col" { "Ballots cast" }
            } }
            tbody {
                @for (contest, eligible, issued, cast) in turnout {
                    tr {
                        th scope="row" { (manifest.contest(contest).map_or(contest.as_str(), |c| c.draft().title.as_str())) }
                        td.num { (eligible) }
                        td.num { (issued) }
                        td.num { (cast) }
                    }
                }
            }
        } }
    }
}

#[derive(serde::Deserialize)]
struct LogQuery {
    page: Option<i64>,
    tracker: Option<String>,
    /// A member's roster commitment: the removal entries that name it (the booth links a removed
    /// member here, with theirs).
    member: Option<String>,
}

/// The index key of the removal entries naming the member commitment `member` (base64url), kept
/// beside the trackers (which are `XXXXX-XXXXX`, so the two never meet).
fn removal_key(member: &str) -> String {
    format!("removal {member}")
}

/// One row of the log view.
struct EntryRow {
    seq: i64,
    kind: &'static str,
    contest: String,
    tracker: String,
}

async fn log_page(
    state: State,
    path: web::Path<(String, String)>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, log) = path.into_inner();
    let election = state.election(&id)?;
    let log = log_name(&election, &log)?;
    let query = query.into_inner();
    let member = (query.member.as_deref())
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    let wanted = (query.tracker.as_deref())
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty());
    let key = match &member {
        Some(member) => Some(removal_key(member)),
        None => wanted.clone(),
    };
    let (size, rows, page) = {
        let state = state.clone();
        let (id, key) = (id.clone(), key.clone());
        blocking(move || log_rows(&state, &id, log, query.page.unwrap_or(0), key.as_deref()))
            .await?
    };
    let pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    let body = html! {
        p.note { a href={"/e/" (id) "/board"} { "Back to the bulletin board" } }
        h1 { "The " (log_title(log)) " of " (election.manifest.draft().title) }
        p { (size) " entries. Each row is one entry; the tracker is the one a member's receipt shows." }
        form method="get" role="search" {
            label for="tracker" { "Find a tracker" }
            " "
            input #tracker name="tracker" type="text" autocomplete="off" spellcheck="false" value=(wanted.clone().unwrap_or_default()) placeholder="XXXXX-XXXXX";
            " "
            button type="submit" { "Find" }
        }
        @if let Some(member) = &member {
            p role="status" {
                @if rows.is_empty() {
                    "No removal entry names member commitment " code { (member) } " yet. The issuance log publishes a removal with its next batch of entries, or when voting closes."
                } @else {
                    "Removal entries that name member commitment " code { (member) } ":"
                }
            }
        } @else if let Some(wanted) = &wanted {
            p role="status" {
                @if rows.is_empty() { "No entry has tracker " code { (wanted) } "." }
                @else { "Entries with tracker " code { (wanted) } ":" }
            }
        }
        @if !rows.is_empty() {
            div.scroll tabindex="0" role="region" aria-label="Entries (scrolls sideways)" {
                table {
                    caption { "Entries" @if key.is_none() { " " (page * PAGE_SIZE) "–" (page * PAGE_SIZE + rows.len() as i64 - 1) } }
                    thead { tr { th.num scope="col" { "Entry" } th scope="col" { "Kind" } th scope="col" { "Contest" } th scope="col" { "Tracker" } } }
                    tbody {
                        @for row in &rows {
                            tr { td.num { (row.seq) } td { (row.kind) } td { (row.contest) } td { code { (row.tracker) } } }
                        }
                    }
                }
            }
        }
        @if key.is_none() && pages > 1 {
            nav aria-label="Pages" {
                @if page > 0 { a href={"?page=" (page - 1)} rel="prev" { "Previous page" } " " }
                "Page " (page + 1) " of " (pages)
                @if page + 1 < pages { " " a href={"?page=" (page + 1)} rel="next" { "Next page" } }
            }
        }
        p.note { "The entries themselves, as JSON lines: " code { "GET /api/elections/" (id) "/logs/" (log.as_str()) "/entries?start=0&end=" (size) } }
    };
    Ok(html_page(
        &format!("{} — {}", election.manifest.draft().title, log_title(log)),
        body,
    ))
}

/// The log's size, the rows of `page` (or every entry whose tracker is `wanted`), and the page.
fn log_rows(
    state: &AppState,
    id: &str,
    log: LogName,
    page: i64,
    wanted: Option<&str>,
) -> Result<(i64, Vec<EntryRow>, i64), ApiError> {
    let store = &state.store;
    let size = store.head(id, log)?.size() as i64;
    let pages = ((size + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = page.clamp(0, pages - 1);
    let Some(wanted) = wanted else {
        let start = page * PAGE_SIZE;
        let entries = store.entries(id, log, start, ((page + 1) * PAGE_SIZE).min(size))?;
        let rows = (entries.iter().enumerate())
            .map(|(offset, bytes)| entry_row(start + offset as i64, bytes))
            .collect();
        return Ok((size, rows, page));
    };
    let mut rows = Vec::new();
    for seq in tracker_seqs(state, id, log, size, wanted)? {
        for bytes in store.entries(id, log, seq, seq + 1)? {
            rows.push(entry_row(seq, &bytes));
        }
    }
    Ok((size, rows, page))
}

/// Which entries of a log have each tracker, for the first `size` entries.
#[derive(Default)]
pub(super) struct TrackerIndex {
    size: i64,
    seqs: std::collections::HashMap<String, Vec<i64>>,
}

/// The entries of the log's first `size` whose tracker is `wanted` (or, for a
/// [`removal_key`], the removals that name that member). The log only grows, so the index is
/// extended from where it stopped: a search hashes each entry once, not once a search.
fn tracker_seqs(
    state: &AppState,
    id: &str,
    log: LogName,
    size: i64,
    wanted: &str,
) -> Result<Vec<i64>, ApiError> {
    let mut indexes =
        (state.trackers.lock()).map_err(|_| ApiError::internal("tracker index poisoned"))?;
    let index = indexes.entry((id.to_owned(), log)).or_default();
    // Read in slices, so indexing a national log never holds it all.
    while index.size < size {
        let upto = (index.size + 10_000).min(size);
        for (offset, bytes) in state
            .store
            .entries(id, log, index.size, upto)?
            .iter()
            .enumerate()
        {
            let seq = index.size + offset as i64;
            index
                .seqs
                .entry(tracker(&leaf_hash(bytes)))
                .or_default()
                .push(seq);
            // Removals are few; only the entries that say so are decoded.
            if may_be_removal(bytes)
                && let Ok(Entry::Removal(removal)) = Entry::decode(bytes)
            {
                let member = crate::core::crypto::encode_bytes(&removal.member.0);
                index
                    .seqs
                    .entry(removal_key(&member))
                    .or_default()
                    .push(seq);
            }
        }
        index.size = upto;
    }
    Ok((index
        .seqs
        .get(wanted)
        .cloned()
        .unwrap_or_default()
        .into_iter())
    .filter(|&seq| seq < size)
    .collect())
}

/// Whether an entry's bytes can be a removal (its canonical JSON says `"type":"removal"`).
fn may_be_removal(bytes: &[u8]) -> bool {
    const MARK: &[u8] = b"\"type\":\"removal\"";
    bytes.windows(MARK.len()).any(|w| w == MARK)
}

fn entry_row(seq: i64, bytes: &[u8]) -> EntryRow {
    let (kind, contest) = match Entry::decode(bytes) {
        Ok(Entry::Open(_)) => ("open", String::new()),
        Ok(Entry::Issuance(e)) => (
            if e.reissue {
                "pass re-issued"
            } else {
                "pass issued"
            },
            e.contest,
        ),
        Ok(Entry::Removal(e)) => ("member removed", e.contest),
        Ok(Entry::Ballot(e)) => ("ballot", e.contest),
        Ok(Entry::Close(_)) => ("close", String::new()),
        Err(_) => ("(undecodable)", String::new()),
    };
    EntryRow {
        seq,
        kind,
        contest,
        tracker: tracker(&leaf_hash(bytes)),
    }
}

/// The record files one contest's results page reads.
fn contest_files(
    store: &Store,
    id: &str,
    contest: &str,
) -> Result<Option<BTreeMap<String, Vec<u8>>>, ApiError> {
    let row = store.election(id)?;
    if !row.is(ElectionState::Tallied) {
        return Ok(None);
    }
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert(layout::MANIFEST.to_owned(), row.manifest.clone());
    for path in [layout::blt(contest), layout::results(contest)] {
        if let Some(bytes) = store.record_file(id, &path)? {
            files.insert(path, bytes);
        }
    }
    Ok(Some(files))
}

/// A contest's results as the renderer wrote them, kept once tallied (they cannot change, and
/// recounting a national Meek contest on every view would let anyone keep the server busy).
pub(super) struct RenderedResults {
    sections: String,
    /// Decimal places the rule counts in.
    decimals: u32,
}

/// The rendered results of a tallied contest, from the cache or counted again from the record;
/// `None` before the tally. Blocking.
fn rendered_results(
    state: &AppState,
    id: &str,
    contest_id: &str,
    exact: bool,
) -> Result<Option<Arc<RenderedResults>>, ApiError> {
    let key = (id.to_owned(), contest_id.to_owned(), exact);
    let poisoned = |_| ApiError::internal("results cache poisoned");
    if let Some(hit) = state.results.lock().map_err(poisoned)?.get(&key) {
        return Ok(Some(hit.clone()));
    }
    let Some(files) = contest_files(&state.store, id, contest_id)? else {
        return Ok(None);
    };
    let (report, ballots) = recount(&files, contest_id)
        .map_err(|e| ApiError::internal(&format!("recounting {contest_id}: {e}")))?;
    let decimals = report.decimals;
    let shown = if exact {
        report
    } else {
        report.rounded(READING_PLACES)
    };
    let rendered = Arc::new(RenderedResults {
        sections: html_sections(&shown, slate_voting(&ballots).as_ref()),
        decimals,
    });
    state
        .results
        .lock()
        .map_err(poisoned)?
        .insert(key, rendered.clone());
    Ok(Some(rendered))
}

#[derive(serde::Deserialize)]
struct ResultsQuery {
    exact: Option<String>,
}

/// Decimal places of the values on a results page unless the reader asks for the exact ones.
const READING_PLACES: u32 = 2;

async fn results(
    state: State,
    path: web::Path<(String, String)>,
    query: web::Query<ResultsQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, contest_id) = path.into_inner();
    let exact = query.exact.is_some();
    let election = state.election(&id)?;
    let contest = election
        .manifest
        .contest(&contest_id)
        .ok_or_else(|| ApiError::NotFound {
            what: format!("contest {contest_id:?} in election {id:?}"),
        })?;
    let title = contest.draft().title.clone();
    let sections = {
        let state = state.clone();
        let (id, contest_id) = (id.clone(), contest_id.clone());
        blocking(move || rendered_results(&state, &id, &contest_id, exact)).await?
    };
    let Some(rendered) = sections else {
        return Err(ApiError::NotFound {
            what: format!(
                "results for {title:?} yet: they are published once the election is tallied"
            ),
        });
    };
    let (sections, decimals) = (rendered.sections.as_str(), rendered.decimals);
    let base = format!("/e/{id}/results/{contest_id}");
    let precision = html! {
        @if decimals > READING_PLACES {
        p.note #precision {
            @if exact {
                "Values are exact, to the " (decimals) " decimal places the rule counts in. "
                a href=(base) { "Show them rounded to " (READING_PLACES) " places" }
            } @else {
                "Values are rounded to " (READING_PLACES) " decimal places for reading (the rule counts to " (decimals) "; a rounded column may not add up in its last place). "
                a href={(base) "?exact=1"} { "Show the exact values" }
            }
        }
    }
    };
    // The note on precision goes under the page's heading, in the renderer's header.
    let sections = sections.replacen(
        "</header>\n",
        &format!("</header>\n{}", precision.into_string()),
        1,
    );
    let body = html! {
        p.note { a href={"/e/" (id) "/board"} { "Back to the bulletin board" } }
        (PreEscaped(sections))
        section #downloads {
            h2 { "Downloads" }
            ul.links {
                li { a href={(base) "/ballots.blt"} download { "The counted ballots (BLT, for any STV counter)" } }
                li { a href={(base) "/results.json"} download { "The results as published in the record (canonical JSON)" } }
                li { a href={(base) "/stages.csv"} download { "The stages (CSV)" } }
            }
        }
    };
    Ok(html_page(&format!("{title} — results"), body))
}

async fn download(
    state: State,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, contest_id, file) = path.into_inner();
    let election = state.election(&id)?;
    let what = format!("file {file:?} of contest {contest_id:?}");
    let not_found = move || ApiError::NotFound {
        what: format!(
            "{what} (the files are ballots.blt, results.json and stages.csv, once tallied)"
        ),
    };
    if election.manifest.contest(&contest_id).is_none() {
        return Err(not_found());
    }
    let (content_type, name) = match file.as_str() {
        "ballots.blt" => ("text/plain; charset=utf-8", format!("{contest_id}.blt")),
        "results.json" => ("application/json", format!("{contest_id}-results.json")),
        "stages.csv" => (
            "text/csv; charset=utf-8",
            format!("{contest_id}-stages.csv"),
        ),
        _ => return Err(not_found()),
    };
    let store = state.store.clone();
    let bytes = blocking(move || {
        let Some(files) = contest_files(&store, &id, &contest_id)? else {
            return Ok(None);
        };
        Ok(match file.as_str() {
            "ballots.blt" => files.get(&layout::blt(&contest_id)).cloned(),
            "results.json" => files.get(&layout::results(&contest_id)).cloned(),
            _ => {
                let (report, _) = recount(&files, &contest_id)
                    .map_err(|e| ApiError::internal(&format!("recounting {contest_id}: {e}")))?;
                Some(csv(&report).into_bytes())
            }
        })
    })
    .await?
    .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}
