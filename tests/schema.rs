//! The JSON Schemas of the count's output (docs/schema/, docs/COUNTING.md §9, docs/PROTOCOL.md
//! §12) against what the code writes.
//!
//! Positive: every method's report on reference elections from tests/data/stv, on constraint
//! cases (doom, block, guard), on ties decided by an earlier round, by a seeded lot and by a
//! `[tie]` line, Meek's keep factors, the fixture record's `results/*.json` and a results file
//! whose count could not run. The corpus must also write every value each enum of the schema
//! allows (action, status, reason, tie purpose and basis, lot), so the enums are neither too
//! narrow nor wider than the code. Negative: an unknown member anywhere, a vote value as a JSON
//! number or with the wrong places, keep factors on the wrong method, a reason that contradicts
//! the outcome, and results with both, or neither, of `report` and `error`.
//!
//! The validator is the `jsonschema` crate, an implementation of draft 2020-12 independent of
//! Teller; the schemas are written by hand from the code, not generated from it.

use std::collections::BTreeSet;
use std::path::Path;

use jsonschema::{Registry, Validator};
use serde_json::{Value, json};

use teller::core::ballot::Marks;
use teller::core::count::{
    CandidateAttributes, CountError, CountOptions, Election, Method, count, parse_blt, render,
};
use teller::core::crypto::to_canonical;
use teller::core::manifest::Manifest;
use teller::core::record::{Opened, tally_contest};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read_json(relative: &str) -> Value {
    let path = Path::new(ROOT).join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The report schema, and the results schema with the report schema registered under its `$id`
/// (results.schema.json refers to it as `report.schema.json`).
fn validators() -> (Validator, Validator) {
    let report = read_json("docs/schema/report.schema.json");
    let results = read_json("docs/schema/results.schema.json");
    let id = report["$id"]
        .as_str()
        .expect("the report schema has an $id");
    let registry = Registry::new()
        .add(id, report.clone())
        .expect("the report schema registers")
        .prepare()
        .expect("the registry prepares");
    let report_validator = jsonschema::draft202012::options()
        .build(&report)
        .expect("report.schema.json is a valid draft 2020-12 schema");
    let results_validator = jsonschema::draft202012::options()
        .with_registry(&registry)
        .build(&results)
        .expect("results.schema.json is a valid draft 2020-12 schema");
    (report_validator, results_validator)
}

fn assert_valid(validator: &Validator, label: &str, instance: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{label}: {errors:#?}");
}

fn assert_invalid(validator: &Validator, label: &str, instance: &Value) {
    assert!(
        !validator.is_valid(instance),
        "{label}: the schema accepted it"
    );
}

fn load(relative: &str) -> Election {
    let path = Path::new(ROOT).join("tests/data/stv").join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_blt(&bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .election
}

fn parse(blt: &str) -> Election {
    parse_blt(blt.as_bytes())
        .expect("test ballots parse")
        .election
}

fn with_genders(mut election: Election, genders: &[&str]) -> Election {
    let indices: Vec<_> = election.candidate_indices().collect();
    for (candidate, gender) in indices.into_iter().zip(genders) {
        let attributes = CandidateAttributes {
            gender: Some((*gender).to_owned()),
            slate: Some(format!("slate-{gender}")),
        };
        election.set_attributes(candidate, attributes);
    }
    election
}

/// The report exactly as `teller count --format json` prints it, read back as a value after
/// checking the line is canonical JSON; `None` when the method does not apply (IRV with several
/// seats).
fn report(
    election: &Election,
    method: Method,
    seed: Option<&[u8]>,
    minimum: Option<&str>,
) -> Option<Value> {
    let options = CountOptions {
        method,
        seed: seed.map(<[u8]>::to_vec),
        constraint: minimum.map(|m| m.parse().expect("constraint")),
    };
    match count(election, &options) {
        Ok(report) => {
            let printed = render::json(&report);
            let value: Value = serde_json::from_str(&printed).expect("the JSON parses");
            // COUNTING §9: one line of canonical JSON (PROTOCOL §1) and a newline.
            let mut canonical = to_canonical(&value).expect("canonical");
            canonical.push(b'\n');
            assert_eq!(
                printed.as_bytes(),
                canonical,
                "{} {method}",
                election.title()
            );
            Some(value)
        }
        Err(CountError::SingleSeatOnly { .. }) => None,
        Err(e) => panic!("{} {method}: {e}", election.title()),
    }
}

/// Candidate A and B tie at every stage (tests/ties.rs `LOT`).
const LOT: &str = "3 1\n2 1 2 0\n2 2 1 0\n3 3 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"Tie at every stage\"\n";

/// A and B tie at stage 3 after differing at stages 1 and 2 (tests/ties.rs `LOOKBACK`).
const LOOKBACK: &str = "6 1\n4 1 5 0\n5 2 6 0\n2 3 1 5 0\n2 4 2 6 0\n1 4 1 5 0\n12 5 0\n10 6 0\n0\n\"A\"\n\"B\"\n\"G\"\n\"H\"\n\"E\"\n\"F\"\n\"Look-back\"\n";

/// Block vote, one seat, A and B equal: the seat goes to lot (an election tie).
const BLOCK_TIE: &str = "2 1\n2 1 0\n2 2 0\n0\n\"A\"\n\"B\"\n\"Block tie\"\n";

/// tests/constraint.rs: with `gender=W:2` every man is doomed; with `gender=W:1` in `BLOCK` the
/// man who reaches the quota is blocked.
const DOOM: &str =
    "4 2\n40 1 3 0\n30 2 4 0\n20 3 0\n10 4 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"doom\"\n";
const BLOCK: &str = "3 2\n40 1 0\n35 2 3 0\n25 3 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"block\"\n";

/// Three seats, at least one woman (C, fewest votes, the only woman): C is guarded, so E and then
/// D are excluded in her place (`fewest-votes-unguarded`, C passed over).
const GUARD: &str = "5 3\n30 1 0\n25 2 0\n10 3 0\n20 4 0\n15 5 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n\"guard\"\n";

/// Every report the positive tests validate, labelled.
fn corpus() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut add = |label: String, value: Option<Value>| {
        if let Some(value) = value {
            out.push((label, value));
        }
    };
    let files = [
        "ers97/ers97.blt",
        "scottish-official/dundee_2022_ward1.blt",
        "scottish-tricky/renfrewshire_2017_ward3.blt",
        "droop-tests/blt/SC-Vm-12.blt",
        "droop-tests/blt/SCwopt.blt",
        "droop-tests/blt/M135.blt",
    ];
    for file in files {
        let election = load(file);
        let single = election.clone().with_seats(1).expect("one seat");
        for method in Method::ALL {
            let election = if method == Method::Irv {
                &single
            } else {
                &election
            };
            // Without a seed where the count needs none (lot "none"), else with one.
            let options = CountOptions {
                method,
                seed: None,
                constraint: None,
            };
            let seed: Option<&[u8]> = match count(election, &options) {
                Err(CountError::LotNeeded { .. }) => Some(&[7]),
                _ => None,
            };
            add(
                format!("{file} {method}"),
                report(election, method, seed, None),
            );
        }
    }
    for method in Method::ALL {
        add(
            format!("LOT seeded {method}"),
            report(&parse(LOT), method, Some(&[3]), None),
        );
        let tie_line = LOT.replacen("3 1\n", "3 1\n[tie 2 1 3]\n", 1);
        add(
            format!("LOT tie line {method}"),
            report(&parse(&tie_line), method, None, None),
        );
        add(
            format!("LOOKBACK {method}"),
            report(&parse(LOOKBACK), method, Some(&[1]), None),
        );
        add(
            format!("BLOCK_TIE {method}"),
            report(&parse(BLOCK_TIE), method, Some(&[5]), None),
        );
        let doom = with_genders(parse(DOOM), &["M", "M", "W", "W"]);
        add(
            format!("DOOM {method}"),
            report(&doom, method, Some(&[1]), Some("gender=W:2")),
        );
        let block = with_genders(parse(BLOCK), &["M", "M", "W"]);
        add(
            format!("BLOCK {method}"),
            report(&block, method, Some(&[1]), Some("gender=W:1")),
        );
        let guard = with_genders(parse(GUARD), &["M", "M", "W", "M", "M"]);
        add(
            format!("GUARD {method}"),
            report(&guard, method, Some(&[1]), Some("slate=slate-W:1")),
        );
    }
    out
}

/// Every string found at `key` anywhere in `value`, for the enum coverage check.
fn strings_at(value: &Value, key: &str, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if k == key => {
                        found.insert(s.clone());
                    }
                    Value::Array(items) if k == key => {
                        found.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                    _ => {}
                }
                strings_at(v, key, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| strings_at(v, key, found)),
        _ => {}
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn every_report_in_the_corpus_matches_the_report_schema() {
    let (report_schema, _) = validators();
    let corpus = corpus();
    assert!(corpus.len() > 50, "{} reports", corpus.len());
    for (label, value) in &corpus {
        assert_valid(&report_schema, label, value);
    }
}

#[test]
fn the_corpus_writes_every_value_the_schema_enumerates() {
    // If the schema listed a value the code never writes, or the code wrote one the schema does
    // not list (the validation test would fail), the two would have drifted apart.
    let schema = read_json("docs/schema/report.schema.json");
    let all: Vec<Value> = corpus().into_iter().map(|(_, v)| v).collect();
    let all = Value::Array(all);
    let enumerated = |pointer: &str| -> BTreeSet<String> {
        schema
            .pointer(pointer)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("no enum at {pointer}"))
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let mut reasons = BTreeSet::new();
    strings_at(&all, "reason", &mut reasons);
    assert_eq!(
        reasons,
        enumerated("/$defs/decision/properties/reason/enum")
    );
    let mut statuses = BTreeSet::new();
    strings_at(&all, "status", &mut statuses);
    assert_eq!(
        statuses,
        enumerated("/$defs/round/properties/status/items/enum")
    );
    let mut purposes = BTreeSet::new();
    strings_at(&all, "purpose", &mut purposes);
    assert_eq!(purposes, enumerated("/$defs/tie/properties/purpose/enum"));
    let mut outcomes = BTreeSet::new();
    strings_at(&all, "outcome", &mut outcomes);
    assert_eq!(
        outcomes,
        enumerated("/$defs/decision/properties/outcome/enum")
    );
    let mut methods = BTreeSet::new();
    strings_at(&all, "method", &mut methods);
    assert_eq!(methods, enumerated("/properties/method/enum"));
    let mut attributes = BTreeSet::new();
    strings_at(&all, "attribute", &mut attributes);
    assert_eq!(
        attributes,
        enumerated("/$defs/constraint/properties/attribute/enum")
    );
    // `type` tags the action, the tie basis and the lot.
    let mut types = BTreeSet::new();
    strings_at(&all, "type", &mut types);
    let tags = |def: &str| -> BTreeSet<String> {
        schema
            .pointer(&format!("/$defs/{def}/oneOf"))
            .and_then(Value::as_array)
            .expect("oneOf")
            .iter()
            .map(|alternative| {
                alternative["properties"]["type"]["const"]
                    .as_str()
                    .expect("a tag")
                    .to_owned()
            })
            .collect()
    };
    let mut expected = tags("action");
    expected.extend(tags("lot"));
    let basis = &schema["$defs"]["tie"]["properties"]["basis"]["oneOf"];
    expected.extend(basis.as_array().expect("oneOf").iter().map(|alternative| {
        alternative["properties"]["type"]["const"]
            .as_str()
            .expect("a tag")
            .to_owned()
    }));
    assert_eq!(types, expected);
    assert_eq!(
        expected,
        set(&[
            "count",
            "earlier-round",
            "exclusion",
            "first-preferences",
            "lot",
            "meek-round",
            "none",
            "seed",
            "surplus",
            "tie-line"
        ])
    );
}

#[test]
fn meek_reports_carry_keep_factors_and_no_other_method_does() {
    let (report_schema, _) = validators();
    let election = load("droop-tests/blt/SC-Vm-12.blt");
    let meek = report(&election, Method::Meek, Some(&[7]), None).expect("meek counts");
    let candidates = meek["candidates"].as_array().expect("candidates").len();
    let rounds = meek["rounds"].as_array().expect("rounds");
    assert!(rounds.iter().all(|r| {
        r["keep_factors"]
            .as_array()
            .is_some_and(|k| k.len() == candidates)
    }));
    let mut without = meek.clone();
    without["rounds"][0]
        .as_object_mut()
        .expect("a round")
        .remove("keep_factors");
    assert_invalid(&report_schema, "meek round without keep_factors", &without);

    let mut scottish =
        report(&election, Method::Scottish, Some(&[7]), None).expect("scottish counts");
    scottish["rounds"][0]["keep_factors"] = json!(vec!["1.00000"; candidates]);
    assert_invalid(
        &report_schema,
        "scottish round with keep_factors",
        &scottish,
    );
}

#[test]
fn the_fixture_records_results_match_the_results_schema() {
    let (_, results_schema) = validators();
    let dir = Path::new(ROOT).join("tests/data/record/results");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the fixture record has results") {
        let path = entry.expect("a directory entry").path();
        let value: Value = serde_json::from_slice(&std::fs::read(&path).expect("readable"))
            .expect("the results parse");
        assert_valid(&results_schema, &path.display().to_string(), &value);
        seen += 1;
    }
    assert_eq!(seen, 4, "the fixture record has four contests");
}

/// The results of the fixture manifest's `disabled` contest when every ballot is invalid.
fn results_without_a_count() -> Value {
    let manifest = Manifest::parse(
        &std::fs::read(Path::new(ROOT).join("tests/data/record/manifest.json")).expect("manifest"),
    )
    .expect("the fixture manifest is valid");
    let contest = manifest
        .contest("disabled")
        .expect("the fixture has a disabled contest");
    let opened = [
        Opened {
            seq: 4,
            plaintext: Some(Marks::from_marks(vec![0, 0, 0]).encode()),
        },
        Opened {
            seq: 9,
            plaintext: None,
        },
    ];
    let tally = tally_contest(contest, &opened, &Default::default(), &[0x99; 32]).expect("tally");
    serde_json::from_slice(&tally.results).expect("the results parse")
}

#[test]
fn results_whose_count_could_not_run_match_the_results_schema() {
    let (_, results_schema) = validators();
    let results = results_without_a_count();
    assert!(results.get("error").is_some() && results.get("report").is_none());
    assert_valid(&results_schema, "no valid ballots", &results);
}

#[test]
fn rejects_a_report_with_an_unknown_member_anywhere() {
    let (report_schema, _) = validators();
    let doom = with_genders(parse(DOOM), &["M", "M", "W", "W"]);
    let base = report(&doom, Method::Scottish, None, Some("gender=W:2")).expect("counts");
    assert_valid(&report_schema, "base", &base);
    for pointer in [
        "",
        "/ballots",
        "/candidates/0",
        "/constraint",
        "/lot",
        "/rounds/0",
        "/rounds/0/action",
        "/rounds/1/decisions/0",
    ] {
        let mut changed = base.clone();
        changed
            .pointer_mut(pointer)
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("an object at {pointer:?}"))
            .insert("extra".to_owned(), json!("x"));
        assert_invalid(
            &report_schema,
            &format!("extra member at {pointer:?}"),
            &changed,
        );
    }
    let mut missing = base.clone();
    missing.as_object_mut().expect("object").remove("lot");
    assert_invalid(&report_schema, "no lot", &missing);
}

#[test]
fn rejects_vote_values_that_are_numbers_or_have_the_wrong_places() {
    let (report_schema, _) = validators();
    let base = report(&load("ers97/ers97.blt"), Method::Scottish, None, None).expect("counts");
    for (pointer, value) in [
        ("/rounds/0/votes/0", json!(12)),
        ("/rounds/0/votes/0", json!(12.5)),
        ("/rounds/0/quota", json!("108.0")),
        ("/rounds/0/exhausted", json!("0.00")),
        ("/rounds/0/transfers/0", json!("+1.00000")),
        ("/rounds/0/rounding", json!("00.00000")),
        ("/decimals", json!(2)),
        ("/rules", json!("Scottish STV")),
        ("/ballots/total", json!("753")),
        ("/rounds/0/action/type", json!("meek-round")),
    ] {
        let mut changed = base.clone();
        *changed
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}")) = value.clone();
        assert_invalid(&report_schema, &format!("{pointer} = {value}"), &changed);
    }
}

#[test]
fn rejects_a_reason_that_contradicts_its_outcome_or_its_extra_members() {
    let (report_schema, _) = validators();
    let doom = with_genders(parse(DOOM), &["M", "M", "W", "W"]);
    let base = report(&doom, Method::Scottish, None, Some("gender=W:2")).expect("counts");
    let (round, decision) = base["rounds"]
        .as_array()
        .expect("rounds")
        .iter()
        .enumerate()
        .find_map(|(r, round)| {
            round["decisions"]
                .as_array()
                .expect("decisions")
                .iter()
                .position(|d| d["reason"] == "constraint-doomed")
                .map(|d| (r, d))
        })
        .expect("a doomed candidate");
    let at = format!("/rounds/{round}/decisions/{decision}");
    let mut elected = base.clone();
    *elected
        .pointer_mut(&format!("{at}/outcome"))
        .expect("an outcome") = json!("elected");
    assert_invalid(&report_schema, "doomed but elected", &elected);
    let mut bare = base.clone();
    bare.pointer_mut(&at)
        .and_then(Value::as_object_mut)
        .expect("decision")
        .remove("group_needs");
    assert_invalid(&report_schema, "doomed without group_needs", &bare);
    let mut fewest = base.clone();
    *fewest
        .pointer_mut(&format!("{at}/reason"))
        .expect("a reason") = json!("fewest-votes");
    assert_invalid(&report_schema, "fewest-votes with group_needs", &fewest);
}

#[test]
fn rejects_results_with_both_or_neither_of_report_and_error_and_unknown_errors() {
    let (_, results_schema) = validators();
    let fixture = read_json("tests/data/record/results/disabled.json");
    let mut both = fixture.clone();
    both["error"] = json!("there are no valid ballots to count");
    assert_invalid(&results_schema, "report and error", &both);
    let mut neither = fixture.clone();
    neither.as_object_mut().expect("object").remove("report");
    assert_invalid(&results_schema, "neither report nor error", &neither);
    let mut extra = fixture.clone();
    extra["elected"] = json!([]);
    assert_invalid(&results_schema, "unknown member", &extra);
    let mut nested = fixture.clone();
    nested["report"]["rounds"][0]["votes"][0] = json!(1);
    assert_invalid(
        &results_schema,
        "a vote value as a number inside the report",
        &nested,
    );
    let mut method = fixture.clone();
    method["method"] = json!("meek");
    assert_invalid(&results_schema, "method differs from the report's", &method);
    let mut seed = fixture.clone();
    seed["seed"] = json!("AAAA");
    assert_invalid(&results_schema, "a seed that is not 32 bytes", &seed);

    let mut error = results_without_a_count();
    error["error"] = json!("something else went wrong");
    assert_invalid(&results_schema, "an error text not in PROTOCOL §12", &error);
}
