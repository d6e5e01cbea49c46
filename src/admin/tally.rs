//! The tally: the trustees' shares read and checked, the election key rebuilt and revealed,
//! every ballot opened and each contest counted into the record, which is verified whole before
//! the results are stored (`teller tally`; `teller simulate` uses the same steps).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail, ensure};

use super::office::{Officers, record};
use crate::core::crypto::{ElectionSecretKey, Share, ShareError, decode_bytes, reconstruct};
use crate::core::log::{BallotEntry, Entry};
use crate::core::manifest::Manifest;
use crate::core::record::{
    Opened, Reveal, RevealedShare, layout, replaced, reveal_file, tally_contest,
};
use crate::core::verify::{Progress, Record, VerifyOptions, par_map, verify};
use crate::store::{BALLOTS, ElectionState, Store};

/// Reads a trustee's share file (`<index> <base64url value>`).
pub fn read_share(path: &Path) -> Result<Share> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("reading the share file {}", path.display()))?;
    parse_share(&text, &path.display().to_string())
}

/// Parses the text of a trustee's share file (`<index> <base64url value>`, as
/// `admin::write_keys` writes it); errors start with `name`, the file's name.
pub fn parse_share(text: &str, name: &str) -> Result<Share> {
    let (index, value) = text
        .trim()
        .split_once(' ')
        .ok_or_else(|| anyhow!("{name} is not a share file (`<index> <value>`)"))?;
    let index: u8 = index
        .parse()
        .map_err(|_| anyhow!("{name}: the share index is not a number"))?;
    let value: [u8; 32] = decode_bytes(value)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| anyhow!("{name}: the share value is not 32 bytes"))?;
    Share::new(index, value).map_err(|e| anyhow!("{name}: {e}"))
}

/// `teller tally`: t shares rebuild the key; every ballot is opened and each contest counted; the
/// whole record is verified before the results are stored. Returns the record.
pub fn tally_election(
    store: &Store,
    election: &str,
    issuer_part: Option<&Path>,
    shares: &[Share],
    threads: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Record> {
    let row = store.election(election)?;
    ensure!(
        row.is(ElectionState::Closed),
        "election {election:?} is {}: the tally runs once, after the election closes",
        row.state
    );
    let manifest = row.manifest()?;
    ensure!(
        shares.len() >= manifest.threshold(),
        "{} share(s) given; this election needs {} of its trustees' shares",
        shares.len(),
        manifest.threshold()
    );
    let mut record = record(store, election, issuer_part, Officers::default())?;
    // What the tally adds is stored with the results; and so, on a ballot box run apart from its
    // issuer, is the issuer's part it was given: the database then holds the whole record, for
    // the server to publish (`Store::published_record`).
    let from_issuer = |path: &str| {
        issuer_part.is_some()
            && (path == layout::ISSUANCE_LOG || path.starts_with(layout::ISSUANCE_CHECKPOINTS))
    };
    // The events log as it stands at the tally is stored with it, signed, whichever database
    // made it: the published record is then the one verified here.
    let events = |path: &str| path == layout::EVENTS || path == layout::EVENTS_NOTE;
    let before: Vec<String> = (record.files.keys())
        .filter(|p| !from_issuer(p) && !events(p))
        .cloned()
        .collect();
    let key = reveal_key(&manifest, shares, &mut record.files)
        .context("rebuilding the election key from the shares")?;
    let log: Vec<Vec<u8>> = record.files[layout::BALLOT_LOG]
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let size = log.len() as u64;
    let final_root = crate::core::log::root(
        &log.iter()
            .map(|e| crate::core::log::leaf_hash(e))
            .collect::<Vec<_>>(),
    );
    let checkpoint = store.checkpoints(election, BALLOTS)?;
    ensure!(
        checkpoint.last().map(|(s, _)| *s as u64) == Some(size),
        "the ballot log of {election:?} has no final checkpoint"
    );
    let step =
        |stage: &'static str, done: usize, total: usize| progress(Progress { stage, done, total });
    tally(
        &manifest,
        &log,
        &key,
        &final_root,
        threads,
        &step,
        &mut record.files,
    )?;
    let verification = verify(
        &record,
        &VerifyOptions {
            threads,
            fingerprint: Some(manifest.fingerprint()),
            progress,
        },
    );
    if !verification.passed() {
        let failed: Vec<String> = verification
            .checks
            .iter()
            .filter_map(|c| {
                c.failure
                    .as_ref()
                    .map(|f| format!("  FAIL {}: {f}", c.name))
            })
            .collect();
        bail!(
            "the record does not verify, so the results are not stored:\n{}",
            failed.join("\n")
        );
    }
    let new: Vec<(String, Vec<u8>)> = record
        .files
        .iter()
        .filter(|(path, _)| !before.contains(path))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    store.store_tally(election, new)?;
    Ok(record)
}

/// A share error naming the trustee (by name, when the ceremony names them).
fn named_share_error(manifest: &Manifest, error: ShareError) -> anyhow::Error {
    match error {
        ShareError::WrongShare { index } => anyhow!(
            "the share of {} does not match its commitment in the manifest: a wrong or altered \
             share file (nothing was revealed)",
            manifest.trustee_name(index)
        ),
        ShareError::BadIndex { index, trustees } => anyhow!(
            "a share file says trustee {index}, but this election has {trustees} trustees: it is \
             not a share of this election"
        ),
        other => anyhow!(other),
    }
}

/// The key reveal: the shares the trustees `brought`, checked and combined; written to the record.
pub(crate) fn reveal_key(
    manifest: &Manifest,
    brought: &[Share],
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<ElectionSecretKey> {
    let key: ElectionSecretKey = reconstruct(
        brought,
        &manifest.share_commitments(),
        manifest.threshold(),
        manifest.key_origin(),
    )
    .map_err(|e| named_share_error(manifest, e))?;
    let reveal = Reveal {
        key: key.to_bytes().into(),
        shares: brought
            .iter()
            .map(|s| RevealedShare {
                index: i64::from(s.index()),
                value: s.value().into(),
            })
            .collect(),
    };
    files.insert(layout::REVEAL.into(), reveal_file(&reveal)?);
    Ok(key)
}

/// Opens every ballot of the closed `log` and tallies each contest into the record.
pub(crate) fn tally(
    manifest: &Manifest,
    log: &[Vec<u8>],
    key: &ElectionSecretKey,
    final_root: &[u8; 32],
    threads: usize,
    step: &(dyn Fn(&'static str, usize, usize) + Sync),
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<()> {
    let fingerprint = manifest.fingerprint();
    let entries: Vec<Entry> = log
        .iter()
        .map(|bytes| Entry::decode(bytes))
        .collect::<Result<_, _>>()?;
    let cast: Vec<&BallotEntry> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Ballot(b) => Some(b),
            _ => None,
        })
        .collect();
    let total = cast.len();
    let plaintexts = par_map(
        &cast,
        threads,
        |b| {
            crate::core::crypto::open(
                key,
                &fingerprint,
                &b.contest,
                &b.pass.key.array(),
                &b.sealed(),
            )
            .ok()
        },
        |done| step("opening ballots", done, total),
    );
    let replaced = replaced(&entries);
    for (c, contest) in manifest.contests().iter().enumerate() {
        step("counting", c, manifest.contests().len());
        let opened: Vec<Opened> = cast
            .iter()
            .zip(&plaintexts)
            .filter(|(b, _)| b.contest == contest.id())
            .map(|(b, p)| Opened {
                seq: b.seq,
                plaintext: p.clone(),
            })
            .collect();
        let tally = tally_contest(contest, &opened, &replaced, final_root)?;
        files.insert(layout::decryptions(contest.id()), tally.decryptions);
        files.insert(layout::blt(contest.id()), tally.blt);
        files.insert(layout::results(contest.id()), tally.results);
    }
    step(
        "counting",
        manifest.contests().len(),
        manifest.contests().len(),
    );
    Ok(())
}
