//! Sealed ballots (docs/PROTOCOL.md §6): HPKE (RFC 9180) base mode with DHKEM(X25519,
//! HKDF-SHA256), HKDF-SHA256 and AES-128-GCM, single-shot.
//!
//! `info` binds the ciphertext to the election and contest; `aad` is the voting key, so a sealed
//! ballot copied under another pass no longer opens: nobody can replay another member's ballot to
//! learn or repeat their choice.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::fmt;

use hpke::aead::AesGcm128;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, Kem as _, OpModeR, OpModeS, Serializable as _};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::hash::{Domain, Transcript};

type Kem = X25519HkdfSha256;
type KemPrivateKey = <Kem as hpke::Kem>::PrivateKey;
type KemPublicKey = <Kem as hpke::Kem>::PublicKey;
type EncappedKey = <Kem as hpke::Kem>::EncappedKey;

/// Length of the encapsulated key (`enc`), in bytes.
pub const ENC_LEN: usize = 32;
/// Bytes the AEAD adds to a plaintext (the AES-GCM tag).
pub const TAG_LEN: usize = 16;

/// Why sealing or opening failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// The election public key is not a valid X25519 key.
    #[error("the election public key is not a valid X25519 key")]
    BadPublicKey,
    /// `enc` is not 32 bytes.
    #[error("the encapsulated key is not {ENC_LEN} bytes")]
    BadEnc,
    /// The AEAD refused: wrong key, wrong election, contest or voting key, or altered bytes.
    #[error(
        "the sealed ballot does not open under this key for this election, contest and voting key"
    )]
    DoesNotOpen,
}

/// The election's public key (X25519), as the manifest publishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElectionPublicKey([u8; 32]);

impl ElectionPublicKey {
    /// The key with these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key's bytes.
    pub fn to_bytes(self) -> [u8; 32] {
        self.0
    }
}

/// The election's secret key: 32 bytes, an X25519 scalar (clamped when used, RFC 7748 §5).
/// Exists only at the key reveal, reconstructed from trustee shares. Redacted, zeroized.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ElectionSecretKey([u8; 32]);

/// Constant time, so comparing a rebuilt key with the revealed one leaks nothing by its timing.
impl PartialEq for ElectionSecretKey {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}

impl Eq for ElectionSecretKey {}

impl fmt::Debug for ElectionSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ElectionSecretKey(redacted)")
    }
}

impl ElectionSecretKey {
    /// The key with these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key's bytes (published at the key reveal).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    fn kem_key(&self) -> Result<KemPrivateKey, SealError> {
        KemPrivateKey::from_bytes(&self.0).map_err(|_| SealError::DoesNotOpen)
    }

    /// The matching public key.
    pub fn public_key(&self) -> Result<ElectionPublicKey, SealError> {
        let public = Kem::sk_to_pk(&self.kem_key()?);
        let bytes: [u8; 32] = public
            .to_bytes()
            .as_slice()
            .try_into()
            .map_err(|_| SealError::BadPublicKey)?;
        Ok(ElectionPublicKey(bytes))
    }
}

/// A sealed ballot: HPKE's encapsulated key and the ciphertext (plaintext + 16-byte tag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedBallot {
    /// The encapsulated key.
    pub enc: [u8; ENC_LEN],
    /// The AEAD ciphertext.
    pub ct: Vec<u8>,
}

/// HPKE `info`: `tag ‖ election fingerprint ‖ contest`.
pub fn seal_info(election: &[u8; 32], contest: &str) -> Vec<u8> {
    Transcript::new(Domain::BallotSealInfo)
        .fixed(election)
        .field(contest.as_bytes())
        .into_bytes()
}

/// Seals `plaintext` to `key` for this election, contest and voting key.
pub fn seal(
    key: &ElectionPublicKey,
    election: &[u8; 32],
    contest: &str,
    voting_key: &[u8; 32],
    plaintext: &[u8],
    rng: &mut impl rand::CryptoRng,
) -> Result<SealedBallot, SealError> {
    let public = KemPublicKey::from_bytes(&key.0).map_err(|_| SealError::BadPublicKey)?;
    let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm128, HkdfSha256, Kem>(
        &OpModeS::Base,
        &public,
        &seal_info(election, contest),
        plaintext,
        voting_key,
        rng,
    )
    .map_err(|_| SealError::BadPublicKey)?;
    let enc: [u8; ENC_LEN] = enc
        .to_bytes()
        .as_slice()
        .try_into()
        .map_err(|_| SealError::BadEnc)?;
    Ok(SealedBallot { enc, ct })
}

/// Opens a sealed ballot with the election's secret key.
pub fn open(
    key: &ElectionSecretKey,
    election: &[u8; 32],
    contest: &str,
    voting_key: &[u8; 32],
    sealed: &SealedBallot,
) -> Result<Vec<u8>, SealError> {
    let enc = EncappedKey::from_bytes(&sealed.enc).map_err(|_| SealError::BadEnc)?;
    hpke::single_shot_open::<AesGcm128, HkdfSha256, Kem>(
        &OpModeR::Base,
        &key.kem_key()?,
        &enc,
        &seal_info(election, contest),
        &sealed.ct,
        voting_key,
    )
    .map_err(|_| SealError::DoesNotOpen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use rand::rngs::ChaCha20Rng;

    const ELECTION: [u8; 32] = [1; 32];
    const VOTER: [u8; 32] = [2; 32];

    fn keys() -> (ElectionSecretKey, ElectionPublicKey) {
        let secret = ElectionSecretKey::from_bytes([42; 32]);
        let public = secret.public_key().unwrap();
        (secret, public)
    }

    fn sealed(plaintext: &[u8]) -> SealedBallot {
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        seal(&keys().1, &ELECTION, "nec", &VOTER, plaintext, &mut rng).unwrap()
    }

    #[test]
    fn sealed_ballot_opens_with_the_election_key() {
        let ballot = sealed(b"\x01\x00\x02\x00\x01\x00\x02");
        assert_eq!(ballot.ct.len(), 7 + TAG_LEN);
        let plain = open(&keys().0, &ELECTION, "nec", &VOTER, &ballot).unwrap();
        assert_eq!(plain, b"\x01\x00\x02\x00\x01\x00\x02");
    }

    #[test]
    fn rejects_wrong_key_election_contest_voting_key_and_flipped_bits() {
        let ballot = sealed(b"ballot");
        let other = ElectionSecretKey::from_bytes([43; 32]);
        let fails = |r: Result<Vec<u8>, SealError>| assert_eq!(r, Err(SealError::DoesNotOpen));
        fails(open(&other, &ELECTION, "nec", &VOTER, &ballot));
        fails(open(&keys().0, &[9; 32], "nec", &VOTER, &ballot));
        fails(open(&keys().0, &ELECTION, "youth", &VOTER, &ballot));
        fails(open(&keys().0, &ELECTION, "nec", &[3; 32], &ballot));
        for i in 0..ballot.ct.len() {
            let mut bad = ballot.clone();
            bad.ct[i] ^= 1;
            fails(open(&keys().0, &ELECTION, "nec", &VOTER, &bad));
        }
        let mut bad = ballot.clone();
        bad.enc[5] ^= 1;
        assert!(open(&keys().0, &ELECTION, "nec", &VOTER, &bad).is_err());
        let mut bad = ballot;
        bad.ct.pop();
        fails(open(&keys().0, &ELECTION, "nec", &VOTER, &bad));
    }
}
