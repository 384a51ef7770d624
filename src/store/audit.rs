//! The audit log, append-only and hash-chained, and the notices outbox: each written
//! inside the transaction of the change it records, and read by the admin's screens, the
//! export and the chain's verification.

use async_trait::async_trait;

use crate::domain::audit::{AuditEvent, AuditFilter, NewAuditEvent};
use crate::domain::audit_chain::{self, AuditKey, ChainHash, ChainHead, ChainedFields};
use crate::domain::notice::Notice;
use crate::domain::user::UserId;
use crate::store::rows::{AuditRow, ChainHeadRow, ChainedAuditRow};
use crate::store::sql::{audit, notices};
use crate::store::{ChainedEvent, Notification, StoreError, StoreResult};

/// The audit log and the notices outbox.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Writes the events in order, in one transaction.
    async fn append_audit(&self, events: &[NewAuditEvent]) -> StoreResult<()>;
    /// Writes the events in order, in one transaction, linked under `key`'s newest key
    /// instead of the store's: the `audit_key_rotated` event, under the key that replaces
    /// the store's (`helpdesk audit rotate-key`).
    async fn append_audit_under(&self, key: &AuditKey, events: &[NewAuditEvent]) -> StoreResult<()>;
    /// Matching events with an id above `after`, oldest first.
    async fn audit_events(&self, filter: &AuditFilter, after: i64, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// Matching events newest first, with an id below `before` (from the newest for
    /// `None`).
    async fn audit_page(&self, filter: &AuditFilter, before: Option<i64>, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// The newest events first, optionally for one target.
    async fn recent_audit(&self, target: Option<UserId>, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// The newest chained event and its hash.
    async fn audit_chain_head(&self) -> StoreResult<ChainHead>;
    /// Events with an id above `after`, oldest first, with their chain hashes.
    async fn chained_audit_events(&self, after: i64, limit: i64) -> StoreResult<Vec<ChainedEvent>>;
    /// The user's notices in the outbox, oldest first.
    async fn notifications(&self, user: UserId) -> StoreResult<Vec<Notification>>;
    /// The key this store links the events it appends under, which their links are checked
    /// under too.
    fn audit_key(&self) -> &AuditKey;
}

sql_impl! {
    impl AuditStore;

    async fn append_audit(&self, events: &[NewAuditEvent]) -> StoreResult<()> {
        self.append_audit_under(&self.audit_key, events).await
    }

    async fn append_audit_under(&self, key: &AuditKey, events: &[NewAuditEvent]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for e in events {
            Self::insert_audit_under(&mut tx, key, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn audit_events(&self, filter: &AuditFilter, after: i64, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        self.read_audit(&audit::export(), filter, Some(after), limit).await
    }

    async fn audit_page(&self, filter: &AuditFilter, before: Option<i64>, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        self.read_audit(&audit::page(), filter, before, limit).await
    }

    async fn recent_audit(&self, target: Option<UserId>, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        let rows: Vec<AuditRow> = match target {
            Some(t) => sqlx::query_as(audit::RECENT_FOR_TARGET).bind(t).bind(limit).fetch_all(self.pool()).await?,
            None => sqlx::query_as(audit::RECENT).bind(limit).fetch_all(self.pool()).await?,
        };
        Ok(rows.into_iter().map(AuditEvent::from).collect())
    }

    async fn audit_chain_head(&self) -> StoreResult<ChainHead> {
        let row: ChainHeadRow = sqlx::query_as(audit::CHAIN_HEAD)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::Corrupt("the audit chain head is missing".into()))?;
        ChainHead::try_from(row)
    }

    async fn chained_audit_events(&self, after: i64, limit: i64) -> StoreResult<Vec<ChainedEvent>> {
        let rows: Vec<ChainedAuditRow> =
            sqlx::query_as(audit::CHAINED_EVENTS_AFTER).bind(after).bind(limit).fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|r| ChainedEvent { event: AuditEvent::from(r.event), chain_hash: r.chain_hash })
            .collect())
    }

    async fn notifications(&self, user: UserId) -> StoreResult<Vec<Notification>> {
        Ok(sqlx::query_as(notices::NOTIFICATIONS).bind(user).fetch_all(self.pool()).await?)
    }

    fn audit_key(&self) -> &AuditKey {
        &self.audit_key
    }
}

sql_impl! {
    /// Appends one event to the hash chain: locks the head, links the event to it under the
    /// store's audit key, writes the event and moves the head, all inside the caller's
    /// transaction. The event's row is the last row this inserts, which a batch written
    /// next relies on (SQLite's `last_insert_rowid()`, migration 0022).
    pub(super) async fn insert_audit(&self, conn: &mut D::Connection, e: &NewAuditEvent) -> StoreResult<()> {
        Self::insert_audit_under(conn, &self.audit_key, e).await
    }

    /// `insert_audit`, linked under `key`'s newest key.
    async fn insert_audit_under(conn: &mut D::Connection, key: &AuditKey, e: &NewAuditEvent) -> StoreResult<()> {
        let prev: Vec<u8> = sqlx::query_scalar(audit::LOCK_CHAIN_HEAD).fetch_one(&mut *conn).await?;
        let prev: ChainHash = prev.try_into().map_err(|_| StoreError::Corrupt("the audit chain head's hash".into()))?;
        let hash = audit_chain::keyed_link(key, &prev, &ChainedFields::from(e));
        let id: i64 = sqlx::query_scalar(audit::INSERT_AUDIT)
            .bind(e.at)
            .bind(e.actor_id)
            .bind(e.actor.as_str())
            .bind(e.target_id)
            .bind(e.target.as_str())
            .bind(e.action.as_str())
            .bind(e.identity_check.map(|c| c.as_str()))
            .bind(e.note.as_deref())
            .bind(e.code_count)
            .bind(e.expires_at)
            .bind(e.detail.as_deref())
            .bind(&hash[..])
            .bind(e.batch_id)
            .fetch_one(&mut *conn)
            .await?;
        sqlx::query(audit::ADVANCE_CHAIN_HEAD).bind(id).bind(&hash[..]).execute(&mut *conn).await?;
        Ok(())
    }

    pub(super) async fn insert_notices(conn: &mut D::Connection, at: i64, notices: &[Notice]) -> StoreResult<()> {
        for n in notices {
            sqlx::query(notices::INSERT_NOTICE)
                .bind(at)
                .bind(n.user_id)
                .bind(n.channel)
                .bind(n.address.as_str())
                .bind(n.kind)
                .bind(n.body.as_str())
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// The audit reads: `statement` is `audit::page()` or `audit::export()`, `cursor`
    /// the id to start before or after.
    async fn read_audit(
        &self,
        statement: &str,
        filter: &AuditFilter,
        cursor: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<AuditEvent>> {
        let rows: Vec<AuditRow> = sqlx::query_as(statement)
            .bind(filter.actor.as_deref())
            .bind(filter.target.as_deref())
            .bind(filter.action.map(|a| a.as_str()))
            .bind(filter.since)
            .bind(filter.until)
            .bind(cursor)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(AuditEvent::from).collect())
    }
}
