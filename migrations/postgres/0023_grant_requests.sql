-- Granting power takes two (src/domain/grants.rs): one admin asks, and the grant takes
-- effect when a second admin approves, in the transaction that writes the approval. A
-- request names what it gives (`kind`, and the permission for 'permission'), to whom, who
-- asked and when it expires; it is decided once, by someone who is neither the asker nor
-- the subject (`decided_by`), or, while a single admin is enabled, by the database's owner
-- (`decided_by_owner`, which only a role that owns this table may set: not the runtime role).
CREATE TABLE grant_requests (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN ('admin_role', 'permission', 'reenable', 'factor_reset', 'ssh_key')),
    permission        TEXT CHECK (permission IN ('generate_lockout_codes')),
    -- For 'ssh_key': the SHA-256 fingerprint of the public key to bind, 64 hex digits.
    key_fingerprint   TEXT CHECK (length(key_fingerprint) = 64),
    subject_id        BIGINT NOT NULL REFERENCES users(id),
    asked_by          BIGINT NOT NULL REFERENCES users(id),
    asked_at          BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'approved', 'declined', 'withdrawn', 'expired')),
    decided_by        BIGINT REFERENCES users(id),
    decided_by_owner  BOOLEAN NOT NULL DEFAULT false,
    decided_at        BIGINT,
    decision_note     TEXT,
    CHECK ((kind = 'permission') = (permission IS NOT NULL)),
    CHECK ((kind = 'ssh_key') = (key_fingerprint IS NOT NULL)),
    CHECK (asked_by <> subject_id),
    CHECK (decided_by IS NULL OR (decided_by <> asked_by AND decided_by <> subject_id)),
    CHECK (NOT (decided_by IS NOT NULL AND decided_by_owner))
);
-- One pending request for the same grant to the same person.
CREATE UNIQUE INDEX grant_requests_pending ON grant_requests (subject_id, kind, COALESCE(permission, ''), COALESCE(key_fingerprint, ''))
    WHERE state = 'pending';
CREATE INDEX grant_requests_state ON grant_requests (state, id);

-- A request is made pending and undecided, moves once out of pending, keeps who asked for
-- what, and is never deleted; only the table's owner decides as the owner.
CREATE FUNCTION grant_requests_legal_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'a grant request is never deleted';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'pending' OR NEW.decided_by IS NOT NULL OR NEW.decided_by_owner OR NEW.decided_at IS NOT NULL THEN
            RAISE EXCEPTION 'a grant request is made pending and undecided';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.state <> 'pending' OR NEW.state = 'pending'
        OR (NEW.kind, NEW.permission, NEW.key_fingerprint, NEW.subject_id, NEW.asked_by, NEW.asked_at, NEW.expires_at)
            IS DISTINCT FROM (OLD.kind, OLD.permission, OLD.key_fingerprint, OLD.subject_id, OLD.asked_by, OLD.asked_at,
                OLD.expires_at)
        OR (NEW.state IN ('approved', 'declined')) <> (NEW.decided_by IS NOT NULL OR NEW.decided_by_owner) THEN
        RAISE EXCEPTION 'a grant request moves once, out of pending, and keeps who asked for what';
    END IF;
    IF NEW.decided_by_owner AND NOT pg_has_role(current_user,
            (SELECT tableowner FROM pg_tables WHERE schemaname = TG_TABLE_SCHEMA AND tablename = TG_TABLE_NAME),
            'MEMBER') THEN
        RAISE EXCEPTION 'only the database''s owner decides a grant as the owner';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER grant_requests_legal_moves BEFORE INSERT OR UPDATE OR DELETE ON grant_requests
    FOR EACH ROW EXECUTE FUNCTION grant_requests_legal_moves();
CREATE TRIGGER grant_requests_never_truncated BEFORE TRUNCATE ON grant_requests
    FOR EACH STATEMENT EXECUTE FUNCTION grant_requests_legal_moves();
