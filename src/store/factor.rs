//! The staff's second factor as stored: sealed secrets (`domain::second_factor`), the last
//! step used, and when each session last proved its factor.

use crate::domain::audit::NewAuditEvent;
use crate::domain::second_factor::KeyFingerprint;
use crate::domain::user::UserId;
use crate::store::sql::factor as sql;
use crate::store::{StoreError, StoreResult};

/// A member of staff's factor: the sealed secret (`None`: not enrolled) and the step of
/// the last code accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFactor {
    pub sealed: Option<Vec<u8>>,
    pub last_step: Option<i64>,
}

/// Second factors and the sessions that proved them.
#[async_trait::async_trait]
pub trait FactorStore: Send + Sync {
    /// "Staff need a second factor" (Institution Settings; on unless switched off).
    async fn staff_second_factor(&self) -> StoreResult<bool>;
    /// Sets it, as the database's owner does; the product offers no way to switch it off.
    /// For benchmarks and tests that sign the same member of staff in many times a step.
    async fn set_staff_second_factor(&self, on: bool) -> StoreResult<()>;
    /// `None` for an unknown user or a customer.
    async fn factor(&self, staff: UserId) -> StoreResult<Option<StoredFactor>>;
    /// Stores the sealed secret with the step its confirming code used, and the audit
    /// event, in one transaction; false (nothing written) when already enrolled.
    async fn enrol_factor(
        &self,
        staff: UserId,
        sealed: &[u8],
        step: i64,
        now: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool>;
    /// Records `step` as used; false when it, or a later one, already was (a replay).
    async fn use_factor_step(&self, staff: UserId, step: i64) -> StoreResult<bool>;
    /// The SSH keys bound to a member of staff (their fingerprints).
    async fn bound_keys(&self, staff: UserId) -> StoreResult<Vec<KeyFingerprint>>;
    /// The session proved its factor at `now`.
    async fn prove_factor(&self, session: i64, now: i64) -> StoreResult<()>;
    /// When the session last proved its factor; `None` never (or no such session).
    async fn factor_proven_at(&self, session: i64) -> StoreResult<Option<i64>>;
}

sql_impl! {
    impl FactorStore;

    async fn staff_second_factor(&self) -> StoreResult<bool> {
        let on: Option<i64> = sqlx::query_scalar(sql::STAFF_SECOND_FACTOR).fetch_optional(self.pool()).await?;
        // No institution yet: the rule's default.
        Ok(on.is_none_or(|on| on != 0))
    }

    async fn set_staff_second_factor(&self, on: bool) -> StoreResult<()> {
        sqlx::query(sql::SET_STAFF_SECOND_FACTOR).bind(i64::from(on)).execute(self.pool()).await?;
        Ok(())
    }

    async fn factor(&self, staff: UserId) -> StoreResult<Option<StoredFactor>> {
        let row: Option<(Option<Vec<u8>>, Option<i64>)> =
            sqlx::query_as(sql::FACTOR).bind(staff).fetch_optional(self.pool()).await?;
        Ok(row.map(|(sealed, last_step)| StoredFactor { sealed, last_step }))
    }

    async fn enrol_factor(
        &self,
        staff: UserId,
        sealed: &[u8],
        step: i64,
        now: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(sql::ENROL).bind(staff).bind(sealed).bind(step).bind(now).execute(&mut *tx).await?;
        if D::rows_affected(&done) != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn use_factor_step(&self, staff: UserId, step: i64) -> StoreResult<bool> {
        let done = sqlx::query(sql::USE_STEP).bind(staff).bind(step).execute(self.pool()).await?;
        Ok(D::rows_affected(&done) == 1)
    }

    async fn bound_keys(&self, staff: UserId) -> StoreResult<Vec<KeyFingerprint>> {
        let rows: Vec<String> = sqlx::query_scalar(sql::BOUND_KEYS).bind(staff).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|hex| {
                KeyFingerprint::parse(hex).ok_or_else(|| StoreError::Corrupt(format!("bound SSH key {hex:?}")))
            })
            .collect()
    }

    async fn prove_factor(&self, session: i64, now: i64) -> StoreResult<()> {
        sqlx::query(sql::PROVE).bind(session).bind(now).execute(self.pool()).await?;
        Ok(())
    }

    async fn factor_proven_at(&self, session: i64) -> StoreResult<Option<i64>> {
        let at: Option<Option<i64>> =
            sqlx::query_scalar(sql::PROVEN_AT).bind(session).fetch_optional(self.pool()).await?;
        Ok(at.flatten())
    }
}
