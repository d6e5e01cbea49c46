//! Issue 9, part 1: a voting pass is good for its own contest only. A hostile member, over HTTP,
//! asks the issuer for a pass labelled for one contest whose blinded message is a pass message for
//! another (the issuer cannot see what it signs), and casts the result in the other contest. With
//! one issuer key for every contest the box accepted such ballots; with one key per contest it
//! must refuse every one as `bad_pass`.

use ed25519_dalek::Signer as _;
use rand::SeedableRng as _;
use serde_json::{Value, json};
use teller::core::ballot::Marks;
use teller::core::crypto::{Bytes, IssuerPublicKey, Pass, PassSecret, decode_bytes, seal};
use teller::core::log::{PassJson, ballot_message};
use teller::core::manifest::Manifest;

use super::{ELECTION, Election, Server, agent, post};

/// A member logged in over HTTP, as a hostile client would drive the API.
struct Member {
    number: String,
    token: String,
    contests: Vec<String>,
}

fn manifest(server: &Server) -> Manifest {
    let bytes = agent()
        .get(&server.api("/manifest"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_vec()
        .unwrap();
    Manifest::parse(&bytes).unwrap()
}

fn login(server: &Server, member: &str, code: &str) -> Member {
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
fn pass_labelled(
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
fn cast(
    server: &Server,
    manifest: &Manifest,
    secret: &PassSecret,
    contest: &str,
    pass: &Pass,
) -> (u16, Option<String>) {
    let fingerprint = manifest.fingerprint();
    let candidates = manifest.contest(contest).unwrap().candidate_count();
    let plaintext = Marks::from_ranking(candidates, &[0]).encode();
    let mut rng = rand::rngs::ChaCha20Rng::from_seed([3; 32]);
    let sealed = seal(
        &manifest.election_key(),
        &fingerprint,
        contest,
        &pass.key,
        &plaintext,
        &mut rng,
    )
    .unwrap();
    let message = ballot_message(&fingerprint, contest, &pass.key, &sealed, None);
    let signature = secret.voting_key(&fingerprint, contest).sign(&message);
    let (status, _, body) = post(
        &server.api("/ballots"),
        &json!({
            "contest": contest,
            "pass": PassJson::from(pass),
            "enc": Bytes::<32>::from(sealed.enc),
            "ct": Bytes::<0>(sealed.ct),
            "signature": Bytes::<64>(signature.to_bytes().to_vec()),
        }),
        "",
    );
    (status, body["error"]["code"].as_str().map(str::to_owned))
}

/// The first member (from the invitations) whose eligible contests satisfy `wanted`.
fn find_member(server: &Server, election: &Election, wanted: impl Fn(&[String]) -> bool) -> Member {
    election
        .invitations()
        .iter()
        .map(|(member, code)| login(server, member, code))
        .find(|m| wanted(&m.contests))
        .expect("a member with those contests in the register")
}

fn passes_are_bound_to_their_contest(name: &str, db: Option<String>) {
    let election = Election::open(name, db, 300);
    let server = Server::start(&election.db);
    let manifest = manifest(&server);
    let key = |contest: &str| manifest.contest(contest).unwrap().issuer_key();
    let eligible = |m: &[String], c: &str| m.iter().any(|x| x == c);

    // A member eligible for `nec` but not `wales` gets a pass labelled `nec` whose blinded
    // message is a `wales` pass message. The issuer signs it (with `nec`'s key; it cannot see the
    // message), and the pass even unblinds, but it is a `nec` signature: `wales` refuses it.
    let only_nec = find_member(&server, &election, |m| {
        eligible(m, "nec") && !eligible(m, "wales")
    });
    let secret = PassSecret::from_bytes([1; 16]);
    let smuggled = pass_labelled(
        &server,
        &only_nec,
        &manifest,
        "nec",
        &secret,
        "wales",
        key("nec"),
    );
    assert_eq!(
        cast(&server, &manifest, &secret, "wales", &smuggled),
        (422, Some("bad_pass".into())),
        "a nec pass must not cast a wales ballot"
    );

    // A member eligible for `nec`, `youth` and `wales` asks for three passes, each blinding a
    // `nec` pass message: only the one the issuer signed with `nec`'s key casts in `nec`.
    let three = find_member(&server, &election, |m| {
        ["nec", "youth", "wales"].iter().all(|c| eligible(m, c))
    });
    let mut outcomes = Vec::new();
    for (i, label) in ["nec", "youth", "wales"].into_iter().enumerate() {
        let secret = PassSecret::from_bytes([10 + i as u8; 16]);
        let pass = pass_labelled(
            &server,
            &three,
            &manifest,
            label,
            &secret,
            "nec",
            key(label),
        );
        outcomes.push(cast(&server, &manifest, &secret, "nec", &pass));
    }
    assert_eq!(
        outcomes[0].0, 200,
        "the honest nec pass casts: {outcomes:?}"
    );
    assert_eq!(
        outcomes[1..],
        [
            (422, Some("bad_pass".into())),
            (422, Some("bad_pass".into()))
        ],
        "passes labelled youth and wales must not cast nec ballots"
    );

    // The other members vote as usual; the record verifies with one nec ballot from this member.
    let attackers = [only_nec.number, three.number];
    let others: String = std::iter::once("member_number,invitation_code\n".to_owned())
        .chain(
            (election.invitations().into_iter())
                .filter(|(m, _)| !attackers.contains(m))
                .map(|(m, c)| format!("{m},{c}\n")),
        )
        .collect();
    std::fs::write(election.path("invitations.csv"), others).unwrap();
    let report = super::vote_sim(&[&server], &election, &["--concurrency", "4"]);
    assert!(
        super::figure(&report, "ballots accepted:") > 100,
        "{report}"
    );
    let manifest_json = election.close_tally_verify();
    assert_eq!(manifest_json["election"], ELECTION);
}

#[test]
fn a_pass_blinded_for_another_contest_is_refused_on_sqlite() {
    passes_are_bound_to_their_contest("passes-bound-sqlite", None);
}

#[test]
fn a_pass_blinded_for_another_contest_is_refused_on_postgresql() {
    passes_are_bound_to_their_contest(
        "passes-bound-postgres",
        Some(super::postgres_database("passes_bound")),
    );
}
