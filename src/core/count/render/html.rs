//! The count as one self-contained HTML page: inline CSS and SVG, no scripts, no external assets,
//! so it can be published as a single file and opened offline.
//!
//! Sections: the header (title, rule, seats, ballots, quota, constraint, result), the stage table,
//! then one section per stage with a bar chart of the votes against the quota, the transfers of
//! that stage, and its ties and decisions in plain English; and, when candidates have slates,
//! first preferences by slate and the slate-to-slate transfer matrix.
//!
//! Every piece of text from the ballot file or the attributes (names, title, slates) is escaped.
//! Colour is never the only signal: every bar and cell also says "elected" or "excluded" in words.
//! Bar lengths are computed in integers, like everything else here.

use std::fmt::Write as _;

use super::super::election::CandidateIndex;
use super::super::report::{CandidateStatus, Outcome, Report, Round};
use super::loyalty::SlateVoting;
use super::slate::{FlowSource, SlateSummary, percent, slate_summary};
use super::words;

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in words::clean(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The pages' stylesheet: inline in the standalone page, an asset of its own on the server's
/// pages (whose policy allows no inline style).
pub const STYLESHEET: &str = r#"
:root { --elected: #1b7a3a; --excluded: #8a8a8a; --hopeful: #2f5f98; --quota: #b3261e; --ink: #1d1d1f; --line: #d0d4da; --soft: #f3f5f8; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0; background: #fff; line-height: 1.4; }
main { max-width: 1200px; margin: 0 auto; padding: 1.5rem; }
h1 { margin: 0 0 .25rem; font-size: 1.8rem; }
h2 { margin-top: 2.5rem; border-bottom: 2px solid var(--line); padding-bottom: .25rem; }
h3 { margin: 1.5rem 0 .5rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 1rem 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 4px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .5rem; }
th, td { padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
thead th { background: var(--soft); text-align: right; font-weight: 600; min-width: 7.5rem; }
thead th.corner { text-align: left; }
th[scope=row] { text-align: left; font-weight: 500; background: #fff; min-width: 12rem; max-width: 18rem; }
table.transfers th[scope=row] { max-width: 30rem; }
table.transfers { margin-top: 1rem; }
table.stages th[scope=row] { position: sticky; left: 0; z-index: 1; box-shadow: 1px 0 0 var(--line); }
.action { display: block; font-weight: 400; font-size: .85rem; white-space: normal; }
.change { display: block; font-size: .8rem; color: #555; }
.mark { display: block; font-size: .75rem; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; }
td.elected { background: #eef7f1; }
td.elected .mark { color: var(--elected); }
td.excluded { color: #666; background: #f2f2f2; }
td.excluded .mark { color: #555; }
tr.sum th, tr.sum td { background: var(--soft); }
tr.total th, tr.total td { font-weight: 700; border-top: 2px solid var(--ink); }
section.stage { border-top: 1px solid var(--line); margin-top: 1.5rem; }
.stage-body { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
.stage-body > div { flex: 1 1 20rem; min-width: 0; }
.stage-body > div.chart { flex: 0 1 auto; }
svg { max-width: 100%; height: auto; font-family: inherit; }
ul.decisions { padding-left: 1.2rem; }
ul.decisions li { margin: .2rem 0; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: .9rem; height: .9rem; vertical-align: -2px; margin-right: .3rem; border: 1px solid #0003; }
.swatch.hopeful { background: var(--hopeful); } .swatch.elected { background: var(--elected); } .swatch.excluded { background: var(--excluded); }
svg.flow text { font-size: 12px; }
table.flows thead th { min-width: 0; }
td.own { font-weight: 700; background: #eef3fb; }
ol.elected li { margin: .15rem 0; }
.note { color: #555; font-size: .9rem; }
@media print { main { max-width: none; padding: 0; } .scroll { overflow: visible; border: 0; } table.stages { font-size: 7pt; } table.stages th[scope=row] { position: static; min-width: 8rem; } section.stage { break-inside: avoid; } }
"#;

/// Renders `report` as a self-contained HTML page, with the slate voting read from its ballots
/// when there is one.
pub fn html(report: &Report, voting: Option<&SlateVoting>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} — count</title>\n<style>{STYLESHEET}</style>\n</head>\n<body>\n<main>\n",
        esc(title(report))
    );
    out.push_str(&html_sections(report, voting));
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The report's title, or "Count" when the ballot file has none.
fn title(report: &Report) -> &str {
    if report.title.trim().is_empty() {
        "Count"
    } else {
        report.title.as_str()
    }
}

/// The page's content without the document around it, for a page that brings its own (the
/// server's results pages, with [`STYLESHEET`] as a stylesheet of their own).
pub fn html_sections(report: &Report, voting: Option<&SlateVoting>) -> String {
    let mut out = String::new();
    header(&mut out, report, title(report));
    stage_table(&mut out, report);
    stages(&mut out, report);
    if let Some(summary) = slate_summary(report) {
        slates(&mut out, report, &summary);
    }
    if let Some(voting) = voting {
        slate_voting(&mut out, voting);
    }
    out
}

fn header(out: &mut String, report: &Report, title: &str) {
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", esc(title));
    out.push_str("<dl class=\"facts\">\n");
    let mut fact = |term: &str, value: String| {
        let _ = writeln!(out, "<dt>{term}</dt><dd>{value}</dd>");
    };
    fact("Rule", esc(report.method.description()));
    fact("Seats", report.seats.to_string());
    fact("Ballots", esc(&words::ballots(report)));
    fact("Quota", esc(&words::quota(report)));
    if let Some(constraint) = &report.constraint {
        fact("Constraint", esc(&constraint.to_string()));
    }
    fact("Stages", report.rounds.len().to_string());
    let withdrawn: Vec<String> = report
        .candidates
        .iter()
        .filter(|c| c.withdrawn)
        .map(|c| esc(&c.name))
        .collect();
    if !withdrawn.is_empty() {
        fact("Withdrawn", withdrawn.join(", "));
    }
    out.push_str("</dl>\n</header>\n");
    out.push_str("<section id=\"result\">\n<h2>Elected</h2>\n<ol class=\"elected\">\n");
    for (candidate, stage) in words::elected_at(report) {
        let at = stage
            .map(|s| format!(" <span class=\"note\">(stage {s})</span>"))
            .unwrap_or_default();
        let _ = writeln!(out, "<li>{}{at}</li>", esc(report.name(candidate)));
    }
    out.push_str("</ol>\n");
    let unfilled = report.seats.saturating_sub(report.elected.len());
    if unfilled > 0 {
        let _ = writeln!(out, "<p>{unfilled} seat(s) not filled.</p>");
    }
    out.push_str("</section>\n");
}

/// The decision about `candidate` in `round`, if any.
fn outcome(round: &Round, candidate: usize) -> Option<Outcome> {
    round
        .decisions
        .iter()
        .find(|d| d.candidate.get() == candidate)
        .map(|d| d.outcome)
}

/// A stage's change under a value: nothing in the first stage or when nothing changed.
fn change_span(report: &Report, round: &Round, change: i64) -> String {
    if round.number == 1 || change == 0 {
        return String::new();
    }
    format!(
        "<span class=\"change\">{}</span>",
        words::signed(report, change)
    )
}

/// The round-by-round table, row by row as the reader meets them.
fn stage_table(out: &mut String, report: &Report) {
    if report.rounds.is_empty() {
        return;
    }
    out.push_str("<section id=\"stages\">\n<h2>Stages</h2>\n");
    out.push_str("<p class=\"note\">Votes at the end of each stage; under them, the change during the stage.</p>\n");
    out.push_str("<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Votes by stage (scrolls sideways)\">\n<table class=\"stages\">\n<caption>Votes by stage</caption>\n<thead>\n<tr><th scope=\"col\" class=\"corner\">Candidate</th>");
    for round in &report.rounds {
        let _ = write!(
            out,
            "<th scope=\"col\">Stage {}<span class=\"action\">{}</span></th>",
            round.number,
            esc(&words::action(report, &round.action))
        );
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for c in words::standing(report) {
        let candidate = &report.candidates[c];
        let mut notes = Vec::new();
        if let Some(slate) = &candidate.slate {
            notes.push(format!("slate {}", esc(slate)));
        }
        if let Some(gender) = &candidate.gender {
            notes.push(format!("gender {}", esc(gender)));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("<span class=\"action\">{}</span>", notes.join(" · "))
        };
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}{notes}</th>",
            esc(&candidate.name)
        );
        for round in &report.rounds {
            let votes = round.votes.get(c).copied().unwrap_or(0);
            let change = round.transfers.get(c).copied().unwrap_or(0);
            let (class, mark) = match outcome(round, c) {
                Some(Outcome::Elected) => (" elected", "<span class=\"mark\">elected</span>"),
                Some(Outcome::Excluded) => (" excluded", "<span class=\"mark\">excluded</span>"),
                None => match round.status.get(c) {
                    Some(CandidateStatus::Excluded) => (" excluded", ""),
                    Some(CandidateStatus::Elected) => (" elected", ""),
                    _ => ("", ""),
                },
            };
            let change = change_span(report, round, change);
            let _ = write!(
                out,
                "<td class=\"num{class}\">{}{change}{mark}</td>",
                words::number(report, votes)
            );
        }
        out.push_str("</tr>\n");
    }
    let mut previous: Option<&Round> = None;
    let mut exhausted = String::new();
    let mut rounding = String::new();
    let mut total = String::new();
    let mut quota = String::new();
    for round in &report.rounds {
        let (e0, r0) = previous.map_or((0, 0), |p| (p.exhausted, p.rounding));
        let cell = |value: i64, change: i64| {
            let change = change_span(report, round, change);
            format!(
                "<td class=\"num\">{}{change}</td>",
                words::number(report, value)
            )
        };
        exhausted.push_str(&cell(round.exhausted, round.exhausted - e0));
        rounding.push_str(&cell(round.rounding, round.rounding - r0));
        let _ = write!(
            total,
            "<td class=\"num\">{}</td>",
            words::number(report, round.accounted())
        );
        let _ = write!(
            quota,
            "<td class=\"num\">{}</td>",
            words::number(report, round.quota)
        );
        previous = Some(round);
    }
    let _ = writeln!(
        out,
        "<tr class=\"sum\"><th scope=\"row\">Non-transferable</th>{exhausted}</tr>"
    );
    let _ = writeln!(
        out,
        "<tr class=\"sum\"><th scope=\"row\">Lost to rounding</th>{rounding}</tr>"
    );
    let _ = writeln!(
        out,
        "<tr class=\"sum total\"><th scope=\"row\">Total</th>{total}</tr>"
    );
    let _ = writeln!(
        out,
        "<tr class=\"sum\"><th scope=\"row\">Quota</th>{quota}</tr>"
    );
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

/// Chart geometry, in SVG user units.
const LABEL_WIDTH: i64 = 270;
const BAR_AREA: i64 = 360;
const VALUE_WIDTH: i64 = 150;
const ROW: i64 = 22;
const TOP: i64 = 28;

/// The horizontal bar chart of one stage: each standing candidate's votes against the quota.
/// `scale` is the largest value drawn in any stage, so bars compare across stages.
fn chart(out: &mut String, report: &Report, round: &Round, scale: i64) {
    let standing = words::standing(report);
    let rows = standing.len() as i64;
    let width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH;
    let height = TOP + rows * ROW + 8;
    let id = format!("chart-{}", round.number);
    // Integer arithmetic: a value's length in units of the bar area.
    let length = |units: i64| -> i64 {
        if scale <= 0 {
            0
        } else {
            (i128::from(units.max(0)) * i128::from(BAR_AREA) / i128::from(scale)) as i64
        }
    };
    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\">"
    );
    let _ = writeln!(
        out,
        "<title id=\"{id}-t\">Votes at the end of stage {}</title>\n<desc id=\"{id}-d\">One bar per candidate; the dashed line is the quota, {}. Every figure is also in the stage table.</desc>",
        round.number,
        words::number(report, round.quota)
    );
    for (row, &c) in standing.iter().enumerate() {
        let y = TOP + row as i64 * ROW;
        let votes = round.votes.get(c).copied().unwrap_or(0);
        let status = round
            .status
            .get(c)
            .copied()
            .unwrap_or(CandidateStatus::Hopeful);
        let (fill, word) = match status {
            CandidateStatus::Elected => ("#1b7a3a", " elected"),
            CandidateStatus::Excluded => ("#8a8a8a", " excluded"),
            CandidateStatus::Hopeful => ("#2f5f98", ""),
            CandidateStatus::Withdrawn => ("#8a8a8a", " withdrawn"),
        };
        let full = esc(&report.candidates[c].name);
        let short = esc(&words::truncate(
            &words::clean(&report.candidates[c].name),
            36,
        ));
        let bar = length(votes);
        let (track_y, track_h) = (y + 3, ROW - 6);
        let _ = writeln!(
            out,
            "<g><title>{full}: {}{word}</title><text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{short}</text><rect x=\"{LABEL_WIDTH}\" y=\"{track_y}\" width=\"{BAR_AREA}\" height=\"{track_h}\" fill=\"#eef1f5\"/><rect x=\"{LABEL_WIDTH}\" y=\"{}\" width=\"{bar}\" height=\"{}\" fill=\"{fill}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{}{word}</text></g>",
            words::number(report, votes),
            LABEL_WIDTH - 8,
            y + 15,
            y + 3,
            ROW - 6,
            LABEL_WIDTH + BAR_AREA + 10,
            y + 15,
            words::number(report, votes),
        );
    }
    // The quota line goes over the bars, so a bar that passes it shows where.
    let quota_x = LABEL_WIDTH + length(round.quota);
    let _ = writeln!(
        out,
        "<line x1=\"{quota_x}\" y1=\"{}\" x2=\"{quota_x}\" y2=\"{}\" stroke=\"#b3261e\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\n<text x=\"{quota_x}\" y=\"14\" font-size=\"12\" text-anchor=\"middle\" fill=\"#b3261e\">quota {}</text>",
        TOP - 6,
        height - 4,
        words::number(report, round.quota)
    );
    out.push_str("</svg>\n");
}

fn stages(out: &mut String, report: &Report) {
    if report.rounds.is_empty() {
        return;
    }
    // The chart's scale: the largest vote or quota of any stage (a number already in the report).
    let scale = report
        .rounds
        .iter()
        .flat_map(|r| r.votes.iter().copied().chain([r.quota]))
        .max()
        .unwrap_or(0);
    out.push_str("<section id=\"stage-by-stage\">\n<h2>Stage by stage</h2>\n");
    out.push_str("<p class=\"legend\"><span><span class=\"swatch hopeful\"></span>continuing</span><span><span class=\"swatch elected\"></span>elected</span><span><span class=\"swatch excluded\"></span>excluded</span><span><svg width=\"24\" height=\"12\" aria-hidden=\"true\"><line x1=\"0\" y1=\"6\" x2=\"24\" y2=\"6\" stroke=\"#b3261e\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/></svg> quota</span></p>\n");
    let mut previous: Option<&Round> = None;
    for (index, round) in report.rounds.iter().enumerate() {
        let _ = writeln!(
            out,
            "<section class=\"stage\" id=\"stage-{}\">\n<h3>Stage {}: {}</h3>\n<div class=\"stage-body\">\n<div class=\"chart\">",
            round.number,
            round.number,
            esc(&words::action(report, &round.action))
        );
        chart(out, report, round, scale);
        out.push_str("</div>\n<div>\n");
        if round.ties.is_empty() && round.decisions.is_empty() {
            out.push_str("<p class=\"note\">No one was elected or excluded at this stage.</p>\n");
        } else {
            out.push_str("<h4>Decisions</h4>\n<ul class=\"decisions\">\n");
            for tie in &round.ties {
                let _ = writeln!(out, "<li>{}</li>", esc(&words::tie(report, tie)));
            }
            for decision in &round.decisions {
                let _ = writeln!(
                    out,
                    "<li><strong>{}</strong> {}</li>",
                    esc(report.name(decision.candidate)),
                    esc(&words::reason(report, index, decision))
                );
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</div>\n</div>\n");
        if index > 0 {
            stage_flow(out, report, round, previous);
            transfers(out, report, round, previous);
        }
        out.push_str("</section>\n");
        previous = Some(round);
    }
    out.push_str("</section>\n");
}

/// The transfers of one stage: who gained and lost, and what became non-transferable.
fn transfers(out: &mut String, report: &Report, round: &Round, previous: Option<&Round>) {
    let _ = writeln!(
        out,
        "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Transfers at stage {0} (scrolls sideways)\">\n<table class=\"transfers\">\n<caption>Transfers at stage {0}</caption>\n<thead><tr><th scope=\"col\" class=\"corner\">To / from</th><th scope=\"col\" class=\"num\">Change</th><th scope=\"col\" class=\"num\">Votes after</th></tr></thead>\n<tbody>",
        round.number
    );
    let mut losers = Vec::new();
    let mut gainers = Vec::new();
    for c in words::standing(report) {
        let change = round.transfers.get(c).copied().unwrap_or(0);
        if change < 0 {
            losers.push(c);
        } else if change > 0 {
            gainers.push(c);
        }
    }
    // Largest gain first: the order a reader scans for "where did the votes go".
    gainers.sort_by_key(|c| std::cmp::Reverse(round.transfers.get(*c).copied().unwrap_or(0)));
    for c in losers.into_iter().chain(gainers) {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&report.candidates[c].name),
            words::signed(report, round.transfers.get(c).copied().unwrap_or(0)),
            words::number(report, round.votes.get(c).copied().unwrap_or(0))
        );
    }
    let (e0, r0) = previous.map_or((0, 0), |p| (p.exhausted, p.rounding));
    let _ = writeln!(
        out,
        "<tr class=\"sum\"><th scope=\"row\">Non-transferable</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
        words::signed(report, round.exhausted - e0),
        words::number(report, round.exhausted)
    );
    if round.rounding != r0 {
        let _ = writeln!(
            out,
            "<tr class=\"sum\"><th scope=\"row\">Lost to rounding</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            words::signed(report, round.rounding - r0),
            words::number(report, round.rounding)
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}

fn slates(out: &mut String, report: &Report, summary: &SlateSummary) {
    out.push_str("<section id=\"slates\">\n<h2>Slates</h2>\n");
    if let Some(first) = &summary.first_preferences {
        let total: i64 = first.iter().sum();
        out.push_str("<h3>First preferences by slate</h3>\n<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"First-preference votes of each slate's candidates (scrolls sideways)\">\n<table class=\"slates\">\n<caption>First-preference votes of each slate's candidates</caption>\n<thead><tr><th scope=\"col\" class=\"corner\">Slate</th><th scope=\"col\" class=\"corner\">Candidates</th><th scope=\"col\" class=\"num\">Votes</th><th scope=\"col\" class=\"num\">Share</th><th scope=\"col\" class=\"corner\">Share of first preferences</th></tr></thead>\n<tbody>\n");
        for ((group, members), votes) in summary.groups.iter().zip(&summary.members).zip(first) {
            let names: Vec<String> = members.iter().map(|c| esc(report.name(*c))).collect();
            let share = percent(*votes, total);
            // A bar of the share, 200 units wide at 100%, in integers.
            let bar = if total > 0 {
                (i128::from(*votes) * 200 / i128::from(total)) as i64
            } else {
                0
            };
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{share}%</td><td><svg width=\"200\" height=\"14\" role=\"img\" aria-label=\"{share}%\"><rect x=\"0\" y=\"1\" width=\"200\" height=\"12\" fill=\"#eef1f5\"/><rect x=\"0\" y=\"1\" width=\"{bar}\" height=\"12\" fill=\"#2f5f98\"/></svg></td></tr>",
                esc(group.label()),
                names.join("<br>"),
                words::number(report, *votes)
            );
        }
        let _ = writeln!(
            out,
            "<tr class=\"sum total\"><th scope=\"row\">Total</th><td></td><td class=\"num\">{}</td><td class=\"num\">100.0%</td><td></td></tr>",
            words::number(report, total)
        );
        out.push_str("</tbody>\n</table>\n</div>\n");
    }
    out.push_str("<h3>Where each slate's transfers went</h3>\n");
    if summary.flows.is_empty() && !summary.unattributed_rounds.is_empty() {
        // Meek: every stage moves every elected candidate's surplus at once (their keep factors
        // fall), so no stage has one source; say so, and show what did happen.
        out.push_str("<p>Votes moved at every stage after the first, but under Meek's method each stage moves the surplus of every elected candidate at once, so the count cannot say which slate's votes went where. The table below shows what each slate's candidates held at the end of each stage; the slate voting read from the ballots shows where each slate's voters' preferences went.</p>\n");
    } else if summary.flows.is_empty() {
        out.push_str("<p>No votes were transferred.</p>\n");
    } else {
        out.push_str("<p class=\"note\">Summed over every transfer stage: each row is the slate of the candidate whose surplus or papers were transferred; each column the slate of the candidates who received them. Percentages are of the votes the row's slate transferred. The cell where a slate's transfers stayed with its own candidates is in bold.</p>\n");
        out.push_str("<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Transfers from slate to slate (scrolls sideways)\">\n<table class=\"flows\">\n<caption>Transfers from slate to slate</caption>\n<thead><tr><th scope=\"col\" class=\"corner\">From \\ to</th><th scope=\"col\">Transferred</th>");
        for group in &summary.groups {
            let _ = write!(out, "<th scope=\"col\">{}</th>", esc(group.label()));
        }
        out.push_str("<th scope=\"col\">Non-transferable</th><th scope=\"col\">Lost to rounding</th><th scope=\"col\" class=\"corner\">Stages</th></tr></thead>\n<tbody>\n");
        for flow in &summary.flows {
            let from = match flow.from {
                FlowSource::Group(g) => esc(summary.groups.get(g).map_or("?", |g| g.label())),
                FlowSource::Mixed => "Several slates at once".to_owned(),
            };
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{from}</th><td class=\"num\">{}</td>",
                words::number(report, flow.out)
            );
            for (g, votes) in flow.to.iter().enumerate() {
                let own = if flow.from == FlowSource::Group(g) {
                    " own"
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    "<td class=\"num{own}\">{}<span class=\"change\">{}%</span></td>",
                    words::number(report, *votes),
                    percent(*votes, flow.out)
                );
            }
            let stages: Vec<String> = flow.rounds.iter().map(usize::to_string).collect();
            let _ = writeln!(
                out,
                "<td class=\"num\">{}<span class=\"change\">{}%</span></td><td class=\"num\">{}</td><td>{}</td></tr>",
                words::number(report, flow.exhausted),
                percent(flow.exhausted, flow.out),
                words::number(report, flow.rounding),
                stages.join(", ")
            );
        }
        out.push_str("</tbody>\n</table>\n</div>\n");
        if let Some(note) = summary.unattributed_note() {
            let _ = writeln!(out, "<p class=\"note\">{note}</p>");
        }
    }
    slate_stage_table(out, report, summary);
    out.push_str("</section>\n");
}

/// The votes each slate's candidates held at the end of each stage: what moved between slates,
/// under every rule (the sums of the stage table's columns by slate).
fn slate_stage_table(out: &mut String, report: &Report, summary: &SlateSummary) {
    if report.rounds.len() < 2 {
        return;
    }
    out.push_str("<h3>Votes by slate at each stage</h3>\n<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Votes held by each slate's candidates at the end of each stage (scrolls sideways)\">\n<table class=\"slate-stages\">\n<caption>Votes held by each slate's candidates at the end of each stage</caption>\n<thead><tr><th scope=\"col\" class=\"corner\">Slate</th>");
    for round in &report.rounds {
        let _ = write!(out, "<th scope=\"col\">Stage {}</th>", round.number);
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (group, members) in summary.groups.iter().zip(&summary.members) {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", esc(group.label()));
        let mut previous = None;
        for round in &report.rounds {
            let held: i64 = (members.iter())
                .map(|c| round.votes.get(c.get()).copied().unwrap_or(0))
                .sum();
            let _ = write!(
                out,
                "<td class=\"num\">{}{}</td>",
                words::number(report, held),
                previous.map_or(String::new(), |p| change_span(report, round, held - p))
            );
            previous = Some(held);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("<tr class=\"sum\"><th scope=\"row\">Non-transferable</th>");
    for round in &report.rounds {
        let _ = write!(
            out,
            "<td class=\"num\">{}</td>",
            words::number(report, round.exhausted)
        );
    }
    out.push_str("</tr>\n</tbody>\n</table>\n</div>\n");
}

/// Slate voting read from the ballots: loyalty, splits, and where preferences went next, with a
/// flow chart of the last and its table.
fn slate_voting(out: &mut String, voting: &SlateVoting) {
    let label = |g: usize| esc(voting.groups.get(g).map_or("?", |g| g.label()));
    let count = |n: u64, of: u64| {
        format!(
            "{n}<span class=\"change\">{}%</span>",
            percent(n as i64, of as i64)
        )
    };
    out.push_str("<section id=\"slate-voting\">\n<h2>Slate voting, from the ballots</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">Read from all {} ballots with a first preference, whatever the counting rule, each up to where the count reads it; every figure is a number of ballots. <em>Whole slate first</em>: ranked every candidate of the slate before anyone else. <em>Split</em>: ranked a candidate of another slate before the whole slate. <em>Stopped</em>: ranked only the slate's candidates, but not all of them.</p>",
        voting.ballots
    );
    out.push_str("<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"What each slate's first-preference voters did (scrolls sideways)\">\n<table class=\"loyalty\">\n<caption>What each slate's first-preference voters did</caption>\n<thead><tr><th scope=\"col\" class=\"corner\">Slate</th><th scope=\"col\">Candidates</th><th scope=\"col\">First preferences</th><th scope=\"col\">Whole slate first</th><th scope=\"col\">Split</th><th scope=\"col\">Stopped</th></tr></thead>\n<tbody>\n");
    for (g, row) in voting.rows.iter().enumerate() {
        let [loyal, split, stopped] = match row.ticket() {
            Some(ticket) => ticket.map(|n| count(n, row.first)),
            None => ["—".to_owned(), "—".to_owned(), "—".to_owned()],
        };
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{loyal}</td><td class=\"num\">{split}</td><td class=\"num\">{stopped}</td></tr>",
            label(g),
            voting.sizes[g],
            count(row.first, voting.ballots)
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    if voting.rows.iter().any(|r| r.split.iter().any(|&n| n > 0)) {
        table_by_group(
            out,
            voting,
            "split",
            "Where split voters went first: the slate of the first candidate they ranked outside their own before completing it",
            |r| &r.split,
            None,
        );
    }
    out.push_str("<h3>Where each slate's voters went next</h3>\n");
    flow_chart(out, voting);
    table_by_group(
        out,
        voting,
        "next",
        "The slate of each voter's first preference outside their first-preference slate",
        |r| &r.next,
        Some(|r: &super::loyalty::SlateVoters| r.stayed),
    );
    out.push_str("</section>\n");
}

/// A table of one count per (row group, column group), with an optional last column.
fn table_by_group(
    out: &mut String,
    voting: &SlateVoting,
    class: &str,
    caption: &str,
    cells: impl Fn(&super::loyalty::SlateVoters) -> &Vec<u64>,
    last: Option<fn(&super::loyalty::SlateVoters) -> u64>,
) {
    let _ = write!(
        out,
        "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{caption} (scrolls sideways)\">\n<table class=\"flows {class}\">\n<caption>{caption}</caption>\n<thead><tr><th scope=\"col\" class=\"corner\">First preference \\ to</th>",
        caption = esc(caption)
    );
    for group in &voting.groups {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(group.label()));
    }
    if last.is_some() {
        out.push_str("<th scope=\"col\">No other slate</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (g, row) in voting.rows.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th>",
            esc(voting.groups[g].label())
        );
        for (h, n) in cells(row).iter().enumerate() {
            if h == g {
                out.push_str("<td class=\"num\">—</td>");
            } else {
                let _ = write!(
                    out,
                    "<td class=\"num\">{n}<span class=\"change\">{}%</span></td>",
                    percent(*n as i64, row.first as i64)
                );
            }
        }
        if let Some(last) = last {
            let n = last(row);
            let _ = write!(
                out,
                "<td class=\"num\">{n}<span class=\"change\">{}%</span></td>",
                percent(n as i64, row.first as i64)
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}

/// One band of a flow chart, `width` high, from `from` (the left node's right edge) to `to` (the
/// right node's left edge), with its figure as a tooltip.
fn band(out: &mut String, from: (i64, i64), to: (i64, i64), width: i64, title: &str) {
    let ((x0, a), (x1, b)) = (from, to);
    let mid = (x0 + x1) / 2;
    let _ = writeln!(
        out,
        "<path d=\"M{x0} {a} C{mid} {a} {mid} {b} {x1} {b} L{x1} {} C{mid} {} {mid} {} {x0} {} Z\" fill=\"#2f5f98\" fill-opacity=\"0.35\"><title>{title}</title></path>",
        b + width,
        b + width,
        a + width,
        a + width,
    );
}

/// Where one stage's transfers went, as a flow chart: the votes that left the candidates who lost
/// them (one node: when several lose at once the count does not say whose votes went where) fanning
/// out to the candidates who gained them and to non-transferable. The transfers table after it has
/// every figure.
fn stage_flow(out: &mut String, report: &Report, round: &Round, previous: Option<&Round>) {
    const WIDTH: i64 = 640;
    const NODE: i64 = 14;
    const LABEL: i64 = 190;
    const GAP: i64 = 6;
    const SPAN: i64 = 220;
    let change = |c: usize| round.transfers.get(c).copied().unwrap_or(0);
    let standing = words::standing(report);
    let losers: Vec<usize> = standing
        .iter()
        .copied()
        .filter(|&c| change(c) < 0)
        .collect();
    let moved: i64 = losers.iter().map(|&c| -change(c)).sum();
    if moved <= 0 {
        return;
    }
    let mut targets: Vec<(String, i64)> = (standing.iter())
        .filter(|&&c| change(c) > 0)
        .map(|&c| {
            (
                esc(&words::truncate(
                    &words::clean(&report.candidates[c].name),
                    28,
                )),
                change(c),
            )
        })
        .collect();
    targets.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let exhausted = round.exhausted - previous.map_or(0, |p| p.exhausted);
    if exhausted > 0 {
        targets.push(("Non-transferable".into(), exhausted));
    }
    let scale = |n: i64| (i128::from(n) * i128::from(SPAN) / i128::from(moved)).max(1) as i64;
    let height = SPAN + GAP * targets.len() as i64 + 30;
    let id = format!("flow-{}", round.number);
    let from = words::names(
        report,
        &losers
            .iter()
            .map(|&c| CandidateIndex::new(c as u16))
            .collect::<Vec<_>>(),
    );
    let _ = writeln!(
        out,
        "<svg class=\"flow\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\">\n<title id=\"{id}-t\">Where the votes moved at stage {}</title>\n<desc id=\"{id}-d\">{} votes left {}; band widths are votes. The transfers table below has every figure.</desc>",
        round.number,
        words::number(report, moved),
        esc(&from)
    );
    let (x0, x1) = (LABEL, WIDTH - LABEL);
    let left_height = scale(moved);
    let mut a = 20;
    let mut b = 20;
    for (label, n) in &targets {
        let w = scale(*n);
        band(
            out,
            (x0 + NODE, a),
            (x1, b),
            w,
            &format!("{label}: {}", words::number(report, *n)),
        );
        let _ = writeln!(
            out,
            "<rect x=\"{x1}\" y=\"{b}\" width=\"{NODE}\" height=\"{w}\" fill=\"#1d1d1f\"/><text x=\"{}\" y=\"{}\">{label} +{}</text>",
            x1 + NODE + 6,
            b + w / 2 + 4,
            words::number(report, *n)
        );
        a += w;
        b += w + GAP;
    }
    let short = esc(&words::truncate(&words::clean(&from), 30));
    let _ = writeln!(
        out,
        "<rect x=\"{x0}\" y=\"20\" width=\"{NODE}\" height=\"{left_height}\" fill=\"#1d1d1f\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{short} −{}</text>\n</svg>",
        x0 - 6,
        20 + left_height / 2 + 4,
        words::number(report, moved)
    );
}

/// A flow (Sankey) chart: each slate's first-preference voters on the left, the slate they went
/// to next on the right, bands as wide as the ballots. Integer geometry; the table after it has
/// every figure.
fn flow_chart(out: &mut String, voting: &SlateVoting) {
    const WIDTH: i64 = 640;
    const NODE: i64 = 14;
    const LABEL: i64 = 150;
    const GAP: i64 = 10;
    const SPAN: i64 = 360;
    let groups = voting.groups.len();
    // Right-hand nodes: each group, then "no other slate".
    let right_totals: Vec<u64> = (0..=groups)
        .map(|h| {
            (voting.rows.iter())
                .map(|r| if h == groups { r.stayed } else { r.next[h] })
                .sum()
        })
        .collect();
    let total = voting.ballots.max(1);
    let scale = |n: u64| (i128::from(n) * i128::from(SPAN) / i128::from(total)) as i64;
    let height = SPAN + GAP * (groups as i64 + 1) + 30;
    let right_label = |h: usize| {
        if h == groups {
            "No other slate".to_owned()
        } else {
            esc(voting.groups[h].label())
        }
    };
    let _ = writeln!(
        out,
        "<svg class=\"flow\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-labelledby=\"flow-t flow-d\">\n<title id=\"flow-t\">Where each slate's voters went next</title>\n<desc id=\"flow-d\">Left: the slate of each ballot's first preference. Right: the slate of its first preference outside that slate. Band widths are numbers of ballots; the table below has every figure.</desc>"
    );
    // Node positions, top to bottom, in group order.
    let mut left_y = Vec::with_capacity(groups);
    let mut y = 20;
    for row in &voting.rows {
        left_y.push(y);
        y += scale(row.first) + GAP;
    }
    let mut right_y = Vec::with_capacity(groups + 1);
    let mut y = 20;
    for &n in &right_totals {
        right_y.push(y);
        y += scale(n) + GAP;
    }
    let (x0, x1) = (LABEL, WIDTH - LABEL);
    let mut left_used = left_y.clone();
    let mut right_used = right_y.clone();
    for (g, row) in voting.rows.iter().enumerate() {
        let targets = row.next.iter().chain([&row.stayed]);
        for (h, (&n, used)) in targets.zip(right_used.iter_mut()).enumerate() {
            let w = scale(n);
            if w == 0 {
                continue;
            }
            let title = format!(
                "{} to {}: {n}",
                esc(voting.groups[g].label()),
                right_label(h)
            );
            band(out, (x0 + NODE, left_used[g]), (x1, *used), w, &title);
            left_used[g] += w;
            *used += w;
        }
    }
    for (g, row) in voting.rows.iter().enumerate() {
        let h = scale(row.first).max(1);
        let _ = writeln!(
            out,
            "<rect x=\"{x0}\" y=\"{}\" width=\"{NODE}\" height=\"{h}\" fill=\"#1d1d1f\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} {}</text>",
            left_y[g],
            x0 - 6,
            left_y[g] + h / 2 + 4,
            esc(voting.groups[g].label()),
            row.first
        );
    }
    for (h, &n) in right_totals.iter().enumerate() {
        let height = scale(n).max(1);
        let _ = writeln!(
            out,
            "<rect x=\"{x1}\" y=\"{}\" width=\"{NODE}\" height=\"{height}\" fill=\"#1d1d1f\"/><text x=\"{}\" y=\"{}\">{} {n}</text>",
            right_y[h],
            x1 + NODE + 6,
            right_y[h] + height / 2 + 4,
            right_label(h)
        );
    }
    out.push_str("</svg>\n");
}
