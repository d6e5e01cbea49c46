//! Running the `teller` binary as its users do: a scratch directory per test, and a scrutineer's
//! recount of a published record with `teller count`.

#![allow(
    dead_code,
    reason = "each test crate that includes this module uses a part of it"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The `teller` binary under test.
pub fn teller() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_teller"));
    // Tests name their database; never the developer's.
    command.env_remove("DATABASE_URL");
    command
}

/// A fresh scratch directory (removed if left over from an earlier run).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("teller-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Recounts `blt/<contest>.blt` with `teller count` as any scrutineer would (method, seats,
/// constraint and candidate genders from the manifest, seed from the results) and compares the
/// winners with `results/<contest>.json`.
pub fn recounts_to_the_published_winners(record: &Path, contest: &Value) {
    let id = contest["id"].as_str().unwrap();
    let results: Value =
        serde_json::from_slice(&std::fs::read(record.join(format!("results/{id}.json"))).unwrap())
            .unwrap();
    if results["valid"] == 0 {
        // A contest nobody voted in (a short test election may leave one empty): the tally
        // publishes why it could not count, and a scrutineer's count of its ballot file agrees.
        assert_eq!(
            results["error"], "there are no valid ballots to count",
            "{id}: {results}"
        );
        let recount = teller()
            .arg("count")
            .arg(record.join(format!("blt/{id}.blt")))
            .output()
            .unwrap();
        assert!(!recount.status.success(), "{id}: an empty contest counted");
        return;
    }
    let published = &results["report"]["elected"];
    assert!(
        published.as_array().is_some_and(|a| !a.is_empty()),
        "{id}: {results}"
    );
    let seed = teller::core::crypto::decode_bytes(results["seed"].as_str().unwrap()).unwrap();
    let seed: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    let attributes = record.with_extension(format!("{id}.csv"));
    let mut csv = String::from("name,gender,slate\n");
    for c in contest["candidates"].as_array().unwrap() {
        csv.push_str(&format!(
            "{},{},{}\n",
            c["name"].as_str().unwrap(),
            c["gender"].as_str().unwrap(),
            c["slate"].as_str().unwrap()
        ));
    }
    std::fs::write(&attributes, csv).unwrap();
    let mut command = teller();
    command
        .arg("count")
        .arg(record.join(format!("blt/{id}.blt")))
        .args(["--method", contest["method"].as_str().unwrap()])
        .args(["--seed", &seed, "--format", "json", "--attributes"])
        .arg(&attributes);
    if let Some(minimum) = contest.get("minimum") {
        command.args([
            "--minimum",
            &format!(
                "{}={}:{}",
                minimum["attribute"].as_str().unwrap(),
                minimum["value"].as_str().unwrap(),
                minimum["seats"]
            ),
        ]);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{id}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let recount: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(&recount["elected"], published, "contest {id}");
    std::fs::remove_file(attributes).unwrap();
}
