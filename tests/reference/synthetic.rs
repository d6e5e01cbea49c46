//! The synthetic slate elections (tests/data/stv/synthetic/README.md): winner sets agreed by
//! Droop.py, OpenSTV and stv-rs, which Teller must reproduce. The README lists the winners as
//! "Cand01 M"; the ballot files name them "Cand01 M (SlateA)", so the slate is dropped here.

use std::collections::BTreeSet;

use teller::core::count::{Method, Report};

use crate::common::{data, load, run};

/// 10k file, Scottish STV / WIGM / ERS97: droop `scotland` and `wigm-prf`, OpenSTV `ScottishSTV`
/// and `ERS97STV`.
const SYNTH_10K_WIGM: [&str; 9] = [
    "Cand01 M", "Cand02 M", "Cand03 W", "Cand07 M", "Cand09 W", "Cand13 M", "Cand14 M", "Cand16 M",
    "Cand18 W",
];

/// 10k file, Meek: droop `meek-prf`, OpenSTV `MeekSTV`, stv-rs `fixed9` (Cand17 W instead of
/// Cand07 M).
const SYNTH_10K_MEEK: [&str; 9] = [
    "Cand01 M", "Cand02 M", "Cand03 W", "Cand09 W", "Cand13 M", "Cand14 M", "Cand16 M", "Cand17 W",
    "Cand18 W",
];

/// 130k file, every tool listed (droop `scotland`, `wigm-prf`, `meek-prf`; OpenSTV
/// `ScottishSTV`, `MeekSTV`; stv-rs in four arithmetics).
const SYNTH_130K: [&str; 9] = [
    "Cand01 W", "Cand06 W", "Cand09 W", "Cand13 M", "Cand14 M", "Cand15 M", "Cand17 W", "Cand18 M",
    "Cand20 W",
];

/// The winners as "CandNN G".
fn winners(report: &Report) -> BTreeSet<String> {
    report
        .elected_names()
        .iter()
        .map(|name| name.split(" (").next().expect("a name").to_owned())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn elects_the_agreed_winners_of_synth_10k_under_each_rule() {
    for file in ["synth_10k_18c_9s.blt", "synth_10k_18c_9s.nick.blt"] {
        let election = load(&data(&format!("synthetic/{file}")));
        assert_eq!(
            (election.candidates().len(), election.seats()),
            (18, 9),
            "{file}"
        );
        for (method, expected) in [
            (Method::Scottish, SYNTH_10K_WIGM),
            (Method::Ers97, SYNTH_10K_WIGM),
            (Method::Meek, SYNTH_10K_MEEK),
        ] {
            let report = run(&election, method);
            assert_eq!(winners(&report), set(&expected), "{file} {method:?}");
        }
        // OpenSTV's ScottishSTV takes 16 stages (droop prints 15 rounds: it does not number the
        // first-preference stage).
        assert_eq!(run(&election, Method::Scottish).rounds.len(), 16, "{file}");
    }
}

#[test]
fn elects_the_agreed_winners_of_synth_130k() {
    let election = load(&data("synthetic/synth_130k_20c_9s.blt"));
    assert_eq!(election.total_weight(), 130_000);
    for method in [Method::Scottish, Method::Meek] {
        let report = run(&election, method);
        assert_eq!(winners(&report), set(&SYNTH_130K), "{method:?}");
    }
}
