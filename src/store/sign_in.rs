//! Signing in: sessions, passwords, the failure throttles, and the instance's keys.

use zeroize::Zeroizing;

use crate::domain::audit::NewAuditEvent;
use crate::domain::user::UserId;
use crate::store::sql::{instance_keys, sessions, throttle};
use crate::store::{Reservation, StoreResult, Throttle};

sql_impl! {
    pub(super) async fn open_session(&self, staff: UserId, now: i64, audit: &NewAuditEvent) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(sessions::START_SESSION).bind(staff).bind(now).fetch_one(&mut *tx).await?;
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub(super) async fn close_session(&self, session: i64, now: i64, audit: &NewAuditEvent) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sessions::END_SESSION).bind(session).bind(now).execute(&mut *tx).await?;
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn write_password(
        &self,
        staff: UserId,
        hash: &str,
        now: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sessions::SET_PASSWORD).bind(staff).bind(hash).bind(now).execute(&mut *tx).await?;
        sqlx::query(sessions::END_ALL_SESSIONS).bind(staff).bind(now).execute(&mut *tx).await?;
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn reserve(
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

    pub(super) async fn read_instance_key(&self, name: &str, fresh: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>> {
        let found: Option<Vec<u8>> =
            sqlx::query_scalar(instance_keys::KEY).bind(name).fetch_optional(self.pool()).await?;
        if let Some(key) = found {
            return Ok(Zeroizing::new(key));
        }
        sqlx::query(instance_keys::INSERT_KEY).bind(name).bind(fresh).execute(self.pool()).await?;
        let key: Vec<u8> = sqlx::query_scalar(instance_keys::KEY).bind(name).fetch_one(self.pool()).await?;
        Ok(Zeroizing::new(key))
    }
}
