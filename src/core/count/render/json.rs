//! The canonical JSON rendering of a report.
//!
//! Canonical means: keys sorted (RFC 8785 order, all keys are ASCII), no insignificant white space,
//! integers as numbers and every vote value as a decimal string with exactly the rule's number of
//! places. The same report always gives the same bytes, so its SHA-256 can be published.

use base16ct::lower::encode_string as hex;
use serde_json::{Map, Value, json as j};

use super::super::fixed::format_units;
use super::super::report::{
    Action, CandidateStatus, LotSource, Outcome, Reason, Report, TieBasis, TiePurpose,
};
use super::super::{Attribute, CandidateIndex};

/// Renders `report` as one line of canonical JSON (with a final newline).
pub fn json(report: &Report) -> String {
    let mut text = value(report).to_string();
    text.push('\n');
    text
}

/// The report as a JSON value (maps are sorted by key). One function, field by field in the
/// order of docs/schema/, so that the schema and the code that writes it read side by side.
pub fn value(report: &Report) -> Value {
    let d = report.decimals;
    let num = |units: i64| Value::String(format_units(units, d));
    let name = |c: &CandidateIndex| Value::String(report.name(*c).to_owned());
    let names = |cs: &[CandidateIndex]| Value::Array(cs.iter().map(name).collect());
    let rounds: Vec<Value> = report
        .rounds
        .iter()
        .map(|round| {
            let action = match &round.action {
                Action::FirstPreferences => j!({"type": "first-preferences"}),
                Action::Surplus { candidate, transfer_value } => j!({
                    "type": "surplus",
                    "candidate": name(candidate),
                    "transfer_value": transfer_value.map(num),
                }),
                Action::Exclusion { candidates, transfer_value } => j!({
                    "type": "exclusion",
                    "candidates": names(candidates),
                    "transfer_value": transfer_value.map(num),
                }),
                Action::MeekRound { iterations } => j!({"type": "meek-round", "iterations": iterations}),
                Action::Count => j!({"type": "count"}),
            };
            let decisions: Vec<Value> = round
                .decisions
                .iter()
                .map(|decision| {
                    let mut m = Map::new();
                    m.insert("candidate".into(), name(&decision.candidate));
                    let outcome = match decision.outcome {
                        Outcome::Elected => "elected",
                        Outcome::Excluded => "excluded",
                    };
                    m.insert("outcome".into(), outcome.into());
                    if let Reason::ConstraintGuard { passed_over } = &decision.reason {
                        m.insert("passed_over".into(), names(passed_over));
                    }
                    let (reason, extra) = match &decision.reason {
                        Reason::ReachedQuota => ("reached-quota", None),
                        Reason::ReachedActiveVoteShare => ("reached-active-vote-share", None),
                        Reason::FilledRemainingSeats => ("filled-remaining-seats", None),
                        Reason::FewestVotes => ("fewest-votes", None),
                        Reason::ConstraintGuard { .. } => ("fewest-votes-unguarded", None),
                        Reason::BulkExclusion => ("bulk-exclusion", None),
                        Reason::MostVotes => ("most-votes", None),
                        Reason::Majority => ("majority", None),
                        Reason::ConstraintDoomed { needed, seats_left } => {
                            ("constraint-doomed", Some((needed, seats_left)))
                        }
                        Reason::ConstraintBlocked { needed, seats_left } => {
                            ("constraint-blocked", Some((needed, seats_left)))
                        }
                    };
                    m.insert("reason".into(), reason.into());
                    if let Some((needed, seats_left)) = extra {
                        m.insert("group_needs".into(), (*needed).into());
                        m.insert("seats_left".into(), (*seats_left).into());
                    }
                    Value::Object(m)
                })
                .collect();
            let ties: Vec<Value> = round
                .ties
                .iter()
                .map(|tie| {
                    let purpose = match tie.purpose {
                        TiePurpose::Exclusion => "exclusion",
                        TiePurpose::SurplusOrder => "surplus-order",
                        TiePurpose::Election => "election",
                    };
                    let basis = match &tie.basis {
                        TieBasis::Round(r) => j!({"type": "earlier-round", "round": r}),
                        TieBasis::Lot(order) => j!({"type": "lot", "order": names(order)}),
                    };
                    j!({"purpose": purpose, "tied": names(&tie.tied), "chosen": name(&tie.chosen), "basis": basis})
                })
                .collect();
            let status: Vec<Value> = round
                .status
                .iter()
                .map(|s| {
                    Value::from(match s {
                        CandidateStatus::Hopeful => "hopeful",
                        CandidateStatus::Elected => "elected",
                        CandidateStatus::Excluded => "excluded",
                        CandidateStatus::Withdrawn => "withdrawn",
                    })
                })
                .collect();
            let mut m = Map::new();
            m.insert("round".into(), round.number.into());
            m.insert("action".into(), action);
            m.insert("quota".into(), num(round.quota));
            m.insert("votes".into(), Value::Array(round.votes.iter().copied().map(num).collect()));
            m.insert("transfers".into(), Value::Array(round.transfers.iter().copied().map(num).collect()));
            m.insert("exhausted".into(), num(round.exhausted));
            m.insert("rounding".into(), num(round.rounding));
            m.insert("status".into(), Value::Array(status));
            m.insert("decisions".into(), Value::Array(decisions));
            m.insert("ties".into(), Value::Array(ties));
            if !round.keep_factors.is_empty() {
                m.insert(
                    "keep_factors".into(),
                    Value::Array(round.keep_factors.iter().copied().map(num).collect()),
                );
            }
            Value::Object(m)
        })
        .collect();
    let candidates: Vec<Value> = report
        .candidates
        .iter()
        .map(|c| j!({"name": c.name, "withdrawn": c.withdrawn, "gender": c.gender, "slate": c.slate}))
        .collect();
    let constraint = report.constraint.as_ref().map(|c| {
        let attribute = match c.attribute {
            Attribute::Gender => "gender",
            Attribute::Slate => "slate",
        };
        j!({"attribute": attribute, "value": c.value, "minimum": c.minimum})
    });
    let lot = match &report.lot {
        LotSource::Seed(seed) => j!({"type": "seed", "seed": hex(seed)}),
        LotSource::TieLine(order) => j!({"type": "tie-line", "order": names(order)}),
        LotSource::None => j!({"type": "none"}),
    };
    j!({
        "title": report.title,
        "method": report.method.name(),
        "rules": report.method.description(),
        "decimals": report.decimals,
        "seats": report.seats,
        "candidates": candidates,
        "ballots": {
            "total": report.ballots.total,
            "valid": report.ballots.valid,
            "blank": report.ballots.blank,
            "invalid": report.ballots.invalid,
        },
        "constraint": constraint,
        "lot": lot,
        "rounds": rounds,
        "elected": names(&report.elected),
    })
}
