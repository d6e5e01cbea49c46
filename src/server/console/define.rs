//! Creating and editing an election from a form: the election's definition (what
//! `teller election create` reads from TOML) as fields, contest by contest, checked with the same
//! checks and messages as the command; then a page that says what creating (or the edit) fixes,
//! carrying the definition as TOML; then the election is created (dealer mode: the server makes
//! the election key and splits it at once) or edited.
//!
//! An officer named for every election (`teller officer add --all`) may create any election; one
//! named for an election that does not exist yet (`teller officer add ID EMAIL --new`) may create
//! that one. An election can be edited until its invitations go out (they carry its
//! fingerprint), never its id or its trustees (its keys and shares were made for them).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::{Officer, Refusal, State, bad_request, blocking, page, see_other, text_field};
use crate::admin::create::{ElectionDefinition, KeyMaking, TrusteeCount, unix_now};
use crate::admin::{create_stored_election, edit_election};
use crate::core::manifest::{
    CandidateDraft, ContestDraft, EligibilityDraft, MinimumDraft, Reissue, ReissueBy, Revote,
    Window, format_instant, parse_instant,
};
use crate::store::{ElectionState, OfficerScope, Roles};

/// The counting rules an officer can choose, with the words the form shows.
const METHODS: [(&str, &str); 5] = [
    (
        "scottish",
        "STV, Scottish rules (WIGM, as Scottish local elections)",
    ),
    ("meek", "STV, Meek's method"),
    ("ers97", "STV, ERS97 rules"),
    ("irv", "Instant run-off (one seat)"),
    ("block", "Block vote (first preferences, several seats)"),
];

/// The most contests one form takes (a national ballot of more is written as TOML).
const MAX_CONTESTS: usize = 20;

/// One contest's fields, as text.
#[derive(Clone, Debug, Default)]
struct ContestForm {
    id: String,
    title: String,
    seats: String,
    method: String,
    /// CSV with a header line: name, and optionally gender, slate, statement.
    candidates: String,
    min_attribute: String,
    min_value: String,
    min_seats: String,
    freeze: String,
    arrears: bool,
    under_age: String,
    region: String,
    disability: bool,
}

/// The whole form, as text.
#[derive(Clone, Debug, Default)]
struct DefinitionForm {
    election: String,
    title: String,
    opens: String,
    closes: String,
    revote: String,
    reissue_by: String,
    reissue_limit: String,
    threshold: String,
    trustees: String,
    contests: Vec<ContestForm>,
}

/// What a post asks for besides checking the form.
enum Action {
    /// Check the form and go on to the confirmation.
    Check,
    /// Show the form again with one contest more.
    AddContest,
    /// Show the form again without contest `i` (0-based).
    RemoveContest(usize),
}

/// A problem with the form: the field it is about (its `id`, for the summary's link and
/// `aria-invalid`), if any, and what to do.
struct Problem {
    field: Option<String>,
    message: String,
}

fn problem(field: &str, message: impl Into<String>) -> Problem {
    Problem {
        field: Some(field.to_owned()),
        message: message.into(),
    }
}

impl DefinitionForm {
    /// A new election's form: one empty contest, the usual policies.
    fn blank(election: &str) -> Self {
        let now = unix_now();
        let day = 24 * 60 * 60;
        let at_nine = |t: i64| t - t.rem_euclid(day) + 9 * 60 * 60;
        Self {
            election: election.to_owned(),
            opens: local_time(at_nine(now + day)),
            closes: local_time(at_nine(now + 15 * day) + 8 * 60 * 60),
            revote: "forbidden".into(),
            reissue_by: "officer".into(),
            reissue_limit: "1".into(),
            threshold: "2".into(),
            trustees: "3".into(),
            contests: vec![ContestForm::blank()],
            ..Self::default()
        }
    }

    /// The form of an existing definition (to edit it).
    fn of(definition: &ElectionDefinition) -> Self {
        let time = |text: &str| parse_instant(text).map_or(text.to_owned(), local_time);
        Self {
            election: definition.election.clone(),
            title: definition.title.clone(),
            opens: time(&definition.window.opens),
            closes: time(&definition.window.closes),
            revote: match definition.revote {
                Revote::Forbidden => "forbidden",
                Revote::Last => "last",
            }
            .into(),
            reissue_by: match definition.reissue.by {
                ReissueBy::Officer => "officer",
                ReissueBy::Member => "member",
            }
            .into(),
            reissue_limit: definition.reissue.limit.to_string(),
            threshold: definition.trustees.threshold.to_string(),
            trustees: definition.trustees.count.to_string(),
            contests: definition.contests.iter().map(ContestForm::of).collect(),
        }
    }

    /// The posted fields (and the CSRF token and what the post asks for).
    fn posted(fields: &[(String, String)]) -> (Self, String, Action) {
        let mut form = Self::default();
        let mut csrf = String::new();
        let mut action = Action::Check;
        for (name, value) in fields {
            let value = value.clone();
            match name.as_str() {
                "csrf" => csrf = value,
                "election" => form.election = value,
                "title" => form.title = value,
                "opens" => form.opens = value,
                "closes" => form.closes = value,
                "revote" => form.revote = value,
                "reissue-by" => form.reissue_by = value,
                "reissue-limit" => form.reissue_limit = value,
                "threshold" => form.threshold = value,
                "trustees" => form.trustees = value,
                "action" if value == "add-contest" => action = Action::AddContest,
                "action" => {
                    if let Some(i) = value.strip_prefix("remove-").and_then(|i| i.parse().ok()) {
                        action = Action::RemoveContest(i);
                    }
                }
                _ => {
                    let Some((i, field)) = contest_field(name) else {
                        continue;
                    };
                    if form.contests.len() <= i {
                        form.contests.resize_with(i + 1, ContestForm::default);
                    }
                    let contest = &mut form.contests[i];
                    match field {
                        "id" => contest.id = value,
                        "title" => contest.title = value,
                        "seats" => contest.seats = value,
                        "method" => contest.method = value,
                        "candidates" => contest.candidates = value,
                        "min-attribute" => contest.min_attribute = value,
                        "min-value" => contest.min_value = value,
                        "min-seats" => contest.min_seats = value,
                        "freeze" => contest.freeze = value,
                        "arrears" => contest.arrears = true,
                        "under-age" => contest.under_age = value,
                        "region" => contest.region = value,
                        "disability" => contest.disability = true,
                        _ => {}
                    }
                }
            }
        }
        (form, csrf, action)
    }

    /// The definition the form says, or every problem found with its fields. The definition's
    /// own checks (those of `teller election create`) come after, in [`ElectionDefinition::check`].
    fn definition(&self) -> Result<ElectionDefinition, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut required = |field: &str, value: &str, what: &str| {
            if value.trim().is_empty() {
                problems.push(problem(field, format!("Enter {what}")));
            }
            value.trim().to_owned()
        };
        let election = required("election", &self.election, "the election's id");
        let title = required("title", &self.title, "the election's title");
        let opens = required("opens", &self.opens, "when voting opens");
        let closes = required("closes", &self.closes, "when voting closes");
        let revote = match self.revote.as_str() {
            "last" => Revote::Last,
            _ => Revote::Forbidden,
        };
        let by = match self.reissue_by.as_str() {
            "member" => ReissueBy::Member,
            _ => ReissueBy::Officer,
        };
        let limit = number(
            &mut problems,
            "reissue-limit",
            &self.reissue_limit,
            "The re-issue limit",
        );
        let threshold = number(
            &mut problems,
            "threshold",
            &self.threshold,
            "The trustees needed",
        );
        let count = number(
            &mut problems,
            "trustees",
            &self.trustees,
            "The number of trustees",
        );
        if self.contests.is_empty() {
            problems.push(Problem {
                field: None,
                message: "Add a contest: an election has at least one".into(),
            });
        }
        let mut contests = Vec::new();
        for (i, contest) in self.contests.iter().enumerate() {
            if let Some(contest) = contest.draft(i, &mut problems) {
                contests.push(contest);
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ElectionDefinition {
            election,
            title,
            revote,
            reissue: Reissue {
                by,
                limit: limit.unwrap_or_default(),
            },
            window: Window {
                opens: utc_time(&opens),
                closes: utc_time(&closes),
            },
            trustees: TrusteeCount {
                threshold: threshold.unwrap_or_default().max(0) as usize,
                count: count.unwrap_or_default().max(0) as usize,
            },
            witnesses: None,
            contests,
        })
    }
}

impl DefinitionForm {
    /// The fields a browser posts for this form (the inverse of [`Self::posted`]).
    fn fields(&self) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = [
            ("election", &self.election),
            ("title", &self.title),
            ("opens", &self.opens),
            ("closes", &self.closes),
            ("revote", &self.revote),
            ("reissue-by", &self.reissue_by),
            ("reissue-limit", &self.reissue_limit),
            ("threshold", &self.threshold),
            ("trustees", &self.trustees),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.clone()))
        .collect();
        for (i, c) in self.contests.iter().enumerate() {
            for (name, value) in [
                ("id", &c.id),
                ("title", &c.title),
                ("seats", &c.seats),
                ("method", &c.method),
                ("candidates", &c.candidates),
                ("min-attribute", &c.min_attribute),
                ("min-value", &c.min_value),
                ("min-seats", &c.min_seats),
                ("freeze", &c.freeze),
                ("under-age", &c.under_age),
                ("region", &c.region),
            ] {
                fields.push((format!("c{i}-{name}"), value.clone()));
            }
            for (name, on) in [("arrears", c.arrears), ("disability", c.disability)] {
                if on {
                    fields.push((format!("c{i}-{name}"), "yes".to_owned()));
                }
            }
        }
        fields
    }
}

/// What the console's election form makes of posted fields: the definition, or the problems
/// with its fields (before the definition's own checks). Public for the fuzz target.
pub fn read_election_form(fields: &[(String, String)]) -> Result<ElectionDefinition, Vec<String>> {
    let (form, _, _) = DefinitionForm::posted(fields);
    form.definition()
        .map_err(|problems| problems.into_iter().map(|p| p.message).collect())
}

/// The fields the console's edit form posts for `definition`, unchanged. Public for the fuzz
/// target: [`read_election_form`] of them gives `definition` back.
pub fn election_form_fields(definition: &ElectionDefinition) -> Vec<(String, String)> {
    DefinitionForm::of(definition).fields()
}

impl ContestForm {
    fn blank() -> Self {
        Self {
            seats: "1".into(),
            method: "scottish".into(),
            candidates: "name,gender,slate,statement\n".into(),
            freeze: format_instant(unix_now())[..10].to_owned(),
            arrears: true,
            ..Self::default()
        }
    }

    fn of(contest: &ContestDraft) -> Self {
        let minimum = contest.minimum.as_ref();
        let eligibility = &contest.eligibility;
        Self {
            id: contest.id.clone(),
            title: contest.title.clone(),
            seats: contest.seats.to_string(),
            method: contest.method.clone(),
            candidates: candidates_csv(&contest.candidates),
            min_attribute: minimum.map(|m| m.attribute.clone()).unwrap_or_default(),
            min_value: minimum.map(|m| m.value.clone()).unwrap_or_default(),
            min_seats: minimum.map(|m| m.seats.to_string()).unwrap_or_default(),
            freeze: eligibility.freeze.clone(),
            arrears: eligibility.exclude_arrears,
            under_age: eligibility
                .under_age
                .map(|a| a.to_string())
                .unwrap_or_default(),
            region: eligibility.region.clone().unwrap_or_default(),
            disability: eligibility.disability,
        }
    }

    /// The contest's draft, or `None` with its problems added.
    fn draft(&self, i: usize, problems: &mut Vec<Problem>) -> Option<ContestDraft> {
        let before = problems.len();
        let n = i + 1;
        let field = |name: &str| format!("c{i}-{name}");
        for (name, value, what) in [
            ("id", &self.id, "an id"),
            ("title", &self.title, "a title"),
            ("freeze", &self.freeze, "the freeze date"),
        ] {
            if value.trim().is_empty() {
                problems.push(problem(&field(name), format!("Contest {n}: enter {what}")));
            }
        }
        let seats = number(
            problems,
            &field("seats"),
            &self.seats,
            &format!("Contest {n}: the seats"),
        );
        let candidates = match parse_candidates(&self.candidates) {
            Ok(candidates) => candidates,
            Err(message) => {
                problems.push(problem(
                    &field("candidates"),
                    format!("Contest {n}: {message}"),
                ));
                Vec::new()
            }
        };
        let minimum = match (
            self.min_attribute.trim(),
            self.min_value.trim(),
            self.min_seats.trim(),
        ) {
            ("", _, _) => None,
            (attribute, value, seats) => {
                if value.is_empty() {
                    problems.push(problem(
                        &field("min-value"),
                        format!("Contest {n}: enter the {attribute} the minimum is for"),
                    ));
                }
                let seats = if seats.is_empty() {
                    problems.push(problem(
                        &field("min-seats"),
                        format!("Contest {n}: enter the minimum number of seats"),
                    ));
                    None
                } else {
                    number(
                        problems,
                        &field("min-seats"),
                        seats,
                        &format!("Contest {n}: the minimum"),
                    )
                };
                Some(MinimumDraft {
                    attribute: attribute.to_owned(),
                    value: value.to_owned(),
                    seats: seats.unwrap_or_default(),
                })
            }
        };
        let under_age = match self.under_age.trim() {
            "" => None,
            age => number(
                problems,
                &field("under-age"),
                age,
                &format!("Contest {n}: the age limit"),
            ),
        };
        if problems.len() > before {
            return None;
        }
        let region = self.region.trim();
        Some(ContestDraft {
            id: self.id.trim().to_owned(),
            title: self.title.trim().to_owned(),
            seats: seats.unwrap_or_default(),
            method: self.method.clone(),
            candidates,
            minimum,
            eligibility: EligibilityDraft {
                freeze: self.freeze.trim().to_owned(),
                exclude_arrears: self.arrears,
                under_age,
                region: (!region.is_empty()).then(|| region.to_owned()),
                disability: self.disability,
            },
        })
    }
}

/// `c3-seats` → `(3, "seats")`, for the contests the form can hold.
fn contest_field(name: &str) -> Option<(usize, &str)> {
    let (index, field) = name.strip_prefix('c')?.split_once('-')?;
    let index: usize = index.parse().ok()?;
    (index < MAX_CONTESTS).then_some((index, field))
}

/// A whole number from a field, or a problem naming `what`.
fn number(problems: &mut Vec<Problem>, field: &str, text: &str, what: &str) -> Option<i64> {
    match text.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            problems.push(problem(field, format!("{what} must be a whole number")));
            None
        }
    }
}

/// A time as `datetime-local` shows it (UTC, to the second).
fn local_time(unix: i64) -> String {
    format_instant(unix).trim_end_matches('Z').to_owned()
}

/// A `datetime-local` value (`2026-12-10T09:00`, with or without seconds) as RFC 3339 in UTC;
/// anything else (typed where the browser has no date picker: an RFC 3339 time, `now+14d`) as
/// written, for the definition's checks to judge.
fn utc_time(text: &str) -> String {
    let bytes = text.as_bytes();
    let shape = |len: usize| {
        bytes.len() == len
            && bytes.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                10 => *b == b'T',
                13 | 16 => *b == b':',
                _ => b.is_ascii_digit(),
            })
    };
    if shape(16) {
        format!("{text}:00Z")
    } else if shape(19) {
        format!("{text}Z")
    } else {
        text.to_owned()
    }
}

/// The candidates' CSV: a header line naming the columns (`name`, and any of `gender`, `slate`,
/// `statement`), then one candidate per line in ballot order; an empty cell is no value.
fn parse_candidates(text: &str) -> Result<Vec<CandidateDraft>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("the candidates could not be read: {e}"))?
        .iter()
        .map(str::to_lowercase)
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let known = ["name", "gender", "slate", "statement"];
    if let Some(unknown) = headers.iter().find(|h| !known.contains(&h.as_str())) {
        return Err(format!(
            "the candidates' first line names the columns; {unknown:?} is not one of name, \
             gender, slate, statement"
        ));
    }
    let name = column("name").ok_or(
        "the candidates' first line names the columns, and one must be name (e.g. \
         name,gender,slate,statement)",
    )?;
    let mut candidates = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("candidates, line {}: {e}", i + 2))?;
        let cell = |column: Option<usize>| {
            column
                .and_then(|c| record.get(c))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let Some(name) = cell(Some(name)) else {
            return Err(format!("candidates, line {}: the name is empty", i + 2));
        };
        candidates.push(CandidateDraft {
            name,
            gender: cell(column("gender")),
            slate: cell(column("slate")),
            statement: cell(column("statement")).map(|s| s.replace("\r\n", "\n")),
        });
    }
    if candidates.is_empty() {
        return Err("enter the candidates, one per line under the column names".into());
    }
    Ok(candidates)
}

/// The candidates as the form's CSV.
fn candidates_csv(candidates: &[CandidateDraft]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut rows = vec![["name", "gender", "slate", "statement"].map(str::to_owned)];
    for c in candidates {
        rows.push([
            c.name.clone(),
            text(&c.gender),
            text(&c.slate),
            text(&c.statement),
        ]);
    }
    for row in rows {
        if writer.write_record(&row).is_err() {
            return String::new();
        }
    }
    writer
        .into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// Whether the form creates an election or edits one.
#[derive(Clone)]
enum Mode {
    /// A new election; `reserved` are the ids the officer was named for that have no election
    /// yet (`None`: an officer of every election, any id).
    New { reserved: Option<Vec<String>> },
    /// Election `id`, not yet open and not invited.
    Edit { id: String },
}

impl Mode {
    fn action(&self) -> String {
        match self {
            Self::New { .. } => "/console/new".into(),
            Self::Edit { id } => format!("/console/e/{id}/edit"),
        }
    }

    fn back(&self) -> String {
        match self {
            Self::New { .. } => "/console".into(),
            Self::Edit { id } => format!("/console/e/{id}"),
        }
    }
}

/// The ids `officer` may create an election under (`None`: any), or 403 if none.
async fn creatable(state: &State, officer: &Officer) -> Result<Option<Vec<String>>, Refusal> {
    let OfficerScope::Elections(ids) = &officer.scope else {
        return Ok(None);
    };
    let (store, ids) = (state.store.clone(), ids.clone());
    let reserved = blocking(move || {
        let mut free = Vec::new();
        for id in ids {
            if store.find_election(&id)?.is_none() {
                free.push(id);
            }
        }
        Ok(free)
    })
    .await?;
    if reserved.is_empty() {
        return Err(Refusal::Forbidden(
            "you may run the elections you are named for, not create new ones: the server's \
             administrator names an officer for a new election with `teller officer add ID \
             EMAIL --new`"
                .into(),
        ));
    }
    Ok(Some(reserved))
}

/// The election `id` as its form, if it may still be edited; otherwise why not.
async fn editable(state: &State, id: &str) -> Result<Result<DefinitionForm, String>, Refusal> {
    let (store, id) = (state.store.clone(), id.to_owned());
    blocking(move || {
        let row = store
            .find_election(&id)?
            .ok_or_else(|| Refusal::NotFound(format!("there is no election {id:?}")))?;
        if !row.is(ElectionState::Created) {
            return Ok(Err(format!(
                "This election is {}: an election can be edited only before it opens.",
                row.state
            )));
        }
        if store.member_counts(&id)?.invited > 0 {
            return Ok(Err("Its invitations have gone out with its fingerprint, so it can no longer be edited. Its window can still be extended once it is open.".into()));
        }
        let manifest = row.manifest()?;
        let draft = manifest.draft();
        let definition = ElectionDefinition {
            election: draft.election.clone(),
            title: draft.title.clone(),
            revote: draft.revote,
            reissue: draft.reissue,
            window: draft.window.clone(),
            trustees: TrusteeCount {
                threshold: draft.trustees.threshold.max(0) as usize,
                count: draft.trustees.commitments.len(),
            },
            witnesses: draft.witnesses.clone(),
            contests: draft.contests.clone(),
        };
        Ok(Ok(DefinitionForm::of(&definition)))
    })
    .await
}

pub(super) async fn new_form(state: State, request: HttpRequest) -> Result<HttpResponse, Refusal> {
    let officer = Officer::of(&state, &request).await?;
    let reserved = creatable(&state, &officer).await?;
    let id = reserved
        .as_ref()
        .and_then(|r| r.first())
        .cloned()
        .unwrap_or_default();
    Ok(form_page(
        &officer,
        &Mode::New { reserved },
        &DefinitionForm::blank(&id),
        &[],
    ))
}

pub(super) async fn edit_form(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::of_election(&state, &request, &id).await?;
    let mode = Mode::Edit { id: id.clone() };
    Ok(match editable(&state, &id).await? {
        Ok(form) => form_page(&officer, &mode, &form, &[]),
        Err(why) => not_editable(&officer, &id, &why),
    })
}

fn not_editable(officer: &Officer, id: &str, why: &str) -> HttpResponse {
    page(
        "The election cannot be edited",
        Some(officer),
        html! {
            p { a href={ "/console/e/" (id) } { "Back to the election" } }
            h1 { "The election cannot be edited" }
            p { (why) }
        },
    )
}

pub(super) async fn new_check(
    state: State,
    request: HttpRequest,
    fields: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    let (form, csrf, action) = DefinitionForm::posted(&fields);
    let officer = Officer::posting_any(&state, &request, &csrf).await?;
    let reserved = creatable(&state, &officer).await?;
    check(&state, &officer, Mode::New { reserved }, form, action).await
}

pub(super) async fn edit_check(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    fields: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Refusal> {
    let (mut form, csrf, action) = DefinitionForm::posted(&fields);
    let officer = Officer::posting(&state, &request, &id, &csrf).await?;
    let stored = match editable(&state, &id).await? {
        Ok(stored) => stored,
        Err(why) => return Ok(bad_request(not_editable(&officer, &id, &why))),
    };
    // Neither is a field of the edit form: both were fixed when the election was created.
    form.election = stored.election;
    (form.threshold, form.trustees) = (stored.threshold, stored.trustees);
    check(
        &state,
        &officer,
        Mode::Edit { id: id.clone() },
        form,
        action,
    )
    .await
}

/// A posted form: shown again (a contest added or removed, or with its problems), or checked
/// and then the confirmation page.
async fn check(
    state: &State,
    officer: &Officer,
    mode: Mode,
    mut form: DefinitionForm,
    action: Action,
) -> Result<HttpResponse, Refusal> {
    match action {
        Action::AddContest if form.contests.len() < MAX_CONTESTS => {
            form.contests.push(ContestForm::blank());
            return Ok(form_page(officer, &mode, &form, &[]));
        }
        Action::AddContest => {
            let problem = Problem {
                field: None,
                message: format!(
                    "A form holds at most {MAX_CONTESTS} contests; write a larger election as TOML for `teller election create`"
                ),
            };
            return Ok(bad_request(form_page(officer, &mode, &form, &[problem])));
        }
        Action::RemoveContest(i) => {
            if i < form.contests.len() {
                form.contests.remove(i);
            }
            return Ok(form_page(officer, &mode, &form, &[]));
        }
        Action::Check => {}
    }
    let definition = match form.definition() {
        Ok(definition) => definition,
        Err(problems) => return Ok(bad_request(form_page(officer, &mode, &form, &problems))),
    };
    if let Mode::New { reserved } = &mode {
        let id = &definition.election;
        let allowed = reserved.as_ref().is_none_or(|ids| ids.contains(id));
        let taken = {
            let (store, id) = (state.store.clone(), id.clone());
            blocking(move || Ok(store.find_election(&id)?.is_some())).await?
        };
        let message = if taken {
            Some(format!(
                "There is already an election {id:?}: choose another id"
            ))
        } else if !allowed {
            Some(format!(
                "You may create only the election{} you were named for: {}",
                if reserved.as_ref().is_some_and(|r| r.len() > 1) {
                    "s"
                } else {
                    ""
                },
                reserved.as_deref().unwrap_or_default().join(", ")
            ))
        } else {
            None
        };
        if let Some(message) = message {
            return Ok(bad_request(form_page(
                officer,
                &mode,
                &form,
                &[problem("election", message)],
            )));
        }
    }
    let checked = {
        let definition = definition.clone();
        blocking(move || Ok(definition.check(unix_now()).map_err(|e| format!("{e:#}")))).await?
    };
    if let Err(message) = checked {
        let problem = Problem {
            field: None,
            message,
        };
        return Ok(bad_request(form_page(officer, &mode, &form, &[problem])));
    }
    let toml = definition.to_toml()?;
    Ok(confirm_page(officer, &mode, &definition, &toml))
}

/// What the confirmation posts back: the definition as TOML.
#[derive(Deserialize)]
pub(super) struct Confirmed {
    /// Missing is refused as a wrong token (403), not as a malformed form.
    #[serde(default)]
    csrf: String,
    // Missing is read as empty, so that who posts is judged before what they posted.
    #[serde(default)]
    definition: String,
}

pub(super) async fn new_confirm(
    state: State,
    request: HttpRequest,
    form: web::Form<Confirmed>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::posting_any(&state, &request, &form.csrf).await?;
    let reserved = creatable(&state, &officer).await?;
    let definition = ElectionDefinition::parse(&form.definition)?;
    let id = definition.election.clone();
    if reserved.as_ref().is_some_and(|ids| !ids.contains(&id)) {
        return Err(Refusal::Forbidden(format!(
            "you were not named to create {id:?}"
        )));
    }
    let store = state.store.acting_as(&officer.email);
    let key_dir = state.key_root.join(&id);
    let text = form.definition.clone();
    blocking(move || {
        create_stored_election(&store, &text, &KeyMaking::Dealer, &key_dir, Roles::Both)
            .map_err(|e| Refusal::Bad(format!("The election was not created: {e:#}")))
    })
    .await?;
    Ok(see_other(&format!("/console/e/{id}?created=1")))
}

pub(super) async fn edit_confirm(
    state: State,
    request: HttpRequest,
    id: web::Path<String>,
    form: web::Form<Confirmed>,
) -> Result<HttpResponse, Refusal> {
    let officer = Officer::posting(&state, &request, &id, &form.csrf).await?;
    let definition = ElectionDefinition::parse(&form.definition)?;
    if definition.election != *id {
        return Err(Refusal::Bad("this form is for another election".into()));
    }
    let store = state.store.acting_as(&officer.email);
    blocking(move || {
        edit_election(&store, &definition)
            .map_err(|e| Refusal::Bad(format!("The election was not changed: {e:#}")))
    })
    .await?;
    Ok(see_other(&format!("/console/e/{id}?edited=1")))
}

/// The page that shows what will be created (or what the edit makes), and what that fixes.
fn confirm_page(
    officer: &Officer,
    mode: &Mode,
    definition: &ElectionDefinition,
    toml: &str,
) -> HttpResponse {
    let (heading, button, confirm) = match mode {
        Mode::New { .. } => (
            "Create this election?",
            "Create the election",
            "/console/new/confirm".to_owned(),
        ),
        Mode::Edit { id } => (
            "Save these changes?",
            "Save the changes",
            format!("/console/e/{id}/edit/confirm"),
        ),
    };
    let methods: std::collections::BTreeMap<&str, &str> = METHODS.into_iter().collect();
    page(
        heading,
        Some(officer),
        html! {
            p { a href=(mode.back()) { "Cancel (nothing is done)" } }
            h1 { (heading) }
            dl.facts {
                dt { "Election" } dd { (definition.title) " (" code { (definition.election) } ")" }
                dt { "Voting" } dd { (definition.window.opens) " to " (definition.window.closes) " (UTC)" }
                dt { "Changing a ballot" } dd { @match definition.revote { Revote::Forbidden => "not allowed: the first ballot counts", Revote::Last => "allowed: the last ballot counts" } }
                dt { "New voting passes" } dd {
                    @if definition.reissue.limit == 0 { "never" } @else {
                        "at most " (definition.reissue.limit) " per member and contest, "
                        @match definition.reissue.by { ReissueBy::Officer => "when you grant one", ReissueBy::Member => "on the member's request" }
                    }
                }
                dt { "Trustees" } dd { (definition.trustees.threshold) " of " (definition.trustees.count) " needed to decrypt" }
            }
            @for contest in &definition.contests {
                h2 { (contest.title) }
                p {
                    (contest.seats) " seat" @if contest.seats != 1 { "s" } ", "
                    (methods.get(contest.method.as_str()).copied().unwrap_or(contest.method.as_str())) ". "
                    @if let Some(m) = &contest.minimum { "At least " (m.seats) " seat(s) for " (m.attribute) " " (m.value) ". " }
                    "Voters: " (eligibility_words(&contest.eligibility)) "."
                }
                ol { @for c in &contest.candidates {
                    li { (c.name) @if let Some(s) = &c.slate { " (" (s) ")" } }
                } }
            }
            details {
                summary { "The definition, as " code { "teller election create" } " reads it" }
                pre { (toml) }
            }
            form method="post" action=(confirm) {
                (officer.csrf_field())
                input type="hidden" name="definition" value=(toml);
                @match mode {
                    Mode::New { .. } => {
                        p.warning { strong { "What creating fixes: " } "the election's id and its trustees, for ever. The server makes the election's keys now. The election key is split at once into " (definition.trustees.count) " shares, one per trustee (dealer mode): this server held the whole key for a moment, and you hand each trustee their share from the election's page." }
                        p { "Until its invitations go out you can still edit it; each edit changes its fingerprint." }
                    }
                    Mode::Edit { .. } => {
                        p.warning { strong { "What saving changes: " } "the election's fingerprint. The register's eligibility is worked out again under these rules. The keys and the trustees stay as they are." }
                    }
                }
                button type="submit" { (button) }
            }
        },
    )
}

fn eligibility_words(rule: &EligibilityDraft) -> String {
    let mut words = format!("members who joined before {}", rule.freeze);
    if rule.exclude_arrears {
        words.push_str(", not in arrears");
    }
    if let Some(age) = rule.under_age {
        words.push_str(&format!(", under {age} on that date"));
    }
    if let Some(region) = &rule.region {
        words.push_str(&format!(", in {region}"));
    }
    if rule.disability {
        words.push_str(", who declared a disability");
    }
    words
}

/// The form, with its problems.
fn form_page(
    officer: &Officer,
    mode: &Mode,
    form: &DefinitionForm,
    problems: &[Problem],
) -> HttpResponse {
    let invalid: BTreeSet<&str> = problems.iter().filter_map(|p| p.field.as_deref()).collect();
    let bad = |field: &str| invalid.contains(field).then_some("true");
    let title = match mode {
        Mode::New { .. } => "Create an election".to_owned(),
        Mode::Edit { .. } => format!("Edit {}", form.title),
    };
    page(
        &title,
        Some(officer),
        html! {
            p { a href=(mode.back()) { "Back (nothing is saved)" } }
            @if !problems.is_empty() {
                div.error-summary role="alert" aria-labelledby="error-summary-title" {
                    h2 #error-summary-title { "There is a problem" }
                    ul { @for p in problems { li {
                        @match &p.field { Some(f) => a href={ "#" (f) } { (p.message) }, None => (p.message) }
                    } } }
                }
            }
            h1 { (title) }
            p { "Every time is in UTC. The same checks as " code { "teller election create" } " are made when you continue; nothing is saved until you confirm on the next page." }
            form method="post" action=(mode.action()) novalidate {
                (officer.csrf_field())
                fieldset {
                    legend { "The election" }
                    @match mode {
                        Mode::New { reserved: Some(ids) } if ids.len() == 1 => {
                            (fixed("election", "Election id", &ids[0]))
                        }
                        Mode::New { .. } => {
                            (text_field("election", "Election id", Some("Short, for addresses and the record: a-z, 0-9 and -, e.g. nec-2026. It cannot change later."), &form.election, bad("election").is_some()))
                        }
                        Mode::Edit { .. } => { (fixed("election", "Election id", &form.election)) }
                    }
                    (text_field("title", "Title", Some("As members see it, e.g. National Executive Committee elections 2026"), &form.title, bad("title").is_some()))
                    (time_field("opens", "Voting opens (UTC)", &form.opens, bad("opens")))
                    (time_field("closes", "Voting closes (UTC)", &form.closes, bad("closes")))
                }
                fieldset {
                    legend { "Changing a ballot" }
                    (radio("revote", "forbidden", "Not allowed: a member's first ballot counts", &form.revote))
                    (radio("revote", "last", "Allowed: a later ballot replaces the earlier one", &form.revote))
                }
                fieldset {
                    legend { "New voting passes (a member who lost theirs)" }
                    div.field {
                        label for="reissue-by" { "Who decides" }
                        select #reissue-by name="reissue-by" {
                            option value="officer" selected[form.reissue_by != "member"] { "You grant each one" }
                            option value="member" selected[form.reissue_by == "member"] { "The member asks, after signing in again" }
                        }
                    }
                    (number_field("reissue-limit", "At most, per member and contest (0 for never)", &form.reissue_limit, bad("reissue-limit")))
                }
                fieldset {
                    legend { "Trustees" }
                    @match mode {
                        Mode::Edit { .. } => {
                            p { (form.threshold) " of " (form.trustees) " trustees needed to decrypt. The trustees cannot change: the election key was made for them." }
                            input type="hidden" name="threshold" value=(form.threshold);
                            input type="hidden" name="trustees" value=(form.trustees);
                        }
                        Mode::New { .. } => {
                            p.hint { "The election key is split among the trustees when the election is created; enough of them bring their shares to the tally. The server makes the key and splits it at once (dealer mode). For a key nobody ever holds, the trustees run their ceremony (" code { "teller trustee" } ") and the server's administrator creates the election with " code { "teller election create --ceremony" } "; you then run it here." }
                            (number_field("trustees", "Trustees", &form.trustees, bad("trustees")))
                            (number_field("threshold", "Trustees needed to decrypt", &form.threshold, bad("threshold")))
                        }
                    }
                }
                @for (i, contest) in form.contests.iter().enumerate() {
                    (contest_fields(i, contest, &bad))
                }
                p { button type="submit" name="action" value="add-contest" class="secondary" { "Add a contest" } }
                button type="submit" name="action" value="check" { "Continue" }
            }
        },
    )
}

fn contest_fields<'a>(
    i: usize,
    contest: &ContestForm,
    bad: &impl Fn(&str) -> Option<&'a str>,
) -> Markup {
    let f = |name: &str| format!("c{i}-{name}");
    let n = i + 1;
    html! {
        fieldset.contest {
            legend { "Contest " (n) @if !contest.title.is_empty() { ": " (contest.title) } }
            (text_field(&f("id"), "Contest id", Some("Short: a-z, 0-9 and -, e.g. nec"), &contest.id, bad(&f("id")).is_some()))
            (text_field(&f("title"), "Title on the ballot", None, &contest.title, bad(&f("title")).is_some()))
            (number_field(&f("seats"), "Seats", &contest.seats, bad(&f("seats"))))
            div.field {
                label for=(f("method")) { "Counting rule" }
                select id=(f("method")) name=(f("method")) {
                    @for (value, words) in METHODS {
                        option value=(value) selected[contest.method == value] { (words) }
                    }
                }
            }
            div.field {
                label for=(f("candidates")) { "Candidates" }
                p.hint id=(f("candidates-hint")) { "One per line, in ballot order, under a first line that names the columns: name, and any of gender, slate and statement (as a spreadsheet saves CSV; put a statement with commas or line breaks in double quotes)." }
                textarea id=(f("candidates")) name=(f("candidates")) rows="8" spellcheck="false"
                    aria-describedby=(f("candidates-hint")) aria-invalid=[bad(&f("candidates"))] { (contest.candidates) }
            }
            fieldset {
                legend { "A minimum of seats (optional)" }
                div.field {
                    label for=(f("min-attribute")) { "Group the candidates by" }
                    select id=(f("min-attribute")) name=(f("min-attribute")) {
                        option value="" selected[contest.min_attribute.is_empty()] { "No minimum" }
                        option value="gender" selected[contest.min_attribute == "gender"] { "Gender" }
                        option value="slate" selected[contest.min_attribute == "slate"] { "Slate" }
                    }
                }
                (text_field(&f("min-value"), "Whose gender or slate is", Some("As the candidates' column says, e.g. W"), &contest.min_value, bad(&f("min-value")).is_some()))
                (number_field(&f("min-seats"), "At least this many seats", &contest.min_seats, bad(&f("min-seats"))))
            }
            fieldset {
                legend { "Who may vote" }
                div.field {
                    label for=(f("freeze")) { "Joined before (the freeze date)" }
                    input id=(f("freeze")) type="date" name=(f("freeze")) value=(contest.freeze) aria-invalid=[bad(&f("freeze"))];
                }
                (checkbox(&f("arrears"), "Not members in arrears", contest.arrears))
                (number_field(&f("under-age"), "Only members under this age on the freeze date (optional)", &contest.under_age, bad(&f("under-age"))))
                (text_field(&f("region"), "Only members in this region (optional)", Some("As the register's region column says, e.g. Wales"), &contest.region, bad(&f("region")).is_some()))
                (checkbox(&f("disability"), "Only members who declared a disability", contest.disability))
            }
            button type="submit" name="action" value={ "remove-" (i) } class="secondary" { "Remove contest " (n) }
        }
    }
}

fn number_field(name: &str, label: &str, value: &str, invalid: Option<&str>) -> Markup {
    html! {
        div.field {
            label for=(name) { (label) }
            input.short id=(name) type="text" inputmode="numeric" name=(name) value=(value)
                autocomplete="off" aria-invalid=[invalid];
        }
    }
}

/// A time: the browser's date and time picker, or a text field when the value is something the
/// picker cannot show (typed where the browser had no picker: `now+14d`, RFC 3339 with an
/// offset), so that nothing typed is lost when the form comes back.
fn time_field(name: &str, label: &str, value: &str, invalid: Option<&str>) -> Markup {
    let picker = value.is_empty() || utc_time(value) != value;
    html! {
        div.field {
            label for=(name) { (label) }
            @if picker {
                input id=(name) type="datetime-local" step="1" name=(name) value=(value) aria-invalid=[invalid];
            } @else {
                input id=(name) type="text" name=(name) value=(value) autocomplete="off" aria-invalid=[invalid];
            }
        }
    }
}

fn fixed(name: &str, label: &str, value: &str) -> Markup {
    html! {
        p { (label) ": " code { (value) } }
        input type="hidden" name=(name) value=(value);
    }
}

fn radio(name: &str, value: &str, label: &str, current: &str) -> Markup {
    let id = format!("{name}-{value}");
    html! {
        div.choice {
            input id=(id) type="radio" name=(name) value=(value) checked[current == value];
            label for=(id) { (label) }
        }
    }
}

fn checkbox(name: &str, label: &str, checked: bool) -> Markup {
    html! {
        div.choice {
            input id=(name) type="checkbox" name=(name) value="yes" checked[checked];
            label for=(name) { (label) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::create::EXAMPLE_ELECTION;

    #[test]
    fn the_example_election_goes_through_the_form_unchanged() {
        let definition = ElectionDefinition::parse(EXAMPLE_ELECTION).unwrap();
        let form = DefinitionForm::of(&definition);
        let mut round = form.definition().map_err(|p| p[0].message.clone()).unwrap();
        // The example's window is relative to now, which the form keeps as written.
        round.window = definition.window.clone();
        assert_eq!(round.to_toml().unwrap(), definition.to_toml().unwrap());
    }

    #[test]
    fn the_fields_of_a_definition_read_back_as_it() {
        let definition = ElectionDefinition::parse(EXAMPLE_ELECTION).unwrap();
        let fields = election_form_fields(&definition);
        let read = read_election_form(&fields).unwrap();
        assert_eq!(read.to_toml().unwrap(), definition.to_toml().unwrap());
    }

    #[test]
    fn statements_with_commas_quotes_and_line_breaks_survive_the_csv() {
        let candidates = vec![CandidateDraft {
            name: "Ada \"Ace\" Achterberg".into(),
            gender: Some("W".into()),
            slate: None,
            statement: Some("Line one, with a comma.\nLine two.".into()),
        }];
        assert_eq!(
            parse_candidates(&candidates_csv(&candidates)).unwrap(),
            candidates
        );
    }

    #[test]
    fn bad_candidates_are_named_by_line() {
        for (text, expected) in [
            ("", "names the columns"),
            ("name,party\nAda,Left\n", "\"party\" is not one of"),
            ("gender\nW\n", "one must be name"),
            ("name,gender\nAda,W\n,M\n", "line 3: the name is empty"),
            ("name,gender\n", "enter the candidates"),
            ("name,gender\nAda,W,extra\n", "line 2"),
        ] {
            let error = parse_candidates(text).unwrap_err();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }

    #[test]
    fn datetime_local_values_become_utc() {
        assert_eq!(utc_time("2026-12-10T09:00"), "2026-12-10T09:00:00Z");
        assert_eq!(utc_time("2026-12-10T09:00:30"), "2026-12-10T09:00:30Z");
        assert_eq!(utc_time("now+14d"), "now+14d");
        assert_eq!(
            utc_time("2026-12-10T09:00:00+01:00"),
            "2026-12-10T09:00:00+01:00"
        );
    }

    #[test]
    fn fields_with_problems_are_named() {
        let mut form = DefinitionForm::blank("e");
        form.contests[0].seats = "two".into();
        form.contests[0].min_attribute = "gender".into();
        let problems = form.definition().unwrap_err();
        let fields: Vec<_> = problems.iter().filter_map(|p| p.field.clone()).collect();
        assert!(fields.contains(&"title".to_owned()), "{fields:?}");
        assert!(fields.contains(&"c0-seats".to_owned()), "{fields:?}");
        assert!(fields.contains(&"c0-min-value".to_owned()), "{fields:?}");
        assert!(fields.contains(&"c0-candidates".to_owned()), "{fields:?}");
    }
}
