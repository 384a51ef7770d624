-- The systems that call `helpdesk serve` (the Digital Banking login, one credential each).
-- Only the SHA-256 of each bearer token is kept: the token is 256 random bits, so no
-- guessing attack needs a slow hash, and a stolen table cannot be turned back into tokens.
-- A client is revoked, never deleted: the audit log names it.
CREATE TABLE serve_clients (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    token_hash  BYTEA NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at  BIGINT NOT NULL,
    created_by  BIGINT NOT NULL REFERENCES users(id),
    revoked_at  BIGINT,
    revoked_by  BIGINT REFERENCES users(id)
);

-- Only revoking changes a client, once: its name and token never change, and a revoked
-- client is never touched again.
CREATE FUNCTION serve_clients_stay_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
        OR NEW.token_hash IS DISTINCT FROM OLD.token_hash OR NEW.name IS DISTINCT FROM OLD.name
        OR NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.created_by IS DISTINCT FROM OLD.created_by THEN
        RAISE EXCEPTION 'a serve client can only be revoked, once; its name and token never change';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER serve_clients_stay_revoked BEFORE UPDATE ON serve_clients
FOR EACH ROW EXECUTE FUNCTION serve_clients_stay_revoked();
