//! The audit log: append-only (a trigger in both databases refuses UPDATE and DELETE) and
//! hash-chained (`domain::audit_chain`).
//! A store method that takes an event writes it in the transaction of the change it
//! records, so that the change and its event commit together or not at all. Never code
//! material.

pub const INSERT_AUDIT: &str = "INSERT INTO audit_events \
    (at, actor_id, actor, target_id, target, action, identity_check, note, code_count, expires_at, detail, \
    chain_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";

/// The first step of every append: takes the chain head's row lock (PostgreSQL; SQLite
/// already holds the write lock) and reads the hash the new event links to. A second
/// writer waits here until the first commits, then reads the head the first left.
pub const LOCK_CHAIN_HEAD: &str = "UPDATE audit_chain SET last_id = last_id WHERE id = 1 RETURNING last_hash";

/// The last step of every append, in the same transaction: `$1` the event's id, `$2` its hash.
pub const ADVANCE_CHAIN_HEAD: &str = "UPDATE audit_chain SET last_id = $1, last_hash = $2 WHERE id = 1";

pub const CHAIN_HEAD: &str = "SELECT last_id, last_hash, starts_after FROM audit_chain WHERE id = 1";

/// `EVENTS_AFTER` with each event's stored hash, for `helpdesk audit verify`.
pub const CHAINED_EVENTS_AFTER: &str = "SELECT id, at, actor_id, actor, target_id, target, action, \
     identity_check, note, code_count, expires_at, detail, chain_hash FROM audit_events \
     WHERE id > $1 ORDER BY id LIMIT $2";

/// Oldest first, from after the id `$1`: an export resumes where it stopped.
pub const EVENTS_AFTER: &str = "SELECT id, at, actor_id, actor, target_id, target, action, identity_check, note, \
     code_count, expires_at, detail FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2";

/// Newest first, for one target.
pub const RECENT_FOR_TARGET: &str = "SELECT id, at, actor_id, actor, target_id, target, action, identity_check, \
     note, code_count, expires_at, detail FROM audit_events WHERE target_id = $1 ORDER BY id DESC LIMIT $2";

/// Newest first, everybody's.
pub const RECENT: &str = "SELECT id, at, actor_id, actor, target_id, target, action, identity_check, note, \
     code_count, expires_at, detail FROM audit_events ORDER BY id DESC LIMIT $1";
