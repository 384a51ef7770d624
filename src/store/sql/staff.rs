//! The staff lifecycle: the Staff pane's list, and the changes an admin makes. Demoting
//! and disabling are conditional on another enabled admin remaining, in the statement
//! itself, after the enabled admins' rows are locked (`Dialect::LOCK_ADMINS`): two admins
//! demoting each other at once cannot leave the institution without one.

/// Every member of staff, by name, with their lock, last sign-in and open sessions.
pub const STAFF_MEMBERS: &str = "SELECT u.id, u.kind, u.username, u.first_name, u.last_name, u.email, u.phone, u.phone_grouped, u.phone_region, \
     u.enrolment, u.staff_role, u.created_at, u.disabled_at, u.login_locked_until, \
     (SELECT MAX(s.started_at) FROM staff_sessions s WHERE s.staff_id = u.id) AS last_sign_in, \
     (SELECT COUNT(*) FROM staff_sessions s WHERE s.staff_id = u.id AND s.ended_at IS NULL) AS open_sessions \
     FROM users u WHERE u.kind = 'staff' ORDER BY u.sort_key, u.id";

/// Every staff permission, to join to `STAFF_MEMBERS` in one read.
pub const ALL_PERMISSIONS: &str = "SELECT user_id, permission FROM staff_permissions";

pub const COUNT_ENABLED_ADMINS: &str =
    "SELECT COUNT(*) FROM users WHERE kind = 'staff' AND staff_role = 'admin' AND disabled_at IS NULL";

/// True in a `WHERE` when some enabled admin other than `$1` remains.
const ANOTHER_ADMIN: &str = "(SELECT COUNT(*) FROM users a WHERE a.kind = 'staff' AND a.staff_role = 'admin' \
     AND a.disabled_at IS NULL AND a.id <> $1) >= 1";

/// Writes the staff member's row when their grants change, so that a write that holds the
/// row `FOR SHARE` while it checks those grants (`SqlStore::still_acting`) is waited for.
pub const GRANTS_CHANGED: &str = "UPDATE users SET updated_at = $2 WHERE id = $1 AND kind = 'staff'";

pub const PROMOTE: &str = "UPDATE users SET staff_role = 'admin', updated_at = $2 WHERE id = $1 AND kind = 'staff'";

/// Changes nothing (0 rows) when `$1` is the last enabled admin.
pub fn demote() -> String {
    format!(
        "UPDATE users SET staff_role = 'agent', updated_at = $2 WHERE id = $1 AND kind = 'staff' \
         AND (staff_role <> 'admin' OR {ANOTHER_ADMIN})"
    )
}

/// Changes nothing (0 rows) when `$1` is the last enabled admin. A second disable keeps
/// the first time.
pub fn disable() -> String {
    format!(
        "UPDATE users SET disabled_at = COALESCE(disabled_at, $2), updated_at = $2 WHERE id = $1 AND kind = 'staff' \
         AND (staff_role <> 'admin' OR disabled_at IS NOT NULL OR {ANOTHER_ADMIN})"
    )
}

pub const ENABLE: &str = "UPDATE users SET disabled_at = NULL, updated_at = $2 WHERE id = $1 AND kind = 'staff'";

/// The role and permissions of an enabled member of staff: a disabled one has none, so
/// their sessions end at their next action.
pub const ENABLED_STAFF_BY_ID: &str = "SELECT id, kind, username, first_name, last_name, email, phone, phone_grouped, phone_region, enrolment, \
     staff_role, created_at FROM users WHERE id = $1 AND kind = 'staff' AND disabled_at IS NULL";
