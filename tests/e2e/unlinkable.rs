//! Issue 9, part 2: the operator's database must not link ballots to members.
//!
//! Members vote over HTTP, half one after another and half eight at a time, in an order unrelated
//! to their member numbers; the election is closed. Then the test plays an operator who reads
//! every row of every table of the database (SQLite or PostgreSQL) and, for every order the
//! database offers — SQLite's rowid, PostgreSQL's `ctid` and `xmin`, and the values of each
//! column — pairs the k-th member of a contest in that order with the k-th ballot of the contest in
//! the public log. Members are recognised by their number anywhere in a row, and by their salted
//! roster commitment (the operator has the salts), so the issuance log's order counts too.
//!
//! **The bound.** Issuances are published in shuffled batches of 64 (`store::ISSUANCE_BATCH`),
//! and that order is public by design; within a batch the order is uniformly random. Pairing the
//! k-th of a random order with the k-th ballot finds on average about one right pair per batch
//! and contest (the fixed points of a random permutation), so with `B` batches and `C` contests
//! the expected number linked is at most `E = B·C`. Every order must link at most
//! `E + 4√E + 4` ballots (a Poisson tail far beyond four standard deviations). Before the fix the
//! rowid of `issuances` and the `expires` of `sessions` linked every ballot. The test's own record
//! of when each pass was issued — the order the database used to keep — is checked to link most
//! ballots with the same attack, so the attack itself is shown to work.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng as _;
use rand::seq::SliceRandom as _;
use teller::core::crypto::{PassSecret, encode_bytes};
use teller::core::manifest::Manifest;
use teller::core::record::member_commitment;

use super::member::{cast_ranking, login, manifest, pass_labelled};
use super::{Election, Server, run};

/// Members in the election; half vote one after another, half eight at a time.
const MEMBERS: usize = 100;
const PARALLEL: usize = 8;
const ISSUANCE_BATCH: usize = 64;

/// What the test knows and the operator must not learn: who cast which entry.
#[derive(Default)]
struct Truth {
    /// (member, contest) → the entry's sequence number in the ballot log.
    ballots: HashMap<(String, String), i64>,
    /// (member, contest) in the order the issuer signed their passes.
    issued: Vec<(String, String)>,
}

/// One member: login, every eligible contest's pass (all before ranking, as the booth does), then
/// a ballot in each.
fn vote(
    server: &Server,
    manifest: &Manifest,
    (member, code): &(String, String),
    index: usize,
    truth: &Mutex<Truth>,
    clock: &AtomicUsize,
) {
    let session = login(server, member, code);
    let mut secret = [0u8; 16];
    secret[..8].copy_from_slice(&(index as u64 + 1).to_be_bytes());
    let secret = PassSecret::from_bytes(secret);
    let mut passes = Vec::new();
    for contest in &session.contests {
        let key = manifest.contest(contest).unwrap().issuer_key();
        let pass = pass_labelled(server, &session, manifest, contest, &secret, contest, key);
        clock.fetch_add(1, Ordering::SeqCst);
        truth
            .lock()
            .unwrap()
            .issued
            .push((member.clone(), contest.clone()));
        passes.push((contest.clone(), pass));
    }
    for (contest, pass) in passes {
        let (status, receipt) = cast_ranking(server, manifest, &secret, &contest, &pass, &[0, 1]);
        assert_eq!(status, 200, "{receipt}");
        truth.lock().unwrap().ballots.insert(
            (member.clone(), contest.clone()),
            receipt["seq"].as_i64().unwrap(),
        );
    }
}

/// A row of some table as the operator reads it: its physical position(s) and its columns, with
/// byte strings decoded (lossily) to text so member numbers and commitments inside them show.
pub(super) struct Row {
    physical: Vec<(&'static str, Vec<i64>)>,
    pub(super) columns: Vec<(String, String)>,
}

#[derive(diesel::QueryableByName)]
struct SqliteRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    k: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    row: String,
}

#[derive(diesel::QueryableByName)]
struct PgRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    ctid: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    xmin: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    row: String,
}

fn hex_text(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One value of SQLite's `quote()`: `'text'`, `X'hex'`, a number or `NULL`.
fn sqlite_value(quoted: &str) -> String {
    if let Some(hex) = quoted.strip_prefix("X'").and_then(|q| q.strip_suffix('\'')) {
        hex_text(hex)
    } else if let Some(text) = quoted.strip_prefix('\'').and_then(|q| q.strip_suffix('\'')) {
        text.replace("''", "'")
    } else {
        quoted.to_owned()
    }
}

/// Every row of every table.
pub(super) fn read_every_table(db: &str) -> BTreeMap<String, Vec<Row>> {
    use diesel::RunQueryDsl as _;
    let store = teller::store::Store::open(db).unwrap();
    let mut conn = store.conn().unwrap();
    let tables = super::tables_and_columns(&mut conn);
    let mut rows = BTreeMap::new();
    for (table, columns) in &tables {
        let read: Vec<Row> = match &mut *conn {
            teller::store::AnyConnection::Sqlite(c) => {
                let quoted: Vec<String> =
                    columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
                let query = format!(
                    "SELECT rowid AS k, {} AS row FROM \"{table}\"",
                    quoted.join(" || char(31) || ")
                );
                let found: Vec<SqliteRow> = diesel::sql_query(query).load(c).unwrap();
                found
                    .into_iter()
                    .map(|r| Row {
                        physical: vec![("rowid", vec![r.k])],
                        columns: (columns.iter().cloned())
                            .zip(r.row.split('\u{1f}').map(sqlite_value))
                            .collect(),
                    })
                    .collect()
            }
            teller::store::AnyConnection::Postgresql(c) => {
                let query = format!(
                    "SELECT ctid::text AS ctid, xmin::text AS xmin, row_to_json(t)::text AS row \
                     FROM \"{table}\" t"
                );
                let found: Vec<PgRow> = diesel::sql_query(query).load(c).unwrap();
                found
                    .into_iter()
                    .map(|r| {
                        let ctid = (r.ctid.trim_matches(|c| c == '(' || c == ')').split(','))
                            .map(|n| n.parse().unwrap())
                            .collect();
                        let json: serde_json::Map<String, serde_json::Value> =
                            serde_json::from_str(&r.row).unwrap();
                        let columns = json
                            .into_iter()
                            .map(|(name, value)| {
                                let text = match value {
                                    serde_json::Value::String(s) => match s.strip_prefix("\\x") {
                                        Some(hex) => hex_text(hex),
                                        None => s,
                                    },
                                    other => other.to_string(),
                                };
                                (name, text)
                            })
                            .collect();
                        Row {
                            physical: vec![("ctid", ctid), ("xmin", vec![r.xmin.parse().unwrap()])],
                            columns,
                        }
                    })
                    .collect()
            }
        };
        rows.insert(table.clone(), read);
    }
    rows
}

/// Orders a value as a number when it is one.
fn sort_key(value: &str) -> (i64, String) {
    match value.parse::<i64>() {
        Ok(n) => (n, String::new()),
        Err(_) => (i64::MIN, value.to_owned()),
    }
}

/// The operator's guess from one order of one table: the k-th member of a contest in that order
/// cast the contest's k-th ballot. Returns how many of those guesses are right.
fn linked_by(
    rows: &[&Row],
    truth: &Truth,
    contests: &[String],
    identities: &[(String, Option<String>, String)],
) -> usize {
    let mut linked = 0;
    for contest in contests {
        let mut ballots: Vec<i64> = (truth.ballots.iter())
            .filter(|((_, c), _)| c == contest)
            .map(|(_, seq)| *seq)
            .collect();
        ballots.sort_unstable();
        let mut order: Vec<&str> = Vec::new();
        let mut seen = BTreeSet::new();
        for row in rows {
            let text: String = row.columns.iter().map(|(_, v)| v.as_str()).collect();
            let names_contest = |c: &str| row.columns.iter().any(|(_, v)| v == c);
            let about_another = contests.iter().any(|c| c != contest && names_contest(c))
                && !names_contest(contest);
            for (needle, only, member) in identities {
                let relevant = match only {
                    Some(c) => c == contest,
                    None => !about_another,
                };
                if relevant
                    && text.contains(needle.as_str())
                    && truth
                        .ballots
                        .contains_key(&(member.clone(), contest.clone()))
                    && seen.insert(member.as_str())
                {
                    order.push(member);
                }
            }
        }
        linked += (order.iter().zip(&ballots))
            .filter(|(member, seq)| {
                truth.ballots.get(&(member.to_string(), contest.clone())) == Some(seq)
            })
            .count();
    }
    linked
}

fn the_database_does_not_link_ballots_to_members(name: &str, db: Option<String>) {
    let election = Election::open(name, db, MEMBERS);
    let server = Server::start(&election.db);
    let manifest = manifest(&server);
    let contests: Vec<String> = manifest
        .contests()
        .iter()
        .map(|c| c.id().to_owned())
        .collect();

    // Arrange: members vote in an order unrelated to their numbers.
    let mut voters = election.invitations();
    voters.shuffle(&mut rand::rngs::ChaCha20Rng::from_seed([9; 32]));
    let truth = Mutex::new(Truth::default());
    let clock = AtomicUsize::new(0);
    let (one_by_one, together) = voters.split_at(MEMBERS / 2);
    for (i, voter) in one_by_one.iter().enumerate() {
        vote(&server, &manifest, voter, i, &truth, &clock);
    }
    std::thread::scope(|scope| {
        for lane in 0..PARALLEL {
            let (server, manifest, truth, clock) = (&server, &manifest, &truth, &clock);
            scope.spawn(move || {
                for (i, voter) in together.iter().enumerate().skip(lane).step_by(PARALLEL) {
                    vote(server, manifest, voter, MEMBERS / 2 + i, truth, clock);
                }
            });
        }
    });
    run(&election.db, &["election", "close", super::ELECTION]);
    drop(server);
    let truth = truth.into_inner().unwrap();

    // The operator knows every member's number and salt; a member shows in a row by number, or
    // by a roster commitment (the issuance log's entries).
    let tables = read_every_table(&election.db);
    let store = teller::store::Store::open(&election.db).unwrap();
    let mut identities: Vec<(String, Option<String>, String)> = Vec::new();
    for member in store.members(super::ELECTION).unwrap() {
        let number = member.number;
        let salt: [u8; 16] = member.salt.try_into().unwrap();
        for contest in &contests {
            let commitment = encode_bytes(&member_commitment(contest, &salt, &number));
            identities.push((commitment, Some(contest.clone()), number.clone()));
        }
        identities.push((number.clone(), None, number));
    }

    // The attack works on an order that keeps issuance time: the one the test itself recorded.
    let issued_rows: Vec<Row> = (truth.issued.iter())
        .map(|(member, contest)| Row {
            physical: vec![],
            columns: vec![
                ("member".into(), member.clone()),
                ("contest".into(), contest.clone()),
            ],
        })
        .collect();
    let ballots = truth.ballots.len();
    let control = linked_by(
        &issued_rows.iter().collect::<Vec<_>>(),
        &truth,
        &contests,
        &identities,
    );
    assert!(
        control * 2 > ballots,
        "the attack should link most ballots through the order of issuance: {control} of {ballots}"
    );

    // Act and assert: every order of every table links no more than chance allows.
    let batches = truth.issued.len().div_ceil(ISSUANCE_BATCH);
    let expected = (batches * contests.len()) as f64;
    let bound = (expected + 4.0 * expected.sqrt() + 4.0).ceil() as usize;
    let mut report = Vec::new();
    for (table, rows) in &tables {
        let mut orders: Vec<(String, Vec<&Row>)> = Vec::new();
        let physical: BTreeSet<&str> = rows
            .iter()
            .flat_map(|r| r.physical.iter().map(|(n, _)| *n))
            .collect();
        for name in physical {
            let mut sorted: Vec<&Row> = rows.iter().collect();
            sorted.sort_by_key(|r| {
                r.physical
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, k)| k.clone())
            });
            orders.push((name.to_owned(), sorted));
        }
        let columns: BTreeSet<&str> = rows
            .iter()
            .flat_map(|r| r.columns.iter().map(|(c, _)| c.as_str()))
            .collect();
        for column in columns {
            let mut sorted: Vec<&Row> = rows.iter().collect();
            sorted.sort_by_key(|r| {
                r.columns
                    .iter()
                    .find(|(c, _)| c == column)
                    .map(|(_, v)| sort_key(v))
            });
            orders.push((format!("column {column}"), sorted));
        }
        for (order, sorted) in orders {
            let linked = linked_by(&sorted, &truth, &contests, &identities);
            report.push(format!("{table} by {order}: {linked}"));
            assert!(
                linked <= bound,
                "{table} ordered by {order} links {linked} of {ballots} ballots to members; \
                 chance allows at most {bound}"
            );
        }
    }
    eprintln!(
        "{ballots} ballots, {} issuances in {batches} batches; attack on issuance order: \
         {control}; bound {bound}; per order: {}",
        truth.issued.len(),
        report.join(", ")
    );
}

#[test]
fn the_database_does_not_link_ballots_to_members_on_sqlite() {
    the_database_does_not_link_ballots_to_members("unlinkable-sqlite", None);
}

#[test]
fn the_database_does_not_link_ballots_to_members_on_postgresql() {
    the_database_does_not_link_ballots_to_members(
        "unlinkable-postgres",
        Some(super::postgres_database("unlinkable")),
    );
}
