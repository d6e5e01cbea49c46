//! Elections, the frozen register, invitation-code hashes, issuances, login throttling,
//! the returning officer's event log and the stored parts of the record.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;

use diesel::prelude::*;
use rand::seq::SliceRandom as _;

use super::log::{BALLOTS, ISSUANCE, append, create_log, lock_head, store_checkpoint};
use super::schema::{
    casts, elections, events, issuances, log_heads, members, record_files, throttle,
};
use super::{AnyConnection, ExtendRefused, Result, Store, StoreError, insert_rows, now};

use crate::core::log::{Entry, IssuanceEntry, NoteSigner, OpenEntry, RosterCommitment};
use crate::core::manifest::{Instants, Manifest, ReissueBy, ReissueRefused, format_instant};
use crate::core::record::member_commitment;

/// Where an election is in its life. Each command needs one state and moves it to the next, in
/// one transaction that starts by changing the state (`transition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElectionState {
    /// Created; the register may be (re-)imported.
    Created,
    /// Open: the register is frozen, passes are issued and ballots cast.
    Open,
    /// Closed: the logs have their final checkpoints; waiting for the trustees.
    Closed,
    /// Tallied: the reveal and the results are stored.
    Tallied,
}

impl ElectionState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Tallied => "tallied",
        }
    }
}

impl std::fmt::Display for ElectionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which of an election's two operators this database serves (docs/design/unlinkability.md): the
/// issuer (register, codes, passes, the issuance log) and the ballot box (casts, the ballot log).
/// One database holds both by default; two operators each keep their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Roles {
    /// Issuer and ballot box in one database.
    Both,
    /// The issuer only: it never sees a ballot.
    Issuer,
    /// The ballot box only: it never sees a member.
    BallotBox,
}

impl Roles {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Both => "issuer,box",
            Self::Issuer => "issuer",
            Self::BallotBox => "box",
        }
    }

    /// Whether this database is the election's issuer.
    pub fn issuer(self) -> bool {
        matches!(self, Self::Both | Self::Issuer)
    }

    /// Whether this database is the election's ballot box.
    pub fn ballot_box(self) -> bool {
        matches!(self, Self::Both | Self::BallotBox)
    }
}

/// An election as stored.
#[derive(Clone, Debug, Queryable)]
pub struct ElectionRow {
    /// Its id (the manifest's `election`).
    pub id: String,
    /// The manifest bytes (canonical JSON).
    pub manifest: Vec<u8>,
    /// Where its secret keys are.
    pub key_dir: String,
    /// `created`, `open`, `closed` or `tallied`.
    pub state: String,
    /// When it was created (Unix seconds).
    pub created: i64,
    /// The roles this database holds (`Roles::as_str`).
    pub roles: String,
    /// A closing time later than the manifest's, set by `election extend` (Unix seconds).
    pub closes_extended: Option<i64>,
}

/// A member on an election's frozen register.
#[derive(Clone, Debug, Queryable, Insertable)]
#[diesel(table_name = members)]
pub struct MemberRow {
    /// The election.
    pub election: String,
    /// The membership number.
    pub number: String,
    /// The row's place in the register.
    pub position: i64,
    /// The row as imported (the register's CSV columns).
    pub row_csv: String,
    /// The member's region (turnout by region).
    pub region: String,
    /// The contests the member is eligible for, comma-separated.
    pub eligible: String,
    /// The salt of the member's roster commitments.
    pub salt: Vec<u8>,
    /// The argon2id hash of the member's invitation code (PHC string), once issued.
    pub code_hash: Option<String>,
    /// The returning officer's unused re-issue grants: one contest id per grant, comma-separated
    /// (`teller passes reissue`). Kept on the member's row, not in rows of their own, so that no
    /// table keeps the order in which members were granted a re-issue.
    pub reissue_grants: String,
}

/// The window in force: the manifest's, with the closing time moved to `extended` if an officer
/// extended it.
pub fn effective(manifest: Instants, extended: Option<i64>) -> Instants {
    Instants {
        opens: manifest.opens,
        closes: extended.map_or(manifest.closes, |e| e.max(manifest.closes)),
    }
}

impl ElectionRow {
    /// The voting window in force for this election (`manifest` is its manifest).
    pub fn window(&self, manifest: &Manifest) -> Instants {
        effective(manifest.window(), self.closes_extended)
    }

    /// Whether the election is in `state`.
    pub fn is(&self, state: ElectionState) -> bool {
        self.state == state.as_str()
    }

    /// The roles this database holds for the election.
    pub fn roles(&self) -> Result<Roles> {
        [Roles::Both, Roles::Issuer, Roles::BallotBox]
            .into_iter()
            .find(|r| r.as_str() == self.roles)
            .ok_or_else(|| {
                StoreError::Damaged(format!("election {:?}'s roles ({:?})", self.id, self.roles))
            })
    }
}

impl MemberRow {
    /// The contests the member may vote in.
    pub fn eligible_contests(&self) -> impl Iterator<Item = &str> {
        self.eligible.split(',').filter(|c| !c.is_empty())
    }
}

/// A pass issued: the blinded message and the issuer's blind signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredIssuance {
    /// The blinded message the booth sent.
    pub blinded: Vec<u8>,
    /// The blind signature.
    pub blind_sig: Vec<u8>,
}

/// What happened to a pass request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssueOutcome {
    /// Newly issued.
    Issued,
    /// The identical request was issued before: the same signature again.
    Repeated(Vec<u8>),
    /// A different request for the same member and contest was issued before (and this one did
    /// not ask for a re-issue).
    AlreadyIssued,
    /// A re-issue was asked for, but the member has no first pass for the contest.
    NotIssued,
    /// A re-issue the manifest's policy does not allow now.
    NoReissue(ReissueRefused),
    /// The election is not open.
    Closed,
}

/// A login subject that must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    /// Seconds until another attempt is allowed.
    pub retry_after: i64,
}

/// Turnout without any running tally: counts of eligibility, passes and ballots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Turnout {
    /// Per contest: (contest, eligible, passes issued, ballots cast).
    pub contests: Vec<(String, i64, i64, i64)>,
    /// Per region: (region, members, members issued at least one pass).
    pub regions: Vec<(String, i64, i64)>,
}

/// Login attempts for one member number from one address before that pair must wait (a right
/// code takes its attempt back).
pub const MEMBER_FREE_FAILURES: i64 = 5;
/// Login attempts from one address, not taken back by a right code, before it must wait (a branch
/// office shares one address).
pub const ADDRESS_FREE_FAILURES: i64 = 50;
/// Issuances published together in the issuance log, shuffled.
pub const ISSUANCE_BATCH: i64 = 64;

fn event(conn: &mut AnyConnection, election: &str, kind: &str, detail: &str) -> Result<()> {
    diesel::insert_into(events::table)
        .values((
            events::election.eq(election),
            events::at.eq(now()),
            events::kind.eq(kind),
            events::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves the election from state `from` to `to`, as the transaction's first write; fails with a
/// message naming the state it is in otherwise.
fn transition(
    conn: &mut AnyConnection,
    election: &str,
    from: ElectionState,
    to: ElectionState,
) -> Result<()> {
    let changed = diesel::update(
        elections::table
            .filter(elections::id.eq(election))
            .filter(elections::state.eq(from.as_str())),
    )
    .set(elections::state.eq(to.as_str()))
    .execute(conn)?;
    if changed == 1 {
        return Ok(());
    }
    let state: Option<String> = elections::table
        .find(election)
        .select(elections::state)
        .first(conn)
        .optional()?;
    Err(match state {
        None => StoreError::NoElection(election.to_owned()),
        Some(state) => StoreError::WrongState {
            election: election.to_owned(),
            state,
            expected: from,
        },
    })
}

/// The member's issuances for a contest, the first first.
fn issued_to(
    conn: &mut AnyConnection,
    election: &str,
    contest: &str,
    member: &str,
) -> Result<Vec<StoredIssuance>> {
    Ok(issuances::table
        .filter(issuances::election.eq(election))
        .filter(issuances::contest.eq(contest))
        .filter(issuances::member.eq(member))
        .order(issuances::issue)
        .select((issuances::blinded, issuances::blind_sig))
        .load::<(Vec<u8>, Vec<u8>)>(conn)?
        .into_iter()
        .map(|(blinded, blind_sig)| StoredIssuance { blinded, blind_sig })
        .collect())
}

/// `grants` (comma-separated contest ids) with one grant for `contest` used up.
fn without_one(grants: &str, contest: &str) -> String {
    let mut list: Vec<&str> = grants.split(',').filter(|c| !c.is_empty()).collect();
    if let Some(at) = list.iter().position(|c| *c == contest) {
        list.remove(at);
    }
    list.join(",")
}

/// Deletes the election's throttle rows, locking them in byte order of subject as logins do (the
/// store's lock order): a plain `DELETE` locks in scan order, and deadlocked with a login on
/// PostgreSQL. SQLite's writers take the whole database, so order does not arise there.
fn delete_throttle_rows(conn: &mut AnyConnection, election: &str) -> Result<()> {
    match conn {
        AnyConnection::Postgresql(c) => {
            diesel::sql_query(
                "DELETE FROM throttle WHERE election = $1 AND subject IN \
                 (SELECT subject FROM throttle WHERE election = $1 \
                  ORDER BY subject COLLATE \"C\" FOR UPDATE)",
            )
            .bind::<diesel::sql_types::Text, _>(election)
            .execute(c)?;
        }
        AnyConnection::Sqlite(c) => {
            diesel::delete(throttle::table.filter(throttle::election.eq(election))).execute(c)?;
        }
    }
    Ok(())
}

/// A pending issuance as it waits for its batch.
struct PendingIssuance {
    contest: String,
    member: String,
    issue: i64,
    reissue: bool,
    blinded: Vec<u8>,
    blind_sig: Vec<u8>,
    salt: Vec<u8>,
}

/// Publishes the pending issuances in one shuffled batch (so the log's order does not time an
/// issuance), when at least `min` are pending.
///
/// The batch's rows are then deleted and written again in the shuffled order, marked published:
/// a table keeps its insertion order (SQLite's rowid, PostgreSQL's `ctid` and `xmin`), and the
/// order of issuances is the order of ballots, so no finer order than the published batch may
/// stay in the database (issue 9). SQLite overwrites the deleted rows (`secure_delete`).
fn publish_issuances(conn: &mut AnyConnection, manifest: &Manifest, min: i64) -> Result<usize> {
    let election = manifest.draft().election.as_str();
    // The issuance log's lock before reading what is pending: an issuance committed by another
    // server meanwhile is then either read here or waits for this batch.
    let mut head = lock_head(conn, election, ISSUANCE)?;
    let mut pending: Vec<PendingIssuance> = issuances::table
        .inner_join(
            members::table.on(members::election
                .eq(issuances::election)
                .and(members::number.eq(issuances::member))),
        )
        .filter(issuances::election.eq(election))
        .filter(issuances::published.eq(false))
        .select((
            issuances::contest,
            issuances::member,
            issuances::issue,
            issuances::reissue,
            issuances::blinded,
            issuances::blind_sig,
            members::salt,
        ))
        .load::<(String, String, i64, bool, Vec<u8>, Vec<u8>, Vec<u8>)>(conn)?
        .into_iter()
        .map(
            |(contest, member, issue, reissue, blinded, blind_sig, salt)| PendingIssuance {
                contest,
                member,
                issue,
                reissue,
                blinded,
                blind_sig,
                salt,
            },
        )
        .collect();
    if pending.is_empty() || (pending.len() as i64) < min {
        return Ok(0);
    }
    pending.shuffle(&mut rand::rng());
    // A member's re-issue must follow their first issuance in the log (PROTOCOL §10): after the
    // shuffle, a stable sort puts the batch's first issuances, then its first re-issues, … in
    // that order. It tells nothing the entries' `reissue` flags do not.
    pending.sort_by_key(|p| p.issue);
    let items = pending
        .iter()
        .map(|p| -> Result<_> {
            let salt: [u8; 16] = (p.salt.clone())
                .try_into()
                .map_err(|_| StoreError::Damaged(format!("member {}'s salt", p.member)))?;
            let commitment = member_commitment(&p.contest, &salt, &p.member);
            Ok((p.contest.clone(), commitment, p.reissue))
        })
        .collect::<Result<Vec<_>>>()?;
    append(
        conn,
        &mut head,
        items,
        |(contest, member, reissue), seq, prev| {
            Entry::Issuance(IssuanceEntry {
                seq,
                prev,
                contest,
                member: member.into(),
                reissue,
            })
        },
    )?;
    for p in &pending {
        diesel::delete(issuances::table.find((election, &p.contest, &p.member, p.issue)))
            .execute(conn)?;
    }
    for p in &pending {
        diesel::insert_into(issuances::table)
            .values((
                issuances::election.eq(election),
                issuances::contest.eq(&p.contest),
                issuances::member.eq(&p.member),
                issuances::blinded.eq(&p.blinded),
                issuances::blind_sig.eq(&p.blind_sig),
                issuances::reissue.eq(p.reissue),
                issuances::published.eq(true),
                issuances::issue.eq(p.issue),
            ))
            .execute(conn)?;
    }
    Ok(pending.len())
}

impl Store {
    /// Stores a new election, for the roles this database serves.
    pub fn create_election(&self, manifest: &Manifest, key_dir: &str, roles: Roles) -> Result<()> {
        let id = &manifest.draft().election;
        self.transaction(|conn| {
            if elections::table.find(id).count().get_result::<i64>(conn)? > 0 {
                return Err(StoreError::ElectionExists(id.clone()));
            }
            diesel::insert_into(elections::table)
                .values((
                    elections::id.eq(id),
                    elections::manifest.eq(manifest.bytes()),
                    elections::key_dir.eq(key_dir),
                    elections::state.eq(ElectionState::Created.as_str()),
                    elections::created.eq(now()),
                    elections::roles.eq(roles.as_str()),
                ))
                .execute(conn)?;
            event(
                conn,
                id,
                "created",
                &format!("{} ({})", manifest.fingerprint_hex(), roles.as_str()),
            )
        })
    }

    /// The election `id`, or an error saying there is none.
    pub fn election(&self, id: &str) -> Result<ElectionRow> {
        self.find_election(id)?
            .ok_or_else(|| StoreError::NoElection(id.to_owned()))
    }

    /// The election `id`, if the database holds it.
    pub fn find_election(&self, id: &str) -> Result<Option<ElectionRow>> {
        Ok(elections::table
            .find(id)
            .first(&mut *self.conn()?)
            .optional()?)
    }

    /// Every election, oldest first.
    pub fn elections(&self) -> Result<Vec<ElectionRow>> {
        Ok(elections::table
            .order((elections::created, elections::id))
            .load(&mut *self.conn()?)?)
    }

    /// Replaces the election's register (only before it opens), all or nothing.
    pub fn replace_register(&self, election: &str, rows: &[MemberRow]) -> Result<()> {
        self.transaction(|conn| {
            transition(
                conn,
                election,
                ElectionState::Created,
                ElectionState::Created,
            )?;
            diesel::delete(members::table.filter(members::election.eq(election))).execute(conn)?;
            for chunk in rows.chunks(2000) {
                insert_rows!(&mut *conn, members::table, chunk)?;
            }
            event(
                conn,
                election,
                "register imported",
                &format!("{} members", rows.len()),
            )
        })
    }

    /// The election's register, in register order.
    pub fn members(&self, election: &str) -> Result<Vec<MemberRow>> {
        Ok(members::table
            .filter(members::election.eq(election))
            .order(members::position)
            .load(&mut *self.conn()?)?)
    }

    /// One member.
    pub fn member(&self, election: &str, number: &str) -> Result<Option<MemberRow>> {
        Ok(members::table
            .find((election, number))
            .first(&mut *self.conn()?)
            .optional()?)
    }

    /// Stores new invitation-code hashes (replacing any earlier code) and logs the re-issues.
    pub fn set_codes(&self, election: &str, codes: &[(String, String)]) -> Result<()> {
        self.transaction(|conn| {
            for (number, hash) in codes {
                let old: Option<Option<String>> = members::table
                    .find((election, number))
                    .select(members::code_hash)
                    .first(conn)
                    .optional()?;
                match old {
                    None => {
                        return Err(StoreError::NoMember {
                            election: election.to_owned(),
                            member: number.clone(),
                        });
                    }
                    // Not named, so the events log holds no member's time (issue 9); the
                    // returning officer's own invitations file says whose code it was.
                    Some(Some(_)) => event(
                        conn,
                        election,
                        "invitation re-issued",
                        "one member's code replaced: the old code no longer works",
                    )?,
                    Some(None) => {}
                }
                // A new code also ends the member's sessions: their tokens are signed over the
                // old code's hash (server::session).
                diesel::update(members::table.find((election, number)))
                    .set(members::code_hash.eq(hash))
                    .execute(conn)?;
            }
            if !codes.is_empty() {
                event(
                    conn,
                    election,
                    "invitations exported",
                    &format!("{} codes", codes.len()),
                )?;
            }
            Ok(())
        })
    }

    /// Opens the election: the register is frozen (its roster files become part of the record);
    /// the issuer starts its issuance log, the ballot box its ballot log with `open`, carrying the
    /// roster commitments. With both roles here, in one transaction.
    pub fn open_election(
        &self,
        manifest: &Manifest,
        roles: Roles,
        roster_files: Vec<(String, Vec<u8>)>,
        rosters: BTreeMap<String, RosterCommitment>,
    ) -> Result<()> {
        let election = manifest.draft().election.as_str();
        self.transaction(|conn| {
            transition(conn, election, ElectionState::Created, ElectionState::Open)?;
            let mut detail = String::new();
            if roles.issuer() {
                let unissued: i64 = members::table
                    .filter(members::election.eq(election))
                    .filter(members::code_hash.is_null())
                    .count()
                    .get_result(conn)?;
                let total: i64 = members::table
                    .filter(members::election.eq(election))
                    .count()
                    .get_result(conn)?;
                if total == 0 {
                    return Err(StoreError::NoRegister(election.to_owned()));
                }
                create_log(conn, election, ISSUANCE, manifest.fingerprint())?;
                detail = format!("{total} members, {unissued} without an invitation code");
            }
            self.put_record_files(conn, election, roster_files.clone())?;
            if roles.ballot_box() {
                let mut ballots = create_log(conn, election, BALLOTS, manifest.fingerprint())?;
                append(conn, &mut ballots, [()], |(), seq, prev| {
                    Entry::Open(OpenEntry {
                        seq,
                        prev,
                        rosters: rosters.clone(),
                    })
                })?;
                if detail.is_empty() {
                    detail = "the ballot log is open".into();
                }
            }
            event(conn, election, "opened", &detail)
        })
    }

    /// Closes the election: the issuer publishes its remaining issuances and signs the issuance
    /// log's final checkpoint; the ballot box ends its log with `close` and signs its final
    /// checkpoint. A signer is needed for each role this database holds. Returns the size of the
    /// ballot log (or, for an issuer alone, of the issuance log).
    pub fn close_election(
        &self,
        manifest: &Manifest,
        roles: Roles,
        ballot_signer: Option<&NoteSigner>,
        issuance_signer: Option<&NoteSigner>,
    ) -> Result<u64> {
        let election = manifest.draft().election.as_str();
        fn signer<'a>(
            signer: Option<&'a NoteSigner>,
            election: &str,
            key: &'static str,
        ) -> Result<&'a NoteSigner> {
            signer.ok_or_else(|| StoreError::NoSigner {
                election: election.to_owned(),
                key,
            })
        }
        self.transaction(|conn| {
            // The lock order of the module's doc (record_issuance takes only the issuance
            // log's head; logins only throttle rows).
            let mut ballots = match roles.ballot_box() {
                true => Some(lock_head(conn, election, BALLOTS)?),
                false => None,
            };
            transition(conn, election, ElectionState::Open, ElectionState::Closed)?;
            let mut size = 0;
            if roles.issuer() {
                publish_issuances(conn, manifest, 1)?;
                let issuance = lock_head(conn, election, ISSUANCE)?;
                store_checkpoint(
                    conn,
                    &issuance,
                    &manifest.issuance_log_origin(),
                    signer(issuance_signer, election, "issuance-log key")?,
                )?;
                // Failed logins are of no use once voting has ended, and a member's row holds
                // the time of their last failure (issue 9).
                delete_throttle_rows(conn, election)?;
                size = issuance.size();
            }
            if let Some(ballots) = &mut ballots {
                append(conn, ballots, [()], |(), seq, prev| {
                    Entry::Close(crate::core::log::CloseEntry { seq, prev })
                })?;
                store_checkpoint(
                    conn,
                    ballots,
                    &manifest.ballot_log_origin(),
                    signer(ballot_signer, election, "ballot-log key")?,
                )?;
                size = ballots.size();
            }
            event(conn, election, "closed", &format!("{size} log entries"))?;
            Ok(size)
        })
    }

    /// Moves the election's closing time to `closes` (Unix seconds), which must be later than the
    /// closing time in force; only before that time has come (`now`) and before the election
    /// closes. An early close is `close_election`. Logged in the events log with the old time.
    pub fn extend_election(&self, manifest: &Manifest, closes: i64, now: i64) -> Result<Instants> {
        let election = manifest.draft().election.as_str();
        self.transaction(|conn| {
            // The ballot log's head first, as everywhere (close_election): no cast is sequenced
            // against the old closing time while it moves.
            // The update locks the row if the log exists (an election not yet open has none).
            diesel::update(log_heads::table.find((election, BALLOTS)))
                .set(log_heads::last.eq(log_heads::last))
                .execute(conn)?;
            let (state, extended): (String, Option<i64>) = elections::table
                .find(election)
                .select((elections::state, elections::closes_extended))
                .first(conn)
                .optional()?
                .ok_or_else(|| StoreError::NoElection(election.to_owned()))?;
            if state != ElectionState::Created.as_str() && state != ElectionState::Open.as_str() {
                return Err(ExtendRefused::NotOpen {
                    election: election.to_owned(),
                    state,
                }
                .into());
            }
            let before = effective(manifest.window(), extended);
            if now >= before.closes {
                return Err(ExtendRefused::Ended {
                    election: election.to_owned(),
                    closed: before.closes,
                }
                .into());
            }
            if closes <= before.closes {
                return Err(ExtendRefused::NotLater {
                    asked: closes,
                    in_force: before.closes,
                }
                .into());
            }
            diesel::update(elections::table.find(election))
                .set(elections::closes_extended.eq(Some(closes)))
                .execute(conn)?;
            event(
                conn,
                election,
                "extended",
                &format!(
                    "closes {} (was {})",
                    format_instant(closes),
                    format_instant(before.closes)
                ),
            )?;
            Ok(effective(manifest.window(), Some(closes)))
        })
    }

    /// Marks the election tallied and stores the tally's part of the record.
    pub fn store_tally(&self, election: &str, files: Vec<(String, Vec<u8>)>) -> Result<()> {
        self.transaction(|conn| {
            transition(
                conn,
                election,
                ElectionState::Closed,
                ElectionState::Tallied,
            )?;
            self.put_record_files(conn, election, files)?;
            event(conn, election, "tallied", "")
        })
    }

    fn put_record_files(
        &self,
        conn: &mut AnyConnection,
        election: &str,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<()> {
        for (path, bytes) in files {
            diesel::insert_into(record_files::table)
                .values((
                    record_files::election.eq(election),
                    record_files::path.eq(path),
                    record_files::bytes.eq(bytes),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// The stored parts of the record (rosters; after the tally, the reveal and the results).
    pub fn record_files(&self, election: &str) -> Result<Vec<(String, Vec<u8>)>> {
        Ok(record_files::table
            .filter(record_files::election.eq(election))
            .order(record_files::path)
            .select((record_files::path, record_files::bytes))
            .load(&mut *self.conn()?)?)
    }

    /// The passes issued to a member for a contest, the first first.
    pub fn issuances(
        &self,
        election: &str,
        contest: &str,
        member: &str,
    ) -> Result<Vec<StoredIssuance>> {
        issued_to(&mut *self.conn()?, election, contest, member)
    }

    /// Records an issuance made outside the transaction (the RSA signature is slow): a first
    /// issuance unless the member has one for the contest, or with `reissue` a re-issue when the
    /// member has a first one and the manifest's policy allows another (docs/PROTOCOL.md §8).
    /// The same blinded message as any of the member's issuances gets its signature again.
    /// Publishes a shuffled batch when enough wait.
    pub fn record_issuance(
        &self,
        manifest: &Manifest,
        contest: &str,
        member: &str,
        issued: &StoredIssuance,
        reissue: bool,
    ) -> Result<IssueOutcome> {
        let election = manifest.draft().election.as_str();
        self.transaction(|conn| {
            // The issuance log's lock first: a close waits for this, or this sees the close;
            // two re-issues for one member wait for each other, so the limit holds.
            lock_head(conn, election, ISSUANCE)?;
            let state: String = elections::table
                .find(election)
                .select(elections::state)
                .first(conn)?;
            if state != ElectionState::Open.as_str() {
                return Ok(IssueOutcome::Closed);
            }
            let existing = issued_to(conn, election, contest, member)?;
            if let Some(same) = existing.iter().find(|e| e.blinded == issued.blinded) {
                return Ok(IssueOutcome::Repeated(same.blind_sig.clone()));
            }
            let issue = existing.len() as i64;
            match (reissue, issue) {
                (false, 0) => {}
                (false, _) => return Ok(IssueOutcome::AlreadyIssued),
                (true, 0) => return Ok(IssueOutcome::NotIssued),
                (true, _) => {
                    let policy = manifest.reissue();
                    let grants: String = members::table
                        .find((election, member))
                        .select(members::reissue_grants)
                        .first(conn)?;
                    let granted = grants.split(',').any(|c| c == contest);
                    if let Err(refused) = policy.allows(issue - 1, granted) {
                        return Ok(IssueOutcome::NoReissue(refused));
                    }
                    if policy.by == ReissueBy::Officer {
                        // The grant is used up by this re-issue.
                        diesel::update(members::table.find((election, member)))
                            .set(members::reissue_grants.eq(without_one(&grants, contest)))
                            .execute(conn)?;
                    }
                }
            }
            diesel::insert_into(issuances::table)
                .values((
                    issuances::election.eq(election),
                    issuances::contest.eq(contest),
                    issuances::member.eq(member),
                    issuances::blinded.eq(&issued.blinded),
                    issuances::blind_sig.eq(&issued.blind_sig),
                    issuances::reissue.eq(issue > 0),
                    issuances::published.eq(false),
                    issuances::issue.eq(issue),
                ))
                .execute(conn)?;
            publish_issuances(conn, manifest, ISSUANCE_BATCH)?;
            Ok(IssueOutcome::Issued)
        })
    }

    /// The returning officer grants `member` one re-issue in each of `contests` (docs/PROTOCOL.md
    /// §8, `by: officer`); each must be one the member is eligible for, in an open election
    /// whose policy is `by: officer`, and short of the limit counting grants not yet used.
    /// The events log says how many grants were made, never to whom (unlinkability.md).
    pub fn grant_reissue(
        &self,
        manifest: &Manifest,
        member: &str,
        contests: &[&str],
    ) -> Result<()> {
        let election = manifest.draft().election.as_str();
        let policy = manifest.reissue();
        self.transaction(|conn| {
            // The state, then the issuance log's lock (the order of close_election): a grant
            // and a re-issue do not race, and no grant is made after the close.
            transition(conn, election, ElectionState::Open, ElectionState::Open)?;
            lock_head(conn, election, ISSUANCE)?;
            let grants: String = members::table
                .find((election, member))
                .select(members::reissue_grants)
                .first(conn)
                .optional()?
                .ok_or_else(|| StoreError::NoMember {
                    election: election.to_owned(),
                    member: member.to_owned(),
                })?;
            let mut updated = grants.clone();
            for &contest in contests {
                let issued = issued_to(conn, election, contest, member)?.len() as i64;
                let waiting = updated.split(',').filter(|c| *c == contest).count() as i64;
                let reissued = (issued - 1).max(0);
                if reissued + waiting >= policy.limit {
                    return Err(StoreError::ReissueLimit {
                        member: member.to_owned(),
                        contest: contest.to_owned(),
                        reissued,
                        waiting,
                        limit: policy.limit,
                    });
                }
                if !updated.is_empty() {
                    updated.push(',');
                }
                updated.push_str(contest);
            }
            diesel::update(members::table.find((election, member)))
                .set(members::reissue_grants.eq(&updated))
                .execute(conn)?;
            event(
                conn,
                election,
                "pass re-issue granted",
                &format!("a member may have a new pass in: {}", contests.join(", ")),
            )
        })
    }

    /// Admits one login attempt against each subject (`(subject, free attempts)`), counted
    /// before its code is hashed, or answers how long to wait. In one transaction that locks the
    /// subjects' rows: concurrent attempts count each other, so of 60 at once against a subject
    /// with 5 free, 5 are admitted. The attempt that uses a subject's last free one starts its
    /// wait (30 s, doubling per further attempt, at most an hour); `login_succeeded` takes back
    /// an attempt that turned out right.
    pub fn begin_login(
        &self,
        election: &str,
        subjects: &[(&str, i64)],
    ) -> Result<Result<(), Throttled>> {
        let now = now();
        // Rows are locked in byte order of subject (the store's lock order).
        let mut subjects = subjects.to_vec();
        subjects.sort_unstable();
        self.transaction(|conn| {
            let mut counts = Vec::with_capacity(subjects.len());
            for &(subject, _) in &subjects {
                // Insert-or-touch takes the row's lock (one statement, so two first attempts
                // do not race to insert it); then read it under that lock.
                macro_rules! touch {
                    ($c:expr) => {
                        diesel::insert_into(throttle::table)
                            .values((
                                throttle::election.eq(election),
                                throttle::subject.eq(subject),
                                throttle::failures.eq(0),
                                throttle::blocked_until.eq(0),
                            ))
                            .on_conflict((throttle::election, throttle::subject))
                            .do_update()
                            .set(throttle::failures.eq(throttle::failures))
                            .execute($c)
                    };
                }
                match conn {
                    AnyConnection::Sqlite(c) => touch!(c)?,
                    AnyConnection::Postgresql(c) => touch!(c)?,
                };
                let row: (i64, i64) = throttle::table
                    .find((election, subject))
                    .select((throttle::failures, throttle::blocked_until))
                    .first(conn)?;
                counts.push(row);
            }
            let wait = counts
                .iter()
                .map(|&(_, until)| until - now)
                .max()
                .unwrap_or(0);
            if wait > 0 {
                return Ok(Err(Throttled { retry_after: wait }));
            }
            for (&(subject, free), &(failures, _)) in subjects.iter().zip(&counts) {
                let failures = failures + 1;
                let blocked_until = match failures >= free {
                    true => now + (30i64 << (failures - free).min(7)).min(3600),
                    false => 0,
                };
                diesel::update(throttle::table.find((election, subject)))
                    .set((
                        throttle::failures.eq(failures),
                        throttle::blocked_until.eq(blocked_until),
                    ))
                    .execute(conn)?;
            }
            Ok(Ok(()))
        })
    }

    /// Takes back an admitted attempt whose code was right: the member's subject is cleared;
    /// the address's count goes down by one, and its wait ends if it is back under `free`.
    pub fn login_succeeded(
        &self,
        election: &str,
        member: &str,
        (address, free): (&str, i64),
    ) -> Result<()> {
        self.transaction(|conn| {
            // Both rows locked first, in byte order of subject (the store's lock order).
            let mut subjects = [member, address];
            subjects.sort_unstable();
            for subject in subjects {
                diesel::update(throttle::table.find((election, subject)))
                    .set(throttle::failures.eq(throttle::failures))
                    .execute(conn)?;
            }
            diesel::delete(throttle::table.find((election, member))).execute(conn)?;
            let failures: Option<i64> = throttle::table
                .find((election, address))
                .select(throttle::failures)
                .first(conn)
                .optional()?;
            if let Some(failures) = failures {
                let failures = (failures - 1).max(0);
                let row = throttle::table.find((election, address));
                match failures < free {
                    true => diesel::update(row)
                        .set((
                            throttle::failures.eq(failures),
                            throttle::blocked_until.eq(0),
                        ))
                        .execute(conn)?,
                    false => diesel::update(row)
                        .set(throttle::failures.eq(failures))
                        .execute(conn)?,
                };
            }
            Ok(())
        })
    }

    /// Turnout per contest and region: never a count of preferences.
    pub fn turnout(&self, manifest: &Manifest) -> Result<Turnout> {
        let election = manifest.draft().election.as_str();
        let mut conn = self.conn()?;
        let rows: Vec<(String, String)> = members::table
            .filter(members::election.eq(election))
            .select((members::region, members::eligible))
            .load(&mut *conn)?;
        let issued: Vec<(String, String)> = issuances::table
            .filter(issuances::election.eq(election))
            .select((issuances::contest, issuances::member))
            .load(&mut *conn)?;
        let cast: Vec<String> = casts::table
            .filter(casts::election.eq(election))
            .select(casts::contest)
            .load(&mut *conn)?;
        let issued_members: std::collections::BTreeSet<&str> =
            issued.iter().map(|(_, m)| m.as_str()).collect();
        let member_regions: std::collections::BTreeMap<String, String> = members::table
            .filter(members::election.eq(election))
            .select((members::number, members::region))
            .load::<(String, String)>(&mut *conn)?
            .into_iter()
            .collect();
        let contests = manifest
            .contests()
            .iter()
            .map(|c| {
                let id = c.id();
                let eligible = rows
                    .iter()
                    .filter(|(_, e)| e.split(',').any(|x| x == id))
                    .count() as i64;
                let passes = issued.iter().filter(|(c, _)| c == id).count() as i64;
                let ballots = cast.iter().filter(|c| *c == id).count() as i64;
                (id.to_owned(), eligible, passes, ballots)
            })
            .collect();
        let mut regions: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
        for (region, _) in &rows {
            regions.entry(region.clone()).or_default().0 += 1;
        }
        for member in issued_members {
            if let Some(region) = member_regions.get(member) {
                regions.entry(region.clone()).or_default().1 += 1;
            }
        }
        Ok(Turnout {
            contests,
            regions: regions.into_iter().map(|(r, (m, i))| (r, m, i)).collect(),
        })
    }

    /// The returning officer's event log of an election: `(unix time, kind, detail)`.
    pub fn events(&self, election: &str) -> Result<Vec<(i64, String, String)>> {
        Ok(events::table
            .filter(events::election.eq(election))
            .order(events::id)
            .select((events::at, events::kind, events::detail))
            .load(&mut *self.conn()?)?)
    }
}
