//! What a store call can fail with (STYLE.md §4): one type, so the server answers each cause as
//! what it is — a database it cannot reach is `503 unavailable`, an election not yet open has no
//! log (`not_open`) — without matching on message text, and the CLI prints the same sentences.
//! A variant's message never repeats its source: print the chain (`{:#}` of an `anyhow::Error`)
//! to read the whole cause.

use std::sync::Arc;

use crate::core::crypto::{CanonicalError, DecodeError};
use crate::core::log::{CheckpointError, NoteError, ProofError};
use crate::core::manifest::format_instant;

use super::ElectionState;

/// A store call's result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No connection within the pool's timeout (the database is down, or every connection busy).
    #[error("connecting to the database {database}")]
    Unreachable {
        /// The database's URL, any password hidden.
        database: String,
        /// The pool's reason.
        source: diesel::r2d2::PoolError,
    },
    /// A statement failed (see [`StoreError::is_unavailable`] for the ones worth a retry).
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// `--database` was given a SQLite URI, whose options would not suit a ballot box.
    #[error(
        "--database {0:?} looks like a SQLite URI; give the database file's path \
         (e.g. teller.db or sqlite://teller.db) or a postgres:// URL"
    )]
    SqliteUri(String),
    /// The directory for a SQLite file could not be made.
    #[error("creating {path}")]
    CreateDirectory {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The embedded migrations failed.
    #[error("bringing the database schema up to date: {0}")]
    Migrations(Box<dyn std::error::Error + Send + Sync>),
    /// No election has this id.
    #[error("there is no election {0:?} in this database")]
    NoElection(String),
    /// The id is taken.
    #[error("there is already an election {0:?} in this database")]
    ElectionExists(String),
    /// An edit of an election whose invitations carry its fingerprint.
    #[error(
        "the invitations of {0:?} have gone out with its fingerprint, so it can no longer be \
         edited"
    )]
    Invited(String),
    /// Someone else changed the election between reading and writing it.
    #[error("election {0:?} was changed meanwhile: look at it again and redo your edit")]
    ChangedMeanwhile(String),
    /// The election is not in the state the step needs.
    #[error("election {election:?} is {state}, not {expected}")]
    WrongState {
        /// The election.
        election: String,
        /// Its state.
        state: String,
        /// The state the step needs.
        expected: ElectionState,
    },
    /// Opening needs a register.
    #[error("election {0:?} has no register yet: run `teller register import`")]
    NoRegister(String),
    /// The member number is not on the election's register.
    #[error("there is no member {member:?} on the register of {election:?}")]
    NoMember {
        /// The election.
        election: String,
        /// The member number.
        member: String,
    },
    /// The member was removed from the election after it opened.
    #[error("member {member:?} was removed from {election:?} after it opened")]
    MemberRemoved {
        /// The election.
        election: String,
        /// The member number.
        member: String,
    },
    /// The log does not exist: the election has not opened, or this database does not hold the
    /// role that keeps it.
    #[error("election {election:?} has no {log} log (is it open?)")]
    NoLog {
        /// The election.
        election: String,
        /// The log.
        log: super::LogName,
    },
    /// A proof was asked of a tree larger than the log.
    #[error("the log has {size} entries, not {asked}")]
    BeyondLog {
        /// The log's size.
        size: u64,
        /// The tree size asked for.
        asked: u64,
    },
    /// Closing needs the key of each role the database holds.
    #[error("closing {election:?} needs the {key} (not loaded)")]
    NoSigner {
        /// The election.
        election: String,
        /// Which key.
        key: &'static str,
    },
    /// The closing time cannot move as asked.
    #[error(transparent)]
    Extend(#[from] ExtendRefused),
    /// The officer's grant would pass the manifest's re-issue limit.
    #[error(
        "member {member:?} has had {reissued} re-issue(s) in contest {contest:?} and {waiting} grant(s) not yet used; the manifest allows {limit} per member and contest"
    )]
    ReissueLimit {
        /// The member number.
        member: String,
        /// The contest.
        contest: String,
        /// Re-issues made.
        reissued: i64,
        /// Grants not yet used.
        waiting: i64,
        /// The manifest's limit.
        limit: i64,
    },
    /// Something stored does not have the form Teller wrote (damage, or a hand edit).
    #[error("{0} is damaged")]
    Damaged(String),
    /// A stored entry does not decode.
    #[error("entry {seq} of the ballot log of {election:?} is damaged")]
    DamagedEntry {
        /// The election.
        election: String,
        /// The entry.
        seq: i64,
        /// Why.
        source: DecodeError,
    },
    /// An entry to append does not encode.
    #[error("encoding a log entry")]
    Encode(#[from] CanonicalError),
    /// A checkpoint could not be made.
    #[error("making a checkpoint")]
    Checkpoint(#[from] CheckpointError),
    /// A checkpoint could not be signed.
    #[error("signing a checkpoint")]
    Sign(#[from] NoteError),
    /// A proof could not be built from the stored subtrees.
    #[error("building a proof")]
    Proof(#[from] ProofError),
    /// One election's part of the sequencer's batch failed; every cast of it gets this.
    #[error("appending to election {election:?}'s ballot log")]
    Batch {
        /// The election.
        election: String,
        /// The transaction's error, shared by the casts it carried.
        source: Arc<StoreError>,
    },
    /// Appending the sequencer's batch panicked (a bug); nothing of it was committed.
    #[error("appending a batch of casts panicked")]
    Panicked,
    /// A cast of the sequencer's batch got no outcome (a bug: every cast is answered).
    #[error("a cast of the batch was not sequenced")]
    Unsequenced,
    /// A key file of the election's key directory is missing or not the manifest's.
    #[error(transparent)]
    Keys(#[from] super::KeyError),
}

impl StoreError {
    /// Whether the cause is the database's state, not the request: unreachable, its connection
    /// lost, or a transaction it aborted for a serialization conflict. The
    /// server answers these `503 unavailable` with `Retry-After`.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            Self::Unreachable { .. } => true,
            Self::Database(Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure,
                _,
            )) => true,
            Self::Batch { source, .. } => source.is_unavailable(),
            _ => false,
        }
    }
}

/// Why the closing time cannot move as asked.
#[derive(Debug, thiserror::Error)]
pub enum ExtendRefused {
    /// Closed or tallied already.
    #[error("election {election:?} is {state}: only an election not yet closed can be extended")]
    NotOpen {
        /// The election.
        election: String,
        /// Its state.
        state: String,
    },
    /// The window in force has ended.
    #[error(
        "election {election:?} closed at {}: a window that has ended cannot be extended",
        format_instant(*closed)
    )]
    Ended {
        /// The election.
        election: String,
        /// When it closed (Unix seconds).
        closed: i64,
    },
    /// Extensions only move the close later.
    #[error(
        "the new closing time {} is not after the one in force, {} (to close early, run `teller election close`)",
        format_instant(*asked),
        format_instant(*in_force)
    )]
    NotLater {
        /// The time asked for (Unix seconds).
        asked: i64,
        /// The closing time in force (Unix seconds).
        in_force: i64,
    },
}
