//! Issue 9: the issuer and the ballot box run by two operators, each with its own database (one
//! SQLite, one PostgreSQL), as docs/design/unlinkability.md describes: the issuer never holds a
//! ballot, the ballot box never holds a member, and the record they publish together verifies.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;
use teller::core::crypto::encode_bytes;

use super::unlinkable::read_every_table;
use super::{ELECTION, Server, agent, examples, post, run, run_failing, scratch, teller};

fn two_operators(name: &str, issuer_db: Option<String>, box_db: Option<String>) {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).unwrap();
    let path = |p: &str| dir.join(p).to_string_lossy().into_owned();
    let issuer_db = issuer_db.unwrap_or_else(|| path("issuer.db"));
    let box_db = box_db.unwrap_or_else(|| path("box.db"));

    // The issuer creates the election and hands the ballot box its manifest and its one key.
    run(
        &issuer_db,
        &[
            "election",
            "create",
            "--dealer",
            &examples().join("election.toml").to_string_lossy(),
            "--keys",
            &path("issuer-keys"),
            "--out",
            &path("manifest.json"),
            "--issuer-only",
        ],
    );
    std::fs::create_dir_all(path("box-keys")).unwrap();
    std::fs::rename(
        path("issuer-keys/ballot-log.key"),
        path("box-keys/ballot-log.key"),
    )
    .unwrap();
    let adopted = run(
        &box_db,
        &[
            "election",
            "adopt",
            &path("manifest.json"),
            "--keys",
            &path("box-keys"),
        ],
    );
    assert!(adopted.contains("ballot box"), "{adopted}");

    // The register and the codes stay with the issuer.
    let all = std::fs::read_to_string(examples().join("members.csv")).unwrap();
    let register: String = all.lines().take(151).map(|l| format!("{l}\n")).collect();
    std::fs::write(path("members.csv"), register).unwrap();
    run(
        &issuer_db,
        &["register", "import", ELECTION, &path("members.csv")],
    );
    run(
        &issuer_db,
        &[
            "invitations",
            "export",
            ELECTION,
            "--out",
            &path("invitations.csv"),
        ],
    );

    // Open: the issuer freezes its register and publishes the rosters; the box commits to them.
    run(&issuer_db, &["election", "open", ELECTION]);
    run(
        &issuer_db,
        &["record", "export", ELECTION, &path("rosters")],
    );
    let refused = run_failing(&box_db, &["election", "open", ELECTION]);
    assert!(refused.contains("--rosters"), "{refused}");
    run(
        &box_db,
        &["election", "open", ELECTION, "--rosters", &path("rosters")],
    );

    let issuer = Server::start(&issuer_db);
    let ballot_box = Server::start(&box_db);
    // Each server refuses the other's work.
    let zeros = |n: usize| encode_bytes(&vec![0; n]);
    let (status, _, body) = post(
        &issuer.api("/ballots"),
        &json!({"contest": "nec",
                "pass": {"key": zeros(32), "randomizer": zeros(32), "signature": zeros(256)},
                "enc": zeros(32), "ct": zeros(57), "signature": zeros(64)}),
        "",
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, _, body) = post(
        &ballot_box.api("/login"),
        &json!({"member": "M0000001", "code": "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"}),
        "",
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let answer = agent()
        .get(&issuer.api("/logs/ballots/checkpoint"))
        .call()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 404);

    // Members log in and take passes at the issuer, and cast at the box.
    let output = teller()
        .args(["vote-sim", "--server", &issuer.url, "--ballot-box"])
        .arg(&ballot_box.url)
        .args([
            "--election",
            ELECTION,
            "--invitations",
            &path("invitations.csv"),
        ])
        .args(["--concurrency", "4"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ballots = super::figure(&report, "ballots accepted:");
    assert!(ballots > 100, "{report}");
    drop((issuer, ballot_box));

    // Close both; the box completes the record with the issuer's part, tallies and exports it.
    run(&issuer_db, &["election", "close", ELECTION]);
    run(&box_db, &["election", "close", ELECTION]);
    run(
        &issuer_db,
        &["record", "export", ELECTION, &path("issuer-part")],
    );
    let tally = run(
        &box_db,
        &[
            "tally",
            ELECTION,
            "--share",
            &path("issuer-keys/trustee-1.share"),
            "--share",
            &path("issuer-keys/trustee-2.share"),
            "--issuer-part",
            &path("issuer-part"),
        ],
    );
    assert!(tally.contains("the record verifies"), "{tally}");
    run(
        &box_db,
        &[
            "record",
            "export",
            ELECTION,
            &path("record"),
            "--issuer-part",
            &path("issuer-part"),
        ],
    );
    let verify = teller()
        .args(["verify", &path("record"), "--quiet"])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    // The box stored the issuer's part with the tally, so it publishes the whole record.
    let server = Server::start(&box_db);
    super::archive::download_and_verify(&server, Path::new(&path("record")));
    drop(server);

    // The box's database names no member anywhere; the issuer's holds no ballot.
    let members: BTreeSet<String> = all
        .lines()
        .skip(1)
        .take(150)
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    for (table, rows) in read_every_table(&box_db) {
        for row in rows {
            let text: String = row.columns.iter().map(|(_, v)| v.as_str()).collect();
            let named = members.iter().find(|m| text.contains(m.as_str()));
            assert!(named.is_none(), "the ballot box's {table} names {named:?}");
        }
    }
    for (table, rows) in read_every_table(&issuer_db) {
        if table == "casts" {
            assert!(rows.is_empty(), "the issuer holds casts");
        }
        for row in rows {
            let text: String = row.columns.iter().map(|(_, v)| v.as_str()).collect();
            assert!(
                !text.contains("\"type\":\"ballot\""),
                "the issuer's {table} holds a ballot"
            );
        }
    }
}

#[test]
fn issuer_on_sqlite_and_ballot_box_on_postgresql_as_two_operators() {
    two_operators(
        "operators-sqlite-postgres",
        None,
        Some(super::postgres_database("operators_box")),
    );
}

#[test]
fn issuer_on_postgresql_and_ballot_box_on_sqlite_as_two_operators() {
    two_operators(
        "operators-postgres-sqlite",
        Some(super::postgres_database("operators_issuer")),
        None,
    );
}
