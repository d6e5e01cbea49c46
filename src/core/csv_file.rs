//! Teller's CSV files (RFC 4180, through the `csv` crate): text written to memory, since `core`
//! does no I/O, and the formula rule for the files that people open in a spreadsheet (OWASP, "CSV
//! Injection").
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula, and some also
//! after a leading tab or carriage return. A member number or candidate name comes from outside, so
//! every CSV Teller writes for people (the count's stage table, the invitations file) writes such a
//! field with one `'` in front: the spreadsheet shows it as text. A field that already starts with
//! `'` gets one more, so that the rule can be undone exactly: a reader of a file written so
//! ([`undo_defuse`]) removes one leading `'` from every field that has one, and `-12`, `=1+1` and
//! `'7` all come back as they were written.
//!
//! Files that are input to Teller and that Teller only writes to feed back to itself (the register,
//! as a membership office exports it, and the candidates' attributes that `teller count
//! --attributes` reads) are written verbatim: their fields are data, and a membership office's
//! export does not follow this rule, so the register import cannot undo it.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula, plus `'` (the escape itself).
const DEFUSED: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// The 1-based line of `text` on which a record (or a reader's error) at `position` starts.
/// The `csv` crate skips blank lines between records but reports a record's position as where it
/// resumed reading, before them, so a row after a blank line would be named a line too early;
/// this counts the line breaks it skipped.
pub fn record_line(text: &str, position: Option<&csv::Position>) -> usize {
    let Some(position) = position else {
        return 1;
    };
    let skipped = (text.as_bytes().iter())
        .skip(usize::try_from(position.byte()).unwrap_or(usize::MAX))
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|b| **b == b'\n')
        .count();
    usize::try_from(position.line())
        .unwrap_or(usize::MAX)
        .saturating_add(skipped)
}

/// `field` as it is written to a CSV file for people: with one `'` in front when it starts with
/// `=`, `+`, `-`, `@`, tab, carriage return or `'`.
pub fn defuse(field: &str) -> Cow<'_, str> {
    if field.starts_with(DEFUSED) {
        Cow::Owned(format!("'{field}"))
    } else {
        Cow::Borrowed(field)
    }
}

/// A field read back from a file written with [`defuse`]: one leading `'` removed, if any.
pub fn undo_defuse(field: &str) -> &str {
    field.strip_prefix('\'').unwrap_or(field)
}

/// CSV text written to memory: RFC 4180 through the `csv` crate, records of any length.
pub struct CsvText(csv::Writer<Vec<u8>>);

impl CsvText {
    /// An empty text whose fields are quoted by `style` and whose lines end in `terminator`.
    pub fn new(style: csv::QuoteStyle, terminator: csv::Terminator) -> Self {
        Self(
            csv::WriterBuilder::new()
                .quote_style(style)
                .terminator(terminator)
                .flexible(true)
                .from_writer(Vec::new()),
        )
    }

    /// Appends one record of text fields.
    #[cfg_attr(
        not(test),
        expect(clippy::expect_used, reason = "the invariant is stated in the message")
    )]
    pub fn record<T: AsRef<str>>(&mut self, fields: impl IntoIterator<Item = T>) {
        for field in fields {
            self.0
                .write_field(field.as_ref())
                .expect("a flexible CSV writer into a Vec<u8> has no I/O and no length rule");
        }
        self.0
            .write_record(None::<&[u8]>)
            .expect("a flexible CSV writer into a Vec<u8> has no I/O and no length rule");
    }

    /// The text written.
    #[cfg_attr(
        not(test),
        expect(clippy::expect_used, reason = "the invariant is stated in the message")
    )]
    pub fn finish(self) -> String {
        let bytes = self
            .0
            .into_inner()
            .expect("flushing a CSV writer into a Vec<u8> has no I/O that can fail");
        String::from_utf8(bytes).expect(
            "every field was a &str and the writer adds only ASCII quotes, commas and line ends",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defuses_formula_starts_and_the_escape_itself() {
        for (field, written) in [
            ("=1+1", "'=1+1"),
            ("+44", "'+44"),
            ("-12", "'-12"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'7", "''7"),
            ("M0001", "M0001"),
            ("1-2", "1-2"),
            ("", ""),
        ] {
            assert_eq!(defuse(field), written, "{field:?}");
            assert_eq!(undo_defuse(&defuse(field)), field, "{field:?}");
        }
    }
}
