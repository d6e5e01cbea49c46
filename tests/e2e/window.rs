//! The voting window (issue 11, item 8): the box issues passes and takes ballots only inside it,
//! closes the election by itself at the closing time, and an officer may extend it before the
//! end. Before the fix a cast was accepted a week after `closes` and before `opens`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use teller::core::crypto::PassSecret;

use super::member::{cast, login, manifest, pass_labelled};
use super::{ELECTION, Election, Server, agent, run, run_failing};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The example election with its window replaced.
fn with_window(opens: &str, closes: &str) -> impl FnOnce(String) -> String {
    let (opens, closes) = (opens.to_owned(), closes.to_owned());
    move |definition| {
        definition
            .replace("opens = \"now\"", &format!("opens = \"{opens}\""))
            .replace("closes = \"now+14d\"", &format!("closes = \"{closes}\""))
    }
}

/// The code of a refused pass request.
fn pass_refused(server: &Server, token: &str, contest: &str) -> (u16, Option<String>) {
    let mut response = agent()
        .post(&server.api("/passes"))
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(serde_json::json!({ "contest": contest, "blinded": "AAAA" }))
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.body_mut().read_json().unwrap();
    (status, body["error"]["code"].as_str().map(str::to_owned))
}

/// Before `opens`: no pass. An extension must be later than the closing time in force.
fn before_the_window(name: &str, db: Option<String>) {
    let election = Election::open_with(name, db, 40, with_window("now+1h", "now+2h"));
    let server = Server::start(&election.db);
    let (number, code) = election.invitations().into_iter().next().unwrap();
    let member = login(&server, &number, &code);
    assert_eq!(
        pass_refused(&server, &member.token, &member.contests[0]),
        (409, Some("not_open".to_owned())),
        "a pass before the window opens"
    );
    let earlier = run_failing(
        &election.db,
        &["election", "extend", ELECTION, "--closes", "now+90m"],
    );
    assert!(
        earlier.contains("is not after the one in force"),
        "{earlier}"
    );
    let bad = run_failing(
        &election.db,
        &["election", "extend", ELECTION, "--closes", "Friday"],
    );
    assert!(bad.contains("--closes"), "{bad}");
    let extended = run(
        &election.db,
        &[
            "election",
            "extend",
            ELECTION,
            "--closes",
            "2099-01-01T00:00:00Z",
        ],
    );
    assert!(
        extended.contains("now closes at 2099-01-01T00:00:00Z"),
        "{extended}"
    );
    let list = run(&election.db, &["election", "list"]);
    assert!(list.contains("to 2099-01-01T00:00:00Z"), "{list}");
    drop(server);
    std::fs::remove_dir_all(&election.dir).unwrap();
}

/// Inside the window a pass and a ballot; at `closes` the server closes the election by itself,
/// and from then on no pass, no ballot, and no extension; the record verifies.
fn the_window_closes_by_itself(name: &str, db: Option<String>) {
    let election = Election::open_with(name, db, 40, with_window("now-1h", "now+25s"));
    let server = Server::start(&election.db);
    let manifest = manifest(&server);
    let closes = manifest.window().closes;
    assert!(closes > now(), "the test election closed before it began");
    let mut members = (election.invitations().into_iter())
        .map(|(number, code)| login(&server, &number, &code))
        .filter(|m| !m.contests.is_empty());
    let (early, late) = (members.next().unwrap(), members.next().unwrap());
    let contest = early.contests[0].clone();
    let key = manifest.contest(&contest).unwrap().issuer_key();
    let secret = |seed| PassSecret::from_bytes([seed; 16]);
    let pass = pass_labelled(
        &server,
        &early,
        &manifest,
        &contest,
        &secret(1),
        &contest,
        key,
    );
    assert_eq!(cast(&server, &manifest, &secret(1), &contest, &pass).0, 200);
    // A pass taken in time, for a ballot cast too late.
    let late_contest = late.contests[0].clone();
    let late_key = manifest.contest(&late_contest).unwrap().issuer_key();
    let late_pass = pass_labelled(
        &server,
        &late,
        &manifest,
        &late_contest,
        &secret(2),
        &late_contest,
        late_key,
    );

    std::thread::sleep(Duration::from_secs((closes - now()).max(0) as u64 + 3));
    assert_eq!(
        cast(&server, &manifest, &secret(2), &late_contest, &late_pass),
        (409, Some("not_open".to_owned())),
        "a ballot after the window closed"
    );
    assert_eq!(
        pass_refused(&server, &early.token, &contest).0,
        409,
        "a pass after the window closed"
    );
    let list = run(&election.db, &["election", "list"]);
    assert!(
        list.contains(&format!("{ELECTION}\tclosed")),
        "the server closed it: {list}"
    );
    let late_extension = run_failing(
        &election.db,
        &["election", "extend", ELECTION, "--closes", "now+1d"],
    );
    assert!(late_extension.contains("is closed"), "{late_extension}");
    drop(server);
    // One ballot, then the close entry the server wrote; the record verifies.
    election.tally_and_verify_record();
    let log = std::fs::read_to_string(election.dir.join("record/log/entries.jsonl")).unwrap();
    let kinds: Vec<&str> = log
        .lines()
        .map(|l| {
            if l.contains("\"type\":\"ballot\"") {
                "ballot"
            } else if l.contains("\"type\":\"close\"") {
                "close"
            } else {
                "open"
            }
        })
        .collect();
    assert_eq!(kinds, ["open", "ballot", "close"]);
    std::fs::remove_dir_all(&election.dir).unwrap();
}

#[test]
fn no_pass_before_the_window_and_extensions_only_move_it_later_on_sqlite() {
    before_the_window("window-before-sqlite", None);
}

#[test]
fn no_pass_before_the_window_and_extensions_only_move_it_later_on_postgresql() {
    before_the_window(
        "window-before-postgres",
        Some(super::postgres_database("window_before")),
    );
}

#[test]
fn the_window_closes_by_itself_on_sqlite() {
    the_window_closes_by_itself("window-closes-sqlite", None);
}

#[test]
fn the_window_closes_by_itself_on_postgresql() {
    the_window_closes_by_itself(
        "window-closes-postgres",
        Some(super::postgres_database("window_closes")),
    );
}
