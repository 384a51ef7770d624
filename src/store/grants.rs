//! Grant requests: grants of power asked for by one admin, applied by a second admin's
//! approval in the approval's own transaction (`domain::grants`).

use crate::domain::access::StaffChange;
use crate::domain::audit::NewAuditEvent;
use crate::domain::grants::{Decider, GrantKind, GrantRequest, GrantState};
use crate::domain::user::UserId;
use crate::store::sql::{grants as sql, staff};
use crate::store::{Acting, StoreError, StoreResult};

/// Who decides a grant, as the store checks it again inside the deciding transaction.
#[derive(Clone, Copy)]
pub enum GrantDecider<'a> {
    /// A signed-in admin, whose session and right are checked again (`Acting`).
    Admin(Acting<'a>),
    /// The database's owner: accepted only while exactly one admin is enabled, counted
    /// with the admins locked; on PostgreSQL only the owner's connection may write it.
    Owner,
}

/// An approval applies `change` and writes `change_audit` after the decision's own event;
/// a decline writes only the decision, with its reason.
#[derive(Clone, Copy)]
pub enum GrantDecision<'a> {
    Approve { change: StaffChange, change_audit: &'a NewAuditEvent },
    Decline { reason: &'a str },
}

/// What `GrantStore::decide_grant` and `ask_grant` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantOutcome {
    /// Written: the request's number.
    Done(i64),
    /// The same grant to the same person is already pending, as this number.
    AlreadyPending(i64),
    /// Nothing written: the request is no longer pending (decided, withdrawn or expired).
    Closed,
    /// Nothing written: the admin no longer may (signed out, disabled, demoted).
    NoLongerActing,
    /// Nothing written: the owner may stand in only beside a single enabled admin.
    NotASingleAdmin,
}

/// Grants that wait for a second admin.
#[async_trait::async_trait]
pub trait GrantStore: Send + Sync {
    /// Writes a pending request for `kind` to `subject` by `acting`'s admin, expiring at
    /// `expires_at`, with `audit` (whose detail gains the request's number).
    async fn ask_grant(
        &self,
        acting: Acting<'_>,
        subject: UserId,
        kind: GrantKind,
        now: i64,
        expires_at: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<GrantOutcome>;
    async fn grant_request(&self, id: i64) -> StoreResult<Option<GrantRequest>>;
    /// Pending requests, oldest first, up to `limit`.
    async fn pending_grants(&self, limit: i64) -> StoreResult<Vec<GrantRequest>>;
    /// Pending requests within their time at `now`.
    async fn count_pending_grants(&self, now: i64) -> StoreResult<i64>;
    /// Decides a pending request within its time, with `audit` (the decision's event), in
    /// one transaction; an approval applies the change in it too.
    async fn decide_grant(
        &self,
        id: i64,
        by: GrantDecider<'_>,
        decision: GrantDecision<'_>,
        now: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<GrantOutcome>;
    /// The asker takes back a pending request, with `audit`.
    async fn withdraw_grant(
        &self,
        id: i64,
        acting: Acting<'_>,
        now: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<GrantOutcome>;
    /// Closes the pending requests past their time at `now`, each with its audit event.
    async fn expire_grants(
        &self,
        now: i64,
        audit: &(dyn for<'r> Fn(&'r GrantRequest) -> NewAuditEvent + Send + Sync),
    ) -> StoreResult<u64>;
}

#[derive(sqlx::FromRow)]
struct GrantRequestRow {
    id: i64,
    kind: String,
    permission: Option<String>,
    key_fingerprint: Option<String>,
    subject_id: i64,
    subject: String,
    subject_first: String,
    subject_last: String,
    asked_by: i64,
    asked_by_username: String,
    asked_at: i64,
    expires_at: i64,
    state: String,
    decided_by: Option<i64>,
    decided_by_username: Option<String>,
    decided_by_owner: i64,
    decided_at: Option<i64>,
    decision_note: Option<String>,
}

impl TryFrom<GrantRequestRow> for GrantRequest {
    type Error = StoreError;
    fn try_from(r: GrantRequestRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("grant request {}: {what} {v:?}", r.id));
        let decided_by = match (r.decided_by, r.decided_by_owner) {
            (Some(id), 0) => Some(Decider::Admin(id, r.decided_by_username.unwrap_or_default())),
            (None, 1) => Some(Decider::Owner),
            (None, 0) => None,
            _ => return Err(corrupt("decider", "both an admin and the owner")),
        };
        Ok(GrantRequest {
            id: r.id,
            kind: GrantKind::parse(&r.kind, r.permission.as_deref(), r.key_fingerprint.as_deref())
                .ok_or_else(|| corrupt("kind", &r.kind))?,
            subject_id: r.subject_id,
            subject: r.subject,
            subject_name: format!("{} {}", r.subject_first, r.subject_last),
            asked_by_id: r.asked_by,
            asked_by: r.asked_by_username,
            asked_at: r.asked_at,
            expires_at: r.expires_at,
            state: GrantState::parse(&r.state).ok_or_else(|| corrupt("state", &r.state))?,
            decided_by,
            decided_at: r.decided_at,
            decision_note: r.decision_note,
        })
    }
}

/// `audit` with "grant #id; " before its detail.
fn numbered(audit: &NewAuditEvent, id: i64) -> NewAuditEvent {
    let mut audit = audit.clone();
    audit.detail = Some(format!("grant #{id}; {}", audit.detail.unwrap_or_default()));
    audit
}

sql_impl! {
    impl GrantStore;

    async fn ask_grant(
        &self,
        acting: Acting<'_>,
        subject: UserId,
        kind: GrantKind,
        now: i64,
        expires_at: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<GrantOutcome> {
        let mut tx = self.begin_write().await?;
        if !Self::still_acting(&mut tx, acting).await? {
            tx.rollback().await?;
            return Ok(GrantOutcome::NoLongerActing);
        }
        let permission = kind.permission().map(|p| p.as_str());
        let key = kind.key().map(|k| k.hex());
        let pending: Option<i64> = sqlx::query_scalar(sql::PENDING_SAME)
            .bind(subject)
            .bind(kind.as_str())
            .bind(permission)
            .bind(key.as_deref())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(id) = pending {
            tx.rollback().await?;
            return Ok(GrantOutcome::AlreadyPending(id));
        }
        let id: i64 = sqlx::query_scalar(sql::INSERT)
            .bind(kind.as_str())
            .bind(permission)
            .bind(key.as_deref())
            .bind(subject)
            .bind(acting.actor)
            .bind(now)
            .bind(expires_at)
            .fetch_one(&mut *tx)
            .await?;
        self.insert_audit(&mut tx, &numbered(audit, id)).await?;
        tx.commit().await?;
        Ok(GrantOutcome::Done(id))
    }

    async fn grant_request(&self, id: i64) -> StoreResult<Option<GrantRequest>> {
        let row: Option<GrantRequestRow> = sqlx::query_as(&sql::by_id()).bind(id).fetch_optional(self.pool()).await?;
        row.map(GrantRequest::try_from).transpose()
    }

    async fn pending_grants(&self, limit: i64) -> StoreResult<Vec<GrantRequest>> {
        let rows: Vec<GrantRequestRow> = sqlx::query_as(&sql::pending()).bind(limit).fetch_all(self.pool()).await?;
        rows.into_iter().map(GrantRequest::try_from).collect()
    }

    async fn count_pending_grants(&self, now: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(sql::COUNT_PENDING).bind(now).fetch_one(self.pool()).await?)
    }

    async fn decide_grant(
        &self,
        id: i64,
        by: GrantDecider<'_>,
        decision: GrantDecision<'_>,
        now: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<GrantOutcome> {
        let mut tx = self.begin_write().await?;
        let done = match by {
            GrantDecider::Admin(acting) => {
                if !Self::still_acting(&mut tx, acting).await? {
                    tx.rollback().await?;
                    return Ok(GrantOutcome::NoLongerActing);
                }
                let (state, reason) = match decision {
                    GrantDecision::Approve { .. } => (GrantState::Approved, None),
                    GrantDecision::Decline { reason } => (GrantState::Declined, Some(reason)),
                };
                sqlx::query(sql::DECIDE)
                    .bind(id)
                    .bind(state.as_str())
                    .bind(acting.actor)
                    .bind(now)
                    .bind(reason)
                    .execute(&mut *tx)
                    .await?
            }
            GrantDecider::Owner => {
                sqlx::query(D::LOCK_ADMINS).execute(&mut *tx).await?;
                let admins: i64 = sqlx::query_scalar(staff::COUNT_ENABLED_ADMINS).fetch_one(&mut *tx).await?;
                if admins != 1 || matches!(decision, GrantDecision::Decline { .. }) {
                    tx.rollback().await?;
                    return Ok(GrantOutcome::NotASingleAdmin);
                }
                sqlx::query(sql::DECIDE_AS_OWNER).bind(id).bind(now).execute(&mut *tx).await?
            }
        };
        if D::rows_affected(&done) != 1 {
            tx.rollback().await?;
            return Ok(GrantOutcome::Closed);
        }
        self.insert_audit(&mut tx, &numbered(audit, id)).await?;
        if let GrantDecision::Approve { change, change_audit } = decision {
            let subject: i64 =
                sqlx::query_scalar(sql::SUBJECT).bind(id).fetch_one(&mut *tx).await?;
            // Giving power never removes an admin: the change always applies.
            self.apply_staff_change(&mut tx, subject, change, now, change_audit.actor_id, None).await?;
            self.insert_audit(&mut tx, &numbered(change_audit, id)).await?;
        }
        tx.commit().await?;
        Ok(GrantOutcome::Done(id))
    }

    async fn withdraw_grant(
        &self,
        id: i64,
        acting: Acting<'_>,
        now: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<GrantOutcome> {
        let mut tx = self.begin_write().await?;
        if !Self::still_acting(&mut tx, acting).await? {
            tx.rollback().await?;
            return Ok(GrantOutcome::NoLongerActing);
        }
        let done = sqlx::query(sql::WITHDRAW).bind(id).bind(now).execute(&mut *tx).await?;
        if D::rows_affected(&done) != 1 {
            tx.rollback().await?;
            return Ok(GrantOutcome::Closed);
        }
        self.insert_audit(&mut tx, &numbered(audit, id)).await?;
        tx.commit().await?;
        Ok(GrantOutcome::Done(id))
    }

    async fn expire_grants(
        &self,
        now: i64,
        audit: &(dyn for<'r> Fn(&'r GrantRequest) -> NewAuditEvent + Send + Sync),
    ) -> StoreResult<u64> {
        let rows: Vec<GrantRequestRow> =
            sqlx::query_as(&sql::past_their_time()).bind(now).bind(500_i64).fetch_all(self.pool()).await?;
        let mut expired = 0;
        for row in rows {
            let grant = GrantRequest::try_from(row)?;
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(sql::EXPIRE).bind(grant.id).execute(&mut *tx).await?;
            if D::rows_affected(&done) != 1 {
                tx.rollback().await?;
                continue;
            }
            self.insert_audit(&mut tx, &numbered(&audit(&grant), grant.id)).await?;
            tx.commit().await?;
            expired += 1;
        }
        Ok(expired)
    }
}
