//! The institution's settings and what the database knows of itself: its engine, its own
//! keys and its schema's version.

use async_trait::async_trait;
use zeroize::Zeroizing;

use crate::domain::audit::NewAuditEvent;
use crate::domain::institution::{Institution, TwoFactorMethod};
use crate::store::rows::{InstitutionRow, two_factor_method};
use crate::store::sql::{instance_keys, institution, serve_clients, two_person};
use crate::store::{Backend, StoreError, StoreResult};

/// The institution and the database itself.
#[async_trait]
pub trait InstitutionStore: Send + Sync {
    fn backend(&self) -> Backend;
    /// The institution (the first by id) and its permitted 2FA methods, sorted;
    /// `Corrupt` when none is configured.
    async fn institution(&self) -> StoreResult<Institution>;
    /// Replaces the permitted methods whole and writes the audit event, in one
    /// transaction.
    async fn set_permitted_methods(&self, methods: &[TwoFactorMethod], audit: &NewAuditEvent) -> StoreResult<()>;
    /// The database's own key called `name`, created from `fresh` by the first caller; every
    /// caller gets the same key.
    async fn instance_key(&self, name: &str, fresh: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>>;
    /// The newest migration the database has applied, and the newest this program carries.
    async fn schema_version(&self) -> StoreResult<(i64, i64)>;
}

sql_impl! {
    impl InstitutionStore;

    fn backend(&self) -> Backend {
        D::BACKEND
    }

    async fn institution(&self) -> StoreResult<Institution> {
        let row: InstitutionRow = sqlx::query_as(institution::INSTITUTION)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::Corrupt("no institution is configured; run `helpdesk migrate`".into()))?;
        let methods: Vec<String> =
            sqlx::query_scalar(institution::PERMITTED_METHODS).bind(row.id).fetch_all(self.pool()).await?;
        let mut permitted = methods.iter().map(|m| two_factor_method(m)).collect::<StoreResult<Vec<_>>>()?;
        permitted.sort();
        let second: Option<i64> =
            sqlx::query_scalar(two_person::SECOND_PERSON_ALWAYS).fetch_optional(self.pool()).await?;
        Ok(Institution { id: row.id, name: row.name, permitted, second_person_always: second.unwrap_or(0) != 0 })
    }

    async fn set_permitted_methods(&self, methods: &[TwoFactorMethod], audit: &NewAuditEvent) -> StoreResult<()> {
        let institution = self.institution().await?;
        let mut tx = self.begin_write().await?;
        sqlx::query(institution::FORBID_ALL_METHODS).bind(institution.id).execute(&mut *tx).await?;
        for m in methods {
            sqlx::query(institution::PERMIT_METHOD)
                .bind(institution.id)
                .bind(m.as_str())
                .execute(&mut *tx)
                .await?;
        }
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn instance_key(&self, name: &str, fresh: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>> {
        let found: Option<Vec<u8>> =
            sqlx::query_scalar(instance_keys::KEY).bind(name).fetch_optional(self.pool()).await?;
        if let Some(key) = found {
            return Ok(Zeroizing::new(key));
        }
        sqlx::query(instance_keys::INSERT_KEY).bind(name).bind(fresh).execute(self.pool()).await?;
        let key: Vec<u8> = sqlx::query_scalar(instance_keys::KEY).bind(name).fetch_one(self.pool()).await?;
        Ok(Zeroizing::new(key))
    }

    async fn schema_version(&self) -> StoreResult<(i64, i64)> {
        let found: Option<i64> = sqlx::query_scalar(serve_clients::SCHEMA_VERSION).fetch_one(self.pool()).await?;
        Ok((found.unwrap_or(0), D::newest_migration()))
    }
}
