//! Checkpoints (C2SP `tlog-checkpoint`): the signed statement "this log, of this origin, has this
//! many entries and this Merkle root".
//!
//! The body is the note text of a signed note (`note.rs`):
//!
//! ```text
//! <origin>\n
//! <tree size, decimal, no leading zeros>\n
//! <root hash, standard base64 of 32 bytes>\n
//! [<extension line>\n]...
//! ```
//!
//! One encoder ([`Checkpoint::to_text`]) and one strict decoder ([`Checkpoint::parse`]). A verifier
//! takes the size and the root together from one checkpoint (docs/PROTOCOL.md §3).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use base64ct::{Base64, Encoding};

use super::merkle::{Hash, ProofError, verify_consistency};

/// A log checkpoint's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

/// Why a checkpoint body was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    /// Fewer than three lines, or no final newline.
    #[error("a checkpoint needs origin, size and root lines, each ending in a newline")]
    MissingLines,
    /// The origin line is empty.
    #[error("the origin line is empty")]
    EmptyOrigin,
    /// The size is not a decimal number without leading zeros.
    #[error("tree size {found:?} is not a decimal number without leading zeros")]
    BadSize {
        /// The line.
        found: String,
    },
    /// The root is not standard base64 of 32 bytes.
    #[error("root hash {found:?} is not base64 of 32 bytes")]
    BadRoot {
        /// The line.
        found: String,
    },
    /// An extension line is empty.
    #[error("extension line {line} is empty")]
    EmptyExtension {
        /// 1-based line number in the body.
        line: usize,
    },
}

/// Two checkpoints of one log that a consistency proof does not join: the evidence a scrutineer
/// publishes (both checkpoints and the proof).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("checkpoints of sizes {} and {} are not consistent: {error}", older.size, newer.size)]
pub struct Inconsistent {
    /// The older checkpoint.
    pub older: Checkpoint,
    /// The newer checkpoint.
    pub newer: Checkpoint,
    /// The proof offered.
    pub proof: Vec<Hash>,
    /// Which check failed.
    pub error: InconsistencyKind,
}

/// What makes two checkpoints inconsistent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InconsistencyKind {
    /// They are checkpoints of different logs.
    #[error("their origins differ")]
    OtherOrigin,
    /// The consistency proof fails.
    #[error("{0}")]
    Proof(#[from] ProofError),
}

impl Checkpoint {
    /// A checkpoint body (no extension lines).
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        if origin.is_empty() || origin.contains('\n') {
            return Err(CheckpointError::EmptyOrigin);
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// The log's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The Merkle root at that size.
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// Extension lines, in order.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The body text, ready to sign as a note.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            Base64::encode_string(&self.root)
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses a body strictly.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::MissingLines)?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::MissingLines);
        };
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        let bad_size = || CheckpointError::BadSize {
            found: size.to_owned(),
        };
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(bad_size());
        }
        let size: u64 = size.parse().map_err(|_| bad_size())?;
        let bad_root = || CheckpointError::BadRoot {
            found: root.to_owned(),
        };
        let root: Hash = Base64::decode_vec(root)
            .map_err(|_| bad_root())?
            .try_into()
            .map_err(|_| bad_root())?;
        let mut extensions = Vec::new();
        for (i, line) in lines.enumerate() {
            if line.is_empty() {
                return Err(CheckpointError::EmptyExtension { line: i + 4 });
            }
            extensions.push(line.to_owned());
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

/// Checks that `newer` extends `older` (same origin, consistency proof from older to newer).
pub fn verify_consistent(
    older: &Checkpoint,
    newer: &Checkpoint,
    proof: &[Hash],
) -> Result<(), Box<Inconsistent>> {
    let evidence = |error: InconsistencyKind| {
        Box::new(Inconsistent {
            older: older.clone(),
            newer: newer.clone(),
            proof: proof.to_vec(),
            error,
        })
    };
    if older.origin != newer.origin {
        return Err(evidence(InconsistencyKind::OtherOrigin));
    }
    if older.size == 0 {
        // The empty tree is a prefix of every tree; nothing to prove.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(evidence(
                ProofError::TooManyHashes { found: proof.len() }.into(),
            ))
        };
    }
    verify_consistency(older.size, newer.size, proof, &older.root, &newer.root)
        .map_err(|e| evidence(e.into()))
}

#[cfg(test)]
mod tests {
    use super::super::merkle::{consistency_proof, leaf_hash, root};
    use super::super::note::{NoteSigner, open_note};
    use super::*;

    /// The example body from C2SP tlog-checkpoint.md.
    const EXAMPLE: &str =
        "example.com/origin\n923749\nnND/nri/U0xuHUrYSy0HtMeal2vzD9V4k/BO79C+QeI=\n";

    #[test]
    fn round_trips_the_spec_example() {
        let checkpoint = Checkpoint::parse(EXAMPLE).unwrap();
        assert_eq!(
            (checkpoint.origin(), checkpoint.size()),
            ("example.com/origin", 923_749)
        );
        assert_eq!(checkpoint.to_text(), EXAMPLE);
        let with_extension = format!("{EXAMPLE}extension line\n");
        let parsed = Checkpoint::parse(&with_extension).unwrap();
        assert_eq!(parsed.extensions(), ["extension line"]);
        assert_eq!(parsed.to_text(), with_extension);
    }

    #[test]
    fn refuses_malformed_bodies() {
        let root = "nND/nri/U0xuHUrYSy0HtMeal2vzD9V4k/BO79C+QeI=";
        let cases = [
            (
                String::from("example.com/origin\n923749\n"),
                CheckpointError::MissingLines,
            ),
            (
                format!("example.com/origin\n923749\n{root}"),
                CheckpointError::MissingLines,
            ),
            (format!("\n923749\n{root}\n"), CheckpointError::EmptyOrigin),
            (
                format!("o\n0923749\n{root}\n"),
                CheckpointError::BadSize {
                    found: "0923749".into(),
                },
            ),
            (
                format!("o\n+1\n{root}\n"),
                CheckpointError::BadSize { found: "+1".into() },
            ),
            (
                format!("o\n99999999999999999999\n{root}\n"),
                CheckpointError::BadSize {
                    found: "99999999999999999999".into(),
                },
            ),
            (
                "o\n1\nAAAA\n".to_owned(),
                CheckpointError::BadRoot {
                    found: "AAAA".into(),
                },
            ),
            (
                "o\n1\nnot base64!\n".to_owned(),
                CheckpointError::BadRoot {
                    found: "not base64!".into(),
                },
            ),
            (
                format!("o\n1\n{root}\n\n"),
                CheckpointError::EmptyExtension { line: 4 },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(Checkpoint::parse(&text), Err(expected), "{text:?}");
        }
        assert_eq!(
            Checkpoint::parse("o\n0\n".to_owned().as_str()),
            Err(CheckpointError::MissingLines)
        );
    }

    fn log(n: usize) -> Vec<Hash> {
        (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn consistent_checkpoints_verify_and_a_fork_is_caught_with_evidence() {
        let leaves = log(20);
        let older = Checkpoint::new("teller.example/e1", 7, root(&leaves[..7])).unwrap();
        let newer = Checkpoint::new("teller.example/e1", 20, root(&leaves)).unwrap();
        let proof = consistency_proof(&leaves, 7).unwrap();
        verify_consistent(&older, &newer, &proof).unwrap();

        let mut forked = leaves.clone();
        forked[2] = leaf_hash(b"rewritten");
        let fork = Checkpoint::new("teller.example/e1", 20, root(&forked)).unwrap();
        let fork_proof = consistency_proof(&forked, 7).unwrap();
        let err = verify_consistent(&older, &fork, &fork_proof).unwrap_err();
        assert_eq!((err.older.size(), err.newer.size()), (7, 20));
        assert_eq!(err.proof, fork_proof);
        assert!(matches!(
            err.error,
            InconsistencyKind::Proof(ProofError::RootMismatch { .. })
        ));

        let other_log = Checkpoint::new("teller.example/e2", 20, root(&leaves)).unwrap();
        let err = verify_consistent(&older, &other_log, &proof).unwrap_err();
        assert_eq!(err.error, InconsistencyKind::OtherOrigin);
    }

    #[test]
    fn a_signed_checkpoint_opens_and_parses_back() {
        let signer = NoteSigner::from_seed("teller.example/e1", &[3; 32]).unwrap();
        let checkpoint = Checkpoint::new("teller.example/e1", 5, root(&log(5))).unwrap();
        let note = signer.sign(&checkpoint.to_text()).unwrap();
        let (text, _) =
            open_note(note.as_bytes(), std::slice::from_ref(signer.verifier())).unwrap();
        assert_eq!(Checkpoint::parse(&text).unwrap(), checkpoint);
        let tampered = note.replacen("\n5\n", "\n6\n", 1);
        assert!(open_note(tampered.as_bytes(), std::slice::from_ref(signer.verifier())).is_err());
    }
}
