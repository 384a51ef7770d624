//! The code path's writes: storing a batch after its rules are read again inside the
//! transaction, consuming a code, and the emergency stop.

use crate::domain::access::Staff;
use crate::domain::audit::NewAuditEvent;
use crate::domain::notice::Notice;
use crate::domain::user::{User, UserId};
use crate::store::rows::{UserRow, staff_from};
use crate::store::sql::{codes, sessions, staff, throttle, two_person, users};
use crate::store::{Acting, NewBatch, NotStored, StoreResult};

sql_impl! {
    /// Whether `acting` still holds inside the caller's transaction: the session is open and
    /// the actor's, and `may` holds for the actor's enabled staff row and grants. The rows
    /// are read with `Dialect::SHARE_LOCK`, so a sign-out, a disable, a change of role or a
    /// withdrawn permission waits for this transaction, and then sees what it wrote,
    /// instead of committing between this check and the write.
    pub(super) async fn still_acting(conn: &mut D::Connection, acting: Acting<'_>) -> StoreResult<bool> {
        // The staff row first, then the session: the order a disable, a new password and a
        // change of grants take their locks in (users, then sessions), so that the two
        // never wait for each other in a circle.
        let actor: Option<UserRow> = sqlx::query_as(&format!("{} {}", staff::ENABLED_STAFF_BY_ID, D::SHARE_LOCK))
            .bind(acting.actor)
            .fetch_optional(&mut *conn)
            .await?;
        let open: Option<i64> = sqlx::query_scalar(&format!("{} {}", sessions::SESSION_OPEN_ROW, D::SHARE_LOCK))
            .bind(acting.session)
            .bind(acting.actor)
            .fetch_optional(&mut *conn)
            .await?;
        if open.is_none() {
            return Ok(false);
        }
        // A change of grants writes the staff row (`GRANTS_CHANGED`), which is held above:
        // withdrawing a permission waits for this write. (Locking the grants themselves
        // would need UPDATE on them, which the runtime role does not have.)
        let permissions: Vec<String> =
            sqlx::query_scalar(users::PERMISSIONS).bind(acting.actor).fetch_all(&mut *conn).await?;
        let actor = actor.map(User::try_from).transpose()?;
        Ok(actor.and_then(|u| staff_from(&u, &permissions)).is_some_and(|s| (acting.may)(&s)))
    }

    pub(super) async fn write_batch(
        &self,
        batch: &NewBatch<'_>,
        may: &(dyn for<'s> Fn(&'s Staff) -> bool + Send + Sync),
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<Result<i64, NotStored>> {
        let mut tx = self.begin_write().await?;
        sqlx::query(codes::LOCK_USER).bind(batch.user_id).execute(&mut *tx).await?;
        let acting = Acting { session: batch.session, actor: batch.generated_by, may };
        let still_allowed = Self::still_acting(&mut tx, acting).await?;
        let marks = Self::read_target_marks(&mut tx, batch.user_id).await?;
        let refused = if !still_allowed {
            Some(NotStored::SessionOrRight)
        } else if marks.contact != batch.contact_seen {
            Some(NotStored::ContactChanged)
        } else {
            None
        };
        let refused = match (refused, batch.request, batch.velocity_limits) {
            (Some(refused), _, _) => Some(refused),
            // The approval is used here, once, by its requester, before it expires; a batch
            // made since it was approved voids it.
            (None, Some((request, batch_seen)), _) => {
                let used = sqlx::query(two_person::USE_APPROVAL)
                    .bind(request)
                    .bind(batch.generated_by)
                    .bind(batch.user_id)
                    .bind(batch.created_at)
                    .execute(&mut *tx)
                    .await?;
                (D::rows_affected(&used) != 1 || marks.batch != batch_seen).then_some(NotStored::ApprovalGone)
            }
            (None, None, Some(limits)) => {
                let v = self.read_velocity_in(&mut tx, batch.generated_by, batch.user_id, batch.created_at).await?;
                let always: Option<i64> =
                    sqlx::query_scalar(two_person::SECOND_PERSON_ALWAYS).fetch_optional(&mut *tx).await?;
                let reached = !limits.reached(v).is_empty() || always.unwrap_or(0) != 0;
                reached.then_some(NotStored::SecondPersonNeeded)
            }
            (None, None, None) => None,
        };
        if let Some(refused) = refused {
            tx.rollback().await?;
            return Ok(Err(refused));
        }
        sqlx::query(throttle::NEW_BATCH_RESETS_TOTAL).bind(batch.user_id).execute(&mut *tx).await?;
        sqlx::query(codes::REVOKE_BATCHES)
            .bind(batch.user_id)
            .bind(batch.created_at)
            .bind(batch.generated_by)
            .execute(&mut *tx)
            .await?;
        let id: i64 = sqlx::query_scalar(codes::INSERT_BATCH)
            .bind(batch.user_id)
            .bind(batch.generated_by)
            .bind(batch.created_at)
            .bind(batch.expires_at)
            .bind(batch.salt)
            .bind(i64::from(batch.cost.memory_kib))
            .bind(i64::from(batch.cost.iterations))
            .bind(i64::from(batch.cost.parallelism))
            .bind(batch.hashes.len() as i64)
            .bind(batch.identity_check.as_str())
            .bind(batch.note.as_deref())
            .fetch_one(&mut *tx)
            .await?;
        for hash in batch.hashes {
            sqlx::query(codes::INSERT_CODE).bind(id).bind(&hash[..]).execute(&mut *tx).await?;
        }
        if let Some((request, _)) = batch.request {
            sqlx::query(two_person::SET_BATCH_REQUEST).bind(id).bind(request).execute(&mut *tx).await?;
        }
        for audit in audits {
            Self::insert_audit(&mut tx, audit).await?;
        }
        Self::insert_notices(&mut tx, batch.created_at, notices).await?;
        tx.commit().await?;
        Ok(Ok(id))
    }

    pub(super) async fn consume(
        &self,
        batch: i64,
        hash: &[u8],
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
        rejected: &[NewAuditEvent],
    ) -> StoreResult<Option<i64>> {
        let mut tx = self.begin_write().await?;
        // Takes turns with a revocation (which locks the user first too): a code consumed
        // here was not yet revoked, and one revoked first is not consumed.
        if let Some(user) = audit.target_id {
            sqlx::query(codes::LOCK_USER).bind(user).execute(&mut *tx).await?;
        }
        let done = sqlx::query(codes::CONSUME_CODE).bind(batch).bind(hash).bind(now).execute(&mut *tx).await?;
        if D::rows_affected(&done) != 1 {
            for event in rejected {
                Self::insert_audit(&mut tx, event).await?;
            }
            tx.commit().await?;
            return Ok(None);
        }
        if let Some(user) = audit.target_id {
            sqlx::query(codes::REDEEMED).bind(user).execute(&mut *tx).await?;
        }
        Self::insert_audit(&mut tx, audit).await?;
        Self::insert_notices(&mut tx, now, notices).await?;
        let left: i64 = sqlx::query_scalar(codes::UNUSED_IN_BATCH).bind(batch).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some(left))
    }

    pub(super) async fn revoke_every_batch(
        &self,
        by: UserId,
        now: i64,
        audit: &NewAuditEvent,
        notices: &(dyn for<'u> Fn(&'u User) -> Vec<Notice> + Send + Sync),
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        // Holders are read inside the transaction; on PostgreSQL each row is then locked by
        // the update, so a batch generated meanwhile either is revoked here or comes after.
        let holders: Vec<UserRow> = sqlx::query_as(codes::ACTIVE_HOLDERS).bind(now).fetch_all(&mut *tx).await?;
        let done = sqlx::query(codes::REVOKE_ALL_ACTIVE).bind(now).bind(by).execute(&mut *tx).await?;
        let revoked = D::rows_affected(&done);
        let mut audit = audit.clone();
        audit.code_count = Some(revoked as i64);
        audit.detail = Some(format!("{revoked} active batches revoked; {}", audit.detail.unwrap_or_default()));
        Self::insert_audit(&mut tx, &audit).await?;
        for holder in holders {
            Self::insert_notices(&mut tx, now, &notices(&User::try_from(holder)?)).await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }
}
