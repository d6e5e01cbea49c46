//! Failed logins counted under concurrency: every member behind one address shares the address's
//! throttle row, and concurrent failures used to race to insert it (one of them answered 500,
//! seen in CI on PostgreSQL). Each wrong code must be refused as `bad_login` or `throttled`.

use serde_json::json;

use super::{Election, Server, post};

fn concurrent_wrong_codes_are_refused(name: &str, db: Option<String>) {
    let election = Election::open(name, db, 40);
    let server = Server::start(&election.db);
    let members: Vec<String> = election.invitations().into_iter().map(|(m, _)| m).collect();
    let statuses: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = members
            .iter()
            .map(|member| {
                let server = &server;
                scope.spawn(move || {
                    let (status, _, body) = post(
                        &server.api("/login"),
                        &json!({ "member": member, "code": "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA" }),
                        "",
                    );
                    (status, body["error"]["code"].as_str().map(str::to_owned))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (status, code) in &statuses {
        assert!(
            matches!(
                (status, code.as_deref()),
                (401, Some("bad_login")) | (429, Some("throttled"))
            ),
            "a wrong code answered {status} {code:?}; all: {statuses:?}"
        );
    }
}

#[test]
fn concurrent_wrong_codes_are_refused_never_an_error_on_sqlite() {
    concurrent_wrong_codes_are_refused("login-concurrent-sqlite", None);
}

#[test]
fn concurrent_wrong_codes_are_refused_never_an_error_on_postgresql() {
    concurrent_wrong_codes_are_refused(
        "login-concurrent-postgres",
        Some(super::postgres_database("login_concurrent")),
    );
}

/// The race itself, at the store: many first failures for one subject at the same instant.
fn first_failures_at_once_are_all_counted(db: &str) {
    let store = teller::store::Store::open(db).unwrap();
    let threads = 16;
    let barrier = std::sync::Barrier::new(threads);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (store, barrier) = (&store, &barrier);
            scope.spawn(move || {
                barrier.wait();
                store.login_failed("race", "address:192.0.2.1").unwrap();
            });
        }
    });
    let (throttled, counted) = store.throttled("race", &["address:192.0.2.1"]).unwrap();
    assert_eq!(counted, ["address:192.0.2.1"]);
    assert_eq!(
        throttled, None,
        "16 failures are under the address's 50 free ones"
    );
}

#[test]
fn first_failures_at_once_are_all_counted_on_sqlite() {
    let dir = super::scratch("login-race");
    std::fs::create_dir_all(&dir).unwrap();
    first_failures_at_once_are_all_counted(&dir.join("teller.db").to_string_lossy());
}

#[test]
fn first_failures_at_once_are_all_counted_on_postgresql() {
    first_failures_at_once_are_all_counted(&super::postgres_database("login_race"));
}
