//! The callers of `helpdesk serve` and the readiness check's schema version.

use crate::domain::audit::NewAuditEvent;
use crate::domain::serve_client::ServeClient;
use crate::domain::user::UserId;
use crate::store::StoreResult;
use crate::store::rows::ServeClientRow;
use crate::store::sql::serve_clients;

sql_impl! {
    pub(super) async fn write_serve_client(
        &self,
        name: &str,
        token_hash: &[u8],
        by: UserId,
        audit: &NewAuditEvent,
    ) -> StoreResult<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(serve_clients::INSERT_CLIENT)
            .bind(name)
            .bind(token_hash)
            .bind(audit.at)
            .bind(by)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(id) = id else {
            tx.rollback().await?;
            return Ok(None);
        };
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    pub(super) async fn read_serve_clients(&self) -> StoreResult<Vec<ServeClient>> {
        let rows: Vec<ServeClientRow> = sqlx::query_as(serve_clients::CLIENTS).fetch_all(self.pool()).await?;
        Ok(rows.into_iter().map(ServeClient::from).collect())
    }

    pub(super) async fn read_serve_client(&self, token_hash: &[u8]) -> StoreResult<Option<ServeClient>> {
        let row: Option<ServeClientRow> =
            sqlx::query_as(serve_clients::ACTIVE_CLIENT_BY_TOKEN).bind(token_hash).fetch_optional(self.pool()).await?;
        Ok(row.map(ServeClient::from))
    }

    pub(super) async fn write_client_revoked(
        &self,
        name: &str,
        by: UserId,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query(serve_clients::REVOKE_CLIENT).bind(name).bind(audit.at).bind(by).execute(&mut *tx).await?;
        if D::rows_affected(&done) != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn read_schema_version(&self) -> StoreResult<(i64, i64)> {
        let found: Option<i64> = sqlx::query_scalar(serve_clients::SCHEMA_VERSION).fetch_one(self.pool()).await?;
        Ok((found.unwrap_or(0), D::newest_migration()))
    }
}
