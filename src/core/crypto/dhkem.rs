//! Opening a sealed ballot with an election key that is a scalar modulo ℓ used as it is (issue 14:
//! a key made by trustees together, by distributed key generation, is such a scalar, and nobody
//! can clamp it). RFC 9180 base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM,
//! single-shot, exactly as docs/PROTOCOL.md §6 seals; only the Diffie–Hellman step differs from
//! X25519's: `dh = u(s · enc)` with the scalar unclamped, where X25519 would clamp it first.
//!
//! Written by hand, and small, because the `hpke` crate takes only X25519 private keys (it clamps
//! them) and offers no way in with a shared secret: the key schedule below is RFC 9180 §4.1 and
//! §5.1 to the letter, checked against the RFC's own vectors and against `hpke` itself on clamped
//! keys (tests). The sender's side is unchanged: a booth seals to the public key `u(s · B)` with
//! the `hpke` crate as before.
//!
//! For a clamped key `k` (a multiple of 8 below 2²⁵⁵), `clamp(k) · P = (clamp(k) mod ℓ) · P` for
//! every `P` in the prime-order subgroup, which is where honest senders' `enc` lie; so a dealer's
//! key, reduced mod ℓ, opens here exactly as `hpke` opens it. An `enc` outside that subgroup may
//! open differently here (the cofactor is not cleared): only a dishonest sender can make one, and
//! then only their own ballot is affected.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use aes_gcm::aead::{Aead as _, Payload};
use aes_gcm::{Aes128Gcm, KeyInit as _};
use curve25519_dalek::Scalar;
use curve25519_dalek::montgomery::MontgomeryPoint;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::seal::SealError;

/// `suite_id` of the KEM: `"KEM" ‖ I2OSP(0x0020, 2)` (DHKEM(X25519, HKDF-SHA256)).
const KEM_SUITE: &[u8] = b"KEM\x00\x20";
/// `suite_id` of HPKE: `"HPKE" ‖ kem_id 0x0020 ‖ kdf_id 0x0001 ‖ aead_id 0x0001`.
const HPKE_SUITE: &[u8] = b"HPKE\x00\x20\x00\x01\x00\x01";
/// Base mode.
const MODE_BASE: u8 = 0x00;

/// The public key of the scalar `secret`: the u-coordinate of `secret · B`, what the manifest
/// publishes and booths seal to.
pub fn public_key(secret: &Scalar) -> [u8; 32] {
    MontgomeryPoint::mul_base(secret).to_bytes()
}

/// RFC 9180 §4.1 `LabeledExtract(salt, label, ikm)`.
fn labeled_extract(suite: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut input = Zeroizing::new(Vec::with_capacity(
        7 + suite.len() + label.len() + ikm.len(),
    ));
    input.extend_from_slice(b"HPKE-v1");
    input.extend_from_slice(suite);
    input.extend_from_slice(label);
    input.extend_from_slice(ikm);
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), &input);
    Zeroizing::new(prk.into())
}

/// RFC 9180 §4.1 `LabeledExpand(prk, label, info, L)` for `L` = `N` bytes.
fn labeled_expand<const N: usize>(
    suite: &[u8],
    prk: &[u8; 32],
    label: &[u8],
    info: &[u8],
) -> Result<Zeroizing<[u8; N]>, SealError> {
    let length = u16::try_from(N).map_err(|_| SealError::DoesNotOpen)?;
    let mut labeled = Vec::with_capacity(9 + suite.len() + label.len() + info.len());
    labeled.extend_from_slice(&length.to_be_bytes());
    labeled.extend_from_slice(b"HPKE-v1");
    labeled.extend_from_slice(suite);
    labeled.extend_from_slice(label);
    labeled.extend_from_slice(info);
    let mut okm = Zeroizing::new([0u8; N]);
    Hkdf::<Sha256>::from_prk(prk)
        .map_err(|_| SealError::DoesNotOpen)?
        .expand(&labeled, okm.as_mut())
        .map_err(|_| SealError::DoesNotOpen)?;
    Ok(okm)
}

/// RFC 9180 §4.1 `Decap(enc, skR)` with `DH(skR, pkE) = u(secret · pkE)`, the scalar unclamped:
/// the KEM's shared secret.
pub fn shared_secret(secret: &Scalar, enc: &[u8; 32]) -> Result<Zeroizing<[u8; 32]>, SealError> {
    let dh = Zeroizing::new((MontgomeryPoint(*enc) * secret).to_bytes());
    // RFC 9180 §7.1.4: an all-zero DH output (a small-order `enc`) MUST be refused.
    if dh.iter().all(|&b| b == 0) {
        return Err(SealError::BadEnc);
    }
    let mut kem_context = Vec::with_capacity(64);
    kem_context.extend_from_slice(enc);
    kem_context.extend_from_slice(&public_key(secret));
    let eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh.as_ref());
    labeled_expand::<32>(KEM_SUITE, &eae_prk, b"shared_secret", &kem_context)
}

/// RFC 9180 §5.1 `KeySchedule` in base mode (no PSK): the AEAD key and base nonce.
fn key_schedule(
    shared_secret: &[u8; 32],
    info: &[u8],
) -> Result<(Zeroizing<[u8; 16]>, [u8; 12]), SealError> {
    let psk_id_hash = labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"");
    let info_hash = labeled_extract(HPKE_SUITE, b"", b"info_hash", info);
    let mut context = Vec::with_capacity(65);
    context.push(MODE_BASE);
    context.extend_from_slice(psk_id_hash.as_ref());
    context.extend_from_slice(info_hash.as_ref());
    let secret = labeled_extract(HPKE_SUITE, shared_secret, b"secret", b"");
    let key = labeled_expand::<16>(HPKE_SUITE, &secret, b"key", &context)?;
    let base_nonce = labeled_expand::<12>(HPKE_SUITE, &secret, b"base_nonce", &context)?;
    Ok((key, *base_nonce))
}

/// Single-shot base-mode open (RFC 9180 §6.1, sequence number 0) of `ct` sealed to the public
/// key of `secret`, with `info` and `aad`.
pub fn open_unclamped(
    secret: &Scalar,
    enc: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    ct: &[u8],
) -> Result<Vec<u8>, SealError> {
    let shared = shared_secret(secret, enc)?;
    let (key, nonce) = key_schedule(&shared, info)?;
    let cipher = Aes128Gcm::new_from_slice(key.as_ref()).map_err(|_| SealError::DoesNotOpen)?;
    cipher
        .decrypt(&nonce.into(), Payload { msg: ct, aad })
        .map_err(|_| SealError::DoesNotOpen)
}

#[cfg(test)]
mod tests {
    use hpke::aead::AesGcm128;
    use hpke::kdf::HkdfSha256;
    use hpke::kem::X25519HkdfSha256;
    use hpke::{Deserializable as _, Kem as _, OpModeS, Serializable as _};
    use rand::SeedableRng as _;
    use rand::rngs::ChaCha20Rng;

    use super::*;

    type Kem = X25519HkdfSha256;

    fn hex(text: &str) -> Vec<u8> {
        base16ct::mixed::decode_vec(text).unwrap()
    }

    fn array<const N: usize>(text: &str) -> [u8; N] {
        hex(text).try_into().unwrap()
    }

    /// An X25519 private key as the scalar it stands for: clamped, then reduced mod ℓ.
    fn clamped_scalar(mut key: [u8; 32]) -> Scalar {
        key[0] &= 248;
        key[31] &= 127;
        key[31] |= 64;
        Scalar::from_bytes_mod_order(key)
    }

    fn rfc9180() -> serde_json::Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/rfc9180.json");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    /// RFC 9180 A.1.1, computed with the recipient's key as an unclamped scalar: the same public
    /// key, shared secret, key schedule and first plaintext as the RFC.
    #[test]
    fn the_rfc_9180_vector_opens_with_its_key_as_a_scalar() {
        let v = rfc9180();
        let s = |field: &str| v[field].as_str().unwrap().to_owned();
        let secret = clamped_scalar(array(&s("skRm")));
        assert_eq!(public_key(&secret), array::<32>(&s("pkRm")));
        let shared = shared_secret(&secret, &array(&s("enc"))).unwrap();
        assert_eq!(*shared, array::<32>(&s("shared_secret")));
        let (key, nonce) = key_schedule(&shared, &hex(&s("info"))).unwrap();
        assert_eq!(*key, array::<16>(&s("key")));
        assert_eq!(nonce, array::<12>(&s("base_nonce")));
        let first = &v["encryptions"][0];
        assert_eq!(first["sequence_number"], 0);
        let opened = open_unclamped(
            &secret,
            &array(&s("enc")),
            &hex(&s("info")),
            &hex(first["aad"].as_str().unwrap()),
            &hex(first["ct"].as_str().unwrap()),
        )
        .unwrap();
        assert_eq!(opened, hex(first["pt"].as_str().unwrap()));
    }

    fn hpke_seal(
        public: &[u8; 32],
        info: &[u8],
        aad: &[u8],
        pt: &[u8],
        seed: u8,
    ) -> ([u8; 32], Vec<u8>) {
        let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(public).unwrap();
        let mut rng = ChaCha20Rng::from_seed([seed; 32]);
        let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm128, HkdfSha256, Kem>(
            &OpModeS::Base,
            &pk,
            info,
            pt,
            aad,
            &mut rng,
        )
        .unwrap();
        (enc.to_bytes().as_slice().try_into().unwrap(), ct)
    }

    /// The `hpke` crate with clamped keys: the same public key from the same bytes, and what it
    /// seals opens here; a wrong key, another `info` or `aad`, or a flipped bit does not.
    #[test]
    fn opens_what_the_hpke_crate_seals_to_a_clamped_key_and_refuses_the_wrong_ones() {
        let mut rng = ChaCha20Rng::from_seed([5; 32]);
        for round in 0..20u8 {
            let mut bytes = [0u8; 32];
            rand::Rng::fill_bytes(&mut rng, &mut bytes);
            let hpke_key = <Kem as hpke::Kem>::PrivateKey::from_bytes(&bytes).unwrap();
            let hpke_public: [u8; 32] = Kem::sk_to_pk(&hpke_key)
                .to_bytes()
                .as_slice()
                .try_into()
                .unwrap();
            let secret = clamped_scalar(bytes);
            assert_eq!(public_key(&secret), hpke_public);
            let (enc, ct) = hpke_seal(&hpke_public, b"info", b"aad", b"ranking", round);
            assert_eq!(
                open_unclamped(&secret, &enc, b"info", b"aad", &ct).unwrap(),
                b"ranking"
            );
            let wrong = secret + Scalar::ONE;
            assert!(open_unclamped(&wrong, &enc, b"info", b"aad", &ct).is_err());
            assert!(open_unclamped(&secret, &enc, b"other", b"aad", &ct).is_err());
            assert!(open_unclamped(&secret, &enc, b"info", b"other", &ct).is_err());
            let mut flipped = ct.clone();
            flipped[round as usize % ct.len()] ^= 1;
            assert!(open_unclamped(&secret, &enc, b"info", b"aad", &flipped).is_err());
        }
    }

    /// The case trustees' keys are in: a scalar that is no clamped X25519 key (odd, or small). A
    /// booth seals to its public key with the unchanged `hpke` crate, and it opens here.
    #[test]
    fn a_scalar_that_is_no_x25519_key_opens_what_hpke_seals_to_its_public_key() {
        let mut rng = ChaCha20Rng::from_seed([6; 32]);
        let mut scalars = vec![Scalar::ONE, Scalar::from(7u64), -Scalar::ONE];
        for _ in 0..10 {
            let mut wide = [0u8; 64];
            rand::Rng::fill_bytes(&mut rng, &mut wide);
            scalars.push(Scalar::from_bytes_mod_order_wide(&wide));
        }
        for (i, secret) in scalars.iter().enumerate() {
            let (enc, ct) = hpke_seal(&public_key(secret), b"i", b"a", b"3 1 2", i as u8);
            assert_eq!(
                open_unclamped(secret, &enc, b"i", b"a", &ct).unwrap(),
                b"3 1 2"
            );
        }
    }

    /// RFC 9180 §7.1.4: a small-order `enc` (here the point of order 1, u = 0) gives an all-zero
    /// DH output and is refused.
    #[test]
    fn a_small_order_enc_is_refused() {
        assert_eq!(
            shared_secret(&Scalar::from(9u64), &[0; 32]).err(),
            Some(SealError::BadEnc)
        );
    }
}
