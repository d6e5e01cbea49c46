//! Witnessed checkpoints over real HTTP (issue 13 item 5, docs/PROTOCOL.md §16): two factions'
//! witnesses (`teller witness`, separate processes) cosign both logs as they grow; the booth's
//! check refuses a checkpoint without the manifest's quorum; the server refuses cosignatures by
//! strangers and forged ones; the record carries the cosignatures and `teller verify` names the
//! witnesses; and a server that forks its log (a second copy of its database, voted on apart) is
//! caught by a witness, which refuses and prints the two signed checkpoints.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use teller::core::booth::witnessed_checkpoint;
use teller::core::log::Witness;
use teller::core::manifest::Manifest;

use super::cli::teller;
use super::{ELECTION, Election, Server, agent, post, run, vote_sim};

/// `teller witness keygen`: the key file and the public key it printed.
fn keygen(dir: &Path, name: &str) -> (String, String) {
    let file = dir.join(format!("{}.key", name.replace('/', "_")));
    let output = teller()
        .args(["witness", "keygen", "--name", name, "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let public = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    (file.to_string_lossy().into_owned(), public)
}

/// `teller witness` for `key` against `server`, with its state file beside the key.
fn witness(server: &Server, key: &str, extra: &[&str]) -> std::process::Command {
    let mut command = teller();
    command
        .args(["witness", "--server", &server.url, "--election", ELECTION])
        .args(["--key", key, "--state", &format!("{key}.state.json")])
        .args(["--every", "1"])
        .args(extra);
    command
}

fn witness_once(server: &Server, key: &str) -> std::process::Output {
    witness(server, key, &["--once"]).output().unwrap()
}

fn get(url: &str) -> (u16, String) {
    let mut response = agent().get(url).call().unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap(),
    )
}

/// Waits for a following witness to finish (it stops once the election is closed and both final
/// checkpoints are cosigned).
fn finished(mut child: Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the witness did not finish");
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// A copy of the election's database as it is now, while no server has it open: a SQLite file
/// (with its WAL) copied beside it, or a PostgreSQL database made from it as a template.
fn copy_database(election: &Election) -> String {
    if let Some((server, name)) = election.db.rsplit_once('/')
        && election.db.starts_with("postgres")
    {
        use diesel::{Connection as _, RunQueryDsl as _};
        let admin = std::env::var("TELLER_TEST_POSTGRES").unwrap();
        let mut conn = diesel::PgConnection::establish(&admin).unwrap();
        let fork = format!("{name}_fork");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {fork}"))
            .execute(&mut conn)
            .unwrap();
        // The killed server's sessions may take a moment to end; a template must have none.
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Err(e) =
            diesel::sql_query(format!("CREATE DATABASE {fork} TEMPLATE {name}")).execute(&mut conn)
        {
            assert!(Instant::now() < deadline, "copying the database: {e}");
            std::thread::sleep(Duration::from_millis(200));
        }
        return format!("{server}/{fork}");
    }
    let fork = election.path("fork.db");
    for suffix in ["", "-wal", "-shm"] {
        let source = format!("{}{suffix}", election.db);
        if Path::new(&source).exists() {
            std::fs::copy(&source, format!("{fork}{suffix}")).unwrap();
        }
    }
    fork
}

#[test]
fn two_witnesses_cosign_as_the_log_grows_and_catch_a_server_that_forks_it_on_sqlite() {
    witnesses_over_http("witness-sqlite", None);
}

#[test]
fn two_witnesses_cosign_as_the_log_grows_and_catch_a_server_that_forks_it_on_postgresql() {
    witnesses_over_http(
        "witness-postgres",
        Some(super::postgres_database("witnessed")),
    );
}

fn witnesses_over_http(name: &str, db: Option<String>) {
    let dir = super::cli::scratch(&format!("{name}-keys"));
    std::fs::create_dir_all(&dir).unwrap();
    let (key_a, public_a) = keygen(&dir, "left.example/witness");
    let (key_b, public_b) = keygen(&dir, "right.example/witness");
    let election = Election::open_with(name, db, 60, |definition| {
        format!("{definition}\n[witnesses]\nkeys = [\"{public_a}\", \"{public_b}\"]\nquorum = 2\n")
    });
    let server = Server::start(&election.db);
    let manifest = Manifest::parse(get(&server.api("/manifest")).1.as_bytes()).unwrap();
    assert_eq!(manifest.witness_quorum(), 2);
    let booth_check = |server: &Server| {
        let note = get(&server.api("/logs/ballots/checkpoint")).1;
        witnessed_checkpoint(&manifest, note.as_bytes())
            .map(|(checkpoint, names)| (checkpoint.size(), names))
            .map_err(|e| e.to_string())
    };

    // No witness has cosigned: the booth refuses, and no checkpoint is witnessed yet.
    let refused = booth_check(&server).unwrap_err();
    assert!(
        refused.contains("cosigned by 0 of the 2 witnesses"),
        "{refused}"
    );
    let (status, _) = get(&server.api("/logs/ballots/checkpoint?witnessed=true"));
    assert_eq!(status, 404);
    // One witness: still refused, naming who did cosign.
    let once = witness_once(&server, &key_a);
    assert!(once.status.success(), "{once:?}");
    let said = String::from_utf8_lossy(&once.stdout);
    assert!(said.contains("ballots log: cosigned size 1"), "{said}");
    let refused = booth_check(&server).unwrap_err();
    assert!(
        refused.contains("cosigned by 1 of the 2 witnesses needed (left.example/witness)"),
        "{refused}"
    );
    // Both: the booth accepts the checkpoint and names them.
    assert!(witness_once(&server, &key_b).status.success());
    assert_eq!(
        booth_check(&server).unwrap(),
        (
            1,
            vec![
                "left.example/witness".to_owned(),
                "right.example/witness".to_owned()
            ]
        )
    );
    let (status, witnessed) = get(&server.api("/logs/ballots/checkpoint?witnessed=true"));
    assert_eq!(status, 200);
    assert_eq!(witnessed.lines().nth(1), Some("1"));

    // The server stores only its manifest's witnesses' cosignatures, and only genuine ones.
    let body = witnessed[..witnessed.find("\n\n").unwrap() + 1].to_owned();
    let url = server.api("/logs/ballots/cosignatures");
    let stranger = Witness::from_seed("stranger.example/witness", &[9; 32]).unwrap();
    let line = stranger.cosign(&body, 1_800_000_000).unwrap();
    let (status, _, answer) = post(&url, &json!({"size": 1, "cosignature": line}), "x");
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (403, Some("not_a_witness"))
    );
    let a = Witness::parse(std::fs::read_to_string(&key_a).unwrap().trim()).unwrap();
    let other_body = body.replacen("\n1\n", "\n2\n", 1);
    let forged = a.cosign(&other_body, 1_800_000_000).unwrap();
    let (status, _, answer) = post(&url, &json!({"size": 1, "cosignature": forged}), "x");
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("bad_cosignature"))
    );
    let (status, _, answer) = post(&url, &json!({"size": 99, "cosignature": forged}), "x");
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("not_found"))
    );

    // A copy of the database as it is now: the fork a dishonest operator could serve later.
    drop(server);
    let fork_db = copy_database(&election);
    let server = Server::start(&election.db);

    // Both witnesses follow while members vote; the booth's receipt check (vote-sim's, with
    // the booth's code) waits for checkpoints the two have cosigned.
    let followers = [&key_a, &key_b].map(|key| {
        witness(&server, key, &[])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    });
    let report = vote_sim(&[&server], &election, &["--turnout", "0.5", "--no-probes"]);
    assert!(
        super::figure(&report, "receipts checked against a signed checkpoint:") > 0,
        "{report}"
    );
    let (checkpoint, names) = booth_check(&server).unwrap();
    assert!(checkpoint > 1 && names.len() == 2);
    run(&election.db, &["election", "close", ELECTION]);
    for follower in followers {
        let said = finished(follower);
        assert!(
            said.contains("both logs' final checkpoints are cosigned"),
            "{said}"
        );
    }
    drop(server);

    // The record carries the cosignatures: the tally's verification and `teller verify` pass
    // (the final checkpoints have the quorum) and name the witnesses.
    let record = election.tally_and_verify_record();
    let verify = teller().arg("verify").arg(&record).output().unwrap();
    let report = String::from_utf8(verify.stdout).unwrap();
    assert!(report.contains("PASS witness-cosignatures"), "{report}");
    assert!(report.contains("witnesses: 2 of the 2 named must cosign each log's final checkpoint"));
    for name in ["left.example/witness", "right.example/witness"] {
        let line = report
            .lines()
            .find(|l| l.starts_with(&format!("witness {name}: cosigned ")))
            .unwrap_or_else(|| panic!("{report}"));
        assert!(!line.contains("no ballot-log"), "{line}");
    }

    // The fork: the copy, voted on apart by other members, served as the same election.
    let fork = Server::start(&fork_db);
    vote_sim(
        &[&fork],
        &election,
        &[
            "--turnout",
            "0.5",
            "--seed",
            "another history",
            "--no-probes",
            "--skip-receipt-checks",
        ],
    );
    // Its new checkpoints have no witness: the booth refuses them.
    let refused = booth_check(&fork).unwrap_err();
    assert!(refused.contains("cosigned by 0 of the 2"), "{refused}");
    // A witness shown it refuses, exits 3 and prints both signed checkpoints.
    let output = witness_once(&fork, &key_a);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let proof = String::from_utf8(output.stdout).unwrap();
    assert!(
        proof.contains("FORK: the ballots log of election nec-2026"),
        "{proof}"
    );
    let (before, now) = proof
        .split_once("The checkpoint the server shows now:\n")
        .unwrap();
    let before = &before[before.find("cosigned before:\n").unwrap() + "cosigned before:\n".len()..];
    // Both are genuinely signed by the ballot box's key: anyone can check the proof.
    for note in [before, now].map(|n| n.trim_end_matches('\n').to_owned() + "\n") {
        teller::core::booth::ballot_checkpoint(&manifest, note.as_bytes())
            .unwrap_or_else(|e| panic!("{e}: {note:?}"));
    }
    // The witness keeps refusing: its state still holds what it cosigned.
    assert_eq!(witness_once(&fork, &key_a).status.code(), Some(3));
    drop(fork);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&election.dir).unwrap();
}
