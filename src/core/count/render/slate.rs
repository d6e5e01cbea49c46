//! Slate summaries: first preferences by slate, and where each slate's transfers went.
//!
//! People in these elections argue about slate loyalty and split-ticket voting (DESIGN.md,
//! "Reports"), so the results show both. Everything here is grouping of numbers already in the
//! [`Report`]: the first round's votes summed by slate, and each transfer round's `transfers`
//! summed by the receiving candidate's slate and attributed to the slate of the round's source
//! (the candidate whose surplus moved, or the excluded candidates). Nothing is recounted.

use super::super::election::CandidateIndex;
use super::super::report::{Action, Report, Round};

/// A group of candidates in the slate summaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlateGroup {
    /// Candidates who stood on this slate.
    Named(String),
    /// Candidates with no slate recorded.
    NoSlate,
}

impl SlateGroup {
    /// The group's name as reports print it.
    pub fn label(&self) -> &str {
        match self {
            SlateGroup::Named(name) => name,
            SlateGroup::NoSlate => "(no slate)",
        }
    }
}

/// Where the votes of a transfer round came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowSource {
    /// Candidates of one group (index into [`SlateSummary::groups`]).
    Group(usize),
    /// An exclusion of several candidates from different groups at once: their papers moved
    /// together, so the report cannot say which group's votes went where.
    Mixed,
}

/// Transfers from one source, summed over every transfer round from that source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlateFlow {
    /// Whose votes moved.
    pub from: FlowSource,
    /// The rounds summed (1-based round numbers).
    pub rounds: Vec<usize>,
    /// Votes that left the source candidates (the negated sum of their transfers).
    pub out: i64,
    /// Votes received by each group's candidates, in the order of [`SlateSummary::groups`].
    pub to: Vec<i64>,
    /// Votes that became non-transferable (exhausted) in these rounds.
    pub exhausted: i64,
    /// Votes lost to rounding in these rounds (negative: gained).
    pub rounding: i64,
}

/// First preferences and transfers grouped by slate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlateSummary {
    /// Decimal places of every vote value here (the report's).
    pub decimals: u32,
    /// The groups: named slates in order of their first candidate in the ballot file, then
    /// [`SlateGroup::NoSlate`] when some standing candidate has no slate.
    pub groups: Vec<SlateGroup>,
    /// The standing (not withdrawn) candidates of each group, in ballot-file order.
    pub members: Vec<Vec<CandidateIndex>>,
    /// First-preference votes of each group, when the report's first round is a
    /// first-preference (or single-pass) count.
    pub first_preferences: Option<Vec<i64>>,
    /// One row per source group that transferred votes, in group order, then [`FlowSource::Mixed`].
    pub flows: Vec<SlateFlow>,
    /// Transfer rounds that have no single source (Meek rounds redistribute every elected
    /// candidate's surplus at once), so they are left out of `flows`.
    pub unattributed_rounds: Vec<usize>,
}

impl SlateSummary {
    /// The sentence that says which stages the flows leave out, if any (plain text, no markup).
    pub fn unattributed_note(&self) -> Option<String> {
        if self.unattributed_rounds.is_empty() {
            return None;
        }
        let stages: Vec<String> = (self.unattributed_rounds.iter())
            .map(usize::to_string)
            .collect();
        Some(format!(
            "Stages {} move votes from several candidates at once and are not attributed to a slate.",
            stages.join(", ")
        ))
    }
}

/// Standing candidates grouped by slate.
pub(super) struct SlateGroups {
    /// Named slates in order of their first candidate, then [`SlateGroup::NoSlate`] when some
    /// standing candidate has no slate.
    pub groups: Vec<SlateGroup>,
    /// The standing candidates of each group, in candidate order.
    pub members: Vec<Vec<CandidateIndex>>,
    /// Each candidate's group; `None` for the withdrawn, who never hold votes.
    pub group_of: Vec<Option<usize>>,
}

impl SlateGroups {
    /// The groups of candidates given as `(withdrawn, slate)` in candidate order.
    pub(super) fn new<'a>(candidates: impl Iterator<Item = (bool, Option<&'a str>)>) -> Self {
        let mut groups: Vec<SlateGroup> = Vec::new();
        let mut members: Vec<Vec<CandidateIndex>> = Vec::new();
        let mut no_slate: Vec<CandidateIndex> = Vec::new();
        let mut group_of: Vec<Option<usize>> = Vec::new();
        for (i, (withdrawn, slate)) in candidates.enumerate() {
            group_of.push(None);
            if withdrawn {
                continue;
            }
            // Candidate indices fit in u16: the election refuses more than MAX_CANDIDATES.
            let index = CandidateIndex::new(i as u16);
            match slate {
                Some(slate) => {
                    let named = SlateGroup::Named(slate.to_owned());
                    let at = groups.iter().position(|g| *g == named).unwrap_or_else(|| {
                        groups.push(named);
                        members.push(Vec::new());
                        groups.len() - 1
                    });
                    members[at].push(index);
                    group_of[i] = Some(at);
                }
                None => no_slate.push(index),
            }
        }
        if !no_slate.is_empty() {
            for c in &no_slate {
                group_of[c.get()] = Some(groups.len());
            }
            groups.push(SlateGroup::NoSlate);
            members.push(no_slate);
        }
        Self {
            groups,
            members,
            group_of,
        }
    }
}

/// The slate summary of `report`, or `None` when no candidate has a slate.
pub fn slate_summary(report: &Report) -> Option<SlateSummary> {
    if report.candidates.iter().all(|c| c.slate.is_none()) {
        return None;
    }
    let SlateGroups {
        groups,
        members,
        group_of,
    } = SlateGroups::new(
        report
            .candidates
            .iter()
            .map(|c| (c.withdrawn, c.slate.as_deref())),
    );
    let first_preferences = report
        .rounds
        .first()
        .filter(|r| matches!(r.action, Action::FirstPreferences | Action::Count))
        .map(|round| group_sum(&round.votes, &group_of, groups.len()));
    let (flows, unattributed_rounds) = flows(report, &group_of, groups.len());
    Some(SlateSummary {
        decimals: report.decimals,
        groups,
        members,
        first_preferences,
        flows,
        unattributed_rounds,
    })
}

/// Sums per-candidate `values` into their groups.
fn group_sum(values: &[i64], group_of: &[Option<usize>], groups: usize) -> Vec<i64> {
    let mut sums = vec![0; groups];
    for (value, group) in values.iter().zip(group_of) {
        if let Some(g) = group {
            sums[*g] += value;
        }
    }
    sums
}

fn flows(
    report: &Report,
    group_of: &[Option<usize>],
    groups: usize,
) -> (Vec<SlateFlow>, Vec<usize>) {
    let mut rows: Vec<Option<SlateFlow>> = vec![None; groups + 1];
    let mut unattributed = Vec::new();
    let mut previous: Option<&Round> = None;
    for round in &report.rounds {
        let sources: Vec<CandidateIndex> = match &round.action {
            Action::Surplus { candidate, .. } => vec![*candidate],
            Action::Exclusion { candidates, .. } => candidates.clone(),
            Action::FirstPreferences | Action::Count => Vec::new(),
            Action::MeekRound { .. } => {
                if round.transfers.iter().any(|t| *t != 0) {
                    unattributed.push(round.number);
                }
                Vec::new()
            }
        };
        let (exhausted_before, rounding_before) =
            previous.map_or((0, 0), |p| (p.exhausted, p.rounding));
        previous = Some(round);
        if sources.is_empty() {
            continue;
        }
        let source_groups: Vec<Option<usize>> = sources
            .iter()
            .map(|c| group_of.get(c.get()).copied().flatten())
            .collect();
        let row = match source_groups.first().copied().flatten() {
            Some(g) if source_groups.iter().all(|s| *s == Some(g)) => g,
            _ => groups, // the Mixed row
        };
        let flow = rows[row].get_or_insert_with(|| SlateFlow {
            from: if row == groups {
                FlowSource::Mixed
            } else {
                FlowSource::Group(row)
            },
            rounds: Vec::new(),
            out: 0,
            to: vec![0; groups],
            exhausted: 0,
            rounding: 0,
        });
        flow.rounds.push(round.number);
        for (i, transfer) in round.transfers.iter().enumerate() {
            if sources.iter().any(|s| s.get() == i) {
                flow.out -= transfer;
            } else if let Some(Some(g)) = group_of.get(i) {
                flow.to[*g] += transfer;
            }
        }
        flow.exhausted += round.exhausted - exhausted_before;
        flow.rounding += round.rounding - rounding_before;
    }
    (rows.into_iter().flatten().collect(), unattributed)
}

/// `part` as a percentage of `whole` with one decimal place, rounded half up, computed in
/// integers ("12.3"); "-" when `whole` is not positive.
pub(super) fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "-".to_owned();
    }
    let tenths = (i128::from(part) * 2000 + i128::from(whole)).div_euclid(2 * i128::from(whole));
    let sign = if tenths < 0 { "-" } else { "" };
    let tenths = tenths.unsigned_abs();
    format!("{sign}{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::count::{BallotTotals, CandidateStatus, LotSource, Method, ReportCandidate};

    fn candidate(name: &str, slate: Option<&str>) -> ReportCandidate {
        ReportCandidate {
            name: name.to_owned(),
            withdrawn: false,
            gender: None,
            slate: slate.map(str::to_owned),
        }
    }

    fn round(
        number: usize,
        action: Action,
        votes: [i64; 4],
        transfers: [i64; 4],
        exhausted: i64,
        rounding: i64,
    ) -> Round {
        Round {
            number,
            action,
            quota: 0,
            votes: votes.to_vec(),
            transfers: transfers.to_vec(),
            exhausted,
            rounding,
            status: vec![CandidateStatus::Hopeful; 4],
            decisions: Vec::new(),
            ties: Vec::new(),
            keep_factors: Vec::new(),
        }
    }

    /// Four candidates: A and C on "Red", B on "Blue", D on no slate. Figures invented for the
    /// test and conserved in every round (total 100).
    fn report(slates: [Option<&str>; 4]) -> Report {
        let c = CandidateIndex::new;
        Report {
            title: "t".into(),
            method: Method::Scottish,
            decimals: 0,
            seats: 1,
            candidates: ["A", "B", "C", "D"]
                .iter()
                .zip(slates)
                .map(|(n, s)| candidate(n, s))
                .collect(),
            ballots: BallotTotals {
                total: 100,
                valid: 100,
                blank: 0,
                invalid: 0,
            },
            constraint: None,
            lot: LotSource::None,
            rounds: vec![
                round(
                    1,
                    Action::FirstPreferences,
                    [40, 30, 20, 10],
                    [40, 30, 20, 10],
                    0,
                    0,
                ),
                // A's surplus of 6: 3 to C (Red), 2 to B (Blue), 1 exhausted.
                round(
                    2,
                    Action::Surplus {
                        candidate: c(0),
                        transfer_value: None,
                    },
                    [34, 32, 23, 10],
                    [-6, 2, 3, 0],
                    1,
                    0,
                ),
                // D excluded: 4 to B, 5 to C, 1 exhausted.
                round(
                    3,
                    Action::Exclusion {
                        candidates: vec![c(3)],
                        transfer_value: None,
                    },
                    [34, 36, 28, 0],
                    [0, 4, 5, -10],
                    2,
                    0,
                ),
                // C excluded: 20 to B, 7 exhausted, 1 lost to rounding.
                round(
                    4,
                    Action::Exclusion {
                        candidates: vec![c(2)],
                        transfer_value: None,
                    },
                    [34, 56, 0, 0],
                    [0, 20, -28, 0],
                    9,
                    1,
                ),
            ],
            elected: Vec::new(),
        }
    }

    #[test]
    fn no_summary_without_slates() {
        assert_eq!(slate_summary(&report([None; 4])), None);
    }

    #[test]
    fn groups_first_preferences_by_slate() {
        let summary = slate_summary(&report([Some("Red"), Some("Blue"), Some("Red"), None]));
        let summary = summary.expect("slates are set");
        assert_eq!(
            summary.groups,
            [
                SlateGroup::Named("Red".into()),
                SlateGroup::Named("Blue".into()),
                SlateGroup::NoSlate
            ]
        );
        assert_eq!(
            summary.members,
            [
                vec![CandidateIndex::new(0), CandidateIndex::new(2)],
                vec![CandidateIndex::new(1)],
                vec![CandidateIndex::new(3)]
            ]
        );
        assert_eq!(summary.first_preferences, Some(vec![60, 30, 10]));
    }

    #[test]
    fn sums_transfers_by_source_and_receiving_slate() {
        let summary = slate_summary(&report([Some("Red"), Some("Blue"), Some("Red"), None]));
        let summary = summary.expect("slates are set");
        // Red transferred in rounds 2 (A's surplus) and 4 (C's exclusion); no-slate D in round 3.
        let red = SlateFlow {
            from: FlowSource::Group(0),
            rounds: vec![2, 4],
            out: 6 + 28,
            to: vec![3, 2 + 20, 0],
            exhausted: 1 + 7,
            rounding: 1,
        };
        let none = SlateFlow {
            from: FlowSource::Group(2),
            rounds: vec![3],
            out: 10,
            to: vec![5, 4, 0],
            exhausted: 1,
            rounding: 0,
        };
        assert_eq!(summary.flows, [red, none]);
        for flow in &summary.flows {
            assert_eq!(
                flow.out,
                flow.to.iter().sum::<i64>() + flow.exhausted + flow.rounding
            );
        }
    }

    #[test]
    fn exclusion_across_slates_is_mixed() {
        let mut report = report([Some("Red"), Some("Blue"), Some("Red"), Some("Blue")]);
        report.rounds[3].action = Action::Exclusion {
            candidates: vec![CandidateIndex::new(2), CandidateIndex::new(3)],
            transfer_value: None,
        };
        let summary = slate_summary(&report).expect("slates are set");
        let mixed = summary
            .flows
            .iter()
            .find(|f| f.from == FlowSource::Mixed)
            .expect("a mixed row");
        assert_eq!(mixed.rounds, [4]);
        assert_eq!(mixed.out, 28);
        assert_eq!(mixed.to, [0, 20]);
    }

    #[test]
    fn withdrawn_candidates_are_in_no_group() {
        let mut report = report([Some("Red"), Some("Blue"), Some("Red"), Some("Green")]);
        report.candidates[3].withdrawn = true;
        let summary = slate_summary(&report).expect("slates are set");
        assert_eq!(summary.groups.len(), 2);
        assert_eq!(summary.first_preferences, Some(vec![60, 30]));
    }

    #[test]
    fn percent_rounds_half_up_in_integers() {
        assert_eq!(percent(1, 3), "33.3");
        assert_eq!(percent(2, 3), "66.7");
        assert_eq!(percent(1, 8), "12.5");
        assert_eq!(percent(1, 16), "6.3");
        assert_eq!(percent(0, 5), "0.0");
        assert_eq!(percent(5, 5), "100.0");
        assert_eq!(percent(1, 0), "-");
    }
}
