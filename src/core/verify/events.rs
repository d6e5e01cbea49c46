//! The returning officers' events log (§14 check `events-log`, §17): canonical lines numbered
//! in order, times that never go back, the issuer's signature over the whole file, and as many
//! removals per contest as the issuance log holds.

use std::collections::BTreeMap;

use super::issuance::Issued;
use super::{EVENTS_LOG, Verifier, lines};
use crate::core::crypto::decode;
use crate::core::events::{MEMBER_REMOVED, PublishedEvent, check_events_note, removed_from};
use crate::core::manifest::{Manifest, parse_instant};
use crate::core::record::layout;

impl Verifier<'_> {
    pub(super) fn events_log(&mut self, manifest: &Manifest, issued: &BTreeMap<String, Issued>) {
        let file = self.required(EVENTS_LOG, layout::EVENTS);
        let note = self.required(EVENTS_LOG, layout::EVENTS_NOTE);
        let Some(file) = file else {
            return;
        };
        let raw = match lines(file) {
            Ok(raw) => raw,
            Err(e) => {
                self.fail(EVENTS_LOG, format!("{}: {e}", layout::EVENTS));
                return;
            }
        };
        if let Some(note) = note
            && let Err(e) = check_events_note(
                note,
                manifest.issuance_log_key(),
                &manifest.issuance_log_origin(),
                raw.len(),
                file,
            )
        {
            self.fail(EVENTS_LOG, format!("{}: {e}", layout::EVENTS_NOTE));
        }
        let mut last = i64::MIN;
        let mut removed: BTreeMap<String, usize> = BTreeMap::new();
        for (i, bytes) in raw.iter().enumerate() {
            let event = match decode::<PublishedEvent>(bytes) {
                Ok(event) => event,
                Err(e) => {
                    self.fail(EVENTS_LOG, format!("event line {}: {e}", i + 1));
                    continue;
                }
            };
            if event.seq != i as i64 {
                self.fail(
                    EVENTS_LOG,
                    format!("event line {} carries seq {}", i + 1, event.seq),
                );
            }
            match parse_instant(&event.at) {
                Ok(at) if at < last => self.fail(
                    EVENTS_LOG,
                    format!("event {i} is dated before the event before it"),
                ),
                Ok(at) => last = at,
                Err(e) => self.fail(EVENTS_LOG, format!("event {i}: {e}")),
            }
            if event.kind == MEMBER_REMOVED {
                match removed_from(&event.detail) {
                    Some(contests) => {
                        for contest in contests {
                            *removed.entry(contest.to_owned()).or_default() += 1;
                        }
                    }
                    None => self.fail(
                        EVENTS_LOG,
                        format!("event {i}: a removal that does not say its contests"),
                    ),
                }
            }
        }
        // Each removal the officers logged is in the issuance log, and no removal is there that
        // they did not log.
        for contest in removed.keys() {
            if manifest.contest(contest).is_none() {
                self.fail(
                    EVENTS_LOG,
                    format!("a removal names contest {contest:?}, which is not in the manifest"),
                );
            }
        }
        for contest in manifest.contests() {
            let id = contest.id();
            let logged = removed.get(id).copied().unwrap_or_default();
            let entries = issued.get(id).map_or(0, |i| i.removed);
            if logged != entries {
                self.fail(
                    EVENTS_LOG,
                    format!(
                        "contest {id}: the events log removes {logged} member(s), the issuance log {entries}"
                    ),
                );
            }
        }
    }
}
