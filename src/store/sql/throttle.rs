//! Failed-attempt counters kept per user, one pair of columns per `Throttle`. An attempt
//! is counted before it is checked, in one conditional update, so that parallel guesses
//! cannot slip past the limit.

use crate::store::Throttle;

/// Counts one more attempt unless a lock is in force; an expired lock starts a new count.
/// In `SET`, column names read the row as it was before the update, in both dialects.
/// `$1` user, `$2` now, `$3` the most consecutive failures, `$4` the lock-out in seconds;
/// no row returned means locked.
/// `code_failures_total` counts across lock-outs, until a success or a new batch: the
/// third value returned, for NIST's cap of 100 (`codes.max_total_failures`).
pub const RESERVE_CODE_ATTEMPT: &str = "UPDATE users SET \
       code_failures = CASE WHEN codes_locked_until IS NOT NULL THEN 1 ELSE code_failures + 1 END, \
       codes_locked_until = CASE WHEN (CASE WHEN codes_locked_until IS NOT NULL THEN 1 ELSE code_failures + 1 END) >= $3 \
                            THEN $2 + $4 ELSE NULL END, \
       code_failures_total = code_failures_total + 1 \
     WHERE id = $1 AND (codes_locked_until IS NULL OR codes_locked_until <= $2) \
     RETURNING code_failures, codes_locked_until, code_failures_total";

/// `RESERVE_CODE_ATTEMPT` for staff password logins.
pub const RESERVE_LOGIN_ATTEMPT: &str = "UPDATE users SET \
       login_failures = CASE WHEN login_locked_until IS NOT NULL THEN 1 ELSE login_failures + 1 END, \
       login_locked_until = CASE WHEN (CASE WHEN login_locked_until IS NOT NULL THEN 1 ELSE login_failures + 1 END) >= $3 \
                            THEN $2 + $4 ELSE NULL END \
     WHERE id = $1 AND (login_locked_until IS NULL OR login_locked_until <= $2) \
     RETURNING login_failures, login_locked_until, CAST(0 AS BIGINT)";

pub const CODES_LOCKED_UNTIL: &str = "SELECT codes_locked_until FROM users WHERE id = $1";

pub const LOGIN_LOCKED_UNTIL: &str = "SELECT login_locked_until FROM users WHERE id = $1";

/// After a success: the next failure is the first again.
pub const CLEAR_CODE_FAILURES: &str =
    "UPDATE users SET code_failures = 0, codes_locked_until = NULL, code_failures_total = 0 WHERE id = $1";

/// A new batch starts the total of failures afresh (the consecutive count and any lock
/// stay: they protect the user, not the batch).
pub const NEW_BATCH_RESETS_TOTAL: &str = "UPDATE users SET code_failures_total = 0 WHERE id = $1";

/// Counts one redemption for a username nobody has, in a one-minute window shared by the
/// whole database. `$1` now, `$2` the window in seconds; returns the attempts in the
/// window so far, this one included.
pub const COUNT_UNKNOWN_USERNAME: &str = "UPDATE unknown_username_throttle SET \
       attempts = CASE WHEN window_start > $1 - $2 THEN attempts + 1 ELSE 1 END, \
       window_start = CASE WHEN window_start > $1 - $2 THEN window_start ELSE $1 END, \
       total = total + 1 \
     WHERE id = 1 RETURNING attempts";

pub const CLEAR_LOGIN_FAILURES: &str = "UPDATE users SET login_failures = 0, login_locked_until = NULL WHERE id = $1";

pub fn reserve(throttle: Throttle) -> &'static str {
    match throttle {
        Throttle::Codes => RESERVE_CODE_ATTEMPT,
        Throttle::Login => RESERVE_LOGIN_ATTEMPT,
    }
}

pub fn locked_until(throttle: Throttle) -> &'static str {
    match throttle {
        Throttle::Codes => CODES_LOCKED_UNTIL,
        Throttle::Login => LOGIN_LOCKED_UNTIL,
    }
}

pub fn clear(throttle: Throttle) -> &'static str {
    match throttle {
        Throttle::Codes => CLEAR_CODE_FAILURES,
        Throttle::Login => CLEAR_LOGIN_FAILURES,
    }
}
