//! The staff lifecycle: who is staff, with which role and permissions, and the changes an
//! admin makes to them.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::domain::access::{Staff, StaffChange, StaffMember};
use crate::domain::audit::NewAuditEvent;
use crate::domain::notice::Notice;
use crate::domain::user::{User, UserId};
use crate::store::rows::{StaffMemberRow, StaffRow, UserRow, staff_from};
use crate::store::sql::{codes, sessions, staff, throttle, users};
use crate::store::{Acting, StaffChangeOutcome, StaffCredentials, StoreError, StoreResult, Throttle};

/// Members of staff: their credentials, roles and permissions, and an admin's changes.
#[async_trait]
pub trait StaffStore: Send + Sync {
    /// `None` for an unknown username or a customer's; `Corrupt` for staff without a role.
    async fn staff_credentials(&self, username: &str) -> StoreResult<Option<StaffCredentials>>;
    /// The role and permissions as they are now; `None` for an unknown user, a customer,
    /// or a disabled member of staff (whose sessions therefore end at their next action).
    async fn staff(&self, id: UserId) -> StoreResult<Option<Staff>>;
    /// Every member of staff by name, with their permissions, lock, last sign-in and
    /// open sessions (`now` is not used to hide expired locks; the caller compares).
    async fn staff_members(&self, now: i64) -> StoreResult<Vec<StaffMember>>;
    /// Enabled admin-level staff.
    async fn count_enabled_admins(&self) -> StoreResult<i64>;
    /// Applies one change to a member of staff with its audit event, in one transaction.
    /// Demote and Disable lock the enabled admins first and change nothing
    /// (`StaffChangeOutcome::LastAdmin`) when the target is the last enabled admin.
    /// Disable and EndSessions end the member's open sessions; Unlock clears the sign-in
    /// throttle. Granting or withdrawing twice is harmless.
    /// Disable also revokes the member's active batch (by `audit`'s actor) and then writes
    /// `revoked`'s event and notices, in the same transaction. `acting` is checked again
    /// inside the transaction; when it no longer holds nothing is written
    /// (`StaffChangeOutcome::NoLongerActing`).
    async fn change_staff(
        &self,
        acting: Acting<'_>,
        staff: UserId,
        change: StaffChange,
        now: i64,
        audit: &NewAuditEvent,
        revoked: Option<(&NewAuditEvent, &[Notice])>,
    ) -> StoreResult<StaffChangeOutcome>;
}

sql_impl! {
    impl StaffStore;

    async fn staff_credentials(&self, username: &str) -> StoreResult<Option<StaffCredentials>> {
        let mut conn = self.pool().acquire().await?;
        let row: Option<StaffRow> = sqlx::query_as(users::STAFF_CREDENTIALS)
            .bind(username.to_ascii_lowercase())
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let user = User::try_from(row.user)?;
        let permissions: Vec<String> =
            sqlx::query_scalar(users::PERMISSIONS).bind(user.id).fetch_all(&mut *conn).await?;
        let staff = staff_from(&user, &permissions)
            .ok_or_else(|| StoreError::Corrupt(format!("staff user {} has no role", user.username)))?;
        Ok(Some(StaffCredentials {
            password_hash: row.password_hash,
            disabled: row.disabled_at.is_some(),
            user,
            staff,
        }))
    }

    async fn staff(&self, id: UserId) -> StoreResult<Option<Staff>> {
        let mut conn = self.pool().acquire().await?;
        let row: Option<UserRow> =
            sqlx::query_as(staff::ENABLED_STAFF_BY_ID).bind(id).fetch_optional(&mut *conn).await?;
        let Some(user) = row.map(User::try_from).transpose()? else { return Ok(None) };
        let permissions: Vec<String> =
            sqlx::query_scalar(users::PERMISSIONS).bind(id).fetch_all(&mut *conn).await?;
        Ok(staff_from(&user, &permissions))
    }

    async fn staff_members(&self, _now: i64) -> StoreResult<Vec<StaffMember>> {
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

    async fn count_enabled_admins(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(staff::COUNT_ENABLED_ADMINS).fetch_one(self.pool()).await?)
    }

    async fn change_staff(
        &self,
        acting: Acting<'_>,
        member: UserId,
        change: StaffChange,
        now: i64,
        audit: &NewAuditEvent,
        revoked: Option<(&NewAuditEvent, &[Notice])>,
    ) -> StoreResult<StaffChangeOutcome> {
        let mut tx = self.begin_write().await?;
        if change.removes_an_admin() {
            sqlx::query(D::LOCK_ADMINS).execute(&mut *tx).await?;
        }
        if !Self::still_acting(&mut tx, acting).await? {
            tx.rollback().await?;
            return Ok(StaffChangeOutcome::NoLongerActing);
        }
        let changed = self.apply_staff_change(&mut tx, member, change, now, audit.actor_id, revoked).await?;
        if !changed {
            tx.rollback().await?;
            return Ok(StaffChangeOutcome::LastAdmin);
        }
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(StaffChangeOutcome::Changed)
    }
}

sql_impl! {
    /// Writes one staff change on the caller's transaction (see `change_staff`); false when
    /// a Demote or Disable changed nothing. `actor` revokes the codes a Disable revokes.
    pub(super) async fn apply_staff_change(
        &self,
        conn: &mut D::Connection,
        member: UserId,
        change: StaffChange,
        now: i64,
        actor: Option<UserId>,
        revoked: Option<(&NewAuditEvent, &[Notice])>,
    ) -> StoreResult<bool> {
        let changed = match change {
            StaffChange::Grant(p) => {
                sqlx::query(staff::GRANTS_CHANGED).bind(member).bind(now).execute(&mut *conn).await?;
                sqlx::query(users::REVOKE_PERMISSION).bind(member).bind(p.as_str()).execute(&mut *conn).await?;
                sqlx::query(users::GRANT_PERMISSION).bind(member).bind(p.as_str()).execute(&mut *conn).await?;
                true
            }
            StaffChange::Withdraw(p) => {
                sqlx::query(staff::GRANTS_CHANGED).bind(member).bind(now).execute(&mut *conn).await?;
                sqlx::query(users::REVOKE_PERMISSION).bind(member).bind(p.as_str()).execute(&mut *conn).await?;
                true
            }
            StaffChange::Promote => {
                sqlx::query(staff::PROMOTE).bind(member).bind(now).execute(&mut *conn).await?;
                true
            }
            StaffChange::Demote => {
                let done = sqlx::query(&staff::demote()).bind(member).bind(now).execute(&mut *conn).await?;
                D::rows_affected(&done) == 1
            }
            StaffChange::Disable => {
                let done = sqlx::query(&staff::disable()).bind(member).bind(now).execute(&mut *conn).await?;
                let disabled = D::rows_affected(&done) == 1;
                if disabled {
                    sqlx::query(sessions::END_ALL_SESSIONS).bind(member).bind(now).execute(&mut *conn).await?;
                    // A disabled account's codes stop working with it.
                    sqlx::query(codes::LOCK_USER).bind(member).execute(&mut *conn).await?;
                    let done = sqlx::query(codes::REVOKE_ACTIVE_BATCH)
                        .bind(member)
                        .bind(now)
                        .bind(actor)
                        .execute(&mut *conn)
                        .await?;
                    if let (1, Some((event, notices))) = (D::rows_affected(&done), revoked) {
                        self.insert_audit(conn, event).await?;
                        Self::insert_notices(conn, now, notices).await?;
                    }
                }
                disabled
            }
            StaffChange::Enable => {
                sqlx::query(staff::ENABLE).bind(member).bind(now).execute(&mut *conn).await?;
                true
            }
            StaffChange::Unlock => {
                sqlx::query(throttle::clear(Throttle::Login)).bind(member).execute(&mut *conn).await?;
                true
            }
            StaffChange::BindKey(key) => {
                sqlx::query(crate::store::sql::factor::BIND_KEY)
                    .bind(member)
                    .bind(key.hex())
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                true
            }
            StaffChange::ResetFactor => {
                sqlx::query(crate::store::sql::factor::RESET).bind(member).bind(now).execute(&mut *conn).await?;
                sqlx::query(sessions::END_ALL_SESSIONS).bind(member).bind(now).execute(&mut *conn).await?;
                true
            }
            StaffChange::EndSessions => {
                sqlx::query(sessions::END_ALL_SESSIONS).bind(member).bind(now).execute(&mut *conn).await?;
                true
            }
        };
        Ok(changed)
    }
}
