//! The trustees' key ceremony (docs/PROTOCOL.md §11.2): the election key made by distributed key
//! generation, so no one — not the returning officer, not a trustee, not the server — ever holds
//! it whole before t trustees bring their shares to the tally.
//!
//! The group arithmetic is FROST's Pedersen DKG over Ed25519 (`frost-core`'s `keys::dkg`, RFC
//! 9591's authors' implementation): Feldman commitments to each trustee's polynomial, a Schnorr
//! proof of knowledge of its constant term, shares checked against the commitments. Written here,
//! and only here, is the glue that the library leaves to its caller and that must be spec-exact:
//!
//! - **who is who**: each trustee has an Ed25519 identity key; the setup names the trustees (in
//!   order: trustee `i` is FROST identifier `i`) and the threshold, and every file a trustee
//!   writes is signed over the setup's hash, so nothing can be replayed into another ceremony;
//! - **the confidential channel** FROST's round 2 needs: each share is sealed with HPKE (the
//!   ballot's suite, §6) to an encryption key the recipient published in round 1; that key is a
//!   scalar mod ℓ and is opened with [`dhkem`];
//! - **complaints anyone can judge**: a trustee given a bad share publishes its round-1
//!   encryption secret (used for nothing else); anyone then opens the share and checks it
//!   against the sender's commitments, and names either the sender or the false accuser;
//! - **acceptance**: each trustee signs the election key it computed; `election create` takes
//!   only a ceremony every trustee accepted.
//!
//! A trustee's secrets are derived from one 32-byte seed kept on its own machine (its state file):
//! round 2 and the finish replay round 1 from it, so the state never changes after round 1.
//!
//! The election key is the group's secret `s` as a scalar; its public key is `u(s·B)`, the
//! Montgomery form of FROST's group verifying key, and ballots sealed to it open with `s`
//! unclamped (docs/PROTOCOL.md §11.3).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::{BTreeMap, BTreeSet};

use curve25519_dalek::Scalar;
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use frost_ed25519::Identifier;
use frost_ed25519::keys::dkg::{self, round1, round2};
use frost_ed25519::keys::{
    PublicKeyPackage, SecretShare, SigningShare, VerifiableSecretSharingCommitment,
};
use hpke::aead::AesGcm128;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, OpModeS, Serializable as _};
use rand::SeedableRng as _;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::core::crypto::{Bytes, Domain, Share, Transcript, dhkem};

/// Most trustees a ceremony may have (trustee indices are one byte).
pub const MAX_CEREMONY_TRUSTEES: usize = 255;

/// Longest trustee name, in bytes.
pub const MAX_NAME: usize = 64;

/// Bytes of a sealed share: a 32-byte scalar and the 16-byte AES-GCM tag.
pub const SEALED_SHARE_LEN: usize = 48;

/// The ceremony's setup, written by the returning officer and checked by every trustee: which
/// election, how many trustees must act to decrypt, and the trustees in order with their
/// identity keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// The election's id, as in its definition.
    pub election: String,
    /// Shares needed to rebuild the key (t).
    pub threshold: i64,
    /// The trustees; trustee `i` is the `i`-th, from 1.
    pub trustees: Vec<TrusteeKey>,
}

/// A trustee as the setup names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteeKey {
    /// How the trustee is known to the members (printed in every message about them).
    pub name: String,
    /// The trustee's Ed25519 identity key (`teller trustee keygen`).
    pub key: Bytes<32>,
}

/// A trustee's round-1 file: FROST's broadcast package and the key others seal its shares to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round1 {
    /// The trustee's index, 1..=n.
    pub trustee: i64,
    /// Feldman commitments to the trustee's polynomial, `a_0·B` first (t compressed points).
    pub commitment: Vec<Bytes<32>>,
    /// FROST's proof of knowledge of `a_0` (`R ‖ z`).
    pub proof: Bytes<64>,
    /// The trustee's encryption key for this ceremony, `u(e·B)`.
    pub encryption: Bytes<32>,
    /// Ed25519 by the identity key over the round-1 message (§11.2).
    pub signature: Bytes<64>,
}

/// A trustee's round-2 file: its share for every other trustee, sealed to them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round2 {
    /// The sender's index.
    pub trustee: i64,
    /// One sealed share per other trustee, in increasing order of recipient.
    pub shares: Vec<SealedShare>,
    /// Ed25519 by the identity key over the round-2 message.
    pub signature: Bytes<64>,
}

/// One share `f_i(j)`, sealed by trustee `i` to trustee `j`'s encryption key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedShare {
    /// The recipient's index.
    pub to: i64,
    /// HPKE's encapsulated key.
    pub enc: Bytes<32>,
    /// The sealed 32-byte scalar.
    pub ct: Bytes<SEALED_SHARE_LEN>,
}

/// A trustee's acceptance: the election key it computed from a ceremony it found sound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// The trustee's index.
    pub trustee: i64,
    /// The election public key, `u(s·B)`.
    pub key: Bytes<32>,
    /// Ed25519 by the identity key over the acceptance message.
    pub signature: Bytes<64>,
}

/// A complaint: trustee `trustee` says the share `against` sealed to it is wrong, and reveals its
/// round-1 encryption secret so anyone can open that share and judge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// The complaining trustee.
    pub trustee: i64,
    /// The trustee complained of.
    pub against: i64,
    /// The complainer's round-1 encryption secret `e` (a canonical scalar).
    pub secret: Bytes<32>,
    /// Ed25519 by the complainer's identity key over the complaint message.
    pub signature: Bytes<64>,
}

/// A whole ceremony, as the manifest carries it: the setup, both rounds and every trustee's
/// acceptance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ceremony {
    /// The setup.
    pub setup: Setup,
    /// Every trustee's round-1 file, trustee 1 first.
    pub round1: Vec<Round1>,
    /// Every trustee's round-2 file, trustee 1 first.
    pub round2: Vec<Round2>,
    /// Every trustee's acceptance, trustee 1 first.
    pub accepted: Vec<Acceptance>,
}

/// What a sound ceremony made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The election public key (X25519 u-coordinate), `u(s·B)`.
    pub election_key: [u8; 32],
    /// Each trustee's verifying share `s_i·B` (compressed Edwards), trustee 1 first: what the
    /// tally checks a brought share against.
    pub verifying_shares: Vec<[u8; 32]>,
}

/// Why a ceremony, or a step of it, is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CeremonyError {
    /// The setup itself is unusable.
    #[error("the ceremony's setup: {0}")]
    Setup(String),
    /// A trustee's file is missing, malformed or fails a check: that trustee is named.
    #[error("{stage} of trustee {index} ({name}): {reason}")]
    Trustee {
        /// Which file: "round 1", "round 2", "acceptance", "complaint".
        stage: &'static str,
        /// The trustee's index.
        index: u8,
        /// The trustee's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The trustee running this step is not in the setup.
    #[error("this identity key is not one of the ceremony's trustees")]
    NotATrustee,
}

impl Setup {
    /// Checks the setup: 1 ≤ t ≤ n ≤ 255, names non-empty, printable and distinct, keys valid
    /// Ed25519 points and distinct.
    pub fn check(&self) -> Result<(), CeremonyError> {
        let bad = |reason: String| Err(CeremonyError::Setup(reason));
        let n = self.trustees.len();
        if n == 0 || n > MAX_CEREMONY_TRUSTEES {
            return bad(format!(
                "{n} trustees; a ceremony needs 1 to {MAX_CEREMONY_TRUSTEES}"
            ));
        }
        if self.threshold < 1 || self.threshold > n as i64 {
            return bad(format!(
                "threshold {} must be between 1 and the number of trustees ({n})",
                self.threshold
            ));
        }
        if self.election.is_empty() {
            return bad("the election id is empty".into());
        }
        let mut names = BTreeSet::new();
        let mut keys = BTreeSet::new();
        for (i, trustee) in self.trustees.iter().enumerate() {
            let name = &trustee.name;
            if name.is_empty()
                || name.len() > MAX_NAME
                || name.chars().any(char::is_control)
                || name.trim() != name
            {
                return bad(format!(
                    "trustee {}'s name {name:?} must be 1 to {MAX_NAME} bytes, printable, with no \
                     space at either end",
                    i + 1
                ));
            }
            if !names.insert(name.as_str()) {
                return bad(format!("two trustees are named {name:?}"));
            }
            if identity_key(&trustee.key.array()).is_none() {
                return bad(format!(
                    "trustee {name:?}'s key is not an Ed25519 public key"
                ));
            }
            if !keys.insert(trustee.key.array()) {
                return bad(format!("trustee {name:?}'s key is given twice"));
            }
        }
        Ok(())
    }

    /// `SHA-256` of the setup message (§11.2): what every file of the ceremony signs under.
    pub fn id(&self) -> [u8; 32] {
        let mut transcript = Transcript::new(Domain::CeremonySetup)
            .field(self.election.as_bytes())
            .fixed(&[self.threshold as u8, self.trustees.len() as u8]);
        for trustee in &self.trustees {
            transcript = transcript
                .field(trustee.name.as_bytes())
                .fixed(&trustee.key.0);
        }
        transcript.hash()
    }

    /// n.
    pub fn count(&self) -> usize {
        self.trustees.len()
    }

    /// The index (1..=n) of the trustee with this identity key.
    pub fn index_of(&self, key: &[u8; 32]) -> Option<u8> {
        let position = self.trustees.iter().position(|t| t.key.0 == key)?;
        u8::try_from(position + 1).ok()
    }

    /// Trustee `index`'s name ("?" outside 1..=n).
    pub fn name(&self, index: u8) -> &str {
        self.trustee(index).map_or("?", |t| t.name.as_str())
    }

    fn trustee(&self, index: u8) -> Option<&TrusteeKey> {
        self.trustees.get(usize::from(index).checked_sub(1)?)
    }

    fn fault(&self, stage: &'static str, index: u8, reason: impl Into<String>) -> CeremonyError {
        CeremonyError::Trustee {
            stage,
            index,
            name: self.name(index).to_owned(),
            reason: reason.into(),
        }
    }

    /// Checks `signature` over `message` under trustee `index`'s identity key.
    fn verify(
        &self,
        stage: &'static str,
        index: u8,
        message: &[u8; 32],
        signature: &Bytes<64>,
    ) -> Result<(), CeremonyError> {
        let key = (self.trustee(index))
            .and_then(|t| identity_key(&t.key.array()))
            .ok_or_else(|| self.fault(stage, index, "no such trustee"))?;
        key.verify_strict(message, &Signature::from_bytes(&signature.array()))
            .map_err(|_| self.fault(stage, index, "the signature does not verify"))
    }
}

fn identity_key(bytes: &[u8; 32]) -> Option<VerifyingKey> {
    VerifyingKey::from_bytes(bytes)
        .ok()
        .filter(|k| !k.is_weak())
}

fn identifier(index: u8) -> Result<Identifier, CeremonyError> {
    Identifier::try_from(u16::from(index))
        .map_err(|_| CeremonyError::Setup(format!("trustee index {index}")))
}

/// The index an `i64` field names, if it is 1..=n.
fn index_in(setup: &Setup, value: i64) -> Option<u8> {
    u8::try_from(value)
        .ok()
        .filter(|&i| i >= 1 && usize::from(i) <= setup.count())
}

/// The round-1 message: `H(tag ‖ setup id ‖ u8(i) ‖ u8(t) ‖ commitments ‖ proof ‖ encryption)`.
pub fn round1_message(setup_id: &[u8; 32], round1: &Round1) -> [u8; 32] {
    let mut transcript = Transcript::new(Domain::CeremonyRound1)
        .fixed(setup_id)
        .fixed(&[round1.trustee as u8, round1.commitment.len() as u8]);
    for point in &round1.commitment {
        transcript = transcript.fixed(&point.0);
    }
    transcript
        .fixed(&round1.proof.0)
        .fixed(&round1.encryption.0)
        .hash()
}

/// The round-2 message: `H(tag ‖ setup id ‖ u8(i) ‖ u8(count) ‖ (u8(j) ‖ enc ‖ ct)…)`.
pub fn round2_message(setup_id: &[u8; 32], round2: &Round2) -> [u8; 32] {
    let mut transcript = Transcript::new(Domain::CeremonyRound2)
        .fixed(setup_id)
        .fixed(&[round2.trustee as u8, round2.shares.len() as u8]);
    for share in &round2.shares {
        transcript = transcript
            .fixed(&[share.to as u8])
            .fixed(&share.enc.0)
            .fixed(&share.ct.0);
    }
    transcript.hash()
}

/// The acceptance message: `H(tag ‖ setup id ‖ u8(i) ‖ round-1 messages ‖ round-2 messages ‖ key)`,
/// so a trustee's acceptance covers every file it saw.
pub fn acceptance_message(
    setup_id: &[u8; 32],
    index: u8,
    round1: &[Round1],
    round2: &[Round2],
    key: &[u8; 32],
) -> [u8; 32] {
    let mut transcript = Transcript::new(Domain::CeremonyAccept)
        .fixed(setup_id)
        .fixed(&[index]);
    for file in round1 {
        transcript = transcript.fixed(&round1_message(setup_id, file));
    }
    for file in round2 {
        transcript = transcript.fixed(&round2_message(setup_id, file));
    }
    transcript.fixed(key).hash()
}

/// The complaint message: `H(tag ‖ setup id ‖ u8(by) ‖ u8(against) ‖ secret)`.
pub fn complaint_message(setup_id: &[u8; 32], complaint: &Complaint) -> [u8; 32] {
    Transcript::new(Domain::CeremonyComplaint)
        .fixed(setup_id)
        .fixed(&[complaint.trustee as u8, complaint.against as u8])
        .fixed(&complaint.secret.0)
        .hash()
}

/// HPKE `info` of the share from trustee `from` to trustee `to`.
pub fn share_info(setup_id: &[u8; 32], from: u8, to: u8) -> Vec<u8> {
    Transcript::new(Domain::CeremonyShareInfo)
        .fixed(setup_id)
        .fixed(&[from, to])
        .into_bytes()
}

/// Checks every trustee's round-1 file (in order, signed, t valid commitments, a valid proof of
/// knowledge) and returns FROST's packages by identifier.
pub fn check_round1(
    setup: &Setup,
    round1: &[Round1],
) -> Result<BTreeMap<Identifier, round1::Package>, CeremonyError> {
    setup.check()?;
    let id = setup.id();
    let mut packages = BTreeMap::new();
    for (position, file) in round1.iter().enumerate() {
        let expected = (position + 1) as u8;
        if index_in(setup, file.trustee) != Some(expected) {
            return Err(setup.fault(
                "round 1",
                expected,
                format!("the file says trustee {}", file.trustee),
            ));
        }
        packages.insert(identifier(expected)?, round1_package(setup, &id, file)?);
    }
    if round1.len() != setup.count() {
        let missing = (round1.len() + 1) as u8;
        return Err(setup.fault("round 1", missing, "missing"));
    }
    Ok(packages)
}

/// One round-1 file checked: its signature, then FROST's package and its proof of knowledge.
fn round1_package(
    setup: &Setup,
    id: &[u8; 32],
    file: &Round1,
) -> Result<round1::Package, CeremonyError> {
    let index = file.trustee as u8;
    let fault = |reason: &str| setup.fault("round 1", index, reason);
    setup.verify("round 1", index, &round1_message(id, file), &file.signature)?;
    if file.commitment.len() != setup.threshold as usize {
        return Err(fault(&format!(
            "{} commitments; the threshold is {}",
            file.commitment.len(),
            setup.threshold
        )));
    }
    let commitment =
        VerifiableSecretSharingCommitment::deserialize(file.commitment.iter().map(|c| c.array()))
            .map_err(|_| fault("a commitment is not a point of the curve"))?;
    let proof = frost_ed25519::Signature::deserialize(&file.proof.0)
        .map_err(|_| fault("the proof of knowledge is malformed"))?;
    frost_core::keys::dkg::verify_proof_of_knowledge(identifier(index)?, &commitment, &proof)
        .map_err(|_| fault("the proof of knowledge does not verify"))?;
    if hpke_public_key(&file.encryption.array()).is_none() {
        return Err(fault("the encryption key is not an X25519 public key"));
    }
    Ok(round1::Package::new(commitment, proof))
}

fn hpke_public_key(bytes: &[u8; 32]) -> Option<<X25519HkdfSha256 as hpke::Kem>::PublicKey> {
    <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(bytes).ok()
}

/// Checks every trustee's round-2 file: in order, signed, one sealed share to each other
/// trustee in increasing order. (Whether a share is right only its recipient can tell; a wrong
/// one is answered by a complaint.)
pub fn check_round2(setup: &Setup, round2: &[Round2]) -> Result<(), CeremonyError> {
    let id = setup.id();
    for (position, file) in round2.iter().enumerate() {
        let index = (position + 1) as u8;
        if index_in(setup, file.trustee) != Some(index) {
            return Err(setup.fault(
                "round 2",
                index,
                format!("the file says trustee {}", file.trustee),
            ));
        }
        setup.verify(
            "round 2",
            index,
            &round2_message(&id, file),
            &file.signature,
        )?;
        let recipients: Vec<i64> = file.shares.iter().map(|s| s.to).collect();
        let expected: Vec<i64> = (1..=setup.count() as i64)
            .filter(|&j| j != i64::from(index))
            .collect();
        if recipients != expected {
            return Err(setup.fault(
                "round 2",
                index,
                format!("shares for trustees {recipients:?}; expected {expected:?}"),
            ));
        }
    }
    if round2.len() != setup.count() {
        return Err(setup.fault("round 2", (round2.len() + 1) as u8, "missing"));
    }
    Ok(())
}

/// The election key and verifying shares the commitments determine.
pub fn outcome(
    setup: &Setup,
    packages: &BTreeMap<Identifier, round1::Package>,
) -> Result<Outcome, CeremonyError> {
    let commitments: BTreeMap<Identifier, &VerifiableSecretSharingCommitment> = packages
        .iter()
        .map(|(id, package)| (*id, package.commitment()))
        .collect();
    let public = PublicKeyPackage::from_dkg_commitments(&commitments)
        .map_err(|e| CeremonyError::Setup(format!("combining the commitments: {e}")))?;
    let group = edwards_bytes(public.verifying_key().serialize())?;
    let election_key = CompressedEdwardsY(group)
        .decompress()
        .ok_or_else(|| CeremonyError::Setup("the group key is not a point".into()))?
        .to_montgomery()
        .to_bytes();
    let mut verifying_shares = Vec::with_capacity(setup.count());
    for index in 1..=setup.count() as u8 {
        let share = public
            .verifying_shares()
            .get(&identifier(index)?)
            .ok_or_else(|| CeremonyError::Setup(format!("no verifying share for {index}")))?;
        verifying_shares.push(edwards_bytes(share.serialize())?);
    }
    Ok(Outcome {
        election_key,
        verifying_shares,
    })
}

fn edwards_bytes<E: std::fmt::Display>(
    bytes: Result<Vec<u8>, E>,
) -> Result<[u8; 32], CeremonyError> {
    bytes
        .map_err(|e| CeremonyError::Setup(e.to_string()))?
        .try_into()
        .map_err(|_| CeremonyError::Setup("a point is not 32 bytes".into()))
}

impl Ceremony {
    /// Checks the whole ceremony: the setup, every round-1 file (signature, commitments, proof of
    /// knowledge), every round-2 file (signature, one share to each other trustee), and that every
    /// trustee accepted the key the commitments determine. Returns that key and the verifying
    /// shares.
    pub fn check(&self) -> Result<Outcome, CeremonyError> {
        let setup = &self.setup;
        let packages = check_round1(setup, &self.round1)?;
        check_round2(setup, &self.round2)?;
        let outcome = outcome(setup, &packages)?;
        let id = setup.id();
        for (position, acceptance) in self.accepted.iter().enumerate() {
            let index = (position + 1) as u8;
            if index_in(setup, acceptance.trustee) != Some(index) {
                return Err(setup.fault(
                    "acceptance",
                    index,
                    format!("the file says trustee {}", acceptance.trustee),
                ));
            }
            if acceptance.key.array() != outcome.election_key {
                return Err(setup.fault(
                    "acceptance",
                    index,
                    "accepts another key than the commitments make",
                ));
            }
            let message = acceptance_message(
                &id,
                index,
                &self.round1,
                &self.round2,
                &outcome.election_key,
            );
            setup.verify("acceptance", index, &message, &acceptance.signature)?;
        }
        if self.accepted.len() != setup.count() {
            let missing = (self.accepted.len() + 1) as u8;
            return Err(setup.fault("acceptance", missing, "missing"));
        }
        Ok(outcome)
    }
}

/// A trustee's secret for one ceremony: a seed from which its polynomial and its encryption key
/// are derived (so each step replays round 1 instead of storing FROST's state). Zeroized.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TrusteeSeed([u8; 32]);

impl TrusteeSeed {
    /// A seed with these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The seed's bytes (for the trustee's own state file).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }
}

/// Round 1 replayed from the seed: FROST's secret and public packages, and the encryption secret.
struct Replayed {
    secret: round1::SecretPackage,
    package: round1::Package,
    encryption: Zeroizing<Scalar>,
}

impl Replayed {
    /// The commitments as the round-1 file publishes them.
    fn commitment(&self) -> Result<Vec<Bytes<32>>, CeremonyError> {
        Ok((self.package.commitment().serialize())
            .map_err(|e| CeremonyError::Setup(e.to_string()))?
            .into_iter()
            .map(Bytes)
            .collect())
    }
}

fn replay(setup: &Setup, index: u8, seed: &TrusteeSeed) -> Result<Replayed, CeremonyError> {
    let key = Zeroizing::new(
        Transcript::new(Domain::CeremonySeed)
            .fixed(&seed.0)
            .fixed(&setup.id())
            .hash(),
    );
    let mut rng = Rng06(rand::rngs::ChaCha20Rng::from_seed(*key));
    let (secret, package) = dkg::part1(
        identifier(index)?,
        setup.count() as u16,
        setup.threshold as u16,
        &mut rng,
    )
    .map_err(|e| CeremonyError::Setup(e.to_string()))?;
    let mut wide = Zeroizing::new([0u8; 64]);
    rand::Rng::fill_bytes(&mut rng.0, wide.as_mut());
    let encryption = Zeroizing::new(Scalar::from_bytes_mod_order_wide(&wide));
    Ok(Replayed {
        secret,
        package,
        encryption,
    })
}

/// `rand_core` 0.6's traits (FROST's) over one of `rand` 0.10's generators.
struct Rng06<R>(R);

impl<R: rand::Rng> rand_core_06::RngCore for Rng06<R> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.0.fill_bytes(dest);
        Ok(())
    }
}

impl<R: rand::CryptoRng> rand_core_06::CryptoRng for Rng06<R> {}

/// The index of the trustee holding `identity`.
fn my_index(setup: &Setup, identity: &SigningKey) -> Result<u8, CeremonyError> {
    setup.check()?;
    setup
        .index_of(identity.verifying_key().as_bytes())
        .ok_or(CeremonyError::NotATrustee)
}

/// Round 1 for the trustee holding `identity`: its signed round-1 file.
pub fn round1(
    setup: &Setup,
    identity: &SigningKey,
    seed: &TrusteeSeed,
) -> Result<Round1, CeremonyError> {
    let index = my_index(setup, identity)?;
    let replayed = replay(setup, index, seed)?;
    let commitment = replayed.commitment()?;
    let proof = (replayed.package.proof_of_knowledge().serialize())
        .map_err(|e| CeremonyError::Setup(e.to_string()))?;
    let mut file = Round1 {
        trustee: i64::from(index),
        commitment,
        proof: Bytes(proof),
        encryption: dhkem::public_key(&replayed.encryption).into(),
        signature: Bytes(vec![0; 64]),
    };
    file.signature = sign(identity, &round1_message(&setup.id(), &file));
    Ok(file)
}

fn sign(identity: &SigningKey, message: &[u8; 32]) -> Bytes<64> {
    identity.sign(message).to_bytes().into()
}

/// Checks that the published round-1 file of this trustee is the one its seed makes (a seed
/// from another ceremony, or an edited file, would otherwise make shares nobody can use).
fn check_own_round1(
    setup: &Setup,
    index: u8,
    round1: &[Round1],
    replayed: &Replayed,
) -> Result<(), CeremonyError> {
    let mine = (
        replayed.commitment()?,
        Bytes::from(dhkem::public_key(&replayed.encryption)),
    );
    let published = round1.get(usize::from(index) - 1);
    if published.map(|f| (&f.commitment, &f.encryption)) != Some((&mine.0, &mine.1)) {
        return Err(setup.fault(
            "round 1",
            index,
            "the published file is not the one this state file made (another ceremony's state?)",
        ));
    }
    Ok(())
}

/// Round 2 for the trustee holding `identity`: checks everyone's round 1, then seals its share
/// for each other trustee to that trustee's encryption key.
pub fn round2(
    setup: &Setup,
    identity: &SigningKey,
    seed: &TrusteeSeed,
    round1: &[Round1],
    rng: &mut impl rand::CryptoRng,
) -> Result<Round2, CeremonyError> {
    let index = my_index(setup, identity)?;
    let mut packages = check_round1(setup, round1)?;
    let replayed = replay(setup, index, seed)?;
    check_own_round1(setup, index, round1, &replayed)?;
    packages.remove(&identifier(index)?);
    let (_, outgoing) =
        dkg::part2(replayed.secret, &packages).map_err(|e| CeremonyError::Setup(e.to_string()))?;
    let id = setup.id();
    let mut shares = Vec::with_capacity(outgoing.len());
    for to in (1..=setup.count() as u8).filter(|&j| j != index) {
        let package = outgoing
            .get(&identifier(to)?)
            .ok_or_else(|| CeremonyError::Setup(format!("no share for trustee {to}")))?;
        let plain = Zeroizing::new(package.signing_share().serialize());
        let recipient = hpke_public_key(&round1[usize::from(to) - 1].encryption.array())
            .ok_or_else(|| setup.fault("round 1", to, "the encryption key is not usable"))?;
        let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
            &OpModeS::Base,
            &recipient,
            &share_info(&id, index, to),
            &plain,
            b"",
            rng,
        )
        .map_err(|_| setup.fault("round 1", to, "the encryption key is not usable"))?;
        shares.push(SealedShare {
            to: i64::from(to),
            enc: Bytes(enc.to_bytes().to_vec()),
            ct: Bytes(ct),
        });
    }
    let mut file = Round2 {
        trustee: i64::from(index),
        shares,
        signature: Bytes(vec![0; 64]),
    };
    file.signature = sign(identity, &round2_message(&id, &file));
    Ok(file)
}

/// How a trustee's ceremony ended.
pub enum Finished {
    /// Every share it received checks: its share of the election key (for the tally) and its
    /// signed acceptance of the key.
    Accepted {
        /// The trustee's share `s_i`, for `teller tally --share`.
        share: Share,
        /// Its acceptance, for the ceremony.
        acceptance: Acceptance,
        /// The key and verifying shares.
        outcome: Outcome,
    },
    /// A share from another trustee does not check: the complaint to publish.
    Complained(Complaint),
}

/// Opens the share trustee `from` sealed to trustee `to` with `to`'s encryption secret, and
/// checks it against `from`'s commitments. `Err` carries why it is wrong.
fn open_share(
    setup: &Setup,
    packages: &BTreeMap<Identifier, round1::Package>,
    round2: &[Round2],
    from: u8,
    to: u8,
    encryption: &Scalar,
) -> Result<SigningShare, String> {
    let sealed = round2
        .get(usize::from(from) - 1)
        .and_then(|file| file.shares.iter().find(|s| s.to == i64::from(to)))
        .ok_or("no share was sealed to this trustee")?;
    let plain = Zeroizing::new(
        dhkem::open_unclamped(
            encryption,
            &sealed.enc.array(),
            &share_info(&setup.id(), from, to),
            b"",
            &sealed.ct.0,
        )
        .map_err(|_| "the sealed share does not open")?,
    );
    let share = SigningShare::deserialize(&plain).map_err(|_| "the share is not a scalar")?;
    let commitment = packages
        .get(&identifier(from).map_err(|e| e.to_string())?)
        .ok_or("no commitments")?
        .commitment()
        .clone();
    let recipient = identifier(to).map_err(|e| e.to_string())?;
    SecretShare::new(recipient, share, commitment)
        .verify()
        .map_err(|_| "the share does not match the sender's commitments")?;
    Ok(share)
}

/// The end of the ceremony for the trustee holding `identity`: checks both rounds, opens the
/// shares sealed to it and checks each against its sender's commitments. All good: its share and
/// signed acceptance. A bad share: a complaint against the first sender whose share fails.
pub fn finish(
    setup: &Setup,
    identity: &SigningKey,
    seed: &TrusteeSeed,
    round1: &[Round1],
    round2: &[Round2],
) -> Result<Finished, CeremonyError> {
    let index = my_index(setup, identity)?;
    let packages = check_round1(setup, round1)?;
    let replayed = replay(setup, index, seed)?;
    check_own_round1(setup, index, round1, &replayed)?;
    check_round2(setup, round2)?;
    let id = setup.id();
    let mut received = BTreeMap::new();
    for from in (1..=setup.count() as u8).filter(|&i| i != index) {
        match open_share(setup, &packages, round2, from, index, &replayed.encryption) {
            Ok(share) => {
                received.insert(identifier(from)?, round2::Package::new(share));
            }
            Err(_) => {
                let mut complaint = Complaint {
                    trustee: i64::from(index),
                    against: i64::from(from),
                    secret: replayed.encryption.to_bytes().into(),
                    signature: Bytes(vec![0; 64]),
                };
                complaint.signature = sign(identity, &complaint_message(&id, &complaint));
                return Ok(Finished::Complained(complaint));
            }
        }
    }
    let mut others = packages.clone();
    others.remove(&identifier(index)?);
    let (round2_secret, _) =
        dkg::part2(replayed.secret, &others).map_err(|e| CeremonyError::Setup(e.to_string()))?;
    let (key_package, _) = dkg::part3(&round2_secret, &others, &received)
        .map_err(|e| CeremonyError::Setup(e.to_string()))?;
    let outcome = outcome(setup, &packages)?;
    let value: [u8; 32] = Zeroizing::new(key_package.signing_share().serialize())
        .as_slice()
        .try_into()
        .map_err(|_| CeremonyError::Setup("a share is not 32 bytes".into()))?;
    let share = Share::new(index, value).map_err(|e| CeremonyError::Setup(e.to_string()))?;
    let message = acceptance_message(&id, index, round1, round2, &outcome.election_key);
    let acceptance = Acceptance {
        trustee: i64::from(index),
        key: outcome.election_key.into(),
        signature: sign(identity, &message),
    };
    Ok(Finished::Accepted {
        share,
        acceptance,
        outcome,
    })
}

/// Every trustee's steps in one process, in order, with the trustees' identity keys and seeds
/// given: for simulations, tests and vectors only. In an election each trustee runs its own
/// steps on its own machine (`teller trustee …`); this function sees every share at once. Returns
/// the ceremony and every trustee's share, trustee 1 first; a complaint is an error naming the
/// trustee complained of.
pub fn run_all(
    setup: &Setup,
    identities: &[SigningKey],
    seeds: &[TrusteeSeed],
    rng: &mut impl rand::CryptoRng,
) -> Result<(Ceremony, Vec<Share>), CeremonyError> {
    let trustees: Vec<_> = identities.iter().zip(seeds).collect();
    let first = (trustees.iter())
        .map(|(key, seed)| round1(setup, key, seed))
        .collect::<Result<Vec<_>, _>>()?;
    let second = (trustees.iter())
        .map(|(key, seed)| round2(setup, key, seed, &first, rng))
        .collect::<Result<Vec<_>, _>>()?;
    let mut shares = Vec::with_capacity(trustees.len());
    let mut accepted = Vec::with_capacity(trustees.len());
    for (key, seed) in &trustees {
        match finish(setup, key, seed, &first, &second)? {
            Finished::Accepted {
                share, acceptance, ..
            } => {
                shares.push(share);
                accepted.push(acceptance);
            }
            Finished::Complained(complaint) => {
                let against = complaint.against as u8;
                return Err(setup.fault("round 2", against, "a share it sent does not check"));
            }
        }
    }
    let ceremony = Ceremony {
        setup: setup.clone(),
        round1: first,
        round2: second,
        accepted,
    };
    Ok((ceremony, shares))
}

/// A complaint judged: who is at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The complaint is upheld (the accused sent a bad share) or not (the complainer lied).
    pub upheld: bool,
    /// The trustee at fault: the accused if upheld, else the complainer.
    pub culprit: u8,
    /// Why.
    pub reason: String,
}

/// Judges a complaint from the public files alone: the complainer's signature, its revealed
/// encryption secret against its round-1 key, then the accused's sealed share opened with it
/// and checked against the accused's commitments.
pub fn judge(
    setup: &Setup,
    round1: &[Round1],
    round2: &[Round2],
    complaint: &Complaint,
) -> Result<Verdict, CeremonyError> {
    let packages = check_round1(setup, round1)?;
    let (Some(by), Some(against)) = (
        index_in(setup, complaint.trustee),
        index_in(setup, complaint.against),
    ) else {
        return Err(CeremonyError::Setup(format!(
            "a complaint by trustee {} against trustee {}: no such trustees",
            complaint.trustee, complaint.against
        )));
    };
    let id = setup.id();
    setup.verify(
        "complaint",
        by,
        &complaint_message(&id, complaint),
        &complaint.signature,
    )?;
    let secret = Option::<Scalar>::from(Scalar::from_canonical_bytes(complaint.secret.array()))
        .filter(|e| dhkem::public_key(e) == round1[usize::from(by) - 1].encryption.array())
        .ok_or_else(|| {
            setup.fault(
                "complaint",
                by,
                "the revealed secret is not its round-1 encryption key's",
            )
        })?;
    check_round2(setup, round2)?;
    Ok(
        match open_share(setup, &packages, round2, against, by, &secret) {
            Err(reason) => Verdict {
                upheld: true,
                culprit: against,
                reason,
            },
            Ok(_) => Verdict {
                upheld: false,
                culprit: by,
                reason: "the share opens and matches the sender's commitments".into(),
            },
        },
    )
}

#[cfg(test)]
mod tests;
