//! The frozen register: members as imported, their invitation-code hashes, and turnout.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::elections::{event, transition};
use super::schema::{casts, elections, invitation_mail, issuances, members};
use super::{AnyConnection, ElectionState, Result, Store, StoreError, insert_rows};
use crate::core::manifest::Manifest;

/// Writes `codes` (member number, code hash) of members known to exist. PostgreSQL: one
/// statement for them all; SQLite, in process, one update each.
fn write_codes(conn: &mut AnyConnection, election: &str, codes: &[(String, String)]) -> Result<()> {
    match conn {
        AnyConnection::Postgresql(c) => {
            let (numbers, hashes): (Vec<&str>, Vec<&str>) =
                codes.iter().map(|(n, h)| (n.as_str(), h.as_str())).unzip();
            diesel::sql_query(
                "UPDATE members SET code_hash = v.hash \
                 FROM (SELECT unnest($2::text[]) AS number, unnest($3::text[]) AS hash) AS v \
                 WHERE members.election = $1 AND members.number = v.number",
            )
            .bind::<diesel::sql_types::Text, _>(election)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(numbers)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(hashes)
            .execute(c)?;
        }
        AnyConnection::Sqlite(c) => {
            for (number, hash) in codes {
                diesel::update(members::table.find((election, number)))
                    .set(members::code_hash.eq(hash))
                    .execute(c)?;
            }
        }
    }
    Ok(())
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
    /// The member's email from the register's optional `email` column, for invitations by
    /// email; cleared when the election closes.
    pub email: Option<String>,
    /// Removed by the returning officer after the election opened: no login, no pass.
    pub removed: bool,
    /// The removal is in the issuance log.
    pub removal_published: bool,
}

impl MemberRow {
    /// The contests the member may vote in.
    pub fn eligible_contests(&self) -> impl Iterator<Item = &str> {
        self.eligible.split(',').filter(|c| !c.is_empty())
    }
}

/// Turnout without any running tally: counts of eligibility, passes and ballots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Turnout {
    /// Per contest: (contest, eligible, passes issued, ballots cast).
    pub contests: Vec<(String, i64, i64, i64)>,
    /// Per region: (region, members, members issued at least one pass).
    pub regions: Vec<(String, i64, i64)>,
}

/// Replaces the election's member rows by `rows`, in chunks (a national register is large).
fn replace_members(conn: &mut AnyConnection, election: &str, rows: &[MemberRow]) -> Result<()> {
    diesel::delete(members::table.filter(members::election.eq(election))).execute(conn)?;
    for chunk in rows.chunks(2000) {
        insert_rows!(&mut *conn, members::table, chunk)?;
    }
    Ok(())
}

/// Counts of an election's register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberCounts {
    /// Members on the register.
    pub members: i64,
    /// Members with an invitation code (mailed, in letters or exported).
    pub invited: i64,
}

impl Store {
    /// Replaces the election's register (only before it opens), all or nothing.
    pub fn replace_register(&self, election: &str, rows: &[MemberRow]) -> Result<()> {
        self.transaction(|conn| {
            transition(
                conn,
                election,
                ElectionState::Created,
                ElectionState::Created,
            )?;
            replace_members(conn, election, rows)?;
            event(
                conn,
                &self.actor,
                election,
                "register imported",
                &format!("{} members", rows.len()),
            )
        })
    }

    /// Replaces the manifest of an election not yet open (`old`, as read) by `manifest`, with the
    /// register's rows worked out under it; refused once any member has an invitation code, and
    /// when the manifest is no longer `old` (another officer's edit).
    pub fn edit_election(
        &self,
        old: &Manifest,
        manifest: &Manifest,
        rows: &[MemberRow],
    ) -> Result<()> {
        let election = &manifest.draft().election;
        self.transaction(|conn| {
            transition(
                conn,
                election,
                ElectionState::Created,
                ElectionState::Created,
            )?;
            let invited: i64 = members::table
                .filter(members::election.eq(election))
                .filter(members::code_hash.is_not_null())
                .count()
                .get_result(conn)?;
            if invited > 0 {
                return Err(StoreError::Invited(election.clone()));
            }
            let changed = diesel::update(
                elections::table
                    .filter(elections::id.eq(election))
                    .filter(elections::manifest.eq(old.bytes())),
            )
            .set(elections::manifest.eq(manifest.bytes()))
            .execute(conn)?;
            if changed != 1 {
                return Err(StoreError::ChangedMeanwhile(election.clone()));
            }
            replace_members(conn, election, rows)?;
            event(
                conn,
                &self.actor,
                election,
                "edited",
                &format!(
                    "{} (was {})",
                    manifest.fingerprint_hex(),
                    old.fingerprint_hex()
                ),
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
    /// In chunks: one query reads a chunk's old codes, and on PostgreSQL one statement writes
    /// the chunk (half a million members would otherwise be a million round trips).
    pub fn set_codes(&self, election: &str, codes: &[(String, String)]) -> Result<()> {
        self.set_codes_as(election, codes, "invitations exported")
    }

    /// [`Store::set_codes`], with the events log saying how the codes went out (`kind`:
    /// `invitations exported`, `invitations emailed`).
    pub fn set_codes_as(
        &self,
        election: &str,
        codes: &[(String, String)],
        kind: &str,
    ) -> Result<()> {
        self.transaction(|conn| {
            for chunk in codes.chunks(1000) {
                let numbers: Vec<&str> = chunk.iter().map(|(n, _)| n.as_str()).collect();
                let old: BTreeMap<String, (Option<String>, bool)> = members::table
                    .filter(members::election.eq(election))
                    .filter(members::number.eq_any(numbers))
                    .select((members::number, (members::code_hash, members::removed)))
                    .load::<(String, (Option<String>, bool))>(conn)?
                    .into_iter()
                    .collect();
                for (number, _) in chunk {
                    match old.get(number) {
                        None => {
                            return Err(StoreError::NoMember {
                                election: election.to_owned(),
                                member: number.clone(),
                            });
                        }
                        // A removed member gets no new code (the last line of defence: the
                        // export, the mailer and the console leave them out before this).
                        Some((_, true)) => {
                            return Err(StoreError::MemberRemoved {
                                election: election.to_owned(),
                                member: number.clone(),
                            });
                        }
                        // Not named, so the events log holds no member's time (issue 9); the
                        // returning officer's own invitations file says whose code it was.
                        Some((Some(_), false)) => event(
                            conn,
                            &self.actor,
                            election,
                            "invitation re-issued",
                            "one member's code replaced: the old code no longer works",
                        )?,
                        Some((None, false)) => {}
                    }
                }
                // A new code also ends the member's sessions: their tokens are signed over the
                // old code's hash (server::session).
                write_codes(conn, election, chunk)?;
            }
            if !codes.is_empty() {
                event(
                    conn,
                    &self.actor,
                    election,
                    kind,
                    &format!("{} codes", codes.len()),
                )?;
            }
            Ok(())
        })
    }

    /// How many members are on the register, and how many of them have an invitation code
    /// (counted in the database: a national register is not loaded to count it).
    pub fn member_counts(&self, election: &str) -> Result<MemberCounts> {
        let mut conn = self.conn()?;
        let on_register = members::table.filter(members::election.eq(election));
        Ok(MemberCounts {
            members: on_register.count().get_result(&mut *conn)?,
            invited: on_register
                .filter(members::code_hash.is_not_null())
                .count()
                .get_result(&mut *conn)?,
        })
    }

    /// How many members were removed after the election opened.
    pub fn removed_members(&self, election: &str) -> Result<i64> {
        Ok(members::table
            .filter(members::election.eq(election))
            .filter(members::removed.eq(true))
            .count()
            .get_result(&mut *self.conn()?)?)
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
}

/// The state of the last invitation mailed to a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailStatus {
    /// The member number.
    pub member: String,
    /// `sent`, `re-sent`, `bounced` (the mail server refused the address for good) or `failed`
    /// (it could not be reached or refused for now: send again later).
    pub status: String,
    /// The mail server's words, for a bounce or a failure.
    pub detail: String,
}

impl Store {
    /// Records what became of a member's invitation mail (replacing the last).
    pub fn set_mail_status(
        &self,
        election: &str,
        member: &str,
        status: &str,
        detail: &str,
    ) -> Result<()> {
        let mut conn = self.conn()?;
        macro_rules! upsert {
            ($c:expr) => {
                diesel::insert_into(invitation_mail::table)
                    .values((
                        invitation_mail::election.eq(election),
                        invitation_mail::member.eq(member),
                        invitation_mail::status.eq(status),
                        invitation_mail::detail.eq(detail),
                    ))
                    .on_conflict((invitation_mail::election, invitation_mail::member))
                    .do_update()
                    .set((
                        invitation_mail::status.eq(status),
                        invitation_mail::detail.eq(detail),
                    ))
                    .execute($c)
            };
        }
        match &mut *conn {
            AnyConnection::Sqlite(c) => upsert!(c)?,
            AnyConnection::Postgresql(c) => upsert!(c)?,
        };
        Ok(())
    }

    /// The invitation mail states of an election's members, by member number.
    pub fn mail_statuses(&self, election: &str) -> Result<Vec<MailStatus>> {
        let rows: Vec<(String, String, String)> = invitation_mail::table
            .filter(invitation_mail::election.eq(election))
            .order(invitation_mail::member)
            .select((
                invitation_mail::member,
                invitation_mail::status,
                invitation_mail::detail,
            ))
            .load(&mut *self.conn()?)?;
        Ok(rows
            .into_iter()
            .map(|(member, status, detail)| MailStatus {
                member,
                status,
                detail,
            })
            .collect())
    }
}
