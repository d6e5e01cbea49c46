//! Issue 15 item 4: the returning officer removes members after the election opened
//! (suspension, expulsion, death), over real HTTP, on both backends. DESIGN.md's rule: a member
//! removed before casting cannot cast; one who cast keeps their ballot. The issuance log records
//! each removal per contest (PROTOCOL §10) and `teller verify` counts them.

use teller::core::crypto::PassSecret;
use teller::core::log::Entry;
use teller::store::{IssueOutcome, Store, StoredIssuance};

use super::member::{Member, cast, login, manifest, pass_labelled};
use super::{ELECTION, Election, Server, agent, post, run, run_failing, teller};

/// Three members eligible for `nec`, logged in: (who votes, who holds a session, who stays away).
fn three_nec_members(server: &Server, election: &Election) -> (Member, Member, Member) {
    let mut found = (election.invitations().into_iter())
        .map(|(member, code)| login(server, &member, &code))
        .filter(|m| m.contests.iter().any(|c| c == "nec"));
    let mut next = || found.next().unwrap();
    (next(), next(), next())
}

/// A login's status and error code.
fn try_login(server: &Server, member: &str, code: &str) -> (u16, Option<String>) {
    let (status, _, body) = post(
        &server.api("/login"),
        &serde_json::json!({ "member": member, "code": code }),
        "",
    );
    (status, body["error"]["code"].as_str().map(str::to_owned))
}

fn removing(name: &str, db: Option<String>) {
    // Arrange: one member votes, one logs in and waits, one does nothing yet.
    let election = Election::open_with(name, db, 40, |d| d);
    let server = Server::start(&election.db);
    let manifest = manifest(&server);
    let (voter, waiting, away) = three_nec_members(&server, &election);
    let secret = PassSecret::from_bytes([41; 16]);
    let key = manifest.contest("nec").unwrap().issuer_key();
    let voters_pass = pass_labelled(&server, &voter, &manifest, "nec", &secret, "nec", key);
    assert_eq!(
        cast(&server, &manifest, &secret, "nec", &voters_pass).0,
        200
    );
    let code = |number: &str| {
        (election.invitations().into_iter())
            .find(|(m, _)| m == number)
            .unwrap()
            .1
    };

    // Act and assert: what the command line refuses.
    let no_reason = run_failing(
        &election.db,
        &[
            "register",
            "remove",
            ELECTION,
            &away.number,
            "--reason",
            " ",
        ],
    );
    assert!(no_reason.contains("give a reason"), "{no_reason}");
    let stranger = run_failing(
        &election.db,
        &["register", "remove", ELECTION, "M9999999", "--reason", "x"],
    );
    assert!(stranger.contains("no member \"M9999999\""), "{stranger}");

    // Remove all three.
    for (member, reason) in [
        (&voter, "expelled"),
        (&waiting, "suspended"),
        (&away, "died"),
    ] {
        let said = run(
            &election.db,
            &[
                "register",
                "remove",
                ELECTION,
                &member.number,
                "--reason",
                reason,
            ],
        );
        assert!(
            said.contains("is removed from") && said.contains("nec"),
            "{said}"
        );
    }

    // The one who stayed away cannot log in with the right code, and is told why.
    assert_eq!(
        try_login(&server, &away.number, &code(&away.number)),
        (403, Some("removed".into()))
    );
    // With the answer go their roster commitments, one per contest they were eligible for:
    // what the issuance log's removal entries will name.
    let (_, _, answer) = post(
        &server.api("/login"),
        &serde_json::json!({ "member": away.number, "code": code(&away.number) }),
        "",
    );
    let commitments = answer["error"]["commitments"].as_object().unwrap().clone();
    let row = Store::open(&election.db)
        .unwrap()
        .member(ELECTION, &away.number)
        .unwrap()
        .unwrap();
    let eligible: Vec<&str> = row.eligible_contests().collect();
    assert_eq!(
        commitments.keys().map(String::as_str).collect::<Vec<_>>(),
        eligible,
        "{answer}"
    );
    // A wrong code says nothing about removal.
    assert_eq!(
        try_login(&server, &away.number, "AAAA-AAAA-AAAA-AAAA").0,
        401
    );
    // The one holding a session cannot get a pass with it.
    let late = PassSecret::from_bytes([42; 16]);
    let request = late.blind(key, &manifest.fingerprint(), "nec").unwrap();
    let mut response = agent()
        .post(&server.api("/passes"))
        .header("Authorization", &format!("Bearer {}", waiting.token))
        .send_json(serde_json::json!({
            "contest": "nec",
            "blinded": teller::core::crypto::Bytes::<0>(request.blinded_message().to_vec()),
        }))
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.body_mut().read_json().unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("removed")),
        "{body}"
    );
    // Under the issuance log's lock too: a pass signed before the removal and recorded after it
    // is refused (the race the session check alone would lose).
    let store = Store::open(&election.db).unwrap();
    let outcome = store
        .record_issuance(
            &manifest,
            "nec",
            &waiting.number,
            &StoredIssuance {
                blinded: vec![1; 256],
                blind_sig: vec![2; 256],
            },
            false,
        )
        .unwrap();
    assert_eq!(outcome, IssueOutcome::Removed);
    // No second removal, no new code, no re-issue grant.
    let twice = run_failing(
        &election.db,
        &[
            "register",
            "remove",
            ELECTION,
            &voter.number,
            "--reason",
            "again",
        ],
    );
    assert!(twice.contains("was removed"), "{twice}");
    let reissue_code = run_failing(
        &election.db,
        &[
            "invitations",
            "export",
            ELECTION,
            "--out",
            &election.path("again.csv"),
            "--reissue",
            &away.number,
        ],
    );
    assert!(reissue_code.contains("was removed"), "{reissue_code}");
    let grant = run_failing(
        &election.db,
        &["passes", "reissue", ELECTION, &voter.number],
    );
    assert!(grant.contains("was removed"), "{grant}");

    // The events log has each reason and the contests, never a member number.
    let events = store.events(ELECTION).unwrap();
    let removals: Vec<_> = (events.iter())
        .filter(|e| e.kind == "member removed")
        .collect();
    assert_eq!(removals.len(), 3, "{events:?}");
    for (event, reason) in removals.iter().zip(["expelled", "suspended", "died"]) {
        assert!(
            event.detail.contains(&format!("reason: {reason}")) && event.detail.contains("nec"),
            "{event:?}"
        );
        for member in [&voter, &waiting, &away] {
            assert!(!event.detail.contains(&member.number), "{event:?}");
        }
    }

    // Closing publishes the removals; the voter's ballot counts; the record verifies.
    drop(server);
    run(&election.db, &["election", "close", ELECTION]);
    let record = election.tally_and_verify_record();
    let log = std::fs::read_to_string(record.join("issuance/entries.jsonl")).unwrap();
    let entries: Vec<Entry> = (log.lines())
        .map(|l| Entry::decode(l.as_bytes()).unwrap())
        .collect();
    let nec_removals = (entries.iter())
        .filter(|e| matches!(e, Entry::Removal(r) if r.contest == "nec"))
        .count();
    assert_eq!(nec_removals, 3);
    // The removed member finds their own removal in each contest, under the commitment the
    // login answer gave them; the board's search finds it too.
    for (contest, commitment) in &commitments {
        let commitment = commitment.as_str().unwrap();
        let found = (entries.iter()).filter(|e| {
            matches!(e, Entry::Removal(r)
                if &r.contest == contest && teller::core::crypto::encode_bytes(&r.member.0) == commitment)
        });
        assert_eq!(found.count(), 1, "{contest}: {commitment}");
    }
    let server = Server::start(&election.db);
    let board = |member: &str| {
        let url = format!("{}/e/{ELECTION}/board/issuance?member={member}", server.url);
        agent()
            .get(&url)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    };
    let nec = commitments["nec"].as_str().unwrap();
    let page = board(nec);
    assert!(
        page.contains("Removal entries that name member commitment")
            && page.contains("member removed"),
        "{page}"
    );
    assert_eq!(page.matches("<td>member removed</td>").count(), 1, "{page}");
    let stranger = board("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert!(
        stranger.contains("No removal entry names member commitment"),
        "{stranger}"
    );
    drop(server);
    let output = teller().arg("verify").arg(&record).output().unwrap();
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains(
            "removals: nec: 3 member(s) removed after opening, no pass issued to them after; \
             1 of them held a pass from before, which may have cast"
        ),
        "{report}"
    );
    let nec: Vec<&str> = (report.lines())
        .find(|l| l.split_whitespace().next() == Some("nec"))
        .unwrap()
        .split_whitespace()
        .collect();
    // contest eligible issued reissued cast counted valid invalid removed
    assert_eq!(
        (nec[2], nec[4], nec[5], nec[8]),
        ("1", "1", "1", "3"),
        "{report}"
    );
    std::fs::remove_dir_all(&election.dir).unwrap();
}

#[test]
fn members_removed_after_opening_on_sqlite() {
    removing("removal-sqlite", None);
}

#[test]
fn members_removed_after_opening_on_postgresql() {
    removing(
        "removal-postgres",
        Some(super::postgres_database("removal")),
    );
}
