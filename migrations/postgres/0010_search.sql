-- Search keys that the earlier ones lacked: an email's domain (typed as @domain), and a
-- phone number's last three digits (an agent types the end of the number a caller reads
-- out). Derived from the stored columns, so no writer has to keep them in step.
ALTER TABLE users ADD COLUMN email_domain TEXT COLLATE "C" GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED;
ALTER TABLE users ADD COLUMN phone_last3 TEXT COLLATE "C" GENERATED ALWAYS AS (right(phone_digits, 3)) STORED;
CREATE INDEX users_email_domain ON users (email_domain, sort_key, id);
CREATE INDEX users_phone_last3 ON users (phone_last3);
