-- The security review (issue 8).

-- The audit chain: each event stores SHA-256 of the previous event's hash and its own
-- canonical content (`domain::audit_chain`). The one-row head names the newest chained
-- event; writers update it in the transaction that appends, so that they take turns and
-- the chain cannot fork. Events already here when the chain began are not covered.
ALTER TABLE audit_events ADD COLUMN chain_hash BLOB;
CREATE TABLE audit_chain (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_id       INTEGER NOT NULL,
    last_hash     BLOB NOT NULL,
    starts_after  INTEGER NOT NULL
);
INSERT INTO audit_chain (id, last_id, last_hash, starts_after)
SELECT 1, COALESCE(MAX(id), 0), zeroblob(32), COALESCE(MAX(id), 0) FROM audit_events;
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'the audit chain head is permanent'); END;

-- Failed redemptions since the last success or the last new batch, across lock-outs:
-- NIST SP 800-63B's cap of 100.
ALTER TABLE users ADD COLUMN code_failures_total INTEGER NOT NULL DEFAULT 0;

-- A session lives while its process keeps saying so.
ALTER TABLE staff_sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE staff_sessions SET last_seen_at = started_at;

-- Keys this database generated for itself (the username pseudonyms in the audit log).
CREATE TABLE instance_keys (
    name    TEXT PRIMARY KEY,
    key     BLOB NOT NULL
);

-- Redemptions for usernames nobody has, counted per minute for the whole database.
CREATE TABLE unknown_username_throttle (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    window_start  INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    total         INTEGER NOT NULL
);
INSERT INTO unknown_username_throttle (id, window_start, attempts, total) VALUES (1, 0, 0, 0);
