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

/// The election's secret key: 32 bytes. A dealt key (`election create --dealer`) is an X25519
/// scalar, clamped when used (RFC 7748 §5); a key the trustees made together (§11.2) is a scalar
/// mod ℓ used as it is (`joint`), since nobody could clamp it. Exists only at the key reveal,
/// reconstructed from trustee shares. Redacted, zeroized.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ElectionSecretKey {
    bytes: [u8; 32],
    #[zeroize(skip)]
    origin: KeyOrigin,
}

/// How an election key was made, which decides how it is used (the manifest says which:
/// `trustees.ceremony` present or not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    /// Drawn on the returning officer's machine and split (`election create --dealer`): an
    /// X25519 private key, clamped when used; shares are checked against hash commitments.
    Dealer,
    /// Made by the trustees' ceremony: a scalar mod ℓ used unclamped; shares are checked against
    /// the verifying shares `s_i·B`.
    Ceremony,
}

/// Constant time, so comparing a rebuilt key with the revealed one leaks nothing by its timing.
impl PartialEq for ElectionSecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.origin == other.origin
            && bool::from(subtle::ConstantTimeEq::ct_eq(
                &self.bytes[..],
                &other.bytes[..],
            ))
    }
}

impl Eq for ElectionSecretKey {}

impl fmt::Debug for ElectionSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ElectionSecretKey(redacted)")
    }
}

impl ElectionSecretKey {
    /// A dealt key (an X25519 private key) with these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self::new(bytes, KeyOrigin::Dealer)
    }

    /// A key with these bytes, made as `origin` says.
    pub fn new(bytes: [u8; 32], origin: KeyOrigin) -> Self {
        Self { bytes, origin }
    }

    /// How the key was made.
    pub fn origin(&self) -> KeyOrigin {
        self.origin
    }

    /// The key's bytes (published at the key reveal).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.bytes
    }

    fn kem_key(&self) -> Result<KemPrivateKey, SealError> {
        KemPrivateKey::from_bytes(&self.bytes).map_err(|_| SealError::DoesNotOpen)
    }

    /// A ceremony key's scalar; a non-canonical one is no key.
    fn scalar(&self) -> Result<curve25519_dalek::Scalar, SealError> {
        Option::from(curve25519_dalek::Scalar::from_canonical_bytes(self.bytes))
            .ok_or(SealError::DoesNotOpen)
    }

    /// The matching public key.
    pub fn public_key(&self) -> Result<ElectionPublicKey, SealError> {
        if self.origin == KeyOrigin::Ceremony {
            return Ok(ElectionPublicKey(super::dhkem::public_key(&self.scalar()?)));
        }
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

/// Length of the ephemeral key material `ikmE` a seal draws (RFC 9180 `Nsk` for X25519).
pub const IKM_LEN: usize = 32;

/// Seals `plaintext` to `key` for this election, contest and voting key, with fresh ephemeral
/// key material from `rng`.
pub fn seal(
    key: &ElectionPublicKey,
    election: &[u8; 32],
    contest: &str,
    voting_key: &[u8; 32],
    plaintext: &[u8],
    rng: &mut impl rand::CryptoRng,
) -> Result<SealedBallot, SealError> {
    let mut ikm = [0u8; IKM_LEN];
    rng.fill_bytes(&mut ikm);
    let sealed = seal_with_ikm(key, election, contest, voting_key, plaintext, &ikm);
    ikm.zeroize();
    sealed
}

/// Seals with the ephemeral key `DeriveKeyPair(ikm)` (RFC 9180 §7.1.3). The seal is a function
/// of its inputs: revealing `ikm` lets anyone re-seal the claimed plaintext and compare bytes,
/// which is how a member audits a sealed ballot they then do not cast (PROTOCOL.md §6.2).
pub fn seal_with_ikm(
    key: &ElectionPublicKey,
    election: &[u8; 32],
    contest: &str,
    voting_key: &[u8; 32],
    plaintext: &[u8],
    ikm: &[u8; IKM_LEN],
) -> Result<SealedBallot, SealError> {
    let public = KemPublicKey::from_bytes(&key.0).map_err(|_| SealError::BadPublicKey)?;
    let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm128, HkdfSha256, Kem>(
        &OpModeS::Base,
        &public,
        &seal_info(election, contest),
        plaintext,
        voting_key,
        &mut IkmRng::new(ikm),
    )
    .map_err(|_| SealError::BadPublicKey)?;
    let enc: [u8; ENC_LEN] = enc
        .to_bytes()
        .as_slice()
        .try_into()
        .map_err(|_| SealError::BadEnc)?;
    Ok(SealedBallot { enc, ct })
}

/// The randomness HPKE's encapsulation draws: `ikm` first, which is all a base-mode X25519
/// seal takes (the crate's `gen_keypair_with_rng` is `DeriveKeyPair(random(Nsk))`; the RFC 9180
/// known-answer test below fails if that ever changes). Anything drawn after it comes from
/// ChaCha20 keyed by `ikm`, so nothing here can fail or repeat bytes silently.
struct IkmRng {
    ikm: [u8; IKM_LEN],
    used: usize,
    tail: rand::rngs::ChaCha20Rng,
}

impl IkmRng {
    fn new(ikm: &[u8; IKM_LEN]) -> Self {
        use rand::SeedableRng as _;
        Self {
            ikm: *ikm,
            used: 0,
            tail: rand::rngs::ChaCha20Rng::from_seed(*ikm),
        }
    }
}

impl Drop for IkmRng {
    fn drop(&mut self) {
        self.ikm.zeroize();
    }
}

impl rand::TryRng for IkmRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        let from_ikm = (IKM_LEN - self.used).min(dst.len());
        dst[..from_ikm].copy_from_slice(&self.ikm[self.used..self.used + from_ikm]);
        self.used += from_ikm;
        rand::Rng::fill_bytes(&mut self.tail, &mut dst[from_ikm..]);
        Ok(())
    }
}

impl rand::TryCryptoRng for IkmRng {}

/// Opens a sealed ballot with the election's secret key.
pub fn open(
    key: &ElectionSecretKey,
    election: &[u8; 32],
    contest: &str,
    voting_key: &[u8; 32],
    sealed: &SealedBallot,
) -> Result<Vec<u8>, SealError> {
    if key.origin == KeyOrigin::Ceremony {
        let scalar = zeroize::Zeroizing::new(key.scalar()?);
        return super::dhkem::open_unclamped(
            &scalar,
            &sealed.enc,
            &seal_info(election, contest),
            voting_key,
            &sealed.ct,
        );
    }
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

    fn hex(text: &str) -> Vec<u8> {
        base16ct::lower::decode_vec(text).unwrap()
    }

    /// RFC 9180 Appendix A.1.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base
    /// mode): with the vector's `ikmE`, the seal's `enc` is the vector's `pkEm` and the first
    /// encryption its ciphertext, so an audit's revealed `ikm` means what the RFC says it means.
    #[test]
    fn seal_with_ikm_matches_rfc9180_a_1_1() {
        let ikm: [u8; 32] = hex("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234")
            .try_into()
            .unwrap();
        let pk_r: [u8; 32] =
            hex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d")
                .try_into()
                .unwrap();
        let info = hex("4f6465206f6e2061204772656369616e2055726e");
        let aad = hex("436f756e742d30");
        let pt = hex("4265617574792069732074727574682c20747275746820626561757479");
        let public = KemPublicKey::from_bytes(&pk_r).unwrap();
        let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm128, HkdfSha256, Kem>(
            &OpModeS::Base,
            &public,
            &info,
            &pt,
            &aad,
            &mut IkmRng::new(&ikm),
        )
        .unwrap();
        assert_eq!(
            enc.to_bytes().as_slice(),
            hex("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431")
        );
        assert_eq!(
            ct,
            hex(concat!(
                "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9",
                "6d8770ac83d07bea87e13c512a"
            ))
        );
    }

    #[test]
    fn a_seal_from_an_rng_is_the_seal_from_the_ikm_it_drew() {
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        let mut ikm = [0u8; IKM_LEN];
        rand::Rng::fill_bytes(&mut rng, &mut ikm);
        let from_ikm = seal_with_ikm(&keys().1, &ELECTION, "nec", &VOTER, b"ballot", &ikm).unwrap();
        assert_eq!(sealed(b"ballot"), from_ikm);
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
