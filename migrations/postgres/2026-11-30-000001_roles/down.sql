ALTER TABLE elections DROP COLUMN roles;
