//! The one implementation of the store, for any database with a `Dialect`: each topic
//! trait is implemented on `SqlStore<D>` in its own file, with the statements named in
//! `sql/`; what differs between databases is `D`'s.

use sqlx::{Pool, Transaction};

use crate::domain::audit_chain::AuditKey;
use crate::store::dialect::Dialect;
use crate::store::{Opening, StoreResult};

pub struct SqlStore<D: Dialect> {
    pool: Pool<D>,
    /// The key every audit event this store appends is linked under (`domain::audit_chain`).
    pub(super) audit_key: AuditKey,
}

impl<D: Dialect> SqlStore<D> {
    /// Connects, creating (SQLite) and migrating the database as `opening` allows; the
    /// audit events it writes are linked under `audit_key`.
    pub async fn open(url: &str, max_connections: u32, opening: Opening, audit_key: AuditKey) -> StoreResult<Self> {
        Ok(Self { pool: D::connect(url, max_connections, opening).await?, audit_key })
    }

    pub fn pool(&self) -> &Pool<D> {
        &self.pool
    }

    pub(super) async fn begin_write(&self) -> sqlx::Result<Transaction<'static, D>> {
        self.pool.begin_with(D::BEGIN_WRITE).await
    }
}
