//! The tally's output as docs/PROTOCOL.md §12 states it: the `error` texts that replace the
//! report (the table in §12, `TallyError` and the results schema's list are one list), the exact
//! results and BLT bytes of a contest with no valid ballot, and how the manifest's candidate
//! attributes and minimum reach the report.

use std::path::Path;

use serde_json::Value;

use teller::core::ballot::Marks;
use teller::core::count::{CountError, ElectionError};
use teller::core::manifest::Manifest;
use teller::core::record::{Opened, TallyError, tally_contest};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn fixture_manifest() -> Manifest {
    let bytes = std::fs::read(Path::new(ROOT).join("tests/data/record/manifest.json"))
        .expect("the fixture record has a manifest");
    Manifest::parse(&bytes).expect("the fixture manifest is valid")
}

/// The first cell of each row of the table after `<!-- tally-errors -->` in PROTOCOL §12, with
/// its backticks removed.
fn documented_errors() -> Vec<String> {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/PROTOCOL.md"))
        .expect("docs/PROTOCOL.md is in the repository");
    let (_, table) = doc
        .split_once("<!-- tally-errors -->\n")
        .expect("PROTOCOL §12 has the tally-errors table");
    table
        .lines()
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(|row| {
            let cell = row.split('|').nth(1).expect("a first cell").trim();
            cell.strip_prefix('`')
                .and_then(|c| c.strip_suffix('`'))
                .unwrap_or_else(|| panic!("the first cell is one code span: {row}"))
                .to_owned()
        })
        .collect()
}

#[test]
fn the_documented_error_texts_are_the_codes_and_the_schemas() {
    let from_code: Vec<String> = [
        TallyError::NoValidBallots,
        TallyError::TooManyBallots,
        TallyError::from(CountError::NoCandidateToChoose),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(documented_errors(), from_code);

    let schema: Value = serde_json::from_slice(
        &std::fs::read(Path::new(ROOT).join("docs/schema/results.schema.json")).unwrap(),
    )
    .unwrap();
    let from_schema: Vec<String> = schema["properties"]["error"]["enum"]
        .as_array()
        .expect("the results schema lists the error texts")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect();
    assert_eq!(from_schema, from_code);
}

#[test]
fn every_count_and_election_error_maps_to_a_documented_text() {
    // The count's own messages (`teller count`) may change; what the record says may not. Every
    // error the tally can meet becomes one of the three texts.
    let documented = documented_errors();
    let errors: Vec<TallyError> = vec![
        CountError::NoValidBallots.into(),
        CountError::NoCandidateToChoose.into(),
        CountError::LotNeeded { tied: Vec::new() }.into(),
        CountError::ConstraintUnsatisfiable {
            minimum: 2,
            seats: 1,
            standing: 0,
        }
        .into(),
        ElectionError::TooManyBallots.into(),
        ElectionError::NoSeats.into(),
        ElectionError::MoreSeatsThanCandidates {
            seats: 3,
            standing: 2,
        }
        .into(),
    ];
    for error in errors {
        assert!(
            documented.contains(&error.to_string()),
            "{error:?} writes {:?}",
            error.to_string()
        );
    }
    assert_eq!(
        TallyError::from(ElectionError::TooManyBallots),
        TallyError::TooManyBallots
    );
    assert_eq!(
        TallyError::from(CountError::NoValidBallots),
        TallyError::NoValidBallots
    );
    assert!(
        TallyError::TooManyBallots
            .to_string()
            .ends_with(&teller::core::count::MAX_TOTAL_WEIGHT.to_string())
    );
}

#[test]
fn a_contest_with_no_valid_ballot_writes_the_documented_error() {
    // Arrange: the fixture's `disabled` contest (scottish, 1 seat, 3 candidates). Entry 2 is
    // valid but a later entry replaces it, so it is not counted; entry 4 is unmarked and
    // entry 9 does not open.
    let manifest = fixture_manifest();
    let contest = manifest.contest("disabled").expect("a disabled contest");
    let opened = [
        Opened {
            seq: 2,
            plaintext: Some(Marks::from_ranking(3, &[0]).encode()),
        },
        Opened {
            seq: 4,
            plaintext: Some(Marks::from_marks(vec![0, 0, 0]).encode()),
        },
        Opened {
            seq: 9,
            plaintext: None,
        },
    ];

    // Act
    let tally = tally_contest(contest, &opened, &[2].into(), &[0x99; 32]).expect("tally");

    // Assert: written by hand from PROTOCOL §12 (canonical JSON, keys sorted, one LF) and
    // COUNTING §1 (header, `0`, names, title).
    let error = &documented_errors()[0];
    assert_eq!(error, "there are no valid ballots to count");
    let expected = format!(
        "{{\"cast\":3,\"contest\":\"disabled\",\"counted\":2,\"error\":\"{error}\",\
         \"invalid\":[{{\"reason\":\"unmarked\",\"seq\":4}},{{\"reason\":\"does-not-open\",\"seq\":9}}],\
         \"method\":\"scottish\",\"seed\":\"{}\",\"valid\":0}}\n",
        "mZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZk"
    );
    assert_eq!(String::from_utf8(tally.results).unwrap(), expected);
    assert_eq!(
        String::from_utf8(tally.blt).unwrap(),
        "3 1\n0\n\"Uma Underwood\"\n\"Victor Vance\"\n\"Wren Walsh\"\n\"Disabled members' representative\"\n"
    );
}

#[test]
fn the_report_shows_the_manifests_attributes_and_minimum() {
    // PROTOCOL §12 "Candidate attributes": gender and slate come from the manifest (null when
    // absent), and the minimum becomes the report's constraint; the fixture record's results
    // were written by the tally.
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(Path::new(ROOT).join("tests/data/record/manifest.json")).unwrap(),
    )
    .unwrap();
    let mut with_minimum = 0;
    for contest in manifest["contests"].as_array().expect("contests") {
        let id = contest["id"].as_str().expect("an id");
        let results: Value = serde_json::from_slice(
            &std::fs::read(Path::new(ROOT).join(format!("tests/data/record/results/{id}.json")))
                .unwrap(),
        )
        .unwrap();
        let report = &results["report"];
        let candidates = contest["candidates"].as_array().expect("candidates");
        let shown = report["candidates"].as_array().expect("report candidates");
        assert_eq!(candidates.len(), shown.len(), "{id}");
        for (candidate, shown) in candidates.iter().zip(shown) {
            assert_eq!(shown["name"], candidate["name"], "{id}");
            for attribute in ["gender", "slate"] {
                assert_eq!(
                    shown[attribute],
                    candidate.get(attribute).cloned().unwrap_or(Value::Null),
                    "{id} {attribute}"
                );
            }
        }
        match contest.get("minimum") {
            None => assert_eq!(report["constraint"], Value::Null, "{id}"),
            Some(minimum) => {
                with_minimum += 1;
                assert_eq!(
                    report["constraint"],
                    serde_json::json!({
                        "attribute": minimum["attribute"],
                        "minimum": minimum["seats"],
                        "value": minimum["value"],
                    }),
                    "{id}"
                );
            }
        }
    }
    assert!(with_minimum > 0, "the fixture has a contest with a minimum");
}
