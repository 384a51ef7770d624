-- No single person, and no single recent change, can hand out a working code.

-- Every change of a user's email or phone, whoever made it. The triggers below write the
-- rows; `staff_id` names the member of staff when helpdesk made the change (NULL: another
-- writer, such as Digital Banking's profile page). `handled` is 1 once the change's audit
-- event and the notices to the old addresses are written: helpdesk's own changes are
-- marked handled by the transaction that made them (which writes both), the others at the
-- product's next pass. The trigger always writes 0.
CREATE TABLE contact_changes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    field       TEXT NOT NULL CHECK (field IN ('email', 'phone')),
    old_value   TEXT NOT NULL,
    new_value   TEXT NOT NULL,
    changed_at  BIGINT NOT NULL,
    staff_id    BIGINT REFERENCES users(id),
    handled     BIGINT NOT NULL DEFAULT 0
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
UPDATE backup_code_batches SET revoked_at = extract(epoch FROM now())::BIGINT
WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE disabled_at IS NOT NULL);

-- How helpdesk marks its own writes on PostgreSQL: inside its transaction it sets the
-- transaction-local `helpdesk.writer` (set_config(..., true)), which ends with the
-- transaction: 'staff <id> <unix seconds>' names the member of staff and the product's
-- clock; 'refold' is the product rewriting a phone number it read as valid into E.164, which
-- is not a change of number. Any other writer leaves it unset. The function runs as its
-- owner, so a writer that may update users records its change without rights of its own on
-- contact_changes.
CREATE FUNCTION users_contact_changes() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    writer TEXT := coalesce(current_setting('helpdesk.writer', true), '');
    staff BIGINT;
    at BIGINT := extract(epoch FROM clock_timestamp())::BIGINT;
    old_digits TEXT := ltrim(regexp_replace(OLD.phone, '[^0-9]', '', 'g'), '0');
    new_digits TEXT := regexp_replace(NEW.phone, '[^0-9]', '', 'g');
BEGIN
    -- Any role that may update users could set the mark: it is trusted only to name a
    -- member of staff (a staff row, else nobody) and a time no more than five minutes
    -- before now; every change waits for the product to mark it handled.
    IF writer ~ '^staff [0-9]+ [0-9]+$' THEN
        SELECT id INTO staff FROM users WHERE id = split_part(writer, ' ', 2)::BIGINT AND kind = 'staff';
        -- The product's clock, unless it is more than five minutes (clock skew) behind.
        at := CASE WHEN split_part(writer, ' ', 3)::BIGINT >= at - 300 THEN split_part(writer, ' ', 3)::BIGINT ELSE at END;
    END IF;
    IF lower(OLD.email) IS DISTINCT FROM lower(NEW.email) THEN
        INSERT INTO contact_changes (user_id, field, old_value, new_value, changed_at, staff_id, handled)
        VALUES (NEW.id, 'email', OLD.email, NEW.email, at, staff, 0);
    END IF;
    -- The refold's rewrite into E.164 keeps the number's digits (a country code may come
    -- in front, a trunk 0 may go): only such a rewrite is not a change.
    IF OLD.phone IS DISTINCT FROM NEW.phone AND NOT (
        writer = 'refold' AND length(old_digits) >= 5
        AND right(new_digits, length(old_digits)) = old_digits
        AND length(new_digits) - length(old_digits) <= 3
    ) THEN
        INSERT INTO contact_changes (user_id, field, old_value, new_value, changed_at, staff_id, handled)
        VALUES (NEW.id, 'phone', OLD.phone, NEW.phone, at, staff, 0);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER users_contact_changes AFTER UPDATE OF email, phone ON users
    FOR EACH ROW EXECUTE FUNCTION users_contact_changes();

-- A request for codes that waits for a second admin. `signals` and `reasons` are what the
-- requester's warning showed, one per line. `contact_seen` and `batch_seen` are the newest
-- contact change and batch of the target when the request was made: a later one voids it.
-- An approval lasts until `approval_expires_at` and is used once: the batch it made names
-- it (`backup_code_batches.request_id`).
CREATE TABLE code_requests (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requester_id         BIGINT NOT NULL REFERENCES users(id),
    target_id            BIGINT NOT NULL REFERENCES users(id),
    identity_check       TEXT NOT NULL,
    note                 TEXT,
    signals              TEXT NOT NULL,
    reasons              TEXT NOT NULL,
    contact_seen         BIGINT,
    batch_seen           BIGINT,
    created_at           BIGINT NOT NULL,
    expires_at           BIGINT NOT NULL,
    state                TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'approved', 'declined', 'withdrawn', 'expired', 'used', 'void')),
    decided_by           BIGINT REFERENCES users(id),
    decided_at           BIGINT,
    decision_note        TEXT,
    approval_expires_at  BIGINT,
    closed_at            BIGINT
);
-- One open request a target: a second agent sees the first's.
CREATE UNIQUE INDEX code_requests_open ON code_requests (target_id) WHERE state IN ('pending', 'approved');
CREATE INDEX code_requests_state ON code_requests (state, id);

ALTER TABLE backup_code_batches ADD COLUMN request_id BIGINT REFERENCES code_requests(id);

-- A member of staff's own customer account, linked by an admin (shared email and phone
-- are found without a link).
CREATE TABLE staff_identity_links (
    staff_id   BIGINT NOT NULL REFERENCES users(id),
    user_id    BIGINT NOT NULL REFERENCES users(id),
    linked_by  BIGINT NOT NULL REFERENCES users(id),
    linked_at  BIGINT NOT NULL,
    PRIMARY KEY (staff_id, user_id)
);
CREATE INDEX staff_identity_links_user ON staff_identity_links (user_id);

-- "Backup codes always need a second person" (Institution Settings).
ALTER TABLE institutions ADD COLUMN codes_need_second_person BIGINT NOT NULL DEFAULT 0;
