//! The count as a CSV table, one row per stage, in the layout of the official Scottish stage
//! reports (tests/data/stv/scottish-official/*.official_stages.csv) with extra columns.
//!
//! Columns: `stage`, `action`, one column per candidate (votes at the end of the stage, headed by
//! the full name, in ballot-file order), `non_transferable` (exhausted + rounding, as official
//! reports print it), `exhausted`, `rounding`, `elected_this_stage`, then the extras
//! `excluded_this_stage`, `quota` and `transfer_value`. Several names in one field are joined
//! with `|`. Vote values have exactly the rule's number of decimal places.
//!
//! RFC 4180, written with the `csv` crate: lines end in CRLF; every field that does not read as a
//! number is quoted, with `"` doubled (so every name is, unless it reads as a number). Names come
//! from outside input, so every text field follows the formula rule of
//! [`crate::core::csv_file::defuse`]: one starting with `=`, `+`, `-`, `@`, tab, CR or `'` gets a
//! `'` in front (OWASP "CSV injection"). Vote values are written as they are: they are numbers.

use super::super::fixed::format_units;
use super::super::report::{Action, Outcome, Report, Round};
use crate::core::csv_file::{CsvText, defuse};

/// Renders `report` as CSV, one row per stage.
pub fn csv(report: &Report) -> String {
    let mut out = CsvText::new(csv::QuoteStyle::NonNumeric, csv::Terminator::CRLF);
    let mut header = vec!["stage".to_owned(), "action".to_owned()];
    header.extend(report.candidates.iter().map(|c| text(&c.name)));
    header.extend(
        [
            "non_transferable",
            "exhausted",
            "rounding",
            "elected_this_stage",
            "excluded_this_stage",
            "quota",
            "transfer_value",
        ]
        .map(str::to_owned),
    );
    out.record(&header);
    let number = |units: i64| format_units(units, report.decimals);
    for round in &report.rounds {
        let mut row = vec![round.number.to_string(), text(&action(report, round))];
        row.extend(
            report
                .candidates
                .iter()
                .enumerate()
                .map(|(i, _)| number(round.votes.get(i).copied().unwrap_or(0))),
        );
        row.push(number(round.exhausted + round.rounding));
        row.push(number(round.exhausted));
        row.push(number(round.rounding));
        row.push(text(&decided(report, round, Outcome::Elected)));
        row.push(text(&decided(report, round, Outcome::Excluded)));
        row.push(number(round.quota));
        let transfer_value = match &round.action {
            Action::Surplus { transfer_value, .. } | Action::Exclusion { transfer_value, .. } => {
                *transfer_value
            }
            _ => None,
        };
        row.push(transfer_value.map(number).unwrap_or_default());
        out.record(&row);
    }
    out.finish()
}

/// The official reports' action wording: "first preferences", "surplus NAME", "exclude NAME".
fn action(report: &Report, round: &Round) -> String {
    let joined = |cs: &[super::super::CandidateIndex]| {
        cs.iter()
            .map(|c| report.name(*c))
            .collect::<Vec<_>>()
            .join("|")
    };
    match &round.action {
        Action::FirstPreferences => "first preferences".to_owned(),
        Action::Surplus { candidate, .. } => format!("surplus {}", report.name(*candidate)),
        Action::Exclusion { candidates, .. } => format!("exclude {}", joined(candidates)),
        Action::MeekRound { iterations } => format!("meek round ({iterations} iterations)"),
        Action::Count => "count".to_owned(),
    }
}

/// The names of candidates elected (or excluded) in `round`, in order, joined with `|`.
fn decided(report: &Report, round: &Round, outcome: Outcome) -> String {
    round
        .decisions
        .iter()
        .filter(|d| d.outcome == outcome)
        .map(|d| report.name(d.candidate))
        .collect::<Vec<_>>()
        .join("|")
}

/// A text field: under the formula rule (the `csv` crate quotes it).
fn text(value: &str) -> String {
    defuse(value).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_doubles_quotes() {
        let mut out = CsvText::new(csv::QuoteStyle::NonNumeric, csv::Terminator::CRLF);
        out.record([
            text("Ann \"Nan\" Lee, Jr"),
            "1.00000".to_owned(),
            String::new(),
        ]);
        assert_eq!(out.finish(), "\"Ann \"\"Nan\"\" Lee, Jr\",1.00000,\"\"\r\n");
    }

    #[test]
    fn defuses_spreadsheet_formulas() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text("-1"), "'-1");
        assert_eq!(text("Ann"), "Ann");
    }
}
