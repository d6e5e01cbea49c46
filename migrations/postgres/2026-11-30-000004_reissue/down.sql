ALTER TABLE members DROP COLUMN reissue_grants;
DELETE FROM issuances WHERE issue > 0;
ALTER TABLE issuances DROP CONSTRAINT issuances_pkey;
ALTER TABLE issuances ADD PRIMARY KEY (election, contest, member);
ALTER TABLE issuances DROP COLUMN issue;
