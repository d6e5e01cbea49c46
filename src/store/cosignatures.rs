//! Witnesses' cosignatures of the logs' checkpoints (docs/PROTOCOL.md §16): one line per witness
//! and checkpoint, checked by the caller against the manifest's witness keys before it is stored,
//! and served after the checkpoint's own signature line. Append-only (the migration's triggers).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::{checkpoints, cosignatures};
use super::{LogName, Result, Store};

impl Store {
    /// Stores `line` (a cosignature by `witness` of the checkpoint of `size`, already checked);
    /// false if that witness's line for that checkpoint was stored before (the first is kept).
    pub fn add_cosignature(
        &self,
        election: &str,
        log: LogName,
        size: u64,
        witness: &str,
        line: &str,
    ) -> Result<bool> {
        let inserted = diesel::insert_into(cosignatures::table)
            .values((
                cosignatures::election.eq(election),
                cosignatures::log.eq(log.as_str()),
                cosignatures::size.eq(size as i64),
                cosignatures::witness.eq(witness),
                cosignatures::line.eq(line),
            ))
            .execute(&mut *self.conn()?);
        match inserted {
            Ok(_) => Ok(true),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// `note` (the log's checkpoint of `size`) with the witnesses' lines after it, by witness name.
    pub fn with_cosignatures(
        &self,
        election: &str,
        log: LogName,
        size: u64,
        note: String,
    ) -> Result<String> {
        let lines: Vec<String> = cosignatures::table
            .filter(cosignatures::election.eq(election))
            .filter(cosignatures::log.eq(log.as_str()))
            .filter(cosignatures::size.eq(size as i64))
            .order(cosignatures::witness)
            .select(cosignatures::line)
            .load(&mut *self.conn()?)?;
        Ok(lines.into_iter().fold(note, |note, line| note + &line))
    }

    /// The largest checkpoint of the log that `quorum` witnesses have cosigned, with their lines;
    /// `None` if there is none yet.
    pub fn witnessed_checkpoint(
        &self,
        election: &str,
        log: LogName,
        quorum: usize,
    ) -> Result<Option<String>> {
        let mut conn = self.conn()?;
        let size: Option<i64> = cosignatures::table
            .filter(cosignatures::election.eq(election))
            .filter(cosignatures::log.eq(log.as_str()))
            .group_by(cosignatures::size)
            .having(count_star().ge(quorum as i64))
            .select(cosignatures::size)
            .order(cosignatures::size.desc())
            .first(&mut *conn)
            .optional()?;
        let Some(size) = size else {
            return Ok(None);
        };
        let note: Option<String> = checkpoints::table
            .find((election, log.as_str(), size))
            .select(checkpoints::note)
            .first(&mut *conn)
            .optional()?;
        drop(conn);
        note.map(|note| self.with_cosignatures(election, log, size as u64, note))
            .transpose()
    }

    /// Every cosignature line of a log, by checkpoint size, each size's lines by witness name.
    pub(super) fn all_cosignatures(
        &self,
        election: &str,
        log: LogName,
    ) -> Result<BTreeMap<i64, Vec<String>>> {
        let rows: Vec<(i64, String)> = cosignatures::table
            .filter(cosignatures::election.eq(election))
            .filter(cosignatures::log.eq(log.as_str()))
            .order((cosignatures::size, cosignatures::witness))
            .select((cosignatures::size, cosignatures::line))
            .load(&mut *self.conn()?)?;
        let mut by_size: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (size, line) in rows {
            by_size.entry(size).or_default().push(line);
        }
        Ok(by_size)
    }

    /// How many cosignatures the election's logs hold (a published archive built with fewer is
    /// out of date).
    pub fn cosignature_count(&self, election: &str) -> Result<i64> {
        Ok(cosignatures::table
            .filter(cosignatures::election.eq(election))
            .select(count_star())
            .first(&mut *self.conn()?)?)
    }
}
