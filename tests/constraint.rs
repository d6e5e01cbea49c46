//! The minimum-representation constraint (docs/COUNTING.md, "Minimum representation"): guard,
//! doom and block, shown in the report, for the STV methods.

use teller::core::count::{
    CandidateAttributes, Constraint, CountOptions, Election, Method, Outcome, Reason, Report,
    count, parse_blt,
};

fn election(blt: &str, genders: &[&str]) -> Election {
    let mut election = parse_blt(blt.as_bytes())
        .expect("test ballots parse")
        .election;
    let indices: Vec<_> = election.candidate_indices().collect();
    for (candidate, gender) in indices.into_iter().zip(genders) {
        let attributes = CandidateAttributes {
            gender: Some((*gender).to_owned()),
            slate: None,
        };
        election.set_attributes(candidate, attributes);
    }
    election
}

fn run(election: &Election, method: Method, rule: &str) -> Report {
    let options = CountOptions {
        method,
        seed: None,
        constraint: Some(rule.parse().expect("constraint")),
    };
    count(election, &options).expect("the count completes")
}

fn reasons(report: &Report) -> Vec<(String, Outcome, Reason)> {
    report
        .rounds
        .iter()
        .flat_map(|r| &r.decisions)
        .map(|d| {
            (
                report.name(d.candidate).to_owned(),
                d.outcome,
                d.reason.clone(),
            )
        })
        .collect()
}

#[test]
fn dooms_every_man_when_the_women_need_every_remaining_seat() {
    let blt = "4 2\n40 1 3 0\n30 2 4 0\n20 3 0\n10 4 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"doom\"\n";
    let election = election(blt, &["M", "M", "W", "W"]);
    let report = run(&election, Method::Scottish, "gender=W:2");
    // B (fewest of the doomed) goes first and elects D; then A, who had reached the quota.
    assert_eq!(report.elected_names(), ["D", "C"]);
    let decisions = reasons(&report);
    let doomed = Reason::ConstraintDoomed {
        needed: 2,
        seats_left: 2,
    };
    let blocked = Reason::ConstraintBlocked {
        needed: 1,
        seats_left: 1,
    };
    assert!(
        decisions.contains(&("B".into(), Outcome::Excluded, doomed)),
        "{decisions:?}"
    );
    assert!(
        decisions.contains(&("A".into(), Outcome::Excluded, blocked)),
        "{decisions:?}"
    );
}

#[test]
fn blocks_a_man_who_reaches_the_quota_when_the_last_seat_must_go_to_a_woman() {
    // Quota floor(100/3)+1 = 34: A and B both reach it at stage 1, but electing both would leave
    // no seat for a woman.
    let blt = "3 2\n40 1 0\n35 2 3 0\n25 3 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"block\"\n";
    let election = election(blt, &["M", "M", "W"]);
    let unconstrained = count(
        &election,
        &CountOptions {
            method: Method::Scottish,
            seed: None,
            constraint: None,
        },
    )
    .unwrap();
    assert_eq!(unconstrained.elected_names(), ["A", "B"]);
    let report = run(&election, Method::Scottish, "gender=W:1");
    assert_eq!(report.elected_names(), ["A", "C"]);
    let blocked = Reason::ConstraintBlocked {
        needed: 1,
        seats_left: 1,
    };
    assert!(reasons(&report).contains(&("B".into(), Outcome::Excluded, blocked)));
}

#[test]
fn guards_the_last_women_from_exclusion_and_says_who_was_passed_over() {
    // One seat needs a woman; C (W) has the fewest votes but is the only woman left.
    let blt = "3 1\n40 1 0\n35 2 0\n25 3 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"guard\"\n";
    let election = election(blt, &["M", "M", "W"]);
    let report = run(&election, Method::Scottish, "gender=W:1");
    assert_eq!(report.elected_names(), ["C"]);
    let decisions = reasons(&report);
    assert!(decisions.iter().any(|(name, outcome, reason)| name == "A"
        && *outcome == Outcome::Excluded
        && matches!(reason, Reason::ConstraintDoomed { .. })));
}

/// The NEC-shaped example: unconstrained Scottish STV elects 3 women of 9 (Droop.py, OpenSTV:
/// tests/data/stv/synthetic/README.md); with "at least 5 women" it must elect at least 5, and
/// every exclusion the constraint forced is in the report.
#[test]
fn nec_example_elects_at_least_five_women_under_the_constraint() {
    let blt = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/example/nec.blt")).unwrap();
    let mut election = parse_blt(&blt).unwrap().election;
    let indices: Vec<_> = election.candidate_indices().collect();
    for candidate in indices {
        let name = election.candidates()[candidate.get()].name.clone();
        let gender = name.split_whitespace().nth(1).unwrap().to_owned();
        election.set_attributes(
            candidate,
            CandidateAttributes {
                gender: Some(gender),
                slate: None,
            },
        );
    }
    for method in [Method::Scottish, Method::Ers97] {
        let women = |report: &Report| {
            report
                .elected_names()
                .iter()
                .filter(|n| n.split_whitespace().nth(1) == Some("W"))
                .count()
        };
        let free = count(
            &election,
            &CountOptions {
                method,
                seed: None,
                constraint: None,
            },
        )
        .unwrap();
        assert!(
            women(&free) < 5,
            "{method}: the constraint must bind on this file"
        );
        let report = run(&election, method, "gender=W:5");
        assert!(
            women(&report) >= 5,
            "{method}: {:?}",
            report.elected_names()
        );
        assert_eq!(report.elected.len(), 9);
        let forced = reasons(&report)
            .into_iter()
            .filter(|(_, _, r)| {
                matches!(
                    r,
                    Reason::ConstraintGuard { .. }
                        | Reason::ConstraintDoomed { .. }
                        | Reason::ConstraintBlocked { .. }
                )
            })
            .count();
        assert!(
            forced > 0,
            "{method}: constraint-driven exclusions are reported"
        );
    }
}

#[test]
fn refuses_a_constraint_no_result_can_satisfy() {
    let blt = "3 2\n1 1 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"t\"\n";
    let election = election(blt, &["M", "M", "W"]);
    let options = CountOptions {
        method: Method::Scottish,
        seed: None,
        constraint: Some("gender=W:2".parse::<Constraint>().unwrap()),
    };
    let err = count(&election, &options).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the constraint needs 2 seats for its group, but there are 2 seats and 1 group candidates standing"
    );
}
