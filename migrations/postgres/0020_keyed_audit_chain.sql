-- The audit chain is keyed from here on: every event after `keyed_after` is linked with
-- HMAC-SHA-256 under a key kept outside the database (`audit.key_file`), so that a writer
-- who may only insert cannot append an event that links. The events already chained keep
-- their SHA-256 links and are checked as before; the first keyed link covers the last of
-- them, which anchors the unkeyed part (`domain::audit_chain`). The runtime role has no
-- grant on the new column.
ALTER TABLE audit_chain ADD COLUMN keyed_after BIGINT NOT NULL DEFAULT 0;
UPDATE audit_chain SET keyed_after = last_id WHERE id = 1;

-- Moving the bound forward would let unkeyed links pass for the events it swallowed.
CREATE OR REPLACE FUNCTION audit_chain_moves_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.starts_after IS DISTINCT FROM OLD.starts_after OR NEW.keyed_after IS DISTINCT FROM OLD.keyed_after
        OR NEW.last_id < OLD.last_id OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'the audit chain''s start and where it is keyed are frozen, and its head only moves forward';
    END IF;
    RETURN NEW;
END $$;
