//! The trustees' key ceremony on disk (docs/PROTOCOL.md §11.2): the exchange directory every
//! trustee reads and writes (a shared folder, a USB stick passed round, or copies by email), a
//! trustee's identity key file and its state file. The checks are `core::ceremony`'s.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::create::{secret_seed, write_secret};
use crate::core::ceremony::{Acceptance, Ceremony, Complaint, Round1, Round2, Setup, TrusteeSeed};
use crate::core::crypto::{Bytes, decode, encode};

/// The setup, written by the returning officer.
pub const SETUP_FILE: &str = "setup.json";

/// Trustee `i`'s round-1 file.
pub fn round1_file(i: u8) -> String {
    format!("round1-{i}.json")
}

/// Trustee `i`'s round-2 file.
pub fn round2_file(i: u8) -> String {
    format!("round2-{i}.json")
}

/// Trustee `i`'s acceptance.
pub fn accept_file(i: u8) -> String {
    format!("accept-{i}.json")
}

/// Trustee `by`'s complaint against trustee `against`.
pub fn complaint_file(by: u8, against: u8) -> String {
    format!("complaint-{by}-against-{against}.json")
}

/// The exchange directory of one ceremony.
pub struct Exchange {
    dir: PathBuf,
}

impl Exchange {
    /// The exchange directory at `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
        }
    }

    /// The path of `name` in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Reads `name` if it is there; a file that is there but not a canonical file of its kind is
    /// an error naming it.
    pub fn read<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let path = self.path(name);
        match fs::read(&path) {
            Ok(bytes) => decode(&bytes)
                .map(Some)
                .map_err(|e| anyhow!("{} is not a ceremony file of its kind: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes `value` as `name` (canonical JSON), atomically. A file of that name that is there
    /// already is left alone if it holds the same bytes, and refused otherwise: nobody's file is
    /// ever replaced.
    pub fn write<T: Serialize>(&self, name: &str, value: &T) -> Result<PathBuf> {
        let bytes = encode(value)?;
        let path = self.path(name);
        match fs::read(&path) {
            Ok(existing) if existing == bytes => return Ok(path),
            Ok(_) => bail!(
                "{} is there already and differs; a ceremony file is never replaced (remove it \
                 only if you know it is yours and was never sent)",
                path.display()
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let temporary = self.path(&format!(".{name}.tmp"));
        let mut file = fs::File::create(&temporary)
            .with_context(|| format!("creating {}", temporary.display()))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", temporary.display()))?;
        fs::rename(&temporary, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// The setup.
    pub fn setup(&self) -> Result<Setup> {
        let setup: Setup = self.read(SETUP_FILE)?.ok_or_else(|| {
            anyhow!(
                "{} is not there: the returning officer writes it with `teller trustee setup`",
                self.path(SETUP_FILE).display()
            )
        })?;
        setup.check()?;
        Ok(setup)
    }

    /// Every trustee's file of one kind, trustee 1 first; a missing one is named.
    fn all<T: serde::de::DeserializeOwned>(
        &self,
        setup: &Setup,
        what: &str,
        name: fn(u8) -> String,
    ) -> Result<Vec<T>> {
        let mut files = Vec::with_capacity(setup.count());
        for i in 1..=setup.count() as u8 {
            let file = self.read(&name(i))?.ok_or_else(|| {
                anyhow!(
                    "waiting for {what} of trustee {i} ({}): {} is not there yet",
                    setup.name(i),
                    self.path(&name(i)).display()
                )
            })?;
            files.push(file);
        }
        Ok(files)
    }

    /// Every trustee's round-1 file.
    pub fn round1(&self, setup: &Setup) -> Result<Vec<Round1>> {
        self.all(setup, "round 1", round1_file)
    }

    /// Every trustee's round-2 file.
    pub fn round2(&self, setup: &Setup) -> Result<Vec<Round2>> {
        self.all(setup, "round 2", round2_file)
    }

    /// Every trustee's acceptance.
    pub fn accepted(&self, setup: &Setup) -> Result<Vec<Acceptance>> {
        self.all(setup, "the acceptance", accept_file)
    }

    /// The complaints in the directory, in name order.
    pub fn complaints(&self) -> Result<Vec<(String, Complaint)>> {
        let mut names: Vec<String> = fs::read_dir(&self.dir)
            .with_context(|| format!("reading {}", self.dir.display()))?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with("complaint-") && name.ends_with(".json"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let complaint = self
                    .read(&name)?
                    .ok_or_else(|| anyhow!("{name} vanished"))?;
                Ok((name, complaint))
            })
            .collect()
    }

    /// The whole ceremony, as `election create` puts it in the manifest: refused unless every
    /// file is there and it checks.
    pub fn ceremony(&self) -> Result<Ceremony> {
        let setup = self.setup()?;
        let ceremony = Ceremony {
            round1: self.round1(&setup)?,
            round2: self.round2(&setup)?,
            accepted: self.accepted(&setup)?,
            setup,
        };
        ceremony.check()?;
        Ok(ceremony)
    }
}

/// A trustee's identity key file: its name and Ed25519 secret key.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityFile {
    name: String,
    secret: Bytes<32>,
}

/// A trustee's identity: the name it gave itself and its signing key.
pub struct Identity {
    /// The name, as the trustee gave it to `keygen`.
    pub name: String,
    /// The Ed25519 key every ceremony file of this trustee is signed with.
    pub key: SigningKey,
}

impl Identity {
    /// The public line to give the returning officer: `NAME=KEY` (the key in base64url).
    pub fn public_line(&self) -> String {
        format!(
            "{}={}",
            self.name,
            crate::core::crypto::encode_bytes(self.key.verifying_key().as_bytes())
        )
    }
}

/// Makes a trustee identity key and writes it to `path` (owner-only, never replacing a file).
pub fn write_identity(path: &Path, name: &str) -> Result<Identity> {
    if name.trim().is_empty() || name.contains('=') || name.chars().any(char::is_control) {
        bail!("the name {name:?} must be printable, not empty, and without `=`");
    }
    let seed = secret_seed()?;
    let file = IdentityFile {
        name: name.trim().to_owned(),
        secret: Bytes(seed.to_vec()),
    };
    let bytes = Zeroizing::new(encode(&file)?);
    write_secret(path, &bytes)?;
    Ok(Identity {
        name: file.name,
        key: SigningKey::from_bytes(&seed),
    })
}

/// Reads a trustee identity key file.
pub fn read_identity(path: &Path) -> Result<Identity> {
    let bytes = Zeroizing::new(
        fs::read(path).with_context(|| format!("reading the trustee key {}", path.display()))?,
    );
    let file: IdentityFile =
        decode(&bytes).map_err(|e| anyhow!("{} is not a trustee key file: {e}", path.display()))?;
    let secret = Zeroizing::new(file.secret.array());
    Ok(Identity {
        name: file.name,
        key: SigningKey::from_bytes(&secret),
    })
}

/// A trustee's state for one ceremony: the setup it is for and its seed.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    setup: Bytes<32>,
    seed: Bytes<32>,
}

/// The seed in the trustee's state file for `setup`: made and written (owner-only) when the file
/// is not there, read when it is; a state file of another ceremony is refused.
pub fn trustee_seed(path: &Path, setup: &Setup, create: bool) -> Result<TrusteeSeed> {
    match fs::read(path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            let state: StateFile = decode(&bytes)
                .map_err(|e| anyhow!("{} is not a trustee state file: {e}", path.display()))?;
            if state.setup.array() != setup.id() {
                bail!(
                    "{} is the state of another ceremony (another setup.json); give the state \
                     file of this one",
                    path.display()
                );
            }
            Ok(TrusteeSeed::from_bytes(state.seed.array()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let seed = secret_seed()?;
            let state = StateFile {
                setup: setup.id().into(),
                seed: Bytes(seed.to_vec()),
            };
            write_secret(path, &Zeroizing::new(encode(&state)?))?;
            Ok(TrusteeSeed::from_bytes(*seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{} is not there: it is written by `teller trustee round1`, on this machine",
            path.display()
        ),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
