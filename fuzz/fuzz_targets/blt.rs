//! Fuzz target for the BLT parser (`teller::core::count::parse_blt`), the one parser of outside
//! input in the counter (STYLE.md §5, "Fuzz every parser of outside input").
//!
//! Properties checked on arbitrary bytes:
//! 1. `parse_blt` returns `Ok` or `Err`, never panics;
//! 2. when it parses, `write_blt` → `parse_blt` gives back the same election (round trip);
//! 3. counting the parsed election with every method does not panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use teller::core::count::{CountOptions, Method, count, parse_blt, write_blt};

/// The counting rules exercised on every parsed election.
const METHODS: &[Method] = &[
    Method::Scottish,
    Method::Meek,
    Method::Ers97,
    Method::Irv,
    Method::Block,
];

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = parse_blt(data) else {
        return;
    };
    let election = parsed.election;

    let written = write_blt(&election);
    let reparsed = match parse_blt(written.as_bytes()) {
        Ok(p) => p.election,
        Err(e) => panic!("write_blt output does not parse: {e}\n---\n{written}"),
    };
    assert_eq!(
        reparsed, election,
        "round trip changed the election\n---\n{written}"
    );

    for &method in METHODS {
        // A seed, so ties that reach lot are drawn rather than refused; the count may still
        // refuse (no valid ballots, …) but must not panic.
        let options = CountOptions {
            method,
            seed: Some(vec![0x5e, 0xed]),
            constraint: None,
        };
        let _ = count(&election, &options);
    }
});
