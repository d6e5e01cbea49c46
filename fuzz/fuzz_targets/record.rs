//! Fuzz target for `teller verify` on whole election records (`teller::core::verify::verify`,
//! over the record's in-memory form, `Record`: path → bytes).
//!
//! Two kinds of input, by the first byte's low bit:
//! - 0: a record made wholly of fuzz bytes: files `path \0 contents`, separated by 0x01;
//! - 1: the committed record (`tests/data/record`) with one file, picked by the second byte,
//!   replaced by the rest of the input (or, when the pick is past the last file, a new file).
//!
//! Properties: verification never panics and reports every check; the committed record passes,
//! and a record that differs from it in any byte of any file (or by one file more) fails.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use teller::admin::read_record;
use teller::core::verify::{CHECKS, Record, VerifyOptions, verify};

fn fixture() -> &'static Record {
    static FIXTURE: OnceLock<Record> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/record");
        let record = read_record(&dir).expect("the committed record reads");
        assert!(check(&record), "the committed record passes");
        record
    })
}

/// Verifies `record`; true if it passed.
fn check(record: &Record) -> bool {
    let options = VerifyOptions {
        threads: 1,
        fingerprint: None,
        progress: &|_| {},
    };
    let verification = verify(record, &options);
    assert_eq!(verification.checks.len(), CHECKS.len());
    verification.passed()
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let record = if kind & 1 == 0 {
        let mut record = Record::default();
        for file in rest.split(|&b| b == 1) {
            let (path, contents) = match file.iter().position(|&b| b == 0) {
                Some(at) => (&file[..at], &file[at + 1..]),
                None => (file, &[][..]),
            };
            record
                .files
                .insert(String::from_utf8_lossy(path).into_owned(), contents.to_vec());
        }
        record
    } else {
        let Some((&pick, contents)) = rest.split_first() else {
            return;
        };
        let mut record = fixture.clone();
        let name = match record.files.keys().nth(usize::from(pick)) {
            Some(name) => name.clone(),
            None => format!("extra-{pick}.txt"),
        };
        record.files.insert(name, contents.to_vec());
        record
    };
    let passed = check(&record);
    assert_eq!(passed, &record == fixture, "only the committed record passes");
});
