//! Writes that several `Store` methods make inside their own transaction: the audit
//! event, the notices, and users in bulk.

use crate::domain::audit::NewAuditEvent;
use crate::domain::audit_chain::{self, ChainHash, ChainedFields};
use crate::domain::notice::Notice;
use crate::domain::user::{UserId, sort_key};
use crate::store::sql::{self, audit, codes, institution, notices, users};
use crate::store::{Acting, NewUser, NotStored, StoreError, StoreResult};

/// Rows per multi-row insert: 1,000,000 demo users in well under two minutes.
const ROWS: usize = 400;

sql_impl! {
    /// Appends one event to the hash chain: locks the head, links the event to it, writes
    /// the event and moves the head, all inside the caller's transaction.
    pub(super) async fn insert_audit(conn: &mut D::Connection, e: &NewAuditEvent) -> StoreResult<()> {
        let prev: Vec<u8> = sqlx::query_scalar(audit::LOCK_CHAIN_HEAD).fetch_one(&mut *conn).await?;
        let prev: ChainHash = prev.try_into().map_err(|_| StoreError::Corrupt("the audit chain head's hash".into()))?;
        let hash = audit_chain::link(&prev, &ChainedFields::from(e));
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
            .fetch_one(&mut *conn)
            .await?;
        sqlx::query(audit::ADVANCE_CHAIN_HEAD).bind(id).bind(&hash[..]).execute(&mut *conn).await?;
        Ok(())
    }

    /// Revokes the user's active batch (neither revoked nor expired), or only batch `only`
    /// when given, recording `by`'s actor as the revoker (nobody when failures used it up), who must still
    /// be acting inside the transaction (`NotStored::SessionOrRight` otherwise), with
    /// the audit event and notices, in one transaction that locks the user first. False
    /// when none was active; then nothing is written.
    pub(super) async fn revoke_active(
        &self,
        user: UserId,
        only: Option<i64>,
        by: Option<Acting<'_>>,
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
    ) -> StoreResult<Result<bool, NotStored>> {
        let mut tx = self.begin_write().await?;
        sqlx::query(codes::LOCK_USER).bind(user).execute(&mut *tx).await?;
        if let Some(acting) = by
            && !Self::still_acting(&mut tx, acting).await?
        {
            tx.rollback().await?;
            return Ok(Err(NotStored::SessionOrRight));
        }
        let by = by.map(|a| a.actor);
        let done = match only {
            Some(batch) => sqlx::query(codes::REVOKE_THIS_BATCH).bind(user).bind(now).bind(by).bind(batch),
            None => sqlx::query(codes::REVOKE_ACTIVE_BATCH).bind(user).bind(now).bind(by),
        }
        .execute(&mut *tx)
        .await?;
        if D::rows_affected(&done) == 0 {
            tx.rollback().await?;
            return Ok(Ok(false));
        }
        Self::insert_audit(&mut tx, audit).await?;
        Self::insert_notices(&mut tx, now, notices).await?;
        tx.commit().await?;
        Ok(Ok(true))
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

    /// `Store::insert_users_in_bulk`: one transaction that drops the rebuildable indexes,
    /// writes every batch `next` gives, and builds the indexes again.
    pub(super) async fn bulk_load(&self, next: &mut (dyn FnMut() -> Option<Vec<NewUser>> + Send)) -> StoreResult<u64> {
        let institution: i64 = sqlx::query_scalar(institution::INSTITUTION_ID).fetch_one(self.pool()).await?;
        let mut tx = self.begin_write().await?;
        let indexes: Vec<(String, String)> = sqlx::query_as(D::REBUILDABLE_INDEXES).fetch_all(&mut *tx).await?;
        for (name, _) in &indexes {
            sqlx::query(&format!("DROP INDEX {name}")).execute(&mut *tx).await?;
        }
        let mut written = 0;
        while let Some(batch) = next() {
            let ids = Self::insert_user_rows(&mut tx, institution, &batch).await?;
            Self::insert_devices(&mut tx, &batch, &ids).await?;
            for (u, id) in batch.iter().zip(&ids) {
                for p in &u.permissions {
                    sqlx::query(users::GRANT_PERMISSION).bind(*id).bind(p.as_str()).execute(&mut *tx).await?;
                }
            }
            written += batch.len() as u64;
        }
        for (_, create) in &indexes {
            sqlx::query(create).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(written)
    }

    /// Writes the users, many to a statement; returns their ids in order.
    pub(super) async fn insert_user_rows(
        conn: &mut D::Connection,
        institution: i64,
        new: &[NewUser],
    ) -> StoreResult<Vec<UserId>> {
        let mut ids = Vec::with_capacity(new.len());
        for chunk in new.chunks(ROWS) {
            let statement = users::insert_users(&sql::values(chunk.len(), users::USER_INSERT_COLUMNS, D::bulk_param));
            let mut q = sqlx::query_scalar(&statement);
            for u in chunk {
                q = q
                    .bind(institution)
                    .bind(u.kind.as_str())
                    .bind(u.username.to_lowercase())
                    .bind(u.first_name.as_str())
                    .bind(u.last_name.as_str())
                    .bind(sort_key(&u.first_name, &u.last_name))
                    .bind(crate::domain::search::first_key(&u.first_name))
                    .bind(u.email.to_lowercase())
                    .bind(u.phone.as_str())
                    .bind(crate::domain::search::phone_digits(&u.phone))
                    .bind(u.enrolment.as_str())
                    .bind(u.role.map(|r| r.as_str()))
                    .bind(u.password_hash.as_deref())
                    .bind(u.created_at)
                    .bind(u.created_at)
                    .bind(0_i64);
            }
            let chunk_ids: Vec<i64> = q.fetch_all(&mut *conn).await.map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::UsernameTaken(if chunk.len() == 1 {
                    chunk[0].username.clone()
                } else {
                    "in this batch".into()
                }),
                _ => e.into(),
            })?;
            ids.extend(chunk_ids);
        }
        Ok(ids)
    }

    /// Writes each user's second factors, many to a statement.
    pub(super) async fn insert_devices(conn: &mut D::Connection, new: &[NewUser], ids: &[UserId]) -> StoreResult<()> {
        let devices: Vec<(i64, &str, &str, i64)> = new
            .iter()
            .zip(ids)
            .flat_map(|(u, id)| u.devices.iter().map(move |(m, label)| (*id, m.as_str(), label.as_str(), u.created_at)))
            .collect();
        for chunk in devices.chunks(ROWS) {
            let statement =
                users::insert_devices(&sql::values(chunk.len(), users::DEVICE_INSERT_COLUMNS, D::bulk_param));
            let mut q = sqlx::query(&statement);
            for (id, method, label, at) in chunk {
                q = q.bind(*id).bind(*method).bind(*label).bind(*at);
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}
