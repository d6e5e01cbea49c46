//! Elections: their state and roles, creating, opening (the register frozen into rosters),
//! closing and extending them, the stored parts of the record, and the returning officer's
//! events log.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::ExtendRefused;
use super::issuance::publish_issuances;
use super::log::{BALLOTS, ISSUANCE, append, create_log, lock_head, store_checkpoint};
use super::schema::{elections, events, invitation_mail, log_heads, members, record_files};
use super::throttle::delete_throttle_rows;
use super::{AnyConnection, Result, Store, StoreError, now};
use crate::core::log::{CloseEntry, Entry, NoteSigner, OpenEntry, RosterCommitment};
use crate::core::manifest::{Instants, Manifest, format_instant};
use crate::core::record::layout;

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

    /// The state a stored name names.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Created, Self::Open, Self::Closed, Self::Tallied]
            .into_iter()
            .find(|s| s.as_str() == name)
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

/// One line of an election's events log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Unix time.
    pub at: i64,
    /// What happened: `created`, `opened`, `closed`, …
    pub kind: String,
    /// The particulars (never a member's name, number or code).
    pub detail: String,
    /// The officer who did it in the console (their email), or empty for a command run on the
    /// server.
    pub actor: String,
}

/// Who an event names, in words.
impl Event {
    /// The actor, or "command line" for a command run on the server.
    pub fn by(&self) -> &str {
        match self.actor.as_str() {
            "" => "command line",
            actor => actor,
        }
    }
}

pub(super) fn event(
    conn: &mut AnyConnection,
    actor: &str,
    election: &str,
    kind: &str,
    detail: &str,
) -> Result<()> {
    diesel::insert_into(events::table)
        .values((
            events::election.eq(election),
            events::at.eq(now()),
            events::kind.eq(kind),
            events::detail.eq(detail),
            events::actor.eq(actor),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves the election from state `from` to `to`, as the transaction's first write; fails with a
/// message naming the state it is in otherwise.
pub(super) fn transition(
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
                &self.actor,
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
            event(conn, &self.actor, election, "opened", &detail)
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
                // Members' emails and the state of their invitations were for getting them to
                // vote: kept no longer than that (member rows come before throttle rows in the
                // lock order).
                diesel::update(members::table.filter(members::election.eq(election)))
                    .set(members::email.eq(None::<String>))
                    .execute(conn)?;
                diesel::delete(
                    invitation_mail::table.filter(invitation_mail::election.eq(election)),
                )
                .execute(conn)?;
                // Failed logins are of no use once voting has ended, and a member's row holds
                // the time of their last failure (issue 9).
                delete_throttle_rows(conn, election)?;
                size = issuance.size();
            }
            if let Some(ballots) = &mut ballots {
                append(conn, ballots, [()], |(), seq, prev| {
                    Entry::Close(CloseEntry { seq, prev })
                })?;
                store_checkpoint(
                    conn,
                    ballots,
                    &manifest.ballot_log_origin(),
                    signer(ballot_signer, election, "ballot-log key")?,
                )?;
                size = ballots.size();
            }
            event(
                conn,
                &self.actor,
                election,
                "closed",
                &format!("{size} log entries"),
            )?;
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
            diesel::update(log_heads::table.find((election, BALLOTS.as_str())))
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
                &self.actor,
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
            event(conn, &self.actor, election, "tallied", "")
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

    /// The whole record of a tallied election (docs/PROTOCOL.md §13), as `GET …/record` publishes
    /// it; `None` before the tally. A ballot box run apart from its issuer stored the issuer's
    /// part when it tallied.
    pub fn published_record(&self, election: &str) -> Result<Option<BTreeMap<String, Vec<u8>>>> {
        let row = self.election(election)?;
        if !row.is(ElectionState::Tallied) {
            return Ok(None);
        }
        let mut files: BTreeMap<String, Vec<u8>> =
            self.record_files(election)?.into_iter().collect();
        files.insert(layout::MANIFEST.to_owned(), row.manifest.clone());
        files.extend(self.log_files(election, BALLOTS)?.files);
        if row.roles()?.issuer() {
            files.extend(self.log_files(election, ISSUANCE)?.files);
        }
        Ok(Some(files))
    }

    /// One stored file of the record (rosters; after the tally, the reveal, decryptions, BLT files
    /// and results), if it is there.
    pub fn record_file(&self, election: &str, path: &str) -> Result<Option<Vec<u8>>> {
        Ok(record_files::table
            .filter(record_files::election.eq(election))
            .filter(record_files::path.eq(path))
            .select(record_files::bytes)
            .first(&mut *self.conn()?)
            .optional()?)
    }

    /// Writes an event of the election that changes nothing else (a trustee's share handed
    /// over), as this store's actor.
    pub fn record_event(&self, election: &str, kind: &str, detail: &str) -> Result<()> {
        event(&mut *self.conn()?, &self.actor, election, kind, detail)
    }

    /// The returning officer's event log of an election, oldest first.
    pub fn events(&self, election: &str) -> Result<Vec<Event>> {
        let rows: Vec<(i64, String, String, String)> = events::table
            .filter(events::election.eq(election))
            .order(events::id)
            .select((events::at, events::kind, events::detail, events::actor))
            .load(&mut *self.conn()?)?;
        Ok(rows
            .into_iter()
            .map(|(at, kind, detail, actor)| Event {
                at,
                kind,
                detail,
                actor,
            })
            .collect())
    }
}
