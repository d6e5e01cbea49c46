-- Issue 11 item 9: a member who lost the pass secret may hold several issuances per contest
-- (`issue` 0 is the first, 1.. the re-issues, under the manifest's `reissue` policy), and the
-- returning officer's grants wait on the member's row (`reissue_grants`: one contest id per
-- unused grant, comma-separated), updated in place, so no row keeps the order of grants.
-- SQLite cannot change a primary key, so the table is rebuilt; rows keep their order, which is
-- already the published shuffled order or the pending batch's (publish_issuances).
CREATE TABLE issuances_reissue (
    election TEXT NOT NULL,
    contest TEXT NOT NULL,
    member TEXT NOT NULL,
    blinded BLOB NOT NULL,
    blind_sig BLOB NOT NULL,
    reissue BOOLEAN NOT NULL,
    published BOOLEAN NOT NULL,
    issue BIGINT NOT NULL,
    PRIMARY KEY (election, contest, member, issue)
);
INSERT INTO issuances_reissue (election, contest, member, blinded, blind_sig, reissue, published, issue)
    SELECT election, contest, member, blinded, blind_sig, reissue, published, 0 FROM issuances;
DROP INDEX issuances_pending;
DROP TABLE issuances;
ALTER TABLE issuances_reissue RENAME TO issuances;
CREATE INDEX issuances_pending ON issuances (election, published);
ALTER TABLE members ADD COLUMN reissue_grants TEXT NOT NULL DEFAULT '';
