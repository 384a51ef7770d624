-- Search keys folded by the product (case, accents and punctuation dropped; see
-- domain::text::fold). keys_stale is 1 when sort_key, first_key or phone_digits may not be
-- what the product makes of the row: every row when this migration runs (they were only
-- lower-cased), and every row another system inserts (it does not know the rule) or whose
-- name or phone it updates without the keys. The product folds stale rows again before
-- each search; `helpdesk migrate` folds them all.
ALTER TABLE users ADD COLUMN keys_stale SMALLINT NOT NULL DEFAULT 1;
-- Another system's insert need not know the keys.
ALTER TABLE users ALTER COLUMN sort_key SET DEFAULT '',
    ALTER COLUMN first_key SET DEFAULT '',
    ALTER COLUMN phone_digits SET DEFAULT '';
CREATE INDEX users_keys_stale ON users (id) WHERE keys_stale <> 0;

-- A name or phone changed and the keys did not: another writer. The row is marked stale and
-- given keys PostgreSQL can make (lower case, the phone's digits) so that it sorts near its
-- place until folded. An insert without keys gets them the same way.
CREATE FUNCTION users_keys_from_elsewhere() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.keys_stale <> 0 THEN
            NEW.sort_key := lower(NEW.last_name || ' ' || NEW.first_name);
            NEW.first_key := lower(NEW.first_name);
            NEW.phone_digits := regexp_replace(NEW.phone, '[^0-9]', '', 'g');
        END IF;
    ELSIF OLD.keys_stale = 0 AND NEW.keys_stale = 0
        AND (NEW.first_name, NEW.last_name, NEW.phone) IS DISTINCT FROM (OLD.first_name, OLD.last_name, OLD.phone)
        AND (NEW.sort_key, NEW.first_key, NEW.phone_digits)
            IS NOT DISTINCT FROM (OLD.sort_key, OLD.first_key, OLD.phone_digits) THEN
        NEW.keys_stale := 1;
        NEW.sort_key := lower(NEW.last_name || ' ' || NEW.first_name);
        NEW.first_key := lower(NEW.first_name);
        NEW.phone_digits := regexp_replace(NEW.phone, '[^0-9]', '', 'g');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER users_keys_from_elsewhere BEFORE INSERT OR UPDATE OF first_name, last_name, phone ON users
    FOR EACH ROW EXECUTE FUNCTION users_keys_from_elsewhere();
