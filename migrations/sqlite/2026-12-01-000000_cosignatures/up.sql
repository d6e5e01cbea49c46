-- Issue 13 item 5: witnesses' cosignatures of the logs' checkpoints (docs/PROTOCOL.md §16), one
-- line per witness and checkpoint, checked against the manifest's witness keys before it is
-- stored. Served after the checkpoint's own signature and kept in the record; append-only, like
-- the logs, so a witness's statement cannot be taken back by the operator.
CREATE TABLE cosignatures (
    election TEXT NOT NULL,
    log TEXT NOT NULL,
    size BIGINT NOT NULL,
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (election, log, size, witness)
);
CREATE TRIGGER cosignatures_append_only_update BEFORE UPDATE ON cosignatures
BEGIN SELECT RAISE(ABORT, 'cosignatures are append-only'); END;
CREATE TRIGGER cosignatures_append_only_delete BEFORE DELETE ON cosignatures
BEGIN SELECT RAISE(ABORT, 'cosignatures are append-only'); END;
