//! Reading Droop.py's round-by-round reports (tests/data/stv/droop-tests/README.md): each
//! `Action:` line with the candidate tallies printed under it.

use std::collections::BTreeMap;

/// One `Action: <kind>: <subject>` block.
#[derive(Debug, PartialEq, Eq)]
pub struct DroopAction {
    /// `Begin Count`, `Transfer defeated`, `Elect, transfer pending`, ….
    pub kind: String,
    /// The candidate named, without a trailing ` (value)`; empty when there is none.
    pub subject: String,
    /// The value after the name of `Surplus transferred: NAME (surplus)`.
    pub value: String,
    /// Every candidate's votes printed under the action (Hopeful, Pending, Elected, Defeated),
    /// as printed (5 decimals).
    pub votes: BTreeMap<String, String>,
    /// `Nontransferable votes`.
    pub nontransferable: String,
    /// `Residual` (votes lost to truncation).
    pub residual: String,
}

pub struct DroopReport {
    pub names: Vec<String>,
    pub quota: String,
    pub actions: Vec<DroopAction>,
}

/// `value` from `… (value)`.
fn split_value(text: &str) -> (&str, &str) {
    let open = text
        .rfind(" (")
        .unwrap_or_else(|| panic!("no value in {text:?}"));
    (&text[..open], text[open + 2..].trim_end_matches(')'))
}

/// Parses a report. The candidates' names come from its `Add eligible:` and `Add withdrawn:`
/// lines; they split lines like `Defeated: A, B (0.00000)`, where a name may itself hold a comma.
pub fn parse_droop_report(text: &str) -> DroopReport {
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| {
            l.strip_prefix("\tAdd eligible: ")
                .or_else(|| l.strip_prefix("\tAdd withdrawn: "))
        })
        .map(str::to_owned)
        .collect();
    let mut quota = String::new();
    let mut actions: Vec<DroopAction> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Action: ") {
            let (kind, subject) = rest.split_once(": ").unwrap_or((rest, ""));
            // Only `Surplus transferred: NAME (surplus)` carries a value after the name.
            let (subject, value) = if kind == "Surplus transferred" {
                split_value(subject)
            } else {
                (subject, "")
            };
            actions.push(DroopAction {
                kind: kind.to_owned(),
                subject: subject.to_owned(),
                value: value.to_owned(),
                votes: BTreeMap::new(),
                nontransferable: String::new(),
                residual: String::new(),
            });
            continue;
        }
        let Some(line) = line.strip_prefix('\t') else {
            continue;
        };
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if key == "Quota" {
            quota = value.to_owned();
        }
        let Some(action) = actions.last_mut() else {
            continue;
        };
        match key {
            "Hopeful" | "Pending" | "Elected" | "Defeated" => {
                let (list, votes) = split_value(value);
                for name in split_names(list, &names) {
                    action.votes.insert(name, votes.to_owned());
                }
            }
            "Nontransferable votes" => action.nontransferable = value.to_owned(),
            "Residual" => action.residual = value.to_owned(),
            _ => {}
        }
    }
    DroopReport {
        names,
        quota,
        actions,
    }
}

/// Splits `A, B, C` into known names, joining pieces back where a name contains ", ".
fn split_names(list: &str, names: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for piece in list.split(", ") {
        if !pending.is_empty() {
            pending.push_str(", ");
        }
        pending.push_str(piece);
        if names.contains(&pending) {
            out.push(std::mem::take(&mut pending));
        }
    }
    assert!(
        pending.is_empty(),
        "unknown candidate {pending:?} in {list:?}"
    );
    out
}
