-- A code is written only in its batch's own transaction, and a batch holds at most the
-- codes it says it has (`code_count`). The batch row's `xmin` is the transaction that wrote
-- it (the product never updates a batch in the transaction that creates it); a code written
-- by any other transaction, or one past the count, is refused.
CREATE FUNCTION backup_codes_within_their_batch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    written_by xid;
    allowed    bigint;
BEGIN
    SELECT xmin, code_count INTO written_by, allowed FROM backup_code_batches WHERE id = NEW.batch_id;
    IF written_by IS NULL OR written_by::text::bigint <> (txid_current() % 4294967296) THEN
        RAISE EXCEPTION 'a code is written only in its batch''s own transaction';
    END IF;
    IF (SELECT COUNT(*) FROM backup_codes WHERE batch_id = NEW.batch_id) >= allowed THEN
        RAISE EXCEPTION 'a batch holds no more codes than its code_count';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER backup_codes_within_their_batch BEFORE INSERT ON backup_codes
    FOR EACH ROW EXECUTE FUNCTION backup_codes_within_their_batch();
