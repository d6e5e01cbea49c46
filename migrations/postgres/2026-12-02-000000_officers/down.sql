DROP TABLE invitation_mail;
ALTER TABLE members DROP COLUMN email;
DROP TABLE officer_sessions;
DROP TABLE officer_elections;
DROP TABLE officers;
ALTER TABLE events DROP COLUMN actor;
