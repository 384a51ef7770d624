-- A request for codes moves only as the product moves it (`RequestState`,
-- src/store/sql/two_person.rs), whoever writes: a request is made pending and undecided;
-- pending becomes approved, declined, withdrawn, expired or void; approved becomes used,
-- expired, void or withdrawn; a closed request never changes, and none is deleted. Who
-- asked, for whom, on which check and signals, and when, never change. An approval or a
-- decline names its decider, an enabled admin with the right to generate codes who is
-- neither the requester nor the target, and is the only move that sets the decision;
-- an approval also says until when it holds, and is used only before then. So a hand-made
-- `UPDATE code_requests SET state = 'approved'` is refused.

CREATE TRIGGER code_requests_made_pending BEFORE INSERT ON code_requests
WHEN NEW.state IS NOT 'pending' OR NEW.decided_by IS NOT NULL OR NEW.decided_at IS NOT NULL
    OR NEW.decision_note IS NOT NULL OR NEW.approval_expires_at IS NOT NULL OR NEW.closed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a request for codes is made pending and undecided');
END;

CREATE TRIGGER code_requests_no_delete BEFORE DELETE ON code_requests
BEGIN
    SELECT RAISE(ABORT, 'a request for codes is never deleted');
END;

CREATE TRIGGER code_requests_closed_stay BEFORE UPDATE ON code_requests
WHEN OLD.state NOT IN ('pending', 'approved')
BEGIN
    SELECT RAISE(ABORT, 'a closed request for codes never changes');
END;

CREATE TRIGGER code_requests_history_stays BEFORE UPDATE ON code_requests
WHEN NEW.id IS NOT OLD.id OR NEW.requester_id IS NOT OLD.requester_id OR NEW.target_id IS NOT OLD.target_id
    OR NEW.identity_check IS NOT OLD.identity_check OR NEW.note IS NOT OLD.note OR NEW.signals IS NOT OLD.signals
    OR NEW.reasons IS NOT OLD.reasons OR NEW.contact_seen IS NOT OLD.contact_seen
    OR NEW.batch_seen IS NOT OLD.batch_seen OR NEW.created_at IS NOT OLD.created_at
    OR NEW.expires_at IS NOT OLD.expires_at
BEGIN
    SELECT RAISE(ABORT, 'who asked, for whom, on what and when: a request for codes never changes them');
END;

CREATE TRIGGER code_requests_legal_moves BEFORE UPDATE ON code_requests
WHEN NEW.state IS NOT OLD.state AND OLD.state || '>' || NEW.state NOT IN ('pending>approved', 'pending>declined',
    'pending>withdrawn', 'pending>expired', 'pending>void', 'approved>used', 'approved>expired', 'approved>void',
    'approved>withdrawn')
BEGIN
    SELECT RAISE(ABORT, 'a request for codes cannot make this move');
END;

CREATE TRIGGER code_requests_closed_at BEFORE UPDATE ON code_requests
WHEN (NEW.state IN ('pending', 'approved')) = (NEW.closed_at IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'a request for codes has a closing time exactly when it is closed');
END;

CREATE TRIGGER code_requests_only_a_decision_decides BEFORE UPDATE ON code_requests
WHEN NOT (OLD.state = 'pending' AND NEW.state IN ('approved', 'declined'))
    AND (NEW.decided_by IS NOT OLD.decided_by OR NEW.decided_at IS NOT OLD.decided_at
         OR NEW.decision_note IS NOT OLD.decision_note OR NEW.approval_expires_at IS NOT OLD.approval_expires_at)
BEGIN
    SELECT RAISE(ABORT, 'only an approval or a decline decides a request for codes');
END;

CREATE TRIGGER code_requests_decided_by_another_admin BEFORE UPDATE ON code_requests
WHEN OLD.state = 'pending' AND NEW.state IN ('approved', 'declined')
    AND (NEW.decided_by IS NULL OR NEW.decided_at IS NULL OR NEW.decided_by IN (NEW.requester_id, NEW.target_id)
         OR NOT EXISTS (SELECT 1 FROM users u JOIN staff_permissions p ON p.user_id = u.id
                        WHERE u.id = NEW.decided_by AND u.kind = 'staff' AND u.staff_role = 'admin'
                        AND u.disabled_at IS NULL AND p.permission = 'generate_lockout_codes')
         OR (NEW.state = 'approved' AND NEW.approval_expires_at IS NULL))
BEGIN
    SELECT RAISE(ABORT, 'a request for codes is decided by another admin, who may generate codes, until a set time');
END;

CREATE TRIGGER code_requests_used_in_time BEFORE UPDATE ON code_requests
WHEN NEW.state = 'used' AND NOT coalesce(NEW.closed_at < OLD.approval_expires_at, 0)
BEGIN
    SELECT RAISE(ABORT, 'the approval of a request for codes is used before it expires');
END;
