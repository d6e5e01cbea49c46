-- Teller's store (PostgreSQL). The SQLite migration beside this one defines the same tables.
CREATE TABLE elections (
    id TEXT PRIMARY KEY NOT NULL,
    manifest BYTEA NOT NULL,
    key_dir TEXT NOT NULL,
    state TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE TABLE members (
    election TEXT NOT NULL REFERENCES elections (id),
    number TEXT NOT NULL,
    position BIGINT NOT NULL,
    row_csv TEXT NOT NULL,
    region TEXT NOT NULL,
    eligible TEXT NOT NULL,
    salt BYTEA NOT NULL,
    code_hash TEXT,
    PRIMARY KEY (election, number)
);
CREATE TABLE record_files (
    election TEXT NOT NULL REFERENCES elections (id),
    path TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (election, path)
);
CREATE TABLE log_heads (
    election TEXT NOT NULL REFERENCES elections (id),
    log TEXT NOT NULL,
    frontier BYTEA NOT NULL,
    last BYTEA NOT NULL,
    PRIMARY KEY (election, log)
);
CREATE TABLE log_entries (
    election TEXT NOT NULL,
    log TEXT NOT NULL,
    seq BIGINT NOT NULL,
    entry BYTEA NOT NULL,
    PRIMARY KEY (election, log, seq)
);
CREATE TABLE merkle_nodes (
    election TEXT NOT NULL,
    log TEXT NOT NULL,
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (election, log, level, idx)
);
CREATE TABLE checkpoints (
    election TEXT NOT NULL,
    log TEXT NOT NULL,
    size BIGINT NOT NULL,
    note TEXT NOT NULL,
    created BIGINT NOT NULL,
    PRIMARY KEY (election, log, size)
);
CREATE TABLE issuances (
    election TEXT NOT NULL,
    contest TEXT NOT NULL,
    member TEXT NOT NULL,
    blinded BYTEA NOT NULL,
    blind_sig BYTEA NOT NULL,
    reissue BOOLEAN NOT NULL,
    published BOOLEAN NOT NULL,
    PRIMARY KEY (election, contest, member)
);
CREATE TABLE casts (
    election TEXT NOT NULL,
    pass_key BYTEA NOT NULL,
    contest TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (election, pass_key)
);
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    election TEXT NOT NULL,
    member TEXT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE TABLE throttle (
    election TEXT NOT NULL,
    subject TEXT NOT NULL,
    failures BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    PRIMARY KEY (election, subject)
);
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    election TEXT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
-- Issuances waiting for the next shuffled batch of the issuance log.
CREATE INDEX issuances_pending ON issuances (election, published);
-- Expired sessions are swept by expiry.
CREATE INDEX sessions_expires ON sessions (expires);
-- Turnout and tallies by contest.
CREATE INDEX casts_contest ON casts (election, contest);
-- The logs are append-only: no statement may rewrite or remove an entry or a subtree head.
CREATE FUNCTION teller_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'log entries are append-only';
END;
$$;
CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
    FOR EACH ROW EXECUTE FUNCTION teller_append_only();
CREATE TRIGGER merkle_nodes_append_only BEFORE UPDATE OR DELETE ON merkle_nodes
    FOR EACH ROW EXECUTE FUNCTION teller_append_only();
