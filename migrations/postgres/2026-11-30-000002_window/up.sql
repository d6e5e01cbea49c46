-- Issue 11: a returning officer may extend the voting window before it ends. NULL: the manifest's
-- closing time stands; otherwise the later closing time (Unix seconds) the officer set.
ALTER TABLE elections ADD COLUMN closes_extended BIGINT;
