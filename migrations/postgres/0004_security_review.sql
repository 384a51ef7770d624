-- The security review (issue 8).

-- The audit chain: each event stores SHA-256 of the previous event's hash and its own
-- canonical content (`domain::audit_chain`). The one-row head names the newest chained
-- event; writers update it in the transaction that appends, which locks its row, so that
-- they take turns and the chain cannot fork. Events already here when the chain began are
-- not covered.
ALTER TABLE audit_events ADD COLUMN chain_hash BYTEA;
CREATE TABLE audit_chain (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    last_id       BIGINT NOT NULL,
    last_hash     BYTEA NOT NULL,
    starts_after  BIGINT NOT NULL
);
INSERT INTO audit_chain (id, last_id, last_hash, starts_after)
SELECT 1, COALESCE(MAX(id), 0), decode(repeat('00', 32), 'hex'), COALESCE(MAX(id), 0) FROM audit_events;

-- UPDATE and DELETE are refused row by row already; TRUNCATE skips row triggers.
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE FUNCTION audit_chain_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit chain head is permanent';
END;
$$;
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
FOR EACH ROW EXECUTE FUNCTION audit_chain_permanent();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_permanent();

-- Failed redemptions since the last success or the last new batch, across lock-outs:
-- NIST SP 800-63B's cap of 100.
ALTER TABLE users ADD COLUMN code_failures_total BIGINT NOT NULL DEFAULT 0;

-- A session lives while its process keeps saying so.
ALTER TABLE staff_sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE staff_sessions SET last_seen_at = started_at;

-- Keys this database generated for itself (the username pseudonyms in the audit log).
CREATE TABLE instance_keys (
    name    TEXT PRIMARY KEY,
    key     BYTEA NOT NULL
);

-- Redemptions for usernames nobody has, counted per minute for the whole database.
CREATE TABLE unknown_username_throttle (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    window_start  BIGINT NOT NULL,
    attempts      BIGINT NOT NULL,
    total         BIGINT NOT NULL
);
INSERT INTO unknown_username_throttle (id, window_start, attempts, total) VALUES (1, 0, 0, 0);
