//! The audit log: append-only (a trigger in both databases refuses UPDATE and DELETE) and
//! hash-chained (`domain::audit_chain`).
//! A store method that takes an event writes it in the transaction of the change it
//! records, so that the change and its event commit together or not at all. Never code
//! material.

pub const INSERT_AUDIT: &str = "INSERT INTO audit_events \
    (at, actor_id, actor, target_id, target, action, identity_check, note, code_count, expires_at, detail, \
    chain_hash, batch_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";

/// The first step of every append: takes the chain head's row lock (PostgreSQL; SQLite
/// already holds the write lock) and reads the hash the new event links to. A second
/// writer waits here until the first commits, then reads the head the first left.
pub const LOCK_CHAIN_HEAD: &str = "UPDATE audit_chain SET last_id = last_id WHERE id = 1 RETURNING last_hash";

/// The last step of every append, in the same transaction: `$1` the event's id, `$2` its hash.
pub const ADVANCE_CHAIN_HEAD: &str = "UPDATE audit_chain SET last_id = $1, last_hash = $2 WHERE id = 1";

pub const CHAIN_HEAD: &str = "SELECT last_id, last_hash, starts_after, keyed_after FROM audit_chain WHERE id = 1";

/// `EVENTS_AFTER` with each event's stored hash, for `helpdesk audit verify`.
pub const CHAINED_EVENTS_AFTER: &str = "SELECT id, at, actor_id, actor, target_id, target, action, \
     identity_check, note, code_count, expires_at, detail, batch_id, chain_hash FROM audit_events \
     WHERE id > $1 ORDER BY id LIMIT $2";

/// Newest first, for one target.
pub const RECENT_FOR_TARGET: &str = "SELECT id, at, actor_id, actor, target_id, target, action, identity_check, \
     note, code_count, expires_at, detail, batch_id, chain_hash FROM audit_events WHERE target_id = $1 ORDER BY id DESC LIMIT $2";

/// Newest first, everybody's.
pub const RECENT: &str = "SELECT id, at, actor_id, actor, target_id, target, action, identity_check, note, \
     code_count, expires_at, detail, batch_id, chain_hash FROM audit_events ORDER BY id DESC LIMIT $1";

/// The audit filter, as a condition on `$1` actor, `$2` target, `$3` action, `$4` since
/// (inclusive), `$5` until (exclusive); a NULL parameter matches everything.
const FILTER: &str = "($1 IS NULL OR actor = $1) AND ($2 IS NULL OR target = $2) AND ($3 IS NULL OR action = $3) \
     AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5)";

/// Newest first, before the id `$6` (NULL: from the newest), at most `$7`: the audit pane
/// pages by key, so a page is as quick at the millionth event as at the first.
pub fn page() -> String {
    format!(
        "SELECT id, at, actor_id, actor, target_id, target, action, identity_check, note, code_count, expires_at, \
         detail, batch_id, chain_hash FROM audit_events WHERE {FILTER} AND ($6 IS NULL OR id < $6) ORDER BY id DESC LIMIT $7"
    )
}

/// Oldest first, after the id `$6`, at most `$7`: an export resumes where it stopped.
pub fn export() -> String {
    format!(
        "SELECT id, at, actor_id, actor, target_id, target, action, identity_check, note, code_count, expires_at, \
         detail, batch_id, chain_hash FROM audit_events WHERE {FILTER} AND id > $6 ORDER BY id LIMIT $7"
    )
}
