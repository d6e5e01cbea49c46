//! Issuances: the blind signatures a member was given per contest, re-issue grants, and their
//! publication into the issuance log in batches (in the order core gives them).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use diesel::prelude::*;

use super::ElectionState;
use super::elections::{event, transition};
use super::log::{ISSUANCE, append, lock_head};
use super::schema::{elections, issuances, members};
use super::{AnyConnection, Result, Store, StoreError};
use crate::core::events::{MEMBER_REMOVED, removal_detail};
use crate::core::log::{Entry, ISSUANCE_BATCH, IssuanceEntry, RemovalEntry, publication_order};
use crate::core::manifest::{Manifest, ReissueBy, ReissueRefused};
use crate::core::record::member_commitment;

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
    /// The member was removed from the election after it opened.
    Removed,
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
/// issuance), followed by the pending removals, when at least `min` issuances are pending (or,
/// with `min` 1, when anything is).
///
/// The batch's rows are then deleted and written again in the shuffled order, marked published:
/// a table keeps its insertion order (SQLite's rowid, PostgreSQL's `ctid` and `xmin`), and the
/// order of issuances is the order of ballots, so no finer order than the published batch may
/// stay in the database (issue 9). SQLite overwrites the deleted rows (`secure_delete`).
pub(super) fn publish_issuances(
    conn: &mut AnyConnection,
    manifest: &Manifest,
    min: usize,
) -> Result<usize> {
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
    // This runs on every pass issued: the members table is looked at for removals only when a
    // batch goes out anyway (full, or at the close with `min` 1); removals ride with it.
    if min > 1 && pending.len() < min {
        return Ok(0);
    }
    let removed: Vec<(String, String, Vec<u8>)> = members::table
        .filter(members::election.eq(election))
        .filter(members::removed.eq(true))
        .filter(members::removal_published.eq(false))
        .select((members::number, members::eligible, members::salt))
        .load(conn)?;
    let mut removals = Vec::new();
    for (member, eligible, salt) in &removed {
        for contest in eligible.split(',').filter(|c| !c.is_empty()) {
            removals.push((contest.to_owned(), commitment(contest, salt, member)?));
        }
    }
    let total = pending.len() + removals.len();
    if total == 0 {
        return Ok(0);
    }
    publication_order(&mut pending, &mut rand::rng(), |p| p.issue);
    let issued = pending
        .iter()
        .map(|p| -> Result<_> {
            let member = commitment(&p.contest, &p.salt, &p.member)?;
            Ok(Entry::Issuance(IssuanceEntry {
                seq: 0,
                prev: [0; 32].into(),
                contest: p.contest.clone(),
                member: member.into(),
                reissue: p.reissue,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    // Removals after the batch's issuances: every pass the member was issued was issued before
    // the removal (a removed member is refused under this lock), so the log shows none after it
    // (§10). Sorted by commitment, which says nothing about when or whom.
    removals.sort();
    let removals = removals.into_iter().map(|(contest, member)| {
        Entry::Removal(RemovalEntry {
            seq: 0,
            prev: [0; 32].into(),
            contest,
            member: member.into(),
        })
    });
    append(
        conn,
        &mut head,
        issued.into_iter().chain(removals),
        |entry, seq, prev| match entry {
            Entry::Issuance(e) => Entry::Issuance(IssuanceEntry { seq, prev, ..e }),
            Entry::Removal(e) => Entry::Removal(RemovalEntry { seq, prev, ..e }),
            other => other,
        },
    )?;
    for (member, _, _) in &removed {
        diesel::update(members::table.find((election, member)))
            .set(members::removal_published.eq(true))
            .execute(conn)?;
    }
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
    Ok(total)
}

/// A member on the register and not removed: their eligible contests and unused re-issue grants
/// (both comma-separated).
fn current_member(
    conn: &mut AnyConnection,
    election: &str,
    member: &str,
) -> Result<(String, String)> {
    let (eligible, grants, removed): (String, String, bool) = members::table
        .find((election, member))
        .select((members::eligible, members::reissue_grants, members::removed))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NoMember {
            election: election.to_owned(),
            member: member.to_owned(),
        })?;
    if removed {
        return Err(StoreError::MemberRemoved {
            election: election.to_owned(),
            member: member.to_owned(),
        });
    }
    Ok((eligible, grants))
}

/// The member's roster commitment in `contest` (§9), from their stored salt.
fn commitment(contest: &str, salt: &[u8], member: &str) -> Result<[u8; 32]> {
    let salt: [u8; 16] = salt
        .try_into()
        .map_err(|_| StoreError::Damaged(format!("member {member}'s salt")))?;
    Ok(member_commitment(contest, &salt, member))
}

impl Store {
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
            let removed: bool = members::table
                .find((election, member))
                .select(members::removed)
                .first(conn)?;
            if removed {
                return Ok(IssueOutcome::Removed);
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
            let (_, grants) = current_member(conn, election, member)?;
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
                &self.actor,
                election,
                "pass re-issue granted",
                &format!("a member may have a new pass in: {}", contests.join(", ")),
            )
        })
    }

    /// The returning officer removes `member` after the election opened (suspension,
    /// expulsion, death; DESIGN.md): from now on their code does not log in, their sessions end
    /// and no pass is issued to them (all checked under the issuance log's lock); a pass issued
    /// before stays good, as a ballot cast with it counts. The removal goes into the issuance log
    /// with the next batch, one `removal` entry per contest they were eligible for (PROTOCOL
    /// §10). The events log gets `reason` and the contests, never the member's number. Returns
    /// those contests.
    pub fn remove_member(
        &self,
        manifest: &Manifest,
        member: &str,
        reason: &str,
    ) -> Result<Vec<String>> {
        let election = manifest.draft().election.as_str();
        self.transaction(|conn| {
            // The state, then the issuance log's lock, as grant_reissue: a pass being recorded
            // for this member now is either in before the removal, or refused after it.
            transition(conn, election, ElectionState::Open, ElectionState::Open)?;
            lock_head(conn, election, ISSUANCE)?;
            let (eligible, _) = current_member(conn, election, member)?;
            diesel::update(members::table.find((election, member)))
                .set((members::removed.eq(true), members::reissue_grants.eq("")))
                .execute(conn)?;
            let contests: Vec<String> = (eligible.split(',').filter(|c| !c.is_empty()))
                .map(str::to_owned)
                .collect();
            event(
                conn,
                &self.actor,
                election,
                MEMBER_REMOVED,
                &removal_detail(&contests, reason),
            )?;
            publish_issuances(conn, manifest, ISSUANCE_BATCH)?;
            Ok(contests)
        })
    }
}
