//! Writing people: customers and staff, the first admin, and a profile edit with the
//! contact-change bookkeeping that goes with it.

use crate::domain::audit::NewAuditEvent;
use crate::domain::notice::Notice;
use crate::domain::user::{UserId, sort_key};
use crate::store::sql::{audit, institution, staff, two_person, users};
use crate::store::{Acting, NewUser, NotStored, ProfileUpdate, StoreError, StoreResult};

sql_impl! {
    pub(super) async fn write_profile(
        &self,
        acting: Acting<'_>,
        user: UserId,
        update: &ProfileUpdate,
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<Result<(), NotStored>> {
        let at = audits.first().map_or(0, |a| a.at);
        let by = Some(acting.actor);
        let mut tx = self.begin_write().await?;
        if !Self::still_acting(&mut tx, acting).await? {
            tx.rollback().await?;
            return Ok(Err(NotStored::SessionOrRight));
        }
        // The contact-change triggers record the change as this member of staff's; its audit
        // event and notices are written below, so it is handled here.
        let newest: i64 = sqlx::query_scalar(two_person::NEWEST_CHANGE).fetch_one(&mut *tx).await?;
        sqlx::query(D::MARK_STAFF).bind(by).bind(at).execute(&mut *tx).await?;
        sqlx::query(users::UPDATE_PROFILE)
            .bind(user)
            .bind(&update.first_name)
            .bind(&update.last_name)
            .bind(sort_key(&update.first_name, &update.last_name))
            .bind(crate::domain::search::first_key(&update.first_name))
            .bind(&update.email)
            .bind(&update.phone)
            .bind(crate::domain::search::phone_digits(&update.phone))
            .bind(at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(D::UNMARK).execute(&mut *tx).await?;
        sqlx::query(two_person::HANDLED_SINCE).bind(user).bind(newest).execute(&mut *tx).await?;
        for audit in audits {
            Self::insert_audit(&mut tx, audit).await?;
        }
        Self::insert_notices(&mut tx, at, notices).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    pub(super) async fn write_users(&self, new: &[NewUser], audit: Option<&NewAuditEvent>) -> StoreResult<Vec<UserId>> {
        let institution: i64 = sqlx::query_scalar(institution::INSTITUTION_ID).fetch_one(self.pool()).await?;
        let mut tx = self.begin_write().await?;
        let ids = Self::insert_user_rows(&mut tx, institution, new).await?;
        Self::insert_devices(&mut tx, new, &ids).await?;
        for (u, id) in new.iter().zip(&ids) {
            for p in &u.permissions {
                sqlx::query(users::GRANT_PERMISSION).bind(*id).bind(p.as_str()).execute(&mut *tx).await?;
            }
        }
        if let Some(audit) = audit {
            let mut audit = audit.clone();
            if audit.target_id.is_none() {
                audit.target_id = ids.first().copied();
            }
            Self::insert_audit(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    pub(super) async fn write_first_staff(&self, user: &NewUser, audit: &NewAuditEvent) -> StoreResult<Option<UserId>> {
        let institution: i64 = sqlx::query_scalar(institution::INSTITUTION_ID).fetch_one(self.pool()).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query(audit::LOCK_CHAIN_HEAD).execute(&mut *tx).await?;
        let admins: i64 = sqlx::query_scalar(staff::COUNT_ENABLED_ADMINS).fetch_one(&mut *tx).await?;
        if admins > 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let new = std::slice::from_ref(user);
        let ids = Self::insert_user_rows(&mut tx, institution, new).await?;
        Self::insert_devices(&mut tx, new, &ids).await?;
        let id = *ids.first().ok_or_else(|| StoreError::Corrupt("the new user's id was not returned".into()))?;
        for p in &user.permissions {
            sqlx::query(users::GRANT_PERMISSION).bind(id).bind(p.as_str()).execute(&mut *tx).await?;
        }
        let mut audit = audit.clone();
        audit.target_id = Some(id);
        Self::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Some(id))
    }
}
