//! Creating an election: the returning officer's definition (TOML) becomes a checked manifest,
//! with its keys generated here — the issuer's RSA key, the two log keys, and the election key,
//! which is split among the trustees at once and never stored whole (DESIGN.md, protocol step 1).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail, ensure};
use serde::{Deserialize, Serialize};

use crate::core::ceremony::Ceremony;
use crate::core::crypto::{
    Bytes, ElectionPublicKey, IssuerKeyPair, Share, deal, encode_bytes, generate_issuer_key, os_rng,
};
use crate::core::log::NoteSigner;
use crate::core::manifest::{
    ContestDraft, Keys, MANIFEST_VERSION, Manifest, ManifestDraft, Reissue, Revote, Trustees,
    Window, Witnesses,
};
use crate::store::{BALLOT_LOG_KEY_FILE, ISSUANCE_LOG_KEY_FILE, SESSION_KEY_FILE, issuer_key_file};

/// The election as the returning officer writes it (`examples/election.toml`): the manifest
/// without its keys, and how many trustees hold shares.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionDefinition {
    /// Short id.
    pub election: String,
    /// Title.
    pub title: String,
    /// The re-voting policy.
    pub revote: Revote,
    /// The re-issue policy (`reissue = { by = "officer", limit = 1 }`): required, like the
    /// re-voting policy, because both decide what the record can prove.
    pub reissue: Reissue,
    /// The voting window: RFC 3339 times, or times relative to the election's creation (`now`,
    /// `now+14d`, `now-1h`), which `create_election` writes into the manifest as RFC 3339.
    pub window: Window,
    /// The trustees.
    pub trustees: TrusteeCount,
    /// The witnesses of the logs, if any (`[witnesses]` with `keys` and `quorum`): each key is
    /// what `teller witness keygen` printed for a faction's scrutineer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Witnesses>,
    /// The contests (`[[contest]]` tables).
    #[serde(rename = "contest")]
    pub contests: Vec<ContestDraft>,
}

/// How the election key is shared.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteeCount {
    /// Shares needed to rebuild the key.
    pub threshold: usize,
    /// Trustees holding a share.
    pub count: usize,
}

/// The example election shipped in `examples/election.toml`.
pub const EXAMPLE_ELECTION: &str = include_str!("../../examples/election.toml");

impl ElectionDefinition {
    /// Parses a definition; errors name the line and field.
    pub fn parse(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| anyhow!("{e}"))
    }

    /// The definition as `teller election create` reads it (what [`Self::parse`] takes back).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| anyhow!("writing the definition: {e}"))
    }

    /// Checks the definition as creating the election would (the same checks, the same
    /// messages), without making its keys: the console checks a form with it on every post.
    pub fn check(&self, now: i64) -> Result<()> {
        let placeholders = placeholder_issuer_keys(self.contests.len())?;
        let signer = |seed| -> Result<String> {
            Ok(NoteSigner::from_seed("teller-check", &[seed; 32])?
                .verifier()
                .encode())
        };
        let (election, trustees, _) = dealt_key(self, &mut os_rng()?)?;
        let keys = Keys {
            issuers: (self.contests.iter().map(|c| c.id.clone()))
                .zip(placeholders)
                .collect(),
            issuance_log: signer(1)?,
            ballot_log: signer(2)?,
            election: election.to_bytes().into(),
        };
        assemble(self, keys, trustees, self.witnesses.clone(), now).map(drop)
    }
}

/// The public halves of `count` distinct issuer keys, made once per process and kept:
/// [`ElectionDefinition::check`] needs a valid key per contest (the manifest refuses two contests
/// with one key), and making one takes a noticeable moment.
fn placeholder_issuer_keys(count: usize) -> Result<Vec<Bytes<0>>> {
    static KEYS: std::sync::Mutex<Vec<Bytes<0>>> = std::sync::Mutex::new(Vec::new());
    let mut keys = KEYS
        .lock()
        .map_err(|_| anyhow!("the placeholder keys were poisoned"))?;
    while keys.len() < count {
        let pair = generate_issuer_key(&mut os_rng()?)?;
        keys.push(Bytes(pair.pk.to_der().map_err(|e| anyhow!("{e}"))?));
    }
    Ok(keys[..count].to_vec())
}

/// The secret keys of an election. The election secret key is not among them: only its shares.
pub struct ElectionKeys {
    /// The issuer's RSA key pairs (blind signatures), one per contest, by contest id.
    pub issuers: BTreeMap<String, IssuerKeyPair>,
    /// The ballot box's checkpoint key.
    pub ballot_log: NoteSigner,
    /// The issuer's checkpoint key.
    pub issuance_log: NoteSigner,
    /// One share per trustee when the key was dealt; none when the trustees made it.
    pub shares: Vec<Share>,
}

impl ElectionKeys {
    /// The issuer's key pair for a contest's passes.
    pub fn issuer(&self, contest: &str) -> Result<&IssuerKeyPair> {
        self.issuers
            .get(contest)
            .ok_or_else(|| anyhow!("no issuer key for contest {contest:?}"))
    }
}

/// A window time as the definition writes it: RFC 3339 (kept as written), or `now`, `now+DURATION`
/// or `now-DURATION` (`14d`, `36h`, `1week`: humantime's units) relative to `now` (Unix seconds),
/// written in UTC to the second. The examples use relative times so they work on any date.
pub fn resolve_time(text: &str, now: i64) -> Result<String> {
    let Some(relative) = text.strip_prefix("now") else {
        return Ok(text.to_owned());
    };
    let offset = match relative.chars().next() {
        None => 0,
        Some(sign @ ('+' | '-')) => {
            let duration = humantime::parse_duration(relative[1..].trim()).map_err(|e| {
                anyhow!("{text:?}: {e} (write e.g. now+14d, now-1h, or an RFC 3339 time)")
            })?;
            let seconds = i64::try_from(duration.as_secs())
                .map_err(|_| anyhow!("{text:?} is too far from now"))?;
            if sign == '+' { seconds } else { -seconds }
        }
        Some(_) => bail!("{text:?}: write now, now+14d, now-1h, or an RFC 3339 time"),
    };
    let at = now
        .checked_add(offset)
        .ok_or_else(|| anyhow!("{text:?} is too far from now"))?;
    Ok(crate::core::manifest::format_instant(at))
}

/// Where the election key comes from.
#[derive(Clone, Debug)]
pub enum KeyMaking {
    /// The trustees made it together (`teller trustee …`, docs/PROTOCOL.md §11.2): the manifest
    /// carries their ceremony, and nobody ever held the key.
    Ceremony(Box<Ceremony>),
    /// This machine draws it and splits it into share files at once (`--dealer`): for small
    /// elections whose members accept that the returning officer's machine held the whole key
    /// for a moment.
    Dealer,
}

/// The clock, in Unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Generates the keys and builds the checked manifest, the election key dealt; a window relative
/// to now is resolved against the clock.
pub fn create_election(
    definition: &ElectionDefinition,
    rng: &mut impl rand::CryptoRng,
) -> Result<(Manifest, ElectionKeys)> {
    create_election_at(definition, rng, unix_now())
}

/// As [`create_election`], with the window's `now` given (Unix seconds): a simulation resolves
/// it against a fixed instant, so its seed alone decides the record.
pub fn create_election_at(
    definition: &ElectionDefinition,
    rng: &mut impl rand::CryptoRng,
    now: i64,
) -> Result<(Manifest, ElectionKeys)> {
    create_election_with(definition, &KeyMaking::Dealer, rng, now)
}

/// The election key from the trustees' ceremony, checked against the definition: its trustee
/// count and threshold, and the election it was run for.
fn ceremony_key(
    definition: &ElectionDefinition,
    ceremony: &Ceremony,
) -> Result<(ElectionPublicKey, Trustees)> {
    let outcome = ceremony
        .check()
        .context("the trustees' ceremony does not check; the election was not created")?;
    let setup = &ceremony.setup;
    ensure!(
        setup.election == definition.election,
        "the ceremony was run for election {:?}, this definition is {:?}",
        setup.election,
        definition.election
    );
    ensure!(
        setup.count() == definition.trustees.count
            && setup.threshold as usize == definition.trustees.threshold,
        "the ceremony has {} trustees with threshold {}; the definition says count = {}, \
         threshold = {}",
        setup.count(),
        setup.threshold,
        definition.trustees.count,
        definition.trustees.threshold
    );
    Ok((
        ElectionPublicKey::from_bytes(outcome.election_key),
        Trustees {
            threshold: setup.threshold,
            commitments: outcome
                .verifying_shares
                .iter()
                .map(|v| (*v).into())
                .collect(),
            ceremony: Some(ceremony.clone()),
        },
    ))
}

/// As [`create_election_at`], with the election key made as `key` says.
pub fn create_election_with(
    definition: &ElectionDefinition,
    key: &KeyMaking,
    rng: &mut impl rand::CryptoRng,
    now: i64,
) -> Result<(Manifest, ElectionKeys)> {
    // One issuer key per contest (docs/PROTOCOL.md §5), generated in the definition's order; a
    // repeated contest id is refused by `Manifest::new` below.
    let mut issuers = BTreeMap::new();
    for contest in &definition.contests {
        issuers.insert(contest.id.clone(), generate_issuer_key(rng)?);
    }
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    rng.fill_bytes(seed.as_mut());
    let ballot_log = NoteSigner::from_seed("teller-ballot-box", &seed)?;
    rng.fill_bytes(seed.as_mut());
    let issuance_log = NoteSigner::from_seed("teller-issuer", &seed)?;
    let (election_key, trustees, shares) = match key {
        KeyMaking::Ceremony(ceremony) => {
            let (public, trustees) = ceremony_key(definition, ceremony)?;
            (public, trustees, Vec::new())
        }
        KeyMaking::Dealer => dealt_key(definition, rng)?,
    };
    let keys = Keys {
        issuers: issuers
            .iter()
            .map(|(id, key)| public_der(id, key))
            .collect::<Result<_>>()?,
        issuance_log: issuance_log.verifier().encode(),
        ballot_log: ballot_log.verifier().encode(),
        election: election_key.to_bytes().into(),
    };
    let manifest = assemble(
        definition,
        keys,
        trustees,
        definition.witnesses.clone(),
        now,
    )?;
    Ok((
        manifest,
        ElectionKeys {
            issuers,
            ballot_log,
            issuance_log,
            shares,
        },
    ))
}

/// A contest's issuer key as the manifest publishes it.
fn public_der(contest: &str, key: &IssuerKeyPair) -> Result<(String, Bytes<0>)> {
    Ok((
        contest.to_owned(),
        Bytes(key.pk.to_der().map_err(|e| anyhow!("{e}"))?),
    ))
}

/// The election key drawn here and split at once (dealer mode): its public key, the trustees'
/// commitments, and the shares.
fn dealt_key(
    definition: &ElectionDefinition,
    rng: &mut impl rand::CryptoRng,
) -> Result<(ElectionPublicKey, Trustees, Vec<Share>)> {
    let (secret, shares) = deal(
        definition.trustees.threshold,
        definition.trustees.count,
        rng,
    )?;
    let trustees = Trustees {
        threshold: definition.trustees.threshold as i64,
        commitments: shares.iter().map(|s| s.commitment().into()).collect(),
        ceremony: None,
    };
    // Only the shares exist from here on.
    Ok((secret.public_key()?, trustees, shares))
}

/// The checked manifest of `definition` with these keys and trustees.
fn assemble(
    definition: &ElectionDefinition,
    keys: Keys,
    trustees: Trustees,
    witnesses: Option<Witnesses>,
    now: i64,
) -> Result<Manifest> {
    let draft = ManifestDraft {
        version: MANIFEST_VERSION,
        election: definition.election.clone(),
        title: definition.title.clone(),
        window: Window {
            opens: resolve_time(&definition.window.opens, now).context("window.opens")?,
            closes: resolve_time(&definition.window.closes, now).context("window.closes")?,
        },
        revote: definition.revote,
        reissue: definition.reissue,
        contests: definition.contests.clone(),
        keys,
        trustees,
        witnesses,
    };
    Ok(Manifest::new(draft)?)
}

/// The manifest of an election not yet open, rebuilt from an edited definition: the same log
/// keys, election key, trustees and witnesses, each kept contest's issuer key, and a new issuer
/// key for each new contest (returned, for the key directory). The election's id and its
/// trustees cannot change: the keys and the shares were made for them.
pub fn rebuild_manifest(
    definition: &ElectionDefinition,
    old: &Manifest,
    rng: &mut impl rand::CryptoRng,
    now: i64,
) -> Result<(Manifest, BTreeMap<String, IssuerKeyPair>)> {
    let before = old.draft();
    ensure!(
        definition.election == before.election,
        "the election's id cannot change once it is created (it is {:?})",
        before.election
    );
    ensure!(
        definition.trustees.count == before.trustees.commitments.len()
            && definition.trustees.threshold as i64 == before.trustees.threshold,
        "the trustees cannot change once the election is created: it has {} trustees, {} \
         needed to decrypt",
        before.trustees.commitments.len(),
        before.trustees.threshold
    );
    let mut issuers = BTreeMap::new();
    let mut new = BTreeMap::new();
    for contest in &definition.contests {
        let public = match before.keys.issuers.get(&contest.id) {
            Some(kept) => kept.clone(),
            None => {
                let pair = generate_issuer_key(rng)?;
                let (_, public) = public_der(&contest.id, &pair)?;
                new.insert(contest.id.clone(), pair);
                public
            }
        };
        issuers.insert(contest.id.clone(), public);
    }
    let keys = Keys {
        issuers,
        ..before.keys.clone()
    };
    let manifest = assemble(
        definition,
        keys,
        before.trustees.clone(),
        before.witnesses.clone(),
        now,
    )?;
    Ok((manifest, new))
}

/// 32 bytes from the operating system's randomness, zeroized on drop: the seed of a secret key.
pub fn secret_seed() -> Result<zeroize::Zeroizing<[u8; 32]>> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut())
        .map_err(|e| anyhow!("the operating system's randomness failed: {e}"))?;
    Ok(seed)
}

/// Writes a trustee's share file (`<index> <base64url value>`, what `read_share` reads), readable
/// by its owner only; refuses to replace one that exists.
pub fn write_share(path: &Path, share: &Share) -> Result<()> {
    let text = zeroize::Zeroizing::new(format!(
        "{} {}\n",
        share.index(),
        encode_bytes(&share.value())
    ));
    write_secret(path, text.as_bytes())
}

/// Writes a secret file readable by its owner only; refuses to replace one that exists.
pub fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Writes a contest's issuer key (PKCS#8 DER) under `dir`; refuses to replace one.
pub fn write_issuer_key(dir: &Path, contest: &str, issuer: &IssuerKeyPair) -> Result<()> {
    let der = zeroize::Zeroizing::new(
        (issuer.sk.to_der()).map_err(|e| anyhow!("encoding the issuer key of {contest}: {e}"))?,
    );
    write_secret(&dir.join(issuer_key_file(contest)), &der)
}

/// Writes the keys under `dir`, one file each: `issuer-<contest>.pk8` per contest (PKCS#8 DER),
/// `ballot-log.key` and `issuance-log.key` (signed-note signer keys), `session.key` (32 random
/// bytes that sign member session tokens), and `trustee-<i>.share` per trustee
/// (`<i> <base64url value>`), to be handed to each trustee and removed from this machine.
pub fn write_keys(dir: &Path, keys: &ElectionKeys) -> Result<()> {
    if dir.exists() && fs::read_dir(dir)?.next().is_some() {
        bail!("{} is not empty; give a new key directory", dir.display());
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (contest, issuer) in &keys.issuers {
        write_issuer_key(dir, contest, issuer)?;
    }
    // The issuer's key for member session tokens (server::session): random, never in the record.
    let session = secret_seed()?;
    write_secret(&dir.join(SESSION_KEY_FILE), session.as_ref())?;
    write_secret(
        &dir.join(BALLOT_LOG_KEY_FILE),
        keys.ballot_log.encode().as_bytes(),
    )?;
    write_secret(
        &dir.join(ISSUANCE_LOG_KEY_FILE),
        keys.issuance_log.encode().as_bytes(),
    )?;
    for share in &keys.shares {
        write_share(&dir.join(format!("trustee-{}.share", share.index())), share)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    #[test]
    fn the_example_election_creates_a_valid_manifest() {
        let definition = ElectionDefinition::parse(EXAMPLE_ELECTION).unwrap();
        let (manifest, keys) = create_election(
            &definition,
            &mut rand::rngs::ChaCha20Rng::from_seed([1; 32]),
        )
        .unwrap();
        assert_eq!(manifest.contests().len(), 4);
        assert_eq!(manifest.contest("nec").unwrap().seats(), 9);
        assert_eq!(keys.shares.len(), 3);
        assert_eq!(manifest.share_commitments()[2], keys.shares[2].commitment());
    }

    #[test]
    fn a_rebuilt_manifest_keeps_the_keys_and_trustees_and_keys_only_new_contests_anew() {
        let mut rng = rand::rngs::ChaCha20Rng::from_seed([2; 32]);
        let definition = ElectionDefinition::parse(EXAMPLE_ELECTION).unwrap();
        let (old, _) = create_election(&definition, &mut rng).unwrap();
        let mut edited = definition.clone();
        edited.title = "Edited".into();
        edited.contests.remove(1);
        edited.contests[0].id = "nec-2".into();
        let (new, keys) = rebuild_manifest(&edited, &old, &mut rng, 0).unwrap();
        assert_eq!(new.draft().title, "Edited");
        assert_eq!(
            keys.keys().collect::<Vec<_>>(),
            ["nec-2"],
            "only the new contest"
        );
        let (before, after) = (&old.draft().keys, &new.draft().keys);
        assert_eq!(after.issuers["wales"], before.issuers["wales"]);
        assert!(!after.issuers.contains_key("youth") && !after.issuers.contains_key("nec"));
        assert_eq!(
            (&after.election, &after.ballot_log, &after.issuance_log),
            (&before.election, &before.ballot_log, &before.issuance_log)
        );
        assert_eq!(new.draft().trustees, old.draft().trustees);
        assert_ne!(new.fingerprint(), old.fingerprint());

        let mut other = definition.clone();
        other.election = "another".into();
        let error = rebuild_manifest(&other, &old, &mut rng, 0).unwrap_err();
        assert!(error.to_string().contains("id cannot change"), "{error}");
        let mut trustees = definition.clone();
        trustees.trustees.count = 4;
        let error = rebuild_manifest(&trustees, &old, &mut rng, 0).unwrap_err();
        assert!(
            error.to_string().contains("trustees cannot change"),
            "{error}"
        );
    }

    #[test]
    fn the_check_without_keys_says_what_creating_says() {
        let mut definition = ElectionDefinition::parse(EXAMPLE_ELECTION).unwrap();
        definition.check(unix_now()).unwrap();
        definition.contests[1].seats = 2;
        let checked = definition.check(unix_now()).unwrap_err().to_string();
        let created = create_election(
            &definition,
            &mut rand::rngs::ChaCha20Rng::from_seed([3; 32]),
        )
        .err()
        .unwrap()
        .to_string();
        assert_eq!(checked, created);
        assert!(checked.contains("irv fills exactly one seat"), "{checked}");
    }

    #[test]
    fn refuses_unknown_fields_with_the_line() {
        let text = EXAMPLE_ELECTION.replace(
            "revote = \"forbidden\"",
            "revote = \"forbidden\"\nrevotes = 1",
        );
        let error = ElectionDefinition::parse(&text).unwrap_err().to_string();
        assert!(error.contains("revotes"), "{error}");
        assert!(error.contains("line"), "{error}");
    }
}
