//! Production: every agent's process talks to the same PostgreSQL.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::store::sql::store_impl;

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    const BACKEND: Backend = Backend::Postgres;
    const ANALYZE: &str = "ANALYZE";

    pub async fn open(url: &str, max_connections: u32) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|source| StoreError::Unreachable { url: crate::store::redact(url), source })?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    /// Row locks (taken by the first write on the user's row) serialize writers per user.
    async fn begin_write(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        self.pool.begin().await
    }

    fn bulk_param(n: usize) -> String {
        format!("${n}")
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

store_impl!(PostgresStore, Postgres);
