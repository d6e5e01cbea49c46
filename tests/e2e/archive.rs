//! The record as one download (issue 13): `GET /api/elections/{id}/record` serves the tallied
//! record as a deterministic archive, the same bytes as `teller record export ID FILE.tar`, and
//! `teller verify` passes it as it passes the directory.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::cli::teller;
use super::{ELECTION, Election, Server, agent, run, verify_passes, vote_sim};

/// Downloads the record from `server` twice (the same bytes, named by the SHA-256 the server
/// sends), checks it holds exactly the files of the exported directory `record` and that
/// `teller verify` passes it; returns where it was saved.
pub(crate) fn download_and_verify(server: &Server, record: &Path) -> PathBuf {
    let download = || {
        let mut response = agent().get(server.api("/record")).call().unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let header = |name: &str| {
            (response.headers().get(name))
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(header("content-type"), "application/x-tar");
        assert_eq!(
            header("content-disposition"),
            format!("attachment; filename=\"{ELECTION}-record.tar\"")
        );
        let sha256 = header("x-record-sha256");
        let bytes = response
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .unwrap();
        (bytes, sha256)
    };
    let (bytes, sha256) = download();
    assert_eq!(
        sha256,
        base16ct::lower::encode_string(&Sha256::digest(&bytes))
    );
    assert_eq!(download(), (bytes.clone(), sha256));

    let (top, files) = teller::core::archive::read(bytes.as_slice()).unwrap();
    assert_eq!(top, format!("{ELECTION}-record"));
    assert_eq!(files, teller::admin::read_record(record).unwrap().files);

    let archive = record.with_extension("download.tar");
    std::fs::write(&archive, &bytes).unwrap();
    verify_passes(&archive);
    archive
}

#[test]
fn the_tallied_record_downloads_as_one_archive_that_verifies() {
    let election = Election::open("archive", None, 40);
    let server = Server::start(&election.db);
    vote_sim(&[&server], &election, &["--turnout", "0.6"]);

    // Nothing to download before the tally.
    let early = agent().get(server.api("/record")).call().unwrap();
    assert_eq!(early.status().as_u16(), 404);

    let record = election.close_tally_verify_record();
    let downloaded = download_and_verify(&server, &record);

    // The officer's export is the same bytes, and says their SHA-256.
    let exported = election.path("exported.tar");
    let out = run(&election.db, &["record", "export", ELECTION, &exported]);
    let bytes = std::fs::read(&exported).unwrap();
    assert_eq!(bytes, std::fs::read(&downloaded).unwrap());
    let sha256 = base16ct::lower::encode_string(&Sha256::digest(&bytes));
    assert!(out.contains(&sha256), "{out}");

    // Any tar tool reads it, and its extraction verifies as a directory.
    let listing = std::process::Command::new("tar")
        .arg("-tvf")
        .arg(&exported)
        .output()
        .unwrap();
    assert!(listing.status.success());
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert!(
        listing.contains(&format!("{ELECTION}-record/manifest.json")),
        "{listing}"
    );
    let extracted = election.dir.join("extracted");
    std::fs::create_dir(&extracted).unwrap();
    let status = std::process::Command::new("tar")
        .arg("-xf")
        .arg(&exported)
        .arg("-C")
        .arg(&extracted)
        .status()
        .unwrap();
    assert!(status.success());
    verify_passes(&extracted.join(format!("{ELECTION}-record")));

    // A flipped byte in a file's data: the archive still reads, the verifier names the damage.
    let mut tampered = bytes.clone();
    let at = find(&tampered, b"\"type\":\"ballot\"").unwrap() + 40;
    tampered[at] ^= 1;
    let bad = election.path("tampered.tar");
    std::fs::write(&bad, &tampered).unwrap();
    let verify = teller().args(["verify", &bad, "--quiet"]).output().unwrap();
    assert_eq!(verify.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("FAIL"));

    // A cut archive is refused with a reason, not verified short.
    std::fs::write(&bad, &bytes[..bytes.len() - 2048]).unwrap();
    let verify = teller().args(["verify", &bad, "--quiet"]).output().unwrap();
    assert_eq!(verify.status.code(), Some(2));
    let error = String::from_utf8_lossy(&verify.stderr);
    assert!(error.contains("reading the record archive"), "{error}");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
