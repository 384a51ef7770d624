-- Every word of a name searchable: `marquez` finds García Márquez, `berg` van den Berg.
-- For each user, the keys of the words of the first and last name past the ones that
-- sort_key and first_key already start with (domain::search::word_keys), each with the
-- user's sort_key, so that a word's users are read from an index alone: by their key
-- (`rashid`) and sorted when few, or in name order when common (one letter).
-- The product writes them with the keys on every write it makes, in the same transaction.
CREATE TABLE user_name_words (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    word_key TEXT COLLATE "C" NOT NULL,
    sort_key TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_id, word_key)
);
CREATE INDEX user_name_words_key ON user_name_words (word_key, sort_key, user_id);
CREATE INDEX user_name_words_order ON user_name_words (sort_key, user_id, word_key);

-- Another writer changed a name: besides marking the row stale (0012), its words go at
-- once, so the old name is not found by them; the product's refold, which runs before
-- each search, writes the new ones. The function runs as its owner, so a writer that may
-- update users needs no rights of its own on user_name_words.
CREATE OR REPLACE FUNCTION users_keys_from_elsewhere() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
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
        DELETE FROM user_name_words WHERE user_id = NEW.id;
    END IF;
    RETURN NEW;
END $$;

-- The fold changed (final sigma, kana) and no row has its words yet: every row is folded
-- again, before the next search or by `helpdesk migrate`.
UPDATE users SET keys_stale = 1;
