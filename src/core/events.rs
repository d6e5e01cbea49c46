//! The events log as the record publishes it (docs/PROTOCOL.md §17): what the returning officers
//! did and when — register imports, invitations, opening, removals, re-issue grants, extensions,
//! closing — one canonical JSON line each, signed as a whole by the issuer's log key.
//!
//! The note's text is `<issuance origin>\nevents\n<count>\n<base64 SHA-256 of the file>\n`; its
//! second line keeps it from parsing as a checkpoint, as a promise's does.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use base64ct::{Base64, Encoding as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::core::crypto::{CanonicalError, encode};
use crate::core::log::{NoteError, NoteSigner, NoteVerifier, open_note};
use crate::core::record::jsonl;

/// Who did it, in a published event when officers are not named: `command line`, or
/// `officer <n>`, numbered by first appearance in the file.
pub const COMMAND_LINE: &str = "command line";

/// The kind of event a removal writes (its detail: `a member was removed from: <contests>;
/// reason: <reason>`).
pub const MEMBER_REMOVED: &str = "member removed";

const REMOVED_FROM: &str = "a member was removed from: ";
const REASON: &str = "; reason: ";

/// One published event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedEvent {
    /// Its place in the file, from 0.
    pub seq: i64,
    /// When: RFC 3339 UTC, to the second.
    pub at: String,
    /// What happened: `created`, `register imported`, `opened`, `member removed`, …
    pub kind: String,
    /// The particulars (never a member's number or code).
    pub detail: String,
    /// Who: an officer's email, `officer <n>`, or `command line`.
    pub by: String,
}

/// The contests a `member removed` event's detail names.
pub fn removed_from(detail: &str) -> Option<Vec<&str>> {
    let rest = detail.strip_prefix(REMOVED_FROM)?;
    let (contests, _) = rest.split_once(REASON)?;
    Some(match contests {
        "no contest" => Vec::new(),
        list => list.split(", ").collect(),
    })
}

/// The detail a removal writes.
pub fn removal_detail(contests: &[String], reason: &str) -> String {
    let contests = match contests.is_empty() {
        true => "no contest".to_owned(),
        false => contests.join(", "),
    };
    format!("{REMOVED_FROM}{contests}{REASON}{reason}")
}

/// The events file: one canonical line per event.
pub fn events_file(events: &[PublishedEvent]) -> Result<Vec<u8>, CanonicalError> {
    let lines = events.iter().map(encode).collect::<Result<Vec<_>, _>>()?;
    Ok(jsonl(&lines))
}

/// The text the issuer signs over the events file.
pub fn events_text(origin: &str, count: usize, file: &[u8]) -> String {
    format!(
        "{origin}\nevents\n{count}\n{}\n",
        Base64::encode_string(&Sha256::digest(file))
    )
}

/// The events file and the issuer's note over it, as the record publishes them.
pub fn signed_events(
    events: &[PublishedEvent],
    origin: &str,
    signer: &NoteSigner,
) -> Result<(Vec<u8>, String), SignEventsError> {
    let file = events_file(events)?;
    let note = signer.sign(&events_text(origin, events.len(), &file))?;
    Ok((file, note))
}

/// Why the events could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignEventsError {
    /// An event would not encode.
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    /// The note would not sign.
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// Why a signed events note does not vouch for an events file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventsNoteError {
    /// The note does not verify under the key.
    #[error("the note does not verify under the issuer's key: {0}")]
    Note(#[from] NoteError),
    /// It verifies but is not this file's events note.
    #[error("the note is not the issuer's signature over this events file ({0})")]
    NotThisFile(&'static str),
}

/// Checks that `note` is the issuer's signature over `file` of `count` events.
pub fn check_events_note(
    note: &[u8],
    verifier: &NoteVerifier,
    origin: &str,
    count: usize,
    file: &[u8],
) -> Result<(), EventsNoteError> {
    let (text, _) = open_note(note, std::slice::from_ref(verifier))?;
    let expected = events_text(origin, count, file);
    if text == expected {
        return Ok(());
    }
    let second = text.split('\n').nth(1);
    Err(EventsNoteError::NotThisFile(match second {
        Some("events") => "another file, or another number of events",
        _ => "not an events note",
    }))
}

/// Gives officers numbers in order of first appearance, for a record that does not name them.
#[derive(Debug, Default)]
pub struct Pseudonyms(Vec<String>);

impl Pseudonyms {
    /// `officer <n>` for `email`; `command line` for no one.
    pub fn of(&mut self, email: &str) -> String {
        if email.is_empty() {
            return COMMAND_LINE.to_owned();
        }
        let n = match self.0.iter().position(|e| e == email) {
            Some(at) => at + 1,
            None => {
                self.0.push(email.to_owned());
                self.0.len()
            }
        };
        format!("officer {n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, kind: &str, detail: &str) -> PublishedEvent {
        PublishedEvent {
            seq,
            at: "2026-11-01T09:00:00Z".into(),
            kind: kind.into(),
            detail: detail.into(),
            by: COMMAND_LINE.into(),
        }
    }

    #[test]
    fn the_file_is_canonical_lines_and_the_note_vouches_for_it_alone() {
        let file = events_file(&[event(0, "opened", "")]).unwrap();
        assert_eq!(
            String::from_utf8(file.clone()).unwrap(),
            "{\"at\":\"2026-11-01T09:00:00Z\",\"by\":\"command line\",\"detail\":\"\",\"kind\":\"opened\",\"seq\":0}\n"
        );
        let signer = NoteSigner::from_seed("teller-issuer", &[3; 32]).unwrap();
        let other = NoteSigner::from_seed("teller-issuer", &[4; 32]).unwrap();
        let origin = "teller/issuance/ab";
        let note = signer.sign(&events_text(origin, 1, &file)).unwrap();
        let check = |note: &[u8], verifier, count, file: &[u8]| {
            check_events_note(note, verifier, origin, count, file)
        };
        assert_eq!(check(note.as_bytes(), signer.verifier(), 1, &file), Ok(()));
        assert!(matches!(
            check(note.as_bytes(), other.verifier(), 1, &file),
            Err(EventsNoteError::Note(_))
        ));
        assert!(check(note.as_bytes(), signer.verifier(), 2, &file).is_err());
        let mut changed = file.clone();
        changed[10] ^= 1;
        assert!(check(note.as_bytes(), signer.verifier(), 1, &changed).is_err());
        let mut flipped = note.clone().into_bytes();
        flipped[25] ^= 1;
        assert!(check(&flipped, signer.verifier(), 1, &file).is_err());
        // A checkpoint by the same key is not an events note.
        let checkpoint = signer.sign(&format!("{origin}\n1\nAAAA\n")).unwrap();
        assert_eq!(
            check(checkpoint.as_bytes(), signer.verifier(), 1, &file),
            Err(EventsNoteError::NotThisFile("not an events note"))
        );
    }

    #[test]
    fn a_removal_detail_names_its_contests_whatever_the_reason() {
        let detail = removal_detail(&["nec".into(), "chair".into()], "expelled; reason: x, y");
        assert_eq!(removed_from(&detail), Some(vec!["nec", "chair"]));
        assert_eq!(removed_from(&removal_detail(&[], "died")), Some(Vec::new()));
        assert_eq!(removed_from("one member's code replaced"), None);
    }

    #[test]
    fn officers_are_numbered_by_first_appearance() {
        let mut names = Pseudonyms::default();
        assert_eq!(names.of("b@x.org"), "officer 1");
        assert_eq!(names.of(""), COMMAND_LINE);
        assert_eq!(names.of("a@x.org"), "officer 2");
        assert_eq!(names.of("b@x.org"), "officer 1");
    }
}
