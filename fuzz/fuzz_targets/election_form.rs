//! Fuzz target for the console's election form (`teller::server::console::read_election_form`):
//! what an officer's browser posts when creating or editing an election, fields and values alike
//! from outside (a form can be posted by hand).
//!
//! The input is split at `0xFF` bytes into fields; each field's first byte picks its name (one of
//! the form's, for contests 0 to 2, or an unknown one) and the rest is its value, as lossy UTF-8.
//!
//! Properties: reading never panics; a definition it accepts, written back as the edit form's
//! fields, reads back the same (the candidates' CSV included), and its TOML parses back to it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use teller::admin::ElectionDefinition;
use teller::server::console::{election_form_fields, read_election_form};

const ELECTION: [&str; 9] = [
    "election",
    "title",
    "opens",
    "closes",
    "revote",
    "reissue-by",
    "reissue-limit",
    "threshold",
    "trustees",
];
const CONTEST: [&str; 13] = [
    "id",
    "title",
    "seats",
    "method",
    "candidates",
    "min-attribute",
    "min-value",
    "min-seats",
    "freeze",
    "arrears",
    "under-age",
    "region",
    "disability",
];

fn name(pick: u8) -> String {
    let pick = pick as usize;
    if pick < ELECTION.len() {
        return ELECTION[pick].to_owned();
    }
    let pick = pick - ELECTION.len();
    if pick < 3 * CONTEST.len() {
        return format!("c{}-{}", pick / CONTEST.len(), CONTEST[pick % CONTEST.len()]);
    }
    format!("unknown-{pick}")
}

fuzz_target!(|data: &[u8]| {
    let fields: Vec<(String, String)> = data
        .split(|&b| b == 0xFF)
        .filter_map(|field| field.split_first())
        .map(|(&pick, value)| (name(pick), String::from_utf8_lossy(value).into_owned()))
        .collect();
    let Ok(definition) = read_election_form(&fields) else {
        return;
    };
    let again = read_election_form(&election_form_fields(&definition))
        .expect("the edit form's fields of a definition read back");
    let toml = definition.to_toml().expect("a definition writes as TOML");
    assert_eq!(again.to_toml().expect("writes"), toml);
    let parsed = ElectionDefinition::parse(&toml).expect("its TOML parses");
    assert_eq!(parsed.to_toml().expect("writes"), toml);
});
