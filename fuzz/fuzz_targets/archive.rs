//! Fuzz target for the record archive's reader (`teller::core::archive::read`): what `teller
//! verify` and `GET …/record`'s consumers read from a file anyone may hand them.
//!
//! Two kinds of input, by the first byte's low bit:
//! - 0: the rest as an archive;
//! - 1: the archive of a small fixed record with the rest XORed over its start.
//!
//! Properties: reading never panics; what it accepts, written again under its top directory and
//! read back, gives the same files (the reader and the writer agree on what an archive holds).

#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use teller::core::archive::{read, write};

fn fixture() -> &'static Vec<u8> {
    static FIXTURE: OnceLock<Vec<u8>> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let files = BTreeMap::from([
            ("manifest.json".to_owned(), b"{\"election\":\"x\"}".to_vec()),
            ("log/entries.jsonl".to_owned(), vec![b'a'; 700]),
            ("roster/nec.txt".to_owned(), b"AAAA\n".to_vec()),
        ]);
        write("x-record", &files)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let bytes = if first & 1 == 0 {
        rest.to_vec()
    } else {
        let mut bytes = fixture().clone();
        for (b, x) in bytes.iter_mut().zip(rest) {
            *b ^= x;
        }
        bytes
    };
    if let Ok((top, files)) = read(bytes.as_slice()) {
        let again = write(&top, &files);
        let (top_again, files_again) = read(again.as_slice()).expect("our own archive reads");
        assert_eq!((top_again, files_again), (top, files));
    }
});
