//! Returning officers of the console (issue 15): the administrator names them
//! (`teller officer add`), each enrols once with a one-time link, then signs in with a password
//! and a one-time code from an authenticator app (RFC 6238: HMAC-SHA1, 30-second steps, 6
//! digits, what every such app reads by default).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use anyhow::{Result, bail, ensure};
use sha2::{Digest as _, Sha256};

use crate::core::crypto::encode_bytes;
use crate::store::{Store, now};

/// How long an enrolment link works.
pub const ENROL_SECONDS: i64 = 7 * 24 * 60 * 60;
/// The shortest password the console takes (NIST SP 800-63B §3.1.1.2 allows 8 beside a second
/// factor; the officer's password guards an election).
pub const PASSWORD_MIN_CHARS: usize = 12;
/// The longest (argon2 would take more, but nobody types it).
pub const PASSWORD_MAX_CHARS: usize = 256;
/// The one-time-code secret's length: 160 bits, RFC 4226 §4's recommendation.
pub const TOTP_SECRET_BYTES: usize = 20;
/// The console's path for an enrolment token.
pub const ENROL_PATH: &str = "/console/enrol/";

/// An email as an officer's name: trimmed and lower-cased; refused if it is not one.
pub fn officer_email(text: &str) -> Result<String> {
    let email = text.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && email.matches('@').count() == 1;
    ensure!(
        valid,
        "{text:?} is not an email address (an officer signs in with theirs, e.g. \
         secretary@branch.example.org)"
    );
    Ok(email)
}

/// SHA-256 of a token, hex: what the database keeps of enrolment links and session cookies.
pub fn token_hash(token: &str) -> String {
    base16ct::lower::encode_string(&Sha256::digest(token.as_bytes()))
}

/// A fresh random token (32 bytes, base64url).
pub fn new_token() -> Result<String> {
    Ok(encode_bytes(&*super::secret_seed()?))
}

/// Whether `id` has the form of an election id (`[a-z0-9-]{1,64}`, docs/PROTOCOL.md §8).
pub fn is_election_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// What `teller officer add` did.
#[derive(Debug)]
pub struct Added {
    /// The officer's email, as stored.
    pub email: String,
    /// The enrolment token (for the link), if the officer has not enrolled yet.
    pub enrol_token: Option<String>,
    /// Until when the link works.
    pub expires: i64,
}

/// Names `email` an officer of `election` (`None`: of every election). An officer who has not
/// enrolled gets a new link (the old one stops working). With `to_create`, the election must not
/// exist yet: the officer may create it from the console, under that id only.
pub fn add_officer(
    store: &Store,
    election: Option<&str>,
    email: &str,
    to_create: bool,
) -> Result<Added> {
    let email = officer_email(email)?;
    if let Some(election) = election {
        let exists = store.find_election(election)?.is_some();
        match (exists, to_create) {
            (false, false) => bail!(
                "there is no election {election:?} in this database (`teller election list`); \
                 with --new the officer may create it from the console"
            ),
            (true, true) => bail!("there is already an election {election:?}; drop --new"),
            (false, true) => ensure!(
                is_election_id(election),
                "{election:?} cannot be an election id: 1 to 64 of a-z, 0-9 and -"
            ),
            (true, false) => {}
        }
    }
    let token = new_token()?;
    let expires = now() + ENROL_SECONDS;
    let stored = store.add_officer(&email, election, &token_hash(&token), expires)?;
    Ok(Added {
        email,
        enrol_token: stored.then_some(token),
        expires,
    })
}

/// A one-time-code generator for `secret` (RFC 6238 with the defaults authenticator apps use).
pub fn totp(secret: &[u8]) -> Result<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .with_skew(1)
        .build()
        .map_err(|e| anyhow::anyhow!("the one-time-code secret is unusable: {e}"))
}

/// The time step `code` is right for under `secret` at `time` (one step either side, for a slow
/// typist or a clock a little off), or `None`.
pub fn code_step(secret: &[u8], code: &str, time: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let time = u64::try_from(time).ok()?;
    let step = totp(secret).ok()?.check(&code, time)?;
    i64::try_from(step).ok()
}

/// The code `secret` gives at `time` (tests, and an officer's script).
pub fn code_at(secret: &[u8], time: i64) -> Result<String> {
    Ok(totp(secret)?
        .generate(u64::try_from(time).unwrap_or(0))
        .to_string())
}

/// The secret in base32 (RFC 4648, no padding), as authenticator apps take it typed in.
pub fn secret_base32(secret: &[u8]) -> String {
    totp_rs::Secret::from(secret.to_vec()).to_base32()
}

/// The `otpauth://` URI an authenticator app reads from a QR code (Google's key-URI format, the
/// one every app reads): the label and issuer say which server and which officer.
pub fn otpauth_uri(secret: &[u8], email: &str, issuer: &str) -> String {
    let label = format!("{issuer}:{email}");
    format!(
        "otpauth://totp/{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        percent(&label),
        secret_base32(secret),
        percent(issuer)
    )
}

/// Percent-encodes all but RFC 3986's unreserved characters (and `@` and `:` in the label,
/// which apps show as they are).
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8-digit codes there; these are their last 6 digits, as
    /// the 6-digit truncation takes the same number modulo 10^6).
    #[test]
    fn codes_match_rfc_6238_appendix_b() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(secret, time).unwrap(), eight[2..], "T = {time}");
            assert_eq!(
                code_step(secret, &eight[2..], time),
                Some(time / 30),
                "T = {time}"
            );
        }
    }

    #[test]
    fn a_code_is_good_one_step_either_side_and_no_further() {
        let secret = [9u8; TOTP_SECRET_BYTES];
        let code = code_at(&secret, 3000).unwrap();
        assert_eq!(code_step(&secret, &code, 3000), Some(100));
        assert_eq!(code_step(&secret, &code, 3030), Some(100));
        assert_eq!(code_step(&secret, &code, 2970), Some(100));
        assert_eq!(code_step(&secret, &code, 3060), None);
        assert_eq!(code_step(&secret, &code, 2940), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(code_step(&secret, &spaced, 3000), Some(100));
        assert_eq!(code_step(&[8u8; 20], &code, 3000), None, "another secret");
        assert_eq!(code_step(&secret, "12345", 3000), None);
        assert_eq!(code_step(&secret, "abcdef", 3000), None);
    }

    #[test]
    fn emails_are_checked_and_folded() {
        assert_eq!(
            officer_email("  Sec@Branch.Example.org ").unwrap(),
            "sec@branch.example.org"
        );
        for bad in ["", "sec", "@example.org", "a@b", "a b@c.org", "a@b@c.org"] {
            assert!(officer_email(bad).is_err(), "{bad:?}");
        }
    }

    /// RFC 4648 §10's base32 vector, and the URI's shape.
    #[test]
    fn secret_base32_and_uri() {
        assert_eq!(secret_base32(b"foobar"), "MZXW6YTBOI");
        let uri = otpauth_uri(b"foobar", "sec@branch.org", "Teller vote.example.org");
        assert_eq!(
            uri,
            "otpauth://totp/Teller%20vote.example.org:sec@branch.org?secret=MZXW6YTBOI\
             &issuer=Teller%20vote.example.org&algorithm=SHA1&digits=6&period=30"
        );
    }
}
