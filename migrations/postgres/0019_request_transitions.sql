-- A request for codes moves only as the product moves it (`RequestState`,
-- src/store/sql/two_person.rs), whoever writes: a request is made pending and undecided;
-- pending becomes approved, declined, withdrawn, expired or void; approved becomes used,
-- expired, void or withdrawn; a closed request never changes, and none is deleted. Who
-- asked, for whom, on which check and signals, and when, never change. An approval or a
-- decline names its decider, an enabled admin with the right to generate codes who is
-- neither the requester nor the target, and is the only move that sets the decision;
-- an approval also says until when it holds, and is used only before then. So a hand-made
-- `UPDATE code_requests SET state = 'approved'` is refused.

CREATE FUNCTION code_requests_legal_moves() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moves CONSTANT TEXT[] := ARRAY['pending>approved', 'pending>declined', 'pending>withdrawn', 'pending>expired',
        'pending>void', 'approved>used', 'approved>expired', 'approved>void', 'approved>withdrawn'];
    decides BOOLEAN;
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'a request for codes is never deleted';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'pending' OR (NEW.decided_by, NEW.decided_at, NEW.decision_note, NEW.approval_expires_at,
                NEW.closed_at) IS DISTINCT FROM (NULL::BIGINT, NULL::BIGINT, NULL::TEXT, NULL::BIGINT, NULL::BIGINT) THEN
            RAISE EXCEPTION 'a request for codes is made pending and undecided';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.state NOT IN ('pending', 'approved') THEN
        RAISE EXCEPTION 'a closed request for codes never changes';
    END IF;
    IF (NEW.id, NEW.requester_id, NEW.target_id, NEW.identity_check, NEW.note, NEW.signals, NEW.reasons,
            NEW.contact_seen, NEW.batch_seen, NEW.created_at, NEW.expires_at)
        IS DISTINCT FROM (OLD.id, OLD.requester_id, OLD.target_id, OLD.identity_check, OLD.note, OLD.signals,
            OLD.reasons, OLD.contact_seen, OLD.batch_seen, OLD.created_at, OLD.expires_at) THEN
        RAISE EXCEPTION 'who asked, for whom, on what and when: a request for codes never changes them';
    END IF;
    IF NEW.state <> OLD.state AND NOT ((OLD.state || '>' || NEW.state) = ANY (moves)) THEN
        RAISE EXCEPTION 'a request for codes cannot go from % to %', OLD.state, NEW.state;
    END IF;
    IF (NEW.state IN ('pending', 'approved')) = (NEW.closed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'a request for codes has a closing time exactly when it is closed';
    END IF;
    decides := OLD.state = 'pending' AND NEW.state IN ('approved', 'declined');
    IF NOT decides AND (NEW.decided_by, NEW.decided_at, NEW.decision_note, NEW.approval_expires_at)
        IS DISTINCT FROM (OLD.decided_by, OLD.decided_at, OLD.decision_note, OLD.approval_expires_at) THEN
        RAISE EXCEPTION 'only an approval or a decline decides a request for codes';
    END IF;
    IF decides AND (NEW.decided_by IS NULL OR NEW.decided_at IS NULL
        OR NEW.decided_by IN (NEW.requester_id, NEW.target_id)
        OR NOT EXISTS (SELECT 1 FROM users u JOIN staff_permissions p ON p.user_id = u.id
                       WHERE u.id = NEW.decided_by AND u.kind = 'staff' AND u.staff_role = 'admin'
                       AND u.disabled_at IS NULL AND p.permission = 'generate_lockout_codes')) THEN
        RAISE EXCEPTION 'a request for codes is decided by another admin, who may generate codes';
    END IF;
    IF NEW.state = 'approved' AND OLD.state = 'pending' AND NEW.approval_expires_at IS NULL THEN
        RAISE EXCEPTION 'the approval of a request for codes says until when it holds';
    END IF;
    IF NEW.state = 'used' AND NOT coalesce(NEW.closed_at < OLD.approval_expires_at, false) THEN
        RAISE EXCEPTION 'the approval of a request for codes is used before it expires';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER code_requests_legal_moves BEFORE INSERT OR UPDATE OR DELETE ON code_requests
    FOR EACH ROW EXECUTE FUNCTION code_requests_legal_moves();
CREATE TRIGGER code_requests_no_truncate BEFORE TRUNCATE ON code_requests
    FOR EACH STATEMENT EXECUTE FUNCTION code_requests_legal_moves();
