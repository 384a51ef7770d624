//! Users, their second factors, and what staff may do. Usernames and emails are stored
//! lower-cased, so that look-ups by username are exact matches on the unique index.

pub const USER_BY_ID: &str = "SELECT id, kind, username, first_name, last_name, email, phone, phone_grouped, phone_region, enrolment, \
     staff_role, created_at FROM users WHERE id = $1";

/// Bind the username lower-cased.
pub const USER_BY_USERNAME: &str = "SELECT id, kind, username, first_name, last_name, email, phone, phone_grouped, phone_region, enrolment, \
     staff_role, created_at FROM users WHERE username = $1";

pub const COUNT_USERS: &str = "SELECT COUNT(*) AS n FROM users";

pub const COUNT_STAFF: &str = "SELECT COUNT(*) AS n FROM users WHERE kind = 'staff'";

pub const DEVICES: &str = "SELECT method, label, added_at FROM two_factor_devices WHERE user_id = $1 ORDER BY id";

/// Rewrites the search keys (`sort_key`, `first_key`, `phone_digits`) and the phone's
/// stored form (`phone::stored_form`: grouping, region) with the fields they are derived
/// from, so that search never sees a stale name or number. A change of email or phone is
/// recorded by the triggers on `users` (`contact_changes`).
pub const UPDATE_PROFILE: &str = "UPDATE users SET first_name = $2, last_name = $3, sort_key = $4, first_key = $5, \
     email = $6, phone = $7, phone_digits = $8, updated_at = $9, keys_stale = 0, phone_grouped = $10, \
     phone_region = $11 WHERE id = $1";

/// A multi-row insert: `insert_users(values)` with `USER_INSERT_COLUMNS` values a row.
/// Both databases return the ids of one multi-row insert in row order.
pub fn insert_users(values: &str) -> String {
    format!(
        "INSERT INTO users (institution_id, kind, username, first_name, last_name, sort_key, first_key, \
         email, phone, phone_digits, enrolment, staff_role, password_hash, created_at, updated_at, keys_stale, \
         phone_grouped, phone_region) VALUES {values} RETURNING id"
    )
}

pub const USER_INSERT_COLUMNS: usize = 18;

/// Rows whose search keys may be stale (written by another system), in no order: an
/// ORDER BY made SQLite sort every stale row for each thousand, so folding a million took
/// over half an hour instead of seconds.
pub const STALE_KEYS: &str = "SELECT id, first_name, last_name, phone FROM users WHERE keys_stale <> 0 LIMIT $1";

/// Whether any row is stale: the usual answer, no, without a write transaction.
pub const ANY_STALE: &str = "SELECT COUNT(*) FROM (SELECT 1 AS one FROM users WHERE keys_stale <> 0 LIMIT 1) AS s";

/// The keys the product's folding makes, and the phone in E.164 with its stored form when
/// it reads as a valid number. Only if the row still holds what was folded: a writer that
/// changed it since leaves it stale for the next pass.
pub const REFOLD_KEYS: &str = "UPDATE users SET sort_key = $2, first_key = $3, phone = $4, phone_digits = $5, \
     keys_stale = 0, phone_grouped = $9, phone_region = $10 \
     WHERE id = $1 AND first_name = $6 AND last_name = $7 AND phone = $8";

/// A user's name words (`domain::search::word_keys`) are replaced whole whenever the keys
/// of the name are written: removed, then inserted with the row's `sort_key`.
pub const DELETE_NAME_WORDS: &str = "DELETE FROM user_name_words WHERE user_id = $1";

/// A multi-row insert: `insert_name_words(values)` with `NAME_WORD_COLUMNS` values a row
/// (user id, word key, sort key).
pub fn insert_name_words(values: &str) -> String {
    format!("INSERT INTO user_name_words (user_id, word_key, sort_key) VALUES {values}")
}

pub const NAME_WORD_COLUMNS: usize = 3;

/// A multi-row insert: `insert_devices(values)` with `DEVICE_INSERT_COLUMNS` values a row.
pub fn insert_devices(values: &str) -> String {
    format!("INSERT INTO two_factor_devices (user_id, method, label, added_at) VALUES {values}")
}

pub const DEVICE_INSERT_COLUMNS: usize = 4;

/// Only staff rows: a customer's username never signs in.
pub const STAFF_CREDENTIALS: &str = "SELECT id, kind, username, first_name, last_name, email, phone, phone_grouped, phone_region, enrolment, \
     staff_role, created_at, password_hash, disabled_at FROM users WHERE username = $1 AND kind = 'staff'";

pub const PERMISSIONS: &str = "SELECT permission FROM staff_permissions WHERE user_id = $1";

/// Deleting first makes granting idempotent: the primary key forbids a second row.
pub const REVOKE_PERMISSION: &str = "DELETE FROM staff_permissions WHERE user_id = $1 AND permission = $2";

pub const GRANT_PERMISSION: &str = "INSERT INTO staff_permissions (user_id, permission) VALUES ($1, $2)";
