-- The rules the runtime role could otherwise undo, held by the database itself (a second
-- security review): a used code stays used, a revoked batch stays revoked, code material
-- and a batch's salt, cost, owner and expiry never change, codes and batches are never
-- deleted; the audit chain's start is frozen, its head only moves forward, and no event
-- may be inserted at or below the head (where `audit verify` would not look).

CREATE TRIGGER backup_codes_stay_used BEFORE UPDATE ON backup_codes
WHEN (OLD.used_at IS NOT NULL AND NEW.used_at IS NOT OLD.used_at)
    OR NEW.code_hash IS NOT OLD.code_hash OR NEW.batch_id IS NOT OLD.batch_id
BEGIN
    SELECT RAISE(ABORT, 'a used backup code stays used, and a code hash never changes');
END;

CREATE TRIGGER backup_codes_no_delete BEFORE DELETE ON backup_codes
BEGIN
    SELECT RAISE(ABORT, 'backup codes are never deleted');
END;

CREATE TRIGGER backup_code_batches_stay_revoked BEFORE UPDATE ON backup_code_batches
WHEN (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS NOT OLD.revoked_at OR NEW.revoked_by IS NOT OLD.revoked_by))
    OR NEW.salt IS NOT OLD.salt OR NEW.argon2_m IS NOT OLD.argon2_m OR NEW.argon2_t IS NOT OLD.argon2_t
    OR NEW.argon2_p IS NOT OLD.argon2_p OR NEW.user_id IS NOT OLD.user_id OR NEW.expires_at IS NOT OLD.expires_at
    OR NEW.code_count IS NOT OLD.code_count OR NEW.created_at IS NOT OLD.created_at
    OR (OLD.request_id IS NOT NULL AND NEW.request_id IS NOT OLD.request_id)
BEGIN
    SELECT RAISE(ABORT, 'a revoked batch stays revoked, and a batch''s salt, cost, owner and expiry never change');
END;

CREATE TRIGGER backup_code_batches_no_delete BEFORE DELETE ON backup_code_batches
BEGIN
    SELECT RAISE(ABORT, 'backup code batches are never deleted');
END;

CREATE TRIGGER audit_chain_moves_forward BEFORE UPDATE ON audit_chain
WHEN NEW.starts_after IS NOT OLD.starts_after OR NEW.last_id < OLD.last_id OR NEW.id IS NOT OLD.id
BEGIN
    SELECT RAISE(ABORT, 'the audit chain''s start is frozen and its head only moves forward');
END;

CREATE TRIGGER audit_events_after_the_head AFTER INSERT ON audit_events
WHEN NEW.id <= (SELECT last_id FROM audit_chain WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'an audit event may not be inserted at or below the chain''s head');
END;
