-- Granting power takes two (src/domain/grants.rs): one admin asks, and the grant takes
-- effect when a second admin approves, in the transaction that writes the approval. A
-- request names what it gives (`kind`, and the permission for 'permission'), to whom, who
-- asked and when it expires; it is decided once, by someone who is neither the asker nor
-- the subject (`decided_by`), or, while a single admin is enabled, by the database's owner
-- (`decided_by_owner`).
CREATE TABLE grant_requests (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT NOT NULL CHECK (kind IN ('admin_role', 'permission', 'reenable', 'factor_reset', 'ssh_key')),
    permission        TEXT CHECK (permission IN ('generate_lockout_codes')),
    -- For 'ssh_key': the SHA-256 fingerprint of the public key to bind, 64 hex digits.
    key_fingerprint   TEXT CHECK (length(key_fingerprint) = 64),
    subject_id        INTEGER NOT NULL REFERENCES users(id),
    asked_by          INTEGER NOT NULL REFERENCES users(id),
    asked_at          INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    state             TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'approved', 'declined', 'withdrawn', 'expired')),
    decided_by        INTEGER REFERENCES users(id),
    decided_by_owner  INTEGER NOT NULL DEFAULT 0 CHECK (decided_by_owner IN (0, 1)),
    decided_at        INTEGER,
    decision_note     TEXT,
    CHECK ((kind = 'permission') = (permission IS NOT NULL)),
    CHECK ((kind = 'ssh_key') = (key_fingerprint IS NOT NULL)),
    CHECK (asked_by <> subject_id),
    CHECK (decided_by IS NULL OR (decided_by <> asked_by AND decided_by <> subject_id)),
    CHECK (NOT (decided_by IS NOT NULL AND decided_by_owner = 1))
);
-- One pending request for the same grant to the same person.
CREATE UNIQUE INDEX grant_requests_pending ON grant_requests (subject_id, kind, COALESCE(permission, ''), COALESCE(key_fingerprint, ''))
    WHERE state = 'pending';
CREATE INDEX grant_requests_state ON grant_requests (state, id);

-- A request is made pending and undecided, moves once out of pending, keeps who asked for
-- what, and is never deleted.
CREATE TRIGGER grant_requests_made_pending BEFORE INSERT ON grant_requests
WHEN NEW.state <> 'pending' OR NEW.decided_by IS NOT NULL OR NEW.decided_by_owner <> 0 OR NEW.decided_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a grant request is made pending and undecided');
END;
CREATE TRIGGER grant_requests_kept BEFORE DELETE ON grant_requests
BEGIN
    SELECT RAISE(ABORT, 'a grant request is never deleted');
END;
CREATE TRIGGER grant_requests_moves BEFORE UPDATE ON grant_requests
WHEN OLD.state <> 'pending' OR NEW.state = 'pending'
    OR NEW.kind IS NOT OLD.kind OR NEW.permission IS NOT OLD.permission OR NEW.subject_id IS NOT OLD.subject_id
    OR NEW.key_fingerprint IS NOT OLD.key_fingerprint
    OR NEW.asked_by IS NOT OLD.asked_by OR NEW.asked_at IS NOT OLD.asked_at OR NEW.expires_at IS NOT OLD.expires_at
    OR (NEW.state IN ('approved', 'declined')) <> (NEW.decided_by IS NOT NULL OR NEW.decided_by_owner = 1)
BEGIN
    SELECT RAISE(ABORT, 'a grant request moves once, out of pending, and keeps who asked for what');
END;
