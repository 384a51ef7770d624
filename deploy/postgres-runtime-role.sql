-- The role helpdesk runs as on PostgreSQL: it reads and writes what the service needs,
-- may only INSERT and SELECT audit events (no UPDATE, DELETE or TRUNCATE), owns nothing,
-- and has no DDL. `helpdesk migrate` runs as the schema's owner; every other helpdesk
-- process connects as this role, checks that the schema is at the latest version and
-- never migrates.
--
-- Run it after every `helpdesk migrate` (new tables need their grants), as a role that may
-- create roles and owns the schema (or a superuser), with the helpdesk schema first in
-- the search_path:
--
--   psql "postgres://OWNER@HOST/DATABASE?sslmode=require" -v ON_ERROR_STOP=1 \
--        -f deploy/postgres-runtime-role.sql
--   psql ... -c '\password helpdesk_runtime'
--
-- then point HELPDESK_DATABASE_URL at postgres://helpdesk_runtime@HOST/DATABASE?sslmode=require.
-- The role's name is helpdesk_runtime throughout; change every occurrence to use another.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'helpdesk_runtime') THEN
        CREATE ROLE helpdesk_runtime LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
    END IF;
END
$$;

-- Start from nothing in this schema, then grant what the service uses, table by table.
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM helpdesk_runtime', current_schema());
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM helpdesk_runtime', current_schema());
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM helpdesk_runtime', current_schema());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO helpdesk_runtime', current_schema());
    -- PostgreSQL 14 and older let every role create in schema public.
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
    -- Identity columns draw their ids from sequences.
    EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO helpdesk_runtime', current_schema());
END
$$;

-- The append-only record: written and read, never changed or removed.
GRANT SELECT, INSERT ON audit_events TO helpdesk_runtime;
-- The chain head moves with every append: its last event and hash, never its start
-- (a trigger also refuses moving it backwards).
GRANT SELECT ON audit_chain TO helpdesk_runtime;
GRANT UPDATE (last_id, last_hash) ON audit_chain TO helpdesk_runtime;

GRANT SELECT ON institutions TO helpdesk_runtime;
-- The permitted methods are replaced whole.
GRANT SELECT, INSERT, DELETE ON institution_2fa_methods TO helpdesk_runtime;
-- Staff creation; then only the columns the product updates (src/store/sql/): profiles,
-- their search keys and the phone's stored form, passwords, the staff role and disabling,
-- enrolment and the throttles. Never a user's id, kind, username, institution or creation
-- time.
GRANT SELECT, INSERT ON users TO helpdesk_runtime;
GRANT UPDATE (first_name, last_name, sort_key, first_key, email, phone, phone_digits, keys_stale, updated_at,
              phone_grouped, phone_region,
              staff_role, disabled_at, password_hash, enrolment,
              code_failures, codes_locked_until, code_failures_total, login_failures, login_locked_until,
              factor_secret, factor_last_step, factor_enrolled_at)
    ON users TO helpdesk_runtime;
-- The keys of every word of a name, rewritten whole with the name's keys.
GRANT SELECT, INSERT, DELETE ON user_name_words TO helpdesk_runtime;
-- Granting is idempotent by deleting first.
GRANT SELECT, INSERT, DELETE ON staff_permissions TO helpdesk_runtime;
GRANT SELECT, INSERT ON two_factor_devices TO helpdesk_runtime;
-- Batches are revoked, codes used up: both by UPDATE of those columns only, never DELETE
-- (triggers also refuse a used code becoming unused and a revoked batch coming back).
-- A batch goes in only with its generation event, which names it (migration 0022): the
-- product draws the batch's id from its sequence (USAGE above) and gives it explicitly.
GRANT SELECT, INSERT ON backup_code_batches TO helpdesk_runtime;
GRANT UPDATE (revoked_at, revoked_by, request_id) ON backup_code_batches TO helpdesk_runtime;
GRANT SELECT, INSERT ON backup_codes TO helpdesk_runtime;
GRANT UPDATE (used_at) ON backup_codes TO helpdesk_runtime;
-- The outbox is drained by the messaging system, under its own role.
GRANT SELECT, INSERT ON notification_outbox TO helpdesk_runtime;
-- A session is ended, or seen again; who and when it started never change.
GRANT SELECT, INSERT ON staff_sessions TO helpdesk_runtime;
GRANT UPDATE (ended_at, last_seen_at, factor_at) ON staff_sessions TO helpdesk_runtime;
GRANT SELECT, INSERT ON instance_keys TO helpdesk_runtime;
GRANT SELECT ON unknown_username_throttle TO helpdesk_runtime;
GRANT UPDATE (window_start, attempts, total) ON unknown_username_throttle TO helpdesk_runtime;
-- Contact changes are written by the trigger on users (as its owner); the product reads
-- them and marks them handled once their audit event and notices are written.
GRANT SELECT ON contact_changes TO helpdesk_runtime;
GRANT UPDATE (handled) ON contact_changes TO helpdesk_runtime;
-- Requests for codes move through their states, never deleted: a decision, an expiry or a
-- use sets the state and the decision's columns only (and a trigger refuses any move the
-- product's state machine does not make, whoever writes).
GRANT SELECT, INSERT ON code_requests TO helpdesk_runtime;
GRANT UPDATE (state, decided_by, decided_at, decision_note, approval_expires_at, closed_at)
    ON code_requests TO helpdesk_runtime;
GRANT SELECT, INSERT ON code_request_reasons TO helpdesk_runtime;
-- Grant requests (a new admin, the permission, a role, re-enabling): asked, then decided
-- once by a second admin. Deciding as the database's owner (`decided_by_owner`) is not
-- granted: only the owner's own connection may (`helpdesk grants approve --as-owner`).
GRANT SELECT, INSERT ON grant_requests TO helpdesk_runtime;
-- SSH keys bound by an approved grant; never unbound by the runtime role.
GRANT SELECT, INSERT ON staff_ssh_keys TO helpdesk_runtime;
GRANT UPDATE (state, decided_by, decided_at, decision_note) ON grant_requests TO helpdesk_runtime;
GRANT SELECT, INSERT ON staff_identity_links TO helpdesk_runtime;
-- "Backup codes always need a second person".
GRANT UPDATE (codes_need_second_person) ON institutions TO helpdesk_runtime;
-- The systems that call `helpdesk serve`: created and revoked by an admin, never deleted.
GRANT SELECT, INSERT ON serve_clients TO helpdesk_runtime;
GRANT UPDATE (revoked_at, revoked_by) ON serve_clients TO helpdesk_runtime;
-- `helpdesk serve`'s refusal counts per caller address, shared by its instances: throttle
-- state, whose past windows are deleted.
GRANT SELECT, INSERT, DELETE ON serve_refusals TO helpdesk_runtime;
GRANT UPDATE (window_start, refused) ON serve_refusals TO helpdesk_runtime;
-- The version check at start.
GRANT SELECT ON _sqlx_migrations TO helpdesk_runtime;
