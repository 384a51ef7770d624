//! Backup codes and their batches: storing a batch after its rules are read again inside
//! the transaction, revoking it, redeeming a code, and the emergency stop.

use async_trait::async_trait;

use crate::domain::access::Staff;
use crate::domain::audit::NewAuditEvent;
use crate::domain::notice::Notice;
use crate::domain::user::{User, UserId};
use crate::store::rows::{RedemptionSubjectRow, UserRow, staff_from};
use crate::store::sql::{codes, risk, sessions, staff, throttle, two_person, users};
use crate::store::{Acting, BatchKey, BatchOutcome, BatchSummary, NewBatch, RevokeOutcome, StoreResult};

/// A user's backup codes, from the stored batch to the redeemed code.
#[async_trait]
pub trait BatchStore: Send + Sync {
    /// The active batch (neither revoked nor expired at `now`); `None` when there is none.
    async fn code_state(&self, user: UserId, now: i64) -> StoreResult<Option<BatchSummary>>;
    /// Batches neither revoked nor expired at `now`, everybody's.
    async fn count_active_batches(&self, now: i64) -> StoreResult<i64>;
    /// Revokes the user's current batch and stores the new one, its audit events and
    /// notices in one transaction. Locks the user first (`LOCK_USER`), so that two agents
    /// generating for one user take turns and the user ends with exactly one active batch,
    /// the last one stored. Inside the transaction it reads the generating staff member
    /// again: unless their session is still open, they are still enabled and `may` still
    /// allows them (the hashing before it takes a while), nothing is written and the
    /// answer says why (`BatchOutcome`); likewise when the user's contact details changed
    /// after `contact_seen`, the request's approval cannot be used (expired, used, voided
    /// by a newer batch), or, without a request, a velocity limit or "always a second person" now
    /// applies. Otherwise returns the batch's id (`BatchOutcome::Stored`). `generated` is
    /// the generation event (`backup_codes_generated`, by the generator, for the user): it
    /// is written first, naming the new batch, then the batch right after it, as the
    /// database requires (migration 0022); `audits` follow the codes.
    async fn store_batch(
        &self,
        batch: &NewBatch<'_>,
        may: &(dyn for<'s> Fn(&'s Staff) -> bool + Send + Sync),
        generated: &NewAuditEvent,
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<BatchOutcome>;
    /// Revokes the current batch, with the audit event and notices, in one transaction
    /// that locks the user first (`LOCK_USER`). `NoActiveBatch` when there was none; then
    /// nothing is written. `acting` (who revokes) is checked again inside the transaction;
    /// when it no longer holds nothing is written (`RevokeOutcome::NoLongerActing`).
    async fn revoke_batch(
        &self,
        acting: Acting<'_>,
        user: UserId,
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
    ) -> StoreResult<RevokeOutcome>;
    /// Revokes the user's batch `batch` because its failures reached the cap, with no
    /// member of staff as the revoker; the audit event and notices in the same transaction,
    /// which locks the user first. False when that batch no longer works (revoked by a newer
    /// one, or expired); then nothing is written, and a newer batch is left alone.
    async fn exhaust_batch(
        &self,
        user: UserId,
        batch: i64,
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
    ) -> StoreResult<bool>;
    /// The emergency stop: revokes every batch that works at `now`, by `by`, in one
    /// transaction that also writes `audit` (its detail gains the count) and, for each
    /// holder, the notices `notices` makes. Returns how many batches were revoked.
    async fn revoke_all_batches(
        &self,
        by: UserId,
        now: i64,
        audit: &NewAuditEvent,
        notices: &(dyn for<'u> Fn(&'u User) -> Vec<Notice> + Send + Sync),
    ) -> StoreResult<u64>;
    /// What a redemption reads before hashing, in one statement: the user with this
    /// username (case-insensitive) and their active batch's salt and cost at `now`
    /// (`None` when they have no active batch). `None` when there is no such user.
    async fn redemption_subject(&self, username: &str, now: i64) -> StoreResult<Option<(User, Option<BatchKey>)>>;
    /// Marks the code used if, and only if, it is unused: one conditional update
    /// (`CONSUME_CODE`), so true for exactly one caller however many try at once. On
    /// success, clears the failure count and marks the user enrolled (the user named by
    /// `audit.target_id`), and writes the audit event and notices, in the same
    /// transaction, and returns how many codes of the batch are still unused. `None` when
    /// the code is unknown, used, or its batch revoked or expired; then the `rejected`
    /// events are written instead, in the same transaction.
    async fn consume_code(
        &self,
        batch: i64,
        hash: &[u8],
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
        rejected: &[NewAuditEvent],
    ) -> StoreResult<Option<i64>>;
}

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
    /// Writes the generation event, naming the batch by an id drawn now, and then the batch
    /// with that id and its codes, inside the caller's transaction: nothing is inserted
    /// between the event and the batch (SQLite checks the batch against the connection's
    /// last inserted row, PostgreSQL at the commit; migration 0022). Returns the batch's id.
    async fn write_batch(&self, conn: &mut D::Connection, batch: &NewBatch<'_>, generated: &NewAuditEvent) -> StoreResult<i64> {
        let id: i64 = sqlx::query_scalar(D::NEXT_BATCH_ID).fetch_one(&mut *conn).await?;
        self.insert_audit(&mut *conn, &NewAuditEvent { batch_id: Some(id), ..generated.clone() }).await?;
        sqlx::query(&codes::insert_batch(D::GIVEN_ID))
            .bind(id)
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
            .execute(&mut *conn)
            .await?;
        for hash in batch.hashes {
            sqlx::query(codes::INSERT_CODE).bind(id).bind(&hash[..]).execute(&mut *conn).await?;
        }
        Ok(id)
    }
    /// Revokes the user's active batch (neither revoked nor expired), or only batch `only`
    /// when given, recording `by`'s actor as the revoker (nobody when failures used it up), who must still
    /// be acting inside the transaction (`RevokeOutcome::NoLongerActing` otherwise), with
    /// the audit event and notices, in one transaction that locks the user first. False
    /// when none was active; then nothing is written.
    async fn revoke_active(
        &self,
        user: UserId,
        only: Option<i64>,
        by: Option<Acting<'_>>,
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
    ) -> StoreResult<RevokeOutcome> {
        let mut tx = self.begin_write().await?;
        sqlx::query(codes::LOCK_USER).bind(user).execute(&mut *tx).await?;
        if let Some(acting) = by
            && !Self::still_acting(&mut tx, acting).await?
        {
            tx.rollback().await?;
            return Ok(RevokeOutcome::NoLongerActing);
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
            return Ok(RevokeOutcome::NoActiveBatch);
        }
        self.insert_audit(&mut tx, audit).await?;
        Self::insert_notices(&mut tx, now, notices).await?;
        tx.commit().await?;
        Ok(RevokeOutcome::Revoked)
    }
}

sql_impl! {
    impl BatchStore;

    async fn code_state(&self, user: UserId, now: i64) -> StoreResult<Option<BatchSummary>> {
        Ok(sqlx::query_as(codes::BATCH_SUMMARY).bind(user).bind(now).fetch_optional(self.pool()).await?)
    }

    async fn count_active_batches(&self, now: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(risk::COUNT_ACTIVE_BATCHES).bind(now).fetch_one(self.pool()).await?)
    }

    async fn store_batch(
        &self,
        batch: &NewBatch<'_>,
        may: &(dyn for<'s> Fn(&'s Staff) -> bool + Send + Sync),
        generated: &NewAuditEvent,
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<BatchOutcome> {
        let mut tx = self.begin_write().await?;
        sqlx::query(codes::LOCK_USER).bind(batch.user_id).execute(&mut *tx).await?;
        let acting = Acting { session: batch.session, actor: batch.generated_by, may };
        let still_allowed = Self::still_acting(&mut tx, acting).await?;
        let marks = Self::read_target_marks(&mut tx, batch.user_id).await?;
        let refused = if !still_allowed {
            Some(BatchOutcome::NoLongerActing)
        } else if marks.contact != batch.contact_seen {
            Some(BatchOutcome::ContactChanged)
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
                (D::rows_affected(&used) != 1 || marks.batch != batch_seen).then_some(BatchOutcome::ApprovalGone)
            }
            (None, None, Some(limits)) => {
                let v = self.read_velocity_in(&mut tx, batch.generated_by, batch.user_id, batch.created_at).await?;
                let always: Option<i64> =
                    sqlx::query_scalar(two_person::SECOND_PERSON_ALWAYS).fetch_optional(&mut *tx).await?;
                let reached = !limits.reached(v).is_empty() || always.unwrap_or(0) != 0;
                reached.then_some(BatchOutcome::SecondPersonNeeded)
            }
            (None, None, None) => None,
        };
        if let Some(refused) = refused {
            tx.rollback().await?;
            return Ok(refused);
        }
        sqlx::query(throttle::NEW_BATCH_RESETS_TOTAL).bind(batch.user_id).execute(&mut *tx).await?;
        sqlx::query(codes::REVOKE_BATCHES)
            .bind(batch.user_id)
            .bind(batch.created_at)
            .bind(batch.generated_by)
            .execute(&mut *tx)
            .await?;
        let id = self.write_batch(&mut tx, batch, generated).await?;
        if let Some((request, _)) = batch.request {
            sqlx::query(two_person::SET_BATCH_REQUEST).bind(id).bind(request).execute(&mut *tx).await?;
        }
        for audit in audits {
            self.insert_audit(&mut tx, audit).await?;
        }
        Self::insert_notices(&mut tx, batch.created_at, notices).await?;
        tx.commit().await?;
        Ok(BatchOutcome::Stored(id))
    }

    async fn revoke_batch(
        &self,
        acting: Acting<'_>,
        user: UserId,
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
    ) -> StoreResult<RevokeOutcome> {
        self.revoke_active(user, None, Some(acting), now, audit, notices).await
    }

    async fn exhaust_batch(
        &self,
        user: UserId,
        batch: i64,
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
    ) -> StoreResult<bool> {
        // Nobody acts: failures used the batch up.
        let done = self.revoke_active(user, Some(batch), None, now, audit, notices).await?;
        Ok(done == RevokeOutcome::Revoked)
    }

    async fn redemption_subject(&self, username: &str, now: i64) -> StoreResult<Option<(User, Option<BatchKey>)>> {
        // ASCII case only (`redemption::typed_username`): a look-alike is nobody.
        let row: Option<RedemptionSubjectRow> = sqlx::query_as(codes::REDEMPTION_SUBJECT)
            .bind(username.to_ascii_lowercase())
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        row.map(TryFrom::try_from).transpose()
    }

    async fn consume_code(
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
                self.insert_audit(&mut tx, event).await?;
            }
            tx.commit().await?;
            return Ok(None);
        }
        if let Some(user) = audit.target_id {
            sqlx::query(codes::REDEEMED).bind(user).execute(&mut *tx).await?;
        }
        self.insert_audit(&mut tx, audit).await?;
        Self::insert_notices(&mut tx, now, notices).await?;
        let left: i64 = sqlx::query_scalar(codes::UNUSED_IN_BATCH).bind(batch).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some(left))
    }

    async fn revoke_all_batches(
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
        self.insert_audit(&mut tx, &audit).await?;
        for holder in holders {
            Self::insert_notices(&mut tx, now, &notices(&User::try_from(holder)?)).await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }
}
