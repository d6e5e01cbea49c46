-- Issue 11 item 17: the PostgreSQL migration of this name refuses TRUNCATE on the append-only
-- logs. SQLite has no TRUNCATE: its nearest, DELETE without WHERE, already fires the row triggers
-- of the init migration (SQLite skips its truncate optimisation on a table with triggers), so
-- there is nothing to add. This file keeps both folders' lists of migrations the same.
SELECT 1;
