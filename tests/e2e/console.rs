//! Issue 15: the returning officer's console over real HTTP — officers named with
//! `teller officer add`, enrolment, sign-in with a password and a one-time code, the register
//! with a preview, open, extend and close from forms; and its security: another election's pages
//! and actions refused, cross-site and token-less posts refused, cookie flags, session fixation,
//! brute force throttled, a code used once, sign-out and removal ending sessions, no member's
//! code on any page.

use std::collections::HashMap;

use teller::admin::officers::code_at;
use teller::server::console::{COOKIE, ELECTION_ROUTES};
use teller::store::Store;

use super::{ELECTION, Election, Server, examples, run, scratch, teller, verify_passes, vote_sim};

const OTHER: &str = "branch-2026";
const PASSWORD: &str = "correct horse battery staple";

/// An answer, with what the tests read of it.
struct Answer {
    status: u16,
    location: Option<String>,
    set_cookie: Vec<String>,
    body: String,
}

/// A browser as far as the console needs one: no redirects followed, cookies passed by hand.
struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    fn new(server: &Server) -> Self {
        Self {
            base: server.url.clone(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into(),
        }
    }

    fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut response = response.unwrap();
        let header = |name: &str| {
            response
                .headers()
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let location = header("location").into_iter().next();
        let set_cookie = header("set-cookie");
        let body = response.body_mut().read_to_string().unwrap_or_default();
        Answer {
            status: response.status().as_u16(),
            location,
            set_cookie,
            body,
        }
    }

    fn get(&self, path: &str, session: Option<&str>) -> Answer {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(session) = session {
            request = request.header("Cookie", format!("{COOKIE}={session}"));
        }
        Self::answer(request.call())
    }

    fn post(
        &self,
        path: &str,
        session: Option<&str>,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if let Some(session) = session {
            request = request.header("Cookie", format!("{COOKIE}={session}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::answer(request.send_form(form.iter().copied()))
    }
}

impl Client {
    fn post_json(
        &self,
        path: &str,
        session: Option<&str>,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if let Some(session) = session {
            request = request.header("Cookie", format!("{COOKIE}={session}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::answer(request.send_json(body))
    }
}

/// The value of the hidden field `name` on a page.
fn field(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} on the page:\n{body}"))
        + marker.len();
    body[at..at + body[at..].find('"').unwrap()].to_owned()
}

/// The session cookie an answer sets, checking its flags.
fn session_of(answer: &Answer) -> String {
    let cookie = answer
        .set_cookie
        .iter()
        .find(|c| c.starts_with(&format!("{COOKIE}=")))
        .unwrap_or_else(|| panic!("no session cookie set: {:?}", answer.set_cookie));
    let parts: Vec<&str> = cookie.split(';').map(str::trim).collect();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(parts.contains(&flag), "{flag} missing: {cookie}");
    }
    assert!(
        !parts.iter().any(|p| p.starts_with("Domain")),
        "a __Host- cookie has no Domain: {cookie}"
    );
    parts[0][COOKIE.len() + 1..].to_owned()
}

/// The enrolment token printed by `teller officer add`.
fn add_officer(db: &str, election: Option<&str>, email: &str) -> String {
    let mut args = vec!["officer", "add"];
    match election {
        Some(election) => args.push(election),
        None => args.push("--all"),
    }
    args.push(email);
    let printed = run(db, &args);
    let line = printed
        .lines()
        .find(|l| l.contains("/console/enrol/"))
        .unwrap_or_else(|| panic!("no link printed:\n{printed}"));
    line.rsplit('/').next().unwrap().trim().to_owned()
}

fn now() -> i64 {
    teller::store::now()
}

/// Enrols through the page (a code of the step before now, so that this step and the next are
/// left for sign-ins without waiting); returns the session and the code secret.
fn enrol(client: &Client, token: &str) -> (String, Vec<u8>) {
    let page = client.get(&format!("/console/enrol/{token}"), None);
    assert_eq!(page.status, 200, "{}", page.body);
    let secret_text = field(&page.body, "secret");
    let secret = base32_decode(&secret_text);
    // Wrong code and short password: the page again, nothing stored.
    let wrong = client.post(
        &format!("/console/enrol/{token}"),
        None,
        &[
            ("secret", &secret_text),
            ("password", "short"),
            ("confirm", "short"),
            ("code", "000000"),
        ],
        &[],
    );
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("at least 12 characters"),
        "{}",
        wrong.body
    );
    let code = code_at(&secret, now() - 30).unwrap();
    let done = client.post(
        &format!("/console/enrol/{token}"),
        None,
        &[
            ("secret", &secret_text),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
            ("code", &code),
        ],
        &[],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/console"));
    (session_of(&done), secret)
}

/// RFC 4648 base32 (no padding), as the enrolment page shows the key.
fn base32_decode(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let value = alphabet.iter().position(|&a| a == c).unwrap() as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

fn sign_in(
    client: &Client,
    email: &str,
    password: &str,
    code: &str,
    cookie: Option<&str>,
) -> Answer {
    client.post(
        "/console/sign-in",
        cookie,
        &[("email", email), ("password", password), ("code", code)],
        &[],
    )
}

/// Two elections in one database; officers of each.
struct Setup {
    election: Election,
    server: Server,
    client: Client,
    tokens: HashMap<&'static str, String>,
}

fn setup(name: &str, db: Option<String>) -> Setup {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).unwrap();
    let db = db.unwrap_or_else(|| dir.join("teller.db").to_string_lossy().into_owned());
    let election = Election { dir, db };
    let definition = std::fs::read_to_string(examples().join("election.toml")).unwrap();
    std::fs::write(election.path("election.toml"), &definition).unwrap();
    std::fs::write(
        election.path("other.toml"),
        definition.replace(
            &format!("election = \"{ELECTION}\""),
            &format!("election = \"{OTHER}\""),
        ),
    )
    .unwrap();
    for (toml, keys) in [("election.toml", "keys"), ("other.toml", "other-keys")] {
        run(
            &election.db,
            &[
                "election",
                "create",
                "--dealer",
                &election.path(toml),
                "--keys",
                &election.path(keys),
            ],
        );
    }
    let mut tokens = HashMap::new();
    for (who, scope) in [
        ("alice@a.example.org", Some(ELECTION)),
        ("carol@a.example.org", Some(ELECTION)),
        ("dave@a.example.org", Some(ELECTION)),
        ("bob@b.example.org", Some(OTHER)),
    ] {
        tokens.insert(who, add_officer(&election.db, scope, who));
    }
    let server = Server::start(&election.db);
    let client = Client::new(&server);
    Setup {
        election,
        server,
        client,
        tokens,
    }
}

/// Runs the trustees' tally from the console with two share lines, and waits for it to finish;
/// returns the tally page then.
fn tally_from_console(
    client: &Client,
    session: Option<&str>,
    csrf: &str,
    shares: [&str; 2],
) -> Answer {
    let tally = format!("/console/e/{ELECTION}/tally");
    let started = client.post(
        &tally,
        session,
        &[("csrf", csrf), ("share", shares[0]), ("share", shares[1])],
        &[],
    );
    assert_eq!(started.status, 303, "{}", started.body);
    let begun = std::time::Instant::now();
    loop {
        let page = client.get(&tally, session);
        if !page.body.contains("Tallying:") {
            return page;
        }
        assert!(begun.elapsed().as_secs() < 120);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn register(members: usize) -> String {
    std::fs::read_to_string(examples().join("members.csv"))
        .unwrap()
        .lines()
        .take(members + 1)
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn an_officer_runs_an_election_from_the_console_on_sqlite() {
    an_officer_runs_an_election_from_the_console("console-run", None);
}

#[test]
fn an_officer_runs_an_election_from_the_console_on_postgresql() {
    an_officer_runs_an_election_from_the_console(
        "console-run-pg",
        Some(super::postgres_database("console_run")),
    );
}

fn an_officer_runs_an_election_from_the_console(name: &str, db: Option<String>) {
    let Setup {
        election,
        server,
        client,
        tokens,
    } = setup(name, db);
    let store = Store::open(&election.db).unwrap();
    let alice = "alice@a.example.org";
    let (session, _) = enrol(&client, &tokens[alice]);
    let session = Some(session.as_str());
    // The link works once.
    let again = client.get(&format!("/console/enrol/{}", tokens[alice]), None);
    assert_eq!(again.status, 404);
    assert!(
        again.body.contains("has been used or has expired"),
        "{}",
        again.body
    );

    // Alice sees her election, not the other.
    let list = client.get("/console", session);
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&format!("/console/e/{ELECTION}")));
    assert!(!list.body.contains(OTHER), "{}", list.body);
    let overview = client.get(&format!("/console/e/{ELECTION}"), session);
    assert_eq!(overview.status, 200);
    let csrf = field(&overview.body, "csrf");

    // A register with a bad row: every bad row shown, nothing stored.
    let mut bad = register(40);
    bad.push_str("M9999999,not-a-date,yes,no,1980-01-01,North West,no\n");
    let refused = client.post(
        &format!("/console/e/{ELECTION}/register"),
        session,
        &[("csrf", &csrf), ("register", &bad)],
        &[],
    );
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("1 bad row"), "{}", refused.body);
    assert!(refused.body.contains("line 42"), "{}", refused.body);
    assert!(store.members(ELECTION).unwrap().is_empty());

    // A good one: previewed (nothing stored), then applied.
    let good = register(40);
    let preview = client.post(
        &format!("/console/e/{ELECTION}/register"),
        session,
        &[("csrf", &csrf), ("register", &good)],
        &[],
    );
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview.body.contains("<strong>40</strong> members"),
        "{}",
        preview.body
    );
    assert!(
        store.members(ELECTION).unwrap().is_empty(),
        "a preview stores nothing"
    );
    let applied = client.post(
        &format!("/console/e/{ELECTION}/register/apply"),
        session,
        &[
            ("csrf", &csrf),
            ("register", &field(&preview.body, "register")),
        ],
        &[],
    );
    assert_eq!(applied.status, 303, "{}", applied.body);
    assert_eq!(store.members(ELECTION).unwrap().len(), 40);
    // A second upload shows its changes against the first before anything is stored.
    let changed = client.post(
        &format!("/console/e/{ELECTION}/register"),
        session,
        &[("csrf", &csrf), ("register", &register(42))],
        &[],
    );
    assert!(changed.body.contains("Added (2)"), "{}", changed.body);
    assert!(
        changed.body.contains("M0000041, M0000042"),
        "{}",
        changed.body
    );

    // Invitations still come from the command line (email is the next part of issue 15).
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

    // Open: the confirmation page says what it fixes; the post opens.
    let confirm = client.get(&format!("/console/e/{ELECTION}/open"), session);
    assert_eq!(confirm.status, 200);
    assert!(
        confirm
            .body
            .contains("freezes the register of <strong>40 members"),
        "{}",
        confirm.body
    );
    assert!(confirm.body.contains("This cannot be undone"));
    assert_eq!(store.election(ELECTION).unwrap().state, "created");
    let opened = client.post(
        &format!("/console/e/{ELECTION}/open"),
        session,
        &[("csrf", &csrf)],
        &[],
    );
    assert_eq!(opened.status, 303, "{}", opened.body);
    assert_eq!(store.election(ELECTION).unwrap().state, "open");
    // Opening twice is refused with the reason, on the page.
    let twice = client.post(
        &format!("/console/e/{ELECTION}/open"),
        session,
        &[("csrf", &csrf)],
        &[],
    );
    assert_eq!(twice.status, 400);
    assert!(twice.body.contains("There is a problem"), "{}", twice.body);

    let report = vote_sim(&[&server], &election, &[]);
    assert!(report.contains("ballots"), "{report}");
    let turnout = client.get(&format!("/console/e/{ELECTION}"), session);
    assert!(
        turnout.body.contains("Turnout by contest"),
        "{}",
        turnout.body
    );
    assert!(turnout.body.contains("Turnout by region"));

    // Remove a member: a bad form says what is wrong; a good one asks for confirmation first.
    let remove = format!("/console/e/{ELECTION}/remove");
    let page = client.get(&remove, session);
    assert!(
        page.body
            .contains("a ballot they have already cast still counts"),
        "{}",
        page.body
    );
    let blank = client.post(
        &remove,
        session,
        &[("csrf", &csrf), ("member", ""), ("reason", "")],
        &[],
    );
    assert_eq!(blank.status, 400);
    assert!(
        blank.body.contains("Enter the member number") && blank.body.contains("Enter the reason"),
        "{}",
        blank.body
    );
    let stranger = client.post(
        &remove,
        session,
        &[
            ("csrf", &csrf),
            ("member", "M9999999"),
            ("reason", "expelled"),
        ],
        &[],
    );
    assert!(
        stranger.body.contains("M9999999 is not on the register"),
        "{}",
        stranger.body
    );
    let (number, code) = election.invitations().into_iter().next().unwrap();
    let asked = client.post(
        &remove,
        session,
        &[("csrf", &csrf), ("member", &number), ("reason", "expelled")],
        &[],
    );
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(
        asked.body.contains("This cannot be undone"),
        "{}",
        asked.body
    );
    assert!(
        !store.member(ELECTION, &number).unwrap().unwrap().removed,
        "nothing is done before the confirmation"
    );
    let removed = client.post(
        &format!("{remove}/confirm"),
        session,
        &[("csrf", &csrf), ("member", &number), ("reason", "expelled")],
        &[],
    );
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert!(store.member(ELECTION, &number).unwrap().unwrap().removed);
    let page = client.get(&format!("{remove}?done=1"), session);
    assert!(
        page.body.contains("The member was removed.") && page.body.contains("1 member(s) removed"),
        "{}",
        page.body
    );
    assert_eq!(logs_in(&server, &number, &code), 403);
    let again = client.post(
        &format!("{remove}/confirm"),
        session,
        &[("csrf", &csrf), ("member", &number), ("reason", "expelled")],
        &[],
    );
    assert_eq!(again.status, 400);
    assert!(again.body.contains("was removed"), "{}", again.body);

    // Extend, with a bad time first.
    let bad_time = client.post(
        &format!("/console/e/{ELECTION}/extend"),
        session,
        &[("csrf", &csrf), ("closes", "next tuesday")],
        &[],
    );
    assert_eq!(bad_time.status, 400);
    let extended = client.post(
        &format!("/console/e/{ELECTION}/extend"),
        session,
        &[("csrf", &csrf), ("closes", "now+20d")],
        &[],
    );
    assert_eq!(extended.status, 303, "{}", extended.body);
    let closed = client.post(
        &format!("/console/e/{ELECTION}/close"),
        session,
        &[("csrf", &csrf)],
        &[],
    );
    assert_eq!(closed.status, 303, "{}", closed.body);
    assert_eq!(store.election(ELECTION).unwrap().state, "closed");

    // The events log names Alice for each of her actions; the command line's are its own.
    let events = store.events(ELECTION).unwrap();
    for kind in [
        "register imported",
        "opened",
        "member removed",
        "extended",
        "closed",
    ] {
        let event = events.iter().find(|e| e.kind == kind).unwrap();
        assert_eq!(event.actor, alice, "{event:?}");
    }
    let created = events.iter().find(|e| e.kind == "created").unwrap();
    assert_eq!(created.by(), "command line");
    let page = client.get(&format!("/console/e/{ELECTION}"), session);
    assert!(page.body.contains(alice) && page.body.contains("extended"));

    // The record's events log: officers as `officer <n>` unless the export names them.
    let events_of =
        |dir: &std::path::Path| std::fs::read_to_string(dir.join("events/entries.jsonl")).unwrap();
    // Before the tally the record cannot pass whole (no reveal yet); its events log can.
    let events_verify = |dir: &std::path::Path| {
        let output = teller().arg("verify").arg(dir).output().unwrap();
        let report = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(report.contains("PASS events-log\n"), "{report}");
    };
    let unnamed = election.dir.join("record-unnamed");
    run(
        &election.db,
        &["record", "export", ELECTION, &unnamed.to_string_lossy()],
    );
    let text = events_of(&unnamed);
    assert!(
        text.contains("\"by\":\"officer 1\"") && !text.contains(alice),
        "{text}"
    );
    assert!(text.contains("\"kind\":\"member removed\""), "{text}");
    events_verify(&unnamed);
    let named = election.dir.join("record-named");
    run(
        &election.db,
        &[
            "record",
            "export",
            ELECTION,
            &named.to_string_lossy(),
            "--name-officers",
        ],
    );
    assert!(events_of(&named).contains(&format!("\"by\":\"{alice}\"")));
    events_verify(&named);

    // The trustees' tally from the console: two of the three shares, pasted. A bad line and a
    // missing one are refused before anything runs.
    let tally = format!("/console/e/{ELECTION}/tally");
    let page = client.get(&tally, session);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Share 2 of 2"), "{}", page.body);
    let share = |i: usize| {
        std::fs::read_to_string(election.path(&format!("keys/trustee-{i}.share"))).unwrap()
    };
    let refused = client.post(
        &tally,
        session,
        &[("csrf", &csrf), ("share", "7 not-a-share"), ("share", "")],
        &[],
    );
    assert_eq!(refused.status, 400);
    assert!(
        refused
            .body
            .contains("share 1: the share value is not 32 bytes"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Share 2: paste"), "{}", refused.body);
    assert_eq!(store.election(ELECTION).unwrap().state, "closed");
    let page = tally_from_console(&client, session, &csrf, [&share(1), &share(3)]);
    assert!(page.body.contains("the record verifies"), "{}", page.body);
    assert!(
        page.body.contains(&format!("/e/{ELECTION}/results/nec")),
        "{}",
        page.body
    );
    assert_eq!(store.election(ELECTION).unwrap().state, "tallied");
    let tallied = store.events(ELECTION).unwrap();
    assert_eq!(tallied.last().unwrap().kind, "tallied");
    assert_eq!(tallied.last().unwrap().actor, alice);
    let record = election.dir.join("record");
    run(
        &election.db,
        &["record", "export", ELECTION, &record.to_string_lossy()],
    );
    verify_passes(&record);
    let verify = teller().arg("verify").arg(&record).output().unwrap();
    let report = String::from_utf8_lossy(&verify.stdout);
    assert!(
        report.contains("member(s) removed after opening"),
        "{report}"
    );
}

#[test]
fn the_console_refuses_what_an_officer_may_not_do() {
    let Setup {
        election,
        server: _server,
        client,
        tokens,
    } = setup("console-security", None);
    let store = Store::open(&election.db).unwrap();
    let (alice, _) = enrol(&client, &tokens["alice@a.example.org"]);
    let alice = Some(alice.as_str());
    let csrf = field(&client.get("/console", alice).body, "csrf");

    // Every page and action of the other election: 403, whether it exists or not.
    for election_id in [OTHER, "no-such-election"] {
        for (method, path) in ELECTION_ROUTES {
            let path = path.replace("{id}", election_id);
            let answer = match *method {
                "GET" => client.get(&path, alice),
                _ => client.post(
                    &path,
                    alice,
                    &[
                        ("csrf", &csrf),
                        ("register", &register(3)),
                        ("closes", "now+30d"),
                    ],
                    &[],
                ),
            };
            assert_eq!(answer.status, 403, "{method} {path}: {}", answer.body);
        }
    }
    assert!(store.members(OTHER).unwrap().is_empty());

    // Named for existing elections only: no new election, by page or by post.
    assert_eq!(client.get("/console/new", alice).status, 403);
    let definition = std::fs::read_to_string(examples().join("election.toml"))
        .unwrap()
        .replace(&format!("\"{ELECTION}\""), "\"alices-own\"");
    for path in ["/console/new", "/console/new/confirm"] {
        let answer = client.post(
            path,
            alice,
            &[("csrf", &csrf), ("definition", &definition)],
            &[],
        );
        assert_eq!(answer.status, 403, "{path}: {}", answer.body);
    }
    // An officer of every election may create one, but not without the session's token, nor
    // from another site.
    let (root, _) = enrol(
        &client,
        &add_officer(&election.db, None, "root@a.example.org"),
    );
    let root = Some(root.as_str());
    assert_eq!(client.get("/console/new", root).status, 200);
    let forged = client.post(
        "/console/new/confirm",
        root,
        &[("csrf", "forged"), ("definition", &definition)],
        &[],
    );
    assert_eq!(forged.status, 403);
    let root_csrf = field(&client.get("/console", root).body, "csrf");
    let cross = client.post(
        "/console/new/confirm",
        root,
        &[("csrf", &root_csrf), ("definition", &definition)],
        &[("Sec-Fetch-Site", "cross-site")],
    );
    assert_eq!(cross.status, 403);
    assert!(store.find_election("alices-own").unwrap().is_none());
    assert_eq!(store.election(OTHER).unwrap().state, "created");

    // Not signed in: to the sign-in page; a forged cookie is no session.
    let anonymous = client.get(&format!("/console/e/{ELECTION}"), None);
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.location.as_deref(), Some("/console/sign-in"));
    let forged = client.get("/console", Some("forged"));
    assert_eq!(forged.status, 303);

    // CSRF: without the token, with another, from another origin, or cross-site: refused, and
    // the election stays as it was.
    run(
        &election.db,
        &["register", "import", ELECTION, &{
            std::fs::write(election.path("members.csv"), register(10)).unwrap();
            election.path("members.csv")
        }],
    );
    let open = format!("/console/e/{ELECTION}/open");
    for (form, headers) in [
        (vec![], vec![]),
        (vec![("csrf", "not-the-token")], vec![]),
        (
            vec![("csrf", csrf.as_str())],
            vec![("Origin", "https://evil.example")],
        ),
        (
            vec![("csrf", csrf.as_str())],
            vec![("Sec-Fetch-Site", "cross-site")],
        ),
        (
            vec![("csrf", csrf.as_str())],
            vec![("Sec-Fetch-Site", "same-site")],
        ),
        // What a sandboxed frame or a redirect sends, from a browser too old to say more.
        (vec![("csrf", csrf.as_str())], vec![("Origin", "null")]),
    ] {
        let answer = client.post(&open, alice, &form, &headers);
        assert_eq!(answer.status, 403, "{form:?} {headers:?}: {}", answer.body);
        assert_eq!(store.election(ELECTION).unwrap().state, "created");
    }
    // A cross-site sign-in post is refused before any password is checked.
    let cross = client.post(
        "/console/sign-in",
        None,
        &[
            ("email", "alice@a.example.org"),
            ("password", PASSWORD),
            ("code", "1"),
        ],
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(cross.status, 403);
    // The console's own form, as Chromium posts it (its pages are `Referrer-Policy: no-referrer`,
    // so `Origin: null`, with `Sec-Fetch-Site: same-origin`), with the token, opens it.
    let same = client.post(
        &open,
        alice,
        &[("csrf", &csrf)],
        &[("Origin", "null"), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(same.status, 303, "{}", same.body);
    // An older browser's post names this server's origin.
    let origin = client.base.clone();
    let extend = client.post(
        &format!("/console/e/{ELECTION}/extend"),
        alice,
        &[("csrf", &csrf), ("closes", "now+30d")],
        &[("Origin", &origin)],
    );
    assert_eq!(extend.status, 303, "{}", extend.body);

    // Passkeys (the browser suite adds and uses one): adding needs the session's token; a
    // cross-site sign-in is refused; an officer without a passkey is told to use the password.
    let wrong_token = client.post_json(
        "/console/passkeys/register/start",
        alice,
        &serde_json::json!({ "csrf": "not-the-token" }),
        &[],
    );
    assert_eq!(wrong_token.status, 403);
    let no_session = client.post_json(
        "/console/passkeys/register/start",
        None,
        &serde_json::json!({ "csrf": csrf }),
        &[],
    );
    assert_eq!(no_session.status, 303);
    let cross = client.post_json(
        "/console/passkeys/sign-in/start",
        None,
        &serde_json::json!({ "email": "alice@a.example.org" }),
        &[("Sec-Fetch-Site", "cross-site")],
    );
    assert_eq!(cross.status, 403);
    let none = client.post_json(
        "/console/passkeys/sign-in/start",
        None,
        &serde_json::json!({ "email": "alice@a.example.org" }),
        &[],
    );
    assert_eq!(none.status, 400);
    assert!(
        none.body.contains("no passkey for this email"),
        "{}",
        none.body
    );

    // Brute force: carol enrols; five wrong passwords, then even the right one must wait.
    let (_, carol_secret) = enrol(&client, &tokens["carol@a.example.org"]);
    for _ in 0..5 {
        let wrong = sign_in(
            &client,
            "carol@a.example.org",
            "wrong password!",
            "123456",
            None,
        );
        assert_eq!(wrong.status, 401, "{}", wrong.body);
        assert!(wrong.body.contains("email, password or code is not right"));
    }
    let code = code_at(&carol_secret, now()).unwrap();
    let throttled = sign_in(&client, "carol@a.example.org", PASSWORD, &code, None);
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    assert!(throttled.body.contains("wait"), "{}", throttled.body);
    // An unknown officer is answered as a wrong password.
    let unknown = sign_in(&client, "nobody@a.example.org", PASSWORD, "123456", None);
    assert_eq!(unknown.status, 401);

    // A code works once; session fixation: a cookie brought to sign-in is never the session.
    let (dave_enrolled, dave_secret) = enrol(&client, &tokens["dave@a.example.org"]);
    let code = code_at(&dave_secret, now()).unwrap();
    let planted = "planted-by-an-attacker";
    let first = sign_in(
        &client,
        "dave@a.example.org",
        PASSWORD,
        &code,
        Some(&dave_enrolled),
    );
    assert_eq!(first.status, 303, "{}", first.body);
    let dave = session_of(&first);
    assert_ne!(dave, dave_enrolled);
    assert_eq!(
        client.get("/console", Some(&dave_enrolled)).status,
        303,
        "the session brought to the sign-in ended"
    );
    let replay = sign_in(&client, "dave@a.example.org", PASSWORD, &code, None);
    assert_eq!(replay.status, 401, "a code is taken once");
    let next = code_at(&dave_secret, now() + 30).unwrap();
    let second = sign_in(
        &client,
        "dave@a.example.org",
        PASSWORD,
        &next,
        Some(planted),
    );
    assert_eq!(second.status, 303, "{}", second.body);
    let dave2 = session_of(&second);
    assert_ne!(dave2, planted);
    assert_eq!(client.get("/console", Some(planted)).status, 303);
    assert_eq!(client.get("/console", Some(&dave2)).status, 200);

    // Sign-out ends the session (with the token only).
    let dave_csrf = field(&client.get("/console", Some(&dave2)).body, "csrf");
    let no_token = client.post("/console/sign-out", Some(&dave2), &[], &[]);
    assert_eq!(no_token.status, 403);
    let out = client.post(
        "/console/sign-out",
        Some(&dave2),
        &[("csrf", &dave_csrf)],
        &[],
    );
    assert_eq!(out.status, 303);
    assert_eq!(client.get("/console", Some(&dave2)).status, 303);
    // Removing an officer ends their sessions at once.
    assert_eq!(client.get("/console", Some(&dave)).status, 200);
    run(&election.db, &["officer", "remove", "dave@a.example.org"]);
    assert_eq!(client.get("/console", Some(&dave)).status, 303);

    // No page shows a member's code or its hash.
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
    let secrets: Vec<String> = election
        .invitations()
        .into_iter()
        .flat_map(|(_, code)| [code.clone(), code.replace('-', "")])
        .chain(
            store
                .members(ELECTION)
                .unwrap()
                .into_iter()
                .filter_map(|m| m.code_hash),
        )
        .collect();
    for path in ["/console".to_owned(), format!("/console/e/{ELECTION}")]
        .into_iter()
        .chain(
            ELECTION_ROUTES
                .iter()
                .filter(|(m, _)| *m == "GET")
                .map(|(_, p)| p.replace("{id}", ELECTION)),
        )
    {
        let page = client.get(&path, alice);
        for secret in &secrets {
            assert!(!page.body.contains(secret.as_str()), "{path} shows a code");
        }
    }
}

/// One mail as the SMTP sink took it.
#[derive(Clone, Debug)]
struct Mail {
    to: Vec<String>,
    data: String,
}

/// A mail server on loopback that takes every mail (and refuses, for good, any recipient whose
/// address starts with `bounce`), keeping what it took.
struct Sink {
    url: String,
    mails: std::sync::Arc<std::sync::Mutex<Vec<Mail>>>,
}

impl Sink {
    fn start() -> Self {
        use std::io::{BufRead, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let mails = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = mails.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let kept = kept.clone();
                std::thread::spawn(move || {
                    let mut out = stream.try_clone().unwrap();
                    let mut lines = std::io::BufReader::new(stream);
                    let mut say = |text: &str| {
                        let _ = out.write_all(format!("{text}\r\n").as_bytes());
                    };
                    say("220 sink ESMTP");
                    let mut to = Vec::new();
                    loop {
                        let mut line = String::new();
                        if lines.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let upper = line.to_ascii_uppercase();
                        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                            say("250-sink");
                            say("250 8BITMIME");
                        } else if upper.starts_with("RCPT TO:") {
                            let address = line[8..].trim().trim_matches(['<', '>']).to_owned();
                            if address.starts_with("bounce") {
                                say("550 5.1.1 no such mailbox here");
                            } else {
                                to.push(address);
                                say("250 OK");
                            }
                        } else if upper.starts_with("DATA") {
                            say("354 go on");
                            let mut data = String::new();
                            loop {
                                let mut line = String::new();
                                if lines.read_line(&mut line).unwrap_or(0) == 0 {
                                    return;
                                }
                                if line == ".\r\n" {
                                    break;
                                }
                                data.push_str(&line);
                            }
                            kept.lock().unwrap().push(Mail {
                                to: std::mem::take(&mut to),
                                data,
                            });
                            say("250 taken");
                        } else if upper.starts_with("QUIT") {
                            say("221 bye");
                            return;
                        } else {
                            say("250 OK");
                        }
                    }
                });
            }
        });
        Self { url, mails }
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

/// The text/plain part of a MIME mail, decoded (quoted-printable, base64 or as it is).
fn plain_text(data: &str) -> String {
    let data = data.replace("\r\n", "\n");
    let start = data
        .find("Content-Type: text/plain")
        .unwrap_or_else(|| panic!("no text/plain part:\n{data}"));
    let part = &data[start..];
    let (head, rest) = part.split_once("\n\n").unwrap();
    let body = &rest[..rest.find("\n--").unwrap_or(rest.len())];
    if head.contains("quoted-printable") {
        let joined = body.replace("=\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() + 1 {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    } else if head.contains("base64") {
        let compact: String = body.split_whitespace().collect();
        let bytes = <base64ct::Base64 as base64ct::Encoding>::decode_vec(&compact).unwrap();
        String::from_utf8(bytes).unwrap()
    } else {
        body.to_owned()
    }
}

/// The value after `label` on its line of a mail's text.
fn after<'a>(text: &'a str, label: &str) -> &'a str {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in:\n{text}"))
        + label.len();
    text[at..].lines().next().unwrap().trim()
}

fn logs_in(server: &Server, member: &str, code: &str) -> u16 {
    let (status, _, _) = super::post(
        &server.api("/login"),
        &serde_json::json!({ "member": member, "code": code }),
        "x",
    );
    status
}

#[test]
fn invitations_go_by_email_and_letters_from_the_console() {
    let sink = Sink::start();
    let dir = scratch("console-mail");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("teller.db").to_string_lossy().into_owned();
    let election = Election { dir, db };
    run(
        &election.db,
        &[
            "election",
            "create",
            "--dealer",
            &examples().join("election.toml").to_string_lossy(),
            "--keys",
            &election.path("keys"),
        ],
    );
    let token = add_officer(&election.db, Some(ELECTION), "alice@a.example.org");
    let server = Server::start_with(
        &election.db,
        &[
            "--smtp",
            &sink.url,
            "--mail-from",
            "Returning Officer <ro@a.example.org>",
            "--public-url",
            "https://vote.example.org/",
        ],
    );
    let client = Client::new(&server);
    let (session, _) = enrol(&client, &token);
    let session = Some(session.as_str());
    let csrf = field(&client.get("/console", session).body, "csrf");

    // 20 members: 16 with their own address, two sharing one, one without, one that bounces.
    let mut csv = String::new();
    for (i, line) in register(20).lines().enumerate() {
        let email = match i {
            0 => "email".to_owned(),
            1 | 2 => "family@members.example.org".to_owned(),
            3 => String::new(),
            4 => "bounce@members.example.org".to_owned(),
            _ => format!("Member{i}@Members.Example.org"),
        };
        csv.push_str(&format!("{line},{email}\n"));
    }
    let preview = client.post(
        &format!("/console/e/{ELECTION}/register"),
        session,
        &[("csrf", &csrf), ("register", &csv)],
        &[],
    );
    assert_eq!(preview.status, 200, "{}", preview.body);
    let applied = client.post(
        &format!("/console/e/{ELECTION}/register/apply"),
        session,
        &[
            ("csrf", &csrf),
            ("register", &field(&preview.body, "register")),
        ],
        &[],
    );
    assert_eq!(applied.status, 303, "{}", applied.body);
    let page = client.get(&format!("/console/e/{ELECTION}/invitations"), session);
    assert!(
        page.body
            .contains("Email 17 member(s) who have no invitation yet"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Download letters for 3 member(s)"),
        "{}",
        page.body
    );

    let sent = client.post(
        &format!("/console/e/{ELECTION}/invitations/send"),
        session,
        &[("csrf", &csrf)],
        &[],
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let started = std::time::Instant::now();
    let page = loop {
        let page = client.get(&format!("/console/e/{ELECTION}/invitations"), session);
        if page.body.contains("Last mailing:") {
            break page;
        }
        assert!(started.elapsed().as_secs() < 120, "{}", page.body);
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(
        page.body
            .contains("Last mailing: 16 sent, 1 bounced, 0 failed"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("no such mailbox here"),
        "the bounce is shown: {}",
        page.body
    );

    // Every member with an address of their own got exactly one mail, with their number, a
    // code (never in the link), the booth's link with their number, and the fingerprint.
    let manifest = Store::open(&election.db)
        .unwrap()
        .election(ELECTION)
        .unwrap()
        .manifest()
        .unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), 16);
    let mut codes = HashMap::new();
    for mail in &mails {
        assert_eq!(mail.to.len(), 1);
        let text = plain_text(&mail.data);
        let member = after(&text, "Member number / Rhif aelodaeth:").to_owned();
        let code = after(&text, "Invitation code / Cod gwahoddiad:").to_owned();
        let n: usize = member[1..].parse().unwrap();
        assert_eq!(mail.to[0], format!("member{}@members.example.org", n));
        let link = after(&text, "Vote here / Pleidleisiwch yma:\n");
        assert_eq!(
            link,
            format!("https://vote.example.org/e/{ELECTION}/?member={member}")
        );
        assert!(!link.contains(&code));
        assert!(text.contains(&manifest.fingerprint_hex()), "{text}");
        assert!(text.contains("Fe'ch gwahoddir i bleidleisio"), "{text}");
        assert!(
            mail.data.contains("Content-Type: text/html"),
            "an HTML part too"
        );
        assert!(codes.insert(member, code).is_none(), "one mail per member");
    }
    assert!(!codes.contains_key("M0000001") && !codes.contains_key("M0000002"));

    // Open; a mailed code logs in.
    let opened = client.post(
        &format!("/console/e/{ELECTION}/open"),
        session,
        &[("csrf", &csrf)],
        &[],
    );
    assert_eq!(opened.status, 303, "{}", opened.body);
    let (member, code) = codes
        .iter()
        .next()
        .map(|(m, c)| (m.clone(), c.clone()))
        .unwrap();
    assert_eq!(logs_in(&server, &member, &code), 200);

    // A new code for that member: the old one stops working, the new one works.
    let resent = client.post(
        &format!("/console/e/{ELECTION}/invitations/resend"),
        session,
        &[("csrf", &csrf), ("member", &member)],
        &[],
    );
    assert_eq!(resent.status, 303, "{}", resent.body);
    let started = std::time::Instant::now();
    while sink.mails().len() < 17 {
        assert!(started.elapsed().as_secs() < 60);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let text = plain_text(&sink.mails()[16].data);
    assert_eq!(after(&text, "Member number / Rhif aelodaeth:"), member);
    let new_code = after(&text, "Invitation code / Cod gwahoddiad:").to_owned();
    assert_ne!(new_code, code);
    assert_eq!(
        logs_in(&server, &member, &code),
        401,
        "the old code is dead"
    );
    assert_eq!(logs_in(&server, &member, &new_code), 200);
    // A member who cannot be mailed is told so, and nothing is sent.
    let refused = client.post(
        &format!("/console/e/{ELECTION}/invitations/resend"),
        session,
        &[("csrf", &csrf), ("member", "M0000003")],
        &[],
    );
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("no email address of their own"),
        "{}",
        refused.body
    );

    // Letters for the three who cannot be mailed: their codes log in.
    let letters = client.post(
        &format!("/console/e/{ELECTION}/invitations/letters"),
        session,
        &[("csrf", &csrf)],
        &[],
    );
    assert_eq!(letters.status, 200, "{}", letters.body);
    let lettered = teller::client::read_invitations(&letters.body).unwrap();
    let numbers: Vec<&str> = lettered.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(numbers, ["M0000001", "M0000002", "M0000003"]);
    for (member, code) in &lettered {
        assert_eq!(logs_in(&server, member, code), 200, "{member}");
    }
    let events = Store::open(&election.db).unwrap().events(ELECTION).unwrap();
    for kind in [
        "invitations emailed",
        "invitations re-sent by email",
        "invitation letters exported",
    ] {
        let event = events.iter().find(|e| e.kind == kind).unwrap();
        assert_eq!(event.actor, "alice@a.example.org", "{event:?}");
    }

    // Closing forgets the addresses and the mail states.
    run(&election.db, &["election", "close", ELECTION]);
    let store = Store::open(&election.db).unwrap();
    assert!(
        store
            .members(ELECTION)
            .unwrap()
            .iter()
            .all(|m| m.email.is_none())
    );
    assert!(store.mail_statuses(ELECTION).unwrap().is_empty());
}

/// The manifest the server serves to the booth.
fn manifest_served(server: &Server) -> serde_json::Value {
    let mut response = super::agent().get(server.api("/manifest")).call().unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

/// A hidden field's value as the page escapes it, unescaped (maud escapes `&`, `<`, `>`, `"`).
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The form of a small election (one contest unless more are given), as the browser posts it.
fn election_form<'a>(
    csrf: &'a str,
    title: &'a str,
    contest: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", csrf),
        ("election", ELECTION),
        ("title", title),
        // A browser without a date picker lets the officer type what the TOML takes.
        ("opens", "now-1h"),
        ("closes", "2099-12-31T17:00"),
        ("revote", "forbidden"),
        ("reissue-by", "officer"),
        ("reissue-limit", "1"),
        ("trustees", "3"),
        ("threshold", "2"),
        ("c0-id", "nec"),
        ("c0-title", "National Executive Committee"),
        ("c0-seats", "2"),
        ("c0-method", "meek"),
        (
            "c0-candidates",
            "name,gender,slate,statement\nAda Achterberg,W,Left,\"For members, always.\nTwo lines.\"\nBram Boateng,M,Left,\nCarys Cadwallader,W,Centre,\n",
        ),
        ("c0-freeze", "2026-09-01"),
        ("c0-arrears", "yes"),
    ];
    for (name, value) in contest {
        match form.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => form.push((name, value)),
        }
    }
    form
}

#[test]
fn an_officer_creates_an_election_from_the_form_on_sqlite() {
    an_officer_creates_an_election_from_the_form("console-define", None);
}

#[test]
fn an_officer_creates_an_election_from_the_form_on_postgresql() {
    an_officer_creates_an_election_from_the_form(
        "console-define-pg",
        Some(super::postgres_database("console_define")),
    );
}

/// Issue 15: an officer named for an election not yet made (`officer add --new`) creates it from
/// the form (with the command's checks and messages), hands the trustees their shares, edits it
/// until its invitations go out, and runs it to a tally whose record verifies.
fn an_officer_creates_an_election_from_the_form(name: &str, db: Option<String>) {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).unwrap();
    let db = db.unwrap_or_else(|| dir.join("teller.db").to_string_lossy().into_owned());
    let election = Election { dir, db };
    let ann = "ann@branch.example.org";
    // Without --new, an election that does not exist is refused.
    let refused = teller()
        .args(["officer", "add", ELECTION, ann, "--database", &election.db])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("with --new"));
    let mut args = vec!["officer", "add", ELECTION, ann, "--new"];
    let printed = run(&election.db, &args);
    assert!(printed.contains("may create election"), "{printed}");
    let token = printed
        .lines()
        .find(|l| l.contains("/console/enrol/"))
        .unwrap();
    let token = token.rsplit('/').next().unwrap().trim().to_owned();
    let key_root = election.path("keyroot");
    let server = Server::start_with(&election.db, &["--keys", &key_root]);
    let client = Client::new(&server);
    let store = Store::open(&election.db).unwrap();
    let (session, _) = enrol(&client, &token);
    let session = Some(session.as_str());

    let list = client.get("/console", session);
    assert!(list.body.contains("href=\"/console/new\""), "{}", list.body);
    let blank = client.get("/console/new", session);
    assert_eq!(blank.status, 200, "{}", blank.body);
    assert!(
        blank.body.contains(ELECTION),
        "the reserved id is the form's"
    );
    let csrf = field(&blank.body, "csrf");

    // Problems with fields are named, with links to them; nothing is created.
    let form = election_form(
        &csrf,
        "",
        &[("c0-seats", "two"), ("c0-min-attribute", "gender")],
    );
    let bad = client.post("/console/new", session, &form, &[]);
    assert_eq!(bad.status, 400, "{}", bad.body);
    for expected in [
        "href=\"#title\"",
        "Enter the election&#39;s title",
        "Contest 1: the seats must be a whole number",
        "Contest 1: enter the gender the minimum is for",
        "aria-invalid=\"true\"",
    ] {
        assert!(
            bad.body.contains(expected) || bad.body.contains(&expected.replace("&#39;", "'")),
            "{expected}: {}",
            bad.body
        );
    }
    assert!(store.find_election(ELECTION).unwrap().is_none());
    // Only the reserved id.
    let mut other = election_form(&csrf, "Branch", &[]);
    other[1].1 = "someone-elses";
    let not_mine = client.post("/console/new", session, &other, &[]);
    assert_eq!(not_mine.status, 400);
    assert!(
        not_mine
            .body
            .contains("You may create only the election you were named for: nec-2026"),
        "{}",
        not_mine.body
    );
    // A contest added, then taken away again: the form comes back, nothing checked.
    let mut add = election_form(&csrf, "NEC 2026", &[]);
    add.push(("action", "add-contest"));
    let added = client.post("/console/new", session, &add, &[]);
    assert_eq!(added.status, 200);
    assert!(added.body.contains("name=\"c1-id\""), "{}", added.body);
    let mut remove = election_form(&csrf, "NEC 2026", &[("c1-id", "youth")]);
    remove.push(("action", "remove-1"));
    let removed = client.post("/console/new", session, &remove, &[]);
    assert!(!removed.body.contains("name=\"c1-id\""), "{}", removed.body);

    // The definition's own checks are `teller election create`'s, message for message.
    let good = election_form(&csrf, "NEC 2026", &[]);
    let confirm = client.post("/console/new", session, &good, &[]);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(
        confirm.body.contains("Create this election?"),
        "{}",
        confirm.body
    );
    assert!(
        confirm.body.contains("What creating fixes"),
        "{}",
        confirm.body
    );
    let definition = unescape(&field(&confirm.body, "definition"));
    let cli = |toml: &str| {
        let path = election.path("cli.toml");
        std::fs::write(&path, toml).unwrap();
        let scratch_db = election.path("cli.db");
        let _ = std::fs::remove_file(&scratch_db);
        let _ = std::fs::remove_dir_all(election.path("cli-keys"));
        let output = teller()
            .args([
                "election",
                "create",
                "--dealer",
                &path,
                "--keys",
                &election.path("cli-keys"),
            ])
            .args(["--database", &scratch_db])
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (created, stderr) = cli(&definition);
    assert!(
        created,
        "the confirmation's TOML is what the command takes: {stderr}"
    );
    let irv = definition.replace("method = \"meek\"", "method = \"irv\"");
    assert_ne!(irv, definition);
    let (created, stderr) = cli(&irv);
    assert!(!created);
    let message = stderr.split("cli.toml: ").nth(1).unwrap().trim().to_owned();
    let irv_form = election_form(&csrf, "NEC 2026", &[("c0-method", "irv")]);
    let refused = client.post("/console/new", session, &irv_form, &[]);
    assert_eq!(refused.status, 400);
    assert!(
        unescape(&refused.body).contains(message.trim()),
        "the command said {message:?}; the form: {}",
        refused.body
    );

    let made = client.post(
        "/console/new/confirm",
        session,
        &[("csrf", &csrf), ("definition", &definition)],
        &[],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(
        made.location.as_deref(),
        Some("/console/e/nec-2026?created=1")
    );
    let row = store.election(ELECTION).unwrap();
    let manifest = row.manifest().unwrap();
    let nec = &manifest.draft().contests[0];
    assert_eq!(nec.candidates.len(), 3);
    assert_eq!(
        nec.candidates[0].statement.as_deref(),
        Some("For members, always.\nTwo lines.")
    );
    assert_eq!(nec.candidates[1].statement, None);
    let key_dir = std::path::Path::new(&key_root).join(ELECTION);
    assert!(key_dir.join("issuer-nec.pk8").exists());
    let events = store.events(ELECTION).unwrap();
    assert_eq!(
        (events[0].kind.as_str(), events[0].actor.as_str()),
        ("created", ann)
    );
    // Creating twice is refused.
    let twice = client.post(
        "/console/new/confirm",
        session,
        &[("csrf", &csrf), ("definition", &definition)],
        &[],
    );
    assert_eq!(
        twice.status, 403,
        "the id is no longer one to create: {}",
        twice.body
    );
    let overview = client.get(&format!("/console/e/{ELECTION}?created=1"), session);
    assert!(
        overview.body.contains("The election is created."),
        "{}",
        overview.body
    );
    assert!(overview.body.contains("/edit\""), "{}", overview.body);

    // The trustees' shares, one at a time, each shown once.
    let shares = format!("/console/e/{ELECTION}/shares");
    let page = client.get(&shares, session);
    assert!(
        page.body.contains("Show trustee 3&#39;s share")
            || page.body.contains("Show trustee 3's share"),
        "{}",
        page.body
    );
    let shown = client.post(&shares, session, &[("csrf", &csrf), ("trustee", "1")], &[]);
    assert_eq!(shown.status, 200, "{}", shown.body);
    let share_1 = shown.body.split("<pre class=\"share\">").nth(1).unwrap();
    let share_1 = share_1[..share_1.find("</pre>").unwrap()].to_owned();
    teller::admin::parse_share(&share_1, "trustee 1").unwrap();
    assert!(
        !key_dir.join("trustee-1.share").exists(),
        "the server's copy is gone"
    );
    let again = client.post(&shares, session, &[("csrf", &csrf), ("trustee", "1")], &[]);
    assert_eq!(again.status, 400);
    assert!(again.body.contains("handed over already"), "{}", again.body);
    let handed = store.events(ELECTION).unwrap();
    let handed = handed
        .iter()
        .find(|e| e.kind == "share handed over")
        .unwrap();
    assert_eq!(
        (handed.detail.as_str(), handed.actor.as_str()),
        ("trustee 1", ann)
    );
    assert!(!handed.detail.contains(&share_1[2..]));

    // The booth's server has loaded the manifest; an edit replaces it there too.
    let before = manifest_served(&server);
    let edit = format!("/console/e/{ELECTION}/edit");
    let page = client.get(&edit, session);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("value=\"NEC 2026\""), "{}", page.body);
    assert!(page.body.contains("For members, always."), "{}", page.body);
    // A member register first: the edit works eligibility out again.
    let good_register = register(40);
    let preview = client.post(
        &format!("/console/e/{ELECTION}/register"),
        session,
        &[("csrf", &csrf), ("register", &good_register)],
        &[],
    );
    let applied = client.post(
        &format!("/console/e/{ELECTION}/register/apply"),
        session,
        &[
            ("csrf", &csrf),
            ("register", &unescape(&field(&preview.body, "register"))),
        ],
        &[],
    );
    assert_eq!(applied.status, 303, "{}", applied.body);
    let mut edited = election_form(
        &csrf,
        "NEC 2026 (amended)",
        &[
            ("c1-id", "wales"),
            ("c1-title", "Wales representative"),
            ("c1-seats", "1"),
            ("c1-method", "irv"),
            ("c1-candidates", "name\nRhys Rowlands\nSiân Evans\n"),
            ("c1-freeze", "2026-09-01"),
            ("c1-region", "Wales"),
        ],
    );
    // The trustees cannot change: what the post says of them is ignored.
    edited.iter_mut().find(|(n, _)| *n == "trustees").unwrap().1 = "5";
    let check = client.post(&edit, session, &edited, &[]);
    assert_eq!(check.status, 200, "{}", check.body);
    assert!(check.body.contains("Save these changes?"), "{}", check.body);
    let definition = unescape(&field(&check.body, "definition"));
    assert!(definition.contains("count = 3"), "{definition}");
    let saved = client.post(
        &format!("{edit}/confirm"),
        session,
        &[("csrf", &csrf), ("definition", &definition)],
        &[],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = store.election(ELECTION).unwrap().manifest().unwrap();
    assert_ne!(after.fingerprint_hex(), manifest.fingerprint_hex());
    assert_eq!(
        after.draft().keys.issuers["nec"],
        manifest.draft().keys.issuers["nec"]
    );
    assert_eq!(after.draft().keys.election, manifest.draft().keys.election);
    assert_eq!(after.draft().trustees, manifest.draft().trustees);
    assert!(key_dir.join("issuer-wales.pk8").exists());
    let served = manifest_served(&server);
    assert_ne!(served, before, "the server serves the edited manifest");
    assert_eq!(served["title"], "NEC 2026 (amended)");
    let members = store.members(ELECTION).unwrap();
    let welsh = members
        .iter()
        .filter(|m| m.eligible.contains("wales"))
        .count();
    let in_wales = members.iter().filter(|m| m.region == "Wales").count();
    assert!(
        welsh > 0 && welsh <= in_wales,
        "{welsh} eligible, {in_wales} in Wales"
    );
    assert!(
        members
            .iter()
            .all(|m| m.eligible.contains("nec") || !m.eligible.contains("wales"))
    );
    let edits = store.events(ELECTION).unwrap();
    let edit_event = edits.iter().find(|e| e.kind == "edited").unwrap();
    assert!(
        edit_event.detail.starts_with(&after.fingerprint_hex()),
        "{edit_event:?}"
    );

    // Once the invitations are out (letters here), the election can no longer be edited.
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
    let page = client.get(&edit, session);
    assert!(
        page.body.contains("can no longer be edited"),
        "{}",
        page.body
    );
    let late = client.post(
        &format!("{edit}/confirm"),
        session,
        &[("csrf", &csrf), ("definition", &definition)],
        &[],
    );
    assert_eq!(late.status, 400);
    assert!(
        late.body.contains("can no longer be edited"),
        "{}",
        late.body
    );

    // Run it: open, votes, close, the trustees' tally with the share handed over and another.
    args = vec!["election", "open", ELECTION];
    run(&election.db, &args);
    let report = vote_sim(&[&server], &election, &[]);
    assert!(report.contains("ballots"), "{report}");
    run(&election.db, &["election", "close", ELECTION]);
    let share_3 = std::fs::read_to_string(key_dir.join("trustee-3.share")).unwrap();
    let page = tally_from_console(&client, session, &csrf, [&share_1, &share_3]);
    assert!(page.body.contains("the record verifies"), "{}", page.body);
    let record = election.dir.join("record");
    run(
        &election.db,
        &["record", "export", ELECTION, &record.to_string_lossy()],
    );
    verify_passes(&record);
}
