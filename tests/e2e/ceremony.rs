//! The trustees' key ceremony end to end (issue 14, docs/PROTOCOL.md §11.2): five trustees, each a
//! separate `teller trustee` process with its own key and state, exchange files through one
//! directory and make a 3-of-5 key; the election is created from their ceremony, members vote
//! over HTTP, and three trustees' shares decrypt. No byte written before the tally — any file,
//! the database — holds the election secret. A trustee who sends a bad share is named by a
//! complaint anyone can judge; a ceremony altered afterwards is refused by `election create` and
//! by `teller verify`; fewer than three shares, or a share from outside, decrypt nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use teller::core::crypto::{decode_bytes, encode_bytes};

use super::cli::{scratch, teller};
use super::{ELECTION, Election, Server, examples, run, verify_passes, vote_sim};

/// A trustee's files on its own machine.
struct Trustee {
    key: PathBuf,
    state: PathBuf,
    share: PathBuf,
}

fn trustees(dir: &Path, n: usize) -> (Vec<Trustee>, Vec<String>) {
    let mut trustees = Vec::new();
    let mut lines = Vec::new();
    for i in 1..=n {
        let home = dir.join(format!("trustee-{i}"));
        std::fs::create_dir_all(&home).unwrap();
        let key = home.join("trustee.key");
        let output = teller()
            .args([
                "trustee",
                "keygen",
                "--name",
                &format!("Trustee {i}"),
                "--out",
            ])
            .arg(&key)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        lines.push(String::from_utf8(output.stdout).unwrap().trim().to_owned());
        trustees.push(Trustee {
            key,
            state: home.join("state.json"),
            share: home.join("share.txt"),
        });
    }
    (trustees, lines)
}

fn setup(exchange: &Path, threshold: usize, lines: &[String]) {
    let mut command = teller();
    command
        .args(["trustee", "setup", "--election", ELECTION, "--dir"])
        .arg(exchange)
        .args(["--threshold", &threshold.to_string()]);
    for line in lines {
        command.args(["--trustee", line]);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
}

/// `teller trustee STEP` for one trustee.
fn step(exchange: &Path, trustee: &Trustee, name: &str) -> Command {
    let mut command = teller();
    command
        .args(["trustee", name, "--dir"])
        .arg(exchange)
        .arg("--key")
        .arg(&trustee.key)
        .arg("--state")
        .arg(&trustee.state);
    if name == "finish" {
        command.arg("--share").arg(&trustee.share);
    }
    command
}

/// One step for every trustee at once, as separate processes; each must succeed.
fn everyone(exchange: &Path, trustees: &[Trustee], name: &str) {
    let children: Vec<_> = trustees
        .iter()
        .map(|t| {
            step(exchange, t, name)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "trustee {} {name}: {}",
            i + 1,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The example definition with `count` trustees and threshold `threshold`.
fn definition(path: &Path, threshold: usize, count: usize) {
    let text = std::fs::read_to_string(examples().join("election.toml"))
        .unwrap()
        .replace(
            "threshold = 2                   # any 2 of the 3 trustees' shares rebuild the election key\ncount = 3",
            &format!("threshold = {threshold}\ncount = {count}"),
        );
    assert!(text.contains(&format!("count = {count}")));
    std::fs::write(path, text).unwrap();
}

/// Every file under `dir`, with its bytes.
fn every_file(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.push((path, bytes));
            }
        }
    }
    files
}

/// Every spelling of `secret` Teller or a library could write: raw, hex, base64 and base64url.
fn spellings(secret: &[u8; 32]) -> Vec<Vec<u8>> {
    use base64ct::Encoding as _;
    vec![
        secret.to_vec(),
        base16ct::lower::encode_string(secret).into_bytes(),
        base16ct::upper::encode_string(secret).into_bytes(),
        encode_bytes(secret).into_bytes(),
        base64ct::Base64::encode_string(secret)
            .trim_end_matches('=')
            .as_bytes()
            .to_vec(),
    ]
}

fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn five_trustees_make_a_key_nobody_holds_and_three_decrypt() {
    let dir = scratch("ceremony");
    std::fs::create_dir_all(&dir).unwrap();
    let exchange = dir.join("exchange");
    let (trustees, lines) = trustees(&dir, 5);
    setup(&exchange, 3, &lines);
    for name in ["round1", "round2", "finish"] {
        everyone(&exchange, &trustees, name);
    }
    let status = teller()
        .args(["trustee", "status", "--dir"])
        .arg(&exchange)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", text(&status));
    assert!(
        text(&status).contains("complete: every file checks"),
        "{}",
        text(&status)
    );

    // The returning officer creates the election from the ceremony.
    let election = Election {
        db: dir.join("teller.db").to_string_lossy().into_owned(),
        dir: dir.clone(),
    };
    definition(&dir.join("election.toml"), 3, 5);
    let created = run(
        &election.db,
        &[
            "election",
            "create",
            &election.path("election.toml"),
            "--ceremony",
            &exchange.to_string_lossy(),
            "--keys",
            &election.path("keys"),
            "--out",
            &election.path("manifest.json"),
        ],
    );
    assert!(
        created.contains("made by the 5 trustees' ceremony"),
        "{created}"
    );
    let keys: Vec<String> = std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!keys.iter().any(|k| k.contains("share")), "{keys:?}");
    // Each trustee checks the manifest holds the key their ceremony made.
    for trustee in &trustees {
        let check = teller()
            .args(["trustee", "check", &election.path("manifest.json"), "--key"])
            .arg(&trustee.key)
            .arg("--share")
            .arg(&trustee.share)
            .output()
            .unwrap();
        assert!(check.status.success(), "{}", text(&check));
        assert!(
            text(&check).starts_with("OK: election nec-2026"),
            "{}",
            text(&check)
        );
    }
    // A trustee's share checked against someone else's place is refused.
    let swapped = teller()
        .args(["trustee", "check", &election.path("manifest.json"), "--key"])
        .arg(&trustees[0].key)
        .arg("--share")
        .arg(&trustees[1].share)
        .output()
        .unwrap();
    assert!(!swapped.status.success());
    assert!(
        text(&swapped).contains("you are trustee 1"),
        "{}",
        text(&swapped)
    );

    election.register_invite_open(300);
    let server = Server::start(&election.db);
    let report = vote_sim(&[&server], &election, &["--turnout", "0.5"]);
    assert!(report.contains("ballots accepted"), "{report}");
    server.kill();
    run(&election.db, &["election", "close", ELECTION]);

    // Everything written so far: the trustees' machines, the exchange, the officer's keys and
    // manifest, the database.
    let before_tally = every_file(&dir);
    assert!(before_tally.iter().any(|(p, _)| p.ends_with("teller.db")));

    let tally = |shares: &[usize]| {
        let mut command = teller();
        command.args(["tally", ELECTION, "--database", &election.db]);
        for &i in shares {
            command.arg("--share").arg(&trustees[i - 1].share);
        }
        command.output().unwrap()
    };
    // Two shares are not enough.
    let two = tally(&[1, 2]);
    assert!(!two.status.success());
    assert!(text(&two).contains("needs 3"), "{}", text(&two));
    // A wrong share is named (trustee 2's file, one bit changed: a share nobody was dealt).
    let (index, value) = std::fs::read_to_string(&trustees[1].share)
        .unwrap()
        .trim()
        .split_once(' ')
        .map(|(i, v)| (i.to_owned(), decode_bytes(v).unwrap()))
        .unwrap();
    let mut wrong = value.clone();
    wrong[0] ^= 1;
    let forged = dir.join("forged.share");
    std::fs::write(&forged, format!("{index} {}\n", encode_bytes(&wrong))).unwrap();
    let outsider = dir.join("outsider.share");
    std::fs::write(&outsider, format!("6 {}\n", encode_bytes(&value))).unwrap();
    for (file, words) in [
        (&forged, "the share of trustee 2 (Trustee 2) does not match"),
        (&outsider, "this election has 5 trustees"),
    ] {
        let output = teller()
            .args(["tally", ELECTION, "--database", &election.db])
            .arg("--share")
            .arg(&trustees[0].share)
            .arg("--share")
            .arg(file)
            .arg("--share")
            .arg(&trustees[2].share)
            .output()
            .unwrap();
        assert!(!output.status.success());
        assert!(text(&output).contains(words), "{}", text(&output));
    }
    // Three trustees (1, 3 and 5) decrypt.
    let three = tally(&[1, 3, 5]);
    assert!(three.status.success(), "{}", text(&three));
    assert!(
        text(&three).contains("the record verifies"),
        "{}",
        text(&three)
    );
    let record = dir.join("record");
    run(
        &election.db,
        &["record", "export", ELECTION, &record.to_string_lossy()],
    );
    verify_passes(&record);

    // The secret, as the tally revealed it: the scan's positive control is the reveal itself.
    let reveal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(record.join("reveal.json")).unwrap()).unwrap();
    let secret: [u8; 32] = decode_bytes(reveal["key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let reveal_bytes = std::fs::read(record.join("reveal.json")).unwrap();
    assert!(spellings(&secret).iter().any(|s| holds(&reveal_bytes, s)));
    let mut scanned = 0;
    for (path, bytes) in &before_tally {
        scanned += bytes.len();
        for spelling in spellings(&secret) {
            assert!(
                !holds(bytes, &spelling),
                "{} holds the election secret before the tally",
                path.display()
            );
        }
    }
    assert!(scanned > 100_000, "only {scanned} bytes scanned");

    // A ceremony altered after the fact: refused by `election create` (a new database) …
    let mut round1: serde_json::Value =
        serde_json::from_slice(&std::fs::read(exchange.join("round1-3.json")).unwrap()).unwrap();
    let point = round1["commitment"][1].as_str().unwrap().to_owned();
    let mut bytes = decode_bytes(&point).unwrap();
    bytes[3] ^= 1;
    round1["commitment"][1] = encode_bytes(&bytes).into();
    let altered = dir.join("altered");
    std::fs::create_dir_all(&altered).unwrap();
    for (path, bytes) in every_file(&exchange) {
        std::fs::write(altered.join(path.file_name().unwrap()), bytes).unwrap();
    }
    std::fs::write(
        altered.join("round1-3.json"),
        String::from_utf8(teller::core::crypto::encode(&round1).unwrap()).unwrap(),
    )
    .unwrap();
    let refused = teller()
        .args([
            "election",
            "create",
            &election.path("election.toml"),
            "--ceremony",
        ])
        .arg(&altered)
        .args(["--keys", &election.path("keys-2")])
        .args(["--database", &election.path("second.db")])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("round 1 of trustee 3 (Trustee 3): the signature does not verify"),
        "{}",
        text(&refused)
    );
    // … and by `teller verify`, when the record's manifest carries it.
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(record.join("manifest.json")).unwrap()).unwrap();
    manifest["trustees"]["ceremony"]["round1"][2] = round1;
    std::fs::write(
        record.join("manifest.json"),
        teller::core::crypto::encode(&manifest).unwrap(),
    )
    .unwrap();
    let verify = teller().arg("verify").arg(&record).output().unwrap();
    assert!(!verify.status.success());
    assert!(
        text(&verify).contains("round 1 of trustee 3 (Trustee 3): the signature does not verify"),
        "{}",
        text(&verify)
    );
}

#[test]
fn a_trustee_who_sends_a_bad_share_is_named_by_a_complaint_anyone_can_judge() {
    use ed25519_dalek::Signer as _;
    use hpke::Serializable as _;
    use teller::core::ceremony::{Round1, Round2, round2_message, share_info};

    let dir = scratch("ceremony-complaint");
    std::fs::create_dir_all(&dir).unwrap();
    let exchange = dir.join("exchange");
    let (trustees, lines) = trustees(&dir, 3);
    setup(&exchange, 2, &lines);
    everyone(&exchange, &trustees, "round1");
    everyone(&exchange, &trustees, "round2");

    // Trustee 3 replaces its share for trustee 1 with another number, sealed and signed as
    // usual, before anyone has read its file.
    let read = |name: &str| std::fs::read(exchange.join(name)).unwrap();
    let setup_file: teller::core::ceremony::Setup =
        teller::core::crypto::decode(&read("setup.json")).unwrap();
    let round1: Round1 = teller::core::crypto::decode(&read("round1-1.json")).unwrap();
    let mut round2: Round2 = teller::core::crypto::decode(&read("round2-3.json")).unwrap();
    type Kem = hpke::kem::X25519HkdfSha256;
    let recipient =
        <<Kem as hpke::Kem>::PublicKey as hpke::Deserializable>::from_bytes(&round1.encryption.0)
            .unwrap();
    let mut rng = teller::core::crypto::os_rng().unwrap();
    let mut bogus = [0u8; 32];
    bogus[0] = 42;
    let (enc, ct) =
        hpke::single_shot_seal_with_rng::<hpke::aead::AesGcm128, hpke::kdf::HkdfSha256, Kem>(
            &hpke::OpModeS::Base,
            &recipient,
            &share_info(&setup_file.id(), 3, 1),
            &bogus,
            b"",
            &mut rng,
        )
        .unwrap();
    round2.shares[0].enc = teller::core::crypto::Bytes(enc.to_bytes().to_vec());
    round2.shares[0].ct = teller::core::crypto::Bytes(ct);
    let cheater = teller::admin::ceremony::read_identity(&trustees[2].key).unwrap();
    round2.signature = cheater
        .key
        .sign(&round2_message(&setup_file.id(), &round2))
        .to_bytes()
        .into();
    std::fs::write(
        exchange.join("round2-3.json"),
        teller::core::crypto::encode(&round2).unwrap(),
    )
    .unwrap();

    // Trustee 1 finds the bad share: exit 3, the cheater named, a complaint written.
    let finish = step(&exchange, &trustees[0], "finish").output().unwrap();
    assert_eq!(finish.status.code(), Some(3), "{}", text(&finish));
    assert!(
        text(&finish).contains("the share trustee 3 (Trustee 3) sealed to you does not match"),
        "{}",
        text(&finish)
    );
    assert!(exchange.join("complaint-1-against-3.json").exists());
    assert!(
        !trustees[0].share.exists(),
        "no share from a failed ceremony"
    );
    // The others' shares were good: they finish.
    for trustee in &trustees[1..] {
        let output = step(&exchange, trustee, "finish").output().unwrap();
        assert!(output.status.success(), "{}", text(&output));
    }
    // Anyone judges the complaint from the public files: upheld against trustee 3.
    let status = teller()
        .args(["trustee", "status", "--dir"])
        .arg(&exchange)
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(3), "{}", text(&status));
    assert!(
        text(&status).contains(
            "complaint-1-against-3.json: UPHELD. Trustee 3 (Trustee 3) sent trustee 1 (Trustee 1) a bad share"
        ),
        "{}",
        text(&status)
    );
    // The officer cannot make an election of it.
    definition(&dir.join("election.toml"), 2, 3);
    let create = teller()
        .args(["election", "create"])
        .arg(dir.join("election.toml"))
        .arg("--ceremony")
        .arg(&exchange)
        .arg("--keys")
        .arg(dir.join("keys"))
        .arg("--database")
        .arg(dir.join("teller.db"))
        .output()
        .unwrap();
    assert!(!create.status.success());
    assert!(
        text(&create).contains("waiting for the acceptance of trustee 1 (Trustee 1)"),
        "{}",
        text(&create)
    );
}
