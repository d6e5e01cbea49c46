//! The booth's protocol steps (`core::booth`, which the browser runs as WebAssembly) against real
//! keys: a member's passes, sealing, the box's acceptance, the receipt's proofs, audits, and the
//! ways each can be wrong (wrong key, flipped bit, another election, a forged promise).

use rand::SeedableRng as _;
use rand::rngs::ChaCha20Rng;
use serde_json::{Value, json};
use teller::admin::{EXAMPLE_ELECTION, ElectionDefinition, ElectionKeys, create_election};
use teller::core::ballot::{Marks, accept_cast};
use teller::core::booth::{
    BallotAudit, Receipt, call, check_audit, check_consistency, check_receipt, finalize_pass,
    pass_requests, seal_ballot, tracker,
};
use teller::core::crypto::{PassSecret, open, sign_blinded};
use teller::core::log::{
    Entry, InclusionProof, LogWriter, inclusion_proof, leaf_hash, promise_text,
};
use teller::core::manifest::{Manifest, Witnesses};

struct Fixture {
    manifest: Manifest,
    keys: ElectionKeys,
    secret: PassSecret,
}

fn fixture(seed: u8) -> Fixture {
    fixture_with(seed, None)
}

/// The example election, with `witnesses` named in its manifest.
fn fixture_with(seed: u8, witnesses: Option<Witnesses>) -> Fixture {
    let mut definition = ElectionDefinition::parse(EXAMPLE_ELECTION).unwrap();
    definition.witnesses = witnesses;
    let mut rng = ChaCha20Rng::from_seed([seed; 32]);
    let (manifest, keys) = create_election(&definition, &mut rng).unwrap();
    Fixture {
        manifest,
        keys,
        secret: PassSecret::from_bytes([7; 16]),
    }
}

fn contests() -> Vec<String> {
    vec!["nec".into(), "youth".into()]
}

/// The issuer's side, as the server does it: signs each blinded request under its contest's key.
fn passes(f: &Fixture) -> Vec<(String, teller::core::log::PassJson)> {
    pass_requests(&f.manifest, &f.secret, &contests())
        .unwrap()
        .into_iter()
        .map(|request| {
            let key = &f.keys.issuer(&request.contest).unwrap().sk;
            let blind = sign_blinded(key, &request.blinded.0).unwrap();
            let pass = finalize_pass(&f.manifest, &f.secret, &request.contest, &blind).unwrap();
            (request.contest, pass)
        })
        .collect()
}

#[test]
fn a_ballot_sealed_by_the_booth_is_accepted_by_the_box_and_opens_to_its_ranking() {
    let f = fixture(1);
    for (contest, pass) in passes(&f) {
        let n = f.manifest.contest(&contest).unwrap().candidate_count();
        let ranking: Vec<usize> = (0..n).rev().take(3).collect();
        let sealed = seal_ballot(
            &f.manifest,
            &f.secret,
            &contest,
            &pass,
            &ranking,
            None,
            &[9; 32],
        )
        .unwrap();
        let request = teller::core::ballot::CastRequest {
            contest: contest.clone(),
            pass: sealed.cast.pass.clone(),
            enc: sealed.cast.enc.array(),
            ct: sealed.cast.ct.0.clone(),
            signature: sealed.cast.signature.array(),
            replaces: None,
        };
        accept_cast(&f.manifest, request, None).unwrap();
        // The trustees' key opens it to exactly the ranking.
        let secret = teller::core::crypto::reconstruct(
            &f.keys.shares[..2],
            &f.manifest.share_commitments(),
            f.manifest.threshold(),
            f.manifest.key_origin(),
        )
        .unwrap();
        let plain = open(
            &secret,
            &f.manifest.fingerprint(),
            &contest,
            &pass.key.array(),
            &teller::core::crypto::SealedBallot {
                enc: sealed.cast.enc.array(),
                ct: sealed.cast.ct.0.clone(),
            },
        )
        .unwrap();
        assert_eq!(plain, Marks::from_ranking(n, &ranking).encode());
        // And the audit of that same sealing shows the names, in order.
        let shown = check_audit(&f.manifest, &sealed.audit).unwrap();
        let names = &f.manifest.contest(&contest).unwrap().draft().candidates;
        let expected: Vec<String> = ranking.iter().map(|&c| names[c].name.clone()).collect();
        assert_eq!(shown.ranking, expected);
    }
}

#[test]
fn a_pass_answered_under_another_contests_key_or_a_flipped_bit_is_refused() {
    let f = fixture(2);
    let requests = pass_requests(&f.manifest, &f.secret, &contests()).unwrap();
    let nec = &requests[0];
    // Signed with youth's key instead of nec's.
    let wrong = sign_blinded(&f.keys.issuer("youth").unwrap().sk, &nec.blinded.0).unwrap();
    assert!(finalize_pass(&f.manifest, &f.secret, "nec", &wrong).is_err());
    let mut flipped = sign_blinded(&f.keys.issuer("nec").unwrap().sk, &nec.blinded.0).unwrap();
    flipped[17] ^= 1;
    assert!(finalize_pass(&f.manifest, &f.secret, "nec", &flipped).is_err());
    // A pass for this secret does not seal under another secret's voting key.
    let (contest, pass) = passes(&f).remove(0);
    let other = PassSecret::from_bytes([8; 16]);
    assert!(seal_ballot(&f.manifest, &other, &contest, &pass, &[0], None, &[1; 32]).is_err());
    // Nor a ranking naming a candidate twice or one the contest lacks.
    assert!(
        seal_ballot(
            &f.manifest,
            &f.secret,
            &contest,
            &pass,
            &[0, 0],
            None,
            &[1; 32]
        )
        .is_err()
    );
    assert!(
        seal_ballot(
            &f.manifest,
            &f.secret,
            &contest,
            &pass,
            &[99],
            None,
            &[1; 32]
        )
        .is_err()
    );
}

#[test]
fn an_audit_that_claims_another_ranking_key_or_election_fails() {
    let f = fixture(3);
    let (contest, pass) = passes(&f).remove(0);
    let audit = seal_ballot(
        &f.manifest,
        &f.secret,
        &contest,
        &pass,
        &[3, 1],
        None,
        &[5; 32],
    )
    .unwrap()
    .audit;
    assert!(check_audit(&f.manifest, &audit).is_ok());
    let fails = |audit: BallotAudit| assert!(check_audit(&f.manifest, &audit).is_err());
    fails(BallotAudit {
        ranking: vec![1, 3],
        ..audit.clone()
    });
    fails(BallotAudit {
        ranking: vec![3],
        ..audit.clone()
    });
    fails(BallotAudit {
        ikm: [6; 32].into(),
        ..audit.clone()
    });
    let mut ct = audit.ct.clone();
    ct.0[4] ^= 1;
    fails(BallotAudit {
        ct,
        ..audit.clone()
    });
    fails(BallotAudit {
        election: "00".repeat(32),
        ..audit.clone()
    });
    // The same audit against another election's manifest.
    assert!(check_audit(&fixture(4).manifest, &audit).is_err());
}

/// A ballot log with `n` ballots, the receipt of entry `seq`, and the signed checkpoint.
fn log_with(f: &Fixture, n: usize) -> (LogWriter, Vec<Receipt>) {
    let (contest, pass) = passes(f).remove(0);
    let mut log = LogWriter::new(f.manifest.ballot_log_origin(), f.manifest.fingerprint());
    let mut receipts = Vec::new();
    for i in 0..n {
        let cast = seal_ballot(
            &f.manifest,
            &f.secret,
            &contest,
            &pass,
            &[i % 3],
            None,
            &[i as u8; 32],
        )
        .unwrap()
        .cast;
        let request = teller::core::ballot::CastRequest {
            contest: contest.clone(),
            pass: cast.pass.clone(),
            enc: cast.enc.array(),
            ct: cast.ct.0.clone(),
            signature: cast.signature.array(),
            replaces: None,
        };
        let accepted = accept_cast(&f.manifest, request, None).unwrap();
        let seq = log
            .append(|seq, prev| Entry::Ballot(accepted.into_entry(seq, prev)))
            .unwrap();
        let leaf = leaf_hash(&log.entries()[seq as usize]);
        let promise = f
            .keys
            .ballot_log
            .sign(&promise_text(&f.manifest.ballot_log_origin(), seq, &leaf))
            .unwrap();
        receipts.push(Receipt {
            seq,
            leaf: leaf.into(),
            tracker: tracker(&leaf),
            promise,
        });
    }
    (log, receipts)
}

fn proof_of(log: &LogWriter, seq: usize) -> Vec<u8> {
    let leaves: Vec<_> = log.entries().iter().map(|e| leaf_hash(e)).collect();
    InclusionProof {
        hashes: inclusion_proof(&leaves, seq)
            .unwrap()
            .into_iter()
            .map(Into::into)
            .collect(),
        index: seq as i64,
        size: leaves.len() as i64,
    }
    .encode()
    .unwrap()
}

#[test]
fn a_receipt_checks_against_a_signed_checkpoint_and_a_forged_one_does_not() {
    let f = fixture(5);
    let (log, receipts) = log_with(&f, 7);
    let checkpoint = log.signed_checkpoint(&f.keys.ballot_log).unwrap();
    let seq = 4;
    let entry = &log.entries()[seq];
    let proof = proof_of(&log, seq);
    let checked = check_receipt(
        &f.manifest,
        &receipts[seq],
        checkpoint.as_bytes(),
        entry,
        &proof,
    )
    .unwrap();
    assert_eq!((checked.seq, checked.size), (4, 7));
    assert_eq!(checked.signer, "teller-ballot-box");
    let fails = |receipt: &Receipt, checkpoint: &[u8], entry: &[u8], proof: &[u8]| {
        assert!(check_receipt(&f.manifest, receipt, checkpoint, entry, proof).is_err());
    };
    // A promise for another entry, a forged promise, one signed by another key.
    fails(&receipts[3], checkpoint.as_bytes(), entry, &proof);
    let mut forged = receipts[seq].clone();
    forged.promise = forged.promise.replacen("\n4\n", "\n5\n", 1);
    fails(&forged, checkpoint.as_bytes(), entry, &proof);
    let stranger = fixture(6);
    let mut foreign = receipts[seq].clone();
    foreign.promise = stranger
        .keys
        .ballot_log
        .sign(&promise_text(
            &f.manifest.ballot_log_origin(),
            4,
            &foreign.leaf.array(),
        ))
        .unwrap();
    fails(&foreign, checkpoint.as_bytes(), entry, &proof);
    // Another entry's bytes, a proof for another entry, a checkpoint by another key, a
    // checkpoint that does not yet cover the entry.
    fails(
        &receipts[seq],
        checkpoint.as_bytes(),
        &log.entries()[3],
        &proof,
    );
    fails(
        &receipts[seq],
        checkpoint.as_bytes(),
        entry,
        &proof_of(&log, 3),
    );
    let other_signed = stranger
        .keys
        .ballot_log
        .sign(&log.checkpoint().unwrap().to_text())
        .unwrap();
    fails(&receipts[seq], other_signed.as_bytes(), entry, &proof);
    let (short, _) = log_with(&f, 3);
    let short_checkpoint = short.signed_checkpoint(&f.keys.ballot_log).unwrap();
    fails(&receipts[seq], short_checkpoint.as_bytes(), entry, &proof);
}

#[test]
fn consistency_holds_for_a_grown_log_and_fails_for_a_forked_one() {
    let f = fixture(7);
    let (log, _) = log_with(&f, 9);
    let (older_log, _) = log_with(&f, 5);
    let older = older_log.signed_checkpoint(&f.keys.ballot_log).unwrap();
    let newer = log.signed_checkpoint(&f.keys.ballot_log).unwrap();
    let leaves: Vec<_> = log.entries().iter().map(|e| leaf_hash(e)).collect();
    let proof = teller::core::log::ConsistencyProof {
        hashes: teller::core::log::consistency_proof(&leaves, 5)
            .unwrap()
            .into_iter()
            .map(Into::into)
            .collect(),
        old: 5,
        new: 9,
    }
    .encode()
    .unwrap();
    check_consistency(&f.manifest, older.as_bytes(), newer.as_bytes(), &proof).unwrap();
    // A fork: a log of five other ballots, signed by the same box.
    let g = Fixture {
        secret: PassSecret::from_bytes([9; 16]),
        ..fixture(7)
    };
    let (fork, _) = log_with(&g, 5);
    let forked = fork.signed_checkpoint(&f.keys.ballot_log).unwrap();
    assert!(check_consistency(&f.manifest, forked.as_bytes(), newer.as_bytes(), &proof).is_err());
}

#[test]
fn the_json_interface_answers_with_a_code_and_never_panics_on_bad_input() {
    let f = fixture(8);
    let manifest = String::from_utf8(f.manifest.bytes().to_vec()).unwrap();
    let ask = |request: Value| -> Value {
        serde_json::from_slice(&call(request.to_string().as_bytes())).unwrap()
    };
    let answer = ask(json!({"op": "open_manifest", "manifest": manifest,
        "fingerprint": f.manifest.fingerprint_hex().to_uppercase()}));
    assert_eq!(answer["ok"]["fingerprint"], f.manifest.fingerprint_hex());
    let wrong =
        ask(json!({"op": "open_manifest", "manifest": manifest, "fingerprint": "ab".repeat(32)}));
    assert_eq!(wrong["error"]["code"], "fingerprint");
    let mut altered = manifest.clone();
    altered = altered.replacen("National", "Nati0nal", 1);
    let altered = ask(json!({"op": "open_manifest", "manifest": altered,
        "fingerprint": f.manifest.fingerprint_hex()}));
    assert_eq!(altered["error"]["code"], "fingerprint");
    for bad in [
        json!({"op": "nonsense"}),
        json!({"op": "seal"}),
        json!({"op": "pass_requests", "manifest": manifest, "secret": "short", "contests": []}),
        json!({"op": "pass_requests", "manifest": manifest, "secret": "AAAAAAAAAAAAAAAAAAAAAA", "contests": ["nope"]}),
    ] {
        let answer = ask(bad.clone());
        assert!(answer["error"]["code"].is_string(), "{bad} → {answer}");
    }
    assert!(
        serde_json::from_slice::<Value>(&call(b"\xff not json")).unwrap()["error"]["code"]
            == "bad_request"
    );
}

#[test]
fn a_receipt_needs_the_manifests_quorum_of_witness_cosignatures_on_its_checkpoint() {
    use teller::core::log::Witness;
    let witness = |name: &str, seed: u8| Witness::from_seed(name, &[seed; 32]).unwrap();
    let (a, b, c) = (
        witness("faction-a.example/w", 21),
        witness("faction-b.example/w", 22),
        witness("faction-c.example/w", 23),
    );
    let f = fixture_with(
        8,
        Some(Witnesses {
            keys: vec![
                a.public().encode(),
                b.public().encode(),
                c.public().encode(),
            ],
            quorum: 2,
        }),
    );
    let (log, receipts) = log_with(&f, 6);
    let note = log.signed_checkpoint(&f.keys.ballot_log).unwrap();
    let body = log.checkpoint().unwrap().to_text();
    let seq = 2;
    let (entry, proof) = (&log.entries()[seq], proof_of(&log, seq));
    let check =
        |note: &str| check_receipt(&f.manifest, &receipts[seq], note.as_bytes(), entry, &proof);
    let cosign = |w: &Witness, time| w.cosign(&body, time).unwrap();

    // The log's signature alone, or one witness of the two needed: refused, saying why.
    let refused = check(&note).unwrap_err().to_string();
    assert!(
        refused.contains("cosigned by 0 of the 2 witnesses"),
        "{refused}"
    );
    let one = format!("{note}{}", cosign(&b, 1_800_000_000));
    let refused = check(&one).unwrap_err().to_string();
    assert!(
        refused.contains("cosigned by 1 of the 2 witnesses needed (faction-b.example/w)"),
        "{refused}"
    );
    // A witness the manifest does not name does not count; one witness twice counts once.
    let stranger = witness("faction-d.example/w", 24);
    let padded = format!("{one}{}{}", cosign(&stranger, 5), cosign(&b, 1_800_000_001));
    assert!(check(&padded).is_err());
    // Two of the manifest's witnesses: the receipt checks and names them in manifest order.
    let two = format!("{one}{}", cosign(&a, 1_800_000_002));
    let checked = check(&two).unwrap();
    assert_eq!(
        checked.witnesses,
        vec![
            "faction-a.example/w".to_owned(),
            "faction-b.example/w".to_owned()
        ]
    );
    // A cosignature of another checkpoint (a flipped size) by a named witness is refused
    // outright, even beside a quorum.
    let other_body = body.replacen("\n6\n", "\n7\n", 1);
    let forged = format!("{two}{}", c.cosign(&other_body, 9).unwrap());
    let refused = check(&forged).unwrap_err().to_string();
    assert!(refused.contains("faction-c.example/w"), "{refused}");
    // The booth's call answers who cosigned and the quorum, without enforcing it.
    let manifest = String::from_utf8(f.manifest.bytes().to_vec()).unwrap();
    let request = json!({"op": "check_checkpoint", "manifest": manifest, "checkpoint": one});
    let answer: Value = serde_json::from_slice(&call(request.to_string().as_bytes())).unwrap();
    assert_eq!(
        answer["ok"]["witnesses"],
        json!(["faction-b.example/w"]),
        "{answer}"
    );
    assert_eq!(answer["ok"]["quorum"], json!(2));
}
