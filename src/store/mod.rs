//! The server's database through diesel: SQLite (embedded default: WAL, `synchronous=FULL`) or
//! PostgreSQL (`postgres://…`), one schema for both, migrations embedded and run at start.
//!
//! Write transactions start with a write (`lock_*`), so SQLite takes its write lock before it reads
//! and PostgreSQL serialises concurrent processes on the same row: several `teller serve`
//! processes on one PostgreSQL database append to one log.
//!
//! Lock order, in every transaction that takes more than one (PostgreSQL would otherwise find a
//! deadlock and abort one of them): the ballot log's head, then the election's row (its state),
//! then the issuance log's head, then a member's row (re-issue grants), then throttle rows in byte
//! order of their subject.
//!
//! By noun: `elections` (state, roles, open and close, the stored record, the events log),
//! `register` (members, code hashes, turnout), `issuance` (passes issued and their publication),
//! `throttle` (login failures), `log` (the two logs, checkpoints and proofs) and `keys` (the
//! election's secret keys, in files beside the database, never in it).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod cosignatures;
mod elections;
mod error;
mod issuance;
mod keys;
mod log;
mod officers;
mod register;
pub mod schema;
mod throttle;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness as _, embed_migrations};

pub use elections::{ElectionRow, ElectionState, Event, Roles, effective};
pub use error::{ExtendRefused, Result, StoreError};
pub use issuance::{IssueOutcome, StoredIssuance};
pub use keys::{
    BALLOT_LOG_KEY_FILE, ISSUANCE_LOG_KEY_FILE, IssuerKeys, KeyError, SESSION_KEY_FILE, ServerKeys,
    issuer_key_file, load_keys,
};
pub use log::{Appended, BALLOTS, CastOutcome, Head, ISSUANCE, LogName, PendingCast};
pub use officers::{OfficerRow, OfficerScope, OfficerSession};
pub use register::{MailStatus, MemberCounts, MemberRow, Turnout};
pub use throttle::{ADDRESS_FREE_FAILURES, MEMBER_FREE_FAILURES, Throttled};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

mod connection {
    #![allow(
        missing_docs,
        reason = "the derive writes undocumented items of its own"
    )]

    /// One connection to either backend.
    #[derive(diesel::MultiConnection)]
    pub enum AnyConnection {
        /// PostgreSQL.
        Postgresql(diesel::PgConnection),
        /// SQLite.
        Sqlite(diesel::SqliteConnection),
    }
}
pub use connection::AnyConnection;

/// The database every command and server process shares.
#[derive(Clone)]
pub struct Store {
    pool: Pool<Manager>,
    url: String,
    /// Who the events log names for actions through this handle: an officer's email in the
    /// console ([`Store::acting_as`]), empty for a command run on the server.
    actor: std::sync::Arc<str>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &redact(&self.url))
            .finish()
    }
}

/// The database URL with any password hidden, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Makes the pool's connections, to the one backend the URL names. diesel's own manager for a
/// multi-backend connection tries each backend in turn and, when all fail, says only "Invalid
/// connection url for multiconnection": the operator would not read why (a database that does
/// not exist, a refused connection, a wrong password).
#[derive(Debug)]
pub struct Manager {
    target: String,
    postgres: bool,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, diesel::r2d2::Error> {
        let conn = match self.postgres {
            true => diesel::PgConnection::establish(&self.target).map(AnyConnection::Postgresql),
            false => diesel::SqliteConnection::establish(&self.target).map(AnyConnection::Sqlite),
        };
        conn.map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Sqlite(conn) = conn {
            // WAL lets readers run beside the one writer; FULL syncs the WAL at every commit, so a
            // committed (acknowledged) ballot survives a crash or power loss. secure_delete zeroes
            // deleted rows, so the order of pending issuances is not left in free pages (issue 9).
            conn.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                 PRAGMA secure_delete = ON;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Store {
    /// Connects to `url` — a `postgres://` or `postgresql://` URL, or a SQLite file path
    /// (optionally `sqlite://PATH`) — and brings the schema up to date.
    pub fn open(url: &str) -> Result<Self> {
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let target = if postgres {
            url.to_owned()
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            // SQLite's own URIs would be taken as a file name (a directory `file:…` appeared);
            // their options (read-only, shared cache) would not suit a ballot box anyway.
            if path.starts_with("file:") || path.contains('?') {
                return Err(StoreError::SqliteUri(url.to_owned()));
            }
            if let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDirectory {
                    path: parent.to_owned(),
                    source,
                })?;
            }
            path.to_owned()
        };
        let manager = Manager { target, postgres };
        let pool = Pool::builder()
            .max_size(if postgres { 12 } else { 8 })
            // A request waits this long for a connection before the server answers 503.
            .connection_timeout(Duration::from_secs(10))
            .connection_customizer(Box::new(SqlitePragmas))
            .build(manager)
            .map_err(|source| StoreError::Unreachable {
                database: redact(url),
                source,
            })?;
        let store = Self {
            pool,
            url: url.to_owned(),
            actor: "".into(),
        };
        let mut conn = store.conn()?;
        let migrations = match &mut *conn {
            AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
            AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        };
        migrations.map_err(StoreError::Migrations)?;
        Ok(store)
    }

    /// The same database, with the events log naming `actor` (an officer's email) for what is
    /// done through it.
    pub fn acting_as(&self, actor: &str) -> Self {
        Self {
            actor: actor.into(),
            ..self.clone()
        }
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }

    /// A connection from the pool.
    pub fn conn(&self) -> Result<PooledConnection<Manager>> {
        self.pool.get().map_err(|source| StoreError::Unreachable {
            database: redact(&self.url),
            source,
        })
    }

    /// Runs `f` in one transaction: all of it commits, or none.
    pub fn transaction<T>(&self, f: impl FnOnce(&mut AnyConnection) -> Result<T>) -> Result<T> {
        let mut pooled = self.conn()?;
        let conn: &mut AnyConnection = &mut pooled;
        conn.transaction(f)
    }
}

/// Inserts many rows in one statement. diesel's multi-backend connection has no batch insert, so
/// this dispatches to the concrete connection.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::store::AnyConnection::Sqlite(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
            $crate::store::AnyConnection::Postgresql(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
        }
    };
}
pub(crate) use insert_rows;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://teller:hunter2@db:5432/teller"),
            "postgres://teller:***@db:5432/teller"
        );
        assert_eq!(redact("teller.db"), "teller.db");
    }

    /// `file:PATH?mode=ro` made a directory named `file:PATH` (issue 11 item 7): now refused,
    /// and nothing is created.
    #[test]
    fn a_sqlite_uri_is_refused_clearly() {
        let dir = std::env::temp_dir().join(format!("teller-uri-{}", std::process::id()));
        for url in [
            format!("file:{}/x.db?mode=ro", dir.display()),
            format!("{}/x.db?mode=ro", dir.display()),
        ] {
            let refused = Store::open(&url).unwrap_err().to_string();
            assert!(refused.contains("looks like a SQLite URI"), "{refused}");
        }
        assert!(!dir.exists());
        assert!(!std::path::Path::new(&format!("file:{}", dir.display())).exists());
    }
}
