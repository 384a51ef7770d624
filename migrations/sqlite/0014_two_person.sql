-- No single person, and no single recent change, can hand out a working code.

-- Every change of a user's email or phone, whoever made it. The triggers below write the
-- rows; `staff_id` names the member of staff when helpdesk made the change (NULL: another
-- writer, such as Digital Banking's profile page). `handled` is 1 once the change's audit
-- event and the notices to the old addresses are written: helpdesk's own changes are
-- marked handled by the transaction that made them (which writes both), the others at the
-- product's next pass. The triggers always write 0.
CREATE TABLE contact_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    field       TEXT NOT NULL CHECK (field IN ('email', 'phone')),
    old_value   TEXT NOT NULL,
    new_value   TEXT NOT NULL,
    changed_at  INTEGER NOT NULL,
    staff_id    INTEGER REFERENCES users(id),
    handled     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contact_changes_user ON contact_changes (user_id, id);
CREATE INDEX contact_changes_unhandled ON contact_changes (id) WHERE handled = 0;

-- The cool-off of changes made before this table existed carries on, one row a field
-- ("email and phone" was one record before).
INSERT INTO contact_changes (user_id, field, old_value, new_value, changed_at, staff_id, handled)
SELECT id, 'email', '', email, contact_changed_at, NULL, 1
FROM users WHERE contact_changed_at IS NOT NULL AND contact_changed_what LIKE '%email%';
INSERT INTO contact_changes (user_id, field, old_value, new_value, changed_at, staff_id, handled)
SELECT id, 'phone', '', phone, contact_changed_at, NULL, 1
FROM users WHERE contact_changed_at IS NOT NULL AND contact_changed_what LIKE '%phone%';

-- Disabling now revokes the member's codes; members disabled before this lose theirs now,
-- so that enabling them again does not bring the codes back.
UPDATE backup_code_batches SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER)
WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE disabled_at IS NOT NULL);

-- How helpdesk marks its own writes on SQLite, which has no session variables: inside its
-- write transaction (BEGIN IMMEDIATE, so no other writer runs meanwhile) it inserts this one
-- row before the UPDATE and deletes it before the commit, so no committed state ever holds
-- it. 'staff' names the member of staff and the product's clock; 'refold' is the product
-- rewriting a phone number it read as valid into E.164, which is not a change of number.
-- Another writer could insert the row too, so the mark is trusted only so far: it names
-- who made the change (a staff row, else nobody), it cannot date a change more than five
-- minutes (clock skew) before the database's now, and every change waits for the product
-- to mark it handled (the product's own, in the same transaction). A 'refold' mark hides only a rewrite that keeps the number's digits.
CREATE TABLE writer_mark (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    kind      TEXT NOT NULL CHECK (kind IN ('staff', 'refold')),
    staff_id  INTEGER,
    at        INTEGER
);

CREATE TRIGGER users_email_changes AFTER UPDATE OF email ON users
WHEN lower(OLD.email) IS NOT lower(NEW.email)
BEGIN
    INSERT INTO contact_changes (user_id, field, old_value, new_value, changed_at, staff_id, handled)
    VALUES (NEW.id, 'email', OLD.email, NEW.email,
            COALESCE((SELECT at FROM writer_mark WHERE kind = 'staff' AND at >= CAST(strftime('%s', 'now') AS INTEGER) - 300),
                     CAST(strftime('%s', 'now') AS INTEGER)),
            (SELECT m.staff_id FROM writer_mark m JOIN users s ON s.id = m.staff_id AND s.kind = 'staff'
             WHERE m.kind = 'staff'),
            0);
END;

-- The refold's rewrite into E.164 keeps the number's digits (a country code may come in
-- front, a trunk 0 may go): only such a rewrite, marked 'refold', is not a change. SQLite
-- has no regexp_replace, so the separators people type are removed one by one.
CREATE TRIGGER users_phone_changes AFTER UPDATE OF phone ON users
WHEN OLD.phone IS NOT NEW.phone AND NOT (
    EXISTS (SELECT 1 FROM writer_mark WHERE kind = 'refold')
    AND length(ltrim(replace(replace(replace(replace(replace(replace(replace(OLD.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', ''), '0')) >= 5
    AND substr(replace(replace(NEW.phone, '+', ''), ' ', ''), -length(ltrim(replace(replace(replace(replace(replace(replace(replace(OLD.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', ''), '0'))) = ltrim(replace(replace(replace(replace(replace(replace(replace(OLD.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', ''), '0')
    AND length(replace(replace(NEW.phone, '+', ''), ' ', '')) - length(ltrim(replace(replace(replace(replace(replace(replace(replace(OLD.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', ''), '0')) <= 3
)
BEGIN
    INSERT INTO contact_changes (user_id, field, old_value, new_value, changed_at, staff_id, handled)
    VALUES (NEW.id, 'phone', OLD.phone, NEW.phone,
            COALESCE((SELECT at FROM writer_mark WHERE kind = 'staff' AND at >= CAST(strftime('%s', 'now') AS INTEGER) - 300),
                     CAST(strftime('%s', 'now') AS INTEGER)),
            (SELECT m.staff_id FROM writer_mark m JOIN users s ON s.id = m.staff_id AND s.kind = 'staff'
             WHERE m.kind = 'staff'),
            0);
END;

-- A request for codes that waits for a second admin. `signals` and `reasons` are what the
-- requester's warning showed, one per line. `contact_seen` and `batch_seen` are the newest
-- contact change and batch of the target when the request was made: a later one voids it.
-- An approval lasts until `approval_expires_at` and is used once: the batch it made names
-- it (`backup_code_batches.request_id`).
CREATE TABLE code_requests (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    requester_id         INTEGER NOT NULL REFERENCES users(id),
    target_id            INTEGER NOT NULL REFERENCES users(id),
    identity_check       TEXT NOT NULL,
    note                 TEXT,
    signals              TEXT NOT NULL,
    reasons              TEXT NOT NULL,
    contact_seen         INTEGER,
    batch_seen           INTEGER,
    created_at           INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    state                TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'approved', 'declined', 'withdrawn', 'expired', 'used', 'void')),
    decided_by           INTEGER REFERENCES users(id),
    decided_at           INTEGER,
    decision_note        TEXT,
    approval_expires_at  INTEGER,
    closed_at            INTEGER
);
-- One open request a target: a second agent sees the first's.
CREATE UNIQUE INDEX code_requests_open ON code_requests (target_id) WHERE state IN ('pending', 'approved');
CREATE INDEX code_requests_state ON code_requests (state, id);

ALTER TABLE backup_code_batches ADD COLUMN request_id INTEGER REFERENCES code_requests(id);

-- A member of staff's own customer account, linked by an admin (shared email and phone
-- are found without a link).
CREATE TABLE staff_identity_links (
    staff_id   INTEGER NOT NULL REFERENCES users(id),
    user_id    INTEGER NOT NULL REFERENCES users(id),
    linked_by  INTEGER NOT NULL REFERENCES users(id),
    linked_at  INTEGER NOT NULL,
    PRIMARY KEY (staff_id, user_id)
);
CREATE INDEX staff_identity_links_user ON staff_identity_links (user_id);

-- "Backup codes always need a second person" (Institution Settings).
ALTER TABLE institutions ADD COLUMN codes_need_second_person INTEGER NOT NULL DEFAULT 0;
