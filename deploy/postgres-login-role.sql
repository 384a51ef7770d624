-- The role the Digital Banking login writes the helpdesk database as, on PostgreSQL: a
-- customer's profile and contact details (first and last name, email, phone, and when they
-- were last updated) and their second-factor devices. It sees customers only, never staff
-- rows, and nothing of backup-code batches, codes, requests for codes, staff permissions,
-- sessions, the audit log, the outbox or serve clients. Its changes of an email or phone are
-- recorded as contact changes by the trigger on `users` (which runs as the schema's owner),
-- so helpdesk holds the cool-off, shows the signal and notifies the old address as for any
-- other change. Redeeming a backup code is not a database write of the login's: it calls
-- `helpdesk serve` (docs/redemption-api.md).
--
-- Run it after every `helpdesk migrate`, as a role that may create roles and owns the
-- schema (or a superuser), with the helpdesk schema first in the search_path:
--
--   psql "postgres://OWNER@HOST/DATABASE?sslmode=require" -v ON_ERROR_STOP=1 \
--        -f deploy/postgres-login-role.sql
--   psql ... -c '\password helpdesk_login'
--
-- The role's name is helpdesk_login throughout; change every occurrence to use another.
-- It turns row-level security on for `users` and `two_factor_devices`, with a policy that
-- lets every other role see every row as before: only this role is held to customers.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'helpdesk_login') THEN
        CREATE ROLE helpdesk_login LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
    END IF;
END
$$;

-- Start from nothing in this schema, then grant what the login uses.
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM helpdesk_login', current_schema());
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM helpdesk_login', current_schema());
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM helpdesk_login', current_schema());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO helpdesk_login', current_schema());
    -- PostgreSQL 14 and older let every role create in schema public.
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
    -- A device's id is drawn from its identity sequence.
    EXECUTE format('GRANT USAGE ON SEQUENCE %s TO helpdesk_login', pg_get_serial_sequence('two_factor_devices', 'id'));
END
$$;

-- A customer's profile and contacts: read and changed, never the row's kind, username,
-- search keys, password, staff role, enrolment, throttles or lock-outs. An insert or a
-- delete of a user is not the login's.
GRANT SELECT (id, institution_id, kind, username, first_name, last_name, email, phone, enrolment,
              created_at, updated_at)
    ON users TO helpdesk_login;
GRANT UPDATE (first_name, last_name, email, phone, updated_at) ON users TO helpdesk_login;
-- The devices a customer enrols and removes in Digital Banking.
GRANT SELECT, INSERT, DELETE ON two_factor_devices TO helpdesk_login;

-- Customers only: a member of staff's row (whose email and phone guard their own codes)
-- is neither seen nor changed by this role, nor are their devices. Policies of other roles:
-- every row, as without row-level security.
DO $$
BEGIN
    DROP POLICY IF EXISTS users_every_role ON users;
    CREATE POLICY users_every_role ON users USING (true) WITH CHECK (true);
    DROP POLICY IF EXISTS helpdesk_login_customers_only ON users;
    CREATE POLICY helpdesk_login_customers_only ON users AS RESTRICTIVE TO helpdesk_login
        USING (kind = 'customer') WITH CHECK (kind = 'customer');
    DROP POLICY IF EXISTS two_factor_devices_every_role ON two_factor_devices;
    CREATE POLICY two_factor_devices_every_role ON two_factor_devices USING (true) WITH CHECK (true);
    DROP POLICY IF EXISTS helpdesk_login_customers_only ON two_factor_devices;
    CREATE POLICY helpdesk_login_customers_only ON two_factor_devices AS RESTRICTIVE TO helpdesk_login
        USING (EXISTS (SELECT 1 FROM users u WHERE u.id = user_id AND u.kind = 'customer'))
        WITH CHECK (EXISTS (SELECT 1 FROM users u WHERE u.id = user_id AND u.kind = 'customer'));
    ALTER TABLE users ENABLE ROW LEVEL SECURITY;
    ALTER TABLE two_factor_devices ENABLE ROW LEVEL SECURITY;
END
$$;
