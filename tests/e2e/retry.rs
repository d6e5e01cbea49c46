//! A booth that loses the answer to a cast (the network fails mid-cast) resends the identical
//! body. A retry whose bytes are a ballot already in the log as the voting key's latest is
//! answered with that ballot's original receipt, so the member learns that they voted; a cast
//! that differs in any byte is refused as before. Over HTTP on SQLite and on PostgreSQL, and once
//! through the sequencer's group commit directly, for identical casts in one batch.

use ed25519_dalek::Signer as _;
use rand::SeedableRng as _;
use serde_json::{Value, json};
use teller::core::ballot::{CastRefused, CastRequest, Marks, accept_cast};
use teller::core::crypto::{Bytes, Pass, PassSecret, seal};
use teller::core::log::{PassJson, ballot_message};
use teller::core::manifest::{Manifest, Revote};
use teller::store::{PendingCast, Store};

use super::member::{Member, cast_ranking, login, manifest, pass_labelled};
use super::{ELECTION, Election, Server, agent, post};

const CONTEST: &str = "nec";

/// A member's pass for `nec`, and the secret its voting key comes from.
pub(super) struct Voter {
    number: String,
    secret: PassSecret,
    pass: Pass,
}

/// The first `n` members (from the invitations) eligible for `nec`, each with a pass.
pub(super) fn voters(
    server: &Server,
    election: &Election,
    manifest: &Manifest,
    n: usize,
) -> Vec<Voter> {
    let members: Vec<Member> = election
        .invitations()
        .iter()
        .map(|(member, code)| login(server, member, code))
        .filter(|m| m.contests.iter().any(|c| c == CONTEST))
        .take(n)
        .collect();
    assert_eq!(
        members.len(),
        n,
        "not enough members eligible for {CONTEST}"
    );
    let key = manifest.contest(CONTEST).unwrap().issuer_key();
    (members.iter().enumerate())
        .map(|(i, member)| {
            let secret = PassSecret::from_bytes([40 + i as u8; 16]);
            let pass = pass_labelled(server, member, manifest, CONTEST, &secret, CONTEST, key);
            Voter {
                number: member.number.clone(),
                secret,
                pass,
            }
        })
        .collect()
}

/// A cast of `ranking` under `voter`'s pass, sealed with a ChaCha stream from `seed` and naming
/// `replaces`: the same arguments give the same bytes.
pub(super) fn sealed(
    manifest: &Manifest,
    voter: &Voter,
    ranking: &[usize],
    seed: u8,
    replaces: Option<i64>,
) -> CastRequest {
    let fingerprint = manifest.fingerprint();
    let candidates = manifest.contest(CONTEST).unwrap().candidate_count();
    let plaintext = Marks::from_ranking(candidates, ranking).encode();
    let mut rng = rand::rngs::ChaCha20Rng::from_seed([seed; 32]);
    let sealed = seal(
        &manifest.election_key(),
        &fingerprint,
        CONTEST,
        &voter.pass.key,
        &plaintext,
        &mut rng,
    )
    .unwrap();
    let message = ballot_message(&fingerprint, CONTEST, &voter.pass.key, &sealed, replaces);
    let signature = voter
        .secret
        .voting_key(&fingerprint, CONTEST)
        .sign(&message);
    CastRequest {
        contest: CONTEST.to_owned(),
        pass: PassJson::from(&voter.pass),
        enc: sealed.enc,
        ct: sealed.ct,
        signature: signature.to_bytes(),
        replaces,
    }
}

/// The cast as the booth POSTs it.
pub(super) fn body(cast: &CastRequest) -> Value {
    let mut body = json!({
        "contest": cast.contest,
        "pass": cast.pass,
        "enc": Bytes::<32>::from(cast.enc),
        "ct": Bytes::<0>(cast.ct.clone()),
        "signature": Bytes::<64>(cast.signature.to_vec()),
    });
    if let Some(replaces) = cast.replaces {
        body["replaces"] = json!(replaces);
    }
    body
}

/// POSTs a cast; returns the status and the receipt or the error.
pub(super) fn send(server: &Server, body: &Value) -> (u16, Value) {
    let (status, _, answer) = post(&server.api("/ballots"), body, "");
    (status, answer)
}

/// The other members vote as usual, then the election is closed and tallied: `teller verify`
/// passes on the record, and every contest recounts to its winners.
fn others_vote_and_the_record_verifies(server: Server, election: &Election, voters: &[&Voter]) {
    let others: String = std::iter::once("member_number,invitation_code\n".to_owned())
        .chain(
            (election.invitations().into_iter())
                .filter(|(m, _)| voters.iter().all(|v| &v.number != m))
                .map(|(m, c)| format!("{m},{c}\n")),
        )
        .collect();
    std::fs::write(election.path("invitations.csv"), others).unwrap();
    let report = super::vote_sim(&[&server], election, &["--concurrency", "4"]);
    assert!(
        super::figure(&report, "ballots accepted:") > 100,
        "{report}"
    );
    drop(server);
    election.close_tally_verify();
    std::fs::remove_dir_all(&election.dir).unwrap();
}

/// The ballot entries in the log, as JSON.
fn ballots_in_log(server: &Server) -> Vec<Value> {
    let text = agent()
        .get(&server.api("/logs/ballots/entries?start=0&end=1000"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    text.lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|entry| entry["type"] == "ballot")
        .collect()
}

/// A receipt's fields, each present.
fn assert_receipt(receipt: &Value) {
    for field in ["seq", "leaf", "tracker", "promise"] {
        assert!(!receipt[field].is_null(), "no {field} in {receipt}");
    }
}

/// Under `forbidden`: the identical body twice gets one receipt and one entry; a different
/// sealing under the same pass is still `already_voted`.
fn identical_retry_under_forbidden(name: &str, db: Option<String>) {
    let election = Election::open(name, db, 300);
    let server = Server::start(&election.db);
    let manifest = manifest(&server);
    let voter = voters(&server, &election, &manifest, 1).remove(0);

    // `cast_ranking` seals with a fixed seed: both calls send the same bytes.
    let (status, first) = cast_ranking(
        &server,
        &manifest,
        &voter.secret,
        CONTEST,
        &voter.pass,
        &[0],
    );
    assert_eq!(status, 200, "{first}");
    assert_receipt(&first);
    let (status, again) = cast_ranking(
        &server,
        &manifest,
        &voter.secret,
        CONTEST,
        &voter.pass,
        &[0],
    );
    assert_eq!(status, 200, "the identical retry: {again}");
    assert_eq!(again, first, "the retry's receipt must be the original's");
    assert_eq!(
        ballots_in_log(&server).len(),
        1,
        "the retry appended a ballot"
    );

    // The same ranking sealed afresh is a second ballot, which `forbidden` refuses.
    let other = sealed(&manifest, &voter, &[0], 4, None);
    let (status, refused) = send(&server, &body(&other));
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("already_voted")),
        "{refused}"
    );
    assert_eq!(ballots_in_log(&server).len(), 1);
    others_vote_and_the_record_verifies(server, &election, &[&voter]);
}

#[test]
fn an_identical_retry_gets_the_original_receipt_under_forbidden_on_sqlite() {
    identical_retry_under_forbidden("retry-forbidden-sqlite", None);
}

#[test]
fn an_identical_retry_gets_the_original_receipt_under_forbidden_on_postgresql() {
    identical_retry_under_forbidden(
        "retry-forbidden-postgres",
        Some(super::postgres_database("retry_forbidden")),
    );
}

/// Under `last`: a retry of the key's latest ballot gets its receipt; once a replacement is
/// logged, a retry of the replaced ballot is `wrong_replaces`.
fn identical_retry_under_last(name: &str, db: Option<String>) {
    let election = Election::open_with(name, db, 300, |definition| {
        definition.replace("revote = \"forbidden\"", "revote = \"last\"")
    });
    let server = Server::start(&election.db);
    let manifest = manifest(&server);
    assert_eq!(manifest.revote(), Revote::Last);
    let voter = voters(&server, &election, &manifest, 1).remove(0);

    let first = body(&sealed(&manifest, &voter, &[0], 3, None));
    let (status, receipt) = send(&server, &first);
    assert_eq!(status, 200, "{receipt}");
    assert_receipt(&receipt);
    let (status, again) = send(&server, &first);
    assert_eq!(status, 200, "the identical retry: {again}");
    assert_eq!(again, receipt, "the retry's receipt must be the original's");
    assert_eq!(ballots_in_log(&server).len(), 1);

    // A replacement naming the first ballot is a new entry; its own retry gets its receipt.
    let seq = receipt["seq"].as_i64().unwrap();
    let second = body(&sealed(&manifest, &voter, &[1, 0], 5, Some(seq)));
    let (status, replaced) = send(&server, &second);
    assert_eq!(status, 200, "{replaced}");
    assert!(replaced["seq"].as_i64().unwrap() > seq, "{replaced}");
    let (status, again) = send(&server, &second);
    assert_eq!((status, &again), (200, &replaced));

    // The first ballot is no longer the key's latest: resending it is refused.
    let (status, refused) = send(&server, &first);
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("wrong_replaces")),
        "{refused}"
    );
    assert_eq!(ballots_in_log(&server).len(), 2);
    others_vote_and_the_record_verifies(server, &election, &[&voter]);
}

#[test]
fn an_identical_retry_gets_the_original_receipt_under_last_until_replaced_on_sqlite() {
    identical_retry_under_last("retry-last-sqlite", None);
}

#[test]
fn an_identical_retry_gets_the_original_receipt_under_last_until_replaced_on_postgresql() {
    identical_retry_under_last(
        "retry-last-postgres",
        Some(super::postgres_database("retry_last")),
    );
}

/// Identical casts at once: over HTTP from several threads, and as one batch of the sequencer
/// (the HTTP casts may or may not share a batch; the direct call makes sure one does).
fn identical_casts_together(name: &str, db: Option<String>) {
    let election = Election::open(name, db, 300);
    let server = Server::start(&election.db);
    let manifest = manifest(&server);
    let mut pair = voters(&server, &election, &manifest, 2);

    let cast = body(&sealed(&manifest, &pair[0], &[0], 3, None));
    let barrier = std::sync::Barrier::new(8);
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    send(&server, &cast)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let (status, receipt) = &answers[0];
    assert_eq!(*status, 200, "{receipt}");
    assert_receipt(receipt);
    for answer in &answers {
        assert_eq!(answer, &answers[0], "every identical cast gets one receipt");
    }
    assert_eq!(ballots_in_log(&server).len(), 1);

    // One batch holding the same cast three times and a different sealing under the same pass.
    let voter = pair.remove(1);
    let accepted = |request| accept_cast(&manifest, request, None).unwrap();
    let pending = |request| PendingCast {
        election: ELECTION.to_owned(),
        cast: accepted(request),
        previous: None,
        revote: Revote::Forbidden,
        window: manifest.window(),
    };
    let same = sealed(&manifest, &voter, &[0], 3, None);
    let other = sealed(&manifest, &voter, &[0], 4, None);
    let batch = vec![
        pending(same.clone()),
        pending(same.clone()),
        pending(other),
        pending(same.clone()),
    ];
    let outcomes: Vec<_> = Store::open(&election.db)
        .unwrap()
        .append_casts(batch)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let appended = outcomes[0].as_ref().unwrap().clone();
    assert_eq!(outcomes[1], Ok(appended.clone()));
    assert_eq!(
        outcomes[2],
        Err(CastRefused::AlreadyVoted {
            entry: appended.seq
        })
    );
    assert_eq!(outcomes[3], Ok(appended.clone()));
    assert_eq!(ballots_in_log(&server).len(), 2);
    // Resent over HTTP once logged, it gets the same place.
    let (status, again) = send(&server, &body(&same));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["seq"].as_i64(), Some(appended.seq));
    assert_eq!(
        again["leaf"].as_str(),
        Some(teller::core::crypto::encode_bytes(&appended.leaf).as_str())
    );
    assert_eq!(ballots_in_log(&server).len(), 2);
    others_vote_and_the_record_verifies(server, &election, &[&pair[0], &voter]);
}

#[test]
fn identical_casts_sent_together_get_one_receipt_on_sqlite() {
    identical_casts_together("retry-together-sqlite", None);
}

#[test]
fn identical_casts_sent_together_get_one_receipt_on_postgresql() {
    identical_casts_together(
        "retry-together-postgres",
        Some(super::postgres_database("retry_together")),
    );
}

/// A batch whose second election's transaction fails (it has no ballot log: never opened) still
/// answers the first election's cast, which is durable, with its place in the log. Before, the
/// whole batch answered one error: the member got a 500 for a stored ballot, and under
/// `forbidden` their retry was refused.
fn a_failed_election_does_not_fail_another(name: &str, db: Option<String>) {
    let election = Election::open(name, db, 300);
    let server = Server::start(&election.db);
    let manifest = manifest(&server);
    let voter = voters(&server, &election, &manifest, 1).remove(0);
    let cast = accept_cast(&manifest, sealed(&manifest, &voter, &[0], 3, None), None).unwrap();
    let pending = |election: &str| PendingCast {
        election: election.to_owned(),
        cast: cast.clone(),
        previous: None,
        revote: Revote::Forbidden,
        window: manifest.window(),
    };
    // Transactions run in election-id order: "zz-…" fails after "nec-2026" has committed.
    let outcomes = Store::open(&election.db)
        .unwrap()
        .append_casts(vec![pending(ELECTION), pending("zz-never-opened")]);
    let appended = outcomes[0].as_ref().unwrap().as_ref().unwrap();
    assert!(outcomes[1].is_err(), "the unopened election's cast fails");
    let logged = ballots_in_log(&server);
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["seq"].as_i64(), Some(appended.seq));
    // The member's retry over HTTP gets that same place.
    let (status, again) = send(&server, &body(&sealed(&manifest, &voter, &[0], 3, None)));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["seq"].as_i64(), Some(appended.seq));
    others_vote_and_the_record_verifies(server, &election, &[&voter]);
}

#[test]
fn a_failed_election_in_a_batch_does_not_fail_another_on_sqlite() {
    a_failed_election_does_not_fail_another("retry-isolated-sqlite", None);
}

#[test]
fn a_failed_election_in_a_batch_does_not_fail_another_on_postgresql() {
    a_failed_election_does_not_fail_another(
        "retry-isolated-postgres",
        Some(super::postgres_database("retry_isolated")),
    );
}
