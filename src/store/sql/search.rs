//! Manage Users: a page of users in name order, everybody or those that match what was
//! typed. Paged by key (`sort_key`, `id`), never by offset, so that a page costs the same
//! anywhere in a million rows, and every page is exact: in name order, with no gap and no
//! repeat, however far the agent pages.
//!
//! What was typed becomes terms, and a user matches when every term matches:
//! - a phone number (digits, with `+ - ( ) .` and spaces) is one term: the digits start or
//!   end the user's number (an agent types the last digits a caller reads out; at least
//!   three for the end);
//! - `@domain` matches the start of the email's domain;
//! - any other word starts the last name (`sort_key`), the first name, any word of either
//!   (`user_name_words`: `marquez` in García Márquez, `berg` in van den Berg), the username
//!   or the email.
//!
//! Two plans give the same rows. When some term is rare (at most `CANDIDATES` users),
//! its users are read through their indexes, the other terms are checked on each, and the
//! few are sorted. When every term is common, the name index is walked in order and each
//! row checked: matches are dense, so a page fills after a few hundred rows.

/// Everybody, in name order: the page after (`$1`, `$2`), `$3` rows.
pub const USERS_PAGE: &str = "SELECT id, kind, username, first_name, last_name, email, phone, phone_grouped, phone_region, enrolment, \
     staff_role, created_at FROM users \
     WHERE sort_key > $1 OR (sort_key = $1 AND id > $2) \
     ORDER BY sort_key, id LIMIT $3";

/// A term with at most this many users is read through its indexes and sorted; one with
/// more is checked while walking the name index.
pub const CANDIDATES: i64 = 5_000;

/// A word's users outside its last-name range (first name, username, email) are read
/// through their indexes and sorted when there are at most this many. Past it they are
/// checked while walking the name index, which is fast only when they are spread through
/// it: the users of a first name cluster where their last names sort (कृष्ण with Sharma,
/// Patel or Devanagari last names), and walking to them took 1.3 s at a million users
/// where reading and sorting their 10,000 rows takes tens of milliseconds.
pub const OTHERS_SORTED: i64 = 20_000;

/// With several terms, the rarest is read first when it has at most this many users;
/// otherwise a word's last-name range is walked in order (`page_of_one_word` with the
/// other terms as conditions), which stops as soon as the page is full.
pub const FEW_OF_SEVERAL: i64 = 1_000;

const COLUMNS: &str = "u.id, u.kind, u.username, u.first_name, u.last_name, u.email, u.phone, u.phone_grouped, u.phone_region, u.enrolment, u.staff_role, u.created_at";

use crate::domain::search::{Term, Word};

/// The value a word is compared with in `column`: its folded key for the name keys, its
/// lower-cased form for usernames and emails (which keep their dots and hyphens).
fn value_of<'w>(column: &str, word: &'w Word) -> &'w str {
    if column.ends_with("sort_key") || column.ends_with("first_key") { &word.key } else { &word.raw }
}

/// The name and other columns a word starts.
const WORD_COLUMNS: [&str; 4] = ["u.sort_key", "u.first_key", "u.username", "u.email"];

/// A statement under construction: its text and its parameters, numbered as they come.
#[derive(Default)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<String>,
}

impl Statement {
    /// A new parameter's placeholder.
    fn param(&mut self, value: String) -> String {
        self.params.push(value);
        format!("${}", self.params.len())
    }

    fn range(&mut self, column: &str, prefix: &str) -> String {
        let (from, to) = (self.param(prefix.to_owned()), self.param(prefix_end(prefix)));
        format!("({column} >= {from} AND {column} < {to})")
    }

    /// The condition on row `u` that a term holds.
    pub fn holds(&mut self, term: &Term) -> String {
        match term {
            Term::Word(w) => {
                let mut ranges: Vec<String> = WORD_COLUMNS.iter().map(|c| self.range(c, value_of(c, w))).collect();
                ranges.push(self.has_name_word(w));
                format!("({})", ranges.join(" OR "))
            }
            Term::Domain(d) => self.range("u.email_domain", d),
            Term::Phone(p) => {
                let start = self.range("u.phone_digits", p);
                match p.len() >= 3 {
                    true => {
                        let last3 = self.param(p[p.len() - 3..].to_owned());
                        let end = self.param(format!("%{p}"));
                        format!("({start} OR (u.phone_last3 = {last3} AND u.phone_digits LIKE {end}))")
                    }
                    false => start,
                }
            }
        }
    }

    /// The ids of the users a term holds for, read through the indexes, as a union.
    pub fn users_of(&mut self, term: &Term) -> String {
        let select = |s: &mut Self, column: &str, prefix: &str| {
            let range = s.range(column, prefix);
            format!("SELECT u.id FROM users u WHERE {range}")
        };
        let parts: Vec<String> = match term {
            Term::Word(w) => {
                let mut parts: Vec<String> = WORD_COLUMNS.iter().map(|c| select(self, c, value_of(c, w))).collect();
                parts.push(self.name_word_users(w, "nw.user_id AS id"));
                parts
            }
            Term::Domain(d) => vec![select(self, "u.email_domain", d)],
            Term::Phone(p) => {
                let mut parts = vec![select(self, "u.phone_digits", p)];
                if p.len() >= 3 {
                    let last3 = self.param(p[p.len() - 3..].to_owned());
                    let end = self.param(format!("%{p}"));
                    parts.push(format!(
                        "SELECT u.id FROM users u WHERE u.phone_last3 = {last3} AND u.phone_digits LIKE {end}"
                    ));
                }
                parts
            }
        };
        parts.join(" UNION ")
    }
}

/// Counts a term's users, stopping past `cap`: is it rare enough to read first?
pub fn count_users_of(term: &Term, cap: i64) -> Statement {
    let mut s = Statement::default();
    // UNION ALL stops at the limit (a user counted twice only makes the term look common);
    // selecting a constant lets each part be read from its index alone.
    let union = s
        .users_of(term)
        .replace(" UNION ", " UNION ALL ")
        .replace("SELECT u.id FROM", "SELECT 1 AS one FROM")
        .replace("SELECT nw.user_id AS id FROM", "SELECT 1 AS one FROM");
    let cap = cap + 1;
    s.sql = format!("SELECT COUNT(*) FROM ({union} LIMIT {cap}) AS c");
    s
}

/// A page of a search: `rare`, when there is one, is read first through its indexes;
/// every other term is checked on each row. `after` is the last row already shown.
/// `in_name_order` is the table as the walk reads it (`Dialect::USERS_IN_NAME_ORDER`).
pub fn page(
    terms: &[Term],
    rare: Option<usize>,
    after: Option<&(String, i64)>,
    limit: i64,
    in_name_order: &str,
) -> Statement {
    let mut s = Statement::default();
    let source = match rare {
        // CROSS JOIN keeps SQLite from turning the join around; PostgreSQL plans it freely.
        Some(i) => format!("({}) AS m CROSS JOIN users u", s.users_of(&terms[i])),
        None => in_name_order.to_owned(),
    };
    let mut conditions: Vec<String> = Vec::new();
    if rare.is_some() {
        conditions.push("u.id = m.id".into());
    }
    for (i, term) in terms.iter().enumerate() {
        if Some(i) != rare {
            conditions.push(s.holds(term));
        }
    }
    conditions.push(s.cursor(after));
    s.sql = format!(
        "SELECT {COLUMNS} FROM {source} WHERE {} ORDER BY u.sort_key, u.id LIMIT {limit}",
        conditions.join(" AND ")
    );
    s
}

/// The rule as one plain statement over the whole table, leaving the plan to the
/// database: what the benchmark compares each search with.
pub fn bare(text: &str, after: Option<&(String, i64)>, limit: i64) -> Statement {
    page(&crate::domain::search::terms(text), None, after, limit, "users u")
}

/// The word's columns besides the name: first name, username, email.
const OTHER_WORD_COLUMNS: [&str; 3] = ["u.first_key", "u.username", "u.email"];

impl Statement {
    fn cursor(&mut self, after: Option<&(String, i64)>) -> String {
        self.cursor_on(after, "u.sort_key", "u.id")
    }

    /// Past the cursor, on the row's sort key and id columns.
    fn cursor_on(&mut self, after: Option<&(String, i64)>, sort_key_column: &str, id_column: &str) -> String {
        match after {
            Some((sort_key, id)) => {
                let key = self.param(sort_key.clone());
                // The first part lets the index start at the cursor; the rest is exact.
                format!("({sort_key_column} >= {key} AND ({sort_key_column} > {key} OR {id_column} > {id}))")
            }
            None => "1 = 1".into(),
        }
    }

    /// On row `u`: one of its name words (`user_name_words`) starts with the word.
    fn has_name_word(&mut self, word: &Word) -> String {
        let range = self.range("nw.word_key", &word.key);
        format!("EXISTS (SELECT 1 FROM user_name_words nw WHERE nw.user_id = u.id AND {range})")
    }

    /// `what` of the users one of whose name words starts with the word, from the words'
    /// index (`word_key, sort_key, user_id`).
    fn name_word_users(&mut self, word: &Word, what: &str) -> String {
        let range = self.range("nw.word_key", &word.key);
        format!("SELECT {what} FROM user_name_words nw WHERE {range}")
    }
}

/// Counts the users a single word finds through its other columns (first name, username,
/// email), stopping past `OTHERS_SORTED`.
pub fn count_others_of_word(word: &Word) -> Statement {
    let mut s = Statement::default();
    let mut parts: Vec<String> = OTHER_WORD_COLUMNS
        .iter()
        .map(|c| {
            let range = s.range(c, value_of(c, word));
            format!("SELECT 1 AS one FROM users u WHERE {range}")
        })
        .collect();
    parts.push(s.name_word_users(word, "1 AS one"));
    // UNION ALL stops at the limit (a user counted twice only makes the word look common).
    s.sql = format!("SELECT COUNT(*) FROM ({} LIMIT {}) AS c", parts.join(" UNION ALL "), OTHERS_SORTED + 1);
    s
}

/// A word with more name words (`user_name_words`) than this has them walked in name order
/// (`Dialect::NAME_WORDS_IN_NAME_ORDER`) when its page is walked; fewer are read by their key
/// and sorted. `a` has 66,000 at a million users: sorting them took 43 ms on SQLite.
pub const NAME_WORDS_SORTED: i64 = 5_000;

/// Counts a word's name words, stopping past `NAME_WORDS_SORTED`.
pub fn count_name_words_of(word: &Word) -> Statement {
    let mut s = Statement::default();
    let words = s.name_word_users(word, "1 AS one");
    s.sql = format!("SELECT COUNT(*) FROM ({words} LIMIT {}) AS c", NAME_WORDS_SORTED + 1);
    s
}

/// With several common words, another word whose users outside its last-name range
/// (first name, username, email, name words) are at most this many is read from the
/// indexes within the walked word's last-name range (`page_of_one_word`'s `pair`) instead
/// of checked on every row of that range: `garcia marquez` walked about 5,000 García rows
/// before the first García Márquez (46 ms on SQLite at a million users).
pub const PAIR_SORTED: i64 = 20_000;

/// Whether `page_of_one_word` may read `other` within `word`'s last-name range from the
/// indexes: neither starts the other, so that `other`'s own last-name range and `word`'s
/// meet in no more than a few rows.
pub fn pairs_with(word: &Word, other: &Word) -> bool {
    !word.key.starts_with(&other.key) && !other.key.starts_with(&word.key)
}

/// A page for one word. The users whose last name it starts sit together in the name
/// index, so walking that index from the start would pass most of the table before them:
/// they are read as a range instead, already in order. The users it finds by first name,
/// username or email are spread out: read through their indexes and sorted when they are
/// few (`others_rare`), else checked while walking the name index, where they are dense.
/// The two ordered halves are merged.
///
/// With several words, `word` is one of them and `rest` the other terms, checked on each
/// row of both halves: the walk of the last-name range stops once the page is full.
/// `words_in_name_order` is the name words' walk when they are many (`NAME_WORDS_SORTED`).
///
/// `pair`, the one other word when `rest` is one word (`PAIR_SORTED`, `pairs_with`): the users of `word`'s
/// last-name range for whom it holds are those it finds by any of its keys within that
/// range. Their keys are read from the indexes alone (`pair`'s name words from
/// `(word_key, sort_key, user_id)`, first names from `(first_key, sort_key, id)`), sorted,
/// and their rows read in that order, each checked for every other term, until the page
/// is full; the rows `word`'s last-name range holds are no longer walked.
pub fn page_of_one_word(
    word: &Word,
    rest: &[Term],
    pair: Option<&Word>,
    others_rare: bool,
    after: Option<&(String, i64)>,
    limit: i64,
    (in_name_order, words_in_name_order): (&str, Option<&str>),
) -> Statement {
    let mut s = Statement::default();
    let by_name = s.range("u.sort_key", &word.key);
    // The other terms are checked inside a CASE, which the planner cannot see into: told
    // how rare they are, PostgreSQL would read the whole last-name range and sort it,
    // where walking it in order stops at the page's end (users who match sit together
    // in name order). 38 ms against 1.4 ms for the fifth page of `amara ok`.
    let also = |s: &mut Statement| {
        rest.iter().map(|t| format!(" AND (CASE WHEN {} THEN TRUE ELSE FALSE END)", s.holds(t))).collect::<String>()
    };
    let (cursor, rest_holds) = (s.cursor(after), also(&mut s));
    let first = match pair {
        None => format!(
            "SELECT {COLUMNS}, u.sort_key FROM users u WHERE {by_name} AND {cursor}{rest_holds} \
             ORDER BY u.sort_key, u.id LIMIT {limit}"
        ),
        Some(other) => {
            let mut keyed: Vec<String> = WORD_COLUMNS
                .iter()
                .map(|c| {
                    // `|| ''`: the walked word's range and the cursor are checked, never
                    // read, so that each part reads `other`'s own index (SQLite read the
                    // 17,810 García rows for the usernames that start `marquez`: none).
                    let (theirs, within) = (s.range(c, value_of(c, other)), s.range("u.sort_key || ''", &word.key));
                    let cursor = s.cursor_on(after, "u.sort_key || ''", "u.id");
                    format!("SELECT u.id, u.sort_key FROM users u WHERE {theirs} AND {within} AND {cursor}")
                })
                .collect();
            let words = s.name_word_users(other, "nw.user_id AS id, nw.sort_key");
            let (within, words_cursor) =
                (s.range("nw.sort_key || ''", &word.key), s.cursor_on(after, "nw.sort_key || ''", "nw.user_id"));
            keyed.push(format!("{words} AND {within} AND {words_cursor}"));
            // Every user read holds both words: the page is the first `limit` of them, and
            // only their rows are read (SQLite read all 8,908 García Márquez rows, checked
            // each and sorted them when the limit came after the check: 56 ms). The rows
            // are checked again all the same.
            format!(
                "SELECT {COLUMNS}, u.sort_key FROM (SELECT m.id, m.sort_key FROM ({}) AS m \
                 ORDER BY m.sort_key, m.id LIMIT {limit}) AS m \
                 CROSS JOIN users u WHERE u.id = m.id AND {by_name}{rest_holds} ORDER BY m.sort_key, m.id LIMIT {limit}",
                keyed.join(" UNION ")
            )
        }
    };
    let ranges: Vec<String> = OTHER_WORD_COLUMNS.iter().map(|c| s.range(c, value_of(c, word))).collect();
    let (cursor, rest_holds) = (s.cursor(after), also(&mut s));
    let second = if others_rare && rest.is_empty() {
        let words_cursor = s.cursor_on(after, "nw.sort_key", "nw.user_id");
        let words = s.name_word_users(word, "nw.user_id AS id, nw.sort_key");
        // One word: its users' keys are read from the indexes alone (first names through
        // (first_key, sort_key, id)), the page's ids picked among them, and only those
        // rows read. Joining all of them to the table made PostgreSQL hash the whole name
        // index (300 ms for the 10,000 users named कृष्ण at a million users).
        let mut keyed: Vec<String> =
            ranges.iter().map(|r| format!("SELECT u.id, u.sort_key FROM users u WHERE {r} AND {cursor}")).collect();
        keyed.push(format!("{words} AND {words_cursor}"));
        format!(
            "SELECT {COLUMNS}, u.sort_key FROM (SELECT m.id FROM ({}) AS m ORDER BY m.sort_key, m.id LIMIT {limit}) AS top \
             CROSS JOIN users u WHERE u.id = top.id ORDER BY u.sort_key, u.id LIMIT {limit}",
            keyed.join(" UNION ")
        )
    } else if others_rare {
        // Several words: this one's other users are read with their keys from the indexes
        // alone, as for one word, and sorted; their rows are then read in that order, each
        // checked for the other terms, until the page is full. Reading every row first and
        // sorting the matches read all 3,312 users of `den` for `van den berg` (45 ms on
        // PostgreSQL, where the page takes its first 51).
        let words_cursor = s.cursor_on(after, "nw.sort_key", "nw.user_id");
        let words = s.name_word_users(word, "nw.user_id AS id, nw.sort_key");
        let mut keyed: Vec<String> =
            ranges.iter().map(|r| format!("SELECT u.id, u.sort_key FROM users u WHERE {r} AND {cursor}")).collect();
        keyed.push(format!("{words} AND {words_cursor}"));
        format!(
            "SELECT {COLUMNS}, u.sort_key FROM (SELECT m.id, m.sort_key FROM ({}) AS m ORDER BY m.sort_key, m.id) AS m \
             CROSS JOIN users u WHERE u.id = m.id{rest_holds} ORDER BY m.sort_key, m.id LIMIT {limit}",
            keyed.join(" UNION ")
        )
    } else if rest.is_empty() {
        // One common word: its users by name word are a page of their own, read in name
        // order from the words' index (`sort_key, user_id, word_key`) or by their key and
        // sorted, as the database judges; probing the words of each row of the walk cost
        // 24 ms for `a` at a million users on PostgreSQL, where the walk alone costs 1.
        let words_cursor = s.cursor_on(after, "nw.sort_key", "nw.user_id");
        let mut words = s.name_word_users(word, "DISTINCT nw.user_id AS id, nw.sort_key");
        if let Some(walked) = words_in_name_order {
            words = words.replacen("user_name_words nw", walked, 1);
        }
        format!(
            "SELECT * FROM (SELECT {COLUMNS}, u.sort_key FROM {in_name_order} WHERE ({}) AND {cursor} \
             ORDER BY u.sort_key, u.id LIMIT {limit}) AS walked UNION ALL \
             SELECT * FROM (SELECT {COLUMNS}, u.sort_key FROM ({words} AND {words_cursor} \
             ORDER BY nw.sort_key, nw.user_id LIMIT {limit}) AS top CROSS JOIN users u WHERE u.id = top.id) AS worded",
            ranges.join(" OR ")
        )
    } else {
        let has_word = s.has_name_word(word);
        format!(
            "SELECT {COLUMNS}, u.sort_key FROM {in_name_order} WHERE ({} OR {has_word}) AND {cursor}{rest_holds} \
             ORDER BY u.sort_key, u.id LIMIT {limit}",
            ranges.join(" OR ")
        )
    };
    s.sql = format!(
        "SELECT id, kind, username, first_name, last_name, email, phone, phone_grouped, phone_region, enrolment, staff_role, created_at FROM (\
         SELECT * FROM ({first}) AS a UNION SELECT * FROM ({second}) AS b) AS page \
         ORDER BY sort_key, id LIMIT {limit}"
    );
    s
}

/// The exclusive upper bound of a prefix range: every string that starts with `prefix`
/// sorts below it, in byte order (SQLite's BINARY, PostgreSQL's "C" collation).
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}
