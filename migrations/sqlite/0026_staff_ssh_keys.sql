-- SSH keys bound to a member of staff (a grant: a second admin approved each): a session
-- that authenticated with one of them (sshd's ExposeAuthInfo, carried by the ForceCommand
-- wrapper) stands for the authenticator code; a member with bound keys signs in only from
-- such a session. `fingerprint` is the SHA-256 of the key's blob, as 64 hex digits.
CREATE TABLE staff_ssh_keys (
    user_id     INTEGER NOT NULL REFERENCES users(id),
    fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 64),
    bound_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, fingerprint)
);
