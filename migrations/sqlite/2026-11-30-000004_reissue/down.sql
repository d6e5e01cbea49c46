ALTER TABLE members DROP COLUMN reissue_grants;
CREATE TABLE issuances_first (
    election TEXT NOT NULL,
    contest TEXT NOT NULL,
    member TEXT NOT NULL,
    blinded BLOB NOT NULL,
    blind_sig BLOB NOT NULL,
    reissue BOOLEAN NOT NULL,
    published BOOLEAN NOT NULL,
    PRIMARY KEY (election, contest, member)
);
INSERT INTO issuances_first
    SELECT election, contest, member, blinded, blind_sig, reissue, published FROM issuances WHERE issue = 0;
DROP INDEX issuances_pending;
DROP TABLE issuances;
ALTER TABLE issuances_first RENAME TO issuances;
CREATE INDEX issuances_pending ON issuances (election, published);
