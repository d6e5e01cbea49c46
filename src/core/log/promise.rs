//! The ballot box's signed promise of inclusion (docs/PROTOCOL.md §10.4): a signed note, under the
//! ballot log's key, saying which entry a cast became. With a later checkpoint and an inclusion
//! proof, the receipt shows the promise was kept.
//!
//! Its text is `<origin>\npromise\n<seq>\n<base64 leaf hash>\n`; the second line keeps it from
//! ever parsing as a checkpoint (whose second line is a number).

use base64ct::{Base64, Encoding as _};

use super::{Hash, NoteError, NoteVerifier, open_note};

/// The promise's text, to be signed by the ballot log's key.
pub fn promise_text(origin: &str, seq: i64, leaf: &Hash) -> String {
    format!(
        "{origin}\npromise\n{seq}\n{}\n",
        Base64::encode_string(leaf)
    )
}

/// Checks a promise note's signature and origin; returns the entry's sequence number and leaf hash.
pub fn open_promise(
    note: &[u8],
    verifier: &NoteVerifier,
    origin: &str,
) -> Result<(i64, Hash), NoteError> {
    let malformed = || NoteError::Malformed {
        reason: "not a promise of inclusion for this log",
    };
    let (text, _) = open_note(note, std::slice::from_ref(verifier))?;
    let mut lines = text.split('\n');
    let (Some(o), Some("promise"), Some(seq), Some(leaf), Some(""), None) = (
        lines.next(),
        lines.next(),
        lines.next(),
        lines.next(),
        lines.next(),
        lines.next(),
    ) else {
        return Err(malformed());
    };
    if o != origin {
        return Err(malformed());
    }
    let seq: i64 = seq.parse().map_err(|_| malformed())?;
    let leaf: Hash = Base64::decode_vec(leaf)
        .ok()
        .and_then(|l| l.try_into().ok())
        .ok_or_else(malformed)?;
    Ok((seq, leaf))
}

#[cfg(test)]
mod tests {
    use super::super::NoteSigner;
    use super::*;

    #[test]
    fn a_promise_opens_under_its_key_and_origin_only() {
        let signer = NoteSigner::from_seed("teller-ballot-box", &[5; 32]).unwrap();
        let other = NoteSigner::from_seed("teller-ballot-box", &[6; 32]).unwrap();
        let note = signer
            .sign(&promise_text("teller/ballots/ab", 7, &[9; 32]))
            .unwrap();
        assert_eq!(
            open_promise(note.as_bytes(), signer.verifier(), "teller/ballots/ab").unwrap(),
            (7, [9; 32])
        );
        assert!(open_promise(note.as_bytes(), other.verifier(), "teller/ballots/ab").is_err());
        assert!(open_promise(note.as_bytes(), signer.verifier(), "teller/ballots/cd").is_err());
        let mut flipped = note.clone().into_bytes();
        flipped[20] ^= 1;
        assert!(open_promise(&flipped, signer.verifier(), "teller/ballots/ab").is_err());
        // A checkpoint signed by the same key is not a promise.
        let checkpoint = signer.sign("teller/ballots/ab\n7\nAAAA\n").unwrap();
        assert!(
            open_promise(
                checkpoint.as_bytes(),
                signer.verifier(),
                "teller/ballots/ab"
            )
            .is_err()
        );
    }
}
