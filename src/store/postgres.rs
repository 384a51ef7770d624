//! Production: every agent's process talks to the same PostgreSQL.

use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::{PgPool, PgPoolOptions, PgQueryResult};

use crate::store::dialect::{Dialect, ended_cleanly};
use crate::store::{Backend, Opening, StoreError, StoreResult, redact};

impl Dialect for Postgres {
    const BACKEND: Backend = Backend::Postgres;

    /// A plain `BEGIN`: row locks (taken by the first write on the user's row, see
    /// `LOCK_USER`) serialize writers per user.
    const BEGIN_WRITE: &'static str = "BEGIN";

    const LOCK_ADMINS: &'static str = "SELECT id FROM users WHERE kind = 'staff' AND staff_role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE";

    const USERS_IN_NAME_ORDER: &'static str = "users u";
    const NAME_WORDS_IN_NAME_ORDER: &'static str = "user_name_words nw";

    const STALE_KEYS_LOCKED: &'static str =
        "SELECT id, first_name, last_name, phone FROM users WHERE keys_stale <> 0 LIMIT $1 FOR UPDATE SKIP LOCKED";

    const MARK_STAFF: &'static str =
        "SELECT set_config('helpdesk.writer', 'staff ' || $1::BIGINT::TEXT || ' ' || $2::BIGINT::TEXT, true)";
    const MARK_REFOLD: &'static str = "SELECT set_config('helpdesk.writer', 'refold', true)";
    const UNMARK: &'static str = "SELECT set_config('helpdesk.writer', '', true)";

    const SHARE_LOCK: &'static str = "FOR SHARE";

    /// From the identity column's own sequence, so that ids drawn here and by any other
    /// writer's INSERT never meet.
    const NEXT_BATCH_ID: &'static str = "SELECT nextval(pg_get_serial_sequence('backup_code_batches', 'id'))";
    /// The column is `GENERATED ALWAYS`.
    const GIVEN_ID: &'static str = "OVERRIDING SYSTEM VALUE";

    const CUSTOM_PLANS: Option<&'static str> = Some("SET LOCAL plan_cache_mode = force_custom_plan");

    /// VACUUM as well: a bulk-loaded table has no visibility map yet, and without one
    /// PostgreSQL cannot answer a search's counts from the indexes alone.
    const ANALYZE: &'static str = "VACUUM (ANALYZE)";

    /// A constraint's own index carries the constraint's name and stays.
    const REBUILDABLE_INDEXES: &'static str = "SELECT i.indexname::text, i.indexdef::text FROM pg_indexes i \
         WHERE i.schemaname = current_schema() AND i.tablename IN ('users', 'two_factor_devices', 'user_name_words') \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) ORDER BY i.indexname";

    fn bulk_param(n: usize) -> String {
        format!("${n}")
    }

    fn newest_migration() -> i64 {
        sqlx::migrate!("migrations/postgres").iter().map(|m| m.version).max().unwrap_or(0)
    }

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }

    async fn connect(url: &str, max_connections: u32, opening: Opening) -> StoreResult<PgPool> {
        let pool = PgPoolOptions::new()
            // A connection whose transaction could not end (SQLite rolls a transaction
            // back itself when the disk fills, and sqlx's ROLLBACK then fails) is closed
            // rather than lent again: every later transaction on it would fail.
            .after_release(|conn, _| Box::pin(async move { ended_cleanly(conn).await }))
            .max_connections(max_connections.max(1))
            // Under a burst (many agents and redemptions at once) requests queue for a
            // connection rather than fail; the screen shows a busy line meanwhile.
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|source| StoreError::Unreachable { url: redact(url), source })?;
        let migrator = sqlx::migrate!("migrations/postgres");
        match opening {
            Opening::Migrate => migrator.run(&pool).await?,
            Opening::Run => {
                let (role, schema, owns): (String, Option<String>, Option<bool>) =
                    sqlx::query_as(OWNS_SCHEMA).fetch_one(&pool).await?;
                let schema = schema.unwrap_or_default();
                if owns == Some(true) {
                    tracing::info!(%role, %schema, "the role owns the schema, so migrations are applied at start");
                    migrator.run(&pool).await?;
                } else {
                    let wanted = migrator.iter().map(|m| m.version).max().unwrap_or(0);
                    let recorded: bool = sqlx::query_scalar(HAS_MIGRATIONS_TABLE).fetch_one(&pool).await?;
                    let found: Option<i64> =
                        if recorded { sqlx::query_scalar(SCHEMA_VERSION).fetch_one(&pool).await? } else { None };
                    let found = found.unwrap_or(0);
                    tracing::info!(%role, %schema, found, wanted, "the role does not own the schema: no migrations, only a version check");
                    if found != wanted {
                        return Err(StoreError::SchemaNotCurrent { found, wanted });
                    }
                }
            }
        }
        Ok(pool)
    }
}

/// The connecting role, the schema it works in, and whether it owns that schema: only the
/// owner migrates at start (the runtime role cannot alter the schema, and must not try).
const OWNS_SCHEMA: &str = "SELECT current_user::text, current_schema()::text, \
     (SELECT n.nspowner = r.oid FROM pg_namespace n, pg_roles r \
      WHERE n.nspname = current_schema() AND r.rolname = current_user)";

/// Whether sqlx's record of applied migrations exists in the schema.
const HAS_MIGRATIONS_TABLE: &str = "SELECT to_regclass('_sqlx_migrations') IS NOT NULL";

/// The newest migration applied successfully; NULL when none has been.
const SCHEMA_VERSION: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";
