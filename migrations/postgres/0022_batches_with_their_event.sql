-- A batch exists only together with its generation audit event, which names it
-- (`audit_events.batch_id`, covered by the event's keyed link like every other field),
-- written in the same transaction. A constraint trigger deferred to the commit checks
-- that a `backup_codes_generated` event for the batch's user, by the batch's generator,
-- naming the batch, was written by this transaction (the event row's `xmin`; events are
-- never updated), so the order of the two writes inside the transaction does not matter
-- and a batch committed without its event, or with an event committed earlier, is
-- refused. `SET CONSTRAINTS` can only bring the check forward, never skip it. The runtime
-- role's INSERT on `audit_events` covers the new column. Batches written before this
-- migration have no event that names them.
ALTER TABLE audit_events ADD COLUMN batch_id BIGINT;
CREATE INDEX audit_events_batch ON audit_events (batch_id) WHERE batch_id IS NOT NULL;

CREATE FUNCTION backup_code_batches_with_their_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM audit_events e
        WHERE e.batch_id = NEW.id AND e.action = 'backup_codes_generated'
          AND e.target_id = NEW.user_id AND e.actor_id = NEW.generated_by
          AND e.xmin::text::bigint = (txid_current() % 4294967296)
    ) THEN
        RAISE EXCEPTION 'a batch is written only with its own generation audit event, in the same transaction';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER backup_code_batches_with_their_event AFTER INSERT ON backup_code_batches
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION backup_code_batches_with_their_event();
