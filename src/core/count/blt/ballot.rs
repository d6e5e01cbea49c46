//! Ballot lines: the withdrawn and option lines before them, each ballot line (a fast path for
//! plain numeric lines, a general one that names every error), up to the `0` that ends them.

use super::super::election::{CandidateIndex, ElectionBuilder};
use super::{BltError, BltErrorKind, CandidateLookup, Line, Options, err, parse_count, tokens};

/// What the ballot lines gave.
pub(super) struct Ballots {
    /// The ballots; `None` when there were none.
    pub builder: Option<ElectionBuilder>,
    pub missing_terminators: usize,
    pub last_line: usize,
}

/// Phase 1: withdrawn and option lines, then ballots up to the `0` line. The builder is made at
/// the first ballot, once withdrawals are known.
pub(super) fn read_ballots<'t>(
    lines: &mut impl Iterator<Item = Line<'t>>,
    options: &mut Options,
    header_line: usize,
) -> Result<Ballots, BltError> {
    let candidate_count = options.lookup.count;
    let mut builder: Option<ElectionBuilder> = None;
    let mut ranks: Vec<CandidateIndex> = Vec::new();
    let mut rank_ends: Vec<usize> = Vec::new();
    let mut seen = vec![false; candidate_count];
    let mut missing_terminators = 0usize;
    let mut last_line = header_line;
    for line in lines.by_ref() {
        last_line = line.number;
        let text = line.text;
        if text.starts_with('[') {
            options.option_line(text, line.number)?;
            continue;
        }
        if text.starts_with('-') && builder.is_none() {
            for token in tokens(text) {
                let number = token.strip_prefix('-').ok_or_else(|| {
                    err(
                        line.number,
                        BltErrorKind::NotANumber {
                            what: "a withdrawn candidate (-N)",
                            found: token.to_owned(),
                        },
                    )
                })?;
                (options.pending_withdrawn).push((number.to_owned(), line.number));
            }
            continue;
        }
        if text == "0" {
            return Ok(Ballots {
                builder,
                missing_terminators,
                last_line,
            });
        }
        if builder.is_none() {
            options.resolve_withdrawn()?;
            builder = Some(ElectionBuilder::new_unnamed(options.candidates()));
        }
        let builder = builder
            .as_mut()
            .ok_or_else(|| err(line.number, BltErrorKind::MissingHeader))?;
        ranks.clear();
        rank_ends.clear();
        let fast = if options.lookup.nicks.is_empty() {
            parse_plain_ballot(
                text.as_bytes(),
                candidate_count,
                &mut ranks,
                &mut rank_ends,
                &mut seen,
            )
        } else {
            None
        };
        let (weight, closed) = match fast {
            Some(Ok(parsed)) => parsed,
            Some(Err(kind)) => return Err(err(line.number, kind)),
            None => {
                ranks.clear();
                rank_ends.clear();
                parse_general_ballot(
                    text,
                    line.number,
                    &options.lookup,
                    &mut ranks,
                    &mut rank_ends,
                    &mut seen,
                )?
            }
        };
        if !closed {
            missing_terminators += 1;
        }
        let mut start = 0;
        let groups = rank_ends.iter().map(|&end| {
            let group = &ranks[start..end];
            start = end;
            group
        });
        builder
            .add(weight, groups)
            .map_err(|e| err(line.number, e.into()))?;
    }
    Err(err(last_line, BltErrorKind::MissingBallotTerminator))
}

/// The fast path for the common ballot line: only digits, separators and `=`, no nicknames.
/// Returns `None` to hand anything unusual to [`parse_general_ballot`], which reports errors
/// precisely; `Some(Err)` only for errors this path can name exactly.
fn parse_plain_ballot(
    line: &[u8],
    candidate_count: usize,
    ranks: &mut Vec<CandidateIndex>,
    rank_ends: &mut Vec<usize>,
    seen: &mut [bool],
) -> Option<Result<(u64, bool), BltErrorKind>> {
    let mut numbers = [0u64; 1];
    let mut i = 0;
    let read_number = |i: &mut usize| -> Option<u64> {
        let start = *i;
        let mut value: u64 = 0;
        while *i < line.len() && line[*i].is_ascii_digit() {
            value = value
                .checked_mul(10)?
                .checked_add(u64::from(line[*i] - b'0'))?;
            *i += 1;
        }
        (*i > start && *i - start <= 18).then_some(value)
    };
    let is_separator = |b: u8| b == b' ' || b == b'\t' || b == b',' || b == b'\r';
    numbers[0] = read_number(&mut i)?;
    let mut closed = false;
    loop {
        let before = i;
        while i < line.len() && is_separator(line[i]) {
            i += 1;
        }
        if i == line.len() {
            break;
        }
        if closed || i == before {
            return None;
        }
        let mut rank_start = true;
        loop {
            let n = read_number(&mut i)? as usize;
            if n == 0 && rank_start && (i == line.len() || is_separator(line[i])) {
                closed = true;
                break;
            }
            if n == 0 || n > candidate_count {
                return None;
            }
            if std::mem::replace(&mut seen[n - 1], true) {
                return Some(Err(BltErrorKind::RepeatedCandidate { candidate: n }));
            }
            ranks.push(CandidateIndex::new((n - 1) as u16));
            rank_start = false;
            if i < line.len() && line[i] == b'=' {
                i += 1;
                continue;
            }
            break;
        }
        if !closed {
            rank_ends.push(ranks.len());
        }
    }
    for c in ranks.iter() {
        seen[c.get()] = false;
    }
    Some(Ok((numbers[0], closed)))
}

/// Any ballot line: labels, nicknames, `-` breaks; every problem named precisely.
fn parse_general_ballot(
    text: &str,
    number: usize,
    lookup: &CandidateLookup,
    ranks: &mut Vec<CandidateIndex>,
    rank_ends: &mut Vec<usize>,
    seen: &mut [bool],
) -> Result<(u64, bool), BltError> {
    seen.iter_mut().for_each(|s| *s = false);
    let mut toks = tokens(text).peekable();
    if toks.peek().is_some_and(|t| t.starts_with('(')) {
        toks.next();
    }
    let weight = parse_count(toks.next().unwrap_or(""), "the ballot weight", number)?;
    let mut closed = false;
    for token in toks {
        if token == "-" {
            // A skipped preference is a break: nothing after it counts.
            closed = true;
            break;
        }
        if closed {
            return Err(err(
                number,
                BltErrorKind::NotANumber {
                    what: "nothing after the closing 0; found",
                    found: token.to_owned(),
                },
            ));
        }
        if token == "0" {
            closed = true;
            continue;
        }
        for part in token.split('=') {
            let candidate = lookup.resolve(part, number)?;
            if std::mem::replace(&mut seen[candidate.get()], true) {
                return Err(err(
                    number,
                    BltErrorKind::RepeatedCandidate {
                        candidate: candidate.get() + 1,
                    },
                ));
            }
            ranks.push(candidate);
        }
        rank_ends.push(ranks.len());
    }
    for c in ranks.iter() {
        seen[c.get()] = false;
    }
    Ok((weight, closed))
}
