//! The two logs in the database: entries, the head (hash chain and Merkle frontier), complete
//! subtrees for proofs, signed checkpoints, and the ballot box's batch append.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use diesel::prelude::*;

use super::schema::{casts, checkpoints, elections, log_entries, log_heads, merkle_nodes};
use super::{AnyConnection, ElectionState, Result, Store, StoreError, effective, insert_rows, now};
use crate::core::ballot::{AcceptedCast, CastRefused, check_sequenced};
use crate::core::crypto::Bytes;
use crate::core::log::{
    Checkpoint, ConsistencyProof, Entry, Frontier, Hash, InclusionProof, NoteSigner,
    consistency_proof_with, entry_hash, inclusion_proof_with, leaf_hash, subtree_from_nodes,
};
use crate::core::manifest::{Instants, Revote};
use crate::core::record::{jsonl, layout};

/// A log's files for the record.
pub struct LogFiles {
    /// `(path, bytes)`: the entries, then each checkpoint.
    pub files: Vec<(String, Vec<u8>)>,
    /// Whether the last checkpoint covers every entry (it does once the log is closed).
    pub complete: bool,
}

/// Which of an election's two logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogName {
    /// The ballot log (the ballot box's).
    Ballots,
    /// The issuance log (the issuer's).
    Issuance,
}

impl LogName {
    /// The name in the tables, in URLs and in the record's file names.
    pub fn as_str(self) -> &'static str {
        match self {
            LogName::Ballots => "ballots",
            LogName::Issuance => "issuance",
        }
    }

    /// The log `name` names, if any.
    pub fn parse(name: &str) -> Option<Self> {
        [LogName::Ballots, LogName::Issuance]
            .into_iter()
            .find(|log| log.as_str() == name)
    }
}

impl std::fmt::Display for LogName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ballot log.
pub const BALLOTS: LogName = LogName::Ballots;
/// The issuance log.
pub const ISSUANCE: LogName = LogName::Issuance;

/// A log's head: what the next entry chains to, and the Merkle frontier.
#[derive(Clone, Debug)]
pub struct Head {
    election: String,
    log: LogName,
    /// The chain hash the next entry's `prev` must be.
    pub last: [u8; 32],
    /// The Merkle tree's right edge.
    pub frontier: Frontier,
}

impl Head {
    /// The number of entries.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }
}

/// A cast the box has checked, waiting for the sequencer.
#[derive(Clone, Debug)]
pub struct PendingCast {
    /// The election.
    pub election: String,
    /// The checked cast.
    pub cast: AcceptedCast,
    /// The voting key's previous entry the cast was checked against (under re-voting policy
    /// `last`, the entry the ballot says it replaces).
    pub previous: Option<i64>,
    /// The election's re-voting policy.
    pub revote: Revote,
    /// The manifest's voting window; the cast is refused (`Closed`) unless the time it is
    /// sequenced falls inside it, with any extension the database holds.
    pub window: Instants,
}

/// Where an appended entry landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Its sequence number.
    pub seq: i64,
    /// Its Merkle leaf hash.
    pub leaf: Hash,
    /// Its bytes.
    pub entry: Vec<u8>,
}

/// Takes the log's write lock (an update of its head row, so it is the transaction's first
/// statement and a write) and reads the head.
pub fn lock_head(conn: &mut AnyConnection, election: &str, log: LogName) -> Result<Head> {
    let updated = diesel::update(log_heads::table.find((election, log.as_str())))
        .set(log_heads::last.eq(log_heads::last))
        .execute(conn)?;
    if updated != 1 {
        return Err(StoreError::NoLog {
            election: election.to_owned(),
            log,
        });
    }
    read_head(conn, election, log)
}

/// Reads the head without locking.
pub fn read_head(conn: &mut AnyConnection, election: &str, log: LogName) -> Result<Head> {
    let (frontier, last): (Vec<u8>, Vec<u8>) = log_heads::table
        .find((election, log.as_str()))
        .select((log_heads::frontier, log_heads::last))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NoLog {
            election: election.to_owned(),
            log,
        })?;
    Ok(Head {
        election: election.to_owned(),
        log,
        last: last
            .try_into()
            .map_err(|_| StoreError::Damaged(format!("the {log} log's head")))?,
        frontier: Frontier::from_bytes(&frontier)
            .ok_or_else(|| StoreError::Damaged(format!("the {log} log's head")))?,
    })
}

/// Creates an empty log whose chain starts at the manifest `fingerprint`.
pub fn create_log(
    conn: &mut AnyConnection,
    election: &str,
    log: LogName,
    fingerprint: [u8; 32],
) -> Result<Head> {
    let head = Head {
        election: election.to_owned(),
        log,
        last: fingerprint,
        frontier: Frontier::default(),
    };
    diesel::insert_into(log_heads::table)
        .values((
            log_heads::election.eq(election),
            log_heads::log.eq(log.as_str()),
            log_heads::frontier.eq(head.frontier.to_bytes()),
            log_heads::last.eq(head.last.to_vec()),
        ))
        .execute(conn)?;
    Ok(head)
}

/// Appends the entries `make` builds, one per item, and saves the head. Call inside the
/// transaction that took [`lock_head`].
pub fn append<T>(
    conn: &mut AnyConnection,
    head: &mut Head,
    items: impl IntoIterator<Item = T>,
    mut make: impl FnMut(T, i64, Bytes<32>) -> Entry,
) -> Result<Vec<Appended>> {
    let mut appended = Vec::new();
    let mut entry_rows = Vec::new();
    let mut node_rows = Vec::new();
    for item in items {
        let seq = head.size() as i64;
        let bytes = make(item, seq, head.last.into()).encode()?;
        head.last = entry_hash(&bytes);
        let leaf = leaf_hash(&bytes);
        for (level, index, hash) in head.frontier.push(leaf) {
            node_rows.push((
                merkle_nodes::election.eq(head.election.clone()),
                merkle_nodes::log.eq(head.log.as_str()),
                merkle_nodes::level.eq(i64::from(level)),
                merkle_nodes::idx.eq(index as i64),
                merkle_nodes::hash.eq(hash.to_vec()),
            ));
        }
        entry_rows.push((
            log_entries::election.eq(head.election.clone()),
            log_entries::log.eq(head.log.as_str()),
            log_entries::seq.eq(seq),
            log_entries::entry.eq(bytes.clone()),
        ));
        appended.push(Appended {
            seq,
            leaf,
            entry: bytes,
        });
    }
    // SQLite allows at most 32,766 bound values a statement.
    for rows in entry_rows.chunks(1000) {
        insert_rows!(&mut *conn, log_entries::table, rows)?;
    }
    for rows in node_rows.chunks(1000) {
        insert_rows!(&mut *conn, merkle_nodes::table, rows)?;
    }
    diesel::update(log_heads::table.find((&head.election, head.log.as_str())))
        .set((
            log_heads::frontier.eq(head.frontier.to_bytes()),
            log_heads::last.eq(head.last.to_vec()),
        ))
        .execute(conn)?;
    Ok(appended)
}

/// The outcome of one cast in a sequenced batch.
pub type CastOutcome = Result<Appended, CastRefused>;

impl Store {
    /// The sequencer's group commit: appends a batch of checked casts to their elections' ballot
    /// logs in one transaction per election, re-checking under the lock that each election is open
    /// and that each voting key's previous ballot is still the one the cast was checked against.
    /// Returns only after the transactions are durable. Each cast gets its own answer: a failed
    /// transaction fails only its own election's casts (nothing of them is kept), never the casts
    /// of another election's transaction, which may already be durable. One function so that the
    /// transaction's steps read top to bottom in the store's lock order.
    pub fn append_casts(&self, batch: Vec<PendingCast>) -> Vec<Result<CastOutcome>> {
        let mut outcomes: Vec<Option<Result<CastOutcome>>> =
            (0..batch.len()).map(|_| None).collect();
        let mut by_election: std::collections::BTreeMap<String, Vec<(usize, PendingCast)>> =
            Default::default();
        for (i, pending) in batch.into_iter().enumerate() {
            by_election
                .entry(pending.election.clone())
                .or_default()
                .push((i, pending));
        }
        for (election, casts_in) in by_election {
            let indices: Vec<usize> = casts_in.iter().map(|(i, _)| *i).collect();
            let results = self.transaction(|conn| {
                let mut head = lock_head(conn, &election, BALLOTS)?;
                let (state, extended): (String, Option<i64>) = elections::table
                    .find(&election)
                    .select((elections::state, elections::closes_extended))
                    .first(conn)?;
                // Under the lock: a cast sequenced at or after the closing time is refused even
                // if the close itself has not run yet.
                let open = state == ElectionState::Open.as_str()
                    && casts_in
                        .first()
                        .is_some_and(|(_, p)| effective(p.window, extended).contains(now()));
                let mut results = Vec::new();
                let mut accepted: Vec<(usize, Vec<u8>, AcceptedCast)> = Vec::new();
                // Resent casts identical to one accepted earlier in this batch: (index in the
                // batch, index in `accepted`).
                let mut resent = Vec::new();
                // Each voting key's latest ballot: from the table (one query for the batch), then
                // as this batch appends.
                let keys: Vec<Vec<u8>> = casts_in
                    .iter()
                    .map(|(_, p)| p.cast.pass().key.0.clone())
                    .collect();
                let mut latest: std::collections::HashMap<Vec<u8>, i64> = casts::table
                    .filter(casts::election.eq(&election))
                    .filter(casts::pass_key.eq_any(&keys))
                    .select((casts::pass_key, casts::last_seq))
                    .load::<(Vec<u8>, i64)>(conn)?
                    .into_iter()
                    .collect();
                let stored: std::collections::HashSet<Vec<u8>> = latest.keys().cloned().collect();
                for ((i, pending), key) in casts_in.into_iter().zip(keys) {
                    if !open {
                        results.push((i, Err(CastRefused::Closed)));
                        continue;
                    }
                    let previous = latest.get(&key).copied();
                    if let Err(refused) =
                        check_sequenced(pending.revote, previous, pending.previous)
                    {
                        // A booth that lost the answer resends the identical cast: if it is the
                        // voting key's latest ballot, it gets that ballot's place, not a refusal.
                        match previous {
                            Some(seq) if seq >= head.size() as i64 => {
                                let at = (seq - head.size() as i64) as usize;
                                // Both casts are unsequenced, so equal casts are equal entries.
                                if accepted.get(at).is_some_and(|(_, _, c)| *c == pending.cast) {
                                    resent.push((i, at));
                                    continue;
                                }
                            }
                            Some(seq) => {
                                if let Some(logged) =
                                    logged_as(conn, &election, seq, &pending.cast)?
                                {
                                    results.push((i, Ok(logged)));
                                    continue;
                                }
                            }
                            None => {}
                        }
                        results.push((i, Err(refused)));
                        continue;
                    }
                    latest.insert(key.clone(), head.size() as i64 + accepted.len() as i64);
                    accepted.push((i, key, pending.cast));
                }
                let meta: Vec<(usize, Vec<u8>, String)> = accepted
                    .iter()
                    .map(|(i, key, cast)| (*i, key.clone(), cast.contest().to_owned()))
                    .collect();
                let appended = append(
                    conn,
                    &mut head,
                    accepted.into_iter().map(|(_, _, cast)| cast),
                    |cast, seq, prev| Entry::Ballot(cast.into_entry(seq, prev)),
                )?;
                for (i, at) in resent {
                    let appended = appended.get(at).ok_or(StoreError::Unsequenced)?;
                    results.push((i, Ok(appended.clone())));
                }
                let mut new_rows = Vec::new();
                for ((i, key, contest), appended) in meta.into_iter().zip(appended) {
                    // Only a key's last ballot of the batch is written back.
                    if latest.get(&key) == Some(&appended.seq) {
                        if stored.contains(&key) {
                            diesel::update(casts::table.find((&election, &key)))
                                .set(casts::last_seq.eq(appended.seq))
                                .execute(conn)?;
                        } else {
                            new_rows.push((
                                casts::election.eq(election.clone()),
                                casts::pass_key.eq(key),
                                casts::contest.eq(contest),
                                casts::last_seq.eq(appended.seq),
                            ));
                        }
                    }
                    results.push((i, Ok(appended)));
                }
                for rows in new_rows.chunks(1000) {
                    insert_rows!(&mut *conn, casts::table, rows)?;
                }
                Ok(results)
            });
            match results {
                Ok(results) => {
                    for (i, outcome) in results {
                        outcomes[i] = Some(Ok(outcome));
                    }
                }
                Err(error) => {
                    let error = std::sync::Arc::new(error);
                    for i in indices {
                        outcomes[i] = Some(Err(StoreError::Batch {
                            election: election.clone(),
                            source: error.clone(),
                        }));
                    }
                }
            }
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or(Err(StoreError::Unsequenced)))
            .collect()
    }

    /// The log's head, read without locking.
    pub fn head(&self, election: &str, log: LogName) -> Result<Head> {
        read_head(&mut *self.conn()?, election, log)
    }

    /// Entries `start..end` of a log.
    pub fn entries(
        &self,
        election: &str,
        log: LogName,
        start: i64,
        end: i64,
    ) -> Result<Vec<Vec<u8>>> {
        Ok(log_entries::table
            .filter(log_entries::election.eq(election))
            .filter(log_entries::log.eq(log.as_str()))
            .filter(log_entries::seq.ge(start))
            .filter(log_entries::seq.lt(end))
            .order(log_entries::seq)
            .select(log_entries::entry)
            .load(&mut *self.conn()?)?)
    }

    /// The inclusion proof of entry `seq` in the tree of `size` entries.
    pub fn inclusion_proof(
        &self,
        election: &str,
        log: LogName,
        seq: u64,
        size: u64,
    ) -> Result<InclusionProof> {
        let mut conn = self.conn()?;
        let head = read_head(&mut conn, election, log)?;
        if size > head.size() {
            return Err(StoreError::BeyondLog {
                size: head.size(),
                asked: size,
            });
        }
        let hashes = inclusion_proof_with_nodes(seq, size, election, log, &mut conn)?;
        Ok(InclusionProof {
            index: seq as i64,
            size: size as i64,
            hashes: hashes.into_iter().map(Into::into).collect(),
        })
    }

    /// The consistency proof from the tree of `old` entries to the tree of `new`.
    pub fn consistency_proof(
        &self,
        election: &str,
        log: LogName,
        old: u64,
        new: u64,
    ) -> Result<ConsistencyProof> {
        let mut conn = self.conn()?;
        let head = read_head(&mut conn, election, log)?;
        if new > head.size() {
            return Err(StoreError::BeyondLog {
                size: head.size(),
                asked: new,
            });
        }
        let mut node = node_reader(election, log, &mut conn);
        let hashes =
            consistency_proof_with(old, new, &mut |a, b| subtree_from_nodes(a, b, &mut node))?;
        Ok(ConsistencyProof {
            old: old as i64,
            new: new as i64,
            hashes: hashes.into_iter().map(Into::into).collect(),
        })
    }

    /// The latest signed checkpoint of a log, signing a new one when the log has grown and the
    /// latest is at least `max_age` seconds old (so a busy log is not re-signed on every request).
    pub fn checkpoint(
        &self,
        election: &str,
        log: LogName,
        origin: &str,
        signer: &NoteSigner,
        max_age: i64,
    ) -> Result<String> {
        let mut conn = self.conn()?;
        let latest: Option<(i64, String, i64)> = checkpoints::table
            .filter(checkpoints::election.eq(election))
            .filter(checkpoints::log.eq(log.as_str()))
            .order(checkpoints::size.desc())
            .select((checkpoints::size, checkpoints::note, checkpoints::created))
            .first(&mut *conn)
            .optional()?;
        let head = read_head(&mut conn, election, log)?;
        if let Some((size, note, created)) = &latest
            && (*size as u64 == head.size() || now() - created < max_age)
        {
            return Ok(note.clone());
        }
        let note = sign_head(&head, origin, signer)?;
        let inserted = diesel::insert_into(checkpoints::table)
            .values((
                checkpoints::election.eq(election),
                checkpoints::log.eq(log.as_str()),
                checkpoints::size.eq(head.size() as i64),
                checkpoints::note.eq(&note),
                checkpoints::created.eq(now()),
            ))
            .execute(&mut *conn);
        match inserted {
            Ok(_) => Ok(note),
            // Another process signed this size first: serve theirs, so one size has one note.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Ok(checkpoints::table
                .find((election, log.as_str(), head.size() as i64))
                .select(checkpoints::note)
                .first(&mut *conn)?),
            Err(e) => Err(e.into()),
        }
    }

    /// A log as the record holds it (docs/PROTOCOL.md §13): its entries, one a line, and every
    /// checkpoint signed of it, each with its path in the record.
    pub fn log_files(&self, election: &str, log: LogName) -> Result<LogFiles> {
        let size = self.head(election, log)?.size();
        let entries = self.entries(election, log, 0, size as i64)?;
        let checkpoints = self.checkpoints(election, log)?;
        let complete = checkpoints.last().map(|(s, _)| *s) == Some(size as i64);
        let (entries_path, checkpoint_path): (_, fn(u64) -> String) = match log {
            LogName::Ballots => (layout::BALLOT_LOG, layout::ballot_checkpoint),
            LogName::Issuance => (layout::ISSUANCE_LOG, layout::issuance_checkpoint),
        };
        let mut cosigned = self.all_cosignatures(election, log)?;
        let mut files = vec![(entries_path.to_owned(), jsonl(&entries))];
        files.extend(checkpoints.into_iter().map(|(size, mut note)| {
            // The witnesses' lines follow the log's own signature (docs/PROTOCOL.md §16).
            for line in cosigned.remove(&size).unwrap_or_default() {
                note.push_str(&line);
            }
            (checkpoint_path(size as u64), note.into_bytes())
        }));
        Ok(LogFiles { files, complete })
    }

    /// The stored checkpoint of a log of `size` entries, as the log signed it (no cosignatures).
    pub fn checkpoint_of_size(
        &self,
        election: &str,
        log: LogName,
        size: u64,
    ) -> Result<Option<String>> {
        Ok(checkpoints::table
            .find((election, log.as_str(), size as i64))
            .select(checkpoints::note)
            .first(&mut *self.conn()?)
            .optional()?)
    }

    /// Every stored checkpoint of a log: `(size, note)`, smallest first.
    pub fn checkpoints(&self, election: &str, log: LogName) -> Result<Vec<(i64, String)>> {
        Ok(checkpoints::table
            .filter(checkpoints::election.eq(election))
            .filter(checkpoints::log.eq(log.as_str()))
            .order(checkpoints::size)
            .select((checkpoints::size, checkpoints::note))
            .load(&mut *self.conn()?)?)
    }
}

/// Where ballot `seq` of the election's ballot log landed, if it is `cast` itself (a booth resending
/// a cast whose answer it lost); `None` if it differs in any field. One read, made only for a cast
/// the sequencer would otherwise refuse.
fn logged_as(
    conn: &mut AnyConnection,
    election: &str,
    seq: i64,
    cast: &AcceptedCast,
) -> Result<Option<Appended>> {
    let bytes: Vec<u8> = log_entries::table
        .find((election, BALLOTS.as_str(), seq))
        .select(log_entries::entry)
        .first(conn)?;
    let Entry::Ballot(logged) =
        Entry::decode(&bytes).map_err(|source| StoreError::DamagedEntry {
            election: election.to_owned(),
            seq,
            source,
        })?
    else {
        return Ok(None);
    };
    let same = cast.clone().into_entry(seq, logged.prev.clone()) == logged;
    Ok(same.then(|| Appended {
        seq,
        leaf: leaf_hash(&bytes),
        entry: bytes,
    }))
}

/// The head as a checkpoint of `origin`, signed by `signer`.
fn sign_head(head: &Head, origin: &str, signer: &NoteSigner) -> Result<String> {
    let checkpoint = Checkpoint::new(origin, head.size(), head.frontier.root())?;
    Ok(signer.sign(&checkpoint.to_text())?)
}

/// Signs and stores a checkpoint of the head (inside a write transaction).
pub fn store_checkpoint(
    conn: &mut AnyConnection,
    head: &Head,
    origin: &str,
    signer: &NoteSigner,
) -> Result<()> {
    let note = sign_head(head, origin, signer)?;
    diesel::delete(checkpoints::table.find((
        &head.election,
        head.log.as_str(),
        head.size() as i64,
    )))
    .execute(conn)?;
    diesel::insert_into(checkpoints::table)
        .values((
            checkpoints::election.eq(&head.election),
            checkpoints::log.eq(head.log.as_str()),
            checkpoints::size.eq(head.size() as i64),
            checkpoints::note.eq(note),
            checkpoints::created.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

fn node_reader<'a>(
    election: &'a str,
    log: LogName,
    conn: &'a mut AnyConnection,
) -> impl FnMut(u32, u64) -> Result<Hash> + 'a {
    move |level, index| {
        let hash: Vec<u8> = merkle_nodes::table
            .find((election, log.as_str(), i64::from(level), index as i64))
            .select(merkle_nodes::hash)
            .first(conn)?;
        hash.try_into().map_err(|_| {
            StoreError::Damaged(format!("Merkle node {level}/{index} of the {log} log"))
        })
    }
}

fn inclusion_proof_with_nodes(
    seq: u64,
    size: u64,
    election: &str,
    log: LogName,
    conn: &mut AnyConnection,
) -> Result<Vec<Hash>> {
    let mut node = node_reader(election, log, conn);
    inclusion_proof_with(size, seq, &mut |a, b| subtree_from_nodes(a, b, &mut node))
}
