//! Known-answer tests: the published RFC 9474 and RFC 9180 vectors run through the crates and
//! types Teller uses, and Teller's own vectors (`tests/vectors/teller.json`) for every layer of
//! the protocol, so an independent implementation (or the browser booth) can check itself.
//!
//! `TELLER_WRITE_VECTORS=1 cargo test --release --test vectors` rewrites `teller.json` from the
//! code; without it the test compares. See tests/vectors/README.md.

use std::convert::Infallible;

use blind_rsa_signatures::{BlindMessage, BlindingResult, MessageRandomizer, Secret, Signature};
use hpke::{Deserializable as _, Serializable as _};
use rand::SeedableRng as _;
use serde_json::{Value, json};

use teller::core::ballot::Marks;
use teller::core::crypto::{
    Domain, ElectionSecretKey, IssuerPublicKey, IssuerSecretKey, KeyOrigin, PassSecret,
    SealedBallot, Share, Transcript, encode_bytes, pass_message, reconstruct, seal_info,
};
use teller::core::log::{
    CloseEntry, Entry, IssuanceEntry, LogWriter, NoteSigner, OpenEntry, RemovalEntry,
    RosterCommitment, ballot_message, entry_hash,
};
use teller::core::manifest::{
    CandidateDraft, ContestDraft, Keys, MANIFEST_VERSION, Manifest, ManifestDraft, Reissue,
    ReissueBy, Revote, Trustees, Window,
};
use teller::core::record::{Opened, member_commitment, tally_contest};

fn vectors(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn hex(value: &Value) -> Vec<u8> {
    let text = value.as_str().unwrap();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An RNG that replays a vector's randomness, then refuses to go on.
struct Replay(Vec<u8>);

impl rand::TryRng for Replay {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Infallible> {
        assert!(
            dest.len() <= self.0.len(),
            "the vector's randomness ran out"
        );
        let rest = self.0.split_off(dest.len());
        dest.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}

impl rand::TryCryptoRng for Replay {}

#[test]
fn rfc_9474_rsabssa_sha384_pss_randomized() {
    let v = vectors("rfc9474.json");
    let public = IssuerPublicKey::from_der(&hex(&v["derived_public_spki_der"])).unwrap();
    let secret = IssuerSecretKey::from_der(&hex(&v["derived_private_pkcs8_der"])).unwrap();
    let msg = hex(&v["msg"]);
    let prefix: [u8; 32] = hex(&v["msg_prefix"]).try_into().unwrap();

    // [issuer] BlindSign is deterministic RSA: blinded_msg^d mod n.
    let blind_sig = secret.blind_sign(hex(&v["blinded_msg"])).unwrap();
    assert_eq!(blind_sig.0, hex(&v["blind_sig"]));
    // [booth] Finalize with the vector's inverse gives the published signature.
    let blinding = BlindingResult {
        blind_message: BlindMessage(hex(&v["blinded_msg"])),
        secret: Secret(hex(&v["inv"])),
        msg_randomizer: Some(MessageRandomizer(prefix)),
    };
    let sig = public.finalize(&blind_sig, &blinding, &msg).unwrap();
    assert_eq!(sig.0, hex(&v["sig"]));
    // [ballot box] Verify, and the negatives: flipped bit, wrong prefix, wrong message.
    public
        .verify(
            &Signature(hex(&v["sig"])),
            Some(MessageRandomizer(prefix)),
            &msg,
        )
        .unwrap();
    let mut flipped = hex(&v["sig"]);
    flipped[7] ^= 1;
    assert!(
        public
            .verify(&Signature(flipped), Some(MessageRandomizer(prefix)), &msg)
            .is_err()
    );
    let mut other_prefix = prefix;
    other_prefix[0] ^= 1;
    assert!(
        public
            .verify(
                &Signature(hex(&v["sig"])),
                Some(MessageRandomizer(other_prefix)),
                &msg
            )
            .is_err()
    );
    assert!(
        public
            .verify(
                &Signature(hex(&v["sig"])),
                Some(MessageRandomizer(prefix)),
                b"another message"
            )
            .is_err()
    );
    assert!(
        public
            .verify(&Signature(hex(&v["sig"])), None, &msg)
            .is_err(),
        "the randomized variant needs its prefix"
    );
}

#[test]
fn rfc_9180_x25519_hkdf_sha256_aes_128_gcm_base() {
    type Kem = hpke::kem::X25519HkdfSha256;
    let v = vectors("rfc9180.json");
    // Our key type derives the published public key from the published secret.
    let secret = ElectionSecretKey::from_bytes(hex(&v["skRm"]).try_into().unwrap());
    assert_eq!(
        secret.public_key().unwrap().to_bytes().to_vec(),
        hex(&v["pkRm"])
    );

    let first = &v["encryptions"][0];
    let public = <Kem as hpke::Kem>::PublicKey::from_bytes(&hex(&v["pkRm"])).unwrap();
    let mut rng = Replay(hex(&v["ikmE"]));
    let (enc, ct) =
        hpke::single_shot_seal_with_rng::<hpke::aead::AesGcm128, hpke::kdf::HkdfSha256, Kem>(
            &hpke::OpModeS::Base,
            &public,
            &hex(&v["info"]),
            &hex(&first["pt"]),
            &hex(&first["aad"]),
            &mut rng,
        )
        .unwrap();
    assert_eq!(enc.to_bytes().to_vec(), hex(&v["enc"]));
    assert_eq!(ct, hex(&first["ct"]));

    let private = <Kem as hpke::Kem>::PrivateKey::from_bytes(&hex(&v["skRm"])).unwrap();
    let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(&hex(&v["enc"])).unwrap();
    let open = |ct: &[u8], aad: &[u8]| {
        hpke::single_shot_open::<hpke::aead::AesGcm128, hpke::kdf::HkdfSha256, Kem>(
            &hpke::OpModeR::Base,
            &private,
            &encapped,
            &hex(&v["info"]),
            ct,
            aad,
        )
    };
    assert_eq!(
        open(&hex(&first["ct"]), &hex(&first["aad"])).unwrap(),
        hex(&first["pt"])
    );
    let mut flipped = hex(&first["ct"]);
    flipped[0] ^= 1;
    assert!(open(&flipped, &hex(&first["aad"])).is_err());
    assert!(open(&hex(&first["ct"]), b"Count-1").is_err());
}

/// Every Teller-specific value, computed from fixed inputs.
fn teller_vectors() -> Value {
    let fingerprint = [0x11u8; 32];
    let secret = PassSecret::from_bytes(*b"0123456789abcdef");
    let voting_key = secret.voting_key(&fingerprint, "nec").verifying_key();
    let marks = Marks::from_ranking(4, &[2, 0, 3]);
    let sealed = SealedBallot {
        enc: [0x22; 32],
        ct: vec![0x33; 11 + 16],
    };
    let election_secret = ElectionSecretKey::from_bytes([0x44; 32]);
    let share = |index: u8, value: u8| {
        let mut bytes = [0u8; 32];
        bytes[0] = value;
        Share::new(index, bytes).unwrap()
    };
    // f(x) = 7 + 5x: shares 12, 17, 22; any two rebuild 7.
    let shares = [share(1, 12), share(2, 17), share(3, 22)];
    let commitments: Vec<[u8; 32]> = shares.iter().map(Share::commitment).collect();
    let rebuilt = reconstruct(&shares[1..], &commitments, 2, KeyOrigin::Dealer).unwrap();

    let mut log = LogWriter::new("teller/ballots/example".into(), fingerprint);
    log.append(|seq, prev| {
        Entry::Open(OpenEntry {
            seq,
            prev,
            rosters: [(
                "nec".to_owned(),
                RosterCommitment {
                    eligible: 2,
                    root: [0x55; 32].into(),
                },
            )]
            .into(),
        })
    })
    .unwrap();
    log.append(|seq, prev| Entry::Close(CloseEntry { seq, prev }))
        .unwrap();
    let issuance = Entry::Issuance(IssuanceEntry {
        seq: 0,
        prev: fingerprint.into(),
        contest: "nec".into(),
        member: member_commitment("nec", &[0x66; 16], "M0000001").into(),
        reissue: false,
    })
    .encode()
    .unwrap();
    // The same member removed after the pass: the issuance log's next entry (§10).
    let removal = Entry::Removal(RemovalEntry {
        seq: 1,
        prev: entry_hash(&issuance).into(),
        contest: "nec".into(),
        member: member_commitment("nec", &[0x66; 16], "M0000001").into(),
    })
    .encode()
    .unwrap();
    let signer = NoteSigner::from_seed("teller-ballot-box", &[0x77; 32]).unwrap();

    // A one-contest manifest (the issuer key generated from a fixed seed; rsa is pinned in
    // Cargo.lock) and the tally of three ballots, one of them invalid.
    let issuer = teller::core::crypto::generate_issuer_key(
        &mut rand::rngs::ChaCha20Rng::from_seed([0x88; 32]),
    )
    .unwrap();
    let manifest = Manifest::new(ManifestDraft {
        version: MANIFEST_VERSION,
        election: "example".into(),
        title: "Example".into(),
        window: Window {
            opens: "2026-11-01T09:00:00Z".into(),
            closes: "2026-11-21T17:00:00Z".into(),
        },
        revote: Revote::Forbidden,
        reissue: Reissue {
            by: ReissueBy::Officer,
            limit: 1,
        },
        contests: vec![ContestDraft {
            id: "chair".into(),
            title: "Chair".into(),
            seats: 1,
            method: "irv".into(),
            candidates: ["Ada", "Bo", "Cy"]
                .map(|name| CandidateDraft {
                    name: name.into(),
                    gender: None,
                    slate: None,
                    statement: None,
                })
                .to_vec(),
            minimum: None,
            eligibility: teller::core::manifest::EligibilityDraft {
                freeze: "2026-09-01".into(),
                exclude_arrears: true,
                under_age: None,
                region: None,
                disability: false,
            },
        }],
        keys: Keys {
            issuers: [(
                "chair".to_owned(),
                teller::core::crypto::Bytes(issuer.pk.to_der().unwrap()),
            )]
            .into(),
            issuance_log: signer.verifier().encode(),
            ballot_log: signer.verifier().encode(),
            election: election_secret.public_key().unwrap().to_bytes().into(),
        },
        trustees: Trustees {
            threshold: 2,
            commitments: commitments.iter().map(|c| (*c).into()).collect(),
            ceremony: None,
        },
        witnesses: None,
    })
    .unwrap();
    let opened = [
        (1, Marks::from_ranking(3, &[1, 0])),
        (2, Marks::from_ranking(3, &[1])),
        (3, Marks::from_marks(vec![1, 1, 0])),
    ]
    .map(|(seq, marks)| Opened {
        seq,
        plaintext: Some(marks.encode()),
    });
    let tally = tally_contest(
        &manifest.contests()[0],
        &opened,
        &Default::default(),
        &[0x99; 32],
    )
    .unwrap();

    let tags: serde_json::Map<String, Value> = Domain::ALL
        .iter()
        .map(|d| {
            (
                d.tag().to_owned(),
                json!(to_hex(&Transcript::new(*d).hash())),
            )
        })
        .collect();
    json!({
        "comment": "Generated by tests/vectors.rs from the fixed inputs written there; see README.md",
        "domain_tag_hashes": tags,
        "pass": {
            "fingerprint": to_hex(&fingerprint),
            "contest": "nec",
            "secret": to_hex(&secret.to_bytes()),
            "voting_key": to_hex(voting_key.as_bytes()),
            "message": to_hex(&pass_message(&fingerprint, "nec", &voting_key)),
        },
        "ballot": {
            "candidates": 4,
            "ranking": [2, 0, 3],
            "plaintext": to_hex(&marks.encode()),
            "seal_info": to_hex(&seal_info(&fingerprint, "nec")),
            "sealed_enc": to_hex(&sealed.enc),
            "sealed_ct": to_hex(&sealed.ct),
            "signed_message": to_hex(&ballot_message(&fingerprint, "nec", voting_key.as_bytes(), &sealed, None)),
            "signed_message_replacing_7": to_hex(&ballot_message(&fingerprint, "nec", voting_key.as_bytes(), &sealed, Some(7))),
        },
        "roster": {
            "contest": "nec",
            "salt": to_hex(&[0x66; 16]),
            "member": "M0000001",
            "commitment": to_hex(&member_commitment("nec", &[0x66; 16], "M0000001")),
        },
        "entries": {
            "open": String::from_utf8(log.entries()[0].clone()).unwrap(),
            "open_hash": to_hex(&entry_hash(&log.entries()[0])),
            "close": String::from_utf8(log.entries()[1].clone()).unwrap(),
            "issuance": String::from_utf8(issuance).unwrap(),
            "removal": String::from_utf8(removal).unwrap(),
            "checkpoint": log.signed_checkpoint(&signer).unwrap(),
            "checkpoint_key": signer.verifier().encode(),
        },
        "witness": witness_vector(&log.signed_checkpoint(&signer).unwrap(), &log.checkpoint().unwrap().to_text()),
        "election_key": {
            "secret": to_hex(&election_secret.to_bytes()),
            "public": to_hex(&election_secret.public_key().unwrap().to_bytes()),
        },
        "shares": {
            "threshold": 2,
            "shares": shares.iter().map(|s| json!({"index": s.index(), "value": to_hex(&s.value())})).collect::<Vec<_>>(),
            "commitments": commitments.iter().map(|c| to_hex(c)).collect::<Vec<_>>(),
            "rebuilt_from_2_and_3": to_hex(&rebuilt.to_bytes()),
        },
        "base64url_of_voting_key": encode_bytes(voting_key.as_bytes()),
        "manifest": {
            "bytes": String::from_utf8(manifest.bytes().to_vec()).unwrap(),
            "fingerprint": manifest.fingerprint_hex(),
        },
        "audit": audit_vector(&manifest, &secret),
        "ceremony": ceremony_vector(),
        "tally": {
            "seed": to_hex(&[0x99; 32]),
            "decryptions": String::from_utf8(tally.decryptions).unwrap(),
            "blt": String::from_utf8(tally.blt).unwrap(),
            "results": String::from_utf8(tally.results).unwrap(),
        },
    })
}

/// The entries' checkpoint cosigned (PROTOCOL.md §16) by the witness of seed 0x03 × 32 at time
/// 1,800,000,000: the key, the line, and the note with both signatures, as a manifest would name
/// the key and a record would hold the note.
fn witness_vector(note: &str, body: &str) -> Value {
    let witness = teller::core::log::Witness::from_seed("witness.example/w", &[0x03; 32]).unwrap();
    let line = witness.cosign(body, 1_800_000_000).unwrap();
    let cosigned = format!("{note}{line}");
    let found =
        teller::core::log::cosignatures(cosigned.as_bytes(), &[witness.public().clone()]).unwrap();
    assert_eq!(found.len(), 1);
    json!({
        "seed": to_hex(&[0x03; 32]),
        "key": witness.public().encode(),
        "time": 1_800_000_000u64,
        "signed_message": format!("cosignature/v1\ntime 1800000000\n{body}"),
        "line": line,
        "cosigned_checkpoint": cosigned,
    })
}

/// A whole 2-of-3 key ceremony (PROTOCOL.md §11.2): identity keys from seeds 0x11, 0x12, 0x13
/// (× 32), trustee seeds 0x21, 0x22, 0x23, round-2 sealing randomness from ChaCha20 seeded with
/// 0x31 × 32. An outside verifier checks every signature and proof in `ceremony`, recomputes the
/// messages, combines the commitments into `election_key` and `verifying_shares`, checks each
/// share against its verifying share and interpolates shares 1 and 3 into `key_from_1_and_3`
/// (tests/vectors/independent/ceremony.py does, sharing no code with Teller).
fn ceremony_vector() -> Value {
    use rand::SeedableRng as _;
    use teller::core::ceremony::{
        Setup, TrusteeKey, TrusteeSeed, acceptance_message, round1_message, round2_message,
        run_all, share_info,
    };
    let keys: Vec<ed25519_dalek::SigningKey> = (0x11u8..=0x13)
        .map(|b| ed25519_dalek::SigningKey::from_bytes(&[b; 32]))
        .collect();
    let seeds: Vec<TrusteeSeed> = (0x21u8..=0x23)
        .map(|b| TrusteeSeed::from_bytes([b; 32]))
        .collect();
    let setup = Setup {
        election: "nec-2026".into(),
        threshold: 2,
        trustees: ["Ann", "Bo", "Cy"]
            .iter()
            .zip(&keys)
            .map(|(name, k)| TrusteeKey {
                name: (*name).into(),
                key: k.verifying_key().to_bytes().into(),
            })
            .collect(),
    };
    let id = setup.id();
    let mut rng = rand::rngs::ChaCha20Rng::from_seed([0x31; 32]);
    let (ceremony, shares) = run_all(&setup, &keys, &seeds, &mut rng).unwrap();
    let (first, second) = (&ceremony.round1, &ceremony.round2);
    let outcome = ceremony.check().unwrap();
    let key = reconstruct(
        &[shares[0].clone(), shares[2].clone()],
        &outcome.verifying_shares,
        2,
        KeyOrigin::Ceremony,
    )
    .unwrap();
    json!({
        "setup_id": to_hex(&id),
        "round1_messages": first.iter().map(|f| to_hex(&round1_message(&id, f))).collect::<Vec<_>>(),
        "round2_messages": second.iter().map(|f| to_hex(&round2_message(&id, f))).collect::<Vec<_>>(),
        "acceptance_message_1": to_hex(&acceptance_message(&id, 1, first, second, &outcome.election_key)),
        "share_info_1_to_2": to_hex(&share_info(&id, 1, 2)),
        "ceremony": String::from_utf8(teller::core::crypto::encode(&ceremony).unwrap()).unwrap(),
        "election_key": to_hex(&outcome.election_key),
        "verifying_shares": outcome.verifying_shares.iter().map(|v| to_hex(v)).collect::<Vec<_>>(),
        "shares": shares.iter().map(|s| json!({"index": s.index(), "value": to_hex(&s.value())})).collect::<Vec<_>>(),
        "key_from_1_and_3": to_hex(&key.to_bytes()),
    })
}

/// A booth audit (PROTOCOL.md §15) of a sealed ballot ranking Cy then Ada in the vectors'
/// manifest, with `ikmE` = 0xaa × 32: an independent checker re-seals and must get `enc`, `ct`.
fn audit_vector(manifest: &Manifest, secret: &PassSecret) -> Value {
    let key = secret
        .voting_key(&manifest.fingerprint(), "chair")
        .verifying_key();
    let pass = teller::core::log::PassJson {
        key: key.to_bytes().into(),
        randomizer: [0; 32].into(),
        signature: teller::core::crypto::Bytes(vec![0]),
    };
    let sealed = teller::core::booth::seal_ballot(
        manifest,
        secret,
        "chair",
        &pass,
        &[2, 0],
        None,
        &[0xaa; 32],
    )
    .unwrap();
    assert_eq!(
        teller::core::booth::check_audit(manifest, &sealed.audit)
            .unwrap()
            .ranking,
        ["Cy", "Ada"]
    );
    json!({
        "file": serde_json::to_value(&sealed.audit).unwrap(),
        "plaintext": to_hex(&Marks::from_ranking(3, &[2, 0]).encode()),
        "holds": ["Cy", "Ada"],
    })
}

#[test]
fn teller_vectors_match_the_committed_file() {
    let computed = teller_vectors();
    let path = format!("{}/tests/vectors/teller.json", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("TELLER_WRITE_VECTORS").is_some() {
        let mut text = serde_json::to_string_pretty(&computed).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
    }
    let committed = vectors("teller.json");
    assert_eq!(
        computed, committed,
        "run with TELLER_WRITE_VECTORS=1 only for a deliberate protocol change"
    );
}

#[test]
fn teller_vectors_check_against_independent_arithmetic() {
    // Values a reader can check by hand or with a one-line script, independent of our code.
    let v = vectors("teller.json");
    // Plaintext: version 1, 4 candidates, marks 2, 0, 1, 3 (ranking [2, 0, 3]).
    assert_eq!(v["ballot"]["plaintext"], "0100040002000000010003");
    // The fingerprint is the plain SHA-256 of the manifest's bytes (checked here with sha2 alone).
    let bytes = v["manifest"]["bytes"].as_str().unwrap().as_bytes();
    let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(bytes).into();
    assert_eq!(v["manifest"]["fingerprint"], to_hex(&digest));
    // The tally: Bo has two first preferences of two valid ballots; entry 3 has two 1s.
    let results: Value = serde_json::from_str(v["tally"]["results"].as_str().unwrap()).unwrap();
    assert_eq!(results["report"]["elected"], json!(["Bo"]));
    assert_eq!(
        results["invalid"],
        json!([{"reason": "first-preference-not-unique", "seq": 3}])
    );
    // The BLT file, written by hand from the two valid ballots (Bo, Ada) and (Bo).
    assert_eq!(
        v["tally"]["blt"],
        "3 1\n1 2 1 0\n1 2 0\n0\n\"Ada\"\n\"Bo\"\n\"Cy\"\n\"Chair\"\n"
    );
    // The removal entry (§10), written by hand: it names the issuance's contest and member, and
    // its `prev` is SHA-256("teller/log/entry/v1" ‖ 0x00 ‖ the issuance's bytes), by sha2 alone.
    let entries = &v["entries"];
    let issuance: Value = serde_json::from_str(entries["issuance"].as_str().unwrap()).unwrap();
    let mut chained = b"teller/log/entry/v1\0".to_vec();
    chained.extend(entries["issuance"].as_str().unwrap().as_bytes());
    let prev: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&chained).into();
    let b64u =
        |bytes: &[u8]| <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(bytes);
    assert_eq!(
        entries["removal"].as_str().unwrap(),
        format!(
            "{{\"contest\":\"nec\",\"member\":{},\"prev\":\"{}\",\"seq\":1,\"type\":\"removal\"}}",
            issuance["member"],
            b64u(&prev)
        )
    );
    // The audit (§15): the hpke crate alone, seeded with the revealed ikmE, seals the plaintext of
    // "Cy, Ada" (written by hand: version 1, 3 candidates, marks 2, 0, 1) under the manifest's
    // election key to the audit's enc and ct; info and aad laid out by hand (§6).
    let audit = &v["audit"]["file"];
    assert_eq!(v["audit"]["plaintext"], "010003000200000001");
    let b64 = |value: &Value| teller::core::crypto::decode_bytes(value.as_str().unwrap()).unwrap();
    let manifest: Value = serde_json::from_str(v["manifest"]["bytes"].as_str().unwrap()).unwrap();
    let public = <hpke::kem::X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&b64(
        &manifest["keys"]["election"]
    ))
    .unwrap();
    let mut info = b"teller/ballot/seal/v1\0".to_vec();
    info.extend(hex(&v["manifest"]["fingerprint"]));
    info.extend(5u32.to_be_bytes());
    info.extend(b"chair");
    let (enc, ct) = hpke::single_shot_seal_with_rng::<
        hpke::aead::AesGcm128,
        hpke::kdf::HkdfSha256,
        hpke::kem::X25519HkdfSha256,
    >(
        &hpke::OpModeS::Base,
        &public,
        &info,
        &hex(&v["audit"]["plaintext"]),
        &b64(&audit["voting_key"]),
        &mut Replay(b64(&audit["ikm"])),
    )
    .unwrap();
    assert_eq!(enc.to_bytes().to_vec(), b64(&audit["enc"]));
    assert_eq!(ct, b64(&audit["ct"]));
    assert_eq!(audit["ranking"], json!([2, 0]));
    // Shares of f(x) = 7 + 5x rebuild 7.
    assert_eq!(
        v["shares"]["rebuilt_from_2_and_3"],
        "0700000000000000000000000000000000000000000000000000000000000000"
    );
    // Pass message layout: tag, NUL, fingerprint, u32 length 3, "nec", 32-byte key.
    let message = hex(&v["pass"]["message"]);
    let tag = b"teller/pass/message/v1\0";
    assert_eq!(&message[..tag.len()], tag);
    assert_eq!(&message[tag.len()..tag.len() + 32], &[0x11; 32]);
    assert_eq!(&message[tag.len() + 32..tag.len() + 39], b"\0\0\0\x03nec");
    assert_eq!(message.len(), tag.len() + 32 + 7 + 32);
}
