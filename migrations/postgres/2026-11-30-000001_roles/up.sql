-- Issue 9: the issuer and the ballot box may be two operators with two databases. Which roles this
-- database holds for an election: 'issuer,box' (one operator, the default), 'issuer' or 'box'.
ALTER TABLE elections ADD COLUMN roles TEXT NOT NULL DEFAULT 'issuer,box';
