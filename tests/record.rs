//! The election record end to end, through the real `teller` binary: `teller simulate` writes a
//! record of 2,000 members, `teller verify` passes it, and every contest's BLT file recounts with
//! `teller count` to the published winners.

use std::path::Path;

use serde_json::Value;

mod cli;

use cli::{recounts_to_the_published_winners, scratch, teller};

fn simulate(members: usize, seed: &str, out: &Path) {
    let status = teller()
        .args([
            "simulate",
            "--members",
            &members.to_string(),
            "--seed",
            seed,
            "--out",
        ])
        .arg(out)
        .output()
        .expect("running teller simulate");
    assert!(
        status.status.success(),
        "teller simulate failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

#[test]
fn verify_passes_a_fresh_simulated_record_of_2000_members() {
    let record = scratch("2000");
    simulate(2000, "record-test", &record);

    let output = teller()
        .args(["verify", "--quiet"])
        .arg(&record)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    for check in teller::core::verify::CHECKS {
        assert!(
            stdout.lines().any(|l| l == format!("PASS {check}")),
            "no PASS line for {check}:\n{stdout}"
        );
    }
    assert!(stdout.contains("verify: PASS"));
    // Totals: a header and one row per contest, with the invalid ballots listed by entry.
    for contest in ["nec", "youth", "wales", "disabled"] {
        assert!(stdout.lines().any(|l| l.starts_with(contest)), "{stdout}");
    }
    assert!(
        stdout.contains("invalid ballot: contest nec entry"),
        "{stdout}"
    );

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(record.join("manifest.json")).unwrap()).unwrap();
    for contest in manifest["contests"].as_array().unwrap() {
        recounts_to_the_published_winners(&record, contest);
    }
    std::fs::remove_dir_all(&record).unwrap();
}

#[test]
fn simulate_is_deterministic_in_its_seed_whatever_the_threads() {
    use teller::admin::{SimulateOptions, simulate};
    let options = |threads| SimulateOptions {
        definition: teller::admin::ElectionDefinition::parse(teller::admin::EXAMPLE_ELECTION)
            .unwrap(),
        members: 150,
        seed: [7; 32],
        threads,
        everyone_votes_everywhere: false,
        revote: teller::core::manifest::Revote::Forbidden,
        checkpoints: teller::admin::DEFAULT_CHECKPOINTS,
        trustees: None,
    };
    let one = simulate(&options(1), &|_| {}).unwrap().record;
    let two = simulate(&options(2), &|_| {}).unwrap().record;
    assert_eq!(one, two);
    let other = simulate(
        &SimulateOptions {
            seed: [8; 32],
            ..options(2)
        },
        &|_| {},
    )
    .unwrap()
    .record;
    assert_ne!(one.files["manifest.json"], other.files["manifest.json"]);
}

#[test]
fn tally_counts_a_verified_record_and_refuses_a_tampered_one() {
    let record = scratch("tally");
    simulate(120, "tally-test", &record);
    let output = teller()
        .args(["tally", "--contest", "nec"])
        .arg(&record)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("elected"));

    let results = record.join("results/youth.json");
    let mut bytes = std::fs::read(&results).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&results, bytes).unwrap();
    let output = teller()
        .args(["tally", "--contest", "nec"])
        .arg(&record)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "nothing counted");
    assert!(String::from_utf8_lossy(&output.stderr).contains("refusing to count"));
    std::fs::remove_dir_all(&record).unwrap();
}

#[test]
fn the_committed_fixture_record_still_verifies_and_regenerates_byte_for_byte() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/record");
    let output = teller()
        .args(["verify", "--quiet"])
        .arg(&fixture)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let again = scratch("fixture");
    simulate(40, "fixture", &again);
    let committed = teller::admin::read_record(&fixture).unwrap();
    let regenerated = teller::admin::read_record(&again).unwrap();
    for (path, bytes) in &committed.files {
        assert_eq!(
            regenerated.files.get(path),
            Some(bytes),
            "{path} is no longer written the same way (see tests/data/README.md)"
        );
    }
    assert_eq!(committed.files.len(), regenerated.files.len());
    std::fs::remove_dir_all(&again).unwrap();
}

#[test]
fn election_create_writes_a_manifest_whose_sha256_is_the_printed_fingerprint() {
    let dir = scratch("create");
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("manifest.json");
    let output = teller()
        .args(["election", "create", "--dealer"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/election.toml"))
        .arg("--out")
        .arg(&manifest)
        .arg("--keys")
        .arg(dir.join("keys"))
        .arg("--database")
        .arg(dir.join("teller.db"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&manifest).unwrap();
    let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&bytes).into();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert!(String::from_utf8_lossy(&output.stdout).contains(&format!("fingerprint {hex}")));
    let parsed = teller::core::manifest::Manifest::parse(&bytes).unwrap();
    for i in 1..=3 {
        let share = std::fs::read_to_string(dir.join(format!("keys/trustee-{i}.share"))).unwrap();
        assert!(share.starts_with(&format!("{i} ")));
    }
    assert_eq!(parsed.share_commitments().len(), 3);
    // The whole election key is stored nowhere: only the public key and the shares exist.
    let files: Vec<_> = std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    // One issuer key per contest (issue 9), two log keys, the session key, three shares.
    assert_eq!(files.len(), 10, "{files:?}");
    for contest in parsed.contests() {
        let key = format!("issuer-{}.pk8", contest.id());
        assert!(files.contains(&key), "{key} missing from {files:?}");
    }

    let again = teller()
        .args([
            "election",
            "create",
            "--dealer",
            "examples/election.toml",
            "--out",
        ])
        .arg(&manifest)
        .arg("--keys")
        .arg(dir.join("keys2"))
        .arg("--database")
        .arg(dir.join("teller.db"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(2),
        "refuses to overwrite the manifest"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_example_register_parses_and_is_what_simulate_writes() {
    use teller::core::register::Register;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/members.csv");
    let committed = std::fs::read_to_string(&path).unwrap();
    let register = Register::parse(&committed).unwrap();
    assert_eq!(register.members().count(), 5000);

    // Eligibility under the example election's rules: everyone's electorate is a subset of the
    // NEC's, and each special post has a real, smaller electorate.
    let definition =
        teller::admin::ElectionDefinition::parse(teller::admin::EXAMPLE_ELECTION).unwrap();
    let (manifest, _) = teller::admin::create_election(
        &definition,
        &mut <rand::rngs::ChaCha20Rng as rand::SeedableRng>::from_seed([0; 32]),
    )
    .unwrap();
    let electorate = |id: &str| {
        let rule = manifest.contest(id).unwrap().eligibility();
        register.members().filter(|m| rule.admits(m)).count()
    };
    let nec = electorate("nec");
    assert!((4000..5000).contains(&nec), "{nec}");
    for post in ["youth", "wales", "disabled"] {
        let n = electorate(post);
        assert!(n > 100 && n < nec / 4, "{post}: {n}");
    }

    let out = scratch("example-register");
    let csv = out.with_extension("csv");
    let status = teller()
        .args([
            "simulate",
            "--members",
            "5000",
            "--seed",
            "example",
            "--out",
        ])
        .arg(&out)
        .arg("--register-out")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(status.status.success());
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), committed);
    std::fs::remove_dir_all(&out).unwrap();
    std::fs::remove_file(&csv).unwrap();
}
