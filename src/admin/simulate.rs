//! `teller simulate`: a whole election in one process, through the code paths the server uses —
//! issuer, booth, ballot box, trustees and tally — ending in a complete election record.
//!
//! Deterministic in its seed: the same `--seed` gives the same record byte for byte, whatever the
//! number of threads (each member's randomness is drawn from the seed before the work is spread).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, anyhow, ensure};
use ed25519_dalek::Signer as _;
use rand::rngs::ChaCha20Rng;
use rand::{Rng as _, RngExt as _, SeedableRng as _};

use super::create::{ElectionDefinition, ElectionKeys, KeyMaking, create_election_with};
use crate::core::ceremony::Ceremony;
use crate::core::crypto::Share;

use super::tally::{reveal_key, tally};
use crate::core::ballot::{AcceptedCast, CastRequest, Marks, accept_cast};
use crate::core::crypto::{PassSecret, seal, sign_blinded};
use crate::core::events::{COMMAND_LINE, PublishedEvent, signed_events};
use crate::core::log::{
    CloseEntry, Entry, ISSUANCE_BATCH, IssuanceEntry, LogWriter, OpenEntry, PassJson,
    RosterCommitment, ballot_message, publication_order,
};
use crate::core::manifest::{Manifest, Revote};
use crate::core::record::{jsonl, layout, member_commitment, roster_commitment, roster_file};
use crate::core::register::{self, Date};
use crate::core::verify::{Progress, Record, par_map};

/// The instant a simulated election is created at (2026-11-01T09:00:00Z): a window relative to
/// now (the example's) is resolved against it, so the same seed gives the same record on any day.
/// A simulation never meets a clock: its ballots are appended in memory.
pub const SIMULATED_NOW: i64 = 1_793_523_600;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimulateOptions {
    /// The election (contests, rules, trustees), e.g. `examples/election.toml`.
    pub definition: ElectionDefinition,
    /// Members on the register.
    pub members: usize,
    /// The seed every random choice comes from.
    pub seed: [u8; 32],
    /// Threads for the members' cryptography.
    pub threads: usize,
    /// Make every member eligible for every contest and vote in each (the verification
    /// benchmark's "N ballots × 4 contests").
    pub everyone_votes_everywhere: bool,
    /// The re-voting policy (overrides the definition's). Under [`Revote::Last`], some members
    /// vote again in one contest after everyone else, and the later ballot names the one it
    /// replaces.
    pub revote: Revote,
    /// How many checkpoints of the ballot log to sign while members vote (spread evenly; the
    /// final one after the close comes on top). [`DEFAULT_CHECKPOINTS`] unless a benchmark
    /// wants a record with as many as a three-week election's server signs.
    pub checkpoints: usize,
    /// The election key from a trustees' ceremony, with the shares the trustees bring to the
    /// tally (in the order given, the first t); `None` deals it (dealer mode).
    pub trustees: Option<CeremonyShares>,
}

/// A trustees' ceremony and shares of the key it made, for a simulation of a ceremony election.
#[derive(Clone, Debug)]
pub struct CeremonyShares {
    /// The ceremony, whole.
    pub ceremony: Ceremony,
    /// Shares the trustees bring to the tally.
    pub shares: Vec<Share>,
}

/// Ballot-log checkpoints signed while members vote, by default.
pub const DEFAULT_CHECKPOINTS: usize = 8;

/// A simulated election.
pub struct Simulated {
    /// The election record.
    pub record: Record,
    /// Its secret keys (for tests that forge or re-sign).
    pub keys: ElectionKeys,
    /// The checked manifest.
    pub manifest: Manifest,
    /// The register the simulation drew, as a membership office would export it.
    pub register: register::Register,
}

const TURNOUT_PERCENT: u32 = 75;

struct Member {
    row: register::Member,
    salt: [u8; 16],
    eligible: Vec<bool>,
}

/// One member's plan, drawn from the seed before the parallel work.
struct Plan {
    member: usize,
    secret: PassSecret,
    lost_secret: Option<PassSecret>,
    /// Per contest the member may vote in: the marks, or `None` to abstain.
    ballots: Vec<(usize, Option<Marks>)>,
    /// Under re-voting policy `last`: a second ranking for the first contest voted in.
    revote: Option<Marks>,
    seal_seed: [u8; 32],
}

/// A ballot the box accepted: contest index, pass, sealed ballot, voting-key signature.
struct Cast {
    contest: usize,
    accepted: AcceptedCast,
}

/// What one member's session produced.
struct Session {
    issuances: Vec<(usize, bool)>,
    ballots: Vec<Cast>,
}

fn chance(rng: &mut ChaCha20Rng, percent_tenths: u32) -> bool {
    rng.random_range(0..1000) < percent_tenths
}

/// A random date in `years`, no later than the day the simulated election closes.
fn random_date(rng: &mut ChaCha20Rng, years: std::ops::RangeInclusive<u16>) -> Date {
    let latest = Date::new(2026, 11, 20).expect("a real date");
    loop {
        let year = rng.random_range(years.clone());
        let month = rng.random_range(1..=12u8);
        let day = rng.random_range(1..=28u8);
        let date = Date::new(year, month, day).expect("days 1 to 28 exist in every month");
        if date <= latest {
            return date;
        }
    }
}
/// The register as a membership office would export it — join date, standing, arrears, date of
/// birth, region, self-declared disability — and each member's eligibility per contest under the
/// manifest's rules, computed by the same code the register import uses.
fn register(options: &SimulateOptions, manifest: &Manifest, rng: &mut ChaCha20Rng) -> Vec<Member> {
    const REGIONS: [&str; 6] = [
        "London",
        "Scotland",
        "North West",
        "Midlands",
        "South East",
        "Yorkshire",
    ];
    // Under --everyone-votes-everywhere, every member lives in the region a contest requires.
    let everyone_region = manifest
        .contests()
        .iter()
        .find_map(|c| c.eligibility().region.clone())
        .unwrap_or_else(|| "Wales".into());
    (0..options.members)
        .map(|i| {
            let mut salt = [0u8; 16];
            rng.fill_bytes(&mut salt);
            let row = if options.everyone_votes_everywhere {
                register::Member {
                    number: format!("M{:07}", i + 1),
                    joined: Date::new(2010, 1, 1).expect("a real date"),
                    good_standing: true,
                    in_arrears: false,
                    born: Date::new(2005, 1, 1).expect("a real date"),
                    region: everyone_region.clone(),
                    disability: true,
                }
            } else {
                register::Member {
                    number: format!("M{:07}", i + 1),
                    joined: random_date(rng, 1990..=2026),
                    good_standing: !chance(rng, 40),
                    in_arrears: chance(rng, 30),
                    born: random_date(rng, 1936..=2010),
                    region: if chance(rng, 80) {
                        "Wales".into()
                    } else {
                        REGIONS[rng.random_range(0..REGIONS.len())].into()
                    },
                    disability: chance(rng, 70),
                }
            };
            let eligible = manifest
                .contests()
                .iter()
                .map(|c| c.eligibility().admits(&row))
                .collect();
            Member {
                row,
                salt,
                eligible,
            }
        })
        .collect()
}

/// A ranking as members give it: popular candidates first more often, any length, now and then
/// an invalid paper (two 1s, no 1, or blank).
fn marks(rng: &mut ChaCha20Rng, popularity: &[u32], everyone: bool) -> Marks {
    let n = popularity.len();
    if !everyone {
        match rng.random_range(0..1000) {
            0..4 => {
                let mut marks = vec![0u16; n];
                marks[0] = 1;
                marks[n - 1] = 1;
                return Marks::from_marks(marks);
            }
            4..7 => {
                let mut marks = vec![0u16; n];
                marks[rng.random_range(0..n)] = 2;
                return Marks::from_marks(marks);
            }
            7..10 => return Marks::from_marks(vec![0; n]),
            _ => {}
        }
    }
    let length = rng.random_range(1..=n);
    let mut left: Vec<usize> = (0..n).collect();
    let mut ranking = Vec::with_capacity(length);
    for _ in 0..length {
        let total: u32 = left.iter().map(|&c| popularity[c]).sum();
        let mut pick = rng.random_range(0..total);
        let at = left
            .iter()
            .position(|&c| {
                if pick < popularity[c] {
                    true
                } else {
                    pick -= popularity[c];
                    false
                }
            })
            .unwrap_or(0);
        ranking.push(left.remove(at));
    }
    Marks::from_ranking(n, &ranking)
}

fn plans(
    options: &SimulateOptions,
    members: &[Member],
    popularity: &[Vec<u32>],
    rng: &mut ChaCha20Rng,
) -> Vec<Plan> {
    let everyone = options.everyone_votes_everywhere;
    let reissues = options.definition.reissue.limit > 0;
    let mut plans = Vec::new();
    for (index, member) in members.iter().enumerate() {
        if !member.eligible.iter().any(|&e| e) {
            continue;
        }
        if !everyone && !chance(rng, TURNOUT_PERCENT * 10) {
            continue;
        }
        let secret = PassSecret::random(rng);
        // A member who lost the first pass's secret, if the manifest allows a re-issue.
        let lost_secret =
            (!everyone && chance(rng, 3) && reissues).then(|| PassSecret::random(rng));
        let ballots: Vec<(usize, Option<Marks>)> = member
            .eligible
            .iter()
            .enumerate()
            .filter(|(_, e)| **e)
            .map(|(contest, _)| {
                let abstain = !everyone && chance(rng, 50);
                (
                    contest,
                    (!abstain).then(|| marks(rng, &popularity[contest], everyone)),
                )
            })
            .collect();
        // Drawn only under `last`, so records under `forbidden` do not change with this option.
        let revote = if options.revote == Revote::Last && chance(rng, 50) {
            ballots
                .iter()
                .find(|(_, marks)| marks.is_some())
                .map(|(contest, _)| marks(rng, &popularity[*contest], everyone))
        } else {
            None
        };
        let mut seal_seed = [0u8; 32];
        rng.fill_bytes(&mut seal_seed);
        plans.push(Plan {
            member: index,
            secret,
            lost_secret,
            ballots,
            revote,
            seal_seed,
        });
    }
    plans
}

/// One member's session: passes from the issuer (blind), ballots sealed and signed by the booth,
/// checked by the ballot box as it would before appending.
fn session(manifest: &Manifest, keys: &ElectionKeys, plan: &Plan) -> Result<Session> {
    let fingerprint = manifest.fingerprint();
    let mut rng = ChaCha20Rng::from_seed(plan.seal_seed);
    let mut session = Session {
        issuances: Vec::new(),
        ballots: Vec::new(),
    };
    for (contest_index, marks) in &plan.ballots {
        let contest = &manifest.contests()[*contest_index];
        let id = contest.id();
        let issuer = keys.issuer(id)?;
        if let Some(lost) = &plan.lost_secret {
            // The first pass was issued, then the member lost the secret and asked again.
            let request = lost.blind(&issuer.pk, &fingerprint, id)?;
            sign_blinded(&issuer.sk, request.blinded_message())?;
            session.issuances.push((*contest_index, false));
        }
        // [booth] blind; [issuer] sign; [booth] unblind and check.
        let request = plan.secret.blind(&issuer.pk, &fingerprint, id)?;
        let blind = sign_blinded(&issuer.sk, request.blinded_message())?;
        let pass = request.finalize(&issuer.pk, &blind)?;
        session
            .issuances
            .push((*contest_index, plan.lost_secret.is_some()));
        let Some(marks) = marks else {
            continue;
        };
        // [booth] seal and sign.
        let voting_key = plan.secret.voting_key(&fingerprint, id);
        let sealed = seal(
            &manifest.election_key(),
            &fingerprint,
            id,
            &pass.key,
            &marks.encode(),
            &mut rng,
        )?;
        let message = ballot_message(&fingerprint, id, &pass.key, &sealed, None);
        let signature = voting_key.sign(&message).to_bytes();
        // [ballot box] the checks it makes before appending (a first ballot under this pass).
        let request = CastRequest {
            contest: id.to_owned(),
            pass: PassJson::from(&pass),
            enc: sealed.enc,
            ct: sealed.ct,
            signature,
            replaces: None,
        };
        let accepted = accept_cast(manifest, request, None)
            .map_err(|e| anyhow!("the ballot box refused a cast: {e}"))?;
        session.ballots.push(Cast {
            contest: *contest_index,
            accepted,
        });
    }
    Ok(session)
}

/// Runs the whole election, in the order a real one happens (keys, register, voting, close,
/// trustees, tally): one function, so that the order can be read.
pub fn simulate(
    options: &SimulateOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Simulated> {
    ensure!(options.members > 0, "--members must be at least 1");
    ensure!(
        options.members <= 10_000_000,
        "--members must be at most 10,000,000"
    );
    let mut rng = ChaCha20Rng::from_seed(options.seed);
    let step =
        |stage: &'static str, done: usize, total: usize| progress(Progress { stage, done, total });

    // Set-up: keys, shares, manifest.
    step("generating keys", 0, 1);
    let mut definition = options.definition.clone();
    definition.revote = options.revote;
    let key_making = match &options.trustees {
        Some(trustees) => KeyMaking::Ceremony(Box::new(trustees.ceremony.clone())),
        None => KeyMaking::Dealer,
    };
    let (manifest, mut keys) =
        create_election_with(&definition, &key_making, &mut rng, SIMULATED_NOW)
            .context("creating the election")?;
    if let Some(trustees) = &options.trustees {
        keys.shares = trustees.shares.clone();
    }
    let fingerprint = manifest.fingerprint();
    step("generating keys", 1, 1);

    // The register, frozen: roster commitments per contest.
    let members = register(options, &manifest, &mut rng);
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert(layout::MANIFEST.into(), manifest.bytes().to_vec());
    let frozen: Vec<FrozenMember> = members
        .iter()
        .map(|m| FrozenMember {
            number: m.row.number.clone(),
            salt: m.salt,
            eligible: m.eligible.clone(),
        })
        .collect();
    let (rosters, commitments) = freeze(&manifest, &frozen, &mut files);

    // Open, vote, close.
    let mut ballots = LogWriter::new(manifest.ballot_log_origin(), fingerprint);
    ballots.append(|seq, prev| Entry::Open(OpenEntry { seq, prev, rosters }))?;
    let popularity: Vec<Vec<u32>> = manifest
        .contests()
        .iter()
        .map(|c| {
            (0..c.candidate_count())
                .map(|_| rng.random_range(1..20))
                .collect()
        })
        .collect();
    let plans = plans(options, &members, &popularity, &mut rng);
    let voters = plans.len();
    let sessions = par_map(
        &plans,
        options.threads,
        |plan| session(&manifest, &keys, plan),
        |done| step("voting", done, voters),
    );
    let planned: usize = plans
        .iter()
        .map(|p| p.ballots.iter().filter(|b| b.1.is_some()).count())
        .sum();
    // Checkpoint `k` of `options.checkpoints` is signed once `k / checkpoints` of the planned
    // ballots are in (`cast` ≥ 1 ballots so far).
    let wanted = options.checkpoints.min(planned) as u128;
    let checkpoint_due = |cast: usize| {
        let step = |n: usize| n as u128 * wanted / planned.max(1) as u128;
        step(cast) > step(cast - 1)
    };
    let mut checkpoints = BTreeMap::new();
    let mut issuance_checkpoints = BTreeMap::new();
    let mut issuance = LogWriter::new(manifest.issuance_log_origin(), fingerprint);
    let mut batch: Vec<(usize, [u8; 32], bool)> = Vec::new();
    let flush = |batch: &mut Vec<(usize, [u8; 32], bool)>,
                 issuance: &mut LogWriter,
                 rng: &mut ChaCha20Rng|
     -> Result<()> {
        publication_order(batch, rng, |&(_, _, reissue)| i64::from(reissue));
        for (contest, member, reissue) in batch.drain(..) {
            issuance.append(|seq, prev| {
                Entry::Issuance(IssuanceEntry {
                    seq,
                    prev,
                    contest: manifest.contests()[contest].id().to_owned(),
                    member: member.into(),
                    reissue,
                })
            })?;
        }
        Ok(())
    };
    // Each member's first ballot, for re-votes: where it is and its pass.
    let mut first_ballot: BTreeMap<usize, (usize, i64, PassJson)> = BTreeMap::new();
    for (p, (plan, session)) in plans.iter().zip(sessions).enumerate() {
        let session = session?;
        for (contest, reissue) in session.issuances {
            batch.push((contest, commitments[contest][plan.member], reissue));
        }
        if batch.len() >= ISSUANCE_BATCH {
            flush(&mut batch, &mut issuance, &mut rng)?;
            // As a server signs one when asked after a batch lands.
            issuance_checkpoints.insert(
                issuance.entries().len() as u64,
                issuance.signed_checkpoint(&keys.issuance_log)?,
            );
        }
        for Cast { contest, accepted } in session.ballots {
            let pass = accepted.pass().clone();
            first_ballot
                .entry(p)
                .or_insert((contest, ballots.next_seq(), pass));
            ballots.append(|seq, prev| Entry::Ballot(accepted.into_entry(seq, prev)))?;
            let size = ballots.entries().len();
            // The log's first entry is `open`.
            if checkpoint_due(size - 1) {
                checkpoints.insert(size as u64, ballots.signed_checkpoint(&keys.ballot_log)?);
            }
        }
    }
    flush(&mut batch, &mut issuance, &mut rng)?;
    for (p, plan) in plans.iter().enumerate() {
        let (Some(marks), Some((contest, replaces, pass))) = (&plan.revote, first_ballot.get(&p))
        else {
            continue;
        };
        let accepted = revote(&manifest, plan, marks, *contest, *replaces, pass)?;
        ballots.append(|seq, prev| Entry::Ballot(accepted.into_entry(seq, prev)))?;
    }
    ballots.append(|seq, prev| Entry::Close(CloseEntry { seq, prev }))?;
    let final_root = *ballots.checkpoint()?.root();
    checkpoints.insert(
        ballots.entries().len() as u64,
        ballots.signed_checkpoint(&keys.ballot_log)?,
    );
    for (size, note) in checkpoints {
        files.insert(layout::ballot_checkpoint(size), note.into_bytes());
    }
    files.insert(layout::BALLOT_LOG.into(), jsonl(ballots.entries()));
    files.insert(layout::ISSUANCE_LOG.into(), jsonl(issuance.entries()));
    issuance_checkpoints.insert(
        issuance.entries().len() as u64,
        issuance.signed_checkpoint(&keys.issuance_log)?,
    );
    for (size, note) in issuance_checkpoints {
        files.insert(layout::issuance_checkpoint(size), note.into_bytes());
    }
    // The returning officer's events, as a server writes them from the command line.
    let window = &manifest.draft().window;
    let events = [
        ("created", window.opens.as_str(), "simulated election"),
        ("opened", window.opens.as_str(), ""),
        ("closed", window.closes.as_str(), ""),
    ]
    .into_iter()
    .enumerate()
    .map(|(seq, (kind, at, detail))| PublishedEvent {
        seq: seq as i64,
        at: at.to_owned(),
        kind: kind.to_owned(),
        detail: detail.to_owned(),
        by: COMMAND_LINE.to_owned(),
    })
    .collect::<Vec<_>>();
    let (events, note) =
        signed_events(&events, &manifest.issuance_log_origin(), &keys.issuance_log)?;
    files.insert(layout::EVENTS.into(), events);
    files.insert(layout::EVENTS_NOTE.into(), note.into_bytes());

    // Trustees: the first t bring their shares; the key is rebuilt and revealed.
    let key = reveal_key(&manifest, &keys.shares[..manifest.threshold()], &mut files)?;
    tally(
        &manifest,
        ballots.entries(),
        &key,
        &final_root,
        options.threads,
        &step,
        &mut files,
    )?;
    let register = register::Register::from_members(members.into_iter().map(|m| m.row))
        .map_err(|number| anyhow!("membership number {number} drawn twice"))?;
    Ok(Simulated {
        record: Record { files },
        keys,
        manifest,
        register,
    })
}

/// A member votes again under the same pass: the booth seals and signs `marks` naming the ballot
/// it replaces, and the ballot box makes the same checks, now with this pass's previous ballot.
fn revote(
    manifest: &Manifest,
    plan: &Plan,
    marks: &Marks,
    contest: usize,
    replaces: i64,
    pass: &PassJson,
) -> Result<AcceptedCast> {
    let fingerprint = manifest.fingerprint();
    // [booth] the member votes again under the same pass, naming the ballot it replaces.
    let id = manifest.contests()[contest].id();
    let mut seed = plan.seal_seed;
    seed[0] ^= 0xff;
    let sealed = seal(
        &manifest.election_key(),
        &fingerprint,
        id,
        &pass.key.array(),
        &marks.encode(),
        &mut ChaCha20Rng::from_seed(seed),
    )?;
    let message = ballot_message(&fingerprint, id, &pass.key.array(), &sealed, Some(replaces));
    let signature = plan.secret.voting_key(&fingerprint, id).sign(&message);
    // [ballot box] the same checks, now with this pass's previous ballot.
    let request = CastRequest {
        contest: id.to_owned(),
        pass: pass.clone(),
        enc: sealed.enc,
        ct: sealed.ct,
        signature: signature.to_bytes(),
        replaces: Some(replaces),
    };
    accept_cast(manifest, request, Some(replaces))
        .map_err(|e| anyhow!("the ballot box refused a re-vote: {e}"))
}

/// A member as the frozen register needs them: number, commitment salt, eligibility per contest
/// (in manifest order).
pub(crate) struct FrozenMember {
    pub number: String,
    pub salt: [u8; 16],
    pub eligible: Vec<bool>,
}

/// Freezes the register: each contest's roster of salted commitments (written to the record) and
/// its commitment for the open entry; also every member's commitment per contest, for the
/// issuance log.
pub(crate) fn freeze(
    manifest: &Manifest,
    members: &[FrozenMember],
    files: &mut BTreeMap<String, Vec<u8>>,
) -> (BTreeMap<String, RosterCommitment>, Vec<Vec<[u8; 32]>>) {
    let mut rosters = BTreeMap::new();
    let mut commitments: Vec<Vec<[u8; 32]>> = Vec::new();
    for (c, contest) in manifest.contests().iter().enumerate() {
        let per_member: Vec<[u8; 32]> = members
            .iter()
            .map(|m| member_commitment(contest.id(), &m.salt, &m.number))
            .collect();
        let eligible: BTreeSet<[u8; 32]> = members
            .iter()
            .zip(&per_member)
            .filter(|(m, _)| m.eligible[c])
            .map(|(_, commitment)| *commitment)
            .collect();
        rosters.insert(contest.id().to_owned(), roster_commitment(&eligible));
        files.insert(layout::roster(contest.id()), roster_file(&eligible));
        commitments.push(per_member);
    }
    (rosters, commitments)
}
