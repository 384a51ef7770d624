//! Manage Users: a page of users in name order, everybody or those whose name, first
//! name, username, email or phone starts with what was typed. Paged by key (`sort_key`,
//! `id`), never by offset, so that a page costs the same anywhere in a million rows.

/// Everybody, in name order: the page after (`$1`, `$2`), `$3` rows.
pub const USERS_PAGE: &str = "SELECT id, kind, username, first_name, last_name, email, phone, enrolment, \
     staff_role, created_at FROM users \
     WHERE sort_key > $1 OR (sort_key = $1 AND id > $2) \
     ORDER BY sort_key, id LIMIT $3";

/// How many rows each searched column contributes before ordering. A prefix that
/// matches more than this in one column shows the first ones in that column's order;
/// typing one more character narrows it.
pub const SEARCH_CANDIDATES: i64 = 2_000;

/// A search: each column's prefix range read through its own index (bounded by `$8`,
/// `SEARCH_CANDIDATES`), the union ordered by name and paged by key. Without the bound
/// per column, a rare prefix would make the database walk the whole name index to fill a
/// page. `$1`..`$2` is the text's prefix range, `$3`..`$4` the phone digits' range,
/// (`$5`, `$6`) the last row already shown, `$7` the page size. CROSS JOIN keeps SQLite
/// from turning the join around; PostgreSQL plans it freely.
pub const SEARCH: &str = "SELECT u.id, u.kind, u.username, u.first_name, u.last_name, u.email, u.phone, \
     u.enrolment, u.staff_role, u.created_at FROM (\
     SELECT id FROM (SELECT id FROM users WHERE sort_key >= $1 AND sort_key < $2 ORDER BY sort_key LIMIT $8) AS b1 \
     UNION SELECT id FROM (SELECT id FROM users WHERE first_key >= $1 AND first_key < $2 ORDER BY first_key LIMIT $8) AS b2 \
     UNION SELECT id FROM (SELECT id FROM users WHERE username >= $1 AND username < $2 ORDER BY username LIMIT $8) AS b3 \
     UNION SELECT id FROM (SELECT id FROM users WHERE email >= $1 AND email < $2 ORDER BY email LIMIT $8) AS b4 \
     UNION SELECT id FROM (SELECT id FROM users WHERE phone_digits >= $3 AND phone_digits < $4 \
     ORDER BY phone_digits LIMIT $8) AS b5\
     ) AS m CROSS JOIN users u \
     WHERE u.id = m.id AND (u.sort_key > $5 OR (u.sort_key = $5 AND u.id > $6)) \
     ORDER BY u.sort_key, u.id LIMIT $7";

/// The search keys stored beside a user, lower-cased for prefix look-ups.
pub fn first_key(first: &str) -> String {
    first.to_lowercase()
}

pub fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// The exclusive upper bound of a prefix range: every string that starts with `prefix`
/// sorts below it, in byte order (SQLite's BINARY, PostgreSQL's "C" collation).
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// The digits to match against phone numbers, when the text looks like one.
pub fn phone_prefix(text: &str) -> String {
    let looks_like_phone =
        text.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) && text.chars().any(|c| c.is_ascii_digit());
    if looks_like_phone { phone_digits(text) } else { String::new() }
}
