-- Issue 11 item 9: a member who lost the pass secret may hold several issuances per contest
-- (`issue` 0 is the first, 1.. the re-issues, under the manifest's `reissue` policy), and the
-- returning officer's grants wait on the member's row (`reissue_grants`: one contest id per
-- unused grant, comma-separated).
ALTER TABLE issuances ADD COLUMN issue BIGINT NOT NULL DEFAULT 0;
ALTER TABLE issuances ALTER COLUMN issue DROP DEFAULT;
ALTER TABLE issuances DROP CONSTRAINT issuances_pkey;
ALTER TABLE issuances ADD PRIMARY KEY (election, contest, member, issue);
ALTER TABLE members ADD COLUMN reissue_grants TEXT NOT NULL DEFAULT '';
