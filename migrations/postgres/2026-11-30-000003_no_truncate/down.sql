DROP TRIGGER merkle_nodes_no_truncate ON merkle_nodes;
DROP TRIGGER log_entries_no_truncate ON log_entries;
