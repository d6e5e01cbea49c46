//! Every checkpoint the server signed is in the exported record (issue 11 item 10), for both
//! logs: a checkpoint a member or a witness was shown before the close can then be proved
//! consistent with the final log from the record alone. Before, the export kept only the
//! issuance log's final checkpoint.

use super::{Election, Server, agent, vote_sim};

/// The checkpoint of `log` the server serves now: its size and the note's bytes.
fn checkpoint(server: &Server, log: &str) -> (u64, String) {
    let note = agent()
        .get(&server.api(&format!("/logs/{log}/checkpoint")))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let size = note.lines().nth(1).unwrap().parse().unwrap();
    (size, note)
}

fn every_checkpoint_signed_is_in_the_record(name: &str, db: Option<String>) {
    let election = Election::open(name, db, 100);
    let server = Server::start(&election.db);
    let mut shown = vec![
        ("issuance", checkpoint(&server, "issuance")),
        ("ballots", checkpoint(&server, "ballots")),
    ];
    vote_sim(&[&server], &election, &["--no-probes"]);
    // A new checkpoint is signed when the log has grown and the latest is a second old.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    shown.push(("issuance", checkpoint(&server, "issuance")));
    shown.push(("ballots", checkpoint(&server, "ballots")));
    drop(server);
    let record = election.close_tally_verify_record();
    for (log, (size, note)) in &shown {
        let dir = match *log {
            "issuance" => "issuance/checkpoints",
            _ => "log/checkpoints",
        };
        let path = record.join(format!("{dir}/{size}.txt"));
        let kept = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("the record lacks {}: {e}", path.display()));
        assert_eq!(&kept, note, "{}", path.display());
    }
    // The issuance checkpoint shown after voting is not the final one (the close publishes the
    // last, partial batch), so this test sees an intermediate checkpoint of each log.
    let finals = |dir: &str| {
        std::fs::read_dir(record.join(dir))
            .unwrap()
            .map(|f| {
                let name = f.unwrap().file_name().into_string().unwrap();
                name.trim_end_matches(".txt").parse::<u64>().unwrap()
            })
            .max()
            .unwrap()
    };
    assert!(shown[2].1.0 < finals("issuance/checkpoints"));
    assert!(shown[3].1.0 < finals("log/checkpoints"));
    std::fs::remove_dir_all(&election.dir).unwrap();
}

#[test]
fn every_checkpoint_signed_is_in_the_record_on_sqlite() {
    every_checkpoint_signed_is_in_the_record("checkpoints-sqlite", None);
}

#[test]
fn every_checkpoint_signed_is_in_the_record_on_postgresql() {
    every_checkpoint_signed_is_in_the_record(
        "checkpoints-postgres",
        Some(super::postgres_database("checkpoints_kept")),
    );
}
