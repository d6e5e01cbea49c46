//! Signed notes (C2SP `signed-note`) with Ed25519: the envelope of every checkpoint.
//!
//! A signed note is UTF-8 text ending in a newline, a blank line, then one or more signature
//! lines `— <key name> <base64(key ID ‖ signature)>\n` (U+2014 EM DASH, standard base64). For
//! Ed25519 (signature type 0x01) the key ID is the first 4 bytes of
//! `SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)` and the signature covers the text, final newline
//! included. Verifier keys are written `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`, signer
//! keys `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ seed)>` (golang.org/x/mod/sumdb/note).
//! Signatures by unknown keys are skipped, as the spec requires; a note opens only if at least one
//! known key signed it and every known key's signature verifies (`verify_strict`).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use base16ct::lower::encode_string as hex4;
use std::fmt;

use base64ct::{Base64, Encoding};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The largest signed note accepted, in bytes (a checkpoint is a few hundred).
pub const MAX_NOTE_BYTES: usize = 1 << 20;

/// The largest number of signature lines accepted on one note.
pub const MAX_SIGNATURES: usize = 100;

const ED25519: u8 = 0x01;
const DASH: &str = "\u{2014} ";

/// Why a key or note was refused, or did not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    /// Key names are non-empty and contain no white space and no `+`.
    #[error("{name:?} is not a valid key name (non-empty, no spaces, no '+')")]
    BadKeyName {
        /// The name.
        name: String,
    },
    /// A verifier key string is malformed or its key ID does not match.
    #[error("verifier key {key:?} is malformed: {reason}")]
    BadVerifierKey {
        /// The key string.
        key: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A signer key string is malformed (the key itself is never echoed).
    #[error("signer key is malformed: {reason}")]
    BadSignerKey {
        /// What is wrong.
        reason: &'static str,
    },
    /// The note text is empty, lacks its final newline, or holds a control character.
    #[error("note text is invalid: {reason}")]
    BadText {
        /// What is wrong.
        reason: &'static str,
    },
    /// The note is larger than [`MAX_NOTE_BYTES`] or has more than [`MAX_SIGNATURES`] signatures.
    #[error("note is too large")]
    TooLarge,
    /// The note has no blank line before its signatures, or a malformed signature line.
    #[error("malformed signed note: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// None of the known keys signed the note.
    #[error("no signature by a known key")]
    UnverifiedNote,
    /// A known key's signature does not verify.
    #[error("the signature by {name} does not verify")]
    InvalidSignature {
        /// The key's name.
        name: String,
    },
}

/// Key names are non-empty, without white space or `+` (signed notes and cosignatures alike).
pub(super) fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(NoteError::BadKeyName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() || !text.ends_with('\n') {
        return Err(NoteError::BadText {
            reason: "it must be non-empty and end with a newline",
        });
    }
    if text.chars().any(|c| c.is_ascii_control() && c != '\n') {
        return Err(NoteError::BadText {
            reason: "it holds a control character",
        });
    }
    Ok(())
}

/// The Ed25519 key ID of `name` and `key`.
pub fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    typed_key_id(name, ED25519, key)
}

/// `SHA-256(name ‖ 0x0A ‖ signature type ‖ public key)[:4]`, the key ID of every signed-note key.
pub(super) fn typed_key_id(name: &str, signature_type: u8, key: &VerifyingKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', signature_type]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// A key string `<name>+<hex key ID>+<base64(type ‖ 32 bytes)>` (after `PRIVATE+KEY+` for a
/// signer key) with its name, type and length checked. The caller checks the key ID, which needs
/// the public key.
pub(super) struct KeyString<'a> {
    pub name: &'a str,
    pub id: &'a str,
    pub bytes: zeroize::Zeroizing<[u8; 32]>,
}

/// Splits and checks a key string of `signature_type`; `kind` is the refusal when the type differs.
pub(super) fn split_key<'a>(
    fields: &'a str,
    signature_type: u8,
    kind: &'static str,
    bad: impl Fn(&'static str) -> NoteError,
) -> Result<KeyString<'a>, NoteError> {
    // The base64 key may itself contain '+': only the first two separate fields.
    let mut parts = fields.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected NAME+KEYID+KEY"));
    };
    check_name(name)?;
    let raw =
        zeroize::Zeroizing::new(Base64::decode_vec(key).map_err(|_| bad("the key is not base64"))?);
    let [found, rest @ ..] = raw.as_slice() else {
        return Err(bad(kind));
    };
    if *found != signature_type {
        return Err(bad(kind));
    }
    let bytes: [u8; 32] = rest.try_into().map_err(|_| bad("a key is 32 bytes"))?;
    Ok(KeyString {
        name,
        id,
        bytes: zeroize::Zeroizing::new(bytes),
    })
}

/// Reads a public key string of `signature_type` (a log's key, §4, or a witness's, §16): its name
/// and Ed25519 key, the key ID checked against them; `kind` is the refusal when the type differs.
pub(super) fn read_public_key<'a>(
    encoded: &'a str,
    signature_type: u8,
    kind: &'static str,
) -> Result<(&'a str, VerifyingKey), NoteError> {
    let bad = |reason| NoteError::BadVerifierKey {
        key: encoded.to_owned(),
        reason,
    };
    let parts = split_key(encoded, signature_type, kind, bad)?;
    let key =
        VerifyingKey::from_bytes(&parts.bytes).map_err(|_| bad("not a valid Ed25519 point"))?;
    if parts.id != hex4(&typed_key_id(parts.name, signature_type, &key)) {
        return Err(bad("the key ID does not match the name and key"));
    }
    Ok((parts.name, key))
}

/// `<name>+<hex key ID>+<base64(type ‖ bytes)>`, what [`split_key`] reads.
pub(super) fn join_key(name: &str, id: &[u8; 4], signature_type: u8, bytes: &[u8; 32]) -> String {
    let mut raw = zeroize::Zeroizing::new(vec![signature_type]);
    raw.extend_from_slice(bytes);
    format!("{name}+{}+{}", hex4(id), Base64::encode_string(&raw))
}

/// A public key that can verify notes.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl NoteVerifier {
    /// The verifier for `key` under `name`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, NoteError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            id: key_id(name, &key),
            key,
        })
    }

    /// Parses `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`, checking the key ID.
    pub fn parse(encoded: &str) -> Result<Self, NoteError> {
        let (name, key) = read_public_key(
            encoded,
            ED25519,
            "the key is not an Ed25519 key (type 0x01)",
        )?;
        Self::new(name, key)
    }

    /// `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`.
    pub fn encode(&self) -> String {
        join_key(&self.name, &self.id, ED25519, self.key.as_bytes())
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A private key that signs notes. Its `Debug` shows only the public half; the key is zeroized
/// when dropped (ed25519-dalek's `zeroize` feature).
pub struct NoteSigner {
    verifier: NoteVerifier,
    key: SigningKey,
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteSigner({:?}, secret redacted)", self.verifier)
    }
}

impl NoteSigner {
    /// The signer with this 32-byte Ed25519 seed under `name`.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        let key = SigningKey::from_bytes(seed);
        Ok(Self {
            verifier: NoteVerifier::new(name, key.verifying_key())?,
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ seed)>`.
    pub fn parse(encoded: &str) -> Result<Self, NoteError> {
        let bad = |reason| NoteError::BadSignerKey { reason };
        let rest = encoded
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(bad("it must start PRIVATE+KEY+"))?;
        let parts = split_key(rest, ED25519, "not an Ed25519 key (type 0x01)", bad)?;
        let signer = Self::from_seed(parts.name, &parts.bytes)?;
        if parts.id != hex4(&signer.verifier.id) {
            return Err(bad("the key ID does not match the name and key"));
        }
        Ok(signer)
    }

    /// `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ seed)>`, what [`NoteSigner::parse`] reads.
    pub fn encode(&self) -> zeroize::Zeroizing<String> {
        let key = join_key(
            &self.verifier.name,
            &self.verifier.id,
            ED25519,
            &self.key.to_bytes(),
        );
        zeroize::Zeroizing::new(format!("PRIVATE+KEY+{key}"))
    }

    /// The matching verifier.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// Signs `text` and returns the whole signed note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let signature = self.key.sign(text.as_bytes());
        let mut raw = self.verifier.id.to_vec();
        raw.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "{text}\n{DASH}{} {}\n",
            self.verifier.name,
            Base64::encode_string(&raw)
        ))
    }
}

/// One signature line of a note, not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name on the line.
    pub name: String,
    /// The key ID (first 4 decoded bytes).
    pub id: [u8; 4],
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

/// Splits a signed note into its text and signature lines, checking only the structure.
pub fn parse_note(bytes: &[u8]) -> Result<(String, Vec<NoteSignature>), NoteError> {
    if bytes.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge);
    }
    let note = std::str::from_utf8(bytes).map_err(|_| NoteError::BadText {
        reason: "not UTF-8",
    })?;
    let split = note.rfind("\n\n").ok_or(NoteError::Malformed {
        reason: "no blank line",
    })?;
    let (text, signatures) = (&note[..=split], &note[split + 2..]);
    check_text(text)?;
    if signatures.is_empty() || !signatures.ends_with('\n') {
        return Err(NoteError::Malformed {
            reason: "signature lines must end with a newline",
        });
    }
    let lines: Vec<&str> = signatures[..signatures.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(NoteError::TooLarge);
    }
    let bad = |reason| NoteError::Malformed { reason };
    lines
        .into_iter()
        .map(|line| {
            let rest = line
                .strip_prefix(DASH)
                .ok_or(bad("a signature line must start with '— '"))?;
            let (name, encoded) = rest
                .split_once(' ')
                .ok_or(bad("no space after the key name"))?;
            check_name(name)?;
            let raw = Base64::decode_vec(encoded).map_err(|_| bad("signature is not base64"))?;
            let (id, signature) = raw
                .split_first_chunk::<4>()
                .ok_or(bad("signature shorter than a key ID"))?;
            if signature.is_empty() {
                return Err(bad("empty signature"));
            }
            Ok(NoteSignature {
                name: name.to_owned(),
                id: *id,
                signature: signature.to_vec(),
            })
        })
        .collect::<Result<_, _>>()
        .map(|signatures| (text.to_owned(), signatures))
}

/// Opens a signed note: returns its text and the names of the known keys that signed it.
pub fn open_note(bytes: &[u8], known: &[NoteVerifier]) -> Result<(String, Vec<String>), NoteError> {
    let (text, signatures) = parse_note(bytes)?;
    let mut verified = Vec::new();
    for line in &signatures {
        let Some(verifier) = known
            .iter()
            .find(|v| v.name == line.name && v.id == line.id)
        else {
            continue;
        };
        let invalid = || NoteError::InvalidSignature {
            name: line.name.clone(),
        };
        let signature = Signature::from_slice(&line.signature).map_err(|_| invalid())?;
        verifier
            .key
            .verify_strict(text.as_bytes(), &signature)
            .map_err(|_| invalid())?;
        if !verified.contains(&line.name) {
            verified.push(line.name.clone());
        }
    }
    if verified.is_empty() {
        return Err(NoteError::UnverifiedNote);
    }
    Ok((text, verified))
}

#[cfg(test)]
mod tests {
    use super::*;

    // golang.org/x/mod/sumdb/note's documented example key and note (package doc and
    // note_test.go), checked independently with Python's `cryptography` Ed25519.
    const PUBLIC: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PRIVATE: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const SIGNED: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    #[test]
    fn signs_the_published_example_byte_for_byte() {
        let signer = NoteSigner::parse(PRIVATE).unwrap();
        assert_eq!(signer.verifier().encode(), PUBLIC);
        assert_eq!(signer.sign(TEXT).unwrap(), SIGNED);
        assert_eq!(signer.encode().as_str(), PRIVATE);
    }

    #[test]
    fn opens_the_published_example() {
        let verifier = NoteVerifier::parse(PUBLIC).unwrap();
        let (text, names) = open_note(SIGNED.as_bytes(), &[verifier]).unwrap();
        assert_eq!(
            (text.as_str(), names),
            (TEXT, vec!["PeterNeumann".to_owned()])
        );
    }

    fn other_verifier(name: &str) -> NoteVerifier {
        NoteSigner::from_seed(name, &[7; 32])
            .unwrap()
            .verifier()
            .clone()
    }

    #[test]
    fn refuses_a_note_signed_by_no_known_key() {
        let err = open_note(SIGNED.as_bytes(), &[other_verifier("Someone")]).unwrap_err();
        assert_eq!(err, NoteError::UnverifiedNote);
    }

    #[test]
    fn refuses_a_flipped_bit_in_text_or_signature() {
        let verifier = NoteVerifier::parse(PUBLIC).unwrap();
        let altered = SIGNED.replacen("answer", "Answer", 1);
        assert_eq!(
            open_note(altered.as_bytes(), std::slice::from_ref(&verifier)),
            Err(NoteError::InvalidSignature {
                name: "PeterNeumann".into()
            })
        );
        let altered = SIGNED.replacen("x08go", "x08gp", 1);
        assert!(open_note(altered.as_bytes(), &[verifier]).is_err());
    }

    #[test]
    fn refuses_malformed_notes() {
        let verifier = NoteVerifier::parse(PUBLIC).unwrap();
        let truncated = SIGNED.replacen(
            "AcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
            "AcElZ",
            1,
        );
        let cases = [
            SIGNED.trim_end().to_owned(),        // no final newline
            SIGNED.replacen("\n\n", "\n", 1),    // no blank line
            SIGNED.replacen('\u{2014}', "-", 1), // hyphen, not em dash
            SIGNED.replacen("PeterNeumann ", "PeterNeumann  ", 1), // two spaces
            truncated,                           // truncated signature
            format!("{SIGNED}trailing"),         // text after the signatures
            SIGNED.replacen("problem,", "problem,\u{7}", 1), // control character
        ];
        for case in cases {
            assert!(
                open_note(case.as_bytes(), std::slice::from_ref(&verifier)).is_err(),
                "{case:?}"
            );
        }
        assert_eq!(
            parse_note(&vec![b'a'; MAX_NOTE_BYTES + 1]),
            Err(NoteError::TooLarge)
        );
    }

    #[test]
    fn refuses_keys_whose_id_name_or_type_is_wrong() {
        assert!(NoteVerifier::parse(&PUBLIC.replacen("c74f20a3", "c74f20a4", 1)).is_err());
        assert!(NoteVerifier::parse(&PUBLIC.replacen("PeterNeumann", "PeterNewman", 1)).is_err());
        assert!(NoteVerifier::parse(&PUBLIC.replacen("+ARpc", "+AhpX", 1)).is_err());
        assert!(
            NoteVerifier::parse("a b+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .is_err()
        );
        assert!(NoteSigner::parse(&PRIVATE.replacen("c74f20a3", "00000000", 1)).is_err());
        assert!(NoteSigner::parse(PUBLIC).is_err());
    }

    #[test]
    fn same_key_under_another_name_does_not_verify() {
        let key = NoteVerifier::parse(PUBLIC).unwrap().key;
        let renamed = NoteVerifier::new("PeterNewman", key).unwrap();
        let forged = SIGNED.replacen("PeterNeumann", "PeterNewman", 1);
        assert_eq!(
            open_note(forged.as_bytes(), &[renamed]),
            Err(NoteError::UnverifiedNote)
        );
    }

    #[test]
    fn signer_debug_hides_the_secret() {
        let shown = format!("{:?}", NoteSigner::parse(PRIVATE).unwrap());
        assert!(!shown.contains("AYEKFALV"), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
