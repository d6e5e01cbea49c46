//! The ballot server end to end, over real HTTP, on SQLite and on PostgreSQL: the returning
//! officer's commands through the `teller` binary, `teller serve`, members voting with
//! `teller vote-sim` (wrong codes, repeated pass requests, passes for contests they may not vote
//! in, second ballots), then close, tally with the trustees' shares, export and `teller verify`.
//! Also: a crash (`kill -9`) during a burst of casts loses no acknowledged ballot, and two servers
//! on one PostgreSQL database keep one log.
//!
//! PostgreSQL: `TELLER_TEST_POSTGRES` is an admin URL of a server the tests may create databases
//! on; `.ci/test` starts a throwaway one and sets it.

mod archive;
mod ceremony;
mod checkpoints;
#[path = "../cli/mod.rs"]
mod cli;
mod console;
mod errors;
mod login;
mod member;
mod operators;
mod passes;
mod reissue;
mod removal;
mod retry;
mod unlinkable;
mod window;
mod witness;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use cli::{recounts_to_the_published_winners, scratch, teller};
use serde_json::Value;

const ELECTION: &str = "nec-2026";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// A fresh PostgreSQL database on the test server.
fn postgres_database(name: &str) -> String {
    use diesel::{Connection as _, RunQueryDsl as _};
    let admin = std::env::var("TELLER_TEST_POSTGRES").expect(
        "TELLER_TEST_POSTGRES is not set: run the suite with .ci/test, which starts a throwaway PostgreSQL",
    );
    let database = format!("teller_{name}_{}", std::process::id());
    let mut conn = diesel::PgConnection::establish(&admin).expect("connecting to the test server");
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {database}"))
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query(format!("CREATE DATABASE {database}"))
        .execute(&mut conn)
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{database}")
}

/// Runs `teller ARGS --database DB` and returns its standard output; panics unless it succeeds.
fn run(db: &str, args: &[&str]) -> String {
    let output = teller()
        .args(args)
        .args(["--database", db])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "teller {args:?}: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs a command that must fail with exit status 2; returns its standard error.
fn run_failing(db: &str, args: &[&str]) -> String {
    let output = teller()
        .args(args)
        .args(["--database", db])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "teller {args:?} should have failed: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stderr).unwrap()
}

/// A running `teller serve`, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(db: &str) -> Self {
        Self::start_with(db, &[])
    }

    /// As [`Server::start`], with more arguments to `teller serve`.
    fn start_with(db: &str, extra: &[&str]) -> Self {
        let mut child = teller()
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--workers",
                "2",
                "--database",
                db,
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("teller serve printed {line:?}"))
            .to_owned();
        Self { child, url }
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/elections/{ELECTION}{path}", self.url)
    }

    /// `kill -9`.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An election created, its register imported (the first `members` of examples/members.csv),
/// invitations exported, and opened.
struct Election {
    dir: PathBuf,
    db: String,
}

impl Election {
    fn open(name: &str, db: Option<String>, members: usize) -> Self {
        Self::open_with(name, db, members, |definition| definition)
    }

    /// As [`Election::open`], with the example definition edited by `edit`.
    fn open_with(
        name: &str,
        db: Option<String>,
        members: usize,
        edit: impl FnOnce(String) -> String,
    ) -> Self {
        let dir = scratch(name);
        std::fs::create_dir_all(&dir).unwrap();
        let db = db.unwrap_or_else(|| dir.join("teller.db").to_string_lossy().into_owned());
        let election = Self { dir, db };
        let definition = edit(std::fs::read_to_string(examples().join("election.toml")).unwrap());
        std::fs::write(election.path("election.toml"), definition).unwrap();
        let create = run(
            &election.db,
            &[
                "election",
                "create",
                "--dealer",
                &election.path("election.toml"),
                "--keys",
                &election.path("keys"),
            ],
        );
        assert!(create.contains("fingerprint"), "{create}");
        election.register_invite_open(members);
        election
    }

    /// For an election created: its register imported (the first `members` of
    /// examples/members.csv), invitations exported, and opened.
    fn register_invite_open(&self, members: usize) {
        let election = self;
        let all = std::fs::read_to_string(examples().join("members.csv")).unwrap();
        let register: String = all
            .lines()
            .take(members + 1)
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(election.path("members.csv"), register).unwrap();
        run(
            &election.db,
            &[
                "register",
                "import",
                ELECTION,
                &election.path("members.csv"),
            ],
        );
        run(
            &election.db,
            &[
                "invitations",
                "export",
                ELECTION,
                "--out",
                &election.path("invitations.csv"),
            ],
        );
        run(&election.db, &["election", "open", ELECTION]);
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    fn invitations(&self) -> Vec<(String, String)> {
        teller::client::read_invitations(
            &std::fs::read_to_string(self.path("invitations.csv")).unwrap(),
        )
        .unwrap()
    }

    /// Close, then [`Election::tally_and_verify_record`].
    fn close_tally_verify_record(&self) -> PathBuf {
        run(&self.db, &["election", "close", ELECTION]);
        self.tally_and_verify_record()
    }

    /// Close, then [`Election::tally_export_verify`].
    fn close_tally_verify(&self) -> Value {
        run(&self.db, &["election", "close", ELECTION]);
        self.tally_export_verify()
    }

    /// Tally with two of the three shares, export the record, and check `teller verify` passes
    /// it; returns the record's directory.
    fn tally_and_verify_record(&self) -> PathBuf {
        let tally = run(
            &self.db,
            &[
                "tally",
                ELECTION,
                "--share",
                &self.path("keys/trustee-1.share"),
                "--share",
                &self.path("keys/trustee-3.share"),
            ],
        );
        assert!(tally.contains("the record verifies"), "{tally}");
        let record = self.dir.join("record");
        run(
            &self.db,
            &["record", "export", ELECTION, &record.to_string_lossy()],
        );
        verify_passes(&record);
        record
    }

    /// Tally with two of the three shares and export; `teller verify` must pass and every
    /// contest's BLT must recount to the published winners.
    fn tally_export_verify(&self) -> Value {
        let record = self.tally_and_verify_record();
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(record.join("manifest.json")).unwrap()).unwrap();
        for contest in manifest["contests"].as_array().unwrap() {
            recounts_to_the_published_winners(&record, contest);
        }
        manifest
    }
}

/// `teller verify RECORD` (a directory or an archive) passes.
fn verify_passes(record: &Path) {
    let verify = teller()
        .arg("verify")
        .arg(record)
        .arg("--quiet")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{report}");
    assert!(report.contains("verify: PASS"), "{report}");
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// POSTs JSON; returns status, a header's value and the body as JSON.
fn post(url: &str, body: &Value, header: &str) -> (u16, Option<String>, Value) {
    let mut response = agent().post(url).send_json(body).unwrap();
    let value = response
        .headers()
        .get(header)
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = response.body_mut().read_json().unwrap_or(Value::Null);
    (response.status().as_u16(), value, body)
}

fn vote_sim(servers: &[&Server], election: &Election, extra: &[&str]) -> String {
    let mut command = teller();
    command.arg("vote-sim");
    for server in servers {
        command.args(["--server", &server.url]);
    }
    let output = command
        .args([
            "--election",
            ELECTION,
            "--invitations",
            &election.path("invitations.csv"),
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "vote-sim: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The number after `label` in vote-sim's report.
fn figure(report: &str, label: &str) -> usize {
    let at = report
        .find(label)
        .unwrap_or_else(|| panic!("{label:?} not in {report}"))
        + label.len();
    report[at..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn whole_election(name: &str, db: Option<String>) {
    let election = Election::open(name, db, 400);
    // The register is frozen once the election opens.
    let refused = run_failing(
        &election.db,
        &[
            "register",
            "import",
            ELECTION,
            &election.path("members.csv"),
        ],
    );
    assert!(refused.contains("frozen"), "{refused}");

    let server = Server::start(&election.db);
    let report = vote_sim(
        &[&server],
        &election,
        &[
            "--turnout",
            "0.75",
            "--wrong-codes",
            "10",
            "--concurrency",
            "8",
        ],
    );
    let ballots = figure(&report, "ballots accepted:");
    assert!(ballots > 250, "{report}");
    assert_eq!(
        figure(&report, "receipts checked against a signed checkpoint:"),
        ballots
    );
    assert_eq!(figure(&report, "logged in:"), 300, "{report}");
    assert_eq!(figure(&report, "members logged in: 300 ("), 10, "{report}");
    assert!(figure(&report, "repeats answered alike,") > 0, "{report}");
    assert!(report.contains("ineligible refused"), "{report}");
    assert!(figure(&report, "second ballots handled:") > 0, "{report}");

    // A wrong code is throttled: after five failures even the right code must wait.
    let (member, code) = election.invitations()[0].clone();
    for _ in 0..5 {
        let (status, _, body) = post(
            &server.api("/login"),
            &serde_json::json!({ "member": member, "code": "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA" }),
            "Retry-After",
        );
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("bad_login"))
        );
    }
    let (status, retry_after, body) = post(
        &server.api("/login"),
        &serde_json::json!({ "member": member, "code": code }),
        "Retry-After",
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("throttled")),
        "{body}"
    );
    assert!(retry_after.unwrap().parse::<u64>().unwrap() > 0);

    // Errors are JSON with a stable code; every answer carries the security headers.
    let mut response = agent()
        .get(&format!("{}/nowhere", server.url))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(response.headers()["X-Content-Type-Options"], "nosniff");
    assert_eq!(response.headers()["X-Frame-Options"], "DENY");
    let body: Value = response.body_mut().read_json().unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let (status, _, body) = post(
        &server.api("/ballots"),
        &serde_json::json!({"contest": 1}),
        "",
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    let huge = "A".repeat(100_000);
    let (status, _, body) = post(
        &server.api("/login"),
        &serde_json::json!({ "member": huge, "code": "x" }),
        "",
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    let (status, _, body) = post(
        &server.api("/passes"),
        &serde_json::json!({ "contest": "nec", "blinded": "AAAA" }),
        "",
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );

    let turnout = run(&election.db, &["turnout", ELECTION]);
    assert!(turnout.contains("nec\t"), "{turnout}");
    assert!(!turnout.to_lowercase().contains("elected"), "{turnout}");

    // Closed while serving: no more passes.
    run(&election.db, &["election", "close", ELECTION]);
    let (status, login) = election.invitations()[1..]
        .iter()
        .find_map(|(member, code)| {
            let (status, _, login) = post(
                &server.api("/login"),
                &serde_json::json!({ "member": member, "code": code }),
                "",
            );
            (login["contests"].as_array().is_some_and(|c| !c.is_empty())).then_some((status, login))
        })
        .unwrap();
    assert_eq!(status, 200, "{login}");
    let mut response = agent()
        .post(&server.api("/passes"))
        .header(
            "Authorization",
            &format!("Bearer {}", login["token"].as_str().unwrap()),
        )
        .send_json(serde_json::json!({ "contest": login["contests"][0], "blinded": "AAAA" }))
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.body_mut().read_json().unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("not_open")),
        "{body}"
    );
    drop(server);

    // t−1 shares cannot tally.
    let refused = run_failing(
        &election.db,
        &[
            "tally",
            ELECTION,
            "--share",
            &election.path("keys/trustee-2.share"),
        ],
    );
    assert!(refused.contains("needs 2"), "{refused}");
    // Closing twice is refused, naming the state.
    let again = run_failing(&election.db, &["election", "close", ELECTION]);
    assert!(again.contains("is closed"), "{again}");
    election.tally_export_verify();
    std::fs::remove_dir_all(&election.dir).unwrap();
}

#[test]
fn a_whole_election_over_http_on_sqlite() {
    whole_election("http-sqlite", None);
}

#[test]
fn a_whole_election_over_http_on_postgresql() {
    whole_election("http-postgres", Some(postgres_database("whole")));
}

/// Every ballot the server acknowledged before a `kill -9` is in the log after a restart, and the
/// record verifies.
fn crash(name: &str, db: Option<String>) {
    let election = Election::open(name, db, 600);
    let server = Server::start(&election.db);
    let receipts = election.path("receipts.jsonl");
    let mut burst = teller()
        .args(["vote-sim", "--server", &server.url, "--election", ELECTION])
        .args(["--invitations", &election.path("invitations.csv")])
        .args([
            "--concurrency",
            "16",
            "--skip-receipt-checks",
            "--receipts",
            &receipts,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::fs::read_to_string(&receipts)
        .map(|t| t.lines().count())
        .unwrap_or(0)
        < 40
    {
        assert!(Instant::now() < deadline, "no receipts after 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    let _ = burst.wait();
    let acknowledged: Vec<Value> = std::fs::read_to_string(&receipts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(acknowledged.len() >= 40);

    let server = Server::start(&election.db);
    for receipt in &acknowledged {
        let seq = receipt["seq"].as_i64().unwrap();
        let mut response = agent()
            .get(&server.api(&format!(
                "/logs/ballots/entries?start={seq}&end={}",
                seq + 1
            )))
            .call()
            .unwrap();
        let entry = response.body_mut().read_to_vec().unwrap();
        let entry = entry.strip_suffix(b"\n").unwrap_or(&entry);
        let leaf = teller::core::log::leaf_hash(entry);
        assert_eq!(
            teller::core::crypto::encode_bytes(&leaf),
            receipt["leaf"].as_str().unwrap(),
            "acknowledged ballot {seq} is not in the log after the crash"
        );
    }
    drop(server);
    election.close_tally_verify();
    std::fs::remove_dir_all(&election.dir).unwrap();
}

#[test]
fn a_crash_during_a_burst_of_casts_loses_no_acknowledged_ballot_on_sqlite() {
    crash("crash-sqlite", None);
}

#[test]
fn a_crash_during_a_burst_of_casts_loses_no_acknowledged_ballot_on_postgresql() {
    crash("crash-postgres", Some(postgres_database("crash")));
}

#[test]
fn two_servers_on_one_postgresql_database_keep_one_log() {
    let election = Election::open("two-servers", Some(postgres_database("two")), 400);
    let first = Server::start(&election.db);
    let second = Server::start(&election.db);
    // Members are spread over both servers; every receipt (from either) is checked against the
    // first server's checkpoint.
    let report = vote_sim(&[&first, &second], &election, &["--concurrency", "16"]);
    let ballots = figure(&report, "ballots accepted:");
    assert_eq!(
        figure(&report, "receipts checked against a signed checkpoint:"),
        ballots
    );
    // Both servers serve the same log: the second's checkpoint is consistent with the first's.
    let checkpoint = |server: &Server| {
        let mut response = agent()
            .get(&server.api("/logs/ballots/checkpoint"))
            .call()
            .unwrap();
        response.body_mut().read_to_string().unwrap()
    };
    let a = checkpoint(&first);
    let b = checkpoint(&second);
    assert_eq!(a.lines().nth(1), b.lines().nth(1), "{a}\n{b}");
    assert_eq!(a.lines().nth(2), b.lines().nth(2), "{a}\n{b}");
    drop((first, second));
    election.close_tally_verify();
    std::fs::remove_dir_all(&election.dir).unwrap();
}

/// Under re-voting policy `last`, a member's second ballot names the first and replaces it; the
/// record verifies with only the last ballot counted.
fn revoting_replaces_the_earlier_ballot(name: &str, db: Option<String>) {
    let election = Election::open_with(name, db, 300, |definition| {
        definition.replace("revote = \"forbidden\"", "revote = \"last\"")
    });
    let server = Server::start(&election.db);
    let report = vote_sim(&[&server], &election, &["--concurrency", "8"]);
    let replaced = figure(&report, "second ballots handled:");
    assert!(replaced > 0, "{report}");
    // Every receipt, the replacing ballots' too, is in the checkpoint.
    assert_eq!(
        figure(&report, "receipts checked against a signed checkpoint:"),
        figure(&report, "ballots accepted:") + replaced
    );
    drop(server);
    election.close_tally_verify();
    std::fs::remove_dir_all(&election.dir).unwrap();
}

#[test]
fn revoting_over_http_replaces_the_earlier_ballot_on_sqlite() {
    revoting_replaces_the_earlier_ballot("revote-sqlite", None);
}

#[test]
fn revoting_over_http_replaces_the_earlier_ballot_on_postgresql() {
    revoting_replaces_the_earlier_ballot("revote-postgres", Some(postgres_database("revote")));
}

/// The logs are append-only in the database itself: UPDATE and DELETE of an entry or a subtree
/// head fail, on both backends, and so does TRUNCATE on PostgreSQL, which fires no row triggers
/// (`2026-11-30-000003_no_truncate`; SQLite has no TRUNCATE). Both rows are still there after.
fn log_tables_refuse_rewrites(db: &str) {
    use diesel::RunQueryDsl as _;
    use diesel::connection::SimpleConnection as _;
    let store = teller::store::Store::open(db).unwrap();
    let mut conn = store.conn().unwrap();
    conn.batch_execute(
        "INSERT INTO log_entries (election, log, seq, entry) VALUES ('e', 'ballots', 0, 'x'); \
         INSERT INTO merkle_nodes (election, log, level, idx, hash) VALUES ('e', 'ballots', 0, 0, 'x');",
    )
    .unwrap();
    let mut statements = vec![
        "UPDATE log_entries SET entry = 'y'",
        "DELETE FROM log_entries",
        "UPDATE merkle_nodes SET hash = 'y'",
        "DELETE FROM merkle_nodes",
    ];
    if store.is_postgres() {
        statements.extend([
            "TRUNCATE log_entries",
            "TRUNCATE merkle_nodes",
            "TRUNCATE log_entries, merkle_nodes",
        ]);
    }
    for statement in statements {
        match conn.batch_execute(statement) {
            Ok(()) => panic!("{statement} succeeded on a log table"),
            Err(error) => assert!(
                error.to_string().contains("append-only"),
                "{statement}: {error}"
            ),
        }
    }
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
    }
    for table in ["log_entries", "merkle_nodes"] {
        let count: Count = diesel::sql_query(format!("SELECT COUNT(*) AS rows FROM {table}"))
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(count.rows, 1, "{table} lost its row");
    }
}

#[test]
fn log_tables_refuse_update_and_delete_on_sqlite() {
    let dir = scratch("append-only");
    std::fs::create_dir_all(&dir).unwrap();
    log_tables_refuse_rewrites(&dir.join("teller.db").to_string_lossy());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn log_tables_refuse_update_delete_and_truncate_on_postgresql() {
    log_tables_refuse_rewrites(&postgres_database("append"));
}

/// Before the election opens, a re-import shows what changed; a register with a bad row imports
/// nothing and names the line; a re-issued invitation code replaces the old one, which then fails.
fn register_reimport_diff_bad_rows_and_reissued_codes(name: &str, db: Option<String>) {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).unwrap();
    let db = db.unwrap_or_else(|| dir.join("teller.db").to_string_lossy().into_owned());
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    run(
        &db,
        &[
            "election",
            "create",
            "--dealer",
            &examples().join("election.toml").to_string_lossy(),
            "--keys",
            &path("keys"),
        ],
    );
    let all: Vec<String> = std::fs::read_to_string(examples().join("members.csv"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    std::fs::write(path("first.csv"), all[..101].join("\n") + "\n").unwrap();
    let first = run(&db, &["register", "import", ELECTION, &path("first.csv")]);
    assert!(first.contains("100 members imported"), "{first}");
    // One member more, one member's region changed.
    let mut second = all[..102].to_vec();
    let region = all[0].split(',').position(|c| c == "region").unwrap();
    let mut fields: Vec<&str> = all[1].split(',').collect();
    fields[region] = if fields[region] == "Wales" {
        "Scotland"
    } else {
        "Wales"
    };
    second[1] = fields.join(",");
    std::fs::write(path("second.csv"), second.join("\n") + "\n").unwrap();
    let diff = run(&db, &["register", "import", ELECTION, &path("second.csv")]);
    assert!(diff.contains("added (1): M0000101"), "{diff}");
    assert!(diff.contains("changed (1): M0000001"), "{diff}");
    assert!(diff.contains("removed (0)"), "{diff}");
    // A bad date on line 5: nothing is imported.
    let mut bad = all[..150].to_vec();
    bad[4] = bad[4].replacen(",19", ",1x", 1);
    std::fs::write(path("bad.csv"), bad.join("\n") + "\n").unwrap();
    let refused = run_failing(&db, &["register", "import", ELECTION, &path("bad.csv")]);
    assert!(refused.contains("line 5"), "{refused}");
    assert!(refused.contains("nothing was imported"), "{refused}");
    let turnout = run(&db, &["turnout", ELECTION]);
    let members: usize = turnout
        .lines()
        .skip_while(|l| !l.starts_with("region"))
        .skip(1)
        .map(|l| l.split('\t').nth(1).unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(members, 101, "{turnout}");

    run(
        &db,
        &[
            "invitations",
            "export",
            ELECTION,
            "--out",
            &path("codes.csv"),
        ],
    );
    run(&db, &["election", "open", ELECTION]);
    run(
        &db,
        &[
            "invitations",
            "export",
            ELECTION,
            "--out",
            &path("again.csv"),
            "--reissue",
            "M0000001",
        ],
    );
    let old =
        teller::client::read_invitations(&std::fs::read_to_string(path("codes.csv")).unwrap())
            .unwrap();
    let new =
        teller::client::read_invitations(&std::fs::read_to_string(path("again.csv")).unwrap())
            .unwrap();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].0, "M0000001");
    let old_code = &old.iter().find(|(m, _)| m == "M0000001").unwrap().1;
    assert_ne!(old_code, &new[0].1);
    let server = Server::start(&db);
    let login = |code: &str| {
        post(
            &server.api("/login"),
            &serde_json::json!({ "member": "M0000001", "code": code }),
            "",
        )
    };
    assert_eq!(login(old_code).2["error"]["code"], "bad_login");
    assert_eq!(login(&new[0].1).0, 200);
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn register_reimport_diff_bad_rows_and_reissued_codes_on_sqlite() {
    register_reimport_diff_bad_rows_and_reissued_codes("register-sqlite", None);
}

#[test]
fn register_reimport_diff_bad_rows_and_reissued_codes_on_postgresql() {
    register_reimport_diff_bad_rows_and_reissued_codes(
        "register-postgres",
        Some(postgres_database("register")),
    );
}

/// `teller demo` (README's run command): a fresh election on the embedded database, open, served,
/// with member numbers and codes printed that log in. SQLite only: `teller demo` takes no
/// `--database` and always uses the embedded database in its own directory.
#[test]
fn the_demo_serves_an_open_election_whose_printed_codes_log_in() {
    let dir = scratch("demo");
    let mut child = teller()
        .args(["demo", "--bind", "127.0.0.1:0", "--members", "30", "--dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut printed = String::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "demo ended: {printed}"
        );
        printed.push_str(&line);
        if line.contains("serving on") {
            break line
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .unwrap()
                .to_owned();
        }
    };
    let (member, code) = printed
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            let member = words.next()?;
            let code = words.next()?;
            (member.starts_with('M') && code.contains('-'))
                .then(|| (member.to_owned(), code.to_owned()))
        })
        .unwrap_or_else(|| panic!("no member and code in {printed}"));
    let mut response = agent().get(&format!("{url}/api/elections")).call().unwrap();
    let elections: Value = response.body_mut().read_json().unwrap();
    assert_eq!(elections[0]["id"], ELECTION);
    assert_eq!(elections[0]["state"], "open");
    let (status, _, login) = post(
        &format!("{url}/api/elections/{ELECTION}/login"),
        &serde_json::json!({ "member": member, "code": code }),
        "",
    );
    assert_eq!(status, 200, "{login}");
    child.kill().unwrap();
    child.wait().unwrap();
    // A second start empties its own directory and begins afresh.
    assert!(dir.join("TELLER-DEMO").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// One database holds several elections, each with its own register, keys and logs.
fn one_database_holds_several_elections(name: &str, db: Option<String>) {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).unwrap();
    let db = db.unwrap_or_else(|| dir.join("teller.db").to_string_lossy().into_owned());
    let all = std::fs::read_to_string(examples().join("members.csv")).unwrap();
    let register: String = all.lines().take(41).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join("members.csv"), register).unwrap();
    for id in ["branch-a", "branch-b", "branch-c"] {
        let definition = std::fs::read_to_string(examples().join("election.toml"))
            .unwrap()
            .replace("election = \"nec-2026\"", &format!("election = \"{id}\""));
        let file = dir.join(format!("{id}.toml"));
        std::fs::write(&file, definition).unwrap();
        run(
            &db,
            &[
                "election",
                "create",
                "--dealer",
                &file.to_string_lossy(),
                "--keys",
                &dir.join(id).to_string_lossy(),
            ],
        );
        run(
            &db,
            &[
                "register",
                "import",
                id,
                &dir.join("members.csv").to_string_lossy(),
            ],
        );
    }
    run(&db, &["election", "open", "branch-b"]);
    let list = run(&db, &["election", "list"]);
    let states: Vec<String> = (list.lines())
        .map(|l| l.split('\t').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        states,
        ["branch-a created", "branch-b open", "branch-c created"]
    );
    // Each with its window, opens to closes.
    assert!(
        list.lines()
            .all(|l| l.split('\t').nth(2).is_some_and(|w| w.contains(" to "))),
        "{list}"
    );
    let twice = run_failing(
        &db,
        &[
            "election",
            "create",
            "--dealer",
            &dir.join("branch-a.toml").to_string_lossy(),
            "--keys",
            &dir.join("again").to_string_lossy(),
        ],
    );
    assert!(twice.contains("already an election"), "{twice}");
    assert!(
        !dir.join("again").exists(),
        "no keys are left for an election that was not created"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_database_holds_several_elections_on_sqlite() {
    one_database_holds_several_elections("several-sqlite", None);
}

#[test]
fn one_database_holds_several_elections_on_postgresql() {
    one_database_holds_several_elections("several-postgres", Some(postgres_database("several")));
}

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

/// Every table of the database with its columns, as the database itself lists them.
fn tables_and_columns(
    conn: &mut teller::store::AnyConnection,
) -> std::collections::BTreeMap<String, Vec<String>> {
    use diesel::RunQueryDsl as _;
    let columns: Vec<Column> = match conn {
        teller::store::AnyConnection::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'",
        )
        .load(c)
        .unwrap(),
        teller::store::AnyConnection::Postgresql(c) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public'",
        )
        .load(c)
        .unwrap(),
    };
    let mut tables: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for column in columns {
        tables
            .entry(column.table_name)
            .or_default()
            .push(column.column_name);
    }
    tables
}

/// No table holds both something that names a member and something that identifies a ballot:
/// the database cannot say who cast which ballot.
fn no_column_links_a_ballot_to_a_member(db: &str) {
    let store = teller::store::Store::open(db).unwrap();
    let tables = tables_and_columns(&mut store.conn().unwrap());
    assert!(
        tables.contains_key("casts") && tables.contains_key("log_entries"),
        "{tables:?}"
    );
    const MEMBER: [&str; 5] = ["member", "number", "code_hash", "token_hash", "salt"];
    const BALLOT: [&str; 6] = ["pass_key", "entry", "ct", "enc", "signature", "last_seq"];
    for (table, columns) in &tables {
        let member = columns.iter().find(|c| MEMBER.contains(&c.as_str()));
        let ballot = columns.iter().find(|c| BALLOT.contains(&c.as_str()));
        assert!(
            member.is_none() || ballot.is_none(),
            "table {table} links a member ({member:?}) to a ballot ({ballot:?})"
        );
    }
}

#[test]
fn no_column_links_a_ballot_to_a_member_on_sqlite() {
    let dir = scratch("schema");
    std::fs::create_dir_all(&dir).unwrap();
    no_column_links_a_ballot_to_a_member(&dir.join("teller.db").to_string_lossy());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_column_links_a_ballot_to_a_member_on_postgresql() {
    no_column_links_a_ballot_to_a_member(&postgres_database("schema"));
}

#[derive(diesel::QueryableByName)]
struct TypedColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    not_null: bool,
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

/// A column as both backends can agree on it: its type, normalised to one word for both
/// backends' spellings, and whether it refuses NULL.
type Shape = (String, bool);

/// The migrations run on the database, and every table (diesel's bookkeeping table aside) with
/// its columns' shapes, as the database's own catalog lists them.
fn migrations_and_shapes(
    conn: &mut teller::store::AnyConnection,
) -> (
    Vec<String>,
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, Shape>>,
) {
    use diesel::RunQueryDsl as _;
    let versions = "SELECT version FROM __diesel_schema_migrations ORDER BY version";
    let on_sqlite = matches!(conn, teller::store::AnyConnection::Sqlite(_));
    let (versions, columns): (Vec<Version>, Vec<TypedColumn>) = match conn {
        teller::store::AnyConnection::Sqlite(c) => (
            diesel::sql_query(versions).load(c).unwrap(),
            diesel::sql_query(
                "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                 p.\"notnull\" <> 0 AS not_null \
                 FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                 AND m.name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap(),
        ),
        teller::store::AnyConnection::Postgresql(c) => (
            diesel::sql_query(versions).load(c).unwrap(),
            diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                 data_type::text AS data_type, is_nullable = 'NO' AS not_null \
                 FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap(),
        ),
    };
    // SQLite's INTEGER and BIGINT are both 64-bit; PostgreSQL's `integer` is 32-bit, so it is
    // left as it is and differs from everything SQLite says.
    let normalised = |data_type: &str| match data_type.to_ascii_lowercase().as_str() {
        "integer" if on_sqlite => "integer".to_owned(),
        "bigint" => "integer".to_owned(),
        "bytea" | "blob" => "binary".to_owned(),
        "text" => "text".to_owned(),
        "boolean" | "bool" => "bool".to_owned(),
        other => format!("{other} (not normalised)"),
    };
    let mut tables: std::collections::BTreeMap<_, std::collections::BTreeMap<_, _>> =
        Default::default();
    for column in columns {
        let shape = (normalised(&column.data_type), column.not_null);
        tables
            .entry(column.table_name)
            .or_default()
            .insert(column.column_name, shape);
    }
    (versions.into_iter().map(|v| v.version).collect(), tables)
}

/// migrations/sqlite and migrations/postgres define the same tables: after both folders run on
/// fresh databases, the catalogs list the same migrations, tables, columns, normalised types and
/// nullability (migrations/README.md: "one folder per backend … defining the same tables").
#[test]
fn both_migration_folders_define_the_same_tables_and_columns() {
    let dir = scratch("migrations-agree");
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = teller::store::Store::open(&dir.join("teller.db").to_string_lossy()).unwrap();
    let postgresql = teller::store::Store::open(&postgres_database("migrations_agree")).unwrap();

    let (sqlite_versions, sqlite_tables) = migrations_and_shapes(&mut sqlite.conn().unwrap());
    let (postgresql_versions, postgresql_tables) =
        migrations_and_shapes(&mut postgresql.conn().unwrap());

    assert_eq!(sqlite_versions, postgresql_versions, "migrations run");
    assert!(
        sqlite_tables.contains_key("log_entries"),
        "{sqlite_tables:?}"
    );
    let names: std::collections::BTreeSet<_> = sqlite_tables
        .keys()
        .chain(postgresql_tables.keys())
        .collect();
    let mut differences = Vec::new();
    for table in names {
        let none = Default::default();
        let on_sqlite = sqlite_tables.get(table).unwrap_or(&none);
        let on_postgresql = postgresql_tables.get(table).unwrap_or(&none);
        let columns: std::collections::BTreeSet<_> =
            on_sqlite.keys().chain(on_postgresql.keys()).collect();
        for column in columns {
            let (a, b) = (on_sqlite.get(column), on_postgresql.get(column));
            if a != b {
                differences.push(format!("{table}.{column}: SQLite {a:?}, PostgreSQL {b:?}"));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "the migration folders disagree (type, NOT NULL):\n{}",
        differences.join("\n")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
