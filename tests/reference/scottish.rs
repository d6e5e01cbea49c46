//! Scottish STV against official council count sheets and two independent counters.

use teller::core::count::{
    Action, CandidateIndex, CountOptions, Method, Outcome, TieBasis, TiePurpose, count,
    format_units, parse_blt,
};

use crate::common::{
    csv_fields, data, load, name_set, run, scot_elex_expected, with_file_order_tie_line,
};
use crate::droop_report::{DroopAction, parse_droop_report};

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

/// Glasgow 2007 wards: Droop.py's report name, and the same election's ballot file in scot-elex
/// (Droop.py's own copies of these ballots are not kept; see droop-tests/README.md).
const GLASGOW_2007: [(&str, &str); 21] = [
    ("Anderston-City", "anderston"),
    ("Baillieston", "baillieston"),
    ("Calton", "calton"),
    ("Canal", "canal"),
    ("Craigton", "craigton"),
    ("Drumchapel-Anniesland", "drumchapel"),
    ("East-Centre", "eastcentre"),
    ("Garscadden-Scotsounhill", "garscadden"),
    ("Govan", "govan"),
    ("Greater-Pollock", "greater_pollok"),
    ("Hillhead", "hillhead"),
    ("Langside", "langside"),
    ("Linn", "linn"),
    ("Maryhill-Kelvin", "maryhill"),
    ("Newlands-Auldburn", "newlands"),
    ("North-East", "north_east"),
    ("Partick-West", "partick"),
    ("Pollokshields", "pollokshields"),
    ("Shettleston", "shettleston"),
    ("Southside-Central", "southsidecentral"),
    ("Springburn", "springburn"),
];

/// Every Droop.py `scotland` report in tests/data/stv, with its ballot file.
fn droop_scotland_reports() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for name in [
        "42", "42t", "42u", "513", "M135", "SC-Vm-12", "SC", "SCw", "SCwopt",
    ] {
        out.push((
            format!("droop-tests/ref/report/{name}-scotland-fixed-p5-d5.txt"),
            format!("droop-tests/blt/{name}.blt"),
        ));
    }
    for name in ["weak-defeat", "weak-surplus"] {
        out.push((
            format!("droop-tests/ref/report/scotland/{name}-scotland-fixed-p5-d5.txt"),
            format!("droop-tests/blt/scotland/{name}.blt"),
        ));
    }
    for (report, ward) in GLASGOW_2007 {
        out.push((
            format!("droop-tests/ref/report/scotland/{report}-2007-scotland-fixed-p5-d5.txt"),
            format!("scot-elex/blt/glasgow_2007_{ward}.blt"),
        ));
    }
    for ward in [
        "dundee_2022_ward8",
        "glasgow_2012_ward5",
        "renfrewshire_2017_ward3",
        "shetland_2017_ward7",
        "south_lanarkshire_2012_ward5",
    ] {
        out.push((
            format!("scottish-tricky/{ward}.droop_scotland_report.txt"),
            format!("scottish-tricky/{ward}.blt"),
        ));
    }
    out
}

/// Differences between Teller's Scottish STV count and one Droop.py `scotland` report: stage by
/// stage, each candidate's votes, non-transferable votes and rounding residue, what the stage
/// did, who was elected or excluded at it, and the order of election.
fn differences_from_droop(report_file: &str, ballots: &str) -> Vec<String> {
    let text = std::fs::read_to_string(data(report_file)).expect("report in the repository");
    let droop = parse_droop_report(&text);
    // Droop.py breaks ties left to lot by its tie order, the file order unless a [tie] line gives
    // one; the same line makes Teller's lot agree (see `with_file_order_tie_line`).
    let bytes = std::fs::read(data(ballots)).expect("ballots in the repository");
    let bytes = if String::from_utf8_lossy(&bytes).contains("[tie") {
        bytes
    } else {
        let candidates = load(&data(ballots)).candidates().len();
        with_file_order_tie_line(&bytes, candidates)
    };
    let election = parse_blt(&bytes).expect("a valid ballot file").election;
    let options = CountOptions {
        method: Method::Scottish,
        seed: None,
        constraint: None,
    };
    let report = match count(&election, &options) {
        Ok(report) => report,
        Err(e) => return vec![format!("Teller does not count it: {e}")],
    };
    // Droop.py's names for the Glasgow wards lack the party suffix the scot-elex files carry,
    // and some differ in case (MacKay, Mackay) or a trailing space.
    let index = |name: &str| {
        election.candidate_by_name(name).or_else(|| {
            let wanted = name.trim().to_lowercase();
            election.candidate_indices().find(|c| {
                let ours = &election.candidates()[c.get()].name;
                ours.split(" (").next().map(|n| n.trim().to_lowercase()) == Some(wanted.clone())
            })
        })
    };
    let mut out = Vec::new();
    for name in &droop.names {
        if index(name).is_none() {
            out.push(format!("no candidate {name:?} in {ballots}"));
        }
    }
    if !out.is_empty() {
        return out;
    }
    let name_of = |c: CandidateIndex| droop.names.iter().find(|n| index(n) == Some(c)).cloned();
    if format_units(report.rounds[0].quota, 5) != droop.quota {
        out.push(format!(
            "quota: Teller {}, Droop {}",
            format_units(report.rounds[0].quota, 5),
            droop.quota
        ));
    }

    // Droop's stages: the first-preference tallies, then one per transfer. The elections and
    // exclusions it announces between two tallies belong to the stage of the earlier tally.
    struct Stage<'a> {
        tally: &'a DroopAction,
        elected: Vec<&'a str>,
        elected_remaining: Vec<&'a str>,
        excluded_next: Option<&'a str>,
    }
    let mut stages: Vec<Stage> = Vec::new();
    for action in &droop.actions {
        // Droop.py makes a stage of transferring a surplus of 0 (a candidate elected with exactly
        // the quota); Teller, OpenSTV and the official sheets do not, as there is nothing to
        // transfer (rule 48 applies to a surplus). Such a stage must leave every tally unchanged.
        if action.kind == "Surplus transferred" && action.value == "0.00000" {
            let previous = stages.last().expect("after Begin Count").tally;
            if (
                &previous.votes,
                &previous.nontransferable,
                &previous.residual,
            ) != (&action.votes, &action.nontransferable, &action.residual)
            {
                out.push(format!(
                    "Droop's zero surplus of {} changes the tallies",
                    action.subject
                ));
            }
            continue;
        }
        match action.kind.as_str() {
            "Begin Count" | "Surplus transferred" | "Transfer defeated" => stages.push(Stage {
                tally: action,
                elected: Vec::new(),
                elected_remaining: Vec::new(),
                excluded_next: None,
            }),
            "Elect, transfer pending" => {
                stages
                    .last_mut()
                    .expect("after Begin Count")
                    .elected
                    .push(&action.subject);
            }
            "Elect remaining candidates" => stages
                .last_mut()
                .expect("after Begin Count")
                .elected_remaining
                .push(&action.subject),
            "Defeat low candidate" => {
                stages.last_mut().expect("after Begin Count").excluded_next = Some(&action.subject);
            }
            _ => {}
        }
    }
    if stages.len() != report.rounds.len() {
        out.push(format!(
            "stages: Teller {}, Droop {}",
            report.rounds.len(),
            stages.len()
        ));
    }
    // Teller's order of election, stage by stage, as checked against Droop's below.
    let mut teller_order = Vec::new();
    for (round, stage) in report.rounds.iter().zip(&stages) {
        let at = round.number;
        for (name, votes) in &stage.tally.votes {
            let c = index(name).expect("checked above");
            let teller = format_units(round.votes[c.get()], 5);
            if &teller != votes {
                out.push(format!(
                    "stage {at}: {name}: Teller {teller}, Droop {votes}"
                ));
            }
        }
        let teller_nt = format_units(round.exhausted, 5);
        let teller_residual = format_units(round.rounding, 5);
        if (teller_nt.as_str(), teller_residual.as_str())
            != (
                stage.tally.nontransferable.as_str(),
                stage.tally.residual.as_str(),
            )
        {
            out.push(format!(
                "stage {at}: non-transferable/residual: Teller {teller_nt}/{teller_residual}, Droop {}/{}",
                stage.tally.nontransferable, stage.tally.residual
            ));
        }
        let teller_action = match &round.action {
            Action::FirstPreferences => "Begin Count".to_owned(),
            Action::Surplus { candidate, .. } => {
                format!(
                    "Surplus transferred: {}",
                    name_of(*candidate).unwrap_or_default()
                )
            }
            Action::Exclusion { candidates, .. } => {
                let names: Vec<String> = candidates.iter().filter_map(|c| name_of(*c)).collect();
                format!("Transfer defeated: {}", names.join(", "))
            }
            other => format!("{other:?}"),
        };
        let droop_action = if stage.tally.subject.is_empty() {
            stage.tally.kind.clone()
        } else {
            format!("{}: {}", stage.tally.kind, stage.tally.subject)
        };
        if teller_action != droop_action {
            out.push(format!(
                "stage {at}: Teller {teller_action}, Droop {droop_action}"
            ));
        }
        let decided = |outcome: Outcome| -> Vec<String> {
            round
                .decisions
                .iter()
                .filter(|d| d.outcome == outcome)
                .filter_map(|d| name_of(d.candidate))
                .collect()
        };
        // Elected on reaching the quota: the rules fix the order by votes, largest first; between
        // equal votes neither report's order is a rule's (Droop.py lists them in its own order
        // and draws no lot for it), so the order is compared as the sequence of votes and the
        // names as a set. The last places filled by the remaining candidates (rule 50) are
        // compared as a set.
        let elected = decided(Outcome::Elected);
        let (by_quota, remaining) = elected.split_at(stage.elected.len().min(elected.len()));
        let votes_of = |name: &str| round.votes[index(name).expect("checked above").get()];
        let sorted = |names: Vec<String>| {
            let mut names = names;
            names.sort();
            names
        };
        let droop_by_quota: Vec<String> = stage.elected.iter().map(|s| (*s).to_owned()).collect();
        let same_by_quota = sorted(by_quota.to_vec()) == sorted(droop_by_quota.clone())
            && by_quota.iter().map(|n| votes_of(n)).collect::<Vec<_>>()
                == droop_by_quota
                    .iter()
                    .map(|n| votes_of(n))
                    .collect::<Vec<_>>();
        let droop_remaining: Vec<String> = stage
            .elected_remaining
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        if !same_by_quota || sorted(remaining.to_vec()) != sorted(droop_remaining) {
            out.push(format!(
                "stage {at}: elected: Teller {elected:?}, Droop {:?} then {:?}",
                stage.elected, stage.elected_remaining
            ));
        }
        teller_order.extend(elected);
        // Droop announces an exclusion before the tally that transfers it; Teller records it in
        // that transfer's stage.
        let excluded = decided(Outcome::Excluded);
        let droop_excluded: Vec<&str> = at
            .checked_sub(2)
            .and_then(|previous| stages.get(previous))
            .and_then(|previous| previous.excluded_next)
            .into_iter()
            .collect();
        if excluded != droop_excluded {
            out.push(format!(
                "stage {at}: excluded: Teller {excluded:?}, Droop {droop_excluded:?}"
            ));
        }
    }
    // The report's order of election is the stages' decisions in order.
    let elected: Vec<String> = report.elected.iter().filter_map(|c| name_of(*c)).collect();
    if elected != teller_order {
        out.push(format!(
            "order of election: Teller's report {elected:?}, its stages {teller_order:?}"
        ));
    }
    out
}

/// All 37 Droop.py `scotland` reports kept here, stage by stage (see `differences_from_droop`).
#[test]
fn matches_droop_scotland_reports_stage_by_stage() {
    let mut failures = Vec::new();
    let reports = droop_scotland_reports();
    assert_eq!(reports.len(), 37);
    for (report, ballots) in &reports {
        let differences = differences_from_droop(report, ballots);
        if !differences.is_empty() {
            failures.push(format!("{report}:\n  {}", differences.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
