//! Signing in: sessions, passwords and the failure throttles.

use async_trait::async_trait;

use crate::domain::audit::NewAuditEvent;
use crate::domain::user::UserId;
use crate::store::sql::{sessions, throttle};
use crate::store::{Reservation, SessionRecord, StoreResult, Throttle};

/// Staff sessions, passwords, and the throttles that count failed sign-ins and redemptions.
#[async_trait]
pub trait SignInStore: Send + Sync {
    /// Opens a session and writes the audit event, in one transaction; returns its id.
    async fn start_session(&self, staff: UserId, now: i64, audit: &NewAuditEvent) -> StoreResult<i64>;
    /// False when the session has ended or does not exist.
    async fn session_open(&self, session: i64) -> StoreResult<bool>;
    /// The session row; `None` when there is no such session.
    async fn session(&self, session: i64) -> StoreResult<Option<SessionRecord>>;
    /// Records that the session's process is alive at `now`; one statement, and a no-op
    /// for an ended session.
    async fn touch_session(&self, session: i64, now: i64) -> StoreResult<()>;
    /// Ends the session (an ended one keeps its first end time) and writes the audit
    /// event, in one transaction.
    async fn end_session(&self, session: i64, now: i64, audit: &NewAuditEvent) -> StoreResult<()>;
    /// Sets a new password hash and ends every open session of that member of staff; the
    /// audit event in the same transaction.
    async fn set_password(&self, staff: UserId, hash: &str, now: i64, audit: &NewAuditEvent) -> StoreResult<()>;
    /// Counts an attempt before it is checked, so that parallel guesses cannot slip past
    /// the limit; a success clears the count with `clear_failures`. One conditional
    /// update of the user's row, atomic on its own. `Granted { locks: true }` when this
    /// attempt set the lock (it ends at `now + lockout_secs` unless a success clears it);
    /// `Locked` when a lock is in force, with its end (`now` for an unknown user).
    async fn reserve_attempt(
        &self,
        user: UserId,
        throttle: Throttle,
        now: i64,
        max: i64,
        lockout_secs: i64,
    ) -> StoreResult<Reservation>;
    /// Resets that throttle's count and lock; one statement.
    async fn clear_failures(&self, user: UserId, throttle: Throttle) -> StoreResult<()>;
    /// Counts a redemption for an unknown username in the database-wide window of
    /// `window_secs` ending at `now`; returns the attempts in the window, this one
    /// included. One statement.
    async fn count_unknown_username(&self, now: i64, window_secs: i64) -> StoreResult<i64>;
}

sql_impl! {
    impl SignInStore;

    async fn start_session(&self, staff: UserId, now: i64, audit: &NewAuditEvent) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 =
            sqlx::query_scalar(sessions::START_SESSION).bind(staff).bind(now).fetch_one(&mut *tx).await?;
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn session_open(&self, session: i64) -> StoreResult<bool> {
        let ended_at: Option<Option<i64>> =
            sqlx::query_scalar(sessions::SESSION_ENDED_AT).bind(session).fetch_optional(self.pool()).await?;
        Ok(matches!(ended_at, Some(None)))
    }

    async fn session(&self, session: i64) -> StoreResult<Option<SessionRecord>> {
        Ok(sqlx::query_as(sessions::SESSION).bind(session).fetch_optional(self.pool()).await?)
    }

    async fn touch_session(&self, session: i64, now: i64) -> StoreResult<()> {
        sqlx::query(sessions::TOUCH_SESSION).bind(session).bind(now).execute(self.pool()).await?;
        Ok(())
    }

    async fn end_session(&self, session: i64, now: i64, audit: &NewAuditEvent) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sessions::END_SESSION).bind(session).bind(now).execute(&mut *tx).await?;
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, staff: UserId, hash: &str, now: i64, audit: &NewAuditEvent) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sessions::SET_PASSWORD).bind(staff).bind(hash).bind(now).execute(&mut *tx).await?;
        sqlx::query(sessions::END_ALL_SESSIONS).bind(staff).bind(now).execute(&mut *tx).await?;
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reserve_attempt(
        &self,
        user: UserId,
        throttle: Throttle,
        now: i64,
        max: i64,
        lockout_secs: i64,
    ) -> StoreResult<Reservation> {
        let granted: Option<(i64, Option<i64>, i64)> = sqlx::query_as(throttle::reserve(throttle))
            .bind(user)
            .bind(now)
            .bind(max)
            .bind(lockout_secs)
            .fetch_optional(self.pool())
            .await?;
        if let Some((attempt, locked, total)) = granted {
            return Ok(Reservation::Granted { attempt, locks: locked.is_some(), total });
        }
        let until: Option<Option<i64>> =
            sqlx::query_scalar(throttle::locked_until(throttle)).bind(user).fetch_optional(self.pool()).await?;
        Ok(Reservation::Locked { until: until.flatten().unwrap_or(now) })
    }

    async fn clear_failures(&self, user: UserId, throttle: Throttle) -> StoreResult<()> {
        sqlx::query(throttle::clear(throttle)).bind(user).execute(self.pool()).await?;
        Ok(())
    }

    async fn count_unknown_username(&self, now: i64, window_secs: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(throttle::COUNT_UNKNOWN_USERNAME)
            .bind(now)
            .bind(window_secs)
            .fetch_one(self.pool())
            .await?)
    }
}
