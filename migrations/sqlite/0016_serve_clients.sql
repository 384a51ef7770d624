-- The systems that call `helpdesk serve` (the Digital Banking login, one credential each).
-- Only the SHA-256 of each bearer token is kept: the token is 256 random bits, so no
-- guessing attack needs a slow hash, and a stolen table cannot be turned back into tokens.
-- A client is revoked, never deleted: the audit log names it.
CREATE TABLE serve_clients (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    token_hash  BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at  INTEGER NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users(id),
    revoked_at  INTEGER,
    revoked_by  INTEGER REFERENCES users(id)
);

-- Only revoking changes a client, once: its name and token never change, and a revoked
-- client is never touched again.
CREATE TRIGGER serve_clients_stay_revoked BEFORE UPDATE ON serve_clients
WHEN OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL OR NEW.token_hash IS NOT OLD.token_hash
    OR NEW.name IS NOT OLD.name OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by
BEGIN
    SELECT RAISE(ABORT, 'a serve client can only be revoked, once; its name and token never change');
END;
