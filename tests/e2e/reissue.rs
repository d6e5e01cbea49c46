//! Issue 11 item 9: a member who lost the booth's pass secret gets a new pass under the
//! manifest's `reissue` policy (docs/PROTOCOL.md §8), over real HTTP, on both backends. Nothing
//! links the two passes, so both may cast; the record counts the re-issue and `teller verify`
//! reports it as the contest's duplicate exposure.

use rand::SeedableRng as _;
use serde_json::{Value, json};
use teller::core::booth::seal_ballot;
use teller::core::crypto::{Bytes, Pass, PassSecret, decode_bytes};
use teller::core::log::PassJson;
use teller::core::manifest::Manifest;

use super::member::{Member, cast, login, manifest};
use super::{ELECTION, Election, Server, agent, post, run, teller};

/// A pass request's outcome: the status, the error code and message, and the pass if granted.
struct Answer {
    status: u16,
    code: Option<String>,
    message: String,
    pass: Option<Pass>,
    blind: Vec<u8>,
}

/// Asks for `secret`'s pass for `contest`, as a re-issue if `reissue`.
fn ask(
    server: &Server,
    member: &Member,
    manifest: &Manifest,
    contest: &str,
    secret: &PassSecret,
    reissue: bool,
) -> Answer {
    let key = manifest.contest(contest).unwrap().issuer_key();
    let request = secret.blind(key, &manifest.fingerprint(), contest).unwrap();
    let mut body = json!({
        "contest": contest,
        "blinded": Bytes::<0>(request.blinded_message().to_vec()),
    });
    if reissue {
        body["reissue"] = json!(true);
    }
    let mut response = agent()
        .post(&server.api("/passes"))
        .header("Authorization", &format!("Bearer {}", member.token))
        .send_json(body)
        .unwrap();
    let status = response.status().as_u16();
    let answer: Value = response.body_mut().read_json().unwrap();
    let blind = answer["blind_signature"]
        .as_str()
        .map(|b| decode_bytes(b).unwrap())
        .unwrap_or_default();
    Answer {
        status,
        code: answer["error"]["code"].as_str().map(str::to_owned),
        message: answer["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        pass: (status == 200).then(|| request.finalize(key, &blind).unwrap()),
        blind,
    }
}

/// Casts a first preference for candidate `first`, replacing entry `replaces` if given; returns
/// the status and the answer.
fn cast_replacing(
    server: &Server,
    manifest: &Manifest,
    secret: &PassSecret,
    pass: &Pass,
    first: usize,
    replaces: Option<i64>,
) -> (u16, Value) {
    let mut ikm = [0u8; 32];
    rand::Rng::fill_bytes(&mut rand::rngs::ChaCha20Rng::from_seed([5; 32]), &mut ikm);
    let cast = seal_ballot(
        manifest,
        secret,
        "nec",
        &PassJson::from(pass),
        &[first],
        replaces,
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

/// The first two members (from the invitations) eligible for `nec`, logged in.
fn two_nec_members(server: &Server, election: &Election) -> (Member, Member) {
    let mut found = election
        .invitations()
        .into_iter()
        .map(|(member, code)| login(server, &member, &code))
        .filter(|m| m.contests.iter().any(|c| c == "nec"));
    (found.next().unwrap(), found.next().unwrap())
}

/// Closes, tallies and verifies; returns `teller verify`'s report.
fn verified_report(election: &Election) -> String {
    run(&election.db, &["election", "close", ELECTION]);
    let record = election.tally_and_verify_record();
    let output = teller().arg("verify").arg(&record).output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

/// The `reissued` column of contest `contest` in a verify report.
fn reissued(report: &str, contest: &str) -> usize {
    let row = report
        .lines()
        .find(|l| l.split_whitespace().next() == Some(contest))
        .unwrap_or_else(|| panic!("no totals row for {contest}:\n{report}"));
    row.split_whitespace().nth(3).unwrap().parse().unwrap()
}

/// `by = "member"`, limit 1, re-voting forbidden: the member re-issues themselves after a fresh
/// login; a retry of the re-issue is idempotent; a second re-issue is refused; both the lost
/// pass and the new one cast, both are accepted, the record verifies and shows an exposure of 1.
fn a_member_reissues_their_own_pass(name: &str, db: Option<String>) {
    // Arrange.
    let election = Election::open_with(name, db, 40, |d| {
        d.replace(
            "reissue = { by = \"officer\", limit = 1 }",
            "reissue = { by = \"member\", limit = 1 }",
        )
    });
    let server = Server::start(&election.db);
    let manifest = manifest(&server);
    let (member, other) = two_nec_members(&server, &election);
    let lost = PassSecret::from_bytes([21; 16]);
    let first = ask(&server, &member, &manifest, "nec", &lost, false);
    assert_eq!(first.status, 200);
    let old_pass = first.pass.unwrap();
    assert_eq!(cast(&server, &manifest, &lost, "nec", &old_pass).0, 200);

    // Act: a fresh login on another device, with a new secret.
    let again = login(&server, &member.number, &code_of(&election, &member.number));
    let new = PassSecret::from_bytes([22; 16]);
    let plain = ask(&server, &again, &manifest, "nec", &new, false);
    let reissued_pass = ask(&server, &again, &manifest, "nec", &new, true);
    let retry = ask(&server, &again, &manifest, "nec", &new, true);
    let asked_plainly = ask(&server, &again, &manifest, "nec", &new, false);
    let third = ask(
        &server,
        &again,
        &manifest,
        "nec",
        &PassSecret::from_bytes([23; 16]),
        true,
    );
    let none_yet = ask(
        &server,
        &other,
        &manifest,
        "nec",
        &PassSecret::from_bytes([24; 16]),
        true,
    );

    // Assert.
    assert_eq!(
        (plain.status, plain.code.as_deref()),
        (409, Some("already_issued"))
    );
    assert_eq!(reissued_pass.status, 200, "{}", reissued_pass.message);
    assert_eq!(
        (retry.status, &retry.blind),
        (200, &reissued_pass.blind),
        "an identical retry of a re-issue gets the same signature"
    );
    assert_eq!(
        (asked_plainly.status, &asked_plainly.blind),
        (200, &reissued_pass.blind),
        "the re-issued pass's own request, asked again without the flag, is a retry too"
    );
    assert_eq!(
        (third.status, third.code.as_deref()),
        (409, Some("no_reissue")),
        "the limit is 1"
    );
    assert!(
        third.message.contains("most new voting passes"),
        "{}",
        third.message
    );
    assert_eq!(
        (none_yet.status, none_yet.code.as_deref()),
        (409, Some("not_issued"))
    );
    // Under `forbidden`, the lost pass and the new one both cast: nothing links them.
    let new_pass = reissued_pass.pass.unwrap();
    assert_eq!(cast(&server, &manifest, &new, "nec", &new_pass).0, 200);
    // Nothing to grant under `by: member`.
    let refused = super::run_failing(
        &election.db,
        &["passes", "reissue", ELECTION, &member.number],
    );
    assert!(refused.contains("reissue.by is \"member\""), "{refused}");
    drop(server);
    let report = verified_report(&election);
    assert_eq!(reissued(&report, "nec"), 1, "{report}");
    assert!(
        report.contains(
            "duplicate exposure: nec: at most 1 counted ballot(s) can be a second ballot of one member"
        ),
        "{report}"
    );
    std::fs::remove_dir_all(&election.dir).unwrap();
}

/// `by = "officer"`, limit 1, re-voting `last`: no re-issue without the officer's grant; with it,
/// one; the new pass's second ballot replaces its own first; the record verifies.
fn the_officer_grants_a_reissue(name: &str, db: Option<String>) {
    // Arrange.
    let election = Election::open_with(name, db, 40, |d| {
        d.replace("revote = \"forbidden\"", "revote = \"last\"")
    });
    let server = Server::start(&election.db);
    let manifest = manifest(&server);
    let (member, _) = two_nec_members(&server, &election);
    let lost = PassSecret::from_bytes([31; 16]);
    let first = ask(&server, &member, &manifest, "nec", &lost, false);
    assert_eq!(
        cast(&server, &manifest, &lost, "nec", &first.pass.unwrap()).0,
        200
    );
    let new = PassSecret::from_bytes([32; 16]);

    // Act and assert: refused before the grant, granted once after it.
    let before = ask(&server, &member, &manifest, "nec", &new, true);
    assert_eq!(
        (before.status, before.code.as_deref()),
        (409, Some("no_reissue"))
    );
    assert!(
        before.message.contains("returning officer"),
        "{}",
        before.message
    );
    let unknown = super::run_failing(&election.db, &["passes", "reissue", ELECTION, "M9999999"]);
    assert!(unknown.contains("no member \"M9999999\""), "{unknown}");
    let granted = run(
        &election.db,
        &[
            "passes",
            "reissue",
            ELECTION,
            &member.number,
            "--contest",
            "nec",
        ],
    );
    assert!(granted.contains("in nec"), "{granted}");
    let twice = super::run_failing(
        &election.db,
        &[
            "passes",
            "reissue",
            ELECTION,
            &member.number,
            "--contest",
            "nec",
        ],
    );
    assert!(twice.contains("allows 1 per member and contest"), "{twice}");
    // The events log says a re-issue was granted, never to whom.
    let events = teller::store::Store::open(&election.db)
        .unwrap()
        .events(ELECTION)
        .unwrap();
    let grant = events
        .iter()
        .find(|event| event.kind == "pass re-issue granted")
        .expect("the grant is in the events log");
    assert!(!grant.detail.contains(&member.number), "{grant:?}");
    let after = ask(&server, &member, &manifest, "nec", &new, true);
    assert_eq!(after.status, 200, "{}", after.message);
    let again = ask(
        &server,
        &member,
        &manifest,
        "nec",
        &PassSecret::from_bytes([33; 16]),
        true,
    );
    assert_eq!(
        (again.status, again.code.as_deref()),
        (409, Some("no_reissue")),
        "one grant, one re-issue"
    );

    // Re-voting under `last` with the new pass: its second ballot replaces its own first.
    let new_pass = after.pass.unwrap();
    let (status, receipt) = cast_replacing(&server, &manifest, &new, &new_pass, 1, None);
    assert_eq!(status, 200, "{receipt}");
    let seq = receipt["seq"].as_i64().unwrap();
    let (status, body) = cast_replacing(&server, &manifest, &new, &new_pass, 2, Some(seq));
    assert_eq!(status, 200, "{body}");
    drop(server);
    let report = verified_report(&election);
    assert_eq!(reissued(&report, "nec"), 1, "{report}");
    std::fs::remove_dir_all(&election.dir).unwrap();
}

/// The member's invitation code.
fn code_of(election: &Election, member: &str) -> String {
    election
        .invitations()
        .into_iter()
        .find(|(m, _)| m == member)
        .unwrap()
        .1
}

#[test]
fn a_member_reissues_their_own_pass_on_sqlite() {
    a_member_reissues_their_own_pass("reissue-member-sqlite", None);
}

#[test]
fn a_member_reissues_their_own_pass_on_postgresql() {
    a_member_reissues_their_own_pass(
        "reissue-member-postgres",
        Some(super::postgres_database("reissue_member")),
    );
}

#[test]
fn the_officer_grants_a_reissue_on_sqlite() {
    the_officer_grants_a_reissue("reissue-officer-sqlite", None);
}

#[test]
fn the_officer_grants_a_reissue_on_postgresql() {
    the_officer_grants_a_reissue(
        "reissue-officer-postgres",
        Some(super::postgres_database("reissue_officer")),
    );
}
