-- Issue 15: the returning officers' console. An officer is invited by the server's administrator
-- (`teller officer add`), enrols once with the invitation's token (a password and a one-time-code
-- secret), and acts only on the elections named in `officer_elections` (or every election where
-- `all_elections`). Sessions are stored so that signing out and removing an officer end them;
-- only the SHA-256 of a session's cookie is kept. Officer rows hold nothing about members.
CREATE TABLE officers (
    email TEXT NOT NULL PRIMARY KEY,
    all_elections BOOLEAN NOT NULL,
    password_hash TEXT,
    totp_secret BLOB,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    enrol_hash TEXT,
    enrol_expires BIGINT NOT NULL,
    created BIGINT NOT NULL
);
CREATE TABLE officer_elections (
    email TEXT NOT NULL,
    election TEXT NOT NULL,
    PRIMARY KEY (email, election)
);
CREATE TABLE officer_sessions (
    id_hash TEXT NOT NULL PRIMARY KEY,
    email TEXT NOT NULL,
    csrf TEXT NOT NULL,
    expires BIGINT NOT NULL
);
-- Who did what: the officer's email for an action taken in the console, '' for a command run on
-- the server.
ALTER TABLE events ADD COLUMN actor TEXT NOT NULL DEFAULT '';
-- Invitations by email: a member's address from the register's optional `email` column, kept
-- only until the election closes (the close clears it), and the state of the last invitation
-- mailed to them (`sent`, `bounced`, `failed`, `re-sent`), for the officer's console. No time is
-- kept per member (issue 9: no table holds a member's times).
ALTER TABLE members ADD COLUMN email TEXT;
CREATE TABLE invitation_mail (
    election TEXT NOT NULL,
    member TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (election, member)
);
