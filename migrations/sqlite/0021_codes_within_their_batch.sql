-- A batch holds at most the codes it says it has (`code_count`, the number the product
-- generated and stored in the batch's own transaction). A code added later, by anyone, to a
-- batch already full is refused. SQLite has no transaction id, so "only in the batch's own
-- transaction" is held by the count alone here: the product writes every code of a batch
-- before it commits, so a committed batch is full. (PostgreSQL also checks the transaction.)
CREATE TRIGGER backup_codes_within_their_batch BEFORE INSERT ON backup_codes
WHEN (SELECT COUNT(*) FROM backup_codes WHERE batch_id = NEW.batch_id)
     >= (SELECT code_count FROM backup_code_batches WHERE id = NEW.batch_id)
BEGIN
    SELECT RAISE(ABORT, 'a batch holds no more codes than its code_count');
END;
