-- A batch exists only together with its generation audit event, which names it
-- (`audit_events.batch_id`, covered by the event's keyed link like every other field).
--
-- SQLite has no deferred trigger and no transaction id, so the rule is held by order: the
-- product writes the generation event first, naming the batch's id (drawn inside the write
-- transaction, which holds the database's one write lock), and then the batch with that
-- id. A batch is refused unless the newest row this connection inserted
-- (`last_insert_rowid()`, which is per connection) is also the newest event of the whole
-- log, is a `backup_codes_generated` event for the batch's user by the batch's generator,
-- and names this batch. The batch's id must be given (a BEFORE INSERT trigger sees -1 for
-- an id still to be assigned), and as ids are never reused no other batch can claim that
-- event. So no batch is ever written without its event already in the log, and the event
-- cannot then be removed (append-only). The limit: an event written in an earlier
-- transaction on the same connection, with no event written since by anyone, is not told
-- from one written in this transaction; the event is in the log either way, and one
-- written by anyone but helpdesk does not link under the audit key (`audit verify`).
-- Batches written before this migration have no event that names them.
ALTER TABLE audit_events ADD COLUMN batch_id INTEGER;
CREATE INDEX audit_events_batch ON audit_events (batch_id) WHERE batch_id IS NOT NULL;

CREATE TRIGGER backup_code_batches_with_their_event BEFORE INSERT ON backup_code_batches
WHEN NOT EXISTS (
    SELECT 1 FROM audit_events e
    WHERE e.id = last_insert_rowid() AND e.id = (SELECT MAX(id) FROM audit_events)
      AND e.action = 'backup_codes_generated' AND NEW.id > 0 AND e.batch_id = NEW.id
      AND e.target_id = NEW.user_id AND e.actor_id = NEW.generated_by
)
BEGIN
    SELECT RAISE(ABORT, 'a batch is written right after its own generation audit event, which names it');
END;
