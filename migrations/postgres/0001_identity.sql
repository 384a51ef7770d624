-- The identity schema. Instants are Unix seconds (BIGINT); code material is stored only
-- as argon2id hashes.

CREATE TABLE institutions (
    id          BIGINT PRIMARY KEY,
    name        TEXT NOT NULL
);

CREATE TABLE institution_2fa_methods (
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    method         TEXT NOT NULL CHECK (method IN ('email','sms','voice','authenticator_app','backup_codes')),
    PRIMARY KEY (institution_id, method)
);

CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution_id  BIGINT NOT NULL REFERENCES institutions(id),
    kind            TEXT NOT NULL CHECK (kind IN ('customer','staff')),
    username        TEXT COLLATE "C" NOT NULL UNIQUE,
    first_name      TEXT NOT NULL,
    last_name       TEXT NOT NULL,
    -- lower-cased keys for ordering and prefix search
    sort_key        TEXT COLLATE "C" NOT NULL,
    first_key       TEXT COLLATE "C" NOT NULL,
    email           TEXT COLLATE "C" NOT NULL,
    phone           TEXT NOT NULL,
    phone_digits    TEXT COLLATE "C" NOT NULL,
    enrolment       TEXT NOT NULL CHECK (enrolment IN ('registered','enrolled')),
    staff_role      TEXT CHECK (staff_role IN ('agent','admin')),
    password_hash   TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    code_failures       BIGINT NOT NULL DEFAULT 0,
    codes_locked_until  BIGINT,
    login_failures      BIGINT NOT NULL DEFAULT 0,
    login_locked_until  BIGINT,
    CHECK ((kind = 'staff') = (staff_role IS NOT NULL))
);
CREATE INDEX users_sort ON users (sort_key, id);
CREATE INDEX users_first ON users (first_key);
CREATE INDEX users_email ON users (email);
CREATE INDEX users_phone ON users (phone_digits);

CREATE TABLE staff_permissions (
    user_id     BIGINT NOT NULL REFERENCES users(id),
    permission  TEXT NOT NULL CHECK (permission IN ('generate_lockout_codes')),
    PRIMARY KEY (user_id, permission)
);

CREATE TABLE two_factor_devices (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    method      TEXT NOT NULL CHECK (method IN ('email','sms','voice','authenticator_app','backup_codes')),
    label       TEXT NOT NULL,
    added_at    BIGINT NOT NULL
);
CREATE INDEX two_factor_devices_user ON two_factor_devices (user_id);

CREATE TABLE backup_code_batches (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users(id),
    generated_by    BIGINT NOT NULL REFERENCES users(id),
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT,
    salt            BYTEA NOT NULL,
    argon2_m        BIGINT NOT NULL,
    argon2_t        BIGINT NOT NULL,
    argon2_p        BIGINT NOT NULL,
    code_count      BIGINT NOT NULL,
    identity_check  TEXT NOT NULL,
    note            TEXT,
    revoked_at      BIGINT,
    revoked_by      BIGINT REFERENCES users(id)
);
-- At most one batch per user is not revoked: a new batch revokes the old one.
CREATE UNIQUE INDEX backup_code_batches_one_active ON backup_code_batches (user_id) WHERE revoked_at IS NULL;

CREATE TABLE backup_codes (
    batch_id    BIGINT NOT NULL REFERENCES backup_code_batches(id),
    code_hash   BYTEA NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (batch_id, code_hash)
);

CREATE TABLE audit_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              BIGINT NOT NULL,
    actor_id        BIGINT,
    actor           TEXT NOT NULL,
    target_id       BIGINT,
    target          TEXT NOT NULL,
    action          TEXT NOT NULL,
    identity_check  TEXT,
    note            TEXT,
    code_count      BIGINT,
    expires_at      BIGINT,
    detail          TEXT
);
CREATE INDEX audit_events_target ON audit_events (target_id, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Drained by the bank's messaging system; never holds a code.
CREATE TABLE notification_outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    channel     TEXT NOT NULL CHECK (channel IN ('email','sms')),
    address     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    sent_at     BIGINT
);

CREATE TABLE staff_sessions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    BIGINT NOT NULL REFERENCES users(id),
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id) WHERE ended_at IS NULL;
