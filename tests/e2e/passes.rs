//! Issue 9, part 1: a voting pass is good for its own contest only. A hostile member, over HTTP,
//! asks the issuer for a pass labelled for one contest whose blinded message is a pass message for
//! another (the issuer cannot see what it signs), and casts the result in the other contest. With
//! one issuer key for every contest the box accepted such ballots; with one key per contest it
//! must refuse every one as `bad_pass`.

use teller::core::crypto::PassSecret;

use super::member::{Member, cast, login, manifest, pass_labelled};
use super::{ELECTION, Election, Server};

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

/// Closing while many members ask for passes (issue 11 item 1): the close publishes the pending
/// issuances and the issuer's final checkpoint under the issuance log's lock, so no issuance is
/// appended twice or after it, and the record verifies. Before issue 9's lock order a close during
/// pass requests on PostgreSQL could append the same issuances twice and the tally refused to run.
fn a_close_during_pass_requests_leaves_a_record_that_verifies(name: &str, db: Option<String>) {
    let election = super::Election::open(name, db, 300);
    let server = super::Server::start(&election.db);
    std::thread::scope(|scope| {
        let voting = scope.spawn(|| {
            // Fails once the election closes under it; what it did before is what counts.
            super::teller()
                .args([
                    "vote-sim",
                    "--server",
                    &server.url,
                    "--election",
                    super::ELECTION,
                ])
                .args(["--invitations", &election.path("invitations.csv")])
                .args(["--concurrency", "16"])
                .output()
                .unwrap()
        });
        std::thread::sleep(std::time::Duration::from_millis(1500));
        super::run(&election.db, &["election", "close", super::ELECTION]);
        voting.join().unwrap();
    });
    drop(server);
    let record = election.tally_and_verify_record();
    let issued = std::fs::read_to_string(record.join("issuance/entries.jsonl")).unwrap();
    assert!(
        issued.lines().count() > 0,
        "no pass was issued before the close"
    );
    std::fs::remove_dir_all(&election.dir).unwrap();
}

#[test]
fn a_close_during_pass_requests_leaves_a_record_that_verifies_on_sqlite() {
    a_close_during_pass_requests_leaves_a_record_that_verifies("passes-close-sqlite", None);
}

#[test]
fn a_close_during_pass_requests_leaves_a_record_that_verifies_on_postgresql() {
    a_close_during_pass_requests_leaves_a_record_that_verifies(
        "passes-close-postgres",
        Some(super::postgres_database("passes_close")),
    );
}
