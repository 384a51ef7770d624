//! The risk signals the warning shows, in one statement: `$1` the user, `$2` the start of
//! the recent-codes window, `$3` now. Contact changes are read from `contact_changes`.

pub const RISK_SIGNALS: &str = "SELECT u.kind, \
     (SELECT b.created_at FROM backup_code_batches b WHERE b.user_id = u.id AND b.created_at > $2 \
      ORDER BY b.created_at DESC, b.id DESC LIMIT 1) AS recent_codes_at, \
     (SELECT g.username FROM backup_code_batches b JOIN users g ON g.id = b.generated_by \
      WHERE b.user_id = u.id AND b.created_at > $2 ORDER BY b.created_at DESC, b.id DESC LIMIT 1) AS recent_codes_by, \
     u.code_failures, \
     CASE WHEN u.codes_locked_until > $3 THEN u.codes_locked_until END AS codes_locked_until, \
     (SELECT COUNT(*) FROM institution_2fa_methods m WHERE m.method = 'email') AS email_permitted \
     FROM users u WHERE u.id = $1";

/// Batches that still work at `$1`: while any exist, backup codes stay a permitted method.
pub const COUNT_ACTIVE_BATCHES: &str = "SELECT COUNT(*) FROM backup_code_batches \
     WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)";
