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
    /// Counts one more refused call from `address` (an address key, at most 45 bytes) at
    /// `now` (Unix seconds), for every instance on this database: the start of the
    /// address's current one-minute window and its refusals in it, this one included.
    /// The first refusal of a window also forgets windows over two minutes old.
    async fn count_serve_refusal(&self, address: &str, now: i64) -> StoreResult<(i64, i64)>;
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

    async fn count_serve_refusal(&self, address: &str, now: i64) -> StoreResult<(i64, i64)> {
        let (start, refused): (i64, i64) =
            sqlx::query_as(serve_clients::COUNT_REFUSAL).bind(address).bind(now).fetch_one(self.pool()).await?;
        if refused == 1 {
            sqlx::query(serve_clients::FORGET_REFUSALS).bind(now - 120).bind(now).execute(self.pool()).await?;
        }
        Ok((start, refused))
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
