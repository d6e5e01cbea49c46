//! An election's secret keys, in its key directory beside the database (never in it): the names
//! `election create` writes them under, and reading the ones the roles of this database use, each
//! checked against the public half the manifest publishes, so a key file of another contest or
//! election is caught when it is read rather than when a member's pass fails to verify.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{ElectionRow, Result, Roles, Store, StoreError};
use crate::core::crypto::IssuerSecretKey;
use crate::core::log::NoteSigner;
use crate::core::manifest::Manifest;

/// The file holding the key that signs member session tokens.
pub const SESSION_KEY_FILE: &str = "session.key";
/// The file holding the ballot box's checkpoint and promise key (a signed-note signer key).
pub const BALLOT_LOG_KEY_FILE: &str = "ballot-log.key";
/// The file holding the issuance log's checkpoint key (a signed-note signer key).
pub const ISSUANCE_LOG_KEY_FILE: &str = "issuance-log.key";

/// The file holding the issuer's secret key for a contest's passes (PKCS#8 DER).
pub fn issuer_key_file(contest: &str) -> String {
    format!("issuer-{contest}.pk8")
}

/// Why a key file could not be used. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("reading the key file {}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A signer key file is not UTF-8 text.
    #[error("{} is not text", .0.display())]
    NotText(PathBuf),
    /// A file does not hold the kind of key its name says.
    #[error("{} is not {kind}: {reason}", .path.display())]
    NotAKey {
        /// The file.
        path: PathBuf,
        /// What it should hold.
        kind: &'static str,
        /// Why it does not.
        reason: String,
    },
    /// The key is not the one the manifest publishes.
    #[error("{} is not the {what} the manifest publishes", .path.display())]
    NotPublished {
        /// The file.
        path: PathBuf,
        /// Which key, e.g. "issuer key for contest nec".
        what: String,
    },
    /// The session key is not 32 bytes.
    #[error("{} must hold 32 bytes, not {found}", .path.display())]
    SessionLength {
        /// The file.
        path: PathBuf,
        /// Its length.
        found: usize,
    },
}

/// An election's secret keys as the server uses them (the trustees' shares are not here): those
/// of the roles this database holds.
pub struct ServerKeys {
    /// The issuer's keys, if this database is the election's issuer.
    pub issuer: Option<IssuerKeys>,
    /// The ballot box's checkpoint and promise key, if this database is its ballot box.
    pub ballot_log: Option<NoteSigner>,
}

/// The issuer's secret keys.
pub struct IssuerKeys {
    /// The RSA secret keys that sign passes, one per contest, by contest id.
    pub passes: BTreeMap<String, IssuerSecretKey>,
    /// The issuance log's checkpoint key.
    pub issuance_log: NoteSigner,
    /// The key that signs member session tokens (`session.key`).
    pub session: zeroize::Zeroizing<[u8; 32]>,
}

impl IssuerKeys {
    /// The secret key for a contest's passes.
    pub fn pass_key(&self, contest: &str) -> Option<&IssuerSecretKey> {
        self.passes.get(contest)
    }
}

fn read(dir: &Path, name: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, KeyError> {
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(zeroize::Zeroizing::new(bytes)),
        Err(source) => Err(KeyError::Read { path, source }),
    }
}

/// A signed-note signer key, checked against the verifier key the manifest publishes.
fn signer(dir: &Path, name: &str, published: &str) -> Result<NoteSigner, KeyError> {
    let path = dir.join(name);
    let bytes = read(dir, name)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| KeyError::NotText(path.clone()))?;
    let signer = NoteSigner::parse(text.trim()).map_err(|e| KeyError::NotAKey {
        path: path.clone(),
        kind: "a signer key",
        reason: e.to_string(),
    })?;
    if signer.verifier().encode() != published {
        return Err(KeyError::NotPublished {
            path,
            what: "key".into(),
        });
    }
    Ok(signer)
}

/// A contest's issuer key, checked against the one the manifest publishes for it.
fn issuer_key(dir: &Path, manifest: &Manifest, contest: &str) -> Result<IssuerSecretKey, KeyError> {
    let path = dir.join(issuer_key_file(contest));
    let not_a_key = |reason: String| KeyError::NotAKey {
        path: path.clone(),
        kind: "an issuer key",
        reason,
    };
    let key = IssuerSecretKey::from_der(&read(dir, &issuer_key_file(contest))?)
        .map_err(|e| not_a_key(e.to_string()))?;
    let public =
        (key.public_key().and_then(|k| k.to_der())).map_err(|e| not_a_key(e.to_string()))?;
    let published = (manifest.contest(contest).map(|c| c.issuer_key().to_der()))
        .transpose()
        .map_err(|e| not_a_key(e.to_string()))?;
    if published.as_ref() != Some(&public) {
        return Err(KeyError::NotPublished {
            path,
            what: format!("issuer key for contest {contest}"),
        });
    }
    Ok(key)
}

/// Reads the keys of the roles this database holds from an election's key directory. A ballot
/// box's directory needs only the ballot log's key; an issuer's, the rest.
pub fn load_keys(dir: &Path, manifest: &Manifest, roles: Roles) -> Result<ServerKeys, KeyError> {
    let keys = &manifest.draft().keys;
    let ballot_log = match roles.ballot_box() {
        true => Some(signer(dir, BALLOT_LOG_KEY_FILE, &keys.ballot_log)?),
        false => None,
    };
    if !roles.issuer() {
        return Ok(ServerKeys {
            issuer: None,
            ballot_log,
        });
    }
    let mut passes = BTreeMap::new();
    for contest in manifest.contests() {
        passes.insert(
            contest.id().to_owned(),
            issuer_key(dir, manifest, contest.id())?,
        );
    }
    let session = read(dir, SESSION_KEY_FILE)?;
    let session = <[u8; 32]>::try_from(&session[..]).map_err(|_| KeyError::SessionLength {
        path: dir.join(SESSION_KEY_FILE),
        found: session.len(),
    })?;
    Ok(ServerKeys {
        issuer: Some(IssuerKeys {
            passes,
            issuance_log: signer(dir, ISSUANCE_LOG_KEY_FILE, &keys.issuance_log)?,
            session: zeroize::Zeroizing::new(session),
        }),
        ballot_log,
    })
}

impl ElectionRow {
    /// The stored manifest.
    pub fn manifest(&self) -> Result<Manifest> {
        Manifest::parse(&self.manifest)
            .map_err(|e| StoreError::Damaged(format!("the stored manifest of {:?} ({e})", self.id)))
    }

    /// The keys of the roles this database holds, from the election's key directory.
    pub fn keys(&self, manifest: &Manifest) -> Result<ServerKeys> {
        Ok(load_keys(
            Path::new(&self.key_dir),
            manifest,
            self.roles()?,
        )?)
    }
}

impl Store {
    /// `teller election close`, and `teller serve` at the closing time: the roles this database
    /// holds end, with the keys from the election's key directory: the issuer's last issuances
    /// published with its final checkpoint; the ballot box's `close` entry and final checkpoint.
    /// Returns the ballot log's size.
    pub fn close(&self, election: &str) -> Result<u64> {
        let row = self.election(election)?;
        let manifest = row.manifest()?;
        let keys = row.keys(&manifest)?;
        self.close_election(
            &manifest,
            row.roles()?,
            keys.ballot_log.as_ref(),
            keys.issuer.as_ref().map(|k| &k.issuance_log),
        )
    }
}
