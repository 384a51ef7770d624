//! Contact changes, whoever made them (the service, or another system writing the same
//! database, which triggers record), and the links between a member of staff and the
//! customer identities that are theirs: what the two-person rule's cool-off and
//! linked-identity checks read.

use async_trait::async_trait;

use crate::domain::audit::NewAuditEvent;
use crate::domain::notice::Notice;
use crate::domain::two_person::{ContactField, RecordedChange};
use crate::domain::user::UserId;
use crate::store::sql::two_person as sql;
use crate::store::{StoreError, StoreResult};

/// Email and phone changes, and the identities linked to members of staff.
#[async_trait]
pub trait ContactChangeStore: Send + Sync {
    /// The user's email and phone changes after `since`, newest first.
    async fn contact_changes(&self, user: UserId, since: i64) -> StoreResult<Vec<RecordedChange>>;
    /// Every email and phone held (before and after each change) by one user, or by every
    /// member of staff for `None`: (user, field, value).
    async fn contact_history(&self, user: Option<UserId>) -> StoreResult<Vec<(UserId, ContactField, String)>>;
    /// Changes another writer made that have no audit event yet, oldest first.
    async fn unhandled_contact_changes(&self, limit: i64) -> StoreResult<Vec<RecordedChange>>;
    /// Marks the change handled and writes its audit events and notices, in one
    /// transaction; false (nothing written) when another process handled it first.
    async fn handle_contact_change(&self, id: i64, audits: &[NewAuditEvent], notices: &[Notice]) -> StoreResult<bool>;
    /// Every explicit (staff id, user id) link.
    async fn identity_links(&self) -> StoreResult<Vec<(UserId, UserId)>>;
    /// Links with the audit event, in one transaction; false when already linked.
    async fn link_identity(
        &self,
        staff: UserId,
        user: UserId,
        by: UserId,
        now: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool>;
}

#[derive(sqlx::FromRow)]
pub struct RecordedChangeRow {
    id: i64,
    user_id: i64,
    field: String,
    old_value: String,
    new_value: String,
    changed_at: i64,
    staff_id: Option<i64>,
    staff_username: Option<String>,
}

impl TryFrom<RecordedChangeRow> for RecordedChange {
    type Error = StoreError;
    fn try_from(r: RecordedChangeRow) -> Result<Self, StoreError> {
        Ok(RecordedChange {
            id: r.id,
            user_id: r.user_id,
            field: ContactField::parse(&r.field)
                .ok_or_else(|| StoreError::Corrupt(format!("contact change field {:?}", r.field)))?,
            old_value: r.old_value,
            new_value: r.new_value,
            at: r.changed_at,
            staff: r.staff_id.map(|id| (id, r.staff_username.unwrap_or_default())),
        })
    }
}

sql_impl! {
    impl ContactChangeStore;

    async fn contact_changes(&self, user: UserId, since: i64) -> StoreResult<Vec<RecordedChange>> {
        self.read_contact_changes(sql::CONTACT_CHANGES, user, Some(since)).await
    }

    async fn contact_history(
        &self,
        user: Option<UserId>,
    ) -> StoreResult<Vec<(UserId, ContactField, String)>> {
        let rows: Vec<(i64, String, String, String)> = match user {
            Some(user) => sqlx::query_as(sql::CONTACT_HISTORY_OF_USER).bind(user).fetch_all(self.pool()).await?,
            None => sqlx::query_as(sql::CONTACT_HISTORY_OF_STAFF).fetch_all(self.pool()).await?,
        };
        let mut out = Vec::with_capacity(rows.len() * 2);
        for (user, field, old, new) in rows {
            let Some(field) = ContactField::parse(&field) else { continue };
            out.push((user, field, old));
            out.push((user, field, new));
        }
        Ok(out)
    }

    async fn unhandled_contact_changes(&self, limit: i64) -> StoreResult<Vec<RecordedChange>> {
        if !self.any_unhandled_change().await? {
            return Ok(Vec::new());
        }
        self.read_contact_changes(sql::UNHANDLED_CONTACT_CHANGES, limit, None).await
    }

    async fn handle_contact_change(
        &self,
        id: i64,
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(sql::HANDLE_CONTACT_CHANGE).bind(id).execute(&mut *tx).await?;
        if D::rows_affected(&done) == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        for audit in audits {
            self.insert_audit(&mut tx, audit).await?;
        }
        Self::insert_notices(&mut tx, audits.first().map_or(0, |a| a.at), notices).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn identity_links(&self) -> StoreResult<Vec<(UserId, UserId)>> {
        Ok(sqlx::query_as(sql::IDENTITY_LINKS).fetch_all(self.pool()).await?)
    }

    async fn link_identity(
        &self,
        staff: UserId,
        user: UserId,
        by: UserId,
        now: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let linked: i64 = sqlx::query_scalar(sql::IS_LINKED).bind(staff).bind(user).fetch_one(&mut *tx).await?;
        if linked > 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(sql::LINK_IDENTITY).bind(staff).bind(user).bind(by).bind(now).execute(&mut *tx).await?;
        self.insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}

sql_impl! {
    /// `statement` takes `a`, then `b` when given.
    async fn read_contact_changes(
        &self,
        statement: &str,
        a: i64,
        b: Option<i64>,
    ) -> StoreResult<Vec<RecordedChange>> {
        let query = sqlx::query_as::<_, RecordedChangeRow>(statement).bind(a);
        let query = match b {
            Some(b) => query.bind(b),
            None => query,
        };
        query.fetch_all(self.pool()).await?.into_iter().map(RecordedChange::try_from).collect()
    }

    async fn any_unhandled_change(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(sql::ANY_UNHANDLED).fetch_one(self.pool()).await?;
        Ok(n > 0)
    }
}
