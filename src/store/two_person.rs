//! The two-person rule's requests for codes and their approvals, the velocity counts and
//! marks a request is weighed by, and the institution's "always a second person". Contact
//! changes and identity links are `contact_changes.rs`.

use crate::domain::audit::{IdentityCheck, NewAuditEvent};
use async_trait::async_trait;

use crate::domain::two_person::{CodeRequest, LinkVia, Reason, RequestState, StaffLink, Velocity};
use crate::domain::user::{UserId, UserKind};
use crate::store::sql::two_person as sql;
use crate::store::{NewRequest, RequestMove, StoreError, StoreResult, TargetMarks};

/// Requests for codes under the two-person rule, and what they are weighed by.
#[async_trait]
pub trait TwoPersonStore: Send + Sync {
    /// The user's newest contact change and batch, by id.
    async fn target_marks(&self, user: UserId) -> StoreResult<TargetMarks>;
    /// Batches `actor` generated in the last hour and day, and `target` received in the
    /// last day, at `now`.
    async fn velocity(&self, actor: UserId, target: UserId, now: i64) -> StoreResult<Velocity>;
    /// Sets "Backup codes always need a second person" (read as
    /// `Institution::second_person_always`; the storing transaction reads it again) with
    /// its audit event, in one transaction.
    async fn set_second_person_always(&self, on: bool, audit: &NewAuditEvent) -> StoreResult<()>;
    /// Writes the request and its audit event (whose detail gains the request's number);
    /// `None` when the target already has an open request.
    async fn insert_request(&self, request: &NewRequest, audit: &NewAuditEvent) -> StoreResult<Option<i64>>;
    async fn request(&self, id: i64) -> StoreResult<Option<CodeRequest>>;
    /// Pending and approved requests, oldest first.
    async fn open_requests(&self, limit: i64) -> StoreResult<Vec<CodeRequest>>;
    /// The target's open request, or else the newest one `requester` made for it.
    async fn latest_request(&self, target: UserId, requester: UserId) -> StoreResult<Option<CodeRequest>>;
    /// Pending requests within their time at `now`.
    async fn count_pending(&self, now: i64) -> StoreResult<i64>;
    /// Moves an open request, within its time, with the audit event, in one transaction;
    /// false (nothing written) when it is no longer in the state `change.from` names.
    async fn move_request(&self, id: i64, change: &RequestMove, audit: &NewAuditEvent) -> StoreResult<bool>;
    /// Closes the open requests past their time at `now`, each with its audit event.
    async fn expire_requests(
        &self,
        now: i64,
        audit: &(dyn for<'r> Fn(&'r CodeRequest) -> NewAuditEvent + Send + Sync),
    ) -> StoreResult<u64>;
}

#[derive(sqlx::FromRow)]
pub struct CodeRequestRow {
    id: i64,
    requester_id: i64,
    requester: String,
    target_id: i64,
    target: String,
    target_first: String,
    target_last: String,
    target_kind: String,
    identity_check: String,
    note: Option<String>,
    signals: String,
    contact_seen: Option<i64>,
    batch_seen: Option<i64>,
    created_at: i64,
    expires_at: i64,
    state: String,
    decided_by: Option<i64>,
    decided_by_username: Option<String>,
    decided_at: Option<i64>,
    decision_note: Option<String>,
    approval_expires_at: Option<i64>,
}

fn lines(s: &str) -> Vec<String> {
    s.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

impl TryFrom<CodeRequestRow> for CodeRequest {
    type Error = StoreError;
    fn try_from(r: CodeRequestRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("code request {}: {what} {v:?}", r.id));
        Ok(CodeRequest {
            id: r.id,
            requester_id: r.requester_id,
            requester: r.requester.clone(),
            target_id: r.target_id,
            target: r.target.clone(),
            target_name: format!("{} {}", r.target_first, r.target_last),
            target_kind: UserKind::parse(&r.target_kind).ok_or_else(|| corrupt("kind", &r.target_kind))?,
            identity_check: IdentityCheck::parse(&r.identity_check)
                .ok_or_else(|| corrupt("identity check", &r.identity_check))?,
            note: r.note.clone(),
            signals: lines(&r.signals),
            // Read with `REASONS_OF` after the row.
            reasons: Vec::new(),
            contact_seen: r.contact_seen,
            batch_seen: r.batch_seen,
            created_at: r.created_at,
            expires_at: r.expires_at,
            state: RequestState::parse(&r.state).ok_or_else(|| corrupt("state", &r.state))?,
            decided_by: r.decided_by.map(|id| (id, r.decided_by_username.clone().unwrap_or_default())),
            decided_at: r.decided_at,
            decision_note: r.decision_note.clone(),
            approval_expires_at: r.approval_expires_at,
        })
    }
}

/// A row of `code_request_reasons`: a reason's kind and the values it names.
#[derive(sqlx::FromRow)]
struct ReasonRow {
    kind: String,
    until_at: Option<i64>,
    identity_check: Option<String>,
    count: Option<i64>,
    max_count: Option<i64>,
    staff_id: Option<i64>,
    staff_username: Option<String>,
    link_via: Option<String>,
    sentence: Option<String>,
}

impl TryFrom<ReasonRow> for Reason {
    type Error = StoreError;
    fn try_from(r: ReasonRow) -> Result<Self, StoreError> {
        let missing = || StoreError::Corrupt(format!("a request reason of kind {:?} lacks a value it names", r.kind));
        let count = || Ok::<_, StoreError>((r.count.ok_or_else(missing)?, r.max_count.ok_or_else(missing)?));
        Ok(match r.kind.as_str() {
            "staff_target" => Reason::StaffTarget,
            "cool_off_override" => Reason::CoolOffOverride { until: r.until_at.ok_or_else(missing)? },
            "weak_check" => {
                Reason::WeakCheck(r.identity_check.as_deref().and_then(IdentityCheck::parse).ok_or_else(missing)?)
            }
            "agent_hour" => count().map(|(count, max)| Reason::AgentHour { count, max })?,
            "agent_day" => count().map(|(count, max)| Reason::AgentDay { count, max })?,
            "user_day" => count().map(|(count, max)| Reason::UserDay { count, max })?,
            "linked_to_staff" => Reason::LinkedToStaff(StaffLink {
                staff_id: r.staff_id.ok_or_else(missing)?,
                staff_username: r.staff_username.clone().ok_or_else(missing)?,
                via: r.link_via.as_deref().and_then(LinkVia::parse).ok_or_else(missing)?,
            }),
            "institution_rule" => Reason::InstitutionRule,
            "recorded" => Reason::Recorded(r.sentence.clone().ok_or_else(missing)?),
            other => return Err(StoreError::Corrupt(format!("request reason kind {other:?}"))),
        })
    }
}

/// The columns of `INSERT_REASON` after the position: the kind, then the values it names.
type ReasonColumns<'a> = (
    &'static str,
    Option<i64>,
    Option<&'static str>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<&'a str>,
    Option<&'static str>,
);

fn reason_columns(reason: &Reason) -> ReasonColumns<'_> {
    let none = (None, None, None, None, None, None, None);
    let (until, check, count, max, staff, username, via) = match reason {
        Reason::CoolOffOverride { until } => (Some(*until), None, None, None, None, None, None),
        Reason::WeakCheck(check) => (None, Some(check.as_str()), None, None, None, None, None),
        Reason::AgentHour { count, max } | Reason::AgentDay { count, max } | Reason::UserDay { count, max } => {
            (None, None, Some(*count), Some(*max), None, None, None)
        }
        Reason::LinkedToStaff(link) => {
            (None, None, None, None, Some(link.staff_id), Some(link.staff_username.as_str()), Some(link.via.as_str()))
        }
        Reason::StaffTarget | Reason::InstitutionRule | Reason::Recorded(_) => none,
    };
    (reason.kind(), until, check, count, max, staff, username, via)
}

sql_impl! {
    impl TwoPersonStore;

    async fn target_marks(&self, user: UserId) -> StoreResult<TargetMarks> {
        let mut conn = self.pool().acquire().await?;
        Self::read_target_marks(&mut conn, user).await
    }

    async fn velocity(&self, actor: UserId, target: UserId, now: i64) -> StoreResult<Velocity> {
        let mut conn = self.pool().acquire().await?;
        self.read_velocity_in(&mut conn, actor, target, now).await
    }

    async fn set_second_person_always(&self, on: bool, audit: &NewAuditEvent) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sql::SET_SECOND_PERSON_ALWAYS).bind(i64::from(on)).execute(&mut *tx).await?;
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_request(&self, r: &NewRequest, audit: &NewAuditEvent) -> StoreResult<Option<i64>> {
        let mut tx = self.begin_write().await?;
        sqlx::query(crate::store::sql::codes::LOCK_USER).bind(r.target_id).execute(&mut *tx).await?;
        let open: Option<i64> =
            sqlx::query_scalar(sql::OPEN_REQUEST_FOR).bind(r.target_id).fetch_optional(&mut *tx).await?;
        if open.is_some() {
            tx.rollback().await?;
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(sql::INSERT_REQUEST)
            .bind(r.requester_id)
            .bind(r.target_id)
            .bind(r.identity_check.as_str())
            .bind(r.note.as_deref())
            .bind(r.signals.join("\n"))
            .bind(r.marks.contact)
            .bind(r.marks.batch)
            .bind(r.created_at)
            .bind(r.expires_at)
            .fetch_one(&mut *tx)
            .await?;
        for (position, reason) in (0_i64..).zip(&r.reasons) {
            let (kind, until, check, count, max, staff, username, via) = reason_columns(reason);
            sqlx::query(sql::INSERT_REASON)
                .bind(id)
                .bind(position)
                .bind(kind)
                .bind(until)
                .bind(check)
                .bind(count)
                .bind(max)
                .bind(staff)
                .bind(username)
                .bind(via)
                .execute(&mut *tx)
                .await?;
        }
        let mut audit = audit.clone();
        audit.detail = Some(format!("request #{id}; {}", audit.detail.unwrap_or_default()));
        self.insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    async fn request(&self, id: i64) -> StoreResult<Option<CodeRequest>> {
        Ok(self.read_requests(&sql::request_by_id(), Some(id), None).await?.pop())
    }

    async fn open_requests(&self, limit: i64) -> StoreResult<Vec<CodeRequest>> {
        self.read_requests(&sql::open_requests(), Some(limit), None).await
    }

    async fn latest_request(&self, target: UserId, requester: UserId) -> StoreResult<Option<CodeRequest>> {
        Ok(self.read_requests(&sql::latest_request_for(), Some(target), Some(requester)).await?.pop())
    }

    async fn count_pending(&self, now: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(sql::COUNT_PENDING).bind(now).fetch_one(self.pool()).await?)
    }

    async fn move_request(&self, id: i64, m: &RequestMove, audit: &NewAuditEvent) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(sql::MOVE_REQUEST)
            .bind(id)
            .bind(m.to.as_str())
            .bind(m.by)
            .bind(m.by.map(|_| m.at))
            .bind(m.note.as_deref())
            .bind(m.approval_expires_at)
            .bind((!m.to.is_open()).then_some(m.at))
            .bind(m.at)
            .bind(m.from.map(|s| s.as_str()))
            .execute(&mut *tx)
            .await?;
        if D::rows_affected(&done) == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn expire_requests(
        &self,
        now: i64,
        audit: &(dyn for<'r> Fn(&'r CodeRequest) -> NewAuditEvent + Send + Sync),
    ) -> StoreResult<u64> {
        let due: Vec<i64> = sqlx::query_scalar(sql::EXPIRED_REQUESTS).bind(now).fetch_all(self.pool()).await?;
        let mut expired = 0;
        for id in due {
            let Some(request) = self.read_requests(&sql::request_by_id(), Some(id), None).await?.pop() else {
                continue;
            };
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(sql::EXPIRE_REQUEST).bind(id).bind(now).execute(&mut *tx).await?;
            if D::rows_affected(&done) == 0 {
                tx.rollback().await?;
                continue;
            }
            self.insert_audit(&mut tx, &audit(&request)).await?;
            tx.commit().await?;
            expired += 1;
        }
        Ok(expired)
    }
}

sql_impl! {
    pub(super) async fn read_target_marks(conn: &mut D::Connection, user: UserId) -> StoreResult<TargetMarks> {
        let (contact, batch): (Option<i64>, Option<i64>) =
            sqlx::query_as(sql::TARGET_MARKS).bind(user).fetch_one(conn).await?;
        Ok(TargetMarks { contact, batch })
    }

    /// The same counts inside a transaction (the per-user one is what the storing
    /// transaction checks again).
    pub(super) async fn read_velocity_in(
        &self,
        conn: &mut D::Connection,
        actor: UserId,
        target: UserId,
        now: i64,
    ) -> StoreResult<Velocity> {
        let (agent_hour, agent_day, user_day): (i64, i64, i64) = sqlx::query_as(sql::VELOCITY)
            .bind(actor)
            .bind(target)
            .bind(now - 3_600)
            .bind(now - 86_400)
            .fetch_one(conn)
            .await?;
        Ok(Velocity { agent_hour, agent_day, user_day })
    }

    pub(super) async fn read_requests(
        &self,
        statement: &str,
        a: Option<i64>,
        b: Option<i64>,
    ) -> StoreResult<Vec<CodeRequest>> {
        let mut query = sqlx::query_as::<_, CodeRequestRow>(statement);
        for value in [a, b].into_iter().flatten() {
            query = query.bind(value);
        }
        let mut requests =
            query.fetch_all(self.pool()).await?.into_iter().map(CodeRequest::try_from).collect::<StoreResult<Vec<_>>>()?;
        // One read a request: the lists are short (the Approvals pane's open requests).
        for request in &mut requests {
            let rows: Vec<ReasonRow> = sqlx::query_as(sql::REASONS_OF).bind(request.id).fetch_all(self.pool()).await?;
            request.reasons = rows.into_iter().map(Reason::try_from).collect::<StoreResult<_>>()?;
        }
        Ok(requests)
    }
}
