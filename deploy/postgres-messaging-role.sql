-- The role the bank's messaging system drains helpdesk's notification outbox as, on
-- PostgreSQL: it reads the notices (channel, address, kind, body; none ever holds a code)
-- and marks each one sent by setting its `sent_at` (Unix seconds). It cannot write a
-- notice, change one's address or text, delete one, or read or write any other table.
--
-- Run it after every `helpdesk migrate`, as a role that may create roles and owns the
-- schema (or a superuser), with the helpdesk schema first in the search_path:
--
--   psql "postgres://OWNER@HOST/DATABASE?sslmode=require" -v ON_ERROR_STOP=1 \
--        -f deploy/postgres-messaging-role.sql
--   psql ... -c '\password helpdesk_messaging'
--
-- The messaging system then, for example:
--   SELECT id, channel, address, kind, body FROM notification_outbox WHERE sent_at IS NULL ORDER BY id;
--   UPDATE notification_outbox SET sent_at = extract(epoch FROM now())::BIGINT WHERE id = $1 AND sent_at IS NULL;
--
-- The role's name is helpdesk_messaging throughout; change every occurrence to use another.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'helpdesk_messaging') THEN
        CREATE ROLE helpdesk_messaging LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
    END IF;
END
$$;

-- Start from nothing in this schema, then grant the outbox alone.
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM helpdesk_messaging', current_schema());
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM helpdesk_messaging', current_schema());
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM helpdesk_messaging', current_schema());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO helpdesk_messaging', current_schema());
    -- PostgreSQL 14 and older let every role create in schema public.
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
END
$$;

GRANT SELECT ON notification_outbox TO helpdesk_messaging;
GRANT UPDATE (sent_at) ON notification_outbox TO helpdesk_messaging;
