//! Boundary cases for every method (STYLE.md §5 "boundary tables"): as many seats as candidates,
//! one seat, a candidate exactly at the quota, blank and invalid ballots, withdrawn candidates.

use teller::core::count::{
    Action, CountError, CountOptions, Method, Outcome, Reason, Report, count, parse_blt,
};

fn run(blt: &str, method: Method) -> Result<Report, CountError> {
    let election = parse_blt(blt.as_bytes())
        .expect("test ballots parse")
        .election;
    count(
        &election,
        &CountOptions {
            method,
            seed: Some(vec![1]),
            constraint: None,
        },
    )
}

const STV: [Method; 3] = [Method::Scottish, Method::Meek, Method::Ers97];

#[test]
fn as_many_seats_as_candidates_elects_everyone_at_once() {
    let blt = "3 3\n5 1 2 0\n3 2 0\n1 3 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"all\"\n";
    for method in [Method::Scottish, Method::Meek, Method::Ers97, Method::Block] {
        let report = run(blt, method).unwrap();
        let mut elected = report.elected_names();
        elected.sort_unstable();
        assert_eq!(elected, ["A", "B", "C"], "{method}");
    }
}

#[test]
fn one_seat_stv_agrees_with_irv() {
    // 9 ballots: A 4, B 3, C 2 (C's go to B). Quota 5 (Scottish). B wins after C's exclusion.
    let blt = "3 1\n4 1 0\n3 2 0\n2 3 2 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"one\"\n";
    for method in [Method::Scottish, Method::Meek, Method::Ers97, Method::Irv] {
        assert_eq!(run(blt, method).unwrap().elected_names(), ["B"], "{method}");
    }
}

#[test]
fn a_candidate_exactly_at_the_quota_is_elected_with_no_surplus_to_transfer() {
    // 12 ballots, 2 seats: Scottish quota = floor(12/3)+1 = 5; A has exactly 5.
    let blt = "3 2\n5 1 2 0\n4 2 0\n3 3 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"at quota\"\n";
    let report = run(blt, Method::Scottish).unwrap();
    let first = &report.rounds[0];
    assert_eq!(first.quota, 5_00000);
    assert!(
        first
            .decisions
            .iter()
            .any(|d| report.name(d.candidate) == "A"
                && d.outcome == Outcome::Elected
                && d.reason == Reason::ReachedQuota)
    );
    assert!(
        !report
            .rounds
            .iter()
            .any(|r| matches!(r.action, Action::Surplus { .. })),
        "a zero surplus is not transferred"
    );
    assert_eq!(report.elected_names(), ["A", "B"]);
}

#[test]
fn blank_and_invalid_ballots_are_reported_not_counted() {
    // Line 3 ranks only the withdrawn D (blank); line 4 ranks A=B first (invalid).
    let blt = "4 1\n-4\n3 1 0\n2 4 0\n1 1=2 3 0\n2 2 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"t\"\n";
    for method in STV {
        let report = run(blt, method).unwrap();
        assert_eq!(report.ballots.total, 8, "{method}");
        assert_eq!(report.ballots.valid, 5, "{method}");
        assert_eq!(report.ballots.blank, 2, "{method}");
        assert_eq!(report.ballots.invalid, 1, "{method}");
        assert!(report.candidates[3].withdrawn);
        assert!(!report.elected_names().contains(&"D"), "{method}");
    }
}

#[test]
fn a_file_with_no_valid_ballot_is_refused_with_a_reason() {
    let blt = "2 1\n3 0\n0\n\"A\"\n\"B\"\n\"empty\"\n";
    for method in Method::ALL {
        assert_eq!(
            run(blt, method).unwrap_err(),
            CountError::NoValidBallots,
            "{method}"
        );
    }
}
