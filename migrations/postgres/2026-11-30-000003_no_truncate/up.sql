-- Issue 11 item 17: TRUNCATE fires no row triggers, so the append-only triggers of the init
-- migration let it empty the logs. Statement triggers refuse it on the same tables.
CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
    FOR EACH STATEMENT EXECUTE FUNCTION teller_append_only();
CREATE TRIGGER merkle_nodes_no_truncate BEFORE TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION teller_append_only();
