//! Loading reference data for the tests in this folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use teller::core::count::{CountOptions, Election, Method, Report, count, parse_blt};

pub fn data(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/stv")
        .join(relative)
}

pub fn load(path: &Path) -> Election {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    parse_blt(&bytes)
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
        .election
}

/// Inserts a `[tie …]` line after the header. Droop breaks a tie by choosing the first candidate
/// in its tie order (file order unless a `[tie]` line is given); so does Teller's `[tie]` line
/// (tie.rs), so a line in file order makes Teller's lot agree with droop's default.
pub fn with_file_order_tie_line(bytes: &[u8], candidates: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let (header, rest) = text.split_once('\n').expect("a header line");
    let order: Vec<String> = (1..=candidates).map(|c| c.to_string()).collect();
    format!("{header}\n[tie {}]\n{rest}", order.join(" ")).into_bytes()
}

pub fn run(election: &Election, method: Method) -> Report {
    let options = CountOptions {
        method,
        seed: None,
        constraint: None,
    };
    count(election, &options).unwrap_or_else(|e| panic!("counting {}: {e}", election.title()))
}

pub fn name_set<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    names.into_iter().map(str::to_owned).collect()
}

/// Splits one CSV line with RFC 4180 quoting (the `csv` crate, as the product reads CSV).
pub fn csv_fields(line: &str) -> Vec<String> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes())
        .records()
        .next()
        .map(|record| {
            record
                .expect("a CSV line")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_else(|| vec![String::new()])
}

/// Rows of `expected.csv` in scot-elex, keyed by column name.
pub struct ExpectedRow {
    pub file: String,
    pub seats: usize,
    pub scottish_elected: Vec<String>,
    pub scottish_stages: usize,
}

pub fn scot_elex_expected() -> Vec<ExpectedRow> {
    let text = std::fs::read_to_string(data("scot-elex/expected.csv"))
        .expect("expected.csv is in the repository");
    let mut lines = text.lines();
    let header = csv_fields(lines.next().expect("header row"));
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (file, seats, scottish, stages) = (
        col("file"),
        col("seats"),
        col("scottish_elected"),
        col("scottish_stages_openstv"),
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f = csv_fields(line);
            let split = |s: &str| s.split('|').map(str::to_owned).collect::<Vec<_>>();
            ExpectedRow {
                file: f[file].clone(),
                seats: f[seats].parse().expect("seats is a number"),
                scottish_elected: split(&f[scottish]),
                scottish_stages: f[stages].parse().expect("stages is a number"),
            }
        })
        .collect()
}
