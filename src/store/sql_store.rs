//! The one implementation of the store, for any database with a `Dialect`: each topic
//! trait is implemented on `SqlStore<D>` in its own file, with the statements named in
//! `sql/`; what differs between databases is `D`'s.

use sqlx::{Pool, Transaction};

use crate::store::dialect::Dialect;
use crate::store::{Opening, StoreResult};

pub struct SqlStore<D: Dialect> {
    pool: Pool<D>,
}

impl<D: Dialect> SqlStore<D> {
    /// Connects, creating (SQLite) and migrating the database as `opening` allows.
    pub async fn open(url: &str, max_connections: u32, opening: Opening) -> StoreResult<Self> {
        Ok(Self { pool: D::connect(url, max_connections, opening).await? })
    }

    pub fn pool(&self) -> &Pool<D> {
        &self.pool
    }

    pub(super) async fn begin_write(&self) -> sqlx::Result<Transaction<'static, D>> {
        self.pool.begin_with(D::BEGIN_WRITE).await
    }
}
