ALTER TABLE members DROP COLUMN removal_published;
ALTER TABLE members DROP COLUMN removed;
