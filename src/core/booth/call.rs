//! The booth's one entry point, [`call`]: a JSON request `{"op": …}` in, `{"ok": …}` or
//! `{"error": {"code", "message"}}` out, each op one of the functions of [`super`].

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use serde::{Deserialize, Serialize};

use super::*;

/// A booth request (the `op` field names it).
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Request {
    /// Check the manifest against the fingerprint.
    OpenManifest {
        manifest: String,
        fingerprint: String,
    },
    /// The voting key a secret derives for a contest.
    VotingKey {
        manifest: String,
        secret: Bytes<16>,
        contest: String,
    },
    /// Blind pass requests.
    PassRequests {
        manifest: String,
        secret: Bytes<16>,
        contests: Vec<String>,
    },
    /// Unblind and check the issuer's answers.
    FinalizePasses {
        manifest: String,
        secret: Bytes<16>,
        answers: Vec<PassAnswer>,
    },
    /// Seal and sign a ranking.
    Seal {
        manifest: String,
        secret: Bytes<16>,
        contest: String,
        pass: PassJson,
        ranking: Vec<usize>,
        #[serde(default)]
        replaces: Option<i64>,
        ikm: Bytes<32>,
    },
    /// Check an audit.
    CheckAudit {
        manifest: String,
        audit: BallotAudit,
    },
    /// Check a receipt against a checkpoint, the entry and its proof.
    CheckReceipt {
        manifest: String,
        receipt: Receipt,
        checkpoint: String,
        entry: String,
        proof: String,
    },
    /// Check one checkpoint; answers its size.
    CheckCheckpoint {
        manifest: String,
        checkpoint: String,
    },
    /// Check consistency between two checkpoints.
    CheckConsistency {
        manifest: String,
        older: String,
        newer: String,
        proof: String,
    },
}

/// The issuer's answer for one contest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PassAnswer {
    contest: String,
    blind_signature: Bytes<0>,
}

#[derive(Serialize)]
struct PassOut {
    contest: String,
    pass: PassJson,
}

/// One arm per op: the booth's whole interface in one place.
fn answer(request: Request) -> Result<serde_json::Value, BoothError> {
    match request {
        Request::OpenManifest {
            manifest,
            fingerprint,
        } => {
            let manifest = open_manifest(manifest.as_bytes(), &fingerprint)?;
            Ok(serde_json::json!({ "fingerprint": manifest.fingerprint_hex() }))
        }
        Request::VotingKey {
            manifest,
            secret,
            contest: id,
        } => {
            let manifest = Manifest::parse(manifest.as_bytes())?;
            contest(&manifest, &id)?;
            let secret = PassSecret::from_bytes(secret.array());
            let key = secret
                .voting_key(&manifest.fingerprint(), &id)
                .verifying_key();
            value(&Bytes::<32>::from(key.to_bytes()))
        }
        Request::PassRequests {
            manifest,
            secret,
            contests,
        } => {
            let manifest = Manifest::parse(manifest.as_bytes())?;
            let secret = PassSecret::from_bytes(secret.array());
            value(&pass_requests(&manifest, &secret, &contests)?)
        }
        Request::FinalizePasses {
            manifest,
            secret,
            answers,
        } => {
            let manifest = Manifest::parse(manifest.as_bytes())?;
            let secret = PassSecret::from_bytes(secret.array());
            let passes = answers
                .iter()
                .map(|a| {
                    Ok(PassOut {
                        contest: a.contest.clone(),
                        pass: finalize_pass(&manifest, &secret, &a.contest, &a.blind_signature.0)?,
                    })
                })
                .collect::<Result<Vec<_>, BoothError>>()?;
            value(&passes)
        }
        Request::Seal {
            manifest,
            secret,
            contest,
            pass,
            ranking,
            replaces,
            ikm,
        } => {
            let manifest = Manifest::parse(manifest.as_bytes())?;
            let secret = PassSecret::from_bytes(secret.array());
            let sealed = seal_ballot(
                &manifest,
                &secret,
                &contest,
                &pass,
                &ranking,
                replaces,
                &ikm.array(),
            )?;
            value(&sealed)
        }
        Request::CheckAudit { manifest, audit } => {
            let manifest = Manifest::parse(manifest.as_bytes())?;
            value(&check_audit(&manifest, &audit)?)
        }
        Request::CheckReceipt {
            manifest,
            receipt,
            checkpoint,
            entry,
            proof,
        } => {
            let manifest = Manifest::parse(manifest.as_bytes())?;
            let entry = entry.strip_suffix('\n').unwrap_or(&entry);
            value(&check_receipt(
                &manifest,
                &receipt,
                checkpoint.as_bytes(),
                entry.as_bytes(),
                proof.as_bytes(),
            )?)
        }
        Request::CheckCheckpoint {
            manifest,
            checkpoint,
        } => {
            let manifest = Manifest::parse(manifest.as_bytes())?;
            let checkpoint_bytes = checkpoint.as_bytes();
            let checkpoint = ballot_checkpoint(&manifest, checkpoint_bytes)?;
            // Who cosigned it, for the booth to show; the quorum is `check_receipt`'s to enforce.
            let witnesses = checkpoint_witnesses(&manifest, checkpoint_bytes)?;
            Ok(serde_json::json!({
                "size": checkpoint.size(),
                "witnesses": witnesses,
                "quorum": manifest.witness_quorum(),
            }))
        }
        Request::CheckConsistency {
            manifest,
            older,
            newer,
            proof,
        } => {
            let manifest = Manifest::parse(manifest.as_bytes())?;
            check_consistency(
                &manifest,
                older.as_bytes(),
                newer.as_bytes(),
                proof.as_bytes(),
            )?;
            Ok(serde_json::json!({}))
        }
    }
}

fn value(answer: &impl Serialize) -> Result<serde_json::Value, BoothError> {
    serde_json::to_value(answer).map_err(|e| BoothError::Request(e.to_string()))
}

/// The booth's one entry point: a JSON request in, a JSON answer out (module docs).
pub fn call(request: &[u8]) -> Vec<u8> {
    let answer = serde_json::from_slice::<Request>(request)
        .map_err(|e| BoothError::Request(e.to_string()))
        .and_then(answer);
    let value = match answer {
        Ok(ok) => serde_json::json!({ "ok": ok }),
        Err(error) => serde_json::json!({
            "error": { "code": error.code(), "message": error.to_string() }
        }),
    };
    // A `Value` always serialises.
    serde_json::to_vec(&value).unwrap_or_default()
}
