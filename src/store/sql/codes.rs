//! Backup-code batches and their codes. A code is stored as its argon2id hash only; a
//! batch holds the one salt and cost all its codes were hashed with, so that redeeming
//! costs one argon2 evaluation and then an equality look-up.

/// Takes the user's row lock (PostgreSQL) or the database write lock (SQLite, already
/// held by `BEGIN IMMEDIATE`), so that concurrent writers for one user take turns.
pub const LOCK_USER: &str = "UPDATE users SET code_failures = code_failures WHERE id = $1";

/// Revokes whatever batch the user has (at most one: a partial unique index allows one
/// unrevoked batch a user). Its unused codes stop working with it.
pub const REVOKE_BATCHES: &str =
    "UPDATE backup_code_batches SET revoked_at = $2, revoked_by = $3 WHERE user_id = $1 AND revoked_at IS NULL";

/// Revokes the user's batch only if it still works (not revoked, not expired at `$2`):
/// revoking an expired batch would report a change that did not happen. `$3` the member of
/// staff, or NULL when the rules revoked it (too many failures).
pub const REVOKE_ACTIVE_BATCH: &str = "UPDATE backup_code_batches SET revoked_at = $2, revoked_by = $3 \
     WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)";

/// As `REVOKE_ACTIVE_BATCH`, for batch `$4` only: the cap on failures revokes the batch
/// that was attacked, never a newer one.
pub const REVOKE_THIS_BATCH: &str = "UPDATE backup_code_batches SET revoked_at = $2, revoked_by = $3 \
     WHERE user_id = $1 AND id = $4 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)";

/// The holders of every batch that works at `$1`, for the emergency stop's notices.
pub const ACTIVE_HOLDERS: &str = "SELECT u.id, u.kind, u.username, u.first_name, u.last_name, u.email, u.phone, u.phone_grouped, u.phone_region, \
     u.enrolment, u.staff_role, u.created_at FROM users u \
     WHERE EXISTS (SELECT 1 FROM backup_code_batches b WHERE b.user_id = u.id AND b.revoked_at IS NULL \
                   AND (b.expires_at IS NULL OR b.expires_at > $1))";

/// Revokes every batch that works at `$1`, by `$2`: the emergency stop.
pub const REVOKE_ALL_ACTIVE: &str = "UPDATE backup_code_batches SET revoked_at = $1, revoked_by = $2 \
     WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)";

/// A batch with the id `$1` its generation event, written just before it in the same
/// transaction, names (migration 0022 refuses a batch without one); `given_id` is
/// `Dialect::GIVEN_ID`.
pub fn insert_batch(given_id: &str) -> String {
    format!(
        "INSERT INTO backup_code_batches (id, user_id, generated_by, created_at, expires_at, salt, \
         argon2_m, argon2_t, argon2_p, code_count, identity_check, note) {given_id} \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )
}

pub const INSERT_CODE: &str = "INSERT INTO backup_codes (batch_id, code_hash) VALUES ($1, $2)";

/// The user's active batch (not revoked, not expired at `$2`) with who generated it, how
/// many of its codes are unused, and when one was last used.
pub const BATCH_SUMMARY: &str = "SELECT b.id, b.created_at, b.expires_at, b.code_count, b.identity_check, \
     g.username AS generated_by, \
     (SELECT COUNT(*) FROM backup_codes c WHERE c.batch_id = b.id AND c.used_at IS NULL) AS unused, \
     (SELECT MAX(c.used_at) FROM backup_codes c WHERE c.batch_id = b.id) AS last_used_at \
     FROM backup_code_batches b JOIN users g ON g.id = b.generated_by \
     WHERE b.user_id = $1 AND b.revoked_at IS NULL AND (b.expires_at IS NULL OR b.expires_at > $2)";

/// What a redemption reads before hashing, in one statement: the user (`$1`, the username
/// lower-cased) and the salt and cost of their active batch at `$2`, NULL when there is
/// none. One row at most: a partial unique index allows one unrevoked batch a user. A
/// disabled member of staff has no active batch here, whatever the batch table says: the
/// redemption is still hashed, and rejected.
pub const REDEMPTION_SUBJECT: &str = "SELECT u.id, u.kind, u.username, u.first_name, u.last_name, u.email, u.phone, u.phone_grouped, u.phone_region, \
     u.enrolment, u.staff_role, u.created_at, \
     b.id AS batch_id, b.salt, b.argon2_m, b.argon2_t, b.argon2_p \
     FROM users u LEFT JOIN backup_code_batches b ON b.user_id = u.id AND b.revoked_at IS NULL \
          AND (b.expires_at IS NULL OR b.expires_at > $2) AND u.disabled_at IS NULL \
     WHERE u.username = $1";

/// The one conditional update that makes a code single-use. `$1` batch, `$2` the code's
/// hash, `$3` now. It changes the row only if the code is unused and its batch is neither
/// revoked nor expired, and the row count says whether this caller won: 1 for exactly one
/// caller, 0 for every other. Concurrent callers serialise on the code's row: on
/// PostgreSQL the second waits for the first to commit and then re-checks
/// `used_at IS NULL` against the committed row; on SQLite `BEGIN IMMEDIATE` lets one
/// writer in at a time. No read before it is needed, and none would be safe to rely on.
pub const CONSUME_CODE: &str = "UPDATE backup_codes SET used_at = $3 \
     WHERE batch_id = $1 AND code_hash = $2 AND used_at IS NULL \
     AND EXISTS (SELECT 1 FROM backup_code_batches b JOIN users u ON u.id = b.user_id \
                 WHERE b.id = $1 AND b.revoked_at IS NULL AND u.disabled_at IS NULL \
                 AND (b.expires_at IS NULL OR b.expires_at > $3))";

/// A login with a code completes enrolment, and the next failure is the first again.
pub const REDEEMED: &str = "UPDATE users SET enrolment = 'enrolled', \
     code_failures = 0, codes_locked_until = NULL, code_failures_total = 0 WHERE id = $1";

/// The codes of batch `$1` not yet used.
pub const UNUSED_IN_BATCH: &str = "SELECT COUNT(*) FROM backup_codes WHERE batch_id = $1 AND used_at IS NULL";
