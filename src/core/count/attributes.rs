//! The candidates' attributes file that `teller count --attributes` reads (and `teller gen
//! --attributes-out` writes): CSV (RFC 4180) with a `name` column and optional `gender` and
//! `slate` columns, in any order and case; blank lines skipped; fields read verbatim, less the
//! spaces around them. A row's line is the line it starts on.

use super::{CandidateAttributes, Election};
use crate::core::csv_file::record_line;

/// Why an attributes file cannot be applied to an election.
#[derive(Debug, thiserror::Error)]
pub enum AttributesError {
    /// No header line.
    #[error("the file is empty")]
    Empty,
    /// The header has no `name` column.
    #[error("the header needs a `name` column")]
    NoNameColumn,
    /// Not CSV.
    #[error("line {line}: {source}")]
    Csv {
        /// Where.
        line: usize,
        /// The CSV reader's reason.
        source: csv::Error,
    },
    /// A row names no candidate of the ballot file.
    #[error("line {line}: no candidate named {name:?} in the ballot file")]
    UnknownCandidate {
        /// Where.
        line: usize,
        /// The name given.
        name: String,
    },
}

/// Sets the attributes of the candidates the file names.
pub fn apply_attributes(election: &mut Election, text: &str) -> Result<(), AttributesError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = reader.records().filter(|record| {
        (record.as_ref()).map_or(true, |r| r.iter().any(|f| !f.trim().is_empty()))
    });
    let csv_error = |source: csv::Error| AttributesError::Csv {
        line: record_line(text, source.position()),
        source,
    };
    let header = rows
        .next()
        .ok_or(AttributesError::Empty)?
        .map_err(csv_error)?;
    let columns: Vec<String> = header.iter().map(str::to_lowercase).collect();
    let column = |name: &str| columns.iter().position(|c| c == name);
    let name_at = column("name").ok_or(AttributesError::NoNameColumn)?;
    let (gender_at, slate_at) = (column("gender"), column("slate"));
    for fields in rows {
        let fields = fields.map_err(csv_error)?;
        let line = record_line(text, fields.position());
        let field = |at: Option<usize>| {
            at.and_then(|i| fields.get(i))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let name = field(Some(name_at)).unwrap_or_default();
        let candidate = (election.candidate_by_name(&name))
            .ok_or(AttributesError::UnknownCandidate { line, name })?;
        election.set_attributes(
            candidate,
            CandidateAttributes {
                gender: field(gender_at),
                slate: field(slate_at),
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::count::parse_blt;

    fn election() -> Election {
        parse_blt(b"3 1\n1 1 2 0\n0\n\"Ann\"\n\"Bob\"\n\"Cat\"\n\"Test\"\n")
            .unwrap()
            .election
    }

    #[test]
    fn columns_in_any_order_and_case_with_quoted_fields() {
        let mut election = election();
        let csv = "Slate,NAME,gender\n\n\"Left, old\", Bob ,M\nRight,Ann,\n";
        apply_attributes(&mut election, csv).unwrap();
        let bob = &election.candidates()[1].attributes;
        assert_eq!(bob.slate.as_deref(), Some("Left, old"));
        assert_eq!(bob.gender.as_deref(), Some("M"));
        let ann = &election.candidates()[0].attributes;
        assert_eq!(
            (ann.slate.as_deref(), ann.gender.as_deref()),
            (Some("Right"), None)
        );
    }

    #[test]
    fn an_unknown_name_or_a_missing_column_is_named() {
        let mut election = election();
        let error = apply_attributes(&mut election, "name\nAnn\nDan\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 3: no candidate named \"Dan\" in the ballot file"
        );
        // The line a row is on, after blank lines (with either line ending) and a quoted field
        // that spans two lines.
        let error = apply_attributes(&mut election, "name\n\nAnn\r\n\r\n\"Bob\"\n\n\"D\nan\"\n")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 7: no candidate named \"D\\nan\" in the ballot file"
        );
        let error = apply_attributes(&mut election, "who,gender\nAnn,W\n").unwrap_err();
        assert!(matches!(error, AttributesError::NoNameColumn));
        assert!(matches!(
            apply_attributes(&mut election, "\n\n"),
            Err(AttributesError::Empty)
        ));
    }
}
