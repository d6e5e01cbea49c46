//! Invitation codes (DESIGN.md, protocol step 2): one high-entropy code per member for the mail
//! merge, stored only as an argon2id hash.
//!
//! A code is 15 random bytes (120 bits) written as 24 Crockford base32 characters in groups of
//! four, so it survives being read aloud or retyped: case, spaces, dashes and the look-alikes O/0
//! and I/L/1 do not matter. With 120 bits no one guesses a code, so the hash is defence in depth
//! against a stolen database, not the main barrier; the parameters are OWASP's argon2id minimum
//! (19 MiB, 2 passes, 1 lane), which keeps logins cheap enough for an election's opening rush.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use base64ct::{Base64Unpadded, Encoding as _};
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Random bytes in a code.
pub const CODE_BYTES: usize = 15;
/// Characters in a code (without the dashes).
pub const CODE_CHARS: usize = CODE_BYTES * 8 / 5;
/// argon2id memory, KiB.
pub const ARGON2_M_COST: u32 = 19 * 1024;
/// argon2id passes.
pub const ARGON2_T_COST: u32 = 2;
/// argon2id lanes.
pub const ARGON2_P_COST: u32 = 1;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Why a code or a stored hash is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvitationError {
    /// Not 24 characters of the code alphabet.
    #[error(
        "an invitation code is {CODE_CHARS} letters and digits (dashes and spaces do not matter); check it against the letter"
    )]
    BadCode,
    /// A stored hash that is not `$argon2id$v=19$m=…,t=…,p=…$salt$hash` with our parameters.
    #[error("not an argon2id hash of an invitation code with this server's parameters")]
    BadHash,
    /// argon2 itself failed (out of memory).
    #[error("argon2id failed: {0}")]
    Argon2(String),
}

/// A member's invitation code. Redacted in `Debug`, compared in constant time, zeroized.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct InvitationCode(String);

impl fmt::Debug for InvitationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvitationCode(redacted)")
    }
}

impl PartialEq for InvitationCode {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for InvitationCode {}

impl InvitationCode {
    /// A fresh code.
    pub fn generate(rng: &mut impl rand::CryptoRng) -> Self {
        let mut bytes = [0u8; CODE_BYTES];
        rng.fill_bytes(&mut bytes);
        let mut code = String::with_capacity(CODE_CHARS);
        for chunk in bytes.chunks(5) {
            let n = chunk.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
            for i in (0..8).rev() {
                code.push(char::from(CROCKFORD[((n >> (5 * i)) & 31) as usize]));
            }
        }
        bytes.zeroize();
        Self(code)
    }

    /// Reads a code as a member typed it.
    pub fn parse(text: &str) -> Result<Self, InvitationError> {
        let mut code = String::with_capacity(CODE_CHARS);
        for c in text.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c if c.is_ascii() && CROCKFORD.contains(&(c as u8)) => c,
                _ => return Err(InvitationError::BadCode),
            };
            code.push(c);
        }
        if code.len() == CODE_CHARS {
            Ok(Self(code))
        } else {
            Err(InvitationError::BadCode)
        }
    }

    /// The code for the letter: groups of four joined by dashes.
    pub fn display(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }
}

fn argon2() -> Result<Argon2<'static>, InvitationError> {
    let params = Params::new(ARGON2_M_COST, ARGON2_T_COST, ARGON2_P_COST, Some(32))
        .map_err(|e| InvitationError::Argon2(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// argon2id of `secret` under `salt`, in `memory`.
fn hash_in(
    secret: &[u8],
    salt: &[u8; 16],
    memory: &mut Vec<argon2::Block>,
) -> Result<[u8; 32], InvitationError> {
    memory.resize(ARGON2_M_COST as usize, argon2::Block::default());
    let mut hash = [0u8; 32];
    argon2()?
        .hash_password_into_with_memory(secret, salt, &mut hash, memory)
        .map_err(|e| InvitationError::Argon2(e.to_string()))?;
    Ok(hash)
}

/// What the server stores for a code (or an officer's password): its salt and argon2id hash.
#[derive(Clone, PartialEq, Eq)]
pub struct InvitationHash {
    salt: [u8; 16],
    hash: [u8; 32],
}

impl fmt::Debug for InvitationHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_phc())
    }
}

impl InvitationHash {
    /// Hashes `code` with a fresh salt.
    pub fn new(
        code: &InvitationCode,
        rng: &mut impl rand::CryptoRng,
    ) -> Result<Self, InvitationError> {
        Self::new_in(code, rng, &mut Vec::new())
    }

    /// [`InvitationHash::new`] in caller-owned working memory, as [`InvitationHash::verify_in`]:
    /// a thread hashing many codes (`invitations export`) reuses its 19 MiB.
    pub fn new_in(
        code: &InvitationCode,
        rng: &mut impl rand::CryptoRng,
        memory: &mut Vec<argon2::Block>,
    ) -> Result<Self, InvitationError> {
        Self::of_secret_in(code.0.as_bytes(), rng, memory)
    }

    /// A returning officer's console password, hashed as codes are (the same argon2id
    /// parameters and PHC form), in caller-owned working memory.
    pub fn of_password_in(
        password: &str,
        rng: &mut impl rand::CryptoRng,
        memory: &mut Vec<argon2::Block>,
    ) -> Result<Self, InvitationError> {
        Self::of_secret_in(password.as_bytes(), rng, memory)
    }

    fn of_secret_in(
        secret: &[u8],
        rng: &mut impl rand::CryptoRng,
        memory: &mut Vec<argon2::Block>,
    ) -> Result<Self, InvitationError> {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let hash = hash_in(secret, &salt, memory)?;
        Ok(Self { salt, hash })
    }

    /// Whether `code` is the code hashed here (constant-time comparison).
    pub fn verify(&self, code: &InvitationCode) -> Result<bool, InvitationError> {
        self.verify_in(code, &mut Vec::new())
    }

    /// [`InvitationHash::verify`] in caller-owned working memory, so a server thread checking
    /// many logins reuses its 19 MiB instead of mapping and zeroing fresh pages each time.
    pub fn verify_in(
        &self,
        code: &InvitationCode,
        memory: &mut Vec<argon2::Block>,
    ) -> Result<bool, InvitationError> {
        self.verify_secret_in(code.0.as_bytes(), memory)
    }

    /// Whether `password` is the officer's password hashed here (constant-time comparison).
    pub fn verify_password_in(
        &self,
        password: &str,
        memory: &mut Vec<argon2::Block>,
    ) -> Result<bool, InvitationError> {
        self.verify_secret_in(password.as_bytes(), memory)
    }

    fn verify_secret_in(
        &self,
        secret: &[u8],
        memory: &mut Vec<argon2::Block>,
    ) -> Result<bool, InvitationError> {
        let hash = hash_in(secret, &self.salt, memory)?;
        Ok(hash.ct_eq(&self.hash).into())
    }

    /// The PHC string form: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (B64 unpadded).
    pub fn to_phc(&self) -> String {
        format!(
            "$argon2id$v=19$m={ARGON2_M_COST},t={ARGON2_T_COST},p={ARGON2_P_COST}${}${}",
            Base64Unpadded::encode_string(&self.salt),
            Base64Unpadded::encode_string(&self.hash)
        )
    }

    /// Reads the PHC string form; only this server's parameters are accepted.
    pub fn from_phc(text: &str) -> Result<Self, InvitationError> {
        let prefix =
            format!("$argon2id$v=19$m={ARGON2_M_COST},t={ARGON2_T_COST},p={ARGON2_P_COST}$");
        let rest = text
            .strip_prefix(prefix.as_str())
            .ok_or(InvitationError::BadHash)?;
        let (salt, hash) = rest.split_once('$').ok_or(InvitationError::BadHash)?;
        let decode = |s: &str, out: &mut [u8]| -> Result<(), InvitationError> {
            let bytes = Base64Unpadded::decode_vec(s).map_err(|_| InvitationError::BadHash)?;
            if bytes.len() != out.len() || Base64Unpadded::encode_string(&bytes) != s {
                return Err(InvitationError::BadHash);
            }
            out.copy_from_slice(&bytes);
            Ok(())
        };
        let mut parsed = Self {
            salt: [0; 16],
            hash: [0; 32],
        };
        decode(salt, &mut parsed.salt)?;
        decode(hash, &mut parsed.hash)?;
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{AssociatedData, ParamsBuilder};
    use rand::SeedableRng as _;
    use rand::rngs::ChaCha20Rng;

    fn hex(text: &str) -> Vec<u8> {
        base16ct::lower::decode_vec(text).unwrap()
    }

    #[test]
    fn argon2id_matches_rfc_9106_section_5_3() {
        // RFC 9106 §5.3: Argon2id, v=19, m=32 KiB, t=3, p=4, password 32 × 0x01, salt
        // 16 × 0x02, secret 8 × 0x03, associated data 12 × 0x04, 32-byte tag.
        let params = ParamsBuilder::new()
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .data(AssociatedData::new(&[4; 12]).unwrap())
            .output_len(32)
            .build()
            .unwrap();
        let argon2 =
            Argon2::new_with_secret(&[3; 8], Algorithm::Argon2id, Version::V0x13, params).unwrap();
        let mut tag = [0u8; 32];
        argon2
            .hash_password_into(&[1; 32], &[2; 16], &mut tag)
            .unwrap();
        assert_eq!(
            tag.to_vec(),
            hex("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659")
        );
    }

    #[test]
    fn codes_have_120_bits_and_survive_retyping() {
        let code = InvitationCode::generate(&mut ChaCha20Rng::from_seed([1; 32]));
        let shown = code.display();
        assert_eq!(shown.len(), CODE_CHARS + CODE_CHARS / 4 - 1);
        assert_eq!(InvitationCode::parse(&shown).unwrap(), code);
        let retyped = shown
            .to_lowercase()
            .replace('-', " ")
            .replace('0', "o")
            .replace('1', "l");
        assert_eq!(InvitationCode::parse(&retyped).unwrap(), code);
        let other = InvitationCode::generate(&mut ChaCha20Rng::from_seed([2; 32]));
        assert_ne!(other, code);
        assert_eq!(format!("{code:?}"), "InvitationCode(redacted)");
    }

    #[test]
    fn rejects_codes_of_the_wrong_length_or_alphabet() {
        let code = InvitationCode::generate(&mut ChaCha20Rng::from_seed([1; 32])).display();
        assert_eq!(
            InvitationCode::parse(&code[..code.len() - 1]),
            Err(InvitationError::BadCode)
        );
        assert_eq!(
            InvitationCode::parse(&format!("{code}7")),
            Err(InvitationError::BadCode)
        );
        assert_eq!(
            InvitationCode::parse(&code.replacen(|c: char| c.is_ascii_alphanumeric(), "U", 1)),
            Err(InvitationError::BadCode),
            "U is not in Crockford's alphabet"
        );
        assert_eq!(InvitationCode::parse("é"), Err(InvitationError::BadCode));
    }

    #[test]
    fn a_stored_hash_accepts_its_code_only() {
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        let code = InvitationCode::generate(&mut rng);
        let other = InvitationCode::generate(&mut rng);
        let stored = InvitationHash::new(&code, &mut rng).unwrap();
        let text = stored.to_phc();
        assert!(text.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let read = InvitationHash::from_phc(&text).unwrap();
        assert!(read.verify(&code).unwrap());
        assert!(!read.verify(&other).unwrap());
        let mut flipped = read.clone();
        flipped.hash[0] ^= 1;
        assert!(!flipped.verify(&code).unwrap());
        // Same code, another salt: another hash.
        assert_ne!(InvitationHash::new(&code, &mut rng).unwrap(), stored);
    }

    /// Memory reused from one hash to the next (`invitations export`, the server's logins) gives
    /// the hash fresh memory gives: argon2 overwrites every block it reads.
    #[test]
    fn reused_memory_gives_the_same_hashes() {
        let mut memory = Vec::new();
        let mut fresh = ChaCha20Rng::from_seed([5; 32]);
        let mut reusing = ChaCha20Rng::from_seed([5; 32]);
        for _ in 0..3 {
            let code = InvitationCode::generate(&mut fresh);
            let _ = InvitationCode::generate(&mut reusing);
            let stored = InvitationHash::new(&code, &mut fresh).unwrap();
            let again = InvitationHash::new_in(&code, &mut reusing, &mut memory).unwrap();
            assert_eq!(again, stored);
            assert!(stored.verify_in(&code, &mut memory).unwrap());
        }
    }

    #[test]
    fn refuses_hashes_with_other_parameters_or_encodings() {
        let mut rng = ChaCha20Rng::from_seed([4; 32]);
        let code = InvitationCode::generate(&mut rng);
        let text = InvitationHash::new(&code, &mut rng).unwrap().to_phc();
        for bad in [
            text.replace("t=2", "t=1"),
            text.replace("argon2id", "argon2i"),
            text.replace("v=19", "v=16"),
            format!("{text}A"),
            text[..text.len() - 2].to_owned(),
            text.replacen('$', "", 1),
        ] {
            assert_eq!(
                InvitationHash::from_phc(&bad),
                Err(InvitationError::BadHash),
                "{bad}"
            );
        }
    }
}
