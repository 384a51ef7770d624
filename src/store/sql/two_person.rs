//! The two-person rule's tables: `contact_changes` (written by the triggers on `users`),
//! `code_requests`, `staff_identity_links`, and the counts the velocity limits read.

/// A user's contact changes after `$2`, newest first, with the username of the member of
/// staff who made each through helpdesk. Bounded by time, not by count: a burst of email
/// changes must not push a phone change out of view.
pub const CONTACT_CHANGES: &str = "SELECT c.id, c.user_id, c.field, c.old_value, c.new_value, c.changed_at, \
     c.staff_id, s.username AS staff_username \
     FROM contact_changes c LEFT JOIN users s ON s.id = c.staff_id \
     WHERE c.user_id = $1 AND c.changed_at > $2 ORDER BY c.id DESC";

/// Every email and phone a user has held, from their changes: (user, field, old, new).
pub const CONTACT_HISTORY_OF_USER: &str =
    "SELECT user_id, field, old_value, new_value FROM contact_changes WHERE user_id = $1";

/// The same for every member of staff.
pub const CONTACT_HISTORY_OF_STAFF: &str = "SELECT c.user_id, c.field, c.old_value, c.new_value \
     FROM contact_changes c JOIN users u ON u.id = c.user_id WHERE u.kind = 'staff'";

/// The newest change id before the product's own update, and its changes after it marked
/// handled (their audit event and notices are written in the same transaction).
pub const NEWEST_CHANGE: &str = "SELECT COALESCE(MAX(id), 0) FROM contact_changes";
/// Only the changes the triggers recorded as `$3`'s (the member of staff writing them): one
/// another writer made is never marked handled here.
pub const HANDLED_SINCE: &str =
    "UPDATE contact_changes SET handled = 1 WHERE user_id = $1 AND id > $2 AND staff_id = $3";

/// Changes whose audit event and notices are not written yet (another writer's), oldest
/// first, up to `$1`.
pub const UNHANDLED_CONTACT_CHANGES: &str = "SELECT c.id, c.user_id, c.field, c.old_value, c.new_value, c.changed_at, \
     c.staff_id, s.username AS staff_username \
     FROM contact_changes c LEFT JOIN users s ON s.id = c.staff_id \
     WHERE c.handled = 0 ORDER BY c.id LIMIT $1";

/// Whether any change waits: the usual answer, no, without a write transaction.
pub const ANY_UNHANDLED: &str =
    "SELECT COUNT(*) FROM (SELECT 1 AS one FROM contact_changes WHERE handled = 0 LIMIT 1) AS s";

/// Claims one change for its audit event; 0 rows when another process claimed it first.
pub const HANDLE_CONTACT_CHANGE: &str = "UPDATE contact_changes SET handled = 1 WHERE id = $1 AND handled = 0";

/// The newest contact change and the newest batch of `$1`: what a request or a warning saw.
pub const TARGET_MARKS: &str = "SELECT (SELECT MAX(id) FROM contact_changes WHERE user_id = $1) AS contact, \
     (SELECT MAX(id) FROM backup_code_batches WHERE user_id = $1) AS batch";

/// Batches by `$1` since `$3` and since `$4`, and for `$2` since `$4`.
pub const VELOCITY: &str = "SELECT \
     (SELECT COUNT(*) FROM backup_code_batches WHERE generated_by = $1 AND created_at > $3) AS agent_hour, \
     (SELECT COUNT(*) FROM backup_code_batches WHERE generated_by = $1 AND created_at > $4) AS agent_day, \
     (SELECT COUNT(*) FROM backup_code_batches WHERE user_id = $2 AND created_at > $4) AS user_day";

pub const IDENTITY_LINKS: &str = "SELECT staff_id, user_id FROM staff_identity_links";

pub const LINK_IDENTITY: &str =
    "INSERT INTO staff_identity_links (staff_id, user_id, linked_by, linked_at) VALUES ($1, $2, $3, $4)";

pub const IS_LINKED: &str = "SELECT COUNT(*) FROM staff_identity_links WHERE staff_id = $1 AND user_id = $2";

pub const SECOND_PERSON_ALWAYS: &str = "SELECT codes_need_second_person FROM institutions ORDER BY id LIMIT 1";

pub const SET_SECOND_PERSON_ALWAYS: &str = "UPDATE institutions SET codes_need_second_person = $1";

/// `reasons`, the sentences requests stored before their reasons became kinds, is no longer
/// written: the reasons go to `code_request_reasons` (`INSERT_REASON`).
pub const INSERT_REQUEST: &str = "INSERT INTO code_requests (requester_id, target_id, identity_check, note, \
     signals, reasons, contact_seen, batch_seen, created_at, expires_at, state) \
     VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $9, 'pending') RETURNING id";

/// One reason of request `$1` at `$2`, as its kind `$3` and the values that kind names
/// (the table's checks refuse a kind with a value missing or one too many).
pub const INSERT_REASON: &str = "INSERT INTO code_request_reasons (request_id, position, kind, until_at, \
     identity_check, count, max_count, staff_id, staff_username, link_via) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// The reasons of request `$1`, in the order the rule gave them.
pub const REASONS_OF: &str = "SELECT kind, until_at, identity_check, count, max_count, staff_id, staff_username, \
     link_via, sentence FROM code_request_reasons WHERE request_id = $1 ORDER BY position";

/// An open request for the target: at most one (a partial unique index).
pub const OPEN_REQUEST_FOR: &str =
    "SELECT id FROM code_requests WHERE target_id = $1 AND state IN ('pending', 'approved')";

const REQUEST_COLUMNS: &str = "r.id, r.requester_id, q.username AS requester, r.target_id, t.username AS target, \
     t.first_name AS target_first, t.last_name AS target_last, t.kind AS target_kind, r.identity_check, r.note, \
     r.signals, r.contact_seen, r.batch_seen, r.created_at, r.expires_at, r.state, r.decided_by, \
     d.username AS decided_by_username, r.decided_at, r.decision_note, r.approval_expires_at \
     FROM code_requests r JOIN users q ON q.id = r.requester_id JOIN users t ON t.id = r.target_id \
     LEFT JOIN users d ON d.id = r.decided_by";

pub fn request_by_id() -> String {
    format!("SELECT {REQUEST_COLUMNS} WHERE r.id = $1")
}

/// Open requests, oldest first: the Approvals pane.
pub fn open_requests() -> String {
    format!("SELECT {REQUEST_COLUMNS} WHERE r.state IN ('pending', 'approved') ORDER BY r.id LIMIT $1")
}

/// The open request for a target, and the newest closed one of `$2` for it (what the
/// requester's detail shows: a decline must be read).
pub fn latest_request_for() -> String {
    format!(
        "SELECT {REQUEST_COLUMNS} WHERE r.target_id = $1 AND (r.state IN ('pending', 'approved') OR r.requester_id = $2) \
             ORDER BY r.id DESC LIMIT 1"
    )
}

pub const COUNT_PENDING: &str = "SELECT COUNT(*) FROM code_requests WHERE state = 'pending' AND expires_at > $1";

/// Open requests past their time at `$1`.
pub const EXPIRED_REQUESTS: &str = "SELECT id FROM code_requests WHERE (state = 'pending' AND expires_at <= $1) \
     OR (state = 'approved' AND approval_expires_at <= $1)";

/// Moves a request from an open state to `$2`, if it is open and within its time at `$8`.
/// `$3`..`$6` set who decided, when, why and until when an approval holds (NULL keeps).
/// `$7` is when it closes (NULL: still open). `$9` names the open state it must be in
/// ('pending', 'approved', or NULL for either).
pub const MOVE_REQUEST: &str = "UPDATE code_requests SET state = $2, decided_by = COALESCE($3, decided_by), \
     decided_at = COALESCE($4, decided_at), decision_note = COALESCE($5, decision_note), \
     approval_expires_at = COALESCE($6, approval_expires_at), closed_at = $7 \
     WHERE id = $1 AND state IN ('pending', 'approved') AND state = COALESCE($9, state) \
     AND (state <> 'pending' OR expires_at > $8) AND (state <> 'approved' OR approval_expires_at > $8)";

/// Closes an open request as expired.
pub const EXPIRE_REQUEST: &str = "UPDATE code_requests SET state = 'expired', closed_at = $2 \
     WHERE id = $1 AND state IN ('pending', 'approved')";

/// Uses an approval, inside the storing transaction: only by its requester, for its
/// target, before it expires, once. `$1` request, `$2` requester, `$3` target, `$4` now.
pub const USE_APPROVAL: &str = "UPDATE code_requests SET state = 'used', closed_at = $4 \
     WHERE id = $1 AND requester_id = $2 AND target_id = $3 AND state = 'approved' AND approval_expires_at > $4";

pub const SET_BATCH_REQUEST: &str = "UPDATE backup_code_batches SET request_id = $2 WHERE id = $1";
