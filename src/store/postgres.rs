//! Production: every agent's process talks to the same PostgreSQL.

use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::{PgPool, PgPoolOptions, PgQueryResult};

use crate::store::dialect::Dialect;
use crate::store::{Backend, StoreError, StoreResult, redact};

impl Dialect for Postgres {
    const BACKEND: Backend = Backend::Postgres;

    /// A plain `BEGIN`: row locks (taken by the first write on the user's row, see
    /// `LOCK_USER`) serialize writers per user.
    const BEGIN_WRITE: &'static str = "BEGIN";

    const LOCK_ADMINS: &'static str =
        "SELECT id FROM users WHERE kind = 'staff' AND staff_role = 'admin' AND disabled_at IS NULL FOR UPDATE";

    const ANALYZE: &'static str = "ANALYZE";

    fn bulk_param(n: usize) -> String {
        format!("${n}")
    }

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }

    async fn connect(url: &str, max_connections: u32) -> StoreResult<PgPool> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|source| StoreError::Unreachable { url: redact(url), source })?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(pool)
    }
}
