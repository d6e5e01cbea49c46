-- Issue 13 item 5: witnesses' cosignatures of the logs' checkpoints (docs/PROTOCOL.md §16), one
-- line per witness and checkpoint, checked against the manifest's witness keys before it is
-- stored. Served after the checkpoint's own signature and kept in the record; append-only, like
-- the logs (row and TRUNCATE triggers), so a witness's statement cannot be taken back by the
-- operator.
CREATE TABLE cosignatures (
    election TEXT NOT NULL,
    log TEXT NOT NULL,
    size BIGINT NOT NULL,
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (election, log, size, witness)
);
CREATE TRIGGER cosignatures_append_only BEFORE UPDATE OR DELETE ON cosignatures
    FOR EACH ROW EXECUTE FUNCTION teller_append_only();
CREATE TRIGGER cosignatures_no_truncate BEFORE TRUNCATE ON cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION teller_append_only();
