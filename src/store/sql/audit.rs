//! The audit log: append-only (a trigger in both databases refuses UPDATE and DELETE).
//! A store method that takes an event writes it in the transaction of the change it
//! records, so that the change and its event commit together or not at all. Never code
//! material.

pub const INSERT_AUDIT: &str = "INSERT INTO audit_events \
    (at, actor_id, actor, target_id, target, action, identity_check, note, code_count, expires_at, detail) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// Oldest first, from after the id `$1`: an export resumes where it stopped.
pub const EVENTS_AFTER: &str = "SELECT id, at, actor_id, actor, target_id, target, action, identity_check, note, \
     code_count, expires_at, detail FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2";

/// Newest first, for one target.
pub const RECENT_FOR_TARGET: &str = "SELECT id, at, actor_id, actor, target_id, target, action, identity_check, \
     note, code_count, expires_at, detail FROM audit_events WHERE target_id = $1 ORDER BY id DESC LIMIT $2";

/// Newest first, everybody's.
pub const RECENT: &str = "SELECT id, at, actor_id, actor, target_id, target, action, identity_check, note, \
     code_count, expires_at, detail FROM audit_events ORDER BY id DESC LIMIT $1";
