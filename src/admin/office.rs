//! The returning officer's commands against the server's database: create, register import,
//! invitations, open, close, turnout, tally with the trustees' shares, record export. Each either
//! completes or leaves the database as it was.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail, ensure};

use super::create::{
    ElectionDefinition, KeyMaking, create_election_with, rebuild_manifest, unix_now,
    write_issuer_key, write_keys,
};
use super::record_dir::read_record;
use super::simulate::{FrozenMember, freeze};
use crate::core::crypto::{InvitationCode, InvitationHash, os_rng};
use crate::core::csv_file::{CsvText, defuse};
use crate::core::events::{Pseudonyms, PublishedEvent, signed_events};
use crate::core::log::RosterCommitment;
use crate::core::manifest::{Manifest, ReissueBy, format_instant};
use crate::core::record::{layout, parse_roster_file, roster_commitment};
use crate::core::register::{COLUMNS, INVITATION_COLUMNS, Register, RegisterDiff};
use crate::core::verify::{Progress, Record, par_map};
use crate::store::{
    BALLOTS, ElectionState, ISSUANCE, MemberRow, Roles, Store, issuer_key_file, load_keys,
};

/// `teller election create`: checks the definition, generates the keys (secret ones to
/// `key_dir`, shares one file per trustee), stores the election for `roles` (both, or the issuer
/// alone when a separate operator runs the ballot box); returns the manifest.
pub fn create(
    store: &Store,
    definition_text: &str,
    key: &KeyMaking,
    key_dir: &Path,
    roles: Roles,
) -> Result<Manifest> {
    let definition = ElectionDefinition::parse(definition_text)?;
    if store.election(&definition.election).is_ok() {
        bail!(
            "there is already an election {:?} in this database",
            definition.election
        );
    }
    let mut rng = os_rng()?;
    let (manifest, keys) = create_election_with(&definition, key, &mut rng, unix_now())?;
    write_keys(key_dir, &keys)?;
    let absolute =
        fs::canonicalize(key_dir).with_context(|| format!("finding {}", key_dir.display()))?;
    if let Err(e) = store.create_election(&manifest, &absolute.to_string_lossy(), roles) {
        // Nothing half-done: keys of an election that was not stored are of no use.
        let _ = fs::remove_dir_all(key_dir);
        return Err(e.into());
    }
    Ok(manifest)
}

/// What a register import did.
#[derive(Debug)]
pub struct ImportReport {
    /// Members imported.
    pub members: usize,
    /// Eligible members per contest, in manifest order.
    pub eligible: Vec<(String, usize)>,
    /// Against the register imported before, if there was one.
    pub diff: Option<RegisterDiff>,
}

/// A register checked against an election, not yet stored: what importing it would do.
#[derive(Debug)]
pub struct RegisterPlan {
    /// What the import would report.
    pub report: ImportReport,
    rows: Vec<MemberRow>,
}

/// Why a register cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum RegisterRefused {
    /// Rows of the file are wrong: each said with its line; nothing is imported.
    #[error("{}", bad_rows_message(.0))]
    BadRows(Vec<String>),
    /// Anything else (the election's state, the database).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

fn bad_rows_message(rows: &[String]) -> String {
    let mut message = format!(
        "the register has {} bad row(s); nothing was imported:",
        rows.len()
    );
    for row in rows.iter().take(20) {
        message.push_str(&format!("\n  {row}"));
    }
    if rows.len() > 20 {
        message.push_str(&format!("\n  … and {} more", rows.len() - 20));
    }
    message
}

/// `teller register import`: the membership office's CSV; eligibility per contest under the
/// manifest's rules; all or nothing, bad rows reported by line.
pub fn import_register(store: &Store, election: &str, csv: &str) -> Result<ImportReport> {
    let plan = plan_register(store, election, csv).map_err(|e| anyhow!("{e}"))?;
    apply_register(store, election, plan)
}

/// Stores a planned register (the election must still be unopened: the store checks again).
pub fn apply_register(store: &Store, election: &str, plan: RegisterPlan) -> Result<ImportReport> {
    store.replace_register(election, &plan.rows)?;
    Ok(plan.report)
}

/// Checks `csv` as the register of `election` and works out what importing it would do (the
/// members, eligibility per contest, the changes against the register stored before), writing
/// nothing: the console shows this before the officer applies it.
pub fn plan_register(
    store: &Store,
    election: &str,
    csv: &str,
) -> Result<RegisterPlan, RegisterRefused> {
    let row = store.election(election).map_err(anyhow::Error::from)?;
    if !row.is(ElectionState::Created) {
        return Err(anyhow!(
            "election {election:?} is {}: the register is frozen once the election opens",
            row.state
        )
        .into());
    }
    let manifest = row.manifest().map_err(anyhow::Error::from)?;
    let register = Register::parse(csv).map_err(|errors| {
        RegisterRefused::BadRows(errors.iter().map(ToString::to_string).collect())
    })?;
    let previous = store.members(election).map_err(anyhow::Error::from)?;
    let diff = stored_register(election, &previous)?.map(|old| old.diff(&register));
    let (rows, eligible_counts) = register_rows(election, &manifest, &register, &previous)?;
    let report = ImportReport {
        members: rows.len(),
        eligible: manifest
            .contests()
            .iter()
            .zip(eligible_counts)
            .map(|(c, n)| (c.id().to_owned(), n))
            .collect(),
        diff,
    };
    Ok(RegisterPlan { report, rows })
}

/// The register stored for `election` (its rows, `previous`), read back as a register file;
/// `None` when none is stored.
fn stored_register(election: &str, previous: &[MemberRow]) -> Result<Option<Register>> {
    if previous.is_empty() {
        return Ok(None);
    }
    // Each stored row is one record of `Member::to_csv_row` (it may hold a quoted line break),
    // so the header and the rows joined by line breaks are a register file again.
    let old_csv: String = std::iter::once(COLUMNS.join(","))
        .chain(previous.iter().map(|m| m.row_csv.clone()))
        .collect::<Vec<_>>()
        .join("\n");
    let old = Register::parse(&old_csv)
        .map_err(|_| anyhow!("the stored register of {election:?} is damaged"))?;
    Ok(Some(old))
}

/// The member rows of `register` under `manifest`'s eligibility rules, and the eligible count
/// per contest in manifest order. A member stored before (`previous`) keeps their salt (so their
/// roster commitments do not change) and their invitation code.
fn register_rows(
    election: &str,
    manifest: &Manifest,
    register: &Register,
    previous: &[MemberRow],
) -> Result<(Vec<MemberRow>, Vec<usize>)> {
    let kept: BTreeMap<&str, &MemberRow> =
        previous.iter().map(|m| (m.number.as_str(), m)).collect();
    let mut eligible_counts = vec![0usize; manifest.contests().len()];
    let mut rng = os_rng()?;
    let mut rows = Vec::new();
    for (position, member) in register.members().enumerate() {
        let eligible: Vec<&str> = manifest
            .contests()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.eligibility().admits(member))
            .map(|(i, c)| {
                eligible_counts[i] += 1;
                c.id()
            })
            .collect();
        let old = kept.get(member.number.as_str());
        let salt = match old {
            Some(old) => old.salt.clone(),
            None => {
                let mut salt = [0u8; 16];
                rand::Rng::fill_bytes(&mut rng, &mut salt);
                salt.to_vec()
            }
        };
        let code_hash = old.and_then(|m| m.code_hash.clone());
        rows.push(MemberRow {
            election: election.to_owned(),
            number: member.number.clone(),
            position: position as i64,
            row_csv: member.to_csv_row(),
            region: member.region.clone(),
            eligible: eligible.join(","),
            salt,
            code_hash,
            reissue_grants: String::new(),
            email: register.email(&member.number).map(str::to_owned),
            removed: false,
            removal_published: false,
        });
    }
    Ok((rows, eligible_counts))
}

/// Edits an election that has not opened and whose invitations have not gone out (they carry
/// its fingerprint, which an edit changes): its manifest is rebuilt from `definition` with the
/// same keys and trustees (a new issuer key for a new contest), and the stored register's
/// eligibility is worked out again under the new rules. Returns the new manifest.
pub fn edit_election(store: &Store, definition: &ElectionDefinition) -> Result<Manifest> {
    let id = &definition.election;
    let row = store.election(id)?;
    ensure!(
        row.is(ElectionState::Created),
        "election {id:?} is {}: an election can be edited only before it opens",
        row.state
    );
    let old = row.manifest()?;
    let (manifest, new_keys) = rebuild_manifest(definition, &old, &mut os_rng()?, unix_now())?;
    let key_dir = Path::new(&row.key_dir);
    for (contest, pair) in &new_keys {
        // A file left by a contest an earlier edit dropped holds a key nobody published.
        let _ = fs::remove_file(key_dir.join(issuer_key_file(contest)));
        write_issuer_key(key_dir, contest, pair)?;
    }
    let previous = store.members(id)?;
    let rows = match stored_register(id, &previous)? {
        Some(register) => register_rows(id, &manifest, &register, &previous)?.0,
        None => Vec::new(),
    };
    store.edit_election(&old, &manifest, &rows)?;
    for contest in old.contests() {
        if manifest.contest(contest.id()).is_none() {
            let _ = fs::remove_file(key_dir.join(issuer_key_file(contest.id())));
        }
    }
    Ok(manifest)
}

/// `teller invitations export`: new codes for every member without one (or, with `reissue`, for
/// those members only, invalidating their old codes); the file is written before the hashes are
/// stored, so no code is stored that the returning officer did not get.
pub fn export_invitations(
    store: &Store,
    election: &str,
    out: &Path,
    reissue: &[String],
    threads: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<usize> {
    let row = store.election(election)?;
    ensure!(
        row.is(ElectionState::Created) || row.is(ElectionState::Open),
        "election {election:?} is {}: invitations are for an election not yet closed",
        row.state
    );
    let members = store.members(election)?;
    ensure!(
        !members.is_empty(),
        "election {election:?} has no register yet: run `teller register import` first"
    );
    let targets: Vec<&MemberRow> = if reissue.is_empty() {
        (members.iter())
            .filter(|m| m.code_hash.is_none() && !m.removed)
            .collect()
    } else {
        reissue
            .iter()
            .map(|number| {
                let member = (members.iter())
                    .find(|m| &m.number == number)
                    .ok_or_else(|| anyhow!("member {number} is not on the register"))?;
                ensure!(
                    !member.removed,
                    "member {number} was removed from the election: they get no new code"
                );
                Ok(member)
            })
            .collect::<Result<_>>()?
    };
    if targets.is_empty() {
        bail!(
            "every member of {election:?} already has an invitation code; use --reissue MEMBER to replace one"
        );
    }
    let total = targets.len();
    let numbers: Vec<&str> = targets.iter().map(|m| m.number.as_str()).collect();
    let made = new_codes(&numbers, threads, progress)?;
    write_private(out, invitations_csv(&made).as_bytes())?;
    let hashes: Vec<(String, String)> = made.into_iter().map(|(n, _, h)| (n, h)).collect();
    if let Err(e) = store.set_codes(election, &hashes) {
        let _ = fs::remove_file(out);
        return Err(e.into());
    }
    Ok(total)
}

/// The invitations file: member numbers and their codes, for a mail merge, so under the formula
/// rule (`core::csv_file`): a member number such as `=1+1` or `-12` is written `'=1+1`, `'-12`;
/// `client::read_invitations` undoes it.
pub fn invitations_csv(made: &[(String, InvitationCode, String)]) -> String {
    let mut text = CsvText::new(csv::QuoteStyle::Necessary, csv::Terminator::Any(b'\n'));
    text.record(INVITATION_COLUMNS);
    for (number, code, _) in made {
        text.record([defuse(number), defuse(&code.display())]);
    }
    text.finish()
}

/// A new invitation code and its argon2id hash (PHC) for each member number, hashed on
/// `threads` threads.
pub fn new_codes(
    numbers: &[&str],
    threads: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<(String, InvitationCode, String)>> {
    let total = numbers.len();
    let made = par_map(
        numbers,
        threads,
        |number| -> Result<(String, InvitationCode, String)> {
            thread_local! {
                // Each hashing thread's argon2 memory, reused for every code it hashes (a fresh
                // 19 MiB a code cost the kernel's mapping and zeroing each time).
                static MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const {
                    std::cell::RefCell::new(Vec::new())
                };
            }
            let mut rng = os_rng()?;
            let code = InvitationCode::generate(&mut rng);
            let hash =
                MEMORY.with_borrow_mut(|memory| InvitationHash::new_in(&code, &mut rng, memory))?;
            Ok(((*number).to_owned(), code, hash.to_phc()))
        },
        |done| {
            progress(Progress {
                stage: "hashing invitation codes",
                done,
                total,
            })
        },
    );
    made.into_iter().collect()
}

/// Writes a file only its owner can read (invitation codes), replacing it atomically.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let temporary = PathBuf::from(format!("{}.partial", path.display()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temporary.display()))?;
    fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
}

/// `teller election adopt`: a ballot box run by its own operator takes an election that the
/// issuer created (its manifest) into its own database, with a key directory holding only
/// `ballot-log.key`.
pub fn adopt(store: &Store, manifest_bytes: &[u8], key_dir: &Path) -> Result<Manifest> {
    let manifest = Manifest::parse(manifest_bytes).context("reading the manifest")?;
    load_keys(key_dir, &manifest, Roles::BallotBox)?;
    let absolute =
        fs::canonicalize(key_dir).with_context(|| format!("finding {}", key_dir.display()))?;
    store.create_election(&manifest, &absolute.to_string_lossy(), Roles::BallotBox)?;
    Ok(manifest)
}

/// `teller election open`: freezes the register into the rosters and starts the logs of the
/// roles this database holds. A ballot box alone has no register: it takes the issuer's
/// published rosters from `rosters` (a directory with `manifest.json` and `roster/<c>.txt`, as
/// `teller record export` writes on the issuer's database) and commits to them in `open`.
pub fn open(store: &Store, election: &str, rosters: Option<&Path>) -> Result<()> {
    let row = store.election(election)?;
    let manifest = row.manifest()?;
    let roles = row.roles()?;
    // The keys this database will sign with must be there and be the manifest's.
    row.keys(&manifest)?;
    let mut files = BTreeMap::new();
    let commitments = match (roles.issuer(), rosters) {
        (true, Some(_)) => bail!(
            "this database is the issuer of {election:?}: it freezes its own register; \
             --rosters is for a ballot box run by another operator"
        ),
        (false, None) => bail!(
            "this database is only the ballot box of {election:?}: give --rosters DIR, the \
             issuer's rosters (`teller record export {election} DIR` on the issuer's database)"
        ),
        (true, None) => {
            let frozen = store
                .members(election)?
                .iter()
                .map(|m| frozen_member(&manifest, m))
                .collect::<Result<Vec<_>>>()?;
            freeze(&manifest, &frozen, &mut files).0
        }
        (false, Some(dir)) => published_rosters(&manifest, dir, &mut files)?,
    };
    Ok(store.open_election(&manifest, roles, files.into_iter().collect(), commitments)?)
}

fn frozen_member(manifest: &Manifest, member: &MemberRow) -> Result<FrozenMember> {
    let eligible: Vec<&str> = member.eligible_contests().collect();
    Ok(FrozenMember {
        number: member.number.clone(),
        salt: (member.salt.clone())
            .try_into()
            .map_err(|_| anyhow!("member {}'s salt is damaged", member.number))?,
        eligible: (manifest.contests().iter())
            .map(|c| eligible.contains(&c.id()))
            .collect(),
    })
}

/// The issuer's rosters as it published them, checked to be for this manifest.
fn published_rosters(
    manifest: &Manifest,
    dir: &Path,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<BTreeMap<String, RosterCommitment>> {
    let read = |name: &str| {
        let path = dir.join(name);
        fs::read(&path).with_context(|| format!("reading {}", path.display()))
    };
    ensure!(
        read(layout::MANIFEST)? == manifest.bytes(),
        "{}/{} is not this election's manifest",
        dir.display(),
        layout::MANIFEST
    );
    let mut rosters = BTreeMap::new();
    for contest in manifest.contests() {
        let path = layout::roster(contest.id());
        let bytes = read(&path)?;
        let commitments =
            parse_roster_file(&bytes).map_err(|e| anyhow!("{}/{path}: {e}", dir.display()))?;
        rosters.insert(contest.id().to_owned(), roster_commitment(&commitments));
        files.insert(path, bytes);
    }
    Ok(rosters)
}

/// The longest removal reason (it goes into the events log).
pub const MAX_REASON_CHARS: usize = 200;

/// `teller register remove` and the console: the returning officer removes a member after the
/// election opened (DESIGN.md: a member removed before casting cannot cast). Returns the
/// contests the removal is logged in. Refused before opening (edit the register and import it
/// again instead), after closing, on a ballot box apart from its issuer, without a reason, and
/// for a member already removed.
pub fn remove_member(
    store: &Store,
    election: &str,
    member: &str,
    reason: &str,
) -> Result<Vec<String>> {
    let row = store.election(election)?;
    let manifest = row.manifest()?;
    if !row.roles()?.issuer() {
        bail!("this database is not the issuer of {election:?}: run this on the issuer's");
    }
    if row.is(ElectionState::Created) {
        bail!(
            "{election:?} has not opened: take the member out of the register and import it again \
             (`teller register import`)"
        );
    }
    if !row.is(ElectionState::Open) {
        bail!(
            "{election:?} is {}: members can be removed only while it is open",
            row.state
        );
    }
    let reason = reason.trim();
    if reason.is_empty() {
        bail!("give a reason (suspension, expulsion, death, …): it goes into the events log");
    }
    if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        bail!("the reason must be one line of at most {MAX_REASON_CHARS} characters");
    }
    Ok(store.remove_member(&manifest, member, reason)?)
}

/// `teller passes reissue`: the returning officer grants `member` one new pass in `contest`, or
/// in every contest they are eligible for (docs/PROTOCOL.md §8, `reissue.by = "officer"`). The
/// member then logs in again and the booth asks for it. Returns the contests granted.
pub fn grant_reissue(
    store: &Store,
    election: &str,
    member: &str,
    contest: Option<&str>,
) -> Result<Vec<String>> {
    let row = store.election(election)?;
    let manifest = row.manifest()?;
    if !row.roles()?.issuer() {
        bail!("this database is not the issuer of {election:?}: run this on the issuer's");
    }
    let policy = manifest.reissue();
    if policy.limit == 0 {
        bail!("the manifest of {election:?} allows no re-issued passes (reissue.limit is 0)");
    }
    if policy.by != ReissueBy::Officer {
        bail!(
            "in {election:?} members ask for a new pass themselves (reissue.by is \"member\"): \
             nothing to grant; the member logs in again and the booth offers one"
        );
    }
    let found = store
        .member(election, member)?
        .ok_or_else(|| anyhow!("there is no member {member:?} on the register of {election:?}"))?;
    let eligible: Vec<&str> = found.eligible_contests().collect();
    let contests: Vec<&str> = match contest {
        Some(c) if manifest.contest(c).is_none() => {
            bail!("there is no contest {c:?} in {election:?}")
        }
        Some(c) if !eligible.contains(&c) => {
            bail!("member {member:?} is not eligible to vote in contest {c:?}")
        }
        Some(c) => vec![c],
        None if eligible.is_empty() => {
            bail!("member {member:?} is not eligible to vote in any contest of {election:?}")
        }
        None => eligible,
    };
    // All or nothing: a refusal in one contest grants none, and says how to grant the rest.
    store
        .grant_reissue(&manifest, member, &contests)
        .map_err(|e| match contest {
            None if contests.len() > 1 => anyhow!(
                "{e}; nothing was granted: grant the member's other contests one at a time with \
                 --contest"
            ),
            _ => e.into(),
        })?;
    Ok(contests.into_iter().map(str::to_owned).collect())
}

/// The record as it stands in the database (before the tally: without reveal and results).
///
/// A database that is only the issuer exports its own part — the manifest and rosters once open
/// (a ballot box opens with them), the issuance log and its checkpoints once closed. A
/// database that is only the ballot box completes the record with that part, from
/// `issuer_part`.
pub fn record(
    store: &Store,
    election: &str,
    issuer_part: Option<&Path>,
    officers: Officers,
) -> Result<Record> {
    let row = store.election(election)?;
    let roles = row.roles()?;
    let closed = row.is(ElectionState::Closed) || row.is(ElectionState::Tallied);
    let mut files: BTreeMap<String, Vec<u8>> = store.record_files(election)?.into_iter().collect();
    files.insert(layout::MANIFEST.into(), row.manifest.clone());
    if roles == Roles::Issuer {
        ensure!(
            !row.is(ElectionState::Created),
            "election {election:?} is not open yet: its rosters are published when it opens"
        );
        if closed {
            issuance_files(store, election, officers, &mut files)?;
        }
        return Ok(Record { files });
    }
    ensure!(
        closed,
        "election {election:?} is {}: the record is exported once it is closed",
        row.state
    );
    match (roles.issuer(), issuer_part) {
        (true, None) => issuance_files(store, election, officers, &mut files)?,
        (true, Some(_)) => bail!(
            "this database is the issuer of {election:?} too; --issuer-part is for a ballot box \
             run apart from its issuer"
        ),
        (false, None) => bail!(
            "this database is only the ballot box of {election:?}: give --issuer-part DIR, the \
             issuer's part of the record (`teller record export {election} DIR` on the issuer's \
             database after it closes)"
        ),
        (false, Some(dir)) => {
            let mut part = read_record(dir)?.files;
            let checkpoints: Vec<String> = part
                .keys()
                .filter(|p| p.starts_with(layout::ISSUANCE_CHECKPOINTS))
                .cloned()
                .collect();
            for path in [
                layout::MANIFEST,
                layout::ISSUANCE_LOG,
                layout::EVENTS,
                layout::EVENTS_NOTE,
            ]
            .into_iter()
            .map(str::to_owned)
            .chain(files.keys().filter(|p| p.starts_with("roster/")).cloned())
            .chain(checkpoints)
            .collect::<Vec<_>>()
            {
                let file = dir.join(&path);
                let bytes = part
                    .remove(&path)
                    .ok_or_else(|| anyhow!("{} is missing", file.display()))?;
                if let Some(ours) = files.get(&path) {
                    ensure!(
                        *ours == bytes,
                        "{} is not what this ballot box holds for {election:?}",
                        file.display()
                    );
                }
                files.insert(path, bytes);
            }
        }
    }
    files.extend(store.log_files(election, BALLOTS)?.files);
    Ok(Record { files })
}

/// The issuance log and every checkpoint signed of it.
fn issuance_files(
    store: &Store,
    election: &str,
    officers: Officers,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<()> {
    // Every checkpoint the issuer signed: one a member or a witness was shown can then be proved
    // consistent with the final log from the record alone.
    let log = store.log_files(election, ISSUANCE)?;
    ensure!(
        log.complete,
        "the issuance log of {election:?} has no final checkpoint"
    );
    files.extend(log.files);
    // The officers' events log, signed by the same key (PROTOCOL §17): the issuer's database is
    // where officers act (register, invitations, removals, re-issue grants). Once tallied, the
    // record is the one published then, events and all (stored by the tally).
    if files.contains_key(layout::EVENTS) {
        ensure!(
            officers == Officers::Pseudonymous,
            "the record of {election:?} was published at the tally with its officers as \
             `officer 1`, `officer 2`, …: name them (--name-officers) only in an export before the tally"
        );
        return Ok(());
    }
    let row = store.election(election)?;
    let manifest = row.manifest()?;
    let keys = row.keys(&manifest)?;
    let signer = &(keys.issuer)
        .ok_or_else(|| anyhow!("the issuer's keys of {election:?} are not loaded"))?
        .issuance_log;
    let mut pseudonyms = Pseudonyms::default();
    let events: Vec<PublishedEvent> = (store.events(election)?.into_iter().enumerate())
        .map(|(seq, event)| PublishedEvent {
            seq: seq as i64,
            at: format_instant(event.at),
            by: match officers {
                Officers::Named if !event.actor.is_empty() => event.actor.clone(),
                _ => pseudonyms.of(&event.actor),
            },
            kind: event.kind,
            detail: event.detail,
        })
        .collect();
    let (file, note) = signed_events(&events, &manifest.issuance_log_origin(), signer)?;
    files.insert(layout::EVENTS.into(), file);
    files.insert(layout::EVENTS_NOTE.into(), note.into_bytes());
    Ok(())
}

/// How the record's events log names the officers who acted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Officers {
    /// `officer 1`, `officer 2`, … in order of first appearance (the default).
    #[default]
    Pseudonymous,
    /// By their email, as the console knows them.
    Named,
}
