//! Returning officers of the console (issue 15): who may act on which elections, their enrolment
//! and sign-in secrets (an argon2id password hash and a one-time-code secret), and their
//! sessions (only the SHA-256 of each session cookie). Nothing here is about members.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use diesel::prelude::*;

use super::schema::{officer_elections, officer_passkeys, officer_sessions, officers};
use super::{Result, Store, now};

/// The elections an officer is named for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OfficerScope {
    /// Every election on this server (`teller officer add --all`).
    All,
    /// These elections, by id.
    Elections(Vec<String>),
}

impl OfficerScope {
    /// Whether the officer may see and act on `election`.
    pub fn admits(&self, election: &str) -> bool {
        match self {
            Self::All => true,
            Self::Elections(ids) => ids.iter().any(|id| id == election),
        }
    }
}

/// An officer as stored.
#[derive(Clone, Debug)]
pub struct OfficerRow {
    /// Their email: the name they sign in with and the name the events log gives them.
    pub email: String,
    /// What they may act on.
    pub scope: OfficerScope,
    /// The argon2id PHC string of their password; `None` until they enrol.
    pub password_hash: Option<String>,
    /// The secret of their one-time codes; `None` until they enrol.
    pub totp_secret: Option<Vec<u8>>,
}

impl OfficerRow {
    /// Whether they have enrolled (chosen a password and proved their authenticator).
    pub fn enrolled(&self) -> bool {
        self.password_hash.is_some() && self.totp_secret.is_some()
    }
}

/// A signed-in officer's session, as stored under the SHA-256 of its cookie.
#[derive(Clone, Debug)]
pub struct OfficerSession {
    /// Whose session.
    pub email: String,
    /// The token every form of this session must carry.
    pub csrf: String,
    /// Unix time it ends.
    pub expires: i64,
}

impl Store {
    /// Names `email` an officer for `election` (or every election): a new officer gets the
    /// enrolment token whose SHA-256 is `enrol_hash`, good until `enrol_expires`; one not yet
    /// enrolled gets it in place of their old one; one already enrolled keeps their password and
    /// code, and the token is not stored. Returns whether it was stored.
    pub fn add_officer(
        &self,
        email: &str,
        election: Option<&str>,
        enrol_hash: &str,
        enrol_expires: i64,
    ) -> Result<bool> {
        self.transaction(|conn| {
            let existing: Option<(bool, Option<String>)> = officers::table
                .find(email)
                .select((officers::all_elections, officers::password_hash))
                .first(conn)
                .optional()?;
            let stored = match existing {
                None => {
                    diesel::insert_into(officers::table)
                        .values((
                            officers::email.eq(email),
                            officers::all_elections.eq(election.is_none()),
                            officers::enrol_hash.eq(enrol_hash),
                            officers::enrol_expires.eq(enrol_expires),
                            officers::created.eq(now()),
                        ))
                        .execute(conn)?;
                    true
                }
                Some((all, password)) => {
                    if election.is_none() && !all {
                        diesel::update(officers::table.find(email))
                            .set(officers::all_elections.eq(true))
                            .execute(conn)?;
                    }
                    let enrolled = password.is_some();
                    if !enrolled {
                        diesel::update(officers::table.find(email))
                            .set((
                                officers::enrol_hash.eq(enrol_hash),
                                officers::enrol_expires.eq(enrol_expires),
                            ))
                            .execute(conn)?;
                    }
                    !enrolled
                }
            };
            if let Some(election) = election {
                let named: i64 = officer_elections::table
                    .filter(officer_elections::email.eq(email))
                    .filter(officer_elections::election.eq(election))
                    .count()
                    .get_result(conn)?;
                if named == 0 {
                    diesel::insert_into(officer_elections::table)
                        .values((
                            officer_elections::email.eq(email),
                            officer_elections::election.eq(election),
                        ))
                        .execute(conn)?;
                }
            }
            Ok(stored)
        })
    }

    /// Every officer, by email.
    pub fn officers(&self) -> Result<Vec<OfficerRow>> {
        let emails: Vec<String> = officers::table
            .order(officers::email)
            .select(officers::email)
            .load(&mut *self.conn()?)?;
        let mut rows = Vec::with_capacity(emails.len());
        for email in emails {
            rows.extend(self.officer(&email)?);
        }
        Ok(rows)
    }

    /// The officer with this email.
    pub fn officer(&self, email: &str) -> Result<Option<OfficerRow>> {
        let mut conn = self.conn()?;
        let row: Option<(bool, Option<String>, Option<Vec<u8>>)> = officers::table
            .find(email)
            .select((
                officers::all_elections,
                officers::password_hash,
                officers::totp_secret,
            ))
            .first(&mut *conn)
            .optional()?;
        let Some((all, password_hash, totp_secret)) = row else {
            return Ok(None);
        };
        let scope = match all {
            true => OfficerScope::All,
            false => OfficerScope::Elections(
                officer_elections::table
                    .filter(officer_elections::email.eq(email))
                    .order(officer_elections::election)
                    .select(officer_elections::election)
                    .load(&mut *conn)?,
            ),
        };
        Ok(Some(OfficerRow {
            email: email.to_owned(),
            scope,
            password_hash,
            totp_secret,
        }))
    }

    /// The officer whose unexpired, unused enrolment token hashes to `enrol_hash`.
    pub fn officer_by_enrolment(&self, enrol_hash: &str) -> Result<Option<OfficerRow>> {
        let email: Option<String> = officers::table
            .filter(officers::enrol_hash.eq(enrol_hash))
            .filter(officers::enrol_expires.ge(now()))
            .select(officers::email)
            .first(&mut *self.conn()?)
            .optional()?;
        match email {
            Some(email) => self.officer(&email),
            None => Ok(None),
        }
    }

    /// Enrols the officer holding the enrolment token `enrol_hash`: stores their password hash
    /// and code secret, marks `step` used, and spends the token. Returns their email, or `None`
    /// if the token is unknown, used or expired.
    pub fn enrol_officer(
        &self,
        enrol_hash: &str,
        password_hash: &str,
        totp_secret: &[u8],
        step: i64,
    ) -> Result<Option<String>> {
        self.transaction(|conn| {
            let email: Option<String> = officers::table
                .filter(officers::enrol_hash.eq(enrol_hash))
                .filter(officers::enrol_expires.ge(now()))
                .select(officers::email)
                .first(conn)
                .optional()?;
            let Some(email) = email else {
                return Ok(None);
            };
            diesel::update(officers::table.find(&email))
                .set((
                    officers::password_hash.eq(password_hash),
                    officers::totp_secret.eq(totp_secret),
                    officers::totp_last_step.eq(step),
                    officers::enrol_hash.eq(None::<String>),
                ))
                .execute(conn)?;
            Ok(Some(email))
        })
    }

    /// Spends one-time-code step `step` of `email`: true if it is later than every step used
    /// before (RFC 6238 §5.2: a code is accepted once), false if it was used or an older one was.
    pub fn use_officer_code(&self, email: &str, step: i64) -> Result<bool> {
        let updated = diesel::update(
            officers::table
                .find(email)
                .filter(officers::totp_last_step.lt(step)),
        )
        .set(officers::totp_last_step.eq(step))
        .execute(&mut *self.conn()?)?;
        Ok(updated == 1)
    }

    /// Removes an officer: their elections and every session of theirs go with them. Returns
    /// whether there was one.
    pub fn remove_officer(&self, email: &str) -> Result<bool> {
        self.transaction(|conn| {
            diesel::delete(officer_sessions::table.filter(officer_sessions::email.eq(email)))
                .execute(conn)?;
            diesel::delete(officer_elections::table.filter(officer_elections::email.eq(email)))
                .execute(conn)?;
            diesel::delete(officer_passkeys::table.filter(officer_passkeys::email.eq(email)))
                .execute(conn)?;
            Ok(diesel::delete(officers::table.find(email)).execute(conn)? == 1)
        })
    }

    /// Starts a session: `id_hash` is the SHA-256 of its cookie.
    pub fn start_officer_session(
        &self,
        id_hash: &str,
        email: &str,
        csrf: &str,
        expires: i64,
    ) -> Result<()> {
        self.transaction(|conn| {
            // Ended sessions are swept here rather than by a timer.
            diesel::delete(officer_sessions::table.filter(officer_sessions::expires.lt(now())))
                .execute(conn)?;
            diesel::insert_into(officer_sessions::table)
                .values((
                    officer_sessions::id_hash.eq(id_hash),
                    officer_sessions::email.eq(email),
                    officer_sessions::csrf.eq(csrf),
                    officer_sessions::expires.eq(expires),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    /// The unexpired session whose cookie hashes to `id_hash`.
    pub fn officer_session(&self, id_hash: &str) -> Result<Option<OfficerSession>> {
        let row: Option<(String, String, i64)> = officer_sessions::table
            .find(id_hash)
            .filter(officer_sessions::expires.ge(now()))
            .select((
                officer_sessions::email,
                officer_sessions::csrf,
                officer_sessions::expires,
            ))
            .first(&mut *self.conn()?)
            .optional()?;
        Ok(row.map(|(email, csrf, expires)| OfficerSession {
            email,
            csrf,
            expires,
        }))
    }

    /// Ends the session whose cookie hashes to `id_hash` (signing out).
    pub fn end_officer_session(&self, id_hash: &str) -> Result<()> {
        diesel::delete(officer_sessions::table.find(id_hash)).execute(&mut *self.conn()?)?;
        Ok(())
    }

    /// Stores a passkey of `email`'s: `id` is its credential id (base64url), `passkey` its
    /// stored form (JSON).
    pub fn add_officer_passkey(&self, email: &str, id: &str, passkey: &str) -> Result<()> {
        diesel::insert_into(officer_passkeys::table)
            .values((
                officer_passkeys::id.eq(id),
                officer_passkeys::email.eq(email),
                officer_passkeys::passkey.eq(passkey),
            ))
            .execute(&mut *self.conn()?)?;
        Ok(())
    }

    /// `email`'s passkeys, as stored (JSON).
    pub fn officer_passkeys(&self, email: &str) -> Result<Vec<String>> {
        Ok(officer_passkeys::table
            .filter(officer_passkeys::email.eq(email))
            .order(officer_passkeys::id)
            .select(officer_passkeys::passkey)
            .load(&mut *self.conn()?)?)
    }

    /// Replaces a passkey's stored form (its signature counter moves on each use).
    pub fn update_officer_passkey(&self, id: &str, passkey: &str) -> Result<()> {
        diesel::update(officer_passkeys::table.find(id))
            .set(officer_passkeys::passkey.eq(passkey))
            .execute(&mut *self.conn()?)?;
        Ok(())
    }
}
