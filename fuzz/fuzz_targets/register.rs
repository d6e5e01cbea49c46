//! Fuzz target for the register import (`teller::core::register::Register::parse`, what
//! `teller register import` reads from a membership office) and the invitations file built from
//! it (`teller invitations export` writes it under the formula rule, `teller vote-sim` reads it).
//!
//! Properties: parsing never panics; a refused file names at least one problem, each on a line
//! of the file; an accepted register written with `to_csv` parses back equal, each member's
//! stored row alone (under the header) parses back to that member, and an invitations file of
//! its member numbers (defused as the exporter does) reads back to exactly those numbers.

#![no_main]

use libfuzzer_sys::fuzz_target;
use teller::core::register::INVITATION_COLUMNS;
use teller::client::read_invitations;
use teller::core::csv_file::{CsvText, defuse};
use teller::core::register::{COLUMNS, Register};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let register = match Register::parse(text) {
        Ok(register) => register,
        Err(errors) => {
            assert!(!errors.is_empty());
            let lines = text.split('\n').count();
            for error in &errors {
                assert!(error.line >= 1 && error.line <= lines, "{error} in {lines} lines");
            }
            return;
        }
    };
    let written = register.to_csv();
    assert_eq!(Register::parse(&written).as_ref(), Ok(&register), "{written:?}");
    for member in register.members() {
        let alone = format!("{}\n{}", COLUMNS.join(","), member.to_csv_row());
        let back = Register::parse(&alone).expect("a stored row parses");
        assert_eq!(back.members().collect::<Vec<_>>(), [member]);
    }
    let mut invitations = CsvText::new(csv::QuoteStyle::Necessary, csv::Terminator::Any(b'\n'));
    invitations.record(INVITATION_COLUMNS);
    for member in register.members() {
        invitations.record([defuse(&member.number), defuse("ABCD-EFGH-JKMN")]);
    }
    let read = read_invitations(&invitations.finish()).expect("an invitations file reads");
    let numbers: Vec<&str> = register.members().map(|m| m.number.as_str()).collect();
    assert_eq!(
        read.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(),
        numbers
    );
    assert!(read.iter().all(|(_, code)| code == "ABCD-EFGH-JKMN"));
});
