//! The count sheet as plain text: what a returning officer reads out and pins up.
//!
//! Layout: a header (title, rule, seats, ballots, quota), the stage table (one column per stage,
//! one row per candidate with the votes at the end of each stage and the transfer under it), the
//! decisions stage by stage with their reasons and every tie, and the elected list. Tables are
//! split into blocks of stages that fit in [`WIDTH`] columns; names are shortened in tables only.

use std::fmt::Write as _;

use super::super::report::{Action, CandidateStatus, Outcome, Report, Round};
use super::loyalty::SlateVoting;
use super::slate::{FlowSource, percent, slate_summary};
use super::words;

/// The widest line the stage table aims for.
const WIDTH: usize = 120;
/// The widest a candidate's name may be in the table's first column.
const NAME_WIDTH: usize = 30;

/// Renders `report` as a plain-text count sheet.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    header(&mut out, report);
    stage_table(&mut out, report);
    keep_factor_table(&mut out, report);
    decisions(&mut out, report);
    slates(&mut out, report);
    elected(&mut out, report);
    out
}

/// The slate voting read from the ballots, as plain text to print after [`text`]'s count sheet.
pub fn slate_voting_text(voting: &SlateVoting) -> String {
    let mut out = String::new();
    let label = |g: usize| words::truncate(&words::clean(voting.groups[g].label()), NAME_WIDTH);
    let width = (0..voting.groups.len())
        .map(|g| label(g).chars().count())
        .max()
        .unwrap_or(0)
        .max(16);
    let share = |n: u64, of: u64| format!("{n} {:>6}%", percent(n as i64, of as i64));
    let _ = writeln!(
        out,
        "Slate voting, from the ballots ({} ballots with a first preference; every figure is a number of ballots)",
        voting.ballots
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:width$} {:>16} {:>18} {:>16} {:>16}",
        "Slate", "First preference", "Whole slate first", "Split", "Stopped"
    );
    for (g, row) in voting.rows.iter().enumerate() {
        let [loyal, split, stopped] = match row.ticket() {
            Some(ticket) => ticket.map(|n| share(n, row.first)),
            None => ["-".to_owned(), "-".to_owned(), "-".to_owned()],
        };
        let _ = writeln!(
            out,
            "  {:width$} {:>16} {loyal:>18} {split:>16} {stopped:>16}",
            label(g),
            share(row.first, voting.ballots)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Where each slate's voters went next (the slate of their first preference outside their own)"
    );
    let _ = writeln!(out);
    let mut head = format!("  {:width$}", "From \\ to");
    for g in 0..voting.groups.len() {
        let _ = write!(head, " {:>16}", label(g));
    }
    let _ = writeln!(out, "{head} {:>16}", "No other slate");
    for (g, row) in voting.rows.iter().enumerate() {
        let mut line = format!("  {:width$}", label(g));
        for (h, &n) in row.next.iter().enumerate() {
            let cell = if h == g {
                "-".to_owned()
            } else {
                share(n, row.first)
            };
            let _ = write!(line, " {cell:>16}");
        }
        let _ = writeln!(out, "{line} {:>16}", share(row.stayed, row.first));
    }
    out
}

fn header(out: &mut String, report: &Report) {
    let title = words::clean(&report.title);
    let title = if title.trim().is_empty() {
        "Count".to_owned()
    } else {
        title
    };
    let _ = writeln!(out, "{title}");
    let _ = writeln!(out, "{}", "=".repeat(title.chars().count().min(WIDTH)));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Rule:       {}",
        paragraph(report.method.description(), 12)
    );
    let _ = writeln!(out, "Seats:      {}", report.seats);
    let _ = writeln!(out, "Ballots:    {}", words::ballots(report));
    let _ = writeln!(out, "Quota:      {}", words::quota(report));
    if let Some(constraint) = &report.constraint {
        let _ = writeln!(out, "Constraint: {}", words::clean(&constraint.to_string()));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Candidates");
    for (i, c) in report.candidates.iter().enumerate() {
        let mut notes = Vec::new();
        if let Some(slate) = &c.slate {
            notes.push(format!("slate {}", words::clean(slate)));
        }
        if let Some(gender) = &c.gender {
            notes.push(format!("gender {}", words::clean(gender)));
        }
        if c.withdrawn {
            notes.push("withdrawn before the count".to_owned());
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        let _ = writeln!(out, "  {:>2}. {}{notes}", i + 1, words::clean(&c.name));
    }
    let _ = writeln!(out);
}

/// `text` wrapped at spaces to [`WIDTH`] columns, continuation lines indented by `indent`.
fn paragraph(text: &str, indent: usize) -> String {
    let mut out = String::new();
    let mut column = indent;
    for word in text.split(' ') {
        let length = word.chars().count();
        if column > indent && column + 1 + length > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            column = indent;
        } else if column > indent {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += length;
    }
    out
}

/// One cell: the value and a one-letter mark (elected or excluded at this stage).
type Cell = (String, &'static str);

/// A table with stages as columns.
struct Table {
    /// Row labels; an empty label continues the row above (the transfer line).
    labels: Vec<String>,
    /// Per stage: its header lines and its cells, one per row.
    columns: Vec<(Vec<Head>, Vec<Cell>)>,
}

/// A line of a column head.
enum Head {
    /// Printed as is (cut to the column if too long).
    Line(String),
    /// A name: wrapped at spaces over up to two lines, the second cut with an ellipsis.
    Name(String),
}

/// Wraps `text` into at most two lines of `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut first = String::new();
    let mut rest = text;
    for word in text.split(' ') {
        let next = if first.is_empty() {
            word.chars().count()
        } else {
            first.chars().count() + 1 + word.chars().count()
        };
        if next > width {
            break;
        }
        if !first.is_empty() {
            first.push(' ');
        }
        first.push_str(word);
        rest = rest.get(word.len()..).unwrap_or("").trim_start_matches(' ');
    }
    if first.is_empty() {
        // One word longer than the column: cut it.
        return vec![words::truncate(text, width)];
    }
    if rest.is_empty() {
        vec![first]
    } else {
        vec![first, words::truncate(rest, width)]
    }
}

impl Table {
    fn render(&self, out: &mut String, what: &str) {
        let name_width = self
            .labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
            .max(16);
        let width = self
            .columns
            .iter()
            .flat_map(|(_, cells)| cells.iter().map(|c| c.0.chars().count()))
            .max()
            .unwrap_or(0)
            .max(11);
        // Each stage column: a space, the value, a space and the mark.
        let per_block = ((WIDTH.saturating_sub(name_width)) / (width + 3)).max(1);
        let stages = self.columns.len();
        for (block, columns) in self.columns.chunks(per_block).enumerate() {
            let first = block * per_block + 1;
            let last = first + columns.len() - 1;
            let _ = if first == last {
                writeln!(out, "{what}, stage {first} of {stages}")
            } else {
                writeln!(out, "{what}, stages {first}-{last} of {stages}")
            };
            let _ = writeln!(out);
            let heads: Vec<Vec<String>> = columns
                .iter()
                .map(|(head, _)| {
                    head.iter()
                        .flat_map(|h| match h {
                            Head::Line(line) => vec![words::truncate(line, width)],
                            Head::Name(name) => wrap(name, width),
                        })
                        .collect()
                })
                .collect();
            let lines = heads.iter().map(Vec::len).max().unwrap_or(0);
            for line in 0..lines {
                let mut text = format!("{:name_width$}", "");
                for head in &heads {
                    let h = head.get(line).map_or("", String::as_str);
                    let _ = write!(text, " {h:>width$}  ");
                }
                let _ = writeln!(out, "{}", text.trim_end());
            }
            let _ = writeln!(
                out,
                "{}",
                "-".repeat(name_width + columns.len() * (width + 3))
            );
            for (row, label) in self.labels.iter().enumerate() {
                let blank = |(_, cells): &(Vec<Head>, Vec<Cell>)| {
                    cells.get(row).is_none_or(|c| c.0.is_empty())
                };
                if label.is_empty() && columns.iter().all(blank) {
                    continue;
                }
                let mut text = format!("{label:name_width$}");
                for (_, cells) in columns {
                    let (value, mark) = cells.get(row).map_or(("", ""), |c| (c.0.as_str(), c.1));
                    let _ = write!(text, " {value:>width$} {mark:1}");
                }
                let _ = writeln!(out, "{}", text.trim_end());
            }
            let _ = writeln!(out);
        }
    }
}

/// The short form of a stage's action for a column head: kind, whose, transfer value.
fn head(report: &Report, round: &Round) -> Vec<Head> {
    let tv =
        |value: &Option<i64>| value.map(|v| Head::Line(format!("TV {}", words::number(report, v))));
    let line = |text: &str| Head::Line(text.to_owned());
    let mut lines = vec![Head::Line(format!("Stage {}", round.number))];
    match &round.action {
        Action::FirstPreferences => lines.push(line("First prefs")),
        Action::Surplus {
            candidate,
            transfer_value,
        } => {
            lines.push(line("Surplus"));
            lines.push(Head::Name(words::name(report, *candidate)));
            lines.extend(tv(transfer_value));
        }
        Action::Exclusion {
            candidates,
            transfer_value,
        } => {
            lines.push(line("Exclusion"));
            lines.push(match candidates.as_slice() {
                [one] => Head::Name(words::name(report, *one)),
                many => Head::Line(format!("{} candidates", many.len())),
            });
            lines.extend(tv(transfer_value));
        }
        Action::MeekRound { iterations } => {
            lines.push(line("Meek round"));
            lines.push(Head::Line(format!("{iterations} iterations")));
        }
        Action::Count => lines.push(line("Count")),
    }
    lines
}

/// "E" in the stage a candidate is elected, "X" in the stage they are excluded.
fn mark(round: &Round, candidate: usize) -> &'static str {
    match round
        .decisions
        .iter()
        .find(|d| d.candidate.get() == candidate)
        .map(|d| d.outcome)
    {
        Some(Outcome::Elected) => "E",
        Some(Outcome::Excluded) => "X",
        None => "",
    }
}

fn stage_table(out: &mut String, report: &Report) {
    if report.rounds.is_empty() {
        let _ = writeln!(out, "No stages.\n");
        return;
    }
    let standing = words::standing(report);
    let mut labels = Vec::new();
    for &c in &standing {
        labels.push(words::truncate(
            &words::clean(&report.candidates[c].name),
            NAME_WIDTH,
        ));
        labels.push(String::new());
    }
    labels.extend(
        [
            "Non-transferable",
            "",
            "Lost to rounding",
            "",
            "Total",
            "Quota",
        ]
        .map(str::to_owned),
    );
    let change = |round: &Round, units: i64| -> Cell {
        // The first stage's "transfer" is the whole first count: the votes line already says it.
        if round.number == 1 || units == 0 {
            (String::new(), "")
        } else {
            (words::signed(report, units), "")
        }
    };
    let mut previous: Option<&Round> = None;
    let mut columns = Vec::new();
    for round in &report.rounds {
        let mut cells: Vec<Cell> = Vec::new();
        for &c in &standing {
            let votes = round.votes.get(c).copied().unwrap_or(0);
            let transfer = round.transfers.get(c).copied().unwrap_or(0);
            cells.push((words::number(report, votes), mark(round, c)));
            cells.push(change(round, transfer));
        }
        let (exhausted_before, rounding_before) =
            previous.map_or((0, 0), |p| (p.exhausted, p.rounding));
        cells.push((words::number(report, round.exhausted), ""));
        cells.push(change(round, round.exhausted - exhausted_before));
        cells.push((words::number(report, round.rounding), ""));
        cells.push(change(round, round.rounding - rounding_before));
        cells.push((words::number(report, round.accounted()), ""));
        cells.push((words::number(report, round.quota), ""));
        columns.push((head(report, round), cells));
        previous = Some(round);
    }
    let _ = writeln!(out, "Stages");
    let _ = writeln!(out);
    for round in &report.rounds {
        let _ = writeln!(
            out,
            "  {:>2}. {}",
            round.number,
            words::action(report, &round.action)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Votes at the end of each stage; under them, the change during the stage.\nE = elected at this stage, X = excluded at this stage."
    );
    let _ = writeln!(out);
    Table { labels, columns }.render(out, "Votes");
}

/// Meek keep factors, when the rule has them.
fn keep_factor_table(out: &mut String, report: &Report) {
    if report.rounds.iter().all(|r| r.keep_factors.is_empty()) {
        return;
    }
    let standing = words::standing(report);
    let labels = standing
        .iter()
        .map(|&c| words::truncate(&words::clean(&report.candidates[c].name), NAME_WIDTH))
        .collect();
    let columns = report
        .rounds
        .iter()
        .map(|round| {
            let cells = standing
                .iter()
                .map(|&c| {
                    let value = round.keep_factors.get(c).map(|k| words::number(report, *k));
                    (value.unwrap_or_default(), "")
                })
                .collect();
            (head(report, round), cells)
        })
        .collect();
    let _ = writeln!(
        out,
        "Keep factors at the end of each stage (the share of each vote a candidate keeps)."
    );
    let _ = writeln!(out);
    Table { labels, columns }.render(out, "Keep factors");
}

fn decisions(out: &mut String, report: &Report) {
    let _ = writeln!(out, "Decisions");
    let _ = writeln!(out);
    for (index, round) in report.rounds.iter().enumerate() {
        if round.decisions.is_empty() && round.ties.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "  Stage {} ({})",
            round.number,
            words::action(report, &round.action)
        );
        for tie in &round.ties {
            let _ = writeln!(out, "    - {}", words::tie(report, tie));
        }
        for decision in &round.decisions {
            let _ = writeln!(
                out,
                "    - {} {}",
                words::name(report, decision.candidate),
                words::reason(report, index, decision)
            );
        }
    }
    let withdrawn: Vec<String> = report
        .candidates
        .iter()
        .filter(|c| c.withdrawn)
        .map(|c| words::clean(&c.name))
        .collect();
    if !withdrawn.is_empty() {
        let _ = writeln!(
            out,
            "  Before the count: withdrawn: {}",
            withdrawn.join(", ")
        );
    }
    let _ = writeln!(out);
}

fn slates(out: &mut String, report: &Report) {
    let Some(summary) = slate_summary(report) else {
        return;
    };
    let label_width = summary
        .groups
        .iter()
        .map(|g| words::clean(g.label()).chars().count())
        .max()
        .unwrap_or(0)
        .max(16);
    if let Some(first) = &summary.first_preferences {
        let total: i64 = first.iter().sum();
        let _ = writeln!(out, "First preferences by slate");
        let _ = writeln!(out);
        for (group, votes) in summary.groups.iter().zip(first) {
            let label = words::truncate(&words::clean(group.label()), NAME_WIDTH);
            let _ = writeln!(
                out,
                "  {label:label_width$} {:>16} {:>6}%",
                words::number(report, *votes),
                percent(*votes, total)
            );
        }
        let _ = writeln!(out);
    }
    if summary.flows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Transfers by slate (all transfer stages summed): from the slate of the transferring candidate to each slate"
    );
    let _ = writeln!(out);
    for flow in &summary.flows {
        let from = match flow.from {
            FlowSource::Group(g) => words::clean(summary.groups[g].label()),
            FlowSource::Mixed => "several slates at once".to_owned(),
        };
        let stages: Vec<String> = flow.rounds.iter().map(usize::to_string).collect();
        let _ = writeln!(
            out,
            "  From {from} (stages {}): {} votes",
            stages.join(", "),
            words::number(report, flow.out)
        );
        for (group, votes) in summary.groups.iter().zip(&flow.to) {
            let label = words::truncate(&words::clean(group.label()), NAME_WIDTH);
            let _ = writeln!(
                out,
                "    to {label:label_width$} {:>16} {:>6}%",
                words::number(report, *votes),
                percent(*votes, flow.out)
            );
        }
        let _ = writeln!(
            out,
            "    {:label_width$}    {:>16} {:>6}%",
            "non-transferable",
            words::number(report, flow.exhausted),
            percent(flow.exhausted, flow.out)
        );
        if flow.rounding != 0 {
            let _ = writeln!(
                out,
                "    {:label_width$}    {:>16}",
                "lost to rounding",
                words::number(report, flow.rounding)
            );
        }
    }
    if let Some(note) = summary.unattributed_note() {
        let _ = writeln!(out, "  {note}");
    }
    let _ = writeln!(out);
}

fn elected(out: &mut String, report: &Report) {
    let _ = writeln!(out, "Elected, in order of election");
    let _ = writeln!(out);
    for (i, (candidate, stage)) in words::elected_at(report).into_iter().enumerate() {
        let at = stage.map(|s| format!(" (stage {s})")).unwrap_or_default();
        let _ = writeln!(out, "  {}. {}{at}", i + 1, words::name(report, candidate));
    }
    let last = report.rounds.last();
    let unfilled = report.seats.saturating_sub(report.elected.len());
    if unfilled > 0 {
        let _ = writeln!(out, "  {unfilled} seat(s) not filled.");
    }
    if let Some(round) = last {
        let hopeful = round
            .status
            .iter()
            .filter(|s| **s == CandidateStatus::Hopeful)
            .count();
        if hopeful > 0 && unfilled == 0 {
            let _ = writeln!(
                out,
                "  {hopeful} candidate(s) still continuing when the seats were filled."
            );
        }
    }
}
