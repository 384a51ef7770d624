//! The staff's second factor: sealed authenticator secrets, the last step used, and when
//! a session last proved its factor.

pub const STAFF_SECOND_FACTOR: &str =
    "SELECT CAST(staff_second_factor AS BIGINT) FROM institutions ORDER BY id LIMIT 1";

pub const SET_STAFF_SECOND_FACTOR: &str = "UPDATE institutions SET staff_second_factor = $1";

pub const FACTOR: &str = "SELECT factor_secret, factor_last_step FROM users WHERE id = $1 AND kind = 'staff'";

/// Enrols only a member of staff who has no secret: two enrolments at once, one wins.
pub const ENROL: &str = "UPDATE users SET factor_secret = $2, factor_last_step = $3, factor_enrolled_at = $4 \
     WHERE id = $1 AND kind = 'staff' AND factor_secret IS NULL";

/// Records `$2` as the last step used, only when it is later than the one recorded: a code
/// is accepted once, even by two processes at once.
pub const USE_STEP: &str = "UPDATE users SET factor_last_step = $2 \
     WHERE id = $1 AND factor_secret IS NOT NULL AND (factor_last_step IS NULL OR factor_last_step < $2)";

/// An approved reset: the member enrols again at their next sign-in.
pub const RESET: &str = "UPDATE users SET factor_secret = NULL, factor_enrolled_at = NULL, updated_at = $2 WHERE id = $1 AND kind = 'staff'";

/// An approved binding; binding a key twice is harmless.
pub const BIND_KEY: &str = "INSERT INTO staff_ssh_keys (user_id, fingerprint, bound_at) \
     SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM staff_ssh_keys WHERE user_id = $1 AND fingerprint = $2)";

pub const BOUND_KEYS: &str = "SELECT fingerprint FROM staff_ssh_keys WHERE user_id = $1";

pub const PROVE: &str = "UPDATE staff_sessions SET factor_at = $2 WHERE id = $1 AND ended_at IS NULL";

pub const PROVEN_AT: &str = "SELECT factor_at FROM staff_sessions WHERE id = $1";
