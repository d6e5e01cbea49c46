//! The BLT ballot format, in and out, as real files use it.
//!
//! Accepted (docs/COUNTING.md, "Ballot files"):
//! - a UTF-8 byte-order mark; `#` comments to end of line; commas as separators;
//! - the header `CANDIDATES SEATS`, then optional lines of withdrawn candidates as negative numbers
//!   (`-2 -5`), and option lines `[nick a b c]`, `[withdrawn a b]`, `[tie c b a]`;
//! - ballot lines `WEIGHT PREF PREF … 0`, one per line, where the final `0` may be missing,
//!   a preference is a candidate number (from 1) or a nickname, `a=b` ranks candidates equally, `-`
//!   marks a skipped preference (a break: the rest of the line is not counted), and a leading
//!   `(id)` ballot label is ignored;
//! - a line holding only `0` ends the ballots; then one name per candidate and the title, quoted
//!   (`""` inside quotes is a literal quote) or, leniently, a bare line; text after the title is
//!   ignored with a note, as droop and OpenSTV ignore it.
//!
//! Anything else is an error naming the line. The parser never panics on any input (fuzzed in
//! `fuzz/fuzz_targets/blt.rs`). Identical ballots are merged by [`ElectionBuilder`].

// Parsers of outside input never panic (STYLE.md §4).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use super::election::{
    Candidate, CandidateAttributes, CandidateIndex, Election, ElectionBuilder, ElectionError,
    MAX_CANDIDATES,
};

mod ballot;
mod write;

use ballot::read_ballots;
pub use write::write_blt;

/// Why a ballot file could not be read, and where.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {kind}")]
pub struct BltError {
    /// The 1-based line number the problem is on.
    pub line: usize,
    /// What is wrong.
    pub kind: BltErrorKind,
}

/// What is wrong with a ballot file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BltErrorKind {
    /// The file is not UTF-8.
    #[error("the file is not valid UTF-8")]
    NotUtf8,
    /// The file has no header line.
    #[error("the file is empty; expected a header line `CANDIDATES SEATS`")]
    MissingHeader,
    /// The header is not two whole numbers.
    #[error("expected the header `CANDIDATES SEATS` (two whole numbers), found {found:?}")]
    BadHeader {
        /// The offending text.
        found: String,
    },
    /// A number that should be a weight, candidate number or count is not one.
    #[error("{what} {found:?} is not a whole number")]
    NotANumber {
        /// What the number was meant to be.
        what: &'static str,
        /// The offending token.
        found: String,
    },
    /// A candidate number outside `1..=C`.
    #[error("candidate {found} does not exist; candidates are numbered 1 to {candidates}")]
    NoSuchCandidate {
        /// The number given.
        found: String,
        /// How many candidates the header declares.
        candidates: usize,
    },
    /// A nickname that no `[nick]` line defined.
    #[error("{found:?} is neither a candidate number nor a nickname from a [nick] line")]
    UnknownNickname {
        /// The token given.
        found: String,
    },
    /// A ballot ranks the same candidate twice.
    #[error("the ballot ranks candidate {candidate} more than once")]
    RepeatedCandidate {
        /// The repeated candidate's number (from 1).
        candidate: usize,
    },
    /// An option line that is not understood or is malformed.
    #[error(
        "option line {found:?} is not understood (expected [nick …], [withdrawn …] or [tie …])"
    )]
    BadOption {
        /// The line.
        found: String,
    },
    /// A `[nick]` line with the wrong number of names.
    #[error("[nick] gives {found} nicknames for {candidates} candidates")]
    NickCount {
        /// Nicknames given.
        found: usize,
        /// Candidates declared.
        candidates: usize,
    },
    /// A `[tie]` line that is not a permutation of all candidates.
    #[error("[tie] must list every candidate exactly once")]
    BadTieOrder,
    /// The file ended inside the ballots.
    #[error("the file ended before the `0` line that closes the ballots")]
    MissingBallotTerminator,
    /// Fewer candidate names than the header declares.
    #[error("the file ended after {found} candidate names; the header declares {candidates}")]
    MissingNames {
        /// Names found.
        found: usize,
        /// Candidates declared.
        candidates: usize,
    },
    /// An opening quote with no closing one.
    #[error("a quoted name is not closed")]
    UnterminatedQuote,
    /// Text after a quoted name on the same line.
    #[error("unexpected text after a quoted name: {found:?}")]
    TrailingText {
        /// The text.
        found: String,
    },
    /// The candidates, seats or ballots are not a valid election.
    #[error("{0}")]
    Election(#[from] ElectionError),
}

/// A parsed ballot file: the election, and notes about anything accepted leniently.
#[derive(Debug)]
pub struct ParsedBlt {
    /// The election.
    pub election: Election,
    /// Things accepted that a returning officer may want to know about (e.g. missing terminators).
    pub notes: Vec<String>,
}

struct Line<'a> {
    number: usize,
    text: &'a str,
}

fn err(line: usize, kind: BltErrorKind) -> BltError {
    BltError { line, kind }
}

/// Strips a `#` comment that is not inside quotes, and surrounding white space.
fn strip_comment(text: &str) -> &str {
    if !text.as_bytes().contains(&b'#') {
        return text.trim();
    }
    let mut in_quotes = false;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'#' if !in_quotes => return text[..i].trim(),
            _ => {}
        }
    }
    text.trim()
}

fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
}

fn parse_count(token: &str, what: &'static str, line: usize) -> Result<u64, BltError> {
    if token.is_empty() || token.len() > 19 || !token.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(
            line,
            BltErrorKind::NotANumber {
                what,
                found: token.to_owned(),
            },
        ));
    }
    token.parse().map_err(|_| {
        err(
            line,
            BltErrorKind::NotANumber {
                what,
                found: token.to_owned(),
            },
        )
    })
}

struct CandidateLookup {
    count: usize,
    nicks: Vec<String>,
}

impl CandidateLookup {
    fn resolve(&self, token: &str, line: usize) -> Result<CandidateIndex, BltError> {
        if token.bytes().all(|b| b.is_ascii_digit()) && !token.is_empty() {
            return match token.parse::<usize>() {
                Ok(n) if (1..=self.count).contains(&n) => Ok(CandidateIndex::new((n - 1) as u16)),
                _ => Err(err(
                    line,
                    BltErrorKind::NoSuchCandidate {
                        found: token.to_owned(),
                        candidates: self.count,
                    },
                )),
            };
        }
        match self.nicks.iter().position(|n| n == token) {
            Some(i) => Ok(CandidateIndex::new(i as u16)),
            None => Err(err(
                line,
                BltErrorKind::UnknownNickname {
                    found: token.to_owned(),
                },
            )),
        }
    }
}

/// Parses a BLT file. Never panics; every failure names its line.
pub fn parse_blt(bytes: &[u8]) -> Result<ParsedBlt, BltError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        err(line, BltErrorKind::NotUtf8)
    })?;
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, raw)| Line {
            number: i + 1,
            text: strip_comment(raw),
        })
        .filter(|l| !l.text.is_empty());
    let header = lines
        .next()
        .ok_or_else(|| err(1, BltErrorKind::MissingHeader))?;
    let (candidate_count, seats) = header_counts(&header)?;
    let mut options = Options {
        lookup: CandidateLookup {
            count: candidate_count,
            nicks: Vec::new(),
        },
        withdrawn: vec![false; candidate_count],
        tie_order: None,
        pending_withdrawn: Vec::new(),
    };
    let mut notes = Vec::new();
    let ballots = read_ballots(&mut lines, &mut options, header.number)?;
    if ballots.missing_terminators > 0 {
        notes.push(format!(
            "{} ballot lines had no closing 0; each line was read as one ballot",
            ballots.missing_terminators
        ));
    }
    options.resolve_withdrawn()?;
    let strings = read_strings(lines, &mut options, ballots.last_line)?;
    if strings.ignored_after_title > 0 {
        notes.push(format!(
            "{} lines of text after the title were ignored",
            strings.ignored_after_title
        ));
    }
    let mut strings_read = strings.strings;
    if strings_read.len() < candidate_count {
        return Err(err(
            strings.last_line,
            BltErrorKind::MissingNames {
                found: strings_read.len(),
                candidates: candidate_count,
            },
        ));
    }
    let title = (strings_read.get(candidate_count))
        .map(|(t, _)| t.clone())
        .unwrap_or_default();
    if let Some((_, line)) = options.pending_withdrawn.first() {
        // `[withdrawn]` after the ballots: too late for the builder, which already dropped nothing.
        return Err(err(
            *line,
            BltErrorKind::BadOption {
                found: "[withdrawn] must come before the ballots".to_owned(),
            },
        ));
    }
    let builder =
        (ballots.builder).unwrap_or_else(|| ElectionBuilder::new_unnamed(options.candidates()));
    let names_line = strings_read.first().map_or(strings.last_line, |(_, n)| *n);
    strings_read.truncate(candidate_count);
    let names: Vec<String> = strings_read.into_iter().map(|(s, _)| s).collect();
    let builder = builder
        .with_names(names)
        .map_err(|e| err(names_line, e.into()))?;
    let election = builder
        .build(title, seats, options.tie_order)
        .map_err(|e| err(header.number, e.into()))?;
    Ok(ParsedBlt { election, notes })
}

/// The header `CANDIDATES SEATS`: the number of candidates (1 to [`MAX_CANDIDATES`]) and seats.
fn header_counts(header: &Line<'_>) -> Result<(usize, usize), BltError> {
    let header_tokens: Vec<&str> = tokens(header.text).collect();
    let (candidate_count, seats) = match header_tokens.as_slice() {
        [c, s] => (
            parse_count(c, "the number of candidates", header.number)?,
            parse_count(s, "the number of seats", header.number)?,
        ),
        _ => {
            return Err(err(
                header.number,
                BltErrorKind::BadHeader {
                    found: header.text.to_owned(),
                },
            ));
        }
    };
    if candidate_count == 0 {
        return Err(err(header.number, ElectionError::NoCandidates.into()));
    }
    if candidate_count > MAX_CANDIDATES as u64 {
        return Err(err(
            header.number,
            ElectionError::TooManyCandidates {
                found: candidate_count as usize,
            }
            .into(),
        ));
    }
    Ok((
        candidate_count as usize,
        usize::try_from(seats).unwrap_or(usize::MAX),
    ))
}

/// What the option lines and withdrawals say, wherever in the file they stand.
struct Options {
    lookup: CandidateLookup,
    withdrawn: Vec<bool>,
    tie_order: Option<Vec<CandidateIndex>>,
    /// `-N` and `[withdrawn]` candidates not yet resolved (a nickname may be defined later).
    pending_withdrawn: Vec<(String, usize)>,
}

impl Options {
    fn option_line(&mut self, text: &str, number: usize) -> Result<(), BltError> {
        parse_option(
            text,
            number,
            &mut self.lookup,
            &mut self.pending_withdrawn,
            &mut self.tie_order,
        )
    }

    /// Marks the pending withdrawals withdrawn.
    fn resolve_withdrawn(&mut self) -> Result<(), BltError> {
        for (token, number) in self.pending_withdrawn.drain(..) {
            let candidate = self.lookup.resolve(&token, number)?;
            self.withdrawn[candidate.get()] = true;
        }
        Ok(())
    }

    /// The candidates as the options describe them, unnamed.
    fn candidates(&self) -> Vec<Candidate> {
        (0..self.lookup.count)
            .map(|i| Candidate {
                name: String::new(),
                nick: self.lookup.nicks.get(i).cloned(),
                withdrawn: self.withdrawn[i],
                attributes: CandidateAttributes::default(),
            })
            .collect()
    }
}

fn parse_option(
    text: &str,
    number: usize,
    lookup: &mut CandidateLookup,
    withdrawn: &mut Vec<(String, usize)>,
    tie_order: &mut Option<Vec<CandidateIndex>>,
) -> Result<(), BltError> {
    let bad = || {
        err(
            number,
            BltErrorKind::BadOption {
                found: text.to_owned(),
            },
        )
    };
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or_else(bad)?;
    let mut parts = tokens(inner);
    match parts.next() {
        Some("nick") => {
            let nicks: Vec<String> = parts.map(str::to_owned).collect();
            if nicks.len() != lookup.count {
                return Err(err(
                    number,
                    BltErrorKind::NickCount {
                        found: nicks.len(),
                        candidates: lookup.count,
                    },
                ));
            }
            lookup.nicks = nicks;
        }
        Some("withdrawn") => withdrawn.extend(parts.map(|p| (p.to_owned(), number))),
        Some("tie") => {
            let order = parts
                .map(|p| lookup.resolve(p, number))
                .collect::<Result<Vec<_>, _>>()?;
            let mut sorted: Vec<usize> = order.iter().map(|c| c.get()).collect();
            sorted.sort_unstable();
            if sorted != (0..lookup.count).collect::<Vec<_>>() {
                return Err(err(number, BltErrorKind::BadTieOrder));
            }
            *tie_order = Some(order);
        }
        _ => return Err(bad()),
    }
    Ok(())
}

/// Splits a line into quoted strings (`""` is a literal quote); a line with no quote at all is one
/// bare string.
fn quoted_strings(text: &str, number: usize) -> Result<Vec<String>, BltError> {
    if !text.starts_with('"') {
        return Ok(vec![text.to_owned()]);
    }
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        match chars.next() {
            None => return Ok(out),
            Some('"') => {}
            Some(c) => {
                let rest: String = std::iter::once(c).chain(chars).collect();
                return Err(err(
                    number,
                    BltErrorKind::TrailingText {
                        found: rest.trim().to_owned(),
                    },
                ));
            }
        }
        let mut s = String::new();
        loop {
            match chars.next() {
                None => return Err(err(number, BltErrorKind::UnterminatedQuote)),
                Some('"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    s.push('"');
                }
                Some('"') => break,
                Some(c) => s.push(c),
            }
        }
        out.push(s);
    }
}

/// What the lines after the ballots gave.
struct Strings {
    /// The names and the title (at most one more than the candidates), with their lines.
    strings: Vec<(String, usize)>,
    ignored_after_title: usize,
    last_line: usize,
}

/// Phase 2: names and title, each a quoted string (or a bare line).
fn read_strings<'t>(
    lines: impl Iterator<Item = Line<'t>>,
    options: &mut Options,
    mut last_line: usize,
) -> Result<Strings, BltError> {
    let candidate_count = options.lookup.count;
    let mut strings: Vec<(String, usize)> = Vec::new();
    let mut ignored_after_title = 0usize;
    for line in lines {
        last_line = line.number;
        if line.text.starts_with('[') {
            options.option_line(line.text, line.number)?;
            continue;
        }
        if strings.len() > candidate_count {
            // Free text after the title, as in droop's test files M135.blt (the author's notes) and
            // cfer/*.blt (expected tallies): droop and OpenSTV stop reading at the title, so we
            // ignore it too, and say so.
            ignored_after_title += 1;
            continue;
        }
        for s in quoted_strings(line.text, line.number)? {
            strings.push((s, line.number));
        }
    }
    if strings.len() > candidate_count + 1 {
        // More strings on the title's own line.
        strings.truncate(candidate_count + 1);
        ignored_after_title += 1;
    }
    Ok(Strings {
        strings,
        ignored_after_title,
        last_line,
    })
}
