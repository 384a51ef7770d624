//! The systems that call `helpdesk serve`, each with its own bearer token, kept as its
//! SHA-256 only.

/// `$1` name, `$2` token hash, `$3` now, `$4` the admin. Nothing when the name is taken.
pub const INSERT_CLIENT: &str = "INSERT INTO serve_clients (name, token_hash, created_at, created_by) \
     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id";

pub const CLIENTS: &str = "SELECT c.id, c.name, c.created_at, u.username AS created_by, c.revoked_at \
     FROM serve_clients c JOIN users u ON u.id = c.created_by ORDER BY c.name";

/// The client a token hash belongs to, while it is not revoked.
pub const ACTIVE_CLIENT_BY_TOKEN: &str = "SELECT c.id, c.name, c.created_at, u.username AS created_by, c.revoked_at \
     FROM serve_clients c JOIN users u ON u.id = c.created_by WHERE c.token_hash = $1 AND c.revoked_at IS NULL";

/// The token hashes of every caller not revoked, at most 10,000 (a handful in practice).
pub const ACTIVE_TOKEN_HASHES: &str = "SELECT token_hash FROM serve_clients WHERE revoked_at IS NULL LIMIT 10000";

/// One more refusal from `$1` (an address key) at `$2` (Unix seconds): a row's window
/// starts again once a minute old, or when it claims to start later than now (a row
/// written by another clock, or by hand). Returns the window's start and its refusals.
pub const COUNT_REFUSAL: &str = "INSERT INTO serve_refusals (address, window_start, refused) VALUES ($1, $2, 1) \
     ON CONFLICT (address) DO UPDATE SET \
     refused = CASE WHEN serve_refusals.window_start <= $2 - 60 OR serve_refusals.window_start > $2 \
         THEN 1 ELSE serve_refusals.refused + 1 END, \
     window_start = CASE WHEN serve_refusals.window_start <= $2 - 60 OR serve_refusals.window_start > $2 \
         THEN $2 ELSE serve_refusals.window_start END \
     RETURNING window_start, refused";

/// Forgets the windows that ended before `$1`, and any that claims to start after `$2`
/// (Unix seconds).
pub const FORGET_REFUSALS: &str = "DELETE FROM serve_refusals WHERE window_start < $1 OR window_start > $2";

/// Revokes once: `$1` name, `$2` now, `$3` the admin.
pub const REVOKE_CLIENT: &str =
    "UPDATE serve_clients SET revoked_at = $2, revoked_by = $3 WHERE name = $1 AND revoked_at IS NULL";

/// The newest migration applied, for the readiness check.
pub const SCHEMA_VERSION: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";
