-- First names with their place in name order: a search for a common first name picks its
-- page from this index alone, then reads only the page's rows.
DROP INDEX users_first;
CREATE INDEX users_first ON users (first_key, sort_key, id);
