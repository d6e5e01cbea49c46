//! Voting passes (docs/PROTOCOL.md §5): an issuer's RFC 9474 blind signature on a voting key.
//!
//! The booth draws a 16-byte [`PassSecret`] and derives from it, per election and contest, an
//! Ed25519 voting key and the randomness for blinding. The issuer signs the blinded pass message
//! without learning the voting key; the ballot box later sees the unblinded signature and cannot
//! link it to the member. Because the blinding is derived from the secret, a retry sends the
//! identical blinded message, so the issuer can answer it idempotently.
//!
//! Only RSABSSA-SHA384-PSS-Randomized (RFC 9474 §5) is used; [`IssuerPublicKey`] names it once.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::fmt;

use blind_rsa_signatures::{
    BlindSignature, BlindingResult, KeyPairSha384PSSRandomized, MessageRandomizer,
    PublicKeySha384PSSRandomized, SecretKeySha384PSSRandomized, Signature,
};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::SeedableRng as _;
use rand::rngs::ChaCha20Rng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::hash::{Domain, Transcript};

/// Modulus size of issuer keys, in bits.
pub const ISSUER_KEY_BITS: usize = 2048;
/// Length of a pass signature (the RSA modulus), in bytes.
pub const PASS_SIGNATURE_LEN: usize = ISSUER_KEY_BITS / 8;

/// The issuer's public key: RSABSSA-SHA384-PSS-Randomized.
pub type IssuerPublicKey = PublicKeySha384PSSRandomized;
/// The issuer's secret key.
pub type IssuerSecretKey = SecretKeySha384PSSRandomized;
/// An issuer key pair.
pub type IssuerKeyPair = KeyPairSha384PSSRandomized;

/// Why a pass could not be made or does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PassError {
    /// The RSA library refused (bad key size, message not invertible, …).
    #[error("blind signature operation failed: {0}")]
    Rsa(String),
    /// The signature does not verify under the issuer key for this election, contest and key.
    #[error("the pass signature does not verify under the issuer key")]
    BadSignature,
    /// The voting key is not a valid Ed25519 public key.
    #[error("the voting key is not a valid Ed25519 point")]
    BadVotingKey,
}

fn rsa(error: blind_rsa_signatures::Error) -> PassError {
    PassError::Rsa(error.to_string())
}

/// Generates an issuer key pair.
pub fn generate_issuer_key(rng: &mut impl rand::CryptoRng) -> Result<IssuerKeyPair, PassError> {
    IssuerKeyPair::generate(rng, ISSUER_KEY_BITS).map_err(rsa)
}

/// The member's 128-bit pass secret. Redacted in `Debug`, zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PassSecret([u8; 16]);

/// Constant time.
impl PartialEq for PassSecret {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}

impl Eq for PassSecret {}

impl fmt::Debug for PassSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PassSecret(redacted)")
    }
}

impl PassSecret {
    /// A fresh secret from `rng`.
    pub fn random(rng: &mut impl rand::CryptoRng) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The secret with these bytes (as the member saved it).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The secret's bytes, to show the member for safe keeping.
    pub fn to_bytes(&self) -> [u8; 16] {
        self.0
    }

    fn derive(&self, domain: Domain, election: &[u8; 32], contest: &str) -> [u8; 32] {
        Transcript::new(domain)
            .fixed(&self.0)
            .fixed(election)
            .field(contest.as_bytes())
            .hash()
    }

    /// The contest's voting key: Ed25519 with seed
    /// `SHA-256(tag ‖ secret ‖ election fingerprint ‖ contest)`.
    pub fn voting_key(&self, election: &[u8; 32], contest: &str) -> SigningKey {
        let mut seed = self.derive(Domain::PassVotingKey, election, contest);
        let key = SigningKey::from_bytes(&seed);
        seed.zeroize();
        key
    }

    /// Blinds the contest's pass message for `issuer`. Deterministic in the secret, so a retry
    /// produces the same blinded message.
    pub fn blind(
        &self,
        issuer: &IssuerPublicKey,
        election: &[u8; 32],
        contest: &str,
    ) -> Result<PassRequest, PassError> {
        let key = self.voting_key(election, contest).verifying_key();
        let message = pass_message(election, contest, &key);
        let mut rng = ChaCha20Rng::from_seed(self.derive(Domain::PassBlinding, election, contest));
        let blinding = issuer.blind(&mut rng, &message).map_err(rsa)?;
        Ok(PassRequest {
            key,
            message,
            blinding,
        })
    }
}

/// The message an issuer signs: `tag ‖ election fingerprint ‖ contest ‖ voting key`.
pub fn pass_message(election: &[u8; 32], contest: &str, key: &VerifyingKey) -> Vec<u8> {
    Transcript::new(Domain::PassMessage)
        .fixed(election)
        .field(contest.as_bytes())
        .fixed(key.as_bytes())
        .into_bytes()
}

/// A blinded pass request, kept by the booth until the issuer answers.
#[derive(Debug)]
pub struct PassRequest {
    key: VerifyingKey,
    message: Vec<u8>,
    blinding: BlindingResult,
}

impl PassRequest {
    /// The blinded message to send to the issuer.
    pub fn blinded_message(&self) -> &[u8] {
        &self.blinding.blind_message
    }

    /// Unblinds the issuer's answer into a pass, checking it verifies.
    pub fn finalize(
        &self,
        issuer: &IssuerPublicKey,
        blind_signature: &[u8],
    ) -> Result<Pass, PassError> {
        let signature = issuer
            .finalize(
                &BlindSignature(blind_signature.to_vec()),
                &self.blinding,
                &self.message,
            )
            .map_err(|_| PassError::BadSignature)?;
        let randomizer = self
            .blinding
            .msg_randomizer
            .ok_or(PassError::BadSignature)?;
        Ok(Pass {
            key: self.key.to_bytes(),
            randomizer: randomizer.0,
            signature: signature.0,
        })
    }
}

/// The issuer's side: signs a blinded message. The issuer learns nothing of the voting key.
pub fn sign_blinded(issuer: &IssuerSecretKey, blinded: &[u8]) -> Result<Vec<u8>, PassError> {
    // RSA blinding of the private operation is the library's (rsa_decrypt_and_check with an RNG).
    Ok(issuer.blind_sign(blinded).map_err(rsa)?.0)
}

/// A voting pass as it appears in a ballot entry: the voting key, RFC 9474's message randomizer
/// and the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pass {
    /// The Ed25519 voting key.
    pub key: [u8; 32],
    /// The 32-byte message randomizer prepended to the message (RFC 9474 §4.1, Randomized).
    pub randomizer: [u8; 32],
    /// The RSA signature, [`PASS_SIGNATURE_LEN`] bytes.
    pub signature: Vec<u8>,
}

impl Pass {
    /// Checks the signature under `issuer` for this election and contest.
    pub fn verify(
        &self,
        issuer: &IssuerPublicKey,
        election: &[u8; 32],
        contest: &str,
    ) -> Result<VerifyingKey, PassError> {
        let key = VerifyingKey::from_bytes(&self.key).map_err(|_| PassError::BadVotingKey)?;
        issuer
            .verify(
                &Signature(self.signature.clone()),
                Some(MessageRandomizer(self.randomizer)),
                pass_message(election, contest, &key),
            )
            .map_err(|_| PassError::BadSignature)?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    static ISSUER: LazyLock<IssuerKeyPair> = LazyLock::new(|| {
        generate_issuer_key(&mut ChaCha20Rng::from_seed([7; 32])).expect("key generation")
    });
    const ELECTION: [u8; 32] = [1; 32];

    fn issue(secret: &PassSecret, contest: &str) -> Pass {
        let request = secret.blind(&ISSUER.pk, &ELECTION, contest).unwrap();
        let blind = sign_blinded(&ISSUER.sk, request.blinded_message()).unwrap();
        request.finalize(&ISSUER.pk, &blind).unwrap()
    }

    #[test]
    fn issued_pass_verifies_for_its_election_and_contest() {
        let pass = issue(&PassSecret::from_bytes([3; 16]), "nec");
        assert_eq!(pass.signature.len(), PASS_SIGNATURE_LEN);
        pass.verify(&ISSUER.pk, &ELECTION, "nec").unwrap();
    }

    #[test]
    fn retry_sends_the_identical_blinded_message() {
        let secret = PassSecret::from_bytes([4; 16]);
        let a = secret.blind(&ISSUER.pk, &ELECTION, "nec").unwrap();
        let b = secret.blind(&ISSUER.pk, &ELECTION, "nec").unwrap();
        assert_eq!(a.blinded_message(), b.blinded_message());
        let other = secret.blind(&ISSUER.pk, &ELECTION, "youth").unwrap();
        assert_ne!(a.blinded_message(), other.blinded_message());
    }

    #[test]
    fn rejects_pass_from_other_election_or_contest() {
        let pass = issue(&PassSecret::from_bytes([5; 16]), "nec");
        assert_eq!(
            pass.verify(&ISSUER.pk, &[2; 32], "nec"),
            Err(PassError::BadSignature)
        );
        assert_eq!(
            pass.verify(&ISSUER.pk, &ELECTION, "youth"),
            Err(PassError::BadSignature)
        );
    }

    #[test]
    fn rejects_flipped_bits_and_another_voting_key() {
        let pass = issue(&PassSecret::from_bytes([6; 16]), "nec");
        let mut bad = pass.clone();
        bad.signature[100] ^= 1;
        assert!(bad.verify(&ISSUER.pk, &ELECTION, "nec").is_err());
        let mut bad = pass.clone();
        bad.randomizer[0] ^= 1;
        assert!(bad.verify(&ISSUER.pk, &ELECTION, "nec").is_err());
        let mut bad = pass.clone();
        bad.key = PassSecret::from_bytes([9; 16])
            .voting_key(&ELECTION, "nec")
            .verifying_key()
            .to_bytes();
        assert_eq!(
            bad.verify(&ISSUER.pk, &ELECTION, "nec"),
            Err(PassError::BadSignature)
        );
        let mut bad = pass;
        bad.signature.pop();
        assert!(bad.verify(&ISSUER.pk, &ELECTION, "nec").is_err());
    }

    #[test]
    fn rejects_pass_signed_by_another_issuer() {
        let other = generate_issuer_key(&mut ChaCha20Rng::from_seed([8; 32])).unwrap();
        let secret = PassSecret::from_bytes([10; 16]);
        let request = secret.blind(&other.pk, &ELECTION, "nec").unwrap();
        let blind = sign_blinded(&other.sk, request.blinded_message()).unwrap();
        let pass = request.finalize(&other.pk, &blind).unwrap();
        assert_eq!(
            pass.verify(&ISSUER.pk, &ELECTION, "nec"),
            Err(PassError::BadSignature)
        );
    }

    #[test]
    fn finalize_refuses_a_signature_from_the_wrong_key() {
        let other = generate_issuer_key(&mut ChaCha20Rng::from_seed([11; 32])).unwrap();
        let secret = PassSecret::from_bytes([12; 16]);
        let request = secret.blind(&ISSUER.pk, &ELECTION, "nec").unwrap();
        let blind = sign_blinded(&other.sk, request.blinded_message()).unwrap();
        assert_eq!(
            request.finalize(&ISSUER.pk, &blind),
            Err(PassError::BadSignature)
        );
    }
}
