//! Member sessions as tokens the issuer signs, so the database holds nothing per login (issue 9,
//! docs/design/unlinkability.md).
//!
//! A session table kept each member's login time to the second (its expiry), and its insertion
//! order, which paired with the ballot log linked ballots to members. Instead the token carries
//! the member number and the expiry under an HMAC-SHA256 with the election's session key
//! (`session.key` in the key directory, shared by every server process of the issuer), and the
//! server checks it on each call. Nothing about a login is written anywhere. The tag also covers
//! the member's current invitation-code hash, so re-issuing a code ends the sessions opened with
//! the old one.
//!
//! Token bytes (base64url on the wire): `u64(expires) ‖ tag (32) ‖ member number (UTF-8)`, where
//! `tag = HMAC-SHA256(key, "teller/session/v1" ‖ 0x00 ‖ len(election) ‖ election ‖ u64(expires)
//! ‖ len(member) ‖ member ‖ len(code hash) ‖ code hash)`. Not part of the election record; only
//! this server reads it.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Length of the session key.
pub const SESSION_KEY_LEN: usize = 32;
const TAG_LEN: usize = 32;
const EXPIRES_LEN: usize = 8;
const LABEL: &[u8] = b"teller/session/v1\0";

/// The key that signs an election's session tokens. Zeroized on drop.
pub struct SessionKey(Zeroizing<[u8; SESSION_KEY_LEN]>);

impl SessionKey {
    /// The key with these bytes (read from `session.key`).
    pub fn from_bytes(bytes: [u8; SESSION_KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    fn tag(&self, election: &str, claim: &Claim<'_>, code_hash: &str) -> Hmac<Sha256> {
        // RFC 2104 pads a key shorter than the hash's block with zeros; padding it here makes
        // construction infallible.
        let mut key = Zeroizing::new([0u8; 64]);
        key[..SESSION_KEY_LEN].copy_from_slice(&self.0[..]);
        let mut mac = <Hmac<Sha256>>::new(&(*key).into());
        let len = |field: &str| u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes();
        mac.update(LABEL);
        mac.update(&len(election));
        mac.update(election.as_bytes());
        mac.update(&claim.expires.to_be_bytes());
        mac.update(&len(claim.member));
        mac.update(claim.member.as_bytes());
        mac.update(&len(code_hash));
        mac.update(code_hash.as_bytes());
        mac
    }

    /// A token for `member` in `election`, logged in with the code whose stored hash is
    /// `code_hash`, good until `expires` (Unix seconds).
    pub fn issue(&self, election: &str, member: &str, code_hash: &str, expires: i64) -> Vec<u8> {
        let claim = Claim { member, expires };
        let tag = self
            .tag(election, &claim, code_hash)
            .finalize()
            .into_bytes();
        let mut token = Vec::with_capacity(EXPIRES_LEN + TAG_LEN + member.len());
        token.extend_from_slice(&expires.to_be_bytes());
        token.extend_from_slice(&tag);
        token.extend_from_slice(member.as_bytes());
        token
    }

    /// Whether this key signed `token`'s claim for `election` and the member's current code
    /// hash, and it has not expired at `now`. The tag is compared in constant time.
    pub fn check(&self, election: &str, token: &[u8], code_hash: &str, now: i64) -> bool {
        let Some((claim, tag)) = Claim::read(token) else {
            return false;
        };
        let signed = self
            .tag(election, &claim, code_hash)
            .verify_slice(tag)
            .is_ok();
        signed && claim.expires >= now
    }
}

/// What a token claims, before it is checked.
#[derive(Debug, PartialEq, Eq)]
pub struct Claim<'a> {
    /// The member number.
    pub member: &'a str,
    /// Unix time the session ends.
    pub expires: i64,
}

impl<'a> Claim<'a> {
    /// Splits a token into its claim and tag; `None` if it is too short or not UTF-8. Nothing is
    /// checked: the caller loads the member's code hash and calls [`SessionKey::check`].
    pub fn read(token: &'a [u8]) -> Option<(Self, &'a [u8])> {
        let (expires, rest) = token.split_first_chunk::<EXPIRES_LEN>()?;
        let (tag, member) = rest.split_first_chunk::<TAG_LEN>()?;
        let claim = Claim {
            member: std::str::from_utf8(member).ok()?,
            expires: i64::from_be_bytes(*expires),
        };
        Some((claim, tag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED_TAG: &str = "7856e0b0d7a601fdbec9ee50b46cd47db057bfed6db36bc1a9768cc2a0731f0b";
    fn key() -> SessionKey {
        SessionKey::from_bytes([7; 32])
    }

    const CODE: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";

    #[test]
    fn a_token_names_its_member_until_it_expires() {
        let token = key().issue("nec-2026", "M0000042", CODE, 1_000);
        let (claim, _) = Claim::read(&token).unwrap();
        assert_eq!(
            claim,
            Claim {
                member: "M0000042",
                expires: 1_000
            }
        );
        assert!(key().check("nec-2026", &token, CODE, 1_000));
        assert!(!key().check("nec-2026", &token, CODE, 1_001), "expired");
    }

    #[test]
    fn rejects_another_election_key_code_flipped_bit_or_truncation() {
        let token = key().issue("nec-2026", "M0000042", CODE, 1_000);
        assert!(!key().check("other", &token, CODE, 0));
        assert!(!SessionKey::from_bytes([8; 32]).check("nec-2026", &token, CODE, 0));
        assert!(
            !key().check("nec-2026", &token, "$argon2id$other", 0),
            "a re-issued code ends the session"
        );
        for i in 0..token.len() {
            let mut bad = token.clone();
            bad[i] ^= 1;
            assert!(
                !key().check("nec-2026", &bad, CODE, 0),
                "bit flipped at {i}"
            );
        }
        for len in [0, 20, 39, 40, token.len() - 1] {
            assert!(
                !key().check("nec-2026", &token[..len], CODE, 0),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn a_later_expiry_or_another_member_needs_a_new_tag() {
        let token = key().issue("nec-2026", "M0000042", CODE, 1_000);
        let mut later = token.clone();
        later[..8].copy_from_slice(&2_000i64.to_be_bytes());
        assert!(!key().check("nec-2026", &later, CODE, 0));
        let mut other = token[..40].to_vec();
        other.extend_from_slice(b"M0000043");
        assert!(!key().check("nec-2026", &other, CODE, 0));
    }

    /// The tag as Python computes it: `hmac.new(bytes([7]*32), b"teller/session/v1\0" +
    /// pack(">I", 1) + b"e" + pack(">q", 1) + pack(">I", 1) + b"m" + pack(">I", 1) + b"c",
    /// "sha256")`.
    #[test]
    fn tag_known_answer() {
        let token = key().issue("e", "m", "c", 1);
        let hex = base16ct::lower::encode_string(&token[8..40]);
        assert_eq!(hex, EXPECTED_TAG);
    }
}
