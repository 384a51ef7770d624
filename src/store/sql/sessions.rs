//! Staff sessions. A session is open while `ended_at` is NULL; the service checks it on
//! every request, so ending one (sign-out, a new password) takes effect at once in every
//! process that holds it.

pub const START_SESSION: &str =
    "INSERT INTO staff_sessions (staff_id, started_at, last_seen_at) VALUES ($1, $2, $2) RETURNING id";

/// The open session `$1` of `$2`, as a row a transaction can lock (`Dialect::SHARE_LOCK`).
pub const SESSION_OPEN_ROW: &str = "SELECT id FROM staff_sessions WHERE id = $1 AND staff_id = $2 AND ended_at IS NULL";

pub const SESSION_ENDED_AT: &str = "SELECT ended_at FROM staff_sessions WHERE id = $1";

/// Ends a session once: the first end time stays.
pub const END_SESSION: &str = "UPDATE staff_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL";

pub const SET_PASSWORD: &str = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";

/// With `SET_PASSWORD`, in one transaction: an old password's sessions cannot outlive it.
pub const END_ALL_SESSIONS: &str = "UPDATE staff_sessions SET ended_at = $2 WHERE staff_id = $1 AND ended_at IS NULL";

/// The session as the server keeps it: whose it is, and whether it is still alive. The
/// service trusts this row, never the staff id a caller holds.
pub const SESSION: &str = "SELECT staff_id, started_at, last_seen_at, ended_at FROM staff_sessions WHERE id = $1";

/// The heartbeat: the process holding the session is still there. Never moves backwards,
/// and never revives an ended session.
pub const TOUCH_SESSION: &str =
    "UPDATE staff_sessions SET last_seen_at = $2 WHERE id = $1 AND ended_at IS NULL AND last_seen_at < $2";
