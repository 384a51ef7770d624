-- Every word of a name searchable: `marquez` finds García Márquez, `berg` van den Berg.
-- For each user, the keys of the words of the first and last name past the ones that
-- sort_key and first_key already start with (domain::search::word_keys), each with the
-- user's sort_key, so that a word's users are read from an index alone: by their key
-- (`rashid`) and sorted when few, or in name order when common (one letter).
-- The product writes them with the keys on every write it makes, in the same transaction.
CREATE TABLE user_name_words (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    word_key TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    PRIMARY KEY (user_id, word_key)
);
CREATE INDEX user_name_words_key ON user_name_words (word_key, sort_key, user_id);
CREATE INDEX user_name_words_order ON user_name_words (sort_key, user_id, word_key);

-- Another writer changed a name: besides marking the row stale (0012), its words go at
-- once, so the old name is not found by them; the product's refold, which runs before
-- each search, writes the new ones.
DROP TRIGGER users_keys_from_elsewhere;
CREATE TRIGGER users_keys_from_elsewhere AFTER UPDATE OF first_name, last_name, phone ON users
WHEN OLD.keys_stale = 0 AND NEW.keys_stale = 0
    AND (NEW.first_name IS NOT OLD.first_name OR NEW.last_name IS NOT OLD.last_name OR NEW.phone IS NOT OLD.phone)
    AND NEW.sort_key IS OLD.sort_key AND NEW.first_key IS OLD.first_key AND NEW.phone_digits IS OLD.phone_digits
BEGIN
    UPDATE users SET keys_stale = 1, sort_key = lower(NEW.last_name || ' ' || NEW.first_name),
        first_key = lower(NEW.first_name)
    WHERE id = NEW.id;
    DELETE FROM user_name_words WHERE user_id = NEW.id;
END;

-- The fold changed (final sigma, kana) and no row has its words yet: every row is folded
-- again, before the next search or by `helpdesk migrate`.
UPDATE users SET keys_stale = 1;
