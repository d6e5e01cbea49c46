//! The tamper suite: each kind of tampering with an election record makes `teller verify` fail
//! and name the failing check.
//!
//! One record is simulated from a fixed seed (the same seed always gives the same bytes; see
//! `simulate_is_deterministic_in_its_seed_whatever_the_threads`). Where a tampering would also
//! break the hash chain and the checkpoints, the test re-seals the log with the ballot box's own
//! key, as a dishonest operator could, to show that the targeted check still catches it.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use base64ct::Encoding as _;
use ed25519_dalek::Signer as _;
use rand::SeedableRng as _;
use rand::rngs::ChaCha20Rng;
use teller::admin::{SimulateOptions, Simulated, simulate};
use teller::core::ballot::Marks;
use teller::core::crypto::{
    Bytes, ElectionSecretKey, IssuerKeyPair, PassSecret, Share, decode, encode, encode_bytes,
    generate_issuer_key, seal, sign_blinded,
};
use teller::core::events::{
    MEMBER_REMOVED, PublishedEvent, events_file, removal_detail, signed_events,
};
use teller::core::log::{
    BallotEntry, Checkpoint, Entry, Hash, IssuanceEntry, LogWriter, NoteSigner, PassJson,
    RemovalEntry, Witness, ballot_message, leaf_hash, root,
};
use teller::core::record::{Reveal, layout};
use teller::core::verify::{
    self, BALLOT_SIGNATURES, BALLOTS_ISSUANCES_ELIGIBLE, CHECKPOINT_CONSISTENCY, CHECKPOINT_ROOTS,
    CHECKPOINT_SIGNATURES, DECRYPTIONS, ELECTION_KEY, ENTRIES, EVENTS_LOG, FINAL_CHECKPOINT,
    HASH_CHAIN, ISSUANCE_LOG, KEY_SHARES, MANIFEST, ONE_BALLOT_PER_PASS, PASS_SIGNATURES,
    RECORD_FILES, RECOUNT, Record, Verification, VerifyOptions, WITNESS_COSIGNATURES,
};

static ELECTION: LazyLock<Simulated> = LazyLock::new(|| {
    simulate(
        &SimulateOptions {
            definition: example(),
            members: 300,
            seed: [42; 32],
            threads: 2,
            everyone_votes_everywhere: false,
            revote: teller::core::manifest::Revote::Forbidden,
            checkpoints: teller::admin::DEFAULT_CHECKPOINTS,
            trustees: None,
        },
        &|_| {},
    )
    .expect("simulating the fixture election")
});

fn example() -> teller::admin::ElectionDefinition {
    teller::admin::ElectionDefinition::parse(teller::admin::EXAMPLE_ELECTION).unwrap()
}

fn record() -> Record {
    ELECTION.record.clone()
}

fn check(record: &Record) -> Verification {
    verify::verify(
        record,
        &VerifyOptions {
            threads: 2,
            fingerprint: None,
            progress: &|_| {},
        },
    )
}

#[track_caller]
fn assert_fails(record: &Record, failing: &str) -> Verification {
    let result = check(record);
    assert!(!result.passed(), "verification passed");
    assert!(
        result.failure(failing).is_some(),
        "{failing} did not fail; failures: {:?}",
        result
            .checks
            .iter()
            .filter(|c| c.failure.is_some())
            .collect::<Vec<_>>()
    );
    result
}

#[track_caller]
fn assert_passes_check(result: &Verification, name: &str) {
    assert_eq!(result.failure(name), None, "{name} failed");
}

fn entries(record: &Record) -> Vec<Vec<u8>> {
    log_lines(record, layout::BALLOT_LOG)
}

/// The lines of a JSON Lines file of the record.
fn log_lines(record: &Record, path: &str) -> Vec<Vec<u8>> {
    record.files[path]
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// The leaf hashes of log lines.
fn leaves_of(lines: &[Vec<u8>]) -> Vec<Hash> {
    lines.iter().map(|l| leaf_hash(l)).collect()
}

/// The checkpoint body of `origin` over `leaves`, signed by `signer`: the note's bytes.
fn signed_checkpoint(signer: &NoteSigner, origin: &str, leaves: &[Hash]) -> Vec<u8> {
    let body = Checkpoint::new(origin, leaves.len() as u64, root(leaves)).unwrap();
    signer.sign(&body.to_text()).unwrap().into_bytes()
}

/// The path of one of the record's ballot-log checkpoints.
fn some_ballot_checkpoint(record: &Record) -> String {
    record
        .files
        .keys()
        .find(|p| p.starts_with(layout::BALLOT_CHECKPOINTS))
        .unwrap()
        .clone()
}

fn set_entries(record: &mut Record, lines: &[Vec<u8>]) {
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    record.files.insert(layout::BALLOT_LOG.into(), out);
}

/// Rewrites the ballot log's sequence numbers, hash chain and checkpoints (one final checkpoint)
/// with the ballot box's key, as an operator who controls the box could.
fn reseal(record: &mut Record, lines: Vec<Entry>) {
    reseal_for(&ELECTION, record, lines);
}

fn reseal_for(election: &Simulated, record: &mut Record, mut lines: Vec<Entry>) {
    let manifest = &election.manifest;
    let mut log = LogWriter::new(manifest.ballot_log_origin(), manifest.fingerprint());
    for entry in lines.drain(..) {
        log.append(|seq, prev| match entry {
            Entry::Open(mut e) => {
                (e.seq, e.prev) = (seq, prev);
                Entry::Open(e)
            }
            Entry::Ballot(mut e) => {
                (e.seq, e.prev) = (seq, prev);
                Entry::Ballot(e)
            }
            Entry::Close(mut e) => {
                (e.seq, e.prev) = (seq, prev);
                Entry::Close(e)
            }
            Entry::Removal(mut e) => {
                (e.seq, e.prev) = (seq, prev);
                Entry::Removal(e)
            }
            other @ Entry::Issuance(_) => other,
        })
        .unwrap();
    }
    set_entries(record, log.entries());
    record
        .files
        .retain(|path, _| !path.starts_with(layout::BALLOT_CHECKPOINTS));
    let note = log.signed_checkpoint(&election.keys.ballot_log).unwrap();
    record.files.insert(
        layout::ballot_checkpoint(log.entries().len() as u64),
        note.into_bytes(),
    );
}

fn decoded(record: &Record) -> Vec<Entry> {
    entries(record)
        .iter()
        .map(|l| Entry::decode(l).unwrap())
        .collect()
}

fn first_ballot(entries: &[Entry]) -> (usize, BallotEntry) {
    entries
        .iter()
        .enumerate()
        .find_map(|(i, e)| match e {
            Entry::Ballot(b) => Some((i, b.clone())),
            _ => None,
        })
        .unwrap()
}

/// A well-formed ballot for contest `nec` under a pass from `issuer` (the real one or another).
fn forged_ballot(issuer: &IssuerKeyPair, secret: [u8; 16], ranking: &[usize]) -> BallotEntry {
    forged_ballot_for(&ELECTION, issuer, secret, ranking, None)
}

/// Like [`forged_ballot`], in `election`, optionally naming the entry it replaces.
fn forged_ballot_for(
    election: &Simulated,
    issuer: &IssuerKeyPair,
    secret: [u8; 16],
    ranking: &[usize],
    replaces: Option<i64>,
) -> BallotEntry {
    forged_ballot_in(election, "nec", issuer, secret, ranking, replaces)
}

/// A ballot in `contest` whose pass message names `contest` and was signed by `issuer`.
fn forged_ballot_in(
    election: &Simulated,
    contest: &str,
    issuer: &IssuerKeyPair,
    secret: [u8; 16],
    ranking: &[usize],
    replaces: Option<i64>,
) -> BallotEntry {
    let manifest = &election.manifest;
    let fingerprint = manifest.fingerprint();
    let secret = PassSecret::from_bytes(secret);
    let request = secret.blind(&issuer.pk, &fingerprint, contest).unwrap();
    let blind = sign_blinded(&issuer.sk, request.blinded_message()).unwrap();
    let pass = request.finalize(&issuer.pk, &blind).unwrap();
    let candidates = manifest.contest(contest).unwrap().candidate_count();
    let plaintext = Marks::from_ranking(candidates, ranking).encode();
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    let sealed = seal(
        &manifest.election_key(),
        &fingerprint,
        contest,
        &pass.key,
        &plaintext,
        &mut rng,
    )
    .unwrap();
    let message = ballot_message(&fingerprint, contest, &pass.key, &sealed, replaces);
    let signature = secret.voting_key(&fingerprint, contest).sign(&message);
    BallotEntry {
        seq: 0,
        prev: [0; 32].into(),
        contest: contest.into(),
        pass: PassJson::from(&pass),
        enc: sealed.enc.into(),
        ct: Bytes(sealed.ct),
        signature: Bytes(signature.to_bytes().to_vec()),
        replaces,
    }
}

fn insert_before_close(entries: &mut Vec<Entry>, ballot: BallotEntry) {
    let close = entries.len() - 1;
    entries.insert(close, Entry::Ballot(ballot));
}

#[test]
fn the_untouched_record_verifies_and_every_file_is_covered_by_a_check() {
    let result = check(&record());
    assert!(result.passed(), "{:?}", result.checks);
    let files: BTreeSet<String> = record().files.keys().cloned().collect();
    assert_eq!(result.files_read, files);
}

fn with_an_entry_dropped() -> Record {
    let mut record = record();
    let mut lines = entries(&record);
    lines.remove(5);
    set_entries(&mut record, &lines);
    record
}

#[test]
fn dropping_an_entry_breaks_the_chain() {
    let record = with_an_entry_dropped();
    assert_fails(&record, HASH_CHAIN);
    assert_fails(&record, ENTRIES);
    assert_fails(&record, CHECKPOINT_ROOTS);
}

#[test]
fn reordering_two_entries_breaks_the_chain() {
    let mut record = record();
    let mut lines = entries(&record);
    lines.swap(3, 4);
    set_entries(&mut record, &lines);
    assert_fails(&record, HASH_CHAIN);
    assert_fails(&record, ENTRIES);
}

#[test]
fn flipping_a_byte_anywhere_in_any_file_fails() {
    let original = record();
    let mut rng = ChaCha20Rng::from_seed([3; 32]);
    for (path, bytes) in &original.files {
        let mut positions = vec![0, bytes.len() / 2, bytes.len() - 1];
        positions.extend((0..4).map(|_| rand::RngExt::random_range(&mut rng, 0..bytes.len())));
        for at in positions {
            for mask in [0x01, 0x80] {
                let mut record = original.clone();
                record.files.get_mut(path).unwrap()[at] ^= mask;
                let result = check(&record);
                assert!(
                    !result.passed(),
                    "flipping {mask:#04x} at byte {at} of {path} went unnoticed"
                );
            }
        }
    }
}

#[test]
fn a_duplicated_ballot_is_caught_even_when_the_log_is_resealed() {
    let mut record = record();
    let mut entries = decoded(&record);
    let (_, ballot) = first_ballot(&entries);
    insert_before_close(&mut entries, ballot);
    reseal(&mut record, entries);
    let result = assert_fails(&record, ONE_BALLOT_PER_PASS);
    assert_passes_check(&result, HASH_CHAIN);
    assert_passes_check(&result, CHECKPOINT_ROOTS);
    assert_passes_check(&result, PASS_SIGNATURES);
}

#[test]
fn a_pass_signed_by_another_key_is_caught() {
    let mut record = record();
    let mut entries = decoded(&record);
    let other = generate_issuer_key(&mut ChaCha20Rng::from_seed([9; 32])).unwrap();
    insert_before_close(&mut entries, forged_ballot(&other, [1; 16], &[0, 1]));
    reseal(&mut record, entries);
    let result = assert_fails(&record, PASS_SIGNATURES);
    assert_passes_check(&result, HASH_CHAIN);
    assert_passes_check(&result, BALLOT_SIGNATURES);
}

/// Issue 9: a member eligible only for `nec` asks for a `nec` pass but blinds a `youth` pass
/// message; the issuer, who cannot see what it signs, signs it with `nec`'s key. The resulting
/// `youth` ballot must not verify, because `youth` passes verify only under `youth`'s key.
#[test]
fn a_pass_signed_under_another_contests_key_is_caught() {
    let mut record = record();
    let mut entries = decoded(&record);
    let nec_key = ELECTION.keys.issuer("nec").unwrap();
    let smuggled = forged_ballot_in(&ELECTION, "youth", nec_key, [12; 16], &[0], None);
    insert_before_close(&mut entries, smuggled.clone());
    reseal(&mut record, entries);
    let result = assert_fails(&record, PASS_SIGNATURES);
    let reason = result.failure(PASS_SIGNATURES).unwrap();
    assert!(reason.contains("youth"), "{reason}");
    assert_passes_check(&result, HASH_CHAIN);
    assert_passes_check(&result, BALLOT_SIGNATURES);

    // The ballot box refuses the same cast before it reaches the log.
    use teller::core::ballot::{BallotRefused, CastRefused, CastRequest, accept_cast};
    let cast = CastRequest {
        contest: smuggled.contest.clone(),
        pass: smuggled.pass.clone(),
        enc: smuggled.enc.array(),
        ct: smuggled.ct.0.clone(),
        signature: smuggled.signature.array(),
        replaces: None,
    };
    assert_eq!(
        accept_cast(&ELECTION.manifest, cast, None).unwrap_err(),
        CastRefused::Ballot(BallotRefused::BadPass)
    );

    // Signed under its own contest's key, the same ballot verifies.
    let mut record = self::record();
    let mut entries = decoded(&record);
    let youth_key = ELECTION.keys.issuer("youth").unwrap();
    let honest = forged_ballot_in(&ELECTION, "youth", youth_key, [12; 16], &[0], None);
    insert_before_close(&mut entries, honest);
    reseal(&mut record, entries);
    assert_passes_check(&check(&record), PASS_SIGNATURES);
}

#[test]
fn a_pass_used_twice_is_caught() {
    let mut record = record();
    let mut entries = decoded(&record);
    let issuer = ELECTION.keys.issuer("nec").unwrap();
    insert_before_close(&mut entries, forged_ballot(issuer, [2; 16], &[0, 1]));
    insert_before_close(&mut entries, forged_ballot(issuer, [2; 16], &[3, 2]));
    reseal(&mut record, entries);
    let result = assert_fails(&record, ONE_BALLOT_PER_PASS);
    assert_passes_check(&result, PASS_SIGNATURES);
    assert_passes_check(&result, BALLOT_SIGNATURES);
}

#[test]
fn more_voting_keys_than_passes_issued_is_caught() {
    // An issuer minting passes beyond the issuance log: more voting keys cast than passes issued
    // in a contest.
    let mut record = record();
    let mut entries = decoded(&record);
    let totals = check(&record).totals;
    let nec = totals.iter().find(|t| t.contest == "nec").unwrap();
    for i in 0..=(nec.issued - nec.cast) {
        let mut secret = [7u8; 16];
        secret[..8].copy_from_slice(&(i as u64).to_be_bytes());
        insert_before_close(
            &mut entries,
            forged_ballot(ELECTION.keys.issuer("nec").unwrap(), secret, &[0]),
        );
    }
    reseal(&mut record, entries);
    let result = assert_fails(&record, BALLOTS_ISSUANCES_ELIGIBLE);
    assert_passes_check(&result, PASS_SIGNATURES);
    assert_passes_check(&result, ONE_BALLOT_PER_PASS);
}

#[test]
fn a_ballot_added_after_close_is_caught() {
    let mut record = record();
    let mut entries = decoded(&record);
    entries.push(Entry::Ballot(forged_ballot(
        ELECTION.keys.issuer("nec").unwrap(),
        [4; 16],
        &[5],
    )));
    reseal(&mut record, entries);
    let result = assert_fails(&record, ENTRIES);
    assert_fails(&record, FINAL_CHECKPOINT);
    assert_passes_check(&result, HASH_CHAIN);
}

#[test]
fn a_sealed_ballot_of_another_length_is_caught() {
    let mut record = record();
    let mut entries = decoded(&record);
    // A validly passed and signed ballot whose plaintext is longer than the contest's.
    let mut ballot = forged_ballot(ELECTION.keys.issuer("nec").unwrap(), [8; 16], &[0]);
    let manifest = &ELECTION.manifest;
    let fingerprint = manifest.fingerprint();
    let long = Marks::from_ranking(19, &[0]).encode();
    let sealed = seal(
        &manifest.election_key(),
        &fingerprint,
        "nec",
        &ballot.pass.key.array(),
        &long,
        &mut ChaCha20Rng::from_seed([2; 32]),
    )
    .unwrap();
    let secret = PassSecret::from_bytes([8; 16]);
    let message = ballot_message(&fingerprint, "nec", &ballot.pass.key.array(), &sealed, None);
    ballot.enc = sealed.enc.into();
    ballot.ct = Bytes(sealed.ct);
    ballot.signature = Bytes(
        secret
            .voting_key(&fingerprint, "nec")
            .sign(&message)
            .to_bytes()
            .to_vec(),
    );
    insert_before_close(&mut entries, ballot);
    reseal(&mut record, entries);
    let result = assert_fails(&record, ENTRIES);
    assert!(result.failure(ENTRIES).unwrap().contains("bytes"));
    assert_passes_check(&result, BALLOT_SIGNATURES);
}

#[test]
fn a_ballot_with_a_bad_voting_key_signature_is_caught() {
    let mut record = record();
    let mut entries = decoded(&record);
    let (at, mut ballot) = first_ballot(&entries);
    ballot.signature.0[10] ^= 1;
    entries[at] = Entry::Ballot(ballot);
    reseal(&mut record, entries);
    assert_fails(&record, BALLOT_SIGNATURES);
}

#[test]
fn a_checkpoint_that_forks_the_log_is_caught() {
    let record = with_a_forked_checkpoint();
    let result = assert_fails(&record, CHECKPOINT_CONSISTENCY);
    assert_fails(&record, CHECKPOINT_ROOTS);
    assert_passes_check(&result, CHECKPOINT_SIGNATURES);
}

fn with_a_forked_checkpoint() -> Record {
    let mut record = record();
    let lines = entries(&record);
    // A validly signed checkpoint of 10 entries whose tenth entry is not the log's.
    let mut leaves = leaves_of(&lines[..10]);
    leaves[9] = leaf_hash(b"another history");
    let note = signed_checkpoint(
        &ELECTION.keys.ballot_log,
        &ELECTION.manifest.ballot_log_origin(),
        &leaves,
    );
    record.files.insert(layout::ballot_checkpoint(10), note);
    record
}

/// A checkpoint at every size of the ballot log, signed by the box: all verify (each root is
/// read off the one pass over the leaves), and one forged among them is named by its size.
#[test]
fn a_checkpoint_at_every_size_verifies_and_a_forged_one_among_them_is_named() {
    let mut record = record();
    let lines = entries(&record);
    let origin = ELECTION.manifest.ballot_log_origin();
    let sign = |leaves: &[Hash]| signed_checkpoint(&ELECTION.keys.ballot_log, &origin, leaves);
    let leaves = leaves_of(&lines);
    for size in 0..=leaves.len() {
        record.files.insert(
            layout::ballot_checkpoint(size as u64),
            sign(&leaves[..size]),
        );
    }
    let result = check(&record);
    assert!(result.passed(), "{:?}", result.checks);

    let forged_size = leaves.len() / 3;
    let mut forked = leaves[..forged_size].to_vec();
    forked[forged_size - 1] = leaf_hash(b"another history");
    record
        .files
        .insert(layout::ballot_checkpoint(forged_size as u64), sign(&forked));
    let result = assert_fails(&record, CHECKPOINT_ROOTS);
    let reason = result.failure(CHECKPOINT_ROOTS).unwrap();
    assert!(
        reason.contains(&format!("{forged_size}.txt")) && !reason.contains("more"),
        "{reason}"
    );
    // Its neighbours on both sides are not of one log with it; the first pair gets the proof.
    let consistency = result.failure(CHECKPOINT_CONSISTENCY).unwrap();
    assert!(consistency.contains("proof"), "{consistency}");
    assert!(consistency.contains("(and 1 more)"), "{consistency}");
}

/// Every checkpoint of the issuance log is in the record and checked like the ballot log's: a
/// validly signed one that forks it is caught, and so is a record without the final one.
#[test]
fn an_issuance_checkpoint_that_forks_the_log_or_a_missing_final_one_is_caught() {
    let mut record = record();
    let issuances = log_lines(&record, layout::ISSUANCE_LOG);
    let origin = ELECTION.manifest.issuance_log_origin();
    let sign = |leaves: &[Hash]| signed_checkpoint(&ELECTION.keys.issuance_log, &origin, leaves);
    let mut leaves = leaves_of(&issuances[..5]);
    record
        .files
        .insert(layout::issuance_checkpoint(5), sign(&leaves));
    let result = check(&record);
    assert!(result.passed(), "{:?}", result.checks);

    leaves[4] = leaf_hash(b"a pass for someone else");
    let mut forked = record.clone();
    forked
        .files
        .insert(layout::issuance_checkpoint(5), sign(&leaves));
    let result = assert_fails(&forked, ISSUANCE_LOG);
    assert!(
        result.failure(ISSUANCE_LOG).unwrap().contains("5.txt"),
        "{:?}",
        result.failure(ISSUANCE_LOG)
    );

    let last = issuances.len() as u64;
    record.files.remove(&layout::issuance_checkpoint(last));
    let result = assert_fails(&record, ISSUANCE_LOG);
    assert!(
        result
            .failure(ISSUANCE_LOG)
            .unwrap()
            .contains("no signed issuance checkpoint covers"),
        "{:?}",
        result.failure(ISSUANCE_LOG)
    );
}

/// Extension lines (C2SP) in a checkpoint the box signed are accepted and carry no meaning
/// (PROTOCOL §4). (An empty one cannot be signed: a blank line ends a note's text.)
#[test]
fn a_checkpoint_with_extension_lines_verifies() {
    let leaves = leaves_of(&entries(&record()));
    let size = leaves.len() as u64;
    let body = Checkpoint::new(&ELECTION.manifest.ballot_log_origin(), size, root(&leaves))
        .unwrap()
        .to_text();
    let signed = |text: String| ELECTION.keys.ballot_log.sign(&text).unwrap().into_bytes();
    let mut record = record();
    record.files.insert(
        layout::ballot_checkpoint(size),
        signed(format!("{body}witnessed-by example\n")),
    );
    let result = check(&record);
    assert!(result.passed(), "{:?}", result.checks);
}

/// A checkpoint filed under another size's name is caught, though its signature is good.
#[test]
fn a_checkpoint_under_the_wrong_name_is_caught() {
    let mut record = record();
    let path = some_ballot_checkpoint(&record);
    let note = record.files[&path].clone();
    record.files.insert(
        format!(
            "{}0{}",
            layout::BALLOT_CHECKPOINTS,
            &path[layout::BALLOT_CHECKPOINTS.len()..]
        ),
        note,
    );
    let result = assert_fails(&record, CHECKPOINT_ROOTS);
    assert_passes_check(&result, CHECKPOINT_SIGNATURES);
}

#[test]
fn a_checkpoint_signed_by_another_key_is_caught() {
    let mut record = record();
    let path = some_ballot_checkpoint(&record);
    let text = String::from_utf8(record.files[&path].clone()).unwrap();
    let body = &text[..text.find("\n\n").unwrap() + 1];
    let impostor = NoteSigner::from_seed("teller-ballot-box", &[5; 32]).unwrap();
    record
        .files
        .insert(path, impostor.sign(body).unwrap().into_bytes());
    assert_fails(&record, CHECKPOINT_SIGNATURES);
}

fn reveal(record: &Record) -> Reveal {
    decode(&record.files[layout::REVEAL]).unwrap()
}

#[test]
fn a_wrong_trustee_share_is_caught() {
    let mut record = record();
    let mut published = reveal(&record);
    // Trustee 2 hands in trustee 3's share.
    published.shares[1].value = ELECTION.keys.shares[2].value().into();
    record
        .files
        .insert(layout::REVEAL.into(), encode(&published).unwrap());
    assert_fails(&record, KEY_SHARES);
}

#[test]
fn t_minus_one_shares_cannot_reveal_the_key() {
    let mut record = record();
    let mut published = reveal(&record);
    published.shares.pop();
    record
        .files
        .insert(layout::REVEAL.into(), encode(&published).unwrap());
    let result = assert_fails(&record, KEY_SHARES);
    assert!(result.failure(KEY_SHARES).unwrap().contains("threshold"));
}

#[test]
fn a_revealed_key_that_is_not_the_election_key_is_caught() {
    let mut record = record();
    let mut published = reveal(&record);
    published.key.0[3] ^= 1;
    record
        .files
        .insert(layout::REVEAL.into(), encode(&published).unwrap());
    assert_fails(&record, ELECTION_KEY);
}

#[test]
fn an_altered_decryption_is_caught() {
    let record = with_an_altered_decryption();
    let result = assert_fails(&record, DECRYPTIONS);
    assert_passes_check(&result, RECOUNT);
}

fn with_an_altered_decryption() -> Record {
    let mut record = record();
    let path = layout::decryptions("nec");
    let text = String::from_utf8(record.files[&path].clone()).unwrap();
    let first = text.lines().next().unwrap();
    let value: serde_json::Value = serde_json::from_str(first).unwrap();
    let other = Marks::from_ranking(18, &[11, 10, 9]).encode();
    let altered = serde_json::json!({"seq": value["seq"], "plaintext": encode_bytes(&other)});
    let altered = String::from_utf8(teller::core::crypto::to_canonical(&altered).unwrap()).unwrap();
    record
        .files
        .insert(path, text.replacen(first, &altered, 1).into_bytes());
    record
}

#[test]
fn an_altered_result_is_caught() {
    let record = with_an_altered_result();
    let result = assert_fails(&record, RECOUNT);
    assert!(
        result
            .failure(RECOUNT)
            .unwrap()
            .contains("results/nec.json")
    );
}

fn with_an_altered_result() -> Record {
    let mut record = record();
    let path = layout::results("nec");
    let mut value: serde_json::Value = serde_json::from_slice(&record.files[&path]).unwrap();
    let elected = value["report"]["elected"].as_array_mut().unwrap();
    elected.swap(0, 1);
    let mut bytes = teller::core::crypto::to_canonical(&value).unwrap();
    bytes.push(b'\n');
    record.files.insert(path, bytes);
    record
}

/// A byte of one sealed ballot flipped, the log resealed with the box's key as its operator
/// could: the voting key's signature (over the sealed ballot) no longer verifies.
fn with_a_flipped_ciphertext_byte() -> Record {
    let mut record = record();
    let mut entries = decoded(&record);
    let (at, mut ballot) = first_ballot(&entries);
    ballot.ct.0[0] ^= 0x01;
    entries[at] = Entry::Ballot(ballot);
    reseal(&mut record, entries);
    record
}

#[test]
fn a_flipped_ciphertext_byte_is_caught_even_when_the_log_is_resealed() {
    let result = assert_fails(&with_a_flipped_ciphertext_byte(), BALLOT_SIGNATURES);
    assert_passes_check(&result, HASH_CHAIN);
}

/// The browser verifier's test (tests/browser/public.test.mjs) checks that the page fails these
/// records on the same checks as `teller verify`. This writes them as archives to the directory
/// `$TELLER_TAMPERED_OUT`, with `cases.json` naming the check each must fail, and the untouched
/// record as `clean.tar`; tests/browser/run.sh runs it.
#[test]
#[ignore = "writes the browser tests' records; tests/browser/run.sh runs it"]
fn write_the_tampered_records_for_the_browser_tests() {
    let out = std::path::PathBuf::from(
        std::env::var_os("TELLER_TAMPERED_OUT").expect("TELLER_TAMPERED_OUT names a directory"),
    );
    std::fs::create_dir_all(&out).unwrap();
    let election = ELECTION.manifest.draft().election.clone();
    let cases = [
        (
            "flipped-ciphertext-byte",
            with_a_flipped_ciphertext_byte(),
            BALLOT_SIGNATURES,
        ),
        ("dropped-entry", with_an_entry_dropped(), HASH_CHAIN),
        (
            "altered-decryption",
            with_an_altered_decryption(),
            DECRYPTIONS,
        ),
        ("altered-result", with_an_altered_result(), RECOUNT),
        (
            "forked-checkpoint",
            with_a_forked_checkpoint(),
            CHECKPOINT_CONSISTENCY,
        ),
    ];
    let mut listing = Vec::new();
    for (name, record, failing) in &cases {
        assert_fails(record, failing);
        let (bytes, _) = teller::core::archive::publish(&election, &record.files);
        std::fs::write(out.join(format!("{name}.tar")), bytes).unwrap();
        listing.push(serde_json::json!({ "name": name, "fails": failing }));
    }
    let (clean, _) = teller::core::archive::publish(&election, &record().files);
    std::fs::write(out.join("clean.tar"), clean).unwrap();
    std::fs::write(
        out.join("cases.json"),
        serde_json::to_vec_pretty(&listing).unwrap(),
    )
    .unwrap();
}

#[test]
fn a_swapped_manifest_is_caught() {
    let other = simulate(
        &SimulateOptions {
            definition: example(),
            members: 20,
            seed: [43; 32],
            threads: 1,
            everyone_votes_everywhere: false,
            revote: teller::core::manifest::Revote::Forbidden,
            checkpoints: teller::admin::DEFAULT_CHECKPOINTS,
            trustees: None,
        },
        &|_| {},
    )
    .unwrap();
    let mut record = record();
    record.files.insert(
        layout::MANIFEST.into(),
        other.record.files[layout::MANIFEST].clone(),
    );
    let result = assert_fails(&record, MANIFEST);
    assert!(
        result
            .failure(MANIFEST)
            .unwrap()
            .contains("anchored to another manifest"),
        "{:?}",
        result.failure(MANIFEST)
    );
    // And with the fingerprint from the notices, the swap is named directly.
    let result = verify::verify(
        &record,
        &VerifyOptions {
            threads: 1,
            fingerprint: Some(ELECTION.manifest.fingerprint()),
            progress: &|_| {},
        },
    );
    assert!(result.failure(MANIFEST).unwrap().contains("not the"));
}

#[test]
fn a_dropped_issuance_is_caught() {
    let mut record = record();
    let text = String::from_utf8(record.files[layout::ISSUANCE_LOG].clone()).unwrap();
    let kept: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    record
        .files
        .insert(layout::ISSUANCE_LOG.into(), kept.into_bytes());
    assert_fails(&record, ISSUANCE_LOG);
}

/// The issuance log's entries.
fn issuances(record: &Record) -> Vec<IssuanceEntry> {
    String::from_utf8(record.files[layout::ISSUANCE_LOG].clone())
        .unwrap()
        .lines()
        .map(|l| match Entry::decode(l.as_bytes()).unwrap() {
            Entry::Issuance(e) => e,
            other => panic!("not an issuance: {other:?}"),
        })
        .collect()
}

/// Rewrites the issuance log's sequence numbers, chain and checkpoints with the issuer's key, as
/// an issuer who controls its log could.
fn reseal_issuances(record: &mut Record, lines: Vec<IssuanceEntry>) {
    reseal_issuance_log(record, lines.into_iter().map(Entry::Issuance).collect());
}

/// [`reseal_issuances`] for a log that may hold removals.
fn reseal_issuance_log(record: &mut Record, lines: Vec<Entry>) {
    let manifest = &ELECTION.manifest;
    let mut log = LogWriter::new(manifest.issuance_log_origin(), manifest.fingerprint());
    for entry in lines {
        log.append(|seq, prev| match entry {
            Entry::Issuance(e) => Entry::Issuance(IssuanceEntry { seq, prev, ..e }),
            Entry::Removal(e) => Entry::Removal(RemovalEntry { seq, prev, ..e }),
            other => panic!("not an issuance-log entry: {other:?}"),
        })
        .unwrap();
    }
    let mut bytes = Vec::new();
    for line in log.entries() {
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    }
    record.files.insert(layout::ISSUANCE_LOG.into(), bytes);
    // One final checkpoint in place of the issuer's earlier ones, which the rewrite forked.
    record
        .files
        .retain(|path, _| !path.starts_with(layout::ISSUANCE_CHECKPOINTS));
    let note = log.signed_checkpoint(&ELECTION.keys.issuance_log).unwrap();
    record.files.insert(
        layout::issuance_checkpoint(log.entries().len() as u64),
        note.into_bytes(),
    );
}

/// A member with one first issuance in `nec` and no re-issue there: their entry's index.
fn member_without_reissue(lines: &[IssuanceEntry]) -> usize {
    lines
        .iter()
        .position(|e| {
            e.contest == "nec"
                && lines
                    .iter()
                    .filter(|o| o.contest == "nec" && o.member == e.member)
                    .count()
                    == 1
        })
        .unwrap()
}

#[test]
fn resealing_the_issuance_log_unchanged_still_verifies() {
    // The helper below is sound: what fails after it is the tampering, not the resealing.
    let mut record = record();
    let lines = issuances(&record);
    reseal_issuances(&mut record, lines);
    assert!(check(&record).passed());
}

/// PROTOCOL §10: a re-issue without a first issuance of the same member and contest before it
/// is refused — it would be an unmarked second pass.
#[test]
fn a_reissue_without_a_first_issuance_is_caught() {
    // Arrange: one member's only first issuance in nec, marked a re-issue.
    let mut record = record();
    let mut lines = issuances(&record);
    let i = member_without_reissue(&lines);
    lines[i].reissue = true;
    reseal_issuances(&mut record, lines);
    // Act, assert.
    let result = assert_fails(&record, ISSUANCE_LOG);
    assert!(
        result
            .failure(ISSUANCE_LOG)
            .unwrap()
            .contains("re-issue in nec for a member with no first issuance before it"),
        "{:?}",
        result.failure(ISSUANCE_LOG)
    );

    // And a re-issue placed before the member's first issuance.
    let mut record = self::record();
    let mut lines = issuances(&record);
    let i = member_without_reissue(&lines);
    let reissue = IssuanceEntry {
        reissue: true,
        ..lines[i].clone()
    };
    lines.insert(i, reissue);
    reseal_issuances(&mut record, lines);
    assert_fails(&record, ISSUANCE_LOG);
}

/// PROTOCOL §14: at most `reissue.limit` re-issues per member and contest (the example's is 1).
#[test]
fn more_reissues_than_the_limit_is_caught() {
    assert_eq!(ELECTION.manifest.reissue().limit, 1);
    let with_reissues = |n: usize| {
        let mut record = record();
        let mut lines = issuances(&record);
        let i = member_without_reissue(&lines);
        let reissue = IssuanceEntry {
            reissue: true,
            ..lines[i].clone()
        };
        lines.extend(std::iter::repeat_n(reissue, n));
        reseal_issuances(&mut record, lines);
        record
    };
    // One is within the limit: the issuance log passes.
    assert_passes_check(&check(&with_reissues(1)), ISSUANCE_LOG);
    // Two are not.
    let result = assert_fails(&with_reissues(2), ISSUANCE_LOG);
    assert!(
        result
            .failure(ISSUANCE_LOG)
            .unwrap()
            .contains("a member has 2 re-issues; the manifest allows 1"),
        "{:?}",
        result.failure(ISSUANCE_LOG)
    );
}

/// A removal entry for the member of issuance entry `i`, in its contest.
fn removal_of(lines: &[IssuanceEntry], i: usize) -> Entry {
    Entry::Removal(RemovalEntry {
        seq: 0,
        prev: [0; 32].into(),
        contest: lines[i].contest.clone(),
        member: lines[i].member.clone(),
    })
}

/// PROTOCOL §10: a member removed after opening gets no pass after the removal; one removed
/// holding a pass keeps it, and the report counts both kinds per contest.
#[test]
fn removals_verify_and_are_counted_and_a_pass_after_one_is_caught() {
    // Arrange: a member who was issued a pass in nec, removed at the end of the log.
    let mut record = record();
    let lines = issuances(&record);
    let i = member_without_reissue(&lines);
    let mut log: Vec<Entry> = lines.iter().cloned().map(Entry::Issuance).collect();
    log.push(removal_of(&lines, i));
    reseal_issuance_log(&mut record, log);
    // The officer's event for it, as the server writes it.
    let mut events = published_events(&record);
    events.push(PublishedEvent {
        seq: events.len() as i64,
        at: events.last().unwrap().at.clone(),
        kind: MEMBER_REMOVED.into(),
        detail: removal_detail(&["nec".into()], "expelled"),
        by: "officer 1".into(),
    });
    with_events(&mut record, &events, &ELECTION.keys.issuance_log);
    // Act, assert: it verifies, and the report says what the removal means.
    let result = check(&record);
    assert!(result.passed(), "{}", result.report(&record));
    let report = result.report(&record);
    assert!(
        report.contains(
            "removals: nec: 1 member(s) removed after opening, no pass issued to them after; \
             1 of them held a pass from before, which may have cast"
        ),
        "{report}"
    );
    let nec = result.totals.iter().find(|t| t.contest == "nec").unwrap();
    assert_eq!((nec.removed, nec.removed_holding_pass), (1, 1));

    // A member removed before their first issuance: that issuance is after the removal.
    let mut record = self::record();
    let mut log: Vec<Entry> = lines.iter().cloned().map(Entry::Issuance).collect();
    log.insert(i, removal_of(&lines, i));
    reseal_issuance_log(&mut record, log);
    let result = assert_fails(&record, ISSUANCE_LOG);
    assert!(
        (result.failure(ISSUANCE_LOG).unwrap()).contains(&format!(
            "issuance entry {}: an issuance in nec after the member's removal",
            i + 1
        )),
        "{:?}",
        result.failure(ISSUANCE_LOG)
    );

    // A re-issue after the removal of a member who had a first pass.
    let mut record = self::record();
    let mut log: Vec<Entry> = lines.iter().cloned().map(Entry::Issuance).collect();
    log.push(removal_of(&lines, i));
    log.push(Entry::Issuance(IssuanceEntry {
        reissue: true,
        ..lines[i].clone()
    }));
    reseal_issuance_log(&mut record, log);
    let result = assert_fails(&record, ISSUANCE_LOG);
    assert!(
        (result.failure(ISSUANCE_LOG).unwrap())
            .contains("a re-issue in nec after the member's removal"),
        "{:?}",
        result.failure(ISSUANCE_LOG)
    );

    // The same member removed twice.
    let mut record = self::record();
    let mut log: Vec<Entry> = lines.iter().cloned().map(Entry::Issuance).collect();
    log.push(removal_of(&lines, i));
    log.push(removal_of(&lines, i));
    reseal_issuance_log(&mut record, log);
    let result = assert_fails(&record, ISSUANCE_LOG);
    assert!(
        (result.failure(ISSUANCE_LOG).unwrap())
            .contains("a second removal in nec after the member's removal"),
        "{:?}",
        result.failure(ISSUANCE_LOG)
    );
}

/// A removal names a roster member of a known contest, like an issuance; and it has no place
/// in the ballot log.
#[test]
fn a_removal_of_a_stranger_or_in_the_ballot_log_is_caught() {
    let mut record = record();
    let lines = issuances(&record);
    let mut log: Vec<Entry> = lines.iter().cloned().map(Entry::Issuance).collect();
    log.push(Entry::Removal(RemovalEntry {
        seq: 0,
        prev: [0; 32].into(),
        contest: "nec".into(),
        member: [7; 32].into(),
    }));
    reseal_issuance_log(&mut record, log);
    let result = assert_fails(&record, ISSUANCE_LOG);
    assert!(
        (result.failure(ISSUANCE_LOG).unwrap()).contains("the member is not in the roster of nec"),
        "{:?}",
        result.failure(ISSUANCE_LOG)
    );

    let mut record = self::record();
    let mut entries = decoded(&record);
    let close = entries.pop().unwrap();
    entries.push(removal_of(&lines, 0));
    entries.push(close);
    reseal(&mut record, entries);
    let result = assert_fails(&record, ENTRIES);
    assert!(
        (result.failure(ENTRIES).unwrap()).contains("an issuance-log entry in the ballot log"),
        "{:?}",
        result.failure(ENTRIES)
    );
}

/// The events log (PROTOCOL §17) as `record` holds it, re-signed by `signer`.
fn with_events(record: &mut Record, events: &[PublishedEvent], signer: &NoteSigner) {
    let (file, note) =
        signed_events(events, &ELECTION.manifest.issuance_log_origin(), signer).unwrap();
    record.files.insert(layout::EVENTS.into(), file);
    record
        .files
        .insert(layout::EVENTS_NOTE.into(), note.into_bytes());
}

fn published_events(record: &Record) -> Vec<PublishedEvent> {
    String::from_utf8(record.files[layout::EVENTS].clone())
        .unwrap()
        .lines()
        .map(|l| decode(l.as_bytes()).unwrap())
        .collect()
}

/// PROTOCOL §17: the events log is the issuer's signed file, in time order, and its removals are
/// the issuance log's, contest by contest.
#[test]
fn an_events_log_altered_unsigned_out_of_order_or_hiding_a_removal_is_caught() {
    let issuer = &ELECTION.keys.issuance_log;
    let events = published_events(&record());
    let failure = |record: &Record| {
        let result = assert_fails(record, EVENTS_LOG);
        result.failure(EVENTS_LOG).unwrap().to_owned()
    };

    // Re-signed unchanged: it verifies (the helper is sound).
    let mut resigned = record();
    with_events(&mut resigned, &events, issuer);
    assert!(check(&resigned).passed());

    // An event changed after signing.
    let mut altered = record();
    let mut changed = events.clone();
    changed[0].detail = "nothing happened".into();
    altered
        .files
        .insert(layout::EVENTS.into(), events_file(&changed).unwrap());
    assert!(failure(&altered).contains("not the issuer's signature over this events file"));

    // Signed by another key (the ballot box's).
    let mut foreign = record();
    with_events(&mut foreign, &events, &ELECTION.keys.ballot_log);
    assert!(failure(&foreign).contains("does not verify under the issuer's key"));

    // Dated backwards.
    let mut backwards = record();
    let mut swapped = events.clone();
    swapped.last_mut().unwrap().at = "2000-01-01T00:00:00Z".into();
    with_events(&mut backwards, &swapped, issuer);
    assert!(failure(&backwards).contains("is dated before the event before it"));

    // A removal the officers logged that the issuance log does not hold…
    let mut unlogged = record();
    let mut more = events.clone();
    more.push(PublishedEvent {
        seq: more.len() as i64,
        at: more.last().unwrap().at.clone(),
        kind: MEMBER_REMOVED.into(),
        detail: removal_detail(&["nec".into()], "expelled"),
        by: "officer 1".into(),
    });
    with_events(&mut unlogged, &more, issuer);
    assert!(
        failure(&unlogged)
            .contains("contest nec: the events log removes 1 member(s), the issuance log 0")
    );

    // …and a removal in the issuance log that the events log leaves out.
    let mut hidden = record();
    let lines = issuances(&hidden);
    let mut log: Vec<Entry> = lines.iter().cloned().map(Entry::Issuance).collect();
    log.push(removal_of(&lines, member_without_reissue(&lines)));
    reseal_issuance_log(&mut hidden, log);
    assert!(
        failure(&hidden)
            .contains("contest nec: the events log removes 0 member(s), the issuance log 1")
    );
}

#[test]
fn an_extra_or_missing_file_is_caught() {
    let mut record = record();
    record
        .files
        .insert("notes/readme.txt".into(), b"trust us\n".to_vec());
    let result = assert_fails(&record, RECORD_FILES);
    assert!(
        result
            .failure(RECORD_FILES)
            .unwrap()
            .contains("notes/readme.txt")
    );

    let mut record = self::record();
    record.files.remove(&layout::blt("youth"));
    assert_fails(&record, RECORD_FILES);
}

#[test]
fn teller_verify_exits_1_and_prints_the_failing_check() {
    let dir = std::env::temp_dir().join(format!("teller-tamper-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut record = record();
    let mut published = reveal(&record);
    published.shares[0].value = ELECTION.keys.shares[2].value().into();
    record
        .files
        .insert(layout::REVEAL.into(), encode(&published).unwrap());
    teller::admin::write_record(&dir, &record).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_teller"))
        .args(["verify", "--quiet"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("FAIL key-shares: share 1 does not match")),
        "{stdout}"
    );
    assert!(stdout.contains("verify: FAIL"));
    std::fs::remove_dir_all(&dir).unwrap();

    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_teller"))
        .args(["verify", "/nonexistent/record"])
        .output()
        .unwrap();
    assert_eq!(
        missing.status.code(),
        Some(2),
        "a record that cannot be read"
    );
}

static REVOTING: LazyLock<Simulated> = LazyLock::new(|| {
    simulate(
        &SimulateOptions {
            definition: example(),
            members: 200,
            seed: [44; 32],
            threads: 2,
            everyone_votes_everywhere: false,
            revote: teller::core::manifest::Revote::Last,
            checkpoints: teller::admin::DEFAULT_CHECKPOINTS,
            trustees: None,
        },
        &|_| {},
    )
    .expect("simulating the re-voting election")
});

#[test]
fn under_revote_last_only_the_last_ballot_per_voting_key_counts() {
    let record = REVOTING.record.clone();
    let result = check(&record);
    assert!(result.passed(), "{:?}", result.checks);
    let entries = decoded(&record);
    let mut replaced_somewhere = 0;
    for totals in &result.totals {
        let replacing = entries
            .iter()
            .filter(|e| {
                matches!(e, Entry::Ballot(b) if b.contest == totals.contest && b.replaces.is_some())
            })
            .count();
        assert_eq!(
            totals.cast - totals.counted,
            replacing,
            "{}",
            totals.contest
        );
        replaced_somewhere += replacing;
    }
    assert!(replaced_somewhere > 0, "the fixture has re-votes");
}

#[test]
fn a_revote_naming_the_wrong_ballot_is_caught() {
    let mut record = REVOTING.record.clone();
    let mut entries = decoded(&record);
    let issuer = REVOTING.keys.issuer("nec").unwrap();
    let close = entries.len() - 1;
    let first_seq = close as i64;
    insert_before_close(
        &mut entries,
        forged_ballot_for(&REVOTING, issuer, [5; 16], &[0], None),
    );
    // Validly signed by the voting key, but names entry 1 instead of its own first ballot.
    insert_before_close(
        &mut entries,
        forged_ballot_for(&REVOTING, issuer, [5; 16], &[1], Some(1)),
    );
    reseal_for(&REVOTING, &mut record, entries);
    let result = assert_fails(&record, ONE_BALLOT_PER_PASS);
    assert_passes_check(&result, BALLOT_SIGNATURES);

    // Naming its own first ballot, the same pair is accepted.
    let mut record = REVOTING.record.clone();
    let mut entries = decoded(&record);
    insert_before_close(
        &mut entries,
        forged_ballot_for(&REVOTING, issuer, [5; 16], &[0], None),
    );
    insert_before_close(
        &mut entries,
        forged_ballot_for(&REVOTING, issuer, [5; 16], &[1], Some(first_seq)),
    );
    reseal_for(&REVOTING, &mut record, entries);
    let result = check(&record);
    assert_passes_check(&result, ONE_BALLOT_PER_PASS);
    assert_passes_check(&result, BALLOT_SIGNATURES);
    assert_passes_check(&result, ENTRIES);
}

#[test]
fn the_ballot_box_refuses_each_bad_cast_and_says_why() {
    use teller::core::ballot::{BallotRefused, CastRefused, CastRequest, accept_cast};
    let manifest = &ELECTION.manifest;
    let request = |ballot: &BallotEntry| CastRequest {
        contest: ballot.contest.clone(),
        pass: ballot.pass.clone(),
        enc: ballot.enc.array(),
        ct: ballot.ct.0.clone(),
        signature: ballot.signature.array(),
        replaces: ballot.replaces,
    };
    let good = forged_ballot(ELECTION.keys.issuer("nec").unwrap(), [6; 16], &[2, 1]);
    let accepted = accept_cast(manifest, request(&good), None).unwrap();
    assert_eq!(accepted.into_entry(7, [9; 32].into()).seq, 7);

    let refused = |r: CastRequest, previous| accept_cast(manifest, r, previous).unwrap_err();
    let other = generate_issuer_key(&mut ChaCha20Rng::from_seed([10; 32])).unwrap();
    let foreign = forged_ballot(&other, [6; 16], &[2, 1]);
    assert_eq!(
        refused(request(&foreign), None),
        CastRefused::Ballot(BallotRefused::BadPass)
    );
    let mut bad = request(&good);
    bad.signature[0] ^= 1;
    assert_eq!(
        refused(bad, None),
        CastRefused::Ballot(BallotRefused::BadSignature)
    );
    let mut bad = request(&good);
    bad.ct.push(0);
    assert!(matches!(
        refused(bad, None),
        CastRefused::Ballot(BallotRefused::WrongLength { .. })
    ));
    let mut bad = request(&good);
    bad.contest = "youth".into();
    assert_eq!(
        refused(bad, None),
        CastRefused::Ballot(BallotRefused::BadPass),
        "a pass binds its contest"
    );
    let mut bad = request(&good);
    bad.contest = "treasurer".into();
    assert!(matches!(
        refused(bad, None),
        CastRefused::Ballot(BallotRefused::UnknownContest(_))
    ));
    assert_eq!(
        refused(request(&good), Some(3)),
        CastRefused::AlreadyVoted { entry: 3 }
    );
}

/// The fixture election with three witnesses named, quorum 2, simulated (smaller), and every
/// checkpoint of both logs cosigned by the first two as real witnesses would (the third never
/// cosigns).
static WITNESSED: LazyLock<(Simulated, Vec<Witness>)> = LazyLock::new(|| {
    let witnesses: Vec<Witness> = (0..3u8)
        .map(|i| {
            Witness::from_seed(&format!("faction-{i}.example/witness"), &[60 + i; 32]).unwrap()
        })
        .collect();
    let mut definition = example();
    definition.witnesses = Some(teller::core::manifest::Witnesses {
        keys: witnesses.iter().map(|w| w.public().encode()).collect(),
        quorum: 2,
    });
    let mut election = simulate(
        &SimulateOptions {
            definition,
            members: 80,
            seed: [43; 32],
            threads: 2,
            everyone_votes_everywhere: false,
            revote: teller::core::manifest::Revote::Forbidden,
            checkpoints: 5,
            trustees: None,
        },
        &|_| {},
    )
    .expect("simulating the witnessed election");
    for (path, note) in election.record.files.iter_mut() {
        if path.starts_with(layout::BALLOT_CHECKPOINTS)
            || path.starts_with(layout::ISSUANCE_CHECKPOINTS)
        {
            let body = checkpoint_body(note);
            for (i, w) in witnesses[..2].iter().enumerate() {
                note.extend_from_slice(
                    w.cosign(&body, 1_800_000_000 + i as u64)
                        .unwrap()
                        .as_bytes(),
                );
            }
        }
    }
    (election, witnesses)
});

/// A signed note's text (the checkpoint's body, final newline included).
fn checkpoint_body(note: &[u8]) -> String {
    let text = std::str::from_utf8(note).unwrap();
    text[..text.find("\n\n").unwrap() + 1].to_owned()
}

#[test]
fn a_witnessed_record_verifies_and_the_report_names_who_cosigned() {
    let (election, _) = &*WITNESSED;
    let result = check(&election.record);
    assert!(result.passed(), "{}", result.report(&election.record));
    let report = result.report(&election.record);
    assert!(
        report.contains("\nwitnesses: 2 of the 3 named must cosign each log's final checkpoint\n")
    );
    let ballot_checkpoints = (election.record.files.keys())
        .filter(|p| p.starts_with(layout::BALLOT_CHECKPOINTS))
        .count();
    let issuance_checkpoints = (election.record.files.keys())
        .filter(|p| p.starts_with(layout::ISSUANCE_CHECKPOINTS))
        .count();
    let final_size = entries(&election.record).len();
    let issued = log_lines(&election.record, layout::ISSUANCE_LOG).len();
    assert!(report.contains(&format!(
        "\nwitness faction-0.example/witness: cosigned {ballot_checkpoints} ballot-log checkpoint(s), the largest of size {final_size} and {issuance_checkpoints} issuance-log checkpoint(s), the largest of size {issued}\n"
    )), "{report}");
    assert!(report.contains("\nwitness faction-2.example/witness: cosigned no ballot-log checkpoint and no issuance-log checkpoint\n"), "{report}");
    // An election that names no witnesses says so.
    let plain = check(&record()).report(&record());
    assert!(plain.contains("\nwitnesses: none named in the manifest\n"));
}

#[test]
fn a_final_checkpoint_without_the_quorum_of_witnesses_fails() {
    let (election, witnesses) = &*WITNESSED;
    for (path, what) in [
        (
            layout::ballot_checkpoint(entries(&election.record).len() as u64),
            "ballot log",
        ),
        (
            layout::issuance_checkpoint(
                log_lines(&election.record, layout::ISSUANCE_LOG).len() as u64
            ),
            "issuance log",
        ),
    ] {
        // Only one witness's line left (and a stranger's, which does not count).
        let mut record = election.record.clone();
        let note = record.files.get_mut(&path).unwrap();
        let body = checkpoint_body(note);
        let text = String::from_utf8(note.clone()).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("faction-1.example"))
            .collect();
        let stranger = Witness::from_seed("faction-9.example/witness", &[69; 32]).unwrap();
        *note = format!(
            "{}\n{}",
            kept.join("\n"),
            stranger.cosign(&body, 5).unwrap()
        )
        .into_bytes();
        let result = assert_fails(&record, WITNESS_COSIGNATURES);
        assert_eq!(
            result.failure(WITNESS_COSIGNATURES).unwrap(),
            format!(
                "the {what}'s final checkpoint (size {}) is cosigned by 1 of the 2 witnesses needed (faction-0.example/witness)",
                path.rsplit('/').next().unwrap().trim_end_matches(".txt")
            ),
        );
        // Only the witness check fails: the log's own signature still verifies.
        assert_eq!(
            result.checks.iter().filter(|c| c.failure.is_some()).count(),
            1
        );
        // The third witness cosigning restores the quorum.
        let note = record.files.get_mut(&path).unwrap();
        note.extend_from_slice(witnesses[2].cosign(&body, 7).unwrap().as_bytes());
        assert!(check(&record).passed());
    }
}

#[test]
fn a_flipped_bit_in_a_cosignature_or_one_over_another_checkpoint_fails() {
    let (election, witnesses) = &*WITNESSED;
    let path = (election.record.files.keys())
        .find(|p| p.starts_with(layout::BALLOT_CHECKPOINTS))
        .unwrap()
        .clone();
    // Flip one bit of the signature in the first witness's line.
    let mut record = election.record.clone();
    let text = String::from_utf8(record.files[&path].clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("faction-0.example"))
        .unwrap();
    let (head, encoded) = line.rsplit_once(' ').unwrap();
    let mut raw = base64ct::Base64::decode_vec(encoded).unwrap();
    raw[40] ^= 0x10;
    let flipped = format!("{head} {}", base64ct::Base64::encode_string(&raw));
    record
        .files
        .insert(path.clone(), text.replace(line, &flipped).into_bytes());
    let result = assert_fails(&record, WITNESS_COSIGNATURES);
    assert!(
        result
            .failure(WITNESS_COSIGNATURES)
            .unwrap()
            .contains("faction-0.example/witness"),
        "{:?}",
        result.failure(WITNESS_COSIGNATURES)
    );
    // A witness's genuine cosignature of another checkpoint, copied onto this one.
    let mut record = election.record.clone();
    let other = witnesses[2]
        .cosign(
            "teller/ballots/0\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            3,
        )
        .unwrap();
    record
        .files
        .get_mut(&path)
        .unwrap()
        .extend_from_slice(other.as_bytes());
    assert_fails(&record, WITNESS_COSIGNATURES);
}

/// An election whose key a 3-of-5 trustees' ceremony made (docs/PROTOCOL.md §11.2), run in
/// process from fixed seeds; trustees 2, 4 and 5 bring their shares to the tally.
static CEREMONY: LazyLock<(Simulated, Vec<Share>)> = LazyLock::new(|| {
    use teller::core::ceremony::{Setup, TrusteeKey, TrusteeSeed, run_all};
    let keys: Vec<ed25519_dalek::SigningKey> = (1..=5u8)
        .map(|i| ed25519_dalek::SigningKey::from_bytes(&[70 + i; 32]))
        .collect();
    let seeds: Vec<TrusteeSeed> = (1..=5u8)
        .map(|i| TrusteeSeed::from_bytes([80 + i; 32]))
        .collect();
    let setup = Setup {
        election: "nec-2026".into(),
        threshold: 3,
        trustees: (1..=5)
            .zip(&keys)
            .map(|(i, k)| TrusteeKey {
                name: format!("Trustee {i}"),
                key: k.verifying_key().to_bytes().into(),
            })
            .collect(),
    };
    let (ceremony, shares) =
        run_all(&setup, &keys, &seeds, &mut ChaCha20Rng::from_seed([90; 32])).unwrap();
    let mut definition = example();
    definition.trustees = teller::admin::TrusteeCount {
        threshold: 3,
        count: 5,
    };
    let election = simulate(
        &SimulateOptions {
            definition,
            members: 80,
            seed: [44; 32],
            threads: 2,
            everyone_votes_everywhere: false,
            revote: teller::core::manifest::Revote::Forbidden,
            checkpoints: 3,
            trustees: Some(teller::admin::CeremonyShares {
                ceremony,
                shares: vec![shares[1].clone(), shares[3].clone(), shares[4].clone()],
            }),
        },
        &|_| {},
    )
    .expect("simulating the ceremony election");
    (election, shares)
});

#[test]
fn a_ceremony_election_verifies_and_the_report_says_who_made_the_key() {
    let (election, _) = &*CEREMONY;
    let result = check(&election.record);
    let report = result.report(&election.record);
    assert!(result.passed(), "{report}");
    assert!(report.contains(
        "\ntrustees: the election key was made by the 5 trustees' ceremony (Trustee 1, Trustee 2, \
         Trustee 3, Trustee 4, Trustee 5), any 3 of them to decrypt; nobody held it before the tally\n"
    ), "{report}");
    assert!(report.contains(
        "\nshares brought to the tally: trustee 2 (Trustee 2), trustee 4 (Trustee 4), trustee 5 (Trustee 5)\n"
    ), "{report}");
    // A dealt election says so.
    let plain = check(&record()).report(&record());
    assert!(plain.contains("\ntrustees: DEALER MODE: the returning officer's machine made the election key and split it among 3 trustees, any 2 of them to decrypt\n"), "{plain}");
}

#[test]
fn a_ceremony_election_with_a_wrong_share_or_key_in_its_reveal_fails() {
    let (election, shares) = &*CEREMONY;
    let with_reveal = |edit: &dyn Fn(&mut Reveal)| {
        let mut record = election.record.clone();
        let mut published = reveal(&record);
        edit(&mut published);
        record
            .files
            .insert(layout::REVEAL.into(), encode(&published).unwrap());
        record
    };
    // Trustee 4's place taken by trustee 1's share value: named by its index.
    let record = with_reveal(&|r| r.shares[1].value = shares[0].value().into());
    let result = assert_fails(&record, KEY_SHARES);
    assert!(
        result.failure(KEY_SHARES).unwrap().contains("share 4"),
        "{:?}",
        result.failure(KEY_SHARES)
    );
    // Two shares: below the threshold.
    let record = with_reveal(&|r| {
        r.shares.pop();
    });
    assert_fails(&record, KEY_SHARES);
    // The key changed by one bit; or the same bytes clamped, as a dealt key would be used.
    let record = with_reveal(&|r| r.key.0[5] ^= 1);
    assert_fails(&record, ELECTION_KEY);
    let record = with_reveal(&|r| {
        r.key.0[0] &= 248;
        r.key.0[31] &= 127;
        r.key.0[31] |= 64;
    });
    assert_fails(&record, ELECTION_KEY);
}

#[test]
fn a_ceremony_altered_in_the_manifest_fails_naming_the_trustee() {
    let (election, _) = &*CEREMONY;
    let mut record = election.record.clone();
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&record.files[layout::MANIFEST]).unwrap();
    let proof = manifest["trustees"]["ceremony"]["round1"][3]["proof"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut bytes = teller::core::crypto::decode_bytes(&proof).unwrap();
    bytes[40] ^= 1;
    manifest["trustees"]["ceremony"]["round1"][3]["proof"] = encode_bytes(&bytes).into();
    record.files.insert(
        layout::MANIFEST.into(),
        teller::core::crypto::to_canonical(&manifest).unwrap(),
    );
    let result = assert_fails(&record, MANIFEST);
    let reason = result.failure(MANIFEST).unwrap();
    assert!(
        reason.contains("round 1 of trustee 4 (Trustee 4)"),
        "{reason}"
    );
}

#[test]
fn a_genuine_ceremony_beside_another_key_or_threshold_makes_no_valid_manifest() {
    // An officer who keeps the trustees' genuine ceremony but swaps in a key of their own (or
    // moves a verifying share, or changes the threshold or the election) gets no manifest.
    let (election, _) = &*CEREMONY;
    let manifest: serde_json::Value =
        serde_json::from_slice(&election.record.files[layout::MANIFEST]).unwrap();
    let own_key = ElectionSecretKey::from_bytes([9; 32]).public_key().unwrap();
    type Edit<'a> = &'a dyn Fn(&mut serde_json::Value);
    let cases: [(Edit, &str); 4] = [
        (
            &|m| m["keys"]["election"] = encode_bytes(&own_key.to_bytes()).into(),
            "the election key is not the one the ceremony made",
        ),
        (
            &|m| {
                let commitments = m["trustees"]["commitments"].as_array_mut().unwrap();
                commitments.swap(0, 1);
            },
            "the share commitments are not the ceremony's verifying shares",
        ),
        (
            &|m| m["trustees"]["threshold"] = 2.into(),
            "the ceremony's threshold is 3, the manifest's 2",
        ),
        (
            &|m| m["election"] = "another".into(),
            "the ceremony was for election \"nec-2026\", not \"another\"",
        ),
    ];
    for (edit, words) in cases {
        let mut edited = manifest.clone();
        edit(&mut edited);
        let bytes = teller::core::crypto::to_canonical(&edited).unwrap();
        let error = teller::core::manifest::Manifest::parse(&bytes)
            .unwrap_err()
            .to_string();
        assert!(error.contains(words), "{error}");
    }
}
