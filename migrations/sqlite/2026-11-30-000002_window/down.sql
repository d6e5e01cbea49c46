ALTER TABLE elections DROP COLUMN closes_extended;
