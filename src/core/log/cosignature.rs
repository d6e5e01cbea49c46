//! Witness cosignatures (C2SP `tlog-cosignature`, the Ed25519 type): a witness's statement that a
//! checkpoint is the largest consistent one it has seen of that log, as of a time. Split-view
//! protection: a server that shows one member one log and another member another cannot get both
//! cosigned by a witness that checks consistency (docs/PROTOCOL.md §16; not yet used by the server,
//! the manifest or the record).
//!
//! A cosignature is a signature line on the checkpoint's note:
//! `— <witness name> base64(key ID ‖ timestamp ‖ signature)` where the key ID is the first 4
//! bytes of `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)`, the timestamp a big-endian `u64` of POSIX
//! seconds (at most 2^63 − 1), and the Ed25519 signature covers `cosignature/v1\n`, `time
//! <timestamp>\n` and the checkpoint's whole body, final newline included. Witness keys are
//! written as verifier keys of type 0x04: `<name>+<hex key ID>+<base64(0x04 ‖ public key)>`; a
//! witness's own key file as `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 ‖ seed)>`, the signed
//! note's signer form with the cosignature's type (the spec names no private form).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::fmt;

use base16ct::lower::encode_string as hex;
use base64ct::{Base64, Encoding};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::note::{
    NoteError, check_name, join_key, parse_note, read_public_key, split_key, typed_key_id,
};

/// The signature type of a timestamped Ed25519 cosignature (C2SP `signed-note`).
const COSIGNATURE_V1: u8 = 0x04;
const DASH: &str = "\u{2014} ";

/// The largest timestamp a cosignature may carry.
pub const MAX_TIMESTAMP: u64 = (1 << 63) - 1;

/// The key ID of witness `name` with `key`.
pub fn witness_key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    typed_key_id(name, COSIGNATURE_V1, key)
}

/// What a witness signs for `body` (a checkpoint's text, final newline included) at `timestamp`.
pub fn cosigned_message(body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{body}")
}

/// A witness's public key: what a manifest names and a client checks cosignatures with.
#[derive(Clone, PartialEq, Eq)]
pub struct WitnessKey {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl fmt::Debug for WitnessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl WitnessKey {
    /// The witness `name` with `key`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, NoteError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            id: witness_key_id(name, &key),
            key,
        })
    }

    /// Parses `<name>+<hex key ID>+<base64(0x04 ‖ public key)>`, checking the key ID.
    pub fn parse(encoded: &str) -> Result<Self, NoteError> {
        let (name, key) = read_public_key(
            encoded,
            COSIGNATURE_V1,
            "the key is not a cosignature key (type 0x04)",
        )?;
        Self::new(name, key)
    }

    /// `<name>+<hex key ID>+<base64(0x04 ‖ public key)>`.
    pub fn encode(&self) -> String {
        join_key(&self.name, &self.id, COSIGNATURE_V1, self.key.as_bytes())
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A witness's signing key.
pub struct Witness {
    key: SigningKey,
    public: WitnessKey,
}

impl Witness {
    /// The witness `name` whose Ed25519 key is made from `seed`.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        let key = SigningKey::from_bytes(seed);
        let public = WitnessKey::new(name, key.verifying_key())?;
        Ok(Self { key, public })
    }

    /// Parses `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 ‖ seed)>`.
    pub fn parse(encoded: &str) -> Result<Self, NoteError> {
        let bad = |reason| NoteError::BadSignerKey { reason };
        let rest = encoded
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(bad("it must start PRIVATE+KEY+"))?;
        let parts = split_key(
            rest,
            COSIGNATURE_V1,
            "not a cosignature key (type 0x04)",
            bad,
        )?;
        let witness = Self::from_seed(parts.name, &parts.bytes)?;
        if parts.id != hex(&witness.public.id) {
            return Err(bad("the key ID does not match the name and key"));
        }
        Ok(witness)
    }

    /// `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 ‖ seed)>`, what [`Witness::parse`] reads.
    pub fn encode(&self) -> zeroize::Zeroizing<String> {
        let key = join_key(
            &self.public.name,
            &self.public.id,
            COSIGNATURE_V1,
            &self.key.to_bytes(),
        );
        zeroize::Zeroizing::new(format!("PRIVATE+KEY+{key}"))
    }

    /// The witness's public key.
    pub fn public(&self) -> &WitnessKey {
        &self.public
    }

    /// The cosignature line (ending in a newline) for the checkpoint `body` at `timestamp`.
    pub fn cosign(&self, body: &str, timestamp: u64) -> Result<String, CosignatureError> {
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::Timestamp(timestamp));
        }
        let signature = self.key.sign(cosigned_message(body, timestamp).as_bytes());
        let mut raw = self.public.id.to_vec();
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "{DASH}{} {}\n",
            self.public.name,
            Base64::encode_string(&raw)
        ))
    }
}

/// Why cosignatures were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CosignatureError {
    /// The note itself is malformed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// A timestamp beyond 2^63 − 1.
    #[error("cosignature timestamp {0} is beyond 2^63 - 1")]
    Timestamp(u64),
    /// A known witness's cosignature is malformed or does not verify.
    #[error("the cosignature by witness {name} does not verify")]
    Invalid {
        /// The witness's name.
        name: String,
    },
}

/// How a checkpoint cosigned by the witnesses `names` falls short of `quorum`, in words:
/// `cosigned by 1 of the 2 witnesses needed (w.example/a)`.
pub fn short_of_quorum(names: &[String], quorum: usize) -> String {
    let named = match names {
        [] => String::new(),
        _ => format!(" ({})", names.join(", ")),
    };
    format!(
        "cosigned by {} of the {quorum} witnesses needed{named}",
        names.len()
    )
}

/// A verified cosignature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    /// The witness's name.
    pub witness: String,
    /// When it cosigned (POSIX seconds).
    pub timestamp: u64,
}

/// The cosignatures on the signed note `bytes` by the `witnesses` the reader knows, each verified
/// (a known witness's line that does not verify is an error, not skipped); lines of other keys,
/// the log's own signature among them, are skipped as the signed-note spec requires. Checking the
/// log's own signature is [`super::open_note`]'s work, not this.
pub fn cosignatures(
    bytes: &[u8],
    witnesses: &[WitnessKey],
) -> Result<Vec<Cosigned>, CosignatureError> {
    let (body, lines) = parse_note(bytes)?;
    let mut found: Vec<Cosigned> = Vec::new();
    for line in &lines {
        let Some(witness) = (witnesses.iter()).find(|w| w.name == line.name && w.id == line.id)
        else {
            continue;
        };
        let invalid = || CosignatureError::Invalid {
            name: witness.name.clone(),
        };
        let (timestamp, signature) = line
            .signature
            .split_first_chunk::<8>()
            .ok_or_else(invalid)?;
        let timestamp = u64::from_be_bytes(*timestamp);
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::Timestamp(timestamp));
        }
        let signature = Signature::from_slice(signature).map_err(|_| invalid())?;
        (witness.key)
            .verify_strict(cosigned_message(&body, timestamp).as_bytes(), &signature)
            .map_err(|_| invalid())?;
        if !found.iter().any(|c| c.witness == witness.name) {
            found.push(Cosigned {
                witness: witness.name.clone(),
                timestamp,
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::log::NoteSigner;

    const BODY: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    /// The specification's own example (C2SP tlog-cosignature): its witness line carries key ID
    /// 8d66cf3f and the timestamp of its example message, 1679315147. (The spec publishes no
    /// public key, so its signature cannot be checked here.)
    #[test]
    fn the_specifications_example_line_reads_as_key_id_timestamp_and_signature() {
        let note = format!(
            "{BODY}\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
        );
        let (_, lines) = parse_note(note.as_bytes()).unwrap();
        assert_eq!(lines[1].name, "witness.example.com/w1");
        assert_eq!(hex(&lines[1].id), "8d66cf3f");
        let (timestamp, signature) = lines[1].signature.split_first_chunk::<8>().unwrap();
        assert_eq!(u64::from_be_bytes(*timestamp), 1679315147);
        assert_eq!(signature.len(), 64);
    }

    /// A known answer computed independently (Python's `hashlib` and `cryptography` Ed25519, from
    /// the spec's formulas): seed 0x02 × 32, name `witness.example/w1`, the spec's example body,
    /// time 1679315147.
    #[test]
    fn cosigns_the_independently_computed_answer_byte_for_byte() {
        let w = witness("witness.example/w1", 2);
        assert_eq!(
            w.public().encode(),
            "witness.example/w1+df1c0a35+BIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU"
        );
        assert_eq!(
            w.cosign(BODY, 1679315147).unwrap(),
            "\u{2014} witness.example/w1 3xwKNQAAAABkGFDLUwBLV8e4tjvb6qEHiNTQjDZIX+7tvd038taw9A7W/cQ7ZhSah0uJMOI6CTPez5qwHtE49MrkWhU349mtYmi3Dw==\n"
        );
    }

    fn witness(name: &str, seed: u8) -> Witness {
        Witness::from_seed(name, &[seed; 32]).unwrap()
    }

    fn log_note(body: &str) -> String {
        NoteSigner::from_seed("example.com/behind-the-sofa", &[1; 32])
            .unwrap()
            .sign(body)
            .unwrap()
    }

    #[test]
    fn cosignatures_of_known_witnesses_verify_and_others_are_skipped() {
        let (a, b, c) = (
            witness("w.example/a", 2),
            witness("w.example/b", 3),
            witness("w.example/c", 4),
        );
        let note = format!(
            "{}{}{}",
            log_note(BODY),
            a.cosign(BODY, 1_700_000_000).unwrap(),
            c.cosign(BODY, 1_700_000_001).unwrap()
        );
        let known = [a.public().clone(), b.public().clone()];
        assert_eq!(
            cosignatures(note.as_bytes(), &known).unwrap(),
            vec![Cosigned {
                witness: "w.example/a".into(),
                timestamp: 1_700_000_000
            }]
        );
    }

    #[test]
    fn a_cosignature_of_another_body_time_or_key_does_not_verify() {
        let a = witness("w.example/a", 2);
        let line = a.cosign(BODY, 1_700_000_000).unwrap();
        let other_body = BODY.replace("20852163", "20852164");
        let forged = format!("{}{line}", log_note(&other_body));
        let known = [a.public().clone()];
        assert_eq!(
            cosignatures(forged.as_bytes(), &known),
            Err(CosignatureError::Invalid {
                name: "w.example/a".into()
            })
        );
        // The timestamp is signed: moving it breaks the signature.
        let mut raw = Base64::decode_vec(line.trim_end().rsplit(' ').next().unwrap()).unwrap();
        raw[11] ^= 1;
        let moved = format!(
            "{}\u{2014} w.example/a {}\n",
            log_note(BODY),
            Base64::encode_string(&raw)
        );
        assert!(cosignatures(moved.as_bytes(), &known).is_err());
        // Another key under the same name has another key ID: skipped, not verified.
        let impostor = witness("w.example/a", 9);
        let note = format!("{}{}", log_note(BODY), impostor.cosign(BODY, 5).unwrap());
        assert_eq!(cosignatures(note.as_bytes(), &known), Ok(vec![]));
    }

    #[test]
    fn keys_encode_and_parse_back_and_a_wrong_key_id_or_type_is_refused() {
        let a = witness("w.example/a", 2);
        let public = a.public().encode();
        assert_eq!(WitnessKey::parse(&public).unwrap(), *a.public());
        assert_eq!(Witness::parse(&a.encode()).unwrap().public(), a.public());
        let (name, rest) = public.split_once('+').unwrap();
        let wrong_id = format!("{name}+00000000+{}", rest.split_once('+').unwrap().1);
        assert!(WitnessKey::parse(&wrong_id).is_err());
        // A signed-note verifier key (type 0x01) is not a witness key.
        let note_key = NoteSigner::from_seed("w.example/a", &[2; 32]).unwrap();
        assert!(WitnessKey::parse(&note_key.verifier().encode()).is_err());
        assert!(a.cosign(BODY, MAX_TIMESTAMP + 1).is_err());
        // A key whose base64 holds '+' (the field separator) still reads back.
        let plus = (0..=255u8)
            .map(|seed| witness("w.example/p", seed))
            .find(|w| w.public().encode().matches('+').count() > 2)
            .unwrap();
        assert_eq!(
            WitnessKey::parse(&plus.public().encode()).unwrap(),
            *plus.public()
        );
        assert_eq!(
            Witness::parse(&plus.encode()).unwrap().public(),
            plus.public()
        );
    }
}
