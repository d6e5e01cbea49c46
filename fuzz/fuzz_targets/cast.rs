//! Fuzz target for the ballot box's decision on a cast (`teller::core::ballot::accept_cast`), on
//! casts decoded as the API decodes them (`POST …/ballots`, a `CastBody`) and on genuine casts of
//! the committed record (`tests/data/record`) with fuzz-chosen bytes changed.
//!
//! Properties: deciding never panics; a decoded body is accepted only when it is one of the
//! record's genuine ballots (nobody without a member's voting key can make another); a genuine
//! ballot is accepted unchanged, and refused once any byte of its ciphertext, encapsulated key,
//! signature, contest or `replaces` changes.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use teller::core::ballot::{CastRequest, accept_cast};
use teller::core::log::{BallotEntry, Entry};
use teller::core::manifest::Manifest;
use teller::core::wire::CastBody;

const MANIFEST: &[u8] = include_bytes!("../../tests/data/record/manifest.json");
const LOG: &str = include_str!("../../tests/data/record/log/entries.jsonl");

struct Fixture {
    manifest: Manifest,
    ballots: Vec<BallotEntry>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        manifest: Manifest::parse(MANIFEST).expect("the committed manifest parses"),
        ballots: LOG
            .lines()
            .filter_map(|line| match Entry::decode(line.as_bytes()) {
                Ok(Entry::Ballot(ballot)) => Some(ballot),
                _ => None,
            })
            .collect(),
    })
}

/// The request the route builds from a body, and the `previous` it passes.
fn request(manifest: &Manifest, body: CastBody) -> (CastRequest, Option<i64>) {
    body.into_request(manifest.revote())
}

fn genuine(fixture: &Fixture, request: &CastRequest) -> bool {
    fixture.ballots.iter().any(|b| {
        b.contest == request.contest
            && b.pass == request.pass
            && b.enc.0 == request.enc
            && b.ct.0 == request.ct
            && b.signature.0 == request.signature
            && b.replaces == request.replaces
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    if let Ok(body) = serde_json::from_slice::<CastBody>(data) {
        let (cast, previous) = request(&fixture.manifest, body);
        let is_genuine = genuine(fixture, &cast);
        if accept_cast(&fixture.manifest, cast, previous).is_ok() {
            assert!(is_genuine, "a cast accepted that is not in the record");
        }
    }
    // A genuine ballot with fuzz-chosen bytes changed: (position, xor) triples.
    let Some((&pick, patch)) = data.split_first() else {
        return;
    };
    let ballot = &fixture.ballots[usize::from(pick) % fixture.ballots.len()];
    let mut cast = CastRequest {
        contest: ballot.contest.clone(),
        pass: ballot.pass.clone(),
        enc: ballot.enc.array(),
        ct: ballot.ct.0.clone(),
        signature: ballot.signature.array(),
        replaces: ballot.replaces,
    };
    let original = cast.clone();
    for triple in patch.chunks_exact(3) {
        let (at, xor) = (usize::from(u16::from_le_bytes([triple[0], triple[1]])), triple[2]);
        let ct = cast.ct.len();
        match at % (ct + 32 + 64 + 2) {
            i if i < ct => cast.ct[i] ^= xor,
            i if i < ct + 32 => cast.enc[i - ct] ^= xor,
            i if i < ct + 96 => cast.signature[i - ct - 32] ^= xor,
            i if i == ct + 96 => {
                cast.replaces = Some(cast.replaces.unwrap_or(0) ^ i64::from(xor));
            }
            _ => cast.contest.push(char::from(xor)),
        }
    }
    // Two patches of one byte may cancel out: compare with the original, not the patch count.
    let changed = cast != original;
    let accepted = accept_cast(&fixture.manifest, cast, None).is_ok();
    assert_eq!(accepted, !changed, "changed: {changed}");
});
