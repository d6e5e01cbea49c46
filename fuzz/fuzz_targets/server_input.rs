//! Fuzz target for what the ballot server and its member client read from outside: the API's
//! request bodies (login, pass request, cast), the box's signed promise of inclusion (read by the
//! client), the stored Merkle frontier, invitation codes and their PHC hashes, and the invitations
//! file `teller vote-sim` reads.
//!
//! Also the member's bearer token (`server::session`): arbitrary bytes never panic the claim
//! reader or the check, and a token the key issued for a claim checks.
//!
//! Properties: nothing panics; an accepted frontier re-encodes to the input; a cast body that
//! parses survives a serialise/parse round trip unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use teller::client::read_invitations;
use teller::core::crypto::{InvitationCode, InvitationHash};
use teller::core::log::{Frontier, NoteSigner, open_promise};
use teller::server::session::{Claim, SessionKey};
use teller::core::wire::{CastBody, LoginRequest, PassRequestBody};

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<CastBody>(data) {
        let again = serde_json::to_vec(&body).expect("serialises");
        let back: CastBody = serde_json::from_slice(&again).expect("re-parses");
        assert_eq!(serde_json::to_vec(&back).expect("serialises"), again);
    }
    let _ = serde_json::from_slice::<LoginRequest>(data);
    let _ = serde_json::from_slice::<PassRequestBody>(data);
    if let Some(frontier) = Frontier::from_bytes(data) {
        assert_eq!(frontier.to_bytes(), data);
        let _ = frontier.root();
    }
    let signer = NoteSigner::from_seed("teller-ballot-box", &[7; 32]).expect("a signer");
    let _ = open_promise(data, signer.verifier(), "teller/ballots/00");
    let key = SessionKey::from_bytes([7; 32]);
    let _ = key.check("nec-2026", data, "$argon2id$x", 0);
    if let Some((claim, _)) = Claim::read(data) {
        let token = key.issue("nec-2026", claim.member, "$argon2id$x", claim.expires);
        assert!(key.check("nec-2026", &token, "$argon2id$x", claim.expires));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = InvitationCode::parse(text);
        let _ = InvitationHash::from_phc(text);
        let _ = read_invitations(text);
    }
});
