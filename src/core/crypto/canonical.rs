//! Canonical JSON: the one encoding of everything Teller hashes or signs (docs/PROTOCOL.md §1).
//!
//! RFC 8785 (JSON Canonicalization Scheme) restricted to integers: objects with members sorted by
//! the UTF-16 code units of their names (§3.2.3), no white space, strings escaped exactly as
//! §3.2.2.2 says (`\"`, `\\`, `\b \t \n \f \r`, other controls as `\u00xx` lower-case, everything
//! else as raw UTF-8), and numbers only as integers within ±(2⁵³ − 1) (I-JSON, RFC 7493 §2.2), so
//! no value can differ between implementations that read JSON numbers as doubles.
//!
//! [`parse_canonical`] accepts a document only if it is already canonical: it parses, re-encodes
//! and compares the bytes. White space, unsorted or duplicate names, needless escapes, `-0`,
//! fractions, exponents, a byte-order mark or trailing bytes all fail that comparison, so a
//! verifier never hashes two spellings of one value.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use base64ct::{Base64UrlUnpadded, Encoding as _};
use serde_json::Value;

/// The largest integer magnitude allowed: 2⁵³ − 1 (RFC 7493 §2.2).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Why a value or document is not canonical JSON.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CanonicalError {
    /// The bytes are not JSON at all.
    #[error("not JSON: {reason} (line {line}, column {column})")]
    NotJson {
        /// What the JSON parser said.
        reason: String,
        /// Line of the error (1-based).
        line: usize,
        /// Column of the error (1-based).
        column: usize,
    },
    /// A number with a fraction or exponent, or beyond ±(2⁵³ − 1).
    #[error("number {found} at {path} is not an integer within ±(2^53 - 1)")]
    NotSafeInteger {
        /// The number as written.
        found: String,
        /// Where it is (a JSON pointer).
        path: String,
    },
    /// Valid JSON, but not in canonical form.
    #[error("not canonical: the canonical form differs from byte {offset} on")]
    NotCanonical {
        /// The first byte offset where the input and its canonical form differ.
        offset: usize,
    },
    /// A base64url byte string that is not the canonical unpadded encoding.
    #[error("{found:?} is not unpadded canonical base64url")]
    BadBase64 {
        /// The offending text.
        found: String,
    },
}

/// Encodes `value` canonically. Fails only for numbers outside the integer subset.
pub fn to_canonical(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    write_value(value, &mut out, &mut String::new())?;
    Ok(out)
}

/// Parses `bytes` as canonical JSON, refusing anything not byte-for-byte canonical.
pub fn parse_canonical(bytes: &[u8]) -> Result<Value, CanonicalError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| CanonicalError::NotJson {
        reason: e.to_string(),
        line: e.line(),
        column: e.column(),
    })?;
    let canonical = to_canonical(&value)?;
    if canonical != bytes {
        let offset = canonical.iter().zip(bytes).position(|(a, b)| a != b);
        let offset = offset.unwrap_or(canonical.len().min(bytes.len()));
        return Err(CanonicalError::NotCanonical { offset });
    }
    Ok(value)
}

fn write_value(value: &Value, out: &mut Vec<u8>, path: &mut String) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => {
            let integer = number
                .as_i64()
                .filter(|n| (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(n))
                .ok_or_else(|| CanonicalError::NotSafeInteger {
                    found: number.to_string(),
                    path: if path.is_empty() {
                        "/".to_owned()
                    } else {
                        path.clone()
                    },
                })?;
            out.extend_from_slice(integer.to_string().as_bytes());
        }
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let len = path.len();
                path.push_str(&format!("/{i}"));
                write_value(item, out, path)?;
                path.truncate(len);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            // RFC 8785 §3.2.3: sort by the names' UTF-16 code units, not by UTF-8 bytes (they
            // differ for characters above U+FFFF against U+E000..U+FFFF).
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (name, member)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(name, out);
                out.push(b':');
                let len = path.len();
                path.push('/');
                path.push_str(&name.replace('~', "~0").replace('/', "~1"));
                write_value(member, out, path)?;
                path.truncate(len);
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// RFC 8785 §3.2.2.2 string serialization.
fn write_string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{0C}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c => {
                let mut buffer = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Why a canonical document does not decode into the expected type.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// Not canonical JSON.
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    /// Canonical JSON, but not of the expected shape (missing, unknown or mistyped member).
    #[error("{0}")]
    Shape(String),
}

/// Serialises `value` to canonical JSON: the one encoder of every wire type.
pub fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let value = serde_json::to_value(value).map_err(|e| CanonicalError::NotJson {
        reason: e.to_string(),
        line: 0,
        column: 0,
    })?;
    to_canonical(&value)
}

/// Parses canonical JSON into `T`: the one decoder of every wire type. Non-canonical bytes,
/// unknown members (types use `deny_unknown_fields`) and trailing bytes are refused.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let value = parse_canonical(bytes)?;
    serde_json::from_value(value).map_err(|e| DecodeError::Shape(e.to_string()))
}

/// A byte string inside JSON: unpadded canonical base64url (§1). `N` fixes the length when
/// non-zero; `Bytes<0>` is any length.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Bytes<const N: usize>(pub Vec<u8>);

impl<const N: usize> Bytes<N> {
    /// The bytes as a fixed-size array (`N` > 0).
    pub fn array(&self) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.0[..N]);
        out
    }
}

impl<const N: usize> From<[u8; N]> for Bytes<N> {
    fn from(bytes: [u8; N]) -> Self {
        Self(bytes.to_vec())
    }
}

impl<const N: usize> serde::Serialize for Bytes<N> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&encode_bytes(&self.0))
    }
}

impl<'de, const N: usize> serde::Deserialize<'de> for Bytes<N> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let text = String::deserialize(deserializer)?;
        let bytes = decode_bytes(&text).map_err(D::Error::custom)?;
        if N != 0 && bytes.len() != N {
            return Err(D::Error::custom(format!(
                "expected {N} bytes, found {}",
                bytes.len()
            )));
        }
        Ok(Self(bytes))
    }
}

/// Bytes as unpadded base64url (RFC 4648 §5), the form every byte string takes inside JSON.
pub fn encode_bytes(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes unpadded base64url, refusing padding, other alphabets and non-zero trailing bits, so
/// that every byte string has exactly one spelling.
pub fn decode_bytes(text: &str) -> Result<Vec<u8>, CanonicalError> {
    Base64UrlUnpadded::decode_vec(text).map_err(|_| CanonicalError::BadBase64 {
        found: text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn canonical(value: &Value) -> String {
        String::from_utf8(to_canonical(value).unwrap()).unwrap()
    }

    /// RFC 8785 §3.2.3's sorting example, with its string values replaced by integers (Teller
    /// allows no fractions, and the values do not affect the order). The RFC's output order is
    /// Carriage Return, One, Control (U+0080), ö, €, 😀 (surrogates D83D DE00), דּ (U+FB33): by
    /// UTF-16 code units, the emoji sorts before U+FB33 although its UTF-8 bytes sort after.
    #[test]
    fn sorts_names_by_utf16_code_units_as_rfc_8785_example() {
        let value = json!({
            "\u{20ac}": 1, "\r": 2, "\u{fb33}": 3, "1": 4, "\u{1f600}": 5, "\u{0080}": 6, "\u{00f6}": 7
        });
        let expected = "{\"\\r\":2,\"1\":4,\"\u{0080}\":6,\"\u{00f6}\":7,\"\u{20ac}\":1,\"\u{1f600}\":5,\"\u{fb33}\":3}";
        assert_eq!(canonical(&value), expected);
    }

    /// RFC 8785 §3.2.2.2 string escaping (the "string" line of the RFC's Appendix B sample).
    #[test]
    fn escapes_strings_exactly_as_rfc_8785() {
        let value = json!("\u{20ac}$\u{000f}\nA'B\"\\\\\"/");
        assert_eq!(
            canonical(&value),
            "\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\""
        );
        assert_eq!(
            canonical(&json!("\u{08}\t\u{0C}\r\u{1f}\u{7f}")),
            "\"\\b\\t\\f\\r\\u001f\u{7f}\""
        );
    }

    #[test]
    fn encodes_integers_and_structure_without_white_space() {
        let value = json!({"b": [1, -2, true, null], "a": {"y": "z"}, "max": MAX_SAFE_INTEGER});
        assert_eq!(
            canonical(&value),
            r#"{"a":{"y":"z"},"b":[1,-2,true,null],"max":9007199254740991}"#
        );
    }

    #[test]
    fn refuses_numbers_outside_the_integer_subset() {
        for text in [
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"[9007199254740992]"#,
            r#"[-9007199254740992]"#,
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert!(
                matches!(
                    to_canonical(&value),
                    Err(CanonicalError::NotSafeInteger { .. })
                ),
                "{text}"
            );
        }
        let err = parse_canonical(br#"{"x":[0,2.5]}"#).unwrap_err();
        assert_eq!(
            err,
            CanonicalError::NotSafeInteger {
                found: "2.5".into(),
                path: "/x/1".into()
            }
        );
    }

    #[test]
    fn parse_accepts_canonical_bytes() {
        let text = r#"{"a":[1,"\u001f"],"b":null}"#;
        assert_eq!(
            parse_canonical(text.as_bytes()).unwrap(),
            json!({"a": [1, "\u{1f}"], "b": null})
        );
    }

    #[test]
    fn parse_refuses_every_other_spelling() {
        let cases: [&[u8]; 10] = [
            br#"{"b":1,"a":2}"#,  // unsorted
            br#"{"a":1,"a":1}"#,  // duplicate name
            br#"{"a": 1}"#,       // white space
            b"{\"a\":1}\n",       // trailing newline
            br#"["\u0041"]"#,     // needless escape
            br#"["\/"]"#,         // escaped solidus
            br#"[-0]"#,           // negative zero
            br#"[01]"#,           // leading zero (not JSON)
            b"\xef\xbb\xbf[1]",   // byte-order mark
            br#"{"a":1}{"b":2}"#, // trailing document
        ];
        for bytes in cases {
            assert!(
                parse_canonical(bytes).is_err(),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert_eq!(
            parse_canonical(br#"{"a": 1}"#),
            Err(CanonicalError::NotCanonical { offset: 5 })
        );
    }

    /// RFC 4648 §10 test vectors, in the unpadded base64url alphabet.
    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(encode_bytes(plain.as_bytes()), encoded);
            assert_eq!(decode_bytes(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(encode_bytes(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn base64url_refuses_padding_other_alphabets_and_stray_bits() {
        for text in ["Zg==", "Zm9v+", "Zm9v/w", "Zh", "Z", "Zm9vYmF", "Zm 9v"] {
            assert!(decode_bytes(text).is_err(), "{text}");
        }
    }

    fn arbitrary_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).prop_map(|n| json!(n)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_bytes_parse_back_to_the_same_value(value in arbitrary_value()) {
            let bytes = to_canonical(&value).unwrap();
            prop_assert_eq!(parse_canonical(&bytes).unwrap(), value);
        }

        #[test]
        fn base64url_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert_eq!(decode_bytes(&encode_bytes(&bytes)).unwrap(), bytes);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_canonical(&bytes);
        }
    }
}
