//! Witness cosignatures (§14 check `witness-cosignatures`, §16): every cosignature line on a
//! checkpoint of either log by a witness the manifest names verifies, and each log's final
//! checkpoint (the one covering every entry) carries the manifest's quorum of them. A witness
//! cosigns only a checkpoint consistent with every one it cosigned before, so a quorum on the
//! final checkpoints means the log the count used is the log the witnesses watched grow.

use super::{Verifier, WITNESS_COSIGNATURES, par_map};
use crate::core::log::{cosignatures, short_of_quorum};
use crate::core::manifest::Manifest;
use crate::core::record::layout;

/// What one witness cosigned in the record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cosigners {
    /// The witness's name.
    pub witness: String,
    /// Ballot-log checkpoints it cosigned.
    pub ballot_checkpoints: usize,
    /// The largest of them, by size.
    pub ballot_largest: Option<u64>,
    /// Issuance-log checkpoints it cosigned.
    pub issuance_checkpoints: usize,
    /// The largest of them, by size.
    pub issuance_largest: Option<u64>,
}

impl Verifier<'_> {
    /// Checks the cosignatures on both logs' checkpoints and tallies them per witness.
    pub(super) fn witness_cosignatures(&mut self, manifest: &Manifest) {
        let keys = manifest.witnesses();
        if keys.is_empty() {
            return;
        }
        self.witnesses = (keys.iter())
            .map(|k| Cosigners {
                witness: k.name().to_owned(),
                ..Cosigners::default()
            })
            .collect();
        for (what, dir, entries) in [
            ("ballot log", layout::BALLOT_CHECKPOINTS, layout::BALLOT_LOG),
            (
                "issuance log",
                layout::ISSUANCE_CHECKPOINTS,
                layout::ISSUANCE_LOG,
            ),
        ] {
            let files: Vec<(u64, &String, &[u8])> = (self.record.files.range(dir.to_owned()..))
                .take_while(|(path, _)| path.starts_with(dir))
                .filter_map(|(path, bytes)| {
                    let size = path.strip_prefix(dir)?.strip_suffix(".txt")?.parse().ok()?;
                    Some((size, path, bytes.as_slice()))
                })
                .collect();
            let count = files.len();
            let checked = par_map(
                &files,
                self.options.threads,
                |(_, _, bytes)| cosignatures(bytes, keys),
                |done| self.progress("checking cosignatures", done, count),
            );
            let mut final_names = None;
            let final_size = (self.record.files.get(entries))
                .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count() as u64);
            for ((size, path, _), result) in files.iter().zip(checked) {
                let cosigned = match result {
                    Ok(cosigned) => cosigned,
                    Err(e) => {
                        self.fail(WITNESS_COSIGNATURES, format!("{path}: {e}"));
                        continue;
                    }
                };
                for c in &cosigned {
                    let Some(tally) = self.witnesses.iter_mut().find(|t| t.witness == c.witness)
                    else {
                        continue;
                    };
                    let (n, largest) = if dir == layout::BALLOT_CHECKPOINTS {
                        (&mut tally.ballot_checkpoints, &mut tally.ballot_largest)
                    } else {
                        (&mut tally.issuance_checkpoints, &mut tally.issuance_largest)
                    };
                    *n += 1;
                    *largest = (*largest).max(Some(*size));
                }
                if Some(*size) == final_size {
                    final_names = Some(cosigned.into_iter().map(|c| c.witness).collect::<Vec<_>>());
                }
            }
            let (Some(size), Some(names)) = (final_size, final_names) else {
                // No final checkpoint: `final-checkpoint` or `issuance-log` says so.
                continue;
            };
            if names.len() < manifest.witness_quorum() {
                self.fail(
                    WITNESS_COSIGNATURES,
                    format!(
                        "the {what}'s final checkpoint (size {size}) is {}",
                        short_of_quorum(&names, manifest.witness_quorum())
                    ),
                );
            }
        }
    }
}
