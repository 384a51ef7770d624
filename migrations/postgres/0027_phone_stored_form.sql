-- A phone number's form as Manage Users draws it, stored beside its E.164 by the product
-- on every write it makes (forms, the demo's load, the refold of rows other systems
-- wrote): its international grouping and its region (ISO 3166-1 alpha-2), so that drawing
-- a list never loads libphonenumber's metadata (domain::phone::stored_form). NULL when not
-- known: the reader then formats the number itself, as it does when the form is not the
-- same number (another writer changed the phone and not its form).
ALTER TABLE users ADD COLUMN phone_grouped TEXT;
ALTER TABLE users ADD COLUMN phone_region TEXT;

-- Every row with a number gets its form when it is folded again: before the next search,
-- or all of them by `helpdesk migrate`.
UPDATE users SET keys_stale = 1 WHERE phone <> '';
