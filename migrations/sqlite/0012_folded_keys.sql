-- Search keys folded by the product (case, accents and punctuation dropped; see
-- domain::text::fold). keys_stale is 1 when sort_key, first_key or phone_digits may not be
-- what the product makes of the row: every row when this migration runs (they were only
-- lower-cased), and every row another system inserts (it does not know the rule) or whose
-- name or phone it updates without the keys. The product folds stale rows again before
-- each search; `helpdesk migrate` folds them all.
ALTER TABLE users ADD COLUMN keys_stale INTEGER NOT NULL DEFAULT 1;
CREATE INDEX users_keys_stale ON users (id) WHERE keys_stale <> 0;

-- A name or phone changed and the keys did not: another writer. The row is marked stale and
-- given keys SQLite can make (ASCII lower case) so it sorts near its place until folded.
-- The product's own writes set the keys, and its refold starts from a stale row.
CREATE TRIGGER users_keys_from_elsewhere AFTER UPDATE OF first_name, last_name, phone ON users
WHEN OLD.keys_stale = 0 AND NEW.keys_stale = 0
    AND (NEW.first_name IS NOT OLD.first_name OR NEW.last_name IS NOT OLD.last_name OR NEW.phone IS NOT OLD.phone)
    AND NEW.sort_key IS OLD.sort_key AND NEW.first_key IS OLD.first_key AND NEW.phone_digits IS OLD.phone_digits
BEGIN
    UPDATE users SET keys_stale = 1, sort_key = lower(NEW.last_name || ' ' || NEW.first_name),
        first_key = lower(NEW.first_name)
    WHERE id = NEW.id;
END;
