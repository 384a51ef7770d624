//! The callers of `helpdesk serve`, each with its own bearer token.

use async_trait::async_trait;

use crate::domain::audit::NewAuditEvent;
use crate::domain::serve_client::ServeClient;
use crate::domain::user::UserId;
use crate::store::StoreResult;
use crate::store::rows::ServeClientRow;
use crate::store::sql::serve_clients;

/// The callers of `helpdesk serve`; a token is kept as its SHA-256 only.
#[async_trait]
pub trait ServeClientStore: Send + Sync {
    /// Writes a new caller of `helpdesk serve` with its token's hash and the audit event,
    /// in one transaction. `None` when the name is taken; then nothing is written.
    async fn insert_serve_client(
        &self,
        name: &str,
        token_hash: &[u8],
        by: UserId,
        audit: &NewAuditEvent,
    ) -> StoreResult<Option<i64>>;
    /// Every caller, revoked ones too, by name.
    async fn serve_clients(&self) -> StoreResult<Vec<ServeClient>>;
    /// The caller whose token hashes to `token_hash`, while it is not revoked.
    async fn serve_client(&self, token_hash: &[u8]) -> StoreResult<Option<ServeClient>>;
    /// The token hashes of every caller not revoked, as stored (not checked).
    async fn active_token_hashes(&self) -> StoreResult<Vec<Vec<u8>>>;
    /// Revokes the caller `name` with the audit event, in one transaction; false when no
    /// caller of that name is active (then nothing is written).
    async fn revoke_serve_client(&self, name: &str, by: UserId, audit: &NewAuditEvent) -> StoreResult<bool>;
}

sql_impl! {
    impl ServeClientStore;

    async fn insert_serve_client(
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
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    async fn serve_clients(&self) -> StoreResult<Vec<ServeClient>> {
        let rows: Vec<ServeClientRow> = sqlx::query_as(serve_clients::CLIENTS).fetch_all(self.pool()).await?;
        Ok(rows.into_iter().map(ServeClient::from).collect())
    }

    async fn serve_client(&self, token_hash: &[u8]) -> StoreResult<Option<ServeClient>> {
        let row: Option<ServeClientRow> = sqlx::query_as(serve_clients::ACTIVE_CLIENT_BY_TOKEN)
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(ServeClient::from))
    }

    async fn active_token_hashes(&self) -> StoreResult<Vec<Vec<u8>>> {
        Ok(sqlx::query_scalar(serve_clients::ACTIVE_TOKEN_HASHES).fetch_all(self.pool()).await?)
    }

    async fn revoke_serve_client(&self, name: &str, by: UserId, audit: &NewAuditEvent) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query(serve_clients::REVOKE_CLIENT).bind(name).bind(audit.at).bind(by).execute(&mut *tx).await?;
        if D::rows_affected(&done) != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
