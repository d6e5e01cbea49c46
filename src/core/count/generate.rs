//! Synthetic elections for tests and benchmarks (`teller gen`): a seeded model of a slate
//! election, written as a BLT file one ballot per line, plus the candidates' attributes as CSV.
//!
//! The model (tests/data/stv/synthetic/README.md):
//! - 4 slates A–D with voter shares 0.38 / 0.30 / 0.20 / 0.12; candidate `i` (from 0) stands on
//!   slate `i mod 4`; each candidate's gender is `W` or `M` with probability ½ (seeded);
//! - each candidate has a "name recognition" `r ~ lognormal(0, 0.6)`;
//! - 80 % of voters are slate-loyal: they rank their own slate's candidates first, in a
//!   Plackett–Luce order on `r`, then the other candidates, Plackett–Luce on `r × 0.5` for the
//!   next slate (own slate + 1, mod 4) and `r × 0.2` for the other two;
//! - 20 % rank everyone together, Plackett–Luce on `r × 3` for their own slate and `r` otherwise;
//! - ballot length: 18 % 1 preference, 12 % 2, 15 % 3, 17 % 4–6, 23 % 7–9, 15 % all candidates
//!   (uniform inside each range; never more than the number of candidates).
//!
//! Reproducibility is the point: the same [`GeneratorOptions`] give the same bytes on every
//! machine, for ever. Hence:
//! - the random source is written here, not taken from a crate whose stream could change with an
//!   upgrade: xoshiro256** seeded through SplitMix64, both from Blackman and Vigna's reference C
//!   code (<https://prng.di.unimi.it/xoshiro256starstar.c>, <https://prng.di.unimi.it/splitmix64.c>),
//!   checked against the reference outputs in tests/gen.rs;
//! - there is no floating point at all. The normal deviate behind the lognormal is the
//!   Irwin–Hall sum of 12 uniforms minus 6 (a standard approximation, bounded to ±6σ), `exp` is
//!   computed in 32.32 fixed point, and Plackett–Luce draws use integer weights. Platform `libm`
//!   functions (`exp`, `ln`), whose last bits differ between systems, are never used.
//!
//! This module does no I/O: it writes into any [`std::fmt::Write`], and `main.rs` owns the file.

// Parsers of outside input never panic (STYLE.md §4).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::fmt;

use crate::core::csv_file::CsvText;

/// The largest number of candidates the generator accepts.
pub const MAX_GENERATED_CANDIDATES: usize = 1000;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GeneratorOptions {
    /// Number of ballots.
    pub ballots: u64,
    /// Number of candidates.
    pub candidates: usize,
    /// Seats.
    pub seats: usize,
    /// Seed: the same options give the same file.
    pub seed: u64,
}

/// Why the generator refused its options, or could not write.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GeneratorError {
    /// No ballots asked for.
    #[error("--ballots must be at least 1")]
    NoBallots,
    /// More ballots than any count accepts.
    #[error("--ballots {found} is more than the counter accepts ({max})")]
    TooManyBallots {
        /// Ballots asked for.
        found: u64,
        /// The limit ([`super::MAX_TOTAL_WEIGHT`]).
        max: u64,
    },
    /// No candidates.
    #[error("--candidates must be at least 1")]
    NoCandidates,
    /// Too many candidates.
    #[error(
        "--candidates {found} is more than the generator supports ({MAX_GENERATED_CANDIDATES})"
    )]
    TooManyCandidates {
        /// Candidates asked for.
        found: usize,
    },
    /// No seats.
    #[error("--seats must be at least 1")]
    NoSeats,
    /// More seats than candidates.
    #[error("--seats {seats} is more than --candidates {candidates}")]
    MoreSeatsThanCandidates {
        /// Seats asked for.
        seats: usize,
        /// Candidates asked for.
        candidates: usize,
    },
    /// The destination refused the text.
    #[error("could not write the generated election")]
    Write(#[from] fmt::Error),
}

/// SplitMix64 (Steele, Lea and Flood 2014), transcribed from Vigna's reference `splitmix64.c`.
/// Used only to expand a 64-bit seed into xoshiro256**'s state, as that reference recommends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose state is `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next output.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// xoshiro256** 1.0 (Blackman and Vigna 2018), transcribed from the reference
/// `xoshiro256starstar.c`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Xoshiro256StarStar {
    s: [u64; 4],
}

impl Xoshiro256StarStar {
    /// A generator with exactly this state (for known-answer tests). The state must not be all
    /// zero, or every output is zero.
    pub const fn from_state(s: [u64; 4]) -> Self {
        Self { s }
    }

    /// A generator seeded from a 64-bit seed through four SplitMix64 outputs (never all zero:
    /// SplitMix64 is a bijection of its counter, so four consecutive outputs cannot all be 0).
    pub fn from_seed(seed: u64) -> Self {
        let mut sm = SplitMix64::new(seed);
        Self {
            s: [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()],
        }
    }

    /// The next output.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A number in `0..bound` (`bound > 0`), by Lemire's multiply-shift. Without the rejection
    /// step the bias is below `bound / 2^64`, far under anything a test could see, and every
    /// call consumes exactly one output, which keeps the stream easy to reason about.
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}

/// Fixed point with 32 fractional bits, for the name-recognition draw only.
const ONE: i64 = 1 << 32;
/// ln 2 in 32.32 fixed point: round(0.693147180559945309 × 2^32).
const LN_2: i64 = 2_977_044_472;

/// e^x for x in 32.32 fixed point, |x| ≤ 8: x = k·ln 2 + r with 0 ≤ r < ln 2, e^r by its Taylor
/// series (terms below 2^-32 vanish by the 20th), then shifted by k. Integer-only, so identical on
/// every machine. Accuracy is about 1e-9 relative, far beyond what the model needs.
fn exp_fixed(x: i64) -> i64 {
    let k = x.div_euclid(LN_2);
    let r = i128::from(x.rem_euclid(LN_2));
    let one = i128::from(ONE);
    let mut term = one;
    let mut sum = one;
    for n in 1..=20 {
        term = term * r / (one * n);
        sum += term;
    }
    let sum = sum as i64;
    if k >= 0 { sum << k } else { sum >> (-k) }
}

/// A standard normal deviate, approximately: the Irwin–Hall sum of 12 uniforms on [0, 1), minus 6
/// (mean 0, variance 1, range ±6), in 32.32 fixed point.
fn normal_fixed(rng: &mut Xoshiro256StarStar) -> i64 {
    let sum: i64 = (0..12).map(|_| (rng.next_u64() >> 32) as i64).sum();
    sum - 6 * ONE
}

const SLATES: [&str; 4] = ["SlateA", "SlateB", "SlateC", "SlateD"];
/// Voter shares per slate, in percent (0.38 / 0.30 / 0.20 / 0.12).
const VOTER_SHARE_PERCENT: [u64; 4] = [38, 30, 20, 12];
/// Slate factors in tenths, so weights stay integers. A loyal voter's own slate is a pool of its
/// own, ranked before the rest, so it needs no factor; after it, the next slate weighs 0.5 (×5)
/// and the other two 0.2 (×2). A mixed voter's own slate weighs 3 (×30) against 1 (×10).
const LOYAL_NEXT: u64 = 5;
const LOYAL_OTHER: u64 = 2;
const MIXED_OWN: u64 = 30;
const MIXED_OTHER: u64 = 10;

/// One generated candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
struct GeneratedCandidate {
    name: String,
    gender: &'static str,
    slate: usize,
    /// Name recognition in 12.20 fixed point (≥ 1).
    recognition: u64,
}

/// Candidates and weights for one kind of voter: `first` is ranked before `rest` is touched.
#[derive(Clone, Debug, Default)]
struct VoterKind {
    first: Vec<(u16, u64)>,
    rest: Vec<(u16, u64)>,
}

/// A validated synthetic election: options checked and candidates drawn. Write it with
/// [`SyntheticElection::write_blt`] and [`SyntheticElection::attributes_csv`].
#[derive(Clone, Debug)]
pub struct SyntheticElection {
    options: GeneratorOptions,
    candidates: Vec<GeneratedCandidate>,
    /// The stream after the candidates were drawn; ballots continue from here.
    rng: Xoshiro256StarStar,
}

impl SyntheticElection {
    /// Checks the options and draws the candidates (gender, recognition).
    pub fn new(options: &GeneratorOptions) -> Result<Self, GeneratorError> {
        let max_ballots = super::MAX_TOTAL_WEIGHT;
        match options {
            GeneratorOptions { ballots: 0, .. } => return Err(GeneratorError::NoBallots),
            GeneratorOptions { ballots, .. } if *ballots > max_ballots => {
                return Err(GeneratorError::TooManyBallots {
                    found: *ballots,
                    max: max_ballots,
                });
            }
            GeneratorOptions { candidates: 0, .. } => return Err(GeneratorError::NoCandidates),
            GeneratorOptions { candidates, .. } if *candidates > MAX_GENERATED_CANDIDATES => {
                return Err(GeneratorError::TooManyCandidates { found: *candidates });
            }
            GeneratorOptions { seats: 0, .. } => return Err(GeneratorError::NoSeats),
            GeneratorOptions {
                seats, candidates, ..
            } if seats > candidates => {
                return Err(GeneratorError::MoreSeatsThanCandidates {
                    seats: *seats,
                    candidates: *candidates,
                });
            }
            _ => {}
        }
        let mut rng = Xoshiro256StarStar::from_seed(options.seed);
        let width = options.candidates.to_string().len().max(2);
        let candidates = (0..options.candidates)
            .map(|i| {
                let gender = if rng.next_u64() >> 63 == 0 { "W" } else { "M" };
                let slate = i % SLATES.len();
                // lognormal(0, 0.6): e^(0.6 z); 0.6 z = 3z/5 exactly representable as a ratio.
                let x = normal_fixed(&mut rng) * 3 / 5;
                let recognition = ((exp_fixed(x) >> 12) as u64).max(1);
                GeneratedCandidate {
                    name: format!("Cand{:0width$} {gender} ({})", i + 1, SLATES[slate]),
                    gender,
                    slate,
                    recognition,
                }
            })
            .collect();
        Ok(Self {
            options: options.clone(),
            candidates,
            rng,
        })
    }

    /// The two ways a voter of `slate` can rank: slate-loyal and mixed.
    fn voter_kinds(&self, slate: usize) -> (VoterKind, VoterKind) {
        let mut loyal = VoterKind::default();
        let mut mixed = VoterKind::default();
        for (i, c) in self.candidates.iter().enumerate() {
            let i = i as u16; // ≤ MAX_GENERATED_CANDIDATES, checked in `new`
            let r = c.recognition;
            if c.slate == slate {
                loyal.first.push((i, r));
                mixed.rest.push((i, r * MIXED_OWN));
            } else {
                let factor = if c.slate == (slate + 1) % SLATES.len() {
                    LOYAL_NEXT
                } else {
                    LOYAL_OTHER
                };
                loyal.rest.push((i, r * factor));
                mixed.rest.push((i, r * MIXED_OTHER));
            }
        }
        (loyal, mixed)
    }

    /// Writes the election as BLT: header, one `1 a b c 0` line per ballot, `0`, quoted names and
    /// the title. The text is ASCII.
    pub fn write_blt(&self, out: &mut impl fmt::Write) -> Result<(), GeneratorError> {
        let options = &self.options;
        let n = self.candidates.len();
        let mut rng = self.rng.clone();
        let kinds: Vec<(VoterKind, VoterKind)> =
            (0..SLATES.len()).map(|s| self.voter_kinds(s)).collect();
        // " 17" for each candidate, so the hot loop only copies bytes.
        let labels: Vec<String> = (1..=n).map(|i| format!(" {i}")).collect();

        writeln!(out, "{} {}", n, options.seats)?;
        let mut buffer = String::with_capacity(1 << 16);
        let mut pool: Vec<(u16, u64)> = Vec::with_capacity(n);
        for _ in 0..options.ballots {
            let slate = pick_slate(rng.below(100));
            let (loyal, mixed) = &kinds[slate];
            let kind = if rng.below(10) < 8 { loyal } else { mixed };
            let length = ballot_length(&mut rng, n);
            buffer.push('1');
            let mut remaining = length;
            for part in [&kind.first, &kind.rest] {
                if remaining == 0 {
                    break;
                }
                pool.clear();
                pool.extend_from_slice(part);
                let mut total: u64 = pool.iter().map(|&(_, w)| w).sum();
                while remaining > 0 && !pool.is_empty() {
                    let at = plackett_luce_pick(&pool, rng.below(total));
                    let (candidate, weight) = pool.swap_remove(at);
                    total -= weight;
                    buffer.push_str(&labels[usize::from(candidate)]);
                    remaining -= 1;
                }
            }
            buffer.push_str(" 0\n");
            if buffer.len() > (1 << 16) - 8192 {
                out.write_str(&buffer)?;
                buffer.clear();
            }
        }
        out.write_str(&buffer)?;
        out.write_str("0\n")?;
        for c in &self.candidates {
            // Generated names hold no quote, so no escaping is needed.
            writeln!(out, "\"{}\"", c.name)?;
        }
        writeln!(
            out,
            "\"Synthetic {} ballots {} cands {} seats seed {}\"",
            options.ballots, n, options.seats, options.seed
        )?;
        Ok(())
    }

    /// The candidates' attributes as CSV with header `name,gender,slate`, the format
    /// `teller count --attributes` reads. Written verbatim, not under the formula rule: Teller
    /// reads it back, and the generated names, genders and slates start with a letter.
    pub fn attributes_csv(&self) -> String {
        let mut out = CsvText::new(csv::QuoteStyle::Necessary, csv::Terminator::Any(b'\n'));
        out.record(["name", "gender", "slate"]);
        for c in &self.candidates {
            out.record([c.name.as_str(), c.gender, SLATES[c.slate]]);
        }
        out.finish()
    }
}

/// The voter's slate from a number in `0..100`, by the cumulative shares 38, 68, 88, 100.
fn pick_slate(percent: u64) -> usize {
    let mut cumulative = 0;
    for (slate, share) in VOTER_SHARE_PERCENT.iter().enumerate() {
        cumulative += share;
        if percent < cumulative {
            return slate;
        }
    }
    SLATES.len() - 1
}

/// How many preferences the ballot gives: 18 % 1, 12 % 2, 15 % 3, 17 % 4–6, 23 % 7–9, 15 % all;
/// at most `candidates`.
fn ballot_length(rng: &mut Xoshiro256StarStar, candidates: usize) -> usize {
    let length = match rng.below(100) {
        0..18 => 1,
        18..30 => 2,
        30..45 => 3,
        45..62 => 4 + rng.below(3) as usize,
        62..85 => 7 + rng.below(3) as usize,
        _ => candidates,
    };
    length.min(candidates)
}

/// The index in `pool` whose cumulative weight interval holds `target` (`target < Σ weights`):
/// one Plackett–Luce step, choosing each candidate with probability weight / total.
fn plackett_luce_pick(pool: &[(u16, u64)], target: u64) -> usize {
    let mut cumulative = 0;
    for (at, &(_, weight)) in pool.iter().enumerate() {
        cumulative += weight;
        if target < cumulative {
            return at;
        }
    }
    pool.len() - 1
}

/// Generates the election as BLT text (see [`SyntheticElection`]).
pub fn generate(options: &GeneratorOptions) -> Result<String, GeneratorError> {
    let election = SyntheticElection::new(options)?;
    let mut out = String::new();
    election.write_blt(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_fixed_matches_known_values() {
        // e^1 and e^-1 from `std`, e^±3.6 from tables (to 9 significant digits).
        let cases: [(i64, f64); 5] = [
            (0, 1.0),
            (ONE, std::f64::consts::E),
            (-ONE, 1.0 / std::f64::consts::E),
            (ONE * 36 / 10, 36.598_234_4),
            (-ONE * 36 / 10, 0.027_323_722_4),
        ];
        for (x, expected) in cases {
            let got = exp_fixed(x) as f64 / ONE as f64;
            assert!(
                (got - expected).abs() / expected < 1e-8,
                "e^{x}: got {got}, want {expected}"
            );
        }
    }

    #[test]
    fn pick_slate_follows_the_cumulative_shares() {
        let counts = (0..100).fold([0; 4], |mut acc, p| {
            acc[pick_slate(p)] += 1;
            acc
        });
        assert_eq!(counts, [38, 30, 20, 12]);
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Xoshiro256StarStar::from_seed(1);
        assert!((0..10_000).all(|_| rng.below(7) < 7));
    }
}
