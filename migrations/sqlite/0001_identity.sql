-- The identity schema. Instants are Unix seconds (INTEGER); code material is stored only
-- as argon2id hashes.

CREATE TABLE institutions (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL
);

CREATE TABLE institution_2fa_methods (
    institution_id INTEGER NOT NULL REFERENCES institutions(id),
    method         TEXT NOT NULL CHECK (method IN ('email','sms','voice','authenticator_app','backup_codes')),
    PRIMARY KEY (institution_id, method)
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    institution_id  INTEGER NOT NULL REFERENCES institutions(id),
    kind            TEXT NOT NULL CHECK (kind IN ('customer','staff')),
    username        TEXT NOT NULL UNIQUE,
    first_name      TEXT NOT NULL,
    last_name       TEXT NOT NULL,
    -- lower-cased keys for ordering and prefix search
    sort_key        TEXT NOT NULL,
    first_key       TEXT NOT NULL,
    email           TEXT NOT NULL,
    phone           TEXT NOT NULL,
    phone_digits    TEXT NOT NULL,
    enrolment       TEXT NOT NULL CHECK (enrolment IN ('registered','enrolled')),
    staff_role      TEXT CHECK (staff_role IN ('agent','admin')),
    password_hash   TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    code_failures       INTEGER NOT NULL DEFAULT 0,
    codes_locked_until  INTEGER,
    login_failures      INTEGER NOT NULL DEFAULT 0,
    login_locked_until  INTEGER,
    CHECK ((kind = 'staff') = (staff_role IS NOT NULL))
);
CREATE INDEX users_sort ON users (sort_key, id);
CREATE INDEX users_first ON users (first_key);
CREATE INDEX users_email ON users (email);
CREATE INDEX users_phone ON users (phone_digits);

CREATE TABLE staff_permissions (
    user_id     INTEGER NOT NULL REFERENCES users(id),
    permission  TEXT NOT NULL CHECK (permission IN ('generate_lockout_codes')),
    PRIMARY KEY (user_id, permission)
);

CREATE TABLE two_factor_devices (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    method      TEXT NOT NULL CHECK (method IN ('email','sms','voice','authenticator_app','backup_codes')),
    label       TEXT NOT NULL,
    added_at    INTEGER NOT NULL
);
CREATE INDEX two_factor_devices_user ON two_factor_devices (user_id);

CREATE TABLE backup_code_batches (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    generated_by    INTEGER NOT NULL REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    salt            BLOB NOT NULL,
    argon2_m        INTEGER NOT NULL,
    argon2_t        INTEGER NOT NULL,
    argon2_p        INTEGER NOT NULL,
    code_count      INTEGER NOT NULL,
    identity_check  TEXT NOT NULL,
    note            TEXT,
    revoked_at      INTEGER,
    revoked_by      INTEGER REFERENCES users(id)
);
-- At most one batch per user is not revoked: a new batch revokes the old one.
CREATE UNIQUE INDEX backup_code_batches_one_active ON backup_code_batches (user_id) WHERE revoked_at IS NULL;

CREATE TABLE backup_codes (
    batch_id    INTEGER NOT NULL REFERENCES backup_code_batches(id),
    code_hash   BLOB NOT NULL,
    used_at     INTEGER,
    PRIMARY KEY (batch_id, code_hash)
);

CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    actor_id        INTEGER,
    actor           TEXT NOT NULL,
    target_id       INTEGER,
    target          TEXT NOT NULL,
    action          TEXT NOT NULL,
    identity_check  TEXT,
    note            TEXT,
    code_count      INTEGER,
    expires_at      INTEGER,
    detail          TEXT
);
CREATE INDEX audit_events_target ON audit_events (target_id, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

-- Drained by the bank's messaging system; never holds a code.
CREATE TABLE notification_outbox (
    id          INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    channel     TEXT NOT NULL CHECK (channel IN ('email','sms')),
    address     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    sent_at     INTEGER
);

CREATE TABLE staff_sessions (
    id          INTEGER PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES users(id),
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id) WHERE ended_at IS NULL;
