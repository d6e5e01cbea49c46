//! The plain-English wording shared by the text and HTML renderers: stage actions, decision
//! reasons and tie explanations. Both print the same sentences, so a scrutineer reading either
//! sees the same account of the count.

use super::super::fixed::format_units;
use super::super::report::{
    Action, Decision, LotSource, Outcome, Reason, Report, Round, TieBasis, TieDecision, TiePurpose,
};
use super::super::{Attribute, CandidateIndex};

/// A candidate's name with control characters (which could rewrite a terminal or break a line)
/// replaced by U+FFFD. Names come from outside input.
pub(super) fn clean(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// `name` cut to at most `width` characters, ending in an ellipsis when cut.
pub(super) fn truncate(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return name.to_owned();
    }
    let mut cut: String = name.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A vote value at the report's precision.
pub(super) fn number(report: &Report, units: i64) -> String {
    format_units(units, report.decimals)
}

/// A change in votes, always signed ("+4.00000", "-34.00000", "0.00000").
pub(super) fn signed(report: &Report, units: i64) -> String {
    let text = format_units(units, report.decimals);
    if units > 0 { format!("+{text}") } else { text }
}

/// The full name of a candidate (cleaned).
pub(super) fn name(report: &Report, candidate: CandidateIndex) -> String {
    clean(
        report
            .candidates
            .get(candidate.get())
            .map_or("?", |c| c.name.as_str()),
    )
}

/// Names joined as "A", "A and B", "A, B and C".
pub(super) fn names(report: &Report, candidates: &[CandidateIndex]) -> String {
    let all: Vec<String> = candidates.iter().map(|c| name(report, *c)).collect();
    match all.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// What a stage did, in full: "First preferences", "Surplus of X (transfer value 0.03568)",
/// "Exclusion of Y".
pub(super) fn action(report: &Report, action: &Action) -> String {
    let value = |tv: &Option<i64>| match tv {
        Some(units) => format!(" (transfer value {})", number(report, *units)),
        None => String::new(),
    };
    match action {
        Action::FirstPreferences => "First preferences".to_owned(),
        Action::Surplus {
            candidate,
            transfer_value,
        } => {
            format!(
                "Surplus of {}{}",
                name(report, *candidate),
                value(transfer_value)
            )
        }
        Action::Exclusion {
            candidates,
            transfer_value,
        } => {
            format!(
                "Exclusion of {}{}",
                names(report, candidates),
                value(transfer_value)
            )
        }
        Action::MeekRound { iterations } => {
            let plural = if *iterations == 1 { "" } else { "s" };
            format!("Meek round ({iterations} iteration{plural} of the keep factors)")
        }
        Action::Count => "Count".to_owned(),
    }
}

/// The constraint's group, e.g. "gender W".
/// Positions of the candidates who stood (not withdrawn), in ballot-file order: the rows of
/// every stage table.
pub(super) fn standing(report: &Report) -> Vec<usize> {
    (0..report.candidates.len())
        .filter(|i| !report.candidates[*i].withdrawn)
        .collect()
}

fn group(report: &Report) -> String {
    match &report.constraint {
        Some(c) => {
            let attribute = match c.attribute {
                Attribute::Gender => "gender",
                Attribute::Slate => "slate",
            };
            format!("{attribute} {}", clean(&c.value))
        }
        None => "the constrained group".to_owned(),
    }
}

/// Why a decision was taken: "elected: reached the quota (1062.00000; quota 1054.00000)".
/// `index` is the round's position in `report.rounds`.
pub(super) fn reason(report: &Report, index: usize, decision: &Decision) -> String {
    let round = &report.rounds[index];
    let c = decision.candidate.get();
    let votes_now = round.votes.get(c).copied().unwrap_or(0);
    // An exclusion empties the candidate in the round that transfers their papers, so the votes
    // the decision was based on are those at the end of the previous round.
    let before = index
        .checked_sub(1)
        .and_then(|i| report.rounds[i].votes.get(c).copied());
    let had = match before {
        Some(v) => format!(" ({} votes at stage {})", number(report, v), index),
        None => String::new(),
    };
    let outcome = match decision.outcome {
        Outcome::Elected => "elected",
        Outcome::Excluded => "excluded",
    };
    let why = match &decision.reason {
        Reason::ReachedQuota => format!(
            "reached the quota ({} votes; quota {})",
            number(report, votes_now),
            number(report, round.quota)
        ),
        Reason::FilledRemainingSeats => {
            "the continuing candidates were as many as the seats left".to_owned()
        }
        Reason::ReachedActiveVoteShare => format!(
            "reached the active vote divided by the seats left plus one ({} votes), below the quota (ERS97 5.1.7(b))",
            number(report, votes_now)
        ),
        Reason::FewestVotes => format!("fewest votes{had}"),
        Reason::ConstraintGuard { passed_over } => {
            let names: Vec<&str> = passed_over.iter().map(|c| report.name(*c)).collect();
            format!(
                "fewest votes{had} among candidates the constraint allows to be excluded; passed over, because {} needs them: {}",
                group(report),
                names.join(", ")
            )
        }
        Reason::BulkExclusion => format!(
            "excluded together with others whose combined votes could not reach the next candidate{had}"
        ),
        Reason::MostVotes => format!("most votes ({})", number(report, votes_now)),
        Reason::Majority => format!(
            "more than half of the continuing votes ({})",
            number(report, votes_now)
        ),
        Reason::ConstraintDoomed { needed, seats_left } => {
            let group = group(report);
            if needed == seats_left {
                let all = if *seats_left == 1 {
                    "the last remaining seat".to_owned()
                } else {
                    format!("all {seats_left} remaining seats")
                };
                format!("the constraint needs {all} for {group}")
            } else {
                format!(
                    "the constraint needs {needed} more seats for {group} and only {seats_left} remain"
                )
            }
        }
        Reason::ConstraintBlocked { needed, seats_left } => format!(
            "reached the quota, but electing them would leave too few seats for {} (the constraint needs {needed} of the {seats_left} seats left)",
            group(report)
        ),
    };
    format!("{outcome}: {why}")
}

/// How the lot was drawn, for tie explanations.
fn lot(report: &Report) -> String {
    match &report.lot {
        LotSource::Seed(seed) => {
            let hex = base16ct::lower::encode_string(seed);
            format!("seed {hex}")
        }
        LotSource::TieLine(_) => "the order of the ballot file's [tie] line".to_owned(),
        LotSource::None => "no recorded source".to_owned(),
    }
}

/// A tie and how it was broken: "tie for exclusion between A and B, broken by votes at stage 2:
/// A excluded".
pub(super) fn tie(report: &Report, tie: &TieDecision) -> String {
    let (about, chosen) = match tie.purpose {
        TiePurpose::Exclusion => ("for exclusion", "chosen for exclusion"),
        TiePurpose::SurplusOrder => ("between equal surpluses", "surplus transferred first"),
        TiePurpose::Election => ("for the order of election", "elected first"),
    };
    let basis = match &tie.basis {
        TieBasis::Round(r) => format!("broken by votes at stage {r}"),
        TieBasis::Lot(order) => {
            format!(
                "broken by lot ({}; drawn order {})",
                lot(report),
                names(report, order)
            )
        }
    };
    format!(
        "tie {about} between {}, {basis}: {} {chosen}",
        names(report, &tie.tied),
        name(report, tie.chosen)
    )
}

/// The stage at which each elected candidate was elected, in order of election.
pub(super) fn elected_at(report: &Report) -> Vec<(CandidateIndex, Option<usize>)> {
    report
        .elected
        .iter()
        .map(|c| {
            let stage = report.rounds.iter().find(|r: &&Round| {
                r.decisions
                    .iter()
                    .any(|d| d.candidate == *c && d.outcome == Outcome::Elected)
            });
            (*c, stage.map(|r| r.number))
        })
        .collect()
}

/// The ballot totals as one sentence.
pub(super) fn ballots(report: &Report) -> String {
    let b = &report.ballots;
    format!(
        "{} in total: {} valid, {} blank, {} invalid (no unique first preference)",
        b.total, b.valid, b.blank, b.invalid
    )
}

/// The quota, or its range when the rule changes it round by round (Meek).
pub(super) fn quota(report: &Report) -> String {
    let first = report.rounds.first().map(|r| r.quota);
    let last = report.rounds.last().map(|r| r.quota);
    match (first, last) {
        (Some(f), Some(_)) if report.rounds.iter().all(|r| r.quota == f) => number(report, f),
        (Some(f), Some(l)) => {
            format!(
                "{} at stage 1, {} at the last stage",
                number(report, f),
                number(report, l)
            )
        }
        _ => "none (no stages)".to_owned(),
    }
}
