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

use super::super::report::{CandidateStatus, Outcome, Report, Round};
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

const STYLE: &str = r#"
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
table.flows thead th { min-width: 0; }
td.own { font-weight: 700; background: #eef3fb; }
ol.elected li { margin: .15rem 0; }
.note { color: #555; font-size: .9rem; }
@media print { main { max-width: none; padding: 0; } .scroll { overflow: visible; border: 0; } table.stages { font-size: 7pt; } table.stages th[scope=row] { position: static; min-width: 8rem; } section.stage { break-inside: avoid; } }
"#;

/// Renders `report` as a self-contained HTML page.
pub fn html(report: &Report) -> String {
    let mut out = String::new();
    let title = if report.title.trim().is_empty() {
        "Count"
    } else {
        report.title.as_str()
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} — count</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(title)
    );
    header(&mut out, report, title);
    stage_table(&mut out, report);
    stages(&mut out, report);
    if let Some(summary) = slate_summary(report) {
        slates(&mut out, report, &summary);
    }
    out.push_str("</main>\n</body>\n</html>\n");
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
    out.push_str("<div class=\"scroll\">\n<table class=\"stages\">\n<caption>Votes by stage</caption>\n<thead>\n<tr><th scope=\"col\" class=\"corner\">Candidate</th>");
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
    out.push_str("<p class=\"legend\"><span><span class=\"swatch\" style=\"background:#2f5f98\"></span>continuing</span><span><span class=\"swatch\" style=\"background:#1b7a3a\"></span>elected</span><span><span class=\"swatch\" style=\"background:#8a8a8a\"></span>excluded</span><span><svg width=\"24\" height=\"12\" aria-hidden=\"true\"><line x1=\"0\" y1=\"6\" x2=\"24\" y2=\"6\" stroke=\"#b3261e\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/></svg> quota</span></p>\n");
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
        "<table class=\"transfers\">\n<caption>Transfers at stage {}</caption>\n<thead><tr><th scope=\"col\" class=\"corner\">To / from</th><th scope=\"col\" class=\"num\">Change</th><th scope=\"col\" class=\"num\">Votes after</th></tr></thead>\n<tbody>",
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
    out.push_str("</tbody>\n</table>\n");
}

fn slates(out: &mut String, report: &Report, summary: &SlateSummary) {
    out.push_str("<section id=\"slates\">\n<h2>Slates</h2>\n");
    if let Some(first) = &summary.first_preferences {
        let total: i64 = first.iter().sum();
        out.push_str("<h3>First preferences by slate</h3>\n<table class=\"slates\">\n<caption>First-preference votes of each slate's candidates</caption>\n<thead><tr><th scope=\"col\" class=\"corner\">Slate</th><th scope=\"col\" class=\"corner\">Candidates</th><th scope=\"col\" class=\"num\">Votes</th><th scope=\"col\" class=\"num\">Share</th><th scope=\"col\" class=\"corner\">Share of first preferences</th></tr></thead>\n<tbody>\n");
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
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("<h3>Where each slate's transfers went</h3>\n");
    if summary.flows.is_empty() {
        out.push_str("<p>No votes were transferred.</p>\n");
    } else {
        out.push_str("<p class=\"note\">Summed over every transfer stage: each row is the slate of the candidate whose surplus or papers were transferred; each column the slate of the candidates who received them. Percentages are of the votes the row's slate transferred. The cell where a slate's transfers stayed with its own candidates is in bold.</p>\n");
        out.push_str("<div class=\"scroll\">\n<table class=\"flows\">\n<caption>Transfers from slate to slate</caption>\n<thead><tr><th scope=\"col\" class=\"corner\">From \\ to</th><th scope=\"col\">Transferred</th>");
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
    out.push_str("</section>\n");
}
