-- Issue 9: the operator's database must not link ballots to members. Sessions are signed tokens
-- now (server::session), so nothing about a login is stored: its expiry was the login time to the
-- second, and its insertion order the order of logins.
DROP TABLE sessions;
