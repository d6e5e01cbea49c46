-- Issue 15: officers' passkeys (WebAuthn). One row per credential: the credential id
-- (base64url), whose it is, and the credential as webauthn-rs stores it (JSON: public key,
-- counter). Removing an officer removes their passkeys.
CREATE TABLE officer_passkeys (
    id TEXT NOT NULL PRIMARY KEY,
    email TEXT NOT NULL,
    passkey TEXT NOT NULL
);
