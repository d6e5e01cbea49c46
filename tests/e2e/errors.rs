//! Answers to requests the server cannot serve as asked: each a documented code, never a 500
//! for something that is not the server's fault (issue 11, item 7).

use serde_json::{Value, json};
use teller::core::crypto::Bytes;

use super::member::{login, manifest};
use super::{Election, Server, agent, examples, run, scratch};

fn get(url: &str) -> (u16, Value) {
    let mut response = agent().get(url).call().unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_json().unwrap_or(Value::Null),
    )
}

/// The logs of an election created but never opened: `409 not_open` (they begin when it opens),
/// where the server answered `500 internal` and logged an error per request.
fn logs_before_open(name: &str, db: Option<String>) {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).unwrap();
    let db = db.unwrap_or_else(|| dir.join("teller.db").to_string_lossy().into_owned());
    let definition = dir.join("election.toml");
    std::fs::copy(examples().join("election.toml"), &definition).unwrap();
    let keys = dir.join("keys");
    run(
        &db,
        &[
            "election",
            "create",
            "--dealer",
            definition.to_str().unwrap(),
            "--keys",
            keys.to_str().unwrap(),
        ],
    );
    let server = Server::start(&db);
    for log in ["ballots", "issuance"] {
        for path in [
            "checkpoint".to_owned(),
            "inclusion?seq=0&size=1".to_owned(),
            "consistency?old=1&new=2".to_owned(),
        ] {
            let (status, body) = get(&server.api(&format!("/logs/{log}/{path}")));
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (409, Some("not_open")),
                "{log}/{path}: {body}"
            );
        }
    }
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_logs_of_an_election_not_yet_open_answer_not_open_on_sqlite() {
    logs_before_open("errors-logs-sqlite", None);
}

#[test]
fn the_logs_of_an_election_not_yet_open_answer_not_open_on_postgresql() {
    logs_before_open(
        "errors-logs-postgres",
        Some(super::postgres_database("errors_logs")),
    );
}

/// `Authorization: bearer …` (any case of the scheme, RFC 7235 §2.1) is the same session.
fn the_authorization_scheme_is_case_insensitive(name: &str, db: Option<String>) {
    let election = Election::open(name, db, 40);
    let server = Server::start(&election.db);
    let manifest = manifest(&server);
    let (number, code) = election.invitations().into_iter().next().unwrap();
    let member = login(&server, &number, &code);
    let contest = &member.contests[0];
    let key = manifest.contest(contest).unwrap().issuer_key();
    let secret = teller::core::crypto::PassSecret::from_bytes([5; 16]);
    let request = secret.blind(key, &manifest.fingerprint(), contest).unwrap();
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let mut response = agent()
            .post(&server.api("/passes"))
            .header("Authorization", &format!("{scheme} {}", member.token))
            .send_json(json!({
                "contest": contest,
                "blinded": Bytes::<0>(request.blinded_message().to_vec()),
            }))
            .unwrap();
        let body: Value = response.body_mut().read_json().unwrap();
        assert_eq!(response.status().as_u16(), 200, "{scheme}: {body}");
    }
    drop(server);
    std::fs::remove_dir_all(&election.dir).unwrap();
}

#[test]
fn the_authorization_scheme_is_case_insensitive_on_sqlite() {
    the_authorization_scheme_is_case_insensitive("errors-bearer-sqlite", None);
}

#[test]
fn the_authorization_scheme_is_case_insensitive_on_postgresql() {
    the_authorization_scheme_is_case_insensitive(
        "errors-bearer-postgres",
        Some(super::postgres_database("errors_bearer")),
    );
}

/// A body that is not the call's request is `400 bad_request` in the API's own words: no Rust
/// type or library names (the server said "Json deserialize error: invalid type: integer `1`,
/// expected struct LoginRequest").
fn a_malformed_body_is_refused_in_the_apis_words(name: &str, db: Option<String>) {
    let election = Election::open(name, db, 10);
    let server = Server::start(&election.db);
    for (body, content_type) in [
        ("1", "application/json"),
        (r#"{"member": 1, "code": "x"}"#, "application/json"),
        (r#"{"member": "M0000001"}"#, "application/json"),
        (
            r#"{"member": "M1", "code": "x", "extra": 1}"#,
            "application/json",
        ),
        ("not json", "application/json"),
        (r#"{"member": "M1", "code": "x"}"#, "text/plain"),
    ] {
        let mut response = agent()
            .post(&server.api("/login"))
            .header("Content-Type", content_type)
            .send(body)
            .unwrap();
        let status = response.status().as_u16();
        let answer: Value = response.body_mut().read_json().unwrap();
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "bad_request", "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        for leak in ["struct", "LoginRequest", "Json deserialize", "serde"] {
            assert!(!message.contains(leak), "{body}: {message:?} says {leak:?}");
        }
    }
    drop(server);
    std::fs::remove_dir_all(&election.dir).unwrap();
}

/// Slow clients (issue 11 item 5): a connection that sent its head and part of a body was held
/// for ever, and 20,500 of them took the server down. Now each is answered `408` after the
/// request timeout and closed, an address has at most 64 requests in progress (more: `429` at
/// once), and the server answers everyone else meanwhile.
#[test]
fn slow_clients_are_cut_off_and_others_are_served() {
    use std::io::{Read as _, Write as _};
    let election = Election::open("errors-slow", None, 10);
    let server = Server::start_with(
        &election.db,
        &["--request-timeout", "2", "--trusted-proxy", "127.0.0.1"],
    );
    let address = server.url.trim_start_matches("http://").to_owned();
    let slow: Vec<std::net::TcpStream> = (0..100)
        .map(|_| {
            let mut stream = std::net::TcpStream::connect(&address).unwrap();
            write!(
                stream,
                "POST /api/elections/nec-2026/login HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.9\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"member\":"
            )
            .unwrap();
            stream
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    let (status, body) = get(&format!("{}/api/health", server.url));
    assert_eq!((status, body["ok"].as_bool()), (200, Some(true)));
    assert!(
        started.elapsed().as_secs() < 2,
        "health waited behind the slow clients"
    );
    let mut answers = std::collections::BTreeMap::new();
    for mut stream in slow {
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        let status = answer.split(' ').nth(1).unwrap_or("none").to_owned();
        *answers.entry(status).or_insert(0) += 1;
    }
    assert_eq!(
        answers,
        [("408".to_owned(), 64), ("429".to_owned(), 36)].into(),
        "each slow request is answered (408 after the timeout, 429 past 64 from one address) and closed"
    );
    drop(server);
    std::fs::remove_dir_all(&election.dir).unwrap();
}

/// A NUL byte in a member number answered `500` on PostgreSQL (it refuses NUL in text): now
/// `bad_login`, as for any number on no register, on both backends.
fn a_nul_in_a_member_number(name: &str, db: Option<String>) {
    let election = Election::open(name, db, 10);
    let server = Server::start(&election.db);
    for member in ["12\u{0}3", "\u{0}", &"9".repeat(300)] {
        let (status, _, body) = super::post(
            &server.api("/login"),
            &json!({ "member": member, "code": "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA" }),
            "",
        );
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("bad_login")),
            "{body}"
        );
    }
    drop(server);
    std::fs::remove_dir_all(&election.dir).unwrap();
}

#[test]
fn a_nul_in_a_member_number_is_a_bad_login_on_sqlite() {
    a_nul_in_a_member_number("errors-nul-sqlite", None);
}

#[test]
fn a_nul_in_a_member_number_is_a_bad_login_on_postgresql() {
    a_nul_in_a_member_number(
        "errors-nul-postgres",
        Some(super::postgres_database("errors_nul")),
    );
}

#[test]
fn a_malformed_body_is_refused_in_the_apis_words_on_sqlite() {
    a_malformed_body_is_refused_in_the_apis_words("errors-bodies-sqlite", None);
}

#[test]
fn a_malformed_body_is_refused_in_the_apis_words_on_postgresql() {
    a_malformed_body_is_refused_in_the_apis_words(
        "errors-bodies-postgres",
        Some(super::postgres_database("errors_bodies")),
    );
}

/// A database that cannot be reached answers `503 unavailable` with `Retry-After` (it answered
/// `404 not_found`, as if the election did not exist; a cast answered `500 internal`, which the
/// booth does not retry); the cause is in the server's log.
#[test]
fn a_database_that_is_gone_answers_unavailable_not_not_found() {
    use diesel::{Connection as _, RunQueryDsl as _};
    let url = super::postgres_database("errors_gone");
    let election = Election::open("errors-gone", Some(url.clone()), 10);
    // One server has the election loaded (a member has a pass and a cast to send); the other
    // has not, so its first request reads the database.
    let voting = Server::start(&election.db);
    let manifest = manifest(&voting);
    let voter = super::retry::voters(&voting, &election, &manifest, 1).remove(0);
    let cast = super::retry::body(&super::retry::sealed(&manifest, &voter, &[0], 1, None));
    let server = Server::start(&election.db);
    let (base, name) = url.rsplit_once('/').unwrap();
    let mut admin = diesel::PgConnection::establish(&format!("{base}/postgres")).unwrap();
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .unwrap();
    let mut response = agent().get(&server.api("/manifest")).call().unwrap();
    let status = response.status().as_u16();
    let retry_after = response.headers().get("Retry-After").cloned();
    let body: Value = response.body_mut().read_json().unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    assert!(retry_after.is_some());
    let (status, answer) = super::retry::send(&voting, &cast);
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (503, Some("unavailable")),
        "a cast: {answer}"
    );
    let (status, answer) = get(&voting.api("/logs/ballots/checkpoint"));
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (503, Some("unavailable")),
        "a checkpoint: {answer}"
    );
    drop((server, voting));
    std::fs::remove_dir_all(&election.dir).unwrap();
}

/// The operator reads why the database cannot be reached: PostgreSQL's own reason, not "Invalid
/// connection url for multiconnection" (diesel's manager for two backends tried both and kept
/// neither's error).
#[test]
fn a_database_that_cannot_be_reached_is_named_with_its_reason() {
    let admin = std::env::var("TELLER_TEST_POSTGRES").expect("TELLER_TEST_POSTGRES");
    let (base, _) = admin.rsplit_once('/').unwrap();
    let missing = format!("{base}/teller_never_created_{}", std::process::id());
    let output = super::teller()
        .args(["election", "list", "--database", &missing])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("connecting to the database") && stderr.contains("does not exist"),
        "{stderr}"
    );
}
