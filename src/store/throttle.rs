//! The login throttle's rows: failures per member and per address, taken in byte order of
//! subject (the store's lock order).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use diesel::prelude::*;

use super::schema::throttle;
use super::{AnyConnection, Result, Store, now};

/// A login subject that must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    /// Seconds until another attempt is allowed.
    pub retry_after: i64,
}

/// Login attempts for one member number from one address before that pair must wait (a right
/// code takes its attempt back).
pub const MEMBER_FREE_FAILURES: i64 = 5;
/// Login attempts from one address, not taken back by a right code, before it must wait (a branch
/// office shares one address).
pub const ADDRESS_FREE_FAILURES: i64 = 50;

/// Deletes the election's throttle rows, locking them in byte order of subject as logins do (the
/// store's lock order): a plain `DELETE` locks in scan order, and deadlocked with a login on
/// PostgreSQL. SQLite's writers take the whole database, so order does not arise there.
pub(super) fn delete_throttle_rows(conn: &mut AnyConnection, election: &str) -> Result<()> {
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

impl Store {
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
}
