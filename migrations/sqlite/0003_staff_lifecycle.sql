-- Staff lifecycle and the takeover defences around a contact change.

-- A disabled member of staff cannot sign in; disabling ends their sessions.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
-- When the email or phone last changed: backup codes wait out a cool-off after it.
ALTER TABLE users ADD COLUMN contact_changed_at INTEGER;

-- The audit pane filters by actor, action and date, newest first.
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_actor ON audit_events (actor, id);
CREATE INDEX audit_events_action ON audit_events (action, id);
-- Risk signals: the user's latest batch, and the staff list's last sign-in.
CREATE INDEX backup_code_batches_user ON backup_code_batches (user_id, created_at);
CREATE INDEX staff_sessions_started ON staff_sessions (staff_id, started_at);
-- Which of the two changed last: 'email', 'phone' or 'email and phone'.
ALTER TABLE users ADD COLUMN contact_changed_what TEXT;
