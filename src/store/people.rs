//! People, customers and staff: reading them, writing them (one, many, the demo's
//! million, the first admin), a profile edit with the contact-change bookkeeping that goes
//! with it, and what the warning shows of them.

use async_trait::async_trait;

use crate::domain::audit::NewAuditEvent;
use crate::domain::notice::Notice;
use crate::domain::risk::RiskSignals;
use crate::domain::user::{Device, User, UserId, sort_key};
use crate::store::rows::{DeviceRow, RiskRow, UserRow};
use crate::store::sql::{self, audit, codes, institution, risk, staff, two_person, users};
use crate::store::{Acting, NewUser, ProfileOutcome, ProfileUpdate, StoreError, StoreResult};

/// Rows per multi-row insert: 1,000,000 demo users in well under two minutes.
const ROWS: usize = 400;

/// Customers and staff as people: their rows, devices and risk signals, and the writes
/// that create or edit them.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    /// `None` when there is no such user.
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    /// Case-insensitive (usernames are stored lower-cased); `None` when there is none.
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    async fn count_users(&self) -> StoreResult<i64>;
    async fn count_staff(&self) -> StoreResult<i64>;
    /// The user's second factors, in the order they were added.
    async fn devices(&self, user: UserId) -> StoreResult<Vec<Device>>;
    /// What the warning shows: the signals present at `now`, in one statement.
    async fn risk_signals(&self, user: UserId, now: i64) -> StoreResult<RiskSignals>;
    /// Writes the profile fields with the search keys derived from them, the audit events
    /// and the notices, in one transaction. `contact_change` names what of the email and
    /// phone changed ("email", "phone", "email and phone"); with it the cool-off starts at
    /// the first event's time. `acting` is checked again inside the transaction; when it no
    /// longer holds nothing is written (`ProfileOutcome::NoLongerActing`).
    async fn update_profile(
        &self,
        acting: Acting<'_>,
        user: UserId,
        update: &ProfileUpdate,
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<ProfileOutcome>;
    /// Writes users with their permissions and devices; the audit event, if any, in the
    /// same transaction. Returns the new ids in order. A username already taken is
    /// `UsernameTaken`, and then nothing is written.
    async fn insert_users(&self, users: &[NewUser], audit: Option<&NewAuditEvent>) -> StoreResult<Vec<UserId>>;
    /// Writes many users (the demo's million), all in one transaction: `next` gives them
    /// a batch at a time and `None` when done. The search indexes are dropped first and
    /// built again before the commit: building an index from all its rows at once is
    /// several times cheaper than keeping it through a million inserts in random order.
    /// All or nothing; returns how many were written. For the demo only, on a database
    /// nobody else is using: the transaction holds the users table's exclusive lock (the
    /// dropped indexes) until it commits.
    async fn insert_users_in_bulk(&self, next: &mut (dyn FnMut() -> Option<Vec<NewUser>> + Send)) -> StoreResult<u64>;
    /// Refreshes the planner's statistics, after a bulk load.
    async fn analyze(&self) -> StoreResult<()>;
    /// Bootstraps a member of staff while the database has no admin who can sign in: in
    /// one transaction that first takes the audit chain's lock (so two bootstraps take
    /// turns), counts the admins, and writes the user, their permissions and the audit
    /// event only if there are none. `None` when an admin exists; then nothing is written.
    async fn insert_first_staff(&self, user: &NewUser, audit: &NewAuditEvent) -> StoreResult<Option<UserId>>;
}

sql_impl! {
    impl PeopleStore;

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(users::USER_BY_ID).bind(id).fetch_optional(self.pool()).await?;
        row.map(User::try_from).transpose()
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let row: Option<UserRow> =
            sqlx::query_as(users::USER_BY_USERNAME).bind(username.to_ascii_lowercase()).fetch_optional(self.pool()).await?;
        row.map(User::try_from).transpose()
    }

    async fn count_users(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(users::COUNT_USERS).fetch_one(self.pool()).await?)
    }

    async fn count_staff(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(users::COUNT_STAFF).fetch_one(self.pool()).await?)
    }

    async fn devices(&self, user: UserId) -> StoreResult<Vec<Device>> {
        let rows: Vec<DeviceRow> = sqlx::query_as(users::DEVICES).bind(user).fetch_all(self.pool()).await?;
        rows.into_iter().map(Device::try_from).collect()
    }

    async fn risk_signals(&self, user: UserId, now: i64) -> StoreResult<RiskSignals> {
        let row: Option<RiskRow> = sqlx::query_as(risk::RISK_SIGNALS)
            .bind(user)
            .bind(now - RiskSignals::CODES_WINDOW_SECS)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(RiskSignals::from).unwrap_or_default())
    }

    async fn update_profile(
        &self,
        acting: Acting<'_>,
        user: UserId,
        update: &ProfileUpdate,
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<ProfileOutcome> {
        let at = audits.first().map_or(0, |a| a.at);
        let by = Some(acting.actor);
        let mut tx = self.begin_write().await?;
        if !Self::still_acting(&mut tx, acting).await? {
            tx.rollback().await?;
            return Ok(ProfileOutcome::NoLongerActing);
        }
        // The contact-change triggers record the change as this member of staff's; its audit
        // event and notices are written below, so it is handled here. The user's row is
        // locked before the newest change is read: another writer's change committed in
        // between would otherwise count as ours, and be marked handled with no audit event
        // and no notice of its own.
        sqlx::query(codes::LOCK_USER).bind(user).execute(&mut *tx).await?;
        let newest: i64 = sqlx::query_scalar(two_person::NEWEST_CHANGE).fetch_one(&mut *tx).await?;
        sqlx::query(D::MARK_STAFF).bind(by).bind(at).execute(&mut *tx).await?;
        let form = crate::domain::phone::stored_form(&update.phone);
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
            .bind(form.grouped)
            .bind(form.region)
            .execute(&mut *tx)
            .await?;
        Self::write_name_words(&mut tx, &[(user, &update.first_name, &update.last_name)], true).await?;
        sqlx::query(D::UNMARK).execute(&mut *tx).await?;
        sqlx::query(two_person::HANDLED_SINCE).bind(user).bind(newest).bind(acting.actor).execute(&mut *tx).await?;
        for audit in audits {
            self.insert_audit(&mut tx, audit).await?;
        }
        Self::insert_notices(&mut tx, at, notices).await?;
        tx.commit().await?;
        Ok(ProfileOutcome::Written)
    }

    async fn insert_users(&self, new: &[NewUser], audit: Option<&NewAuditEvent>) -> StoreResult<Vec<UserId>> {
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
            self.insert_audit(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn insert_first_staff(&self, user: &NewUser, audit: &NewAuditEvent) -> StoreResult<Option<UserId>> {
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
        self.insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    async fn insert_users_in_bulk(
        &self,
        next: &mut (dyn FnMut() -> Option<Vec<NewUser>> + Send),
    ) -> StoreResult<u64> {
        let institution: i64 = sqlx::query_scalar(institution::INSTITUTION_ID).fetch_one(self.pool()).await?;
        let mut tx = self.begin_write().await?;
        let indexes: Vec<(String, String)> = sqlx::query_as(D::REBUILDABLE_INDEXES).fetch_all(&mut *tx).await?;
        for (name, _) in &indexes {
            sqlx::query(&format!("DROP INDEX {name}")).execute(&mut *tx).await?;
        }
        let mut written = 0;
        while let Some(batch) = next() {
            let ids = Self::insert_user_rows(&mut tx, institution, &batch).await?;
            Self::insert_devices(&mut tx, &batch, &ids).await?;
            for (u, id) in batch.iter().zip(&ids) {
                for p in &u.permissions {
                    sqlx::query(users::GRANT_PERMISSION).bind(*id).bind(p.as_str()).execute(&mut *tx).await?;
                }
            }
            written += batch.len() as u64;
        }
        for (_, create) in &indexes {
            sqlx::query(create).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(written)
    }

    async fn analyze(&self) -> StoreResult<()> {
        sqlx::raw_sql(D::ANALYZE).execute(self.pool()).await?;
        Ok(())
    }
}

sql_impl! {
    /// Writes the users, many to a statement; returns their ids in order.
    async fn insert_user_rows(
        conn: &mut D::Connection,
        institution: i64,
        new: &[NewUser],
    ) -> StoreResult<Vec<UserId>> {
        let mut ids = Vec::with_capacity(new.len());
        // The demo's million customers share a few thousand numbers: each is read with
        // libphonenumber once (9 µs a number).
        let mut forms: std::collections::HashMap<&str, crate::domain::phone::StoredForm> =
            std::collections::HashMap::new();
        for chunk in new.chunks(ROWS) {
            for u in chunk {
                forms.entry(u.phone.as_str()).or_insert_with(|| crate::domain::phone::stored_form(&u.phone));
            }
            let statement = users::insert_users(&sql::values(chunk.len(), users::USER_INSERT_COLUMNS, D::bulk_param));
            let mut q = sqlx::query_scalar(&statement);
            for u in chunk {
                q = q
                    .bind(institution)
                    .bind(u.kind.as_str())
                    .bind(u.username.to_lowercase())
                    .bind(u.first_name.as_str())
                    .bind(u.last_name.as_str())
                    .bind(sort_key(&u.first_name, &u.last_name))
                    .bind(crate::domain::search::first_key(&u.first_name))
                    .bind(u.email.to_lowercase())
                    .bind(u.phone.as_str())
                    .bind(crate::domain::search::phone_digits(&u.phone))
                    .bind(u.enrolment.as_str())
                    .bind(u.role.map(|r| r.as_str()))
                    .bind(u.password_hash.as_deref())
                    .bind(u.created_at)
                    .bind(u.created_at)
                    .bind(0_i64)
                    .bind(forms[u.phone.as_str()].grouped.as_deref())
                    .bind(forms[u.phone.as_str()].region.as_deref());
            }
            let chunk_ids: Vec<i64> = q.fetch_all(&mut *conn).await.map_err(|e| match &e {
                // SQLite's `users_not_replaced` (migration 0018) refuses an insert over an
                // existing user before the unique index would.
                sqlx::Error::Database(d) if d.is_unique_violation() || d.message().contains("never replaced") => {
                    StoreError::UsernameTaken(if chunk.len() == 1 {
                    chunk[0].username.clone()
                } else {
                    "in this batch".into()
                })
                }
                _ => e.into(),
            })?;
            let named: Vec<(UserId, &str, &str)> =
                chunk.iter().zip(&chunk_ids).map(|(u, id)| (*id, u.first_name.as_str(), u.last_name.as_str())).collect();
            Self::write_name_words(&mut *conn, &named, false).await?;
            ids.extend(chunk_ids);
        }
        Ok(ids)
    }

    /// Writes each user's second factors, many to a statement.
    async fn insert_devices(conn: &mut D::Connection, new: &[NewUser], ids: &[UserId]) -> StoreResult<()> {
        let devices: Vec<(i64, &str, &str, i64)> = new
            .iter()
            .zip(ids)
            .flat_map(|(u, id)| u.devices.iter().map(move |(m, label)| (*id, m.as_str(), label.as_str(), u.created_at)))
            .collect();
        for chunk in devices.chunks(ROWS) {
            let statement =
                users::insert_devices(&sql::values(chunk.len(), users::DEVICE_INSERT_COLUMNS, D::bulk_param));
            let mut q = sqlx::query(&statement);
            for (id, method, label, at) in chunk {
                q = q.bind(*id).bind(*method).bind(*label).bind(*at);
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}
