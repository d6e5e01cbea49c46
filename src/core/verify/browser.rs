//! The verifier as the browser runs it (booth/verify-worker.js, through the WebAssembly module):
//! a record archive in, one JSON answer out with every check, the totals, the invalid ballots and
//! the report text exactly as `teller verify` prints it, so the page and the CLI cannot disagree.
//!
//! The browser has no threads that share memory, so the page shares the per-ballot checks out
//! over several workers ([`part`], see `parts`) and hands their parts to the one that verifies
//! ([`verify`]). The requests are bytes, laid out here (all integers little-endian `u32`):
//!
//! - `part`: the part's number, the number of parts, then the archive. The answer is the part's
//!   bytes ([`BallotPart::to_bytes`]); an archive that cannot be read gives an empty part (the
//!   verification then says why).
//! - `verify`: a flags byte (1: a fingerprint follows), the 32-byte fingerprint the scrutineer
//!   was given if flagged, the archive's length, the archive, then each part's length and bytes.

use serde_json::{Value, json};

use super::parts::{BallotPart, check_part};
use super::{Progress, Record, Verification, VerifyOptions, hex, verify_with_parts};
use crate::core::archive;

/// Answers a `part` request (see the module's documentation).
pub fn part(request: &[u8], progress: &(dyn Fn(Progress) + Sync)) -> Vec<u8> {
    let mut at = request;
    let (Some(part), Some(parts)) = (take_u32(&mut at), take_u32(&mut at)) else {
        return BallotPart::default().to_bytes();
    };
    match archive::read(at) {
        Ok((_, files)) => check_part(&Record { files }, part, parts, progress).to_bytes(),
        Err(_) => BallotPart::default().to_bytes(),
    }
}

/// Answers a `verify` request (see the module's documentation) with `{"ok": …}`, or with
/// `{"error": {"code", "message"}}` when the request or the archive cannot be read.
pub fn verify(request: &[u8], progress: &(dyn Fn(Progress) + Sync)) -> Vec<u8> {
    let answer = match run(request, progress) {
        Ok(ok) => json!({ "ok": ok }),
        Err((code, message)) => json!({ "error": { "code": code, "message": message } }),
    };
    // A `Value` always serialises.
    serde_json::to_vec(&answer).unwrap_or_default()
}

fn run(
    request: &[u8],
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Value, (&'static str, String)> {
    let malformed = || ("request", "the verifier's request is malformed".to_owned());
    let mut at = request;
    let (&flags, rest) = at.split_first().ok_or_else(malformed)?;
    at = rest;
    let fingerprint = match flags {
        0 => None,
        1 => {
            let (fingerprint, rest) = at.split_first_chunk::<32>().ok_or_else(malformed)?;
            at = rest;
            Some(*fingerprint)
        }
        _ => return Err(malformed()),
    };
    let archive = take_bytes(&mut at).ok_or_else(malformed)?;
    let mut parts = Vec::new();
    while !at.is_empty() {
        let bytes = take_bytes(&mut at).ok_or_else(malformed)?;
        parts.push(BallotPart::from_bytes(bytes).map_err(|e| ("request", e.to_string()))?);
    }
    let (top, files) = archive::read(archive)
        .map_err(|e| ("archive", format!("the record archive cannot be read: {e}")))?;
    let record = Record { files };
    let options = VerifyOptions {
        threads: 1,
        fingerprint,
        progress,
    };
    Ok(answer(
        &top,
        &record,
        &verify_with_parts(&record, &options, &parts),
    ))
}

fn take_u32(at: &mut &[u8]) -> Option<usize> {
    let (n, rest) = at.split_first_chunk::<4>()?;
    *at = rest;
    usize::try_from(u32::from_le_bytes(*n)).ok()
}

fn take_bytes<'r>(at: &mut &'r [u8]) -> Option<&'r [u8]> {
    let n = take_u32(at)?;
    let rest: &'r [u8] = at;
    if rest.len() < n {
        return None;
    }
    let (bytes, rest) = rest.split_at(n);
    *at = rest;
    Some(bytes)
}

fn answer(top: &str, record: &Record, result: &Verification) -> Value {
    let checks: Vec<Value> = (result.checks.iter())
        .map(|c| json!({ "name": c.name, "failure": c.failure }))
        .collect();
    let totals: Vec<Value> = (result.totals.iter())
        .map(|t| {
            json!({
                "contest": t.contest, "eligible": t.eligible, "issued": t.issued,
                "reissued": t.reissued, "removed": t.removed,
                "removed_holding_pass": t.removed_holding_pass, "cast": t.cast, "counted": t.counted,
                "valid": t.valid, "invalid": t.invalid,
            })
        })
        .collect();
    let invalid: Vec<Value> = (result.invalid.iter())
        .map(|(contest, entry, reason)| {
            json!({ "contest": contest, "entry": entry, "reason": reason.to_string() })
        })
        .collect();
    let manifest = (record.files.get(crate::core::record::layout::MANIFEST))
        .and_then(|bytes| crate::core::manifest::Manifest::parse(bytes).ok());
    json!({
        "archive": top,
        "files": record.files.len(),
        "bytes": record.files.values().map(Vec::len).sum::<usize>(),
        "election": manifest.as_ref().map(|m| m.draft().election.clone()),
        "fingerprint": manifest.as_ref().map(|m| hex(&m.fingerprint())),
        "passed": result.passed(),
        "failed": result.checks.iter().filter(|c| c.failure.is_some()).count(),
        "checks": checks,
        "totals": totals,
        "invalid": invalid,
        "report": result.report(record),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{OPTIONS, fixture};
    use super::*;

    fn quiet(_: Progress) {}

    /// A `verify` request for `archive` with `parts`.
    fn request(archive: &[u8], fingerprint: Option<[u8; 32]>, parts: &[Vec<u8>]) -> Vec<u8> {
        let mut out = match fingerprint {
            Some(f) => [&[1u8][..], &f].concat(),
            None => vec![0],
        };
        for bytes in std::iter::once(archive).chain(parts.iter().map(Vec::as_slice)) {
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        out
    }

    fn answer_of(request: &[u8]) -> Value {
        serde_json::from_slice(&verify(request, &quiet)).unwrap()
    }

    #[test]
    fn the_answer_carries_the_clis_report_and_every_check_with_or_without_parts() {
        let record = fixture();
        let (archive, _) = archive::publish("nec-2026", &record.files);
        let parts: Vec<Vec<u8>> = (0..2u32)
            .map(|k| {
                let head = [k.to_le_bytes(), 2u32.to_le_bytes()].concat();
                part(&[&head[..], &archive].concat(), &quiet)
            })
            .collect();
        let expected = super::super::verify(&record, &OPTIONS).report(&record);
        for parts in [&[][..], &parts[..]] {
            let answer = answer_of(&request(&archive, None, parts));
            let ok = &answer["ok"];
            assert_eq!(ok["passed"], true);
            assert_eq!(ok["archive"], "nec-2026-record");
            assert_eq!(
                ok["checks"].as_array().unwrap().len(),
                super::super::CHECKS.len()
            );
            assert_eq!(ok["report"].as_str().unwrap(), expected);
            assert_eq!(ok["totals"][0]["contest"], "nec");
        }
    }

    #[test]
    fn a_wrong_fingerprint_fails_the_manifest_check() {
        let (archive, _) = archive::publish("nec-2026", &fixture().files);
        let answer = answer_of(&request(&archive, Some([9; 32]), &[]));
        assert_eq!(answer["ok"]["passed"], false);
        assert_eq!(answer["ok"]["checks"][0]["name"], super::super::MANIFEST);
        assert!(answer["ok"]["checks"][0]["failure"].is_string());
    }

    #[test]
    fn what_is_not_an_archive_or_not_a_request_is_an_error_not_a_verdict() {
        for bytes in [&b""[..], b"not a tar file at all", &[0u8; 1024]] {
            let answer = answer_of(&request(bytes, None, &[]));
            assert_eq!(answer["error"]["code"], "archive", "{answer}");
        }
        let (archive, _) = archive::publish("nec-2026", &fixture().files);
        let whole = request(&archive, None, &[b"junk".to_vec()]);
        for bad in [&[][..], &[2u8][..], &[1u8, 0][..], &whole[..20], &whole] {
            let answer = answer_of(bad);
            assert_eq!(answer["error"]["code"], "request", "{answer}");
        }
    }
}
