-- The rules the runtime role could otherwise undo, held by the database itself (a second
-- security review): a used code stays used, a revoked batch stays revoked, code material
-- and a batch's salt, cost, owner and expiry never change, codes and batches are never
-- deleted; the audit chain's start is frozen, its head only moves forward, and no event
-- may be inserted at or below the head (where `audit verify` would not look). The runtime
-- role's grants on these tables are column-level as well (deploy/postgres-runtime-role.sql).

CREATE FUNCTION backup_codes_stay_used() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'backup codes are never deleted';
    END IF;
    IF (OLD.used_at IS NOT NULL AND NEW.used_at IS DISTINCT FROM OLD.used_at)
        OR NEW.code_hash IS DISTINCT FROM OLD.code_hash OR NEW.batch_id IS DISTINCT FROM OLD.batch_id THEN
        RAISE EXCEPTION 'a used backup code stays used, and a code hash never changes';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER backup_codes_stay_used BEFORE UPDATE OR DELETE ON backup_codes
    FOR EACH ROW EXECUTE FUNCTION backup_codes_stay_used();

CREATE FUNCTION backup_code_batches_stay_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'backup code batches are never deleted';
    END IF;
    IF (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at, NEW.revoked_by) IS DISTINCT FROM (OLD.revoked_at, OLD.revoked_by))
        OR (NEW.salt, NEW.argon2_m, NEW.argon2_t, NEW.argon2_p, NEW.user_id, NEW.expires_at, NEW.code_count, NEW.created_at)
            IS DISTINCT FROM
           (OLD.salt, OLD.argon2_m, OLD.argon2_t, OLD.argon2_p, OLD.user_id, OLD.expires_at, OLD.code_count, OLD.created_at)
        OR (OLD.request_id IS NOT NULL AND NEW.request_id IS DISTINCT FROM OLD.request_id) THEN
        RAISE EXCEPTION 'a revoked batch stays revoked, and a batch''s salt, cost, owner and expiry never change';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER backup_code_batches_stay_revoked BEFORE UPDATE OR DELETE ON backup_code_batches
    FOR EACH ROW EXECUTE FUNCTION backup_code_batches_stay_revoked();
CREATE TRIGGER backup_codes_no_truncate BEFORE TRUNCATE ON backup_codes
    FOR EACH STATEMENT EXECUTE FUNCTION backup_codes_stay_used();
CREATE TRIGGER backup_code_batches_no_truncate BEFORE TRUNCATE ON backup_code_batches
    FOR EACH STATEMENT EXECUTE FUNCTION backup_code_batches_stay_revoked();

CREATE FUNCTION audit_chain_moves_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.starts_after IS DISTINCT FROM OLD.starts_after OR NEW.last_id < OLD.last_id OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'the audit chain''s start is frozen and its head only moves forward';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_chain_moves_forward BEFORE UPDATE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_chain_moves_forward();

CREATE FUNCTION audit_events_after_the_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <= (SELECT last_id FROM audit_chain WHERE id = 1) THEN
        RAISE EXCEPTION 'an audit event may not be inserted at or below the chain''s head';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_events_after_the_head BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_after_the_head();
