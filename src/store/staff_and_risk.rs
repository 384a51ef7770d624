//! The staff lifecycle, the risk signals and the audit log's reads and appends: the parts of
//! `Store` the admin's screens use, kept apart from the code path's statements.

use std::collections::HashMap;

use crate::domain::access::{StaffChange, StaffMember};
use crate::domain::audit::{AuditEvent, AuditFilter, NewAuditEvent};
use crate::domain::audit_chain::ChainHead;
use crate::domain::notice::Notice;
use crate::domain::risk::RiskSignals;
use crate::domain::user::{User, UserId};
use crate::store::rows::{AuditRow, ChainHeadRow, ChainedAuditRow, RiskRow, StaffMemberRow, staff_from};
use crate::store::sql::{audit, codes, risk, sessions, staff, throttle, users};
use crate::store::{Acting, ChainedEvent, NotStored, StoreError, StoreResult, Throttle};

sql_impl! {
    pub(super) async fn read_staff_members(&self) -> StoreResult<Vec<StaffMember>> {
        let rows: Vec<StaffMemberRow> = sqlx::query_as(staff::STAFF_MEMBERS).fetch_all(self.pool()).await?;
        let grants: Vec<(i64, String)> = sqlx::query_as(staff::ALL_PERMISSIONS).fetch_all(self.pool()).await?;
        let mut permissions: HashMap<UserId, Vec<String>> = HashMap::new();
        for (user, permission) in grants {
            permissions.entry(user).or_default().push(permission);
        }
        rows.into_iter()
            .map(|row| {
                let user = User::try_from(row.user)?;
                let staff = staff_from(&user, permissions.get(&user.id).map_or(&[][..], Vec::as_slice))
                    .ok_or_else(|| StoreError::Corrupt(format!("staff user {} has no role", user.username)))?;
                Ok(StaffMember {
                    user,
                    staff,
                    disabled: row.disabled_at.is_some(),
                    login_locked_until: row.login_locked_until,
                    last_sign_in: row.last_sign_in,
                    open_sessions: row.open_sessions,
                })
            })
            .collect()
    }

    pub(super) async fn apply_staff_change(
        &self,
        acting: Acting<'_>,
        member: UserId,
        change: StaffChange,
        now: i64,
        audit: &NewAuditEvent,
        revoked: Option<(&NewAuditEvent, &[Notice])>,
    ) -> StoreResult<Result<bool, NotStored>> {
        let mut tx = self.begin_write().await?;
        if change.removes_an_admin() {
            sqlx::query(D::LOCK_ADMINS).execute(&mut *tx).await?;
        }
        if !Self::still_acting(&mut tx, acting).await? {
            tx.rollback().await?;
            return Ok(Err(NotStored::SessionOrRight));
        }
        let changed = match change {
            StaffChange::Grant(p) => {
                sqlx::query(staff::GRANTS_CHANGED).bind(member).bind(now).execute(&mut *tx).await?;
                sqlx::query(users::REVOKE_PERMISSION).bind(member).bind(p.as_str()).execute(&mut *tx).await?;
                sqlx::query(users::GRANT_PERMISSION).bind(member).bind(p.as_str()).execute(&mut *tx).await?;
                true
            }
            StaffChange::Withdraw(p) => {
                sqlx::query(staff::GRANTS_CHANGED).bind(member).bind(now).execute(&mut *tx).await?;
                sqlx::query(users::REVOKE_PERMISSION).bind(member).bind(p.as_str()).execute(&mut *tx).await?;
                true
            }
            StaffChange::Promote => {
                sqlx::query(staff::PROMOTE).bind(member).bind(now).execute(&mut *tx).await?;
                true
            }
            StaffChange::Demote => {
                let done = sqlx::query(&staff::demote()).bind(member).bind(now).execute(&mut *tx).await?;
                D::rows_affected(&done) == 1
            }
            StaffChange::Disable => {
                let done = sqlx::query(&staff::disable()).bind(member).bind(now).execute(&mut *tx).await?;
                let disabled = D::rows_affected(&done) == 1;
                if disabled {
                    sqlx::query(sessions::END_ALL_SESSIONS).bind(member).bind(now).execute(&mut *tx).await?;
                    // A disabled account's codes stop working with it.
                    sqlx::query(codes::LOCK_USER).bind(member).execute(&mut *tx).await?;
                    let done = sqlx::query(codes::REVOKE_ACTIVE_BATCH)
                        .bind(member)
                        .bind(now)
                        .bind(audit.actor_id)
                        .execute(&mut *tx)
                        .await?;
                    if let (1, Some((event, notices))) = (D::rows_affected(&done), revoked) {
                        Self::insert_audit(&mut tx, event).await?;
                        Self::insert_notices(&mut tx, now, notices).await?;
                    }
                }
                disabled
            }
            StaffChange::Enable => {
                sqlx::query(staff::ENABLE).bind(member).bind(now).execute(&mut *tx).await?;
                true
            }
            StaffChange::Unlock => {
                sqlx::query(throttle::clear(Throttle::Login)).bind(member).execute(&mut *tx).await?;
                true
            }
            StaffChange::EndSessions => {
                sqlx::query(sessions::END_ALL_SESSIONS).bind(member).bind(now).execute(&mut *tx).await?;
                true
            }
        };
        if !changed {
            tx.rollback().await?;
            return Ok(Ok(false));
        }
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Ok(true))
    }

    pub(super) async fn read_risk_signals(&self, user: UserId, now: i64) -> StoreResult<RiskSignals> {
        let row: Option<RiskRow> = sqlx::query_as(risk::RISK_SIGNALS)
            .bind(user)
            .bind(now - RiskSignals::CODES_WINDOW_SECS)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(RiskSignals::from).unwrap_or_default())
    }

    /// The audit reads: `statement` is `audit::page()` or `audit::export()`, `cursor`
    /// the id to start before or after.
    pub(super) async fn read_audit(
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

    pub(super) async fn write_audit(&self, events: &[NewAuditEvent]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for e in events {
            Self::insert_audit(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn read_recent_audit(&self, target: Option<UserId>, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        let rows: Vec<AuditRow> = match target {
            Some(t) => sqlx::query_as(audit::RECENT_FOR_TARGET).bind(t).bind(limit).fetch_all(self.pool()).await?,
            None => sqlx::query_as(audit::RECENT).bind(limit).fetch_all(self.pool()).await?,
        };
        Ok(rows.into_iter().map(AuditEvent::from).collect())
    }

    pub(super) async fn read_chain_head(&self) -> StoreResult<ChainHead> {
        let row: ChainHeadRow = sqlx::query_as(audit::CHAIN_HEAD)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::Corrupt("the audit chain head is missing".into()))?;
        ChainHead::try_from(row)
    }

    pub(super) async fn read_chained_events(&self, after: i64, limit: i64) -> StoreResult<Vec<ChainedEvent>> {
        let rows: Vec<ChainedAuditRow> =
            sqlx::query_as(audit::CHAINED_EVENTS_AFTER).bind(after).bind(limit).fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|r| ChainedEvent { event: AuditEvent::from(r.event), chain_hash: r.chain_hash })
            .collect())
    }
}
