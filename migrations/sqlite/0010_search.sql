-- Search keys that the earlier ones lacked: an email's domain (typed as @domain), and a
-- phone number's last three digits (an agent types the end of the number a caller reads
-- out). Derived from the stored columns, so no writer has to keep them in step.
ALTER TABLE users ADD COLUMN email_domain TEXT GENERATED ALWAYS AS (substr(email, instr(email, '@') + 1)) VIRTUAL;
ALTER TABLE users ADD COLUMN phone_last3 TEXT GENERATED ALWAYS AS (substr(phone_digits, -3)) VIRTUAL;
CREATE INDEX users_email_domain ON users (email_domain, sort_key, id);
CREATE INDEX users_phone_last3 ON users (phone_last3);
