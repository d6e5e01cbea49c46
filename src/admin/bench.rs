//! `teller bench verify RECORD`: the verification benchmark of docs/BENCHMARKS.md. It measures,
//! on this machine, the per-ballot cost of each primitive the verifier must run (RSA blind-
//! signature verify, Ed25519 verify, HPKE open, entry decoding and hashing) on a sample of the
//! record's own ballots, one thread; the floor is the sum times the number of ballots. Then it
//! times the whole `teller verify` on all cores and reports wall ÷ (floor ÷ cores).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ed25519_dalek::{Signature, VerifyingKey};

use crate::core::crypto::{ElectionSecretKey, decode, open};
use crate::core::log::{Entry, ballot_message, entry_hash, leaf_hash};
use crate::core::manifest::Manifest;
use crate::core::record::{Reveal, layout};
use crate::core::verify::{Record, VerifyOptions, verify};

/// What the benchmark measured.
#[derive(Clone, Debug)]
pub struct VerifyBench {
    /// Ballot entries in the record.
    pub ballots: usize,
    /// Ballots in the timing sample.
    pub sample: usize,
    /// Mean cost per ballot of each primitive, one thread.
    pub per_ballot: Vec<(&'static str, Duration)>,
    /// Sum of the per-ballot costs times the ballots.
    pub floor: Duration,
    /// Threads used for the full verification.
    pub threads: usize,
    /// Wall time of the full verification.
    pub wall: Duration,
    /// Whether it passed.
    pub passed: bool,
}

impl VerifyBench {
    /// wall ÷ (floor ÷ threads): 1.0 means both cores busy with nothing but the primitives.
    pub fn ratio(&self) -> f64 {
        self.wall.as_secs_f64() / (self.floor.as_secs_f64() / self.threads as f64)
    }
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Runs the benchmark on `record` with `threads` threads and a sample of `sample` ballots: each
/// primitive the verifier runs per ballot, timed in the order the verifier runs them.
pub fn bench_verify(record: &Record, threads: usize, sample: usize) -> Result<VerifyBench> {
    let manifest = Manifest::parse(
        record
            .files
            .get(layout::MANIFEST)
            .context("the record has no manifest")?,
    )?;
    let fingerprint = manifest.fingerprint();
    let reveal: Reveal = decode(
        record
            .files
            .get(layout::REVEAL)
            .context("the record has no key reveal")?,
    )?;
    let key = ElectionSecretKey::from_bytes(reveal.key.array());
    let lines: Vec<&[u8]> = record
        .files
        .get(layout::BALLOT_LOG)
        .context("the record has no ballot log")?
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let ballot_lines: Vec<&[u8]> = lines
        .iter()
        .copied()
        .filter(|l| l.windows(15).any(|w| w == b"\"type\":\"ballot\""))
        .collect();
    let ballots = ballot_lines.len();
    if ballots == 0 {
        bail!("the record has no ballots to measure");
    }
    let step = (ballots / sample.max(1)).max(1);
    let picked: Vec<&[u8]> = ballot_lines.iter().copied().step_by(step).collect();
    let entries: Vec<_> = picked
        .iter()
        .filter_map(|l| match Entry::decode(l) {
            Ok(Entry::Ballot(b)) => Some(b),
            _ => None,
        })
        .collect();
    let n = entries.len() as u32;

    let (_, hashing) = time(|| {
        for line in &picked {
            let _ = std::hint::black_box(Entry::decode(line).is_ok());
            std::hint::black_box(leaf_hash(line));
            std::hint::black_box(entry_hash(line));
        }
    });
    let (_, rsa) = time(|| {
        for b in &entries {
            let key = manifest.contest(&b.contest).map(|c| c.issuer_key());
            std::hint::black_box(
                key.is_some_and(|k| b.pass.pass().verify(k, &fingerprint, &b.contest).is_ok()),
            );
        }
    });
    let (_, ed25519) = time(|| {
        for b in &entries {
            let message = ballot_message(
                &fingerprint,
                &b.contest,
                &b.pass.key.array(),
                &b.sealed(),
                b.replaces,
            );
            let ok = VerifyingKey::from_bytes(&b.pass.key.array()).is_ok_and(|k| {
                k.verify_strict(&message, &Signature::from_bytes(&b.signature.array()))
                    .is_ok()
            });
            std::hint::black_box(ok);
        }
    });
    let (_, hpke) = time(|| {
        for b in &entries {
            std::hint::black_box(
                open(
                    &key,
                    &fingerprint,
                    &b.contest,
                    &b.pass.key.array(),
                    &b.sealed(),
                )
                .is_ok(),
            );
        }
    });
    let per_ballot = vec![
        ("RSA verify (RFC 9474)", rsa / n),
        ("Ed25519 verify_strict", ed25519 / n),
        ("HPKE open", hpke / n),
        ("decode + hashing", hashing / n),
    ];
    let floor = per_ballot.iter().map(|(_, d)| *d).sum::<Duration>() * ballots as u32;
    let (result, wall) = time(|| {
        verify(
            record,
            &VerifyOptions {
                threads,
                fingerprint: None,
                progress: &|_| {},
            },
        )
    });
    Ok(VerifyBench {
        ballots,
        sample: entries.len(),
        per_ballot,
        floor,
        threads,
        wall,
        passed: result.passed(),
    })
}

/// `teller bench argon2`: `checks` invitation-code checks on `threads` threads, each reusing its
/// own memory as the server's hashing threads do; the wall time.
pub fn bench_argon2(checks: usize, threads: usize) -> Result<Duration> {
    use crate::core::crypto::{InvitationCode, InvitationHash};
    let threads = threads.max(1);
    let mut rng = <rand::rngs::ChaCha20Rng as rand::SeedableRng>::from_seed([7; 32]);
    let code = InvitationCode::generate(&mut rng);
    let hash = InvitationHash::new(&code, &mut rng)?;
    let start = Instant::now();
    let all_ok = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (hash, code) = (&hash, &code);
                scope.spawn(move || {
                    let mut memory = Vec::new();
                    (t..checks)
                        .step_by(threads)
                        .all(|_| hash.verify_in(code, &mut memory).unwrap_or(false))
                })
            })
            .collect();
        workers.into_iter().all(|w| w.join().unwrap_or(false))
    });
    let wall = start.elapsed();
    if !all_ok {
        bail!("a code check failed");
    }
    Ok(wall)
}
