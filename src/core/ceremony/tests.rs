use rand::SeedableRng as _;
use rand::rngs::ChaCha20Rng;

use super::*;
use crate::core::crypto::{
    ElectionPublicKey, KeyOrigin, ShareError, decode, encode, open, reconstruct, seal,
};

fn identities(n: u8) -> Vec<SigningKey> {
    (1..=n).map(|i| SigningKey::from_bytes(&[i; 32])).collect()
}

fn setup_of(keys: &[SigningKey], threshold: i64) -> Setup {
    Setup {
        election: "nec-2026".into(),
        threshold,
        trustees: (1..)
            .zip(keys)
            .map(|(i, k)| TrusteeKey {
                name: format!("Trustee {i}"),
                key: k.verifying_key().to_bytes().into(),
            })
            .collect(),
    }
}

/// A ceremony run up to the end of round 2.
struct Run {
    setup: Setup,
    keys: Vec<SigningKey>,
    seeds: Vec<TrusteeSeed>,
    round1: Vec<Round1>,
    round2: Vec<Round2>,
}

fn run(n: u8, t: i64) -> Run {
    let keys = identities(n);
    let setup = setup_of(&keys, t);
    let seeds: Vec<TrusteeSeed> = (1..=n)
        .map(|i| TrusteeSeed::from_bytes([100 + i; 32]))
        .collect();
    let round1: Vec<Round1> = (keys.iter().zip(&seeds))
        .map(|(k, s)| super::round1(&setup, k, s).unwrap())
        .collect();
    let mut rng = ChaCha20Rng::from_seed([9; 32]);
    let round2 = (keys.iter().zip(&seeds))
        .map(|(k, s)| super::round2(&setup, k, s, &round1, &mut rng).unwrap())
        .collect();
    Run {
        setup,
        keys,
        seeds,
        round1,
        round2,
    }
}

impl Run {
    fn finish(&self, i: usize) -> Finished {
        super::finish(
            &self.setup,
            &self.keys[i],
            &self.seeds[i],
            &self.round1,
            &self.round2,
        )
        .unwrap()
    }

    /// Every trustee's share and the whole ceremony (from the same rounds).
    fn complete(&self) -> (Vec<Share>, Ceremony) {
        let (ceremony, shares) = run_all(
            &self.setup,
            &self.keys,
            &self.seeds,
            &mut ChaCha20Rng::from_seed([9; 32]),
        )
        .unwrap();
        (shares, ceremony)
    }
}

fn trustee_fault(error: CeremonyError) -> (&'static str, u8, String) {
    match error {
        CeremonyError::Trustee {
            stage,
            index,
            reason,
            ..
        } => (stage, index, reason),
        other => panic!("not a trustee's fault: {other}"),
    }
}

#[test]
fn three_of_five_make_one_key_that_any_three_shares_open() {
    let run = run(5, 3);
    let (shares, ceremony) = run.complete();
    let outcome = ceremony.check().unwrap();
    // The ceremony survives its own encoding (it travels inside the manifest).
    let again: Ceremony = decode(&encode(&ceremony).unwrap()).unwrap();
    assert_eq!(again.check().unwrap(), outcome);
    for share in &shares {
        assert_eq!(
            share.commitment_for(KeyOrigin::Ceremony),
            outcome.verifying_shares[usize::from(share.index()) - 1]
        );
    }
    let public = ElectionPublicKey::from_bytes(outcome.election_key);
    let mut rng = ChaCha20Rng::from_seed([3; 32]);
    let sealed = seal(&public, &[1; 32], "nec", &[2; 32], b"ballot", &mut rng).unwrap();
    for some in [[0, 1, 2], [0, 2, 4], [1, 3, 4], [2, 3, 4]] {
        let brought: Vec<Share> = some.iter().map(|&i| shares[i].clone()).collect();
        let key = reconstruct(&brought, &outcome.verifying_shares, 3, KeyOrigin::Ceremony).unwrap();
        assert_eq!(key.public_key().unwrap(), public);
        assert_eq!(
            open(&key, &[1; 32], "nec", &[2; 32], &sealed).unwrap(),
            b"ballot"
        );
    }
}

#[test]
fn fewer_than_the_threshold_cannot_decrypt() {
    let run = run(5, 3);
    let (shares, ceremony) = run.complete();
    let outcome = ceremony.check().unwrap();
    assert_eq!(
        reconstruct(
            &shares[..2],
            &outcome.verifying_shares,
            3,
            KeyOrigin::Ceremony
        ),
        Err(ShareError::TooFew {
            found: 2,
            threshold: 3
        })
    );
    // Even interpolated as if two were enough, two shares make some other key.
    let forced = reconstruct(
        &shares[..2],
        &outcome.verifying_shares,
        2,
        KeyOrigin::Ceremony,
    )
    .unwrap();
    assert_ne!(
        forced.public_key().unwrap().to_bytes(),
        outcome.election_key
    );
}

#[test]
fn a_share_from_outside_the_ceremony_is_named_and_refused() {
    let (shares, ceremony) = run(5, 3).complete();
    let outcome = ceremony.check().unwrap();
    // Trustee 2's place taken by a share of another ceremony (same trustees, other seeds).
    let mut other = run(5, 3);
    other.seeds[1] = TrusteeSeed::from_bytes([7; 32]);
    let (stranger, _) = other.complete();
    let brought = [shares[0].clone(), stranger[1].clone(), shares[2].clone()];
    assert_eq!(
        reconstruct(&brought, &outcome.verifying_shares, 3, KeyOrigin::Ceremony),
        Err(ShareError::WrongShare { index: 2 })
    );
    let sixth = Share::new(6, shares[0].value()).unwrap();
    assert!(matches!(
        reconstruct(
            &[shares[0].clone(), shares[1].clone(), sixth],
            &outcome.verifying_shares,
            3,
            KeyOrigin::Ceremony
        ),
        Err(ShareError::BadIndex { index: 6, .. })
    ));
}

/// Trustee 4 seals a wrong share to trustee 2 (and signs its round-2 file as usual).
fn with_bad_share_from_4_to_2(run: &mut Run) {
    let id = run.setup.id();
    let recipient = hpke_public_key(&run.round1[1].encryption.array()).unwrap();
    let mut rng = ChaCha20Rng::from_seed([5; 32]);
    let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
        &OpModeS::Base,
        &recipient,
        &share_info(&id, 4, 2),
        &Scalar::from(12345u64).to_bytes(),
        b"",
        &mut rng,
    )
    .unwrap();
    let file = &mut run.round2[3];
    let slot = file.shares.iter_mut().find(|s| s.to == 2).unwrap();
    slot.enc = Bytes(enc.to_bytes().to_vec());
    slot.ct = Bytes(ct);
    file.signature = sign(&run.keys[3], &round2_message(&id, file));
}

#[test]
fn a_bad_share_brings_a_complaint_anyone_can_uphold() {
    let mut run = run(5, 3);
    with_bad_share_from_4_to_2(&mut run);
    let Finished::Complained(complaint) = run.finish(1) else {
        panic!("trustee 2 accepted a bad share");
    };
    assert_eq!((complaint.trustee, complaint.against), (2, 4));
    let verdict = judge(&run.setup, &run.round1, &run.round2, &complaint).unwrap();
    assert!(verdict.upheld);
    assert_eq!(verdict.culprit, 4);
    assert!(verdict.reason.contains("commitments"), "{}", verdict.reason);
    // The complaint survives its encoding, and its signature binds it.
    let again: Complaint = decode(&encode(&complaint).unwrap()).unwrap();
    assert_eq!(again, complaint);
    let mut forged = complaint.clone();
    forged.against = 5;
    let (stage, index, _) =
        trustee_fault(judge(&run.setup, &run.round1, &run.round2, &forged).unwrap_err());
    assert_eq!((stage, index), ("complaint", 2));
    // The others' shares from trustee 4 are good: they accept.
    assert!(matches!(run.finish(0), Finished::Accepted { .. }));
}

#[test]
fn a_false_complaint_names_the_complainer() {
    let run = run(5, 3);
    let id = run.setup.id();
    let replayed = replay(&run.setup, 2, &run.seeds[1]).unwrap();
    let mut complaint = Complaint {
        trustee: 2,
        against: 3,
        secret: replayed.encryption.to_bytes().into(),
        signature: Bytes(vec![0; 64]),
    };
    complaint.signature = sign(&run.keys[1], &complaint_message(&id, &complaint));
    let verdict = judge(&run.setup, &run.round1, &run.round2, &complaint).unwrap();
    assert!(!verdict.upheld);
    assert_eq!(verdict.culprit, 2);
    // A complaint that reveals some other secret proves nothing and is refused.
    complaint.secret = Scalar::from(99u64).to_bytes().into();
    complaint.signature = sign(&run.keys[1], &complaint_message(&id, &complaint));
    let (stage, index, reason) =
        trustee_fault(judge(&run.setup, &run.round1, &run.round2, &complaint).unwrap_err());
    assert_eq!((stage, index), ("complaint", 2));
    assert!(reason.contains("encryption key"), "{reason}");
}

#[test]
fn a_ceremony_altered_after_the_fact_is_refused_naming_the_file() {
    let (_, ceremony) = run(5, 3).complete();
    let altered = |edit: &dyn Fn(&mut Ceremony)| {
        let mut copy = ceremony.clone();
        edit(&mut copy);
        copy.check().unwrap_err()
    };
    // A commitment changed: trustee 3's signature no longer covers it.
    let error = altered(&|c| c.round1[2].commitment[1].0[0] ^= 1);
    assert_eq!(trustee_fault(error).0, "round 1");
    // A sealed share changed.
    let (stage, index, _) = trustee_fault(altered(&|c| c.round2[4].shares[0].ct.0[5] ^= 1));
    assert_eq!((stage, index), ("round 2", 5));
    // A trustee's acceptance dropped, or its key swapped.
    let (stage, index, reason) = trustee_fault(altered(&|c| {
        c.accepted.pop();
    }));
    assert_eq!(
        (stage, index, reason.as_str()),
        ("acceptance", 5, "missing")
    );
    let (stage, index, _) = trustee_fault(altered(&|c| c.accepted[0].key.0[0] ^= 1));
    assert_eq!((stage, index), ("acceptance", 1));
    // The threshold lowered in the setup: every signature was made under the old setup.
    let error = altered(&|c| c.setup.threshold = 2);
    assert!(matches!(error, CeremonyError::Trustee { .. }), "{error}");
    // Files out of order.
    let error = altered(&|c| c.round1.swap(0, 1));
    assert_eq!(trustee_fault(error).1, 1);
}

#[test]
fn a_proof_of_knowledge_that_fails_is_caught_even_when_signed() {
    let mut run = run(3, 2);
    let id = run.setup.id();
    let file = &mut run.round1[1];
    file.proof.0[40] ^= 1;
    file.signature = sign(&run.keys[1], &round1_message(&id, file));
    let (stage, index, reason) = trustee_fault(check_round1(&run.setup, &run.round1).unwrap_err());
    assert_eq!((stage, index), ("round 1", 2));
    assert!(reason.contains("proof of knowledge"), "{reason}");
}

#[test]
fn a_key_outside_the_setup_takes_no_part() {
    let run = run(3, 2);
    let stranger = SigningKey::from_bytes(&[77; 32]);
    let seed = TrusteeSeed::from_bytes([1; 32]);
    assert_eq!(
        super::round1(&run.setup, &stranger, &seed).unwrap_err(),
        CeremonyError::NotATrustee
    );
    // A round-1 file signed by a stranger in a trustee's place.
    let mut files = run.round1.clone();
    let id = run.setup.id();
    files[0].signature = sign(&stranger, &round1_message(&id, &files[0]));
    let (stage, index, reason) = trustee_fault(check_round1(&run.setup, &files).unwrap_err());
    assert_eq!(
        (stage, index, reason.as_str()),
        ("round 1", 1, "the signature does not verify")
    );
}

#[test]
fn the_setup_refuses_bad_thresholds_names_and_keys() {
    let keys = identities(3);
    let ok = setup_of(&keys, 2);
    ok.check().unwrap();
    for (edit, words) in [
        (
            Box::new(|s: &mut Setup| s.threshold = 0) as Box<dyn Fn(&mut Setup)>,
            "threshold",
        ),
        (Box::new(|s: &mut Setup| s.threshold = 4), "threshold"),
        (
            Box::new(|s: &mut Setup| s.trustees[1].name = "Trustee 1".into()),
            "named",
        ),
        (
            Box::new(|s: &mut Setup| s.trustees[1].name = " x".into()),
            "space",
        ),
        (
            Box::new(|s: &mut Setup| s.trustees[2].key = s.trustees[0].key.clone()),
            "twice",
        ),
        (
            Box::new(|s: &mut Setup| s.trustees[2].key = Bytes(vec![0; 32])),
            "Ed25519",
        ),
        (Box::new(|s: &mut Setup| s.trustees.clear()), "trustees"),
    ] {
        let mut setup = ok.clone();
        edit(&mut setup);
        let error = setup.check().unwrap_err().to_string();
        assert!(error.contains(words), "{error}");
    }
}

#[test]
fn round_two_refuses_a_state_from_another_ceremony() {
    let run = run(3, 2);
    let wrong = TrusteeSeed::from_bytes([55; 32]);
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    let (stage, index, _) = trustee_fault(
        super::round2(&run.setup, &run.keys[0], &wrong, &run.round1, &mut rng).unwrap_err(),
    );
    assert_eq!((stage, index), ("round 1", 1));
}

/// FROST's own published DKG vectors (frost-ed25519 3.0.0, tests/helpers/vectors_dkg.json):
/// each participant's commitments and proof of knowledge verify, each share it sent matches its
/// commitments, and the commitments combine to the vectors' group key and verifying shares —
/// through this module's `outcome`, which also gives the key's X25519 form.
#[test]
fn frost_published_dkg_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/frost-ed25519-dkg.json"
    );
    let vectors: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let inputs = &vectors["inputs"];
    let hex = |v: &serde_json::Value| base16ct::lower::decode_vec(v.as_str().unwrap()).unwrap();
    let n = vectors["config"]["MAX_PARTICIPANTS"].as_u64().unwrap() as u8;
    let t = vectors["config"]["MIN_PARTICIPANTS"].as_u64().unwrap() as i64;
    let keys = identities(n);
    let setup = setup_of(&keys, t);
    let mut packages = BTreeMap::new();
    for i in 1..=n {
        let p = &inputs[i.to_string()];
        let commitment = VerifiableSecretSharingCommitment::deserialize(
            p["vss_commitments"].as_array().unwrap().iter().map(hex),
        )
        .unwrap();
        let proof = frost_ed25519::Signature::deserialize(&hex(&p["proof_of_knowledge"])).unwrap();
        frost_core::keys::dkg::verify_proof_of_knowledge(
            identifier(i).unwrap(),
            &commitment,
            &proof,
        )
        .unwrap();
        packages.insert(
            identifier(i).unwrap(),
            round1::Package::new(commitment, proof),
        );
    }
    // Participant i's `signing_shares` are those it received: f_j(i) from each sender j.
    for i in 1..=n {
        let received = inputs[i.to_string()]["signing_shares"].as_object().unwrap();
        assert_eq!(received.len(), usize::from(n) - 1);
        for (from, share) in received {
            let from = identifier(from.parse().unwrap()).unwrap();
            let share = SigningShare::deserialize(&hex(share)).unwrap();
            let commitment = packages[&from].commitment().clone();
            SecretShare::new(identifier(i).unwrap(), share, commitment.clone())
                .verify()
                .unwrap();
            // And not against another sender's commitments.
            let other = packages.keys().find(|k| **k != from).unwrap();
            let wrong = packages[other].commitment().clone();
            assert!(
                SecretShare::new(identifier(i).unwrap(), share, wrong)
                    .verify()
                    .is_err()
            );
        }
    }
    let outcome = outcome(&setup, &packages).unwrap();
    let group: [u8; 32] = hex(&inputs["verifying_key"]).try_into().unwrap();
    let montgomery = CompressedEdwardsY(group)
        .decompress()
        .unwrap()
        .to_montgomery();
    assert_eq!(outcome.election_key, montgomery.to_bytes());
    for i in 1..=n {
        let p = &inputs[i.to_string()];
        assert_eq!(
            outcome.verifying_shares[usize::from(i) - 1].to_vec(),
            hex(&p["verifying_share"])
        );
        // The vectors' signing share is the trustee's share of the key: it matches the
        // verifying share, and t of them rebuild the vectors' secret.
        let share = Share::new(i, hex(&p["signing_share"]).try_into().unwrap()).unwrap();
        assert_eq!(
            share.commitment_for(KeyOrigin::Ceremony),
            outcome.verifying_shares[usize::from(i) - 1]
        );
    }
    let shares: Vec<Share> = (1..=t as u8)
        .map(|i| {
            let p = &inputs[i.to_string()];
            Share::new(i, hex(&p["signing_share"]).try_into().unwrap()).unwrap()
        })
        .collect();
    let key = reconstruct(
        &shares,
        &outcome.verifying_shares,
        t as usize,
        KeyOrigin::Ceremony,
    )
    .unwrap();
    // The group's secret is the sum of the participants' constant terms (`signing_key`).
    let sum: Scalar = (1..=n)
        .map(|i| {
            let bytes: [u8; 32] = hex(&inputs[i.to_string()]["signing_key"])
                .try_into()
                .unwrap();
            Scalar::from_canonical_bytes(bytes).unwrap()
        })
        .sum();
    assert_eq!(key.to_bytes(), sum.to_bytes());
    assert_eq!(key.public_key().unwrap().to_bytes(), outcome.election_key);
}
