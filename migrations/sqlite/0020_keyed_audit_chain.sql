-- The audit chain is keyed from here on: every event after `keyed_after` is linked with
-- HMAC-SHA-256 under a key kept outside the database (`audit.key_file`), so that a writer
-- who may only insert cannot append an event that links. The events already chained keep
-- their SHA-256 links and are checked as before; the first keyed link covers the last of
-- them, which anchors the unkeyed part (`domain::audit_chain`).
ALTER TABLE audit_chain ADD COLUMN keyed_after INTEGER NOT NULL DEFAULT 0;
UPDATE audit_chain SET keyed_after = last_id WHERE id = 1;

-- Moving the bound forward would let unkeyed links pass for the events it swallowed.
DROP TRIGGER audit_chain_moves_forward;
CREATE TRIGGER audit_chain_moves_forward BEFORE UPDATE ON audit_chain
WHEN NEW.starts_after IS NOT OLD.starts_after OR NEW.keyed_after IS NOT OLD.keyed_after
    OR NEW.last_id < OLD.last_id OR NEW.id IS NOT OLD.id
BEGIN
    SELECT RAISE(ABORT, 'the audit chain''s start and where it is keyed are frozen, and its head only moves forward');
END;
