CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    election TEXT NOT NULL,
    member TEXT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires);
