//! `grant_requests`: grants of power that wait for a second admin (`domain::grants`).

/// The columns a `GrantRequestRow` reads, with the usernames and the subject's name.
const COLUMNS: &str = "SELECT g.id, g.kind, g.permission, g.key_fingerprint, g.subject_id, s.username AS subject, \
     s.first_name AS subject_first, s.last_name AS subject_last, g.asked_by, a.username AS asked_by_username, \
     g.asked_at, g.expires_at, g.state, g.decided_by, d.username AS decided_by_username, \
     CAST(CASE WHEN g.decided_by_owner THEN 1 ELSE 0 END AS BIGINT) AS decided_by_owner, g.decided_at, g.decision_note \
     FROM grant_requests g JOIN users s ON s.id = g.subject_id JOIN users a ON a.id = g.asked_by \
     LEFT JOIN users d ON d.id = g.decided_by";

pub fn by_id() -> String {
    format!("{COLUMNS} WHERE g.id = $1")
}

/// Pending requests, oldest first, up to `$1`.
pub fn pending() -> String {
    format!("{COLUMNS} WHERE g.state = 'pending' ORDER BY g.id LIMIT $1")
}

/// The pending request for the same grant to the same person, if any.
pub const PENDING_SAME: &str = "SELECT id FROM grant_requests \
     WHERE subject_id = $1 AND kind = $2 AND COALESCE(permission, '') = COALESCE($3, '') \
     AND COALESCE(key_fingerprint, '') = COALESCE($4, '') AND state = 'pending'";

pub const INSERT: &str = "INSERT INTO grant_requests \
     (kind, permission, key_fingerprint, subject_id, asked_by, asked_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";

/// Moves a pending request within its time to `$2` (approved or declined) by admin `$3`;
/// 0 rows when it is no longer pending or has expired at `$4`.
pub const DECIDE: &str = "UPDATE grant_requests SET state = $2, decided_by = $3, decided_at = $4, decision_note = $5 \
     WHERE id = $1 AND state = 'pending' AND expires_at > $4";

/// The same, decided by the database's owner.
pub const DECIDE_AS_OWNER: &str = "UPDATE grant_requests SET state = 'approved', decided_by_owner = true, \
     decided_at = $2 WHERE id = $1 AND state = 'pending' AND expires_at > $2";

/// The asker takes a pending request back.
pub const WITHDRAW: &str =
    "UPDATE grant_requests SET state = 'withdrawn', decided_at = $2 WHERE id = $1 AND state = 'pending'";

/// Pending requests past their time at `$1`, up to `$2`.
pub fn past_their_time() -> String {
    format!("{COLUMNS} WHERE g.state = 'pending' AND g.expires_at <= $1 ORDER BY g.id LIMIT $2")
}

pub const EXPIRE: &str = "UPDATE grant_requests SET state = 'expired' WHERE id = $1 AND state = 'pending'";

/// Pending requests within their time at `$1`.
pub const COUNT_PENDING: &str = "SELECT COUNT(*) FROM grant_requests WHERE state = 'pending' AND expires_at > $1";

pub const SUBJECT: &str = "SELECT subject_id FROM grant_requests WHERE id = $1";
