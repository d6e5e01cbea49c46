//! Writing a strict BLT file.

use std::fmt::Write as _;

use super::super::election::Election;

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Writes an election as a strict BLT file: header, withdrawn line, `[nick]` and `[tie]` lines when
/// the election has them, one ballot line per merged ballot (equal ranks as `a=b`), `0`, quoted
/// names and title. [`parse_blt`](super::parse_blt) reads it back to the same election.
pub fn write_blt(election: &Election) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", election.candidates().len(), election.seats());
    let withdrawn: Vec<String> = election
        .candidates()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.withdrawn)
        .map(|(i, _)| format!("-{}", i + 1))
        .collect();
    if !withdrawn.is_empty() {
        let _ = writeln!(out, "{}", withdrawn.join(" "));
    }
    // Nicknames are part of the election (`Candidate::nick`), so they are written back; the parser
    // only accepts a `[nick]` line naming every candidate, so either all have one or none does.
    let nicks: Option<Vec<&str>> = election
        .candidates()
        .iter()
        .map(|c| c.nick.as_deref())
        .collect();
    if let Some(nicks) = nicks {
        let _ = writeln!(out, "[nick {}]", nicks.join(" "));
    }
    if let Some(order) = election.tie_order() {
        let order: Vec<String> = order.iter().map(|c| (c.get() + 1).to_string()).collect();
        let _ = writeln!(out, "[tie {}]", order.join(" "));
    }
    for ballot in election.ballots() {
        let _ = write!(out, "{}", ballot.weight());
        for p in ballot.preferences() {
            let sep = if p.equal_to_previous() { '=' } else { ' ' };
            let _ = write!(out, "{sep}{}", p.candidate().get() + 1);
        }
        out.push_str(" 0\n");
    }
    out.push_str("0\n");
    for candidate in election.candidates() {
        let _ = writeln!(out, "{}", quote(&candidate.name));
    }
    let _ = writeln!(out, "{}", quote(election.title()));
    out
}
