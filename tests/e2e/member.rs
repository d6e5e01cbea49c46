//! A member's side of the protocol over HTTP, written in the test from `core` and the API
//! (docs/API.md), so a test can do what a hostile or an ordinary member would.

use rand::SeedableRng as _;
use serde_json::{Value, json};
use teller::core::booth::seal_ballot;
use teller::core::crypto::{Bytes, IssuerPublicKey, Pass, PassSecret, decode_bytes};
use teller::core::log::PassJson;
use teller::core::manifest::Manifest;

use super::{Server, agent, post};

/// A member logged in over HTTP, as a hostile client would drive the API.
pub struct Member {
    pub number: String,
    pub token: String,
    pub contests: Vec<String>,
}

pub fn manifest(server: &Server) -> Manifest {
    let bytes = agent()
        .get(&server.api("/manifest"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_vec()
        .unwrap();
    Manifest::parse(&bytes).unwrap()
}

pub fn login(server: &Server, member: &str, code: &str) -> Member {
    let (status, _, body) = post(
        &server.api("/login"),
        &json!({ "member": member, "code": code }),
        "",
    );
    assert_eq!(status, 200, "{body}");
    Member {
        number: member.to_owned(),
        token: body["token"].as_str().unwrap().to_owned(),
        contests: serde_json::from_value(body["contests"].clone()).unwrap(),
    }
}

/// Asks for a pass labelled `label` whose blinded message is `secret`'s pass message for
/// `contest`, blinded under `key`; returns the unblinded pass if the signature verifies under
/// `key` over that message.
pub fn pass_labelled(
    server: &Server,
    member: &Member,
    manifest: &Manifest,
    label: &str,
    secret: &PassSecret,
    contest: &str,
    key: &IssuerPublicKey,
) -> Pass {
    let request = secret.blind(key, &manifest.fingerprint(), contest).unwrap();
    let mut response = agent()
        .post(&server.api("/passes"))
        .header("Authorization", &format!("Bearer {}", member.token))
        .send_json(json!({
            "contest": label,
            "blinded": Bytes::<0>(request.blinded_message().to_vec()),
        }))
        .unwrap();
    let body: Value = response.body_mut().read_json().unwrap();
    assert_eq!(response.status().as_u16(), 200, "{body}");
    let blind = decode_bytes(body["blind_signature"].as_str().unwrap()).unwrap();
    request.finalize(key, &blind).unwrap()
}

/// Seals a first preference for candidate 0, signs it with `secret`'s voting key for `contest`
/// and casts it with `pass`; returns the status and the error code, if any.
pub fn cast(
    server: &Server,
    manifest: &Manifest,
    secret: &PassSecret,
    contest: &str,
    pass: &Pass,
) -> (u16, Option<String>) {
    let (status, body) = cast_ranking(server, manifest, secret, contest, pass, &[0]);
    (status, body["error"]["code"].as_str().map(str::to_owned))
}

/// Casts `ranking` (candidate indices, first preference first) in `contest`; returns the status
/// and the answer's body (the receipt, or the error).
pub fn cast_ranking(
    server: &Server,
    manifest: &Manifest,
    secret: &PassSecret,
    contest: &str,
    pass: &Pass,
    ranking: &[usize],
) -> (u16, Value) {
    // The booth's own sealing and signing (core::booth), with fixed key material: the same
    // ranking under the same pass gives the same bytes (an identical retry).
    let mut ikm = [0u8; 32];
    rand::Rng::fill_bytes(&mut rand::rngs::ChaCha20Rng::from_seed([3; 32]), &mut ikm);
    let cast = seal_ballot(
        manifest,
        secret,
        contest,
        &PassJson::from(pass),
        ranking,
        None,
        &ikm,
    )
    .unwrap()
    .cast;
    let (status, _, body) = post(
        &server.api("/ballots"),
        &serde_json::to_value(&cast).unwrap(),
        "",
    );
    (status, body)
}
