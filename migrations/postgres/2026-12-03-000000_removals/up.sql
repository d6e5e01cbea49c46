-- Issue 15: removing a member after the election opens (suspension, expulsion, death). A removed
-- member can no longer log in, and no pass is issued to them; the removal is published in the
-- issuance log (one `removal` entry per contest they were eligible for, docs/PROTOCOL.md §10)
-- with the next batch of issuances, after them. `removal_published` says it has been. The
-- reason is written to the events log, never with the member's number.
ALTER TABLE members ADD COLUMN removed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE members ADD COLUMN removal_published BOOLEAN NOT NULL DEFAULT FALSE;
