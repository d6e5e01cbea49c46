//! Scottish STV against official council count sheets and two independent counters.

use teller::core::count::{Action, Method, TieBasis, TiePurpose, format_units};

use crate::common::{csv_fields, data, load, name_set, run, scot_elex_expected};

const OFFICIAL_WARDS: [&str; 8] = [
    "scottish-official/dundee_2022_ward1",
    "scottish-official/dundee_2022_ward3",
    "scottish-official/dundee_2022_ward4",
    "scottish-official/dundee_2022_ward5",
    "scottish-official/dundee_2022_ward6",
    "scottish-official/dundee_2022_ward7",
    "scottish-official/glasgow_2007_linn",
    "scottish-tricky/dundee_2022_ward8",
];

/// Every stage, every candidate, to 5 decimal places, against the councils' official reports.
/// Official sheets print non-transferable votes and the rounding residue as one figure.
#[test]
fn matches_official_stage_reports_digit_for_digit() {
    for ward in OFFICIAL_WARDS {
        let election = load(&data(&format!("{ward}.blt")));
        let report = run(&election, Method::Scottish);
        let sheet = std::fs::read_to_string(data(&format!("{ward}.official_stages.csv"))).unwrap();
        let mut lines = sheet.lines().filter(|l| !l.is_empty());
        let header = csv_fields(lines.next().unwrap());
        let names = &header[2..header.len() - 2];
        let stages: Vec<Vec<String>> = lines.map(csv_fields).collect();
        assert_eq!(
            report.rounds.len(),
            stages.len(),
            "{ward}: number of stages"
        );
        for (round, stage) in report.rounds.iter().zip(&stages) {
            let at = round.number;
            for (i, name) in names.iter().enumerate() {
                let candidate = election
                    .candidate_by_name(name)
                    .unwrap_or_else(|| panic!("{ward}: candidate {name} in the official sheet"));
                assert_eq!(
                    format_units(round.votes[candidate.get()], 5),
                    stage[2 + i],
                    "{ward} stage {at}: {name}"
                );
            }
            let non_transferable = format_units(round.exhausted + round.rounding, 5);
            assert_eq!(
                non_transferable,
                stage[stage.len() - 2],
                "{ward} stage {at}: non-transferable"
            );
            let action = &stage[1];
            match &round.action {
                Action::FirstPreferences => assert_eq!(action, "first preferences"),
                Action::Surplus { candidate, .. } => {
                    assert!(action.starts_with("surplus"), "{ward} stage {at}: {action}");
                    assert_surname_in(action, report.name(*candidate), ward, at);
                }
                Action::Exclusion { candidates, .. } => {
                    assert!(action.starts_with("exclude"), "{ward} stage {at}: {action}");
                    assert_surname_in(action, report.name(candidates[0]), ward, at);
                }
                other => panic!("{ward} stage {at}: unexpected action {other:?}"),
            }
        }
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(data(&format!("{ward}.expected.json"))).unwrap(),
        )
        .unwrap();
        let expected_elected: Vec<&str> = expected["elected_in_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            name_set(report.elected_names()),
            name_set(expected_elected),
            "{ward}: elected"
        );
        assert_eq!(
            report.rounds[0].quota,
            expected["quota"].as_i64().unwrap() * 100_000,
            "{ward}: quota"
        );
    }
}

/// The official sheets spell some names differently from the ballot files (Mckenzie/McKenzie);
/// compare the surname case-insensitively.
fn assert_surname_in(action: &str, name: &str, ward: &str, stage: usize) {
    let surname = name
        .split(" (")
        .next()
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_lowercase();
    assert!(
        action.to_lowercase().contains(&surname),
        "{ward} stage {stage}: {action} vs {name}"
    );
}

/// All 1,095 Scottish council elections: the winners agree with Droop.py and OpenSTV, and the
/// number of stages with OpenSTV (which matches the official stage counts where checked).
#[test]
fn elects_the_reference_set_in_every_scot_elex_election() {
    let rows = scot_elex_expected();
    assert_eq!(rows.len(), 1095);
    let mut stage_mismatches = Vec::new();
    for row in &rows {
        let election = load(&data(&format!("scot-elex/blt/{}", row.file)));
        assert_eq!(election.seats(), row.seats, "{}", row.file);
        let report = run(&election, Method::Scottish);
        assert_eq!(
            name_set(report.elected_names()),
            name_set(row.scottish_elected.iter().map(String::as_str)),
            "{}",
            row.file
        );
        if report.rounds.len() != row.scottish_stages {
            stage_mismatches.push((row.file.clone(), report.rounds.len(), row.scottish_stages));
        }
        for round in &report.rounds {
            assert_eq!(
                round.accounted(),
                report.ballots.valid as i64 * 100_000,
                "{} round {}",
                row.file,
                round.number
            );
        }
    }
    assert_eq!(
        stage_mismatches,
        vec![],
        "stage counts differing from OpenSTV"
    );
}

#[test]
fn elects_the_reference_set_in_the_tricky_wards() {
    // dundee_2022_ward8 is checked stage by stage against its official sheet above.
    for ward in [
        "renfrewshire_2017_ward3",
        "glasgow_2012_ward5",
        "south_lanarkshire_2012_ward5",
        "shetland_2017_ward7",
    ] {
        let election = load(&data(&format!("scottish-tricky/{ward}.blt")));
        let report = run(&election, Method::Scottish);
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(data(&format!("scottish-tricky/{ward}.expected.json")))
                .unwrap(),
        )
        .unwrap();
        let scottish = &expected["results"]["scottish_stv"];
        let elected: Vec<&str> = scottish["elected_in_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            name_set(report.elected_names()),
            name_set(elected),
            "{ward}"
        );
        assert_eq!(
            report.rounds.len() as u64,
            scottish["stages_openstv"].as_u64().unwrap(),
            "{ward}: stages"
        );
    }
}

/// Rule 49(2): JIM SHARKEY and Neill GRAHAM have exactly equal surpluses (109.00000); SHARKEY had
/// more votes at the most recent stage at which they differed (stage 1), so his goes first.
#[test]
fn equal_surpluses_are_ordered_by_the_most_recent_differing_stage() {
    let election = load(&data("scottish-tricky/renfrewshire_2017_ward3.blt"));
    let report = run(&election, Method::Scottish);
    let ties: Vec<_> = report.rounds.iter().flat_map(|r| &r.ties).collect();
    let surplus_tie = ties
        .iter()
        .find(|t| t.purpose == TiePurpose::SurplusOrder)
        .expect("the equal surpluses are reported as a tie");
    assert_eq!(report.name(surplus_tie.chosen), "JIM SHARKEY (Lab)");
    assert!(
        matches!(surplus_tie.basis, TieBasis::Round(_)),
        "{:?}",
        surplus_tie.basis
    );
}
