//! The one implementation of `Store`, for any database with a `Dialect`. The statements
//! are the named ones in `sql/`; what differs between databases is `D`'s.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Executor, IntoArguments, Pool, Transaction};
use zeroize::Zeroizing;

use crate::domain::access::{Staff, StaffChange, StaffMember};
use crate::domain::audit::{AuditEvent, AuditFilter, NewAuditEvent};
use crate::domain::audit_chain::ChainHead;
use crate::domain::institution::{Institution, TwoFactorMethod};
use crate::domain::notice::Notice;
use crate::domain::risk::RiskSignals;
use crate::domain::serve_client::ServeClient;
use crate::domain::two_person::{CodeRequest, ContactField, RecordedChange, Velocity};
use crate::domain::user::{Device, User, UserId};
use crate::store::dialect::{Column, Dialect, Param};
use crate::store::rows::{
    DeviceRow, InstitutionRow, RedemptionSubjectRow, StaffRow, UserRow, staff_from, two_factor_method,
};
use crate::store::sql::{audit, codes, institution, notices, risk, sessions, staff, throttle, two_person, users};
use crate::store::{
    Acting, Backend, BatchKey, BatchSummary, ChainedEvent, NewBatch, NewRequest, NewUser, NotStored, Notification,
    Opening, ProfileUpdate, RequestMove, Reservation, SessionRecord, StaffCredentials, Store, StoreError, StoreResult,
    TargetMarks, Throttle, UserQuery,
};

pub struct SqlStore<D: Dialect> {
    pool: Pool<D>,
}

impl<D: Dialect> SqlStore<D> {
    /// Connects, creating (SQLite) and migrating the database as `opening` allows.
    pub async fn open(url: &str, max_connections: u32, opening: Opening) -> StoreResult<Self> {
        Ok(Self { pool: D::connect(url, max_connections, opening).await? })
    }

    pub fn pool(&self) -> &Pool<D> {
        &self.pool
    }

    pub(super) async fn begin_write(&self) -> sqlx::Result<Transaction<'static, D>> {
        self.pool.begin_with(D::BEGIN_WRITE).await
    }
}

/// The `where` clause is what the statements ask of `D`'s sqlx driver (running on a
/// connection, the column types bound and read); both drivers provide it. Rust does not
/// let `Dialect` carry these for its users, so the impls that run SQL state them.
#[async_trait]
impl<D: Dialect> Store for SqlStore<D>
where
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    for<'r> &'r str: ColumnIndex<D::Row>,
    usize: ColumnIndex<D::Row>,
    i64: Column<D>,
    Option<i64>: Column<D>,
    String: Column<D>,
    Option<String>: Column<D>,
    Vec<u8>: Column<D>,
    for<'q> &'q str: Param<'q, D>,
    for<'q> Option<&'q str>: Param<'q, D>,
    for<'q> &'q [u8]: Param<'q, D>,
{
    fn backend(&self) -> Backend {
        D::BACKEND
    }

    async fn institution(&self) -> StoreResult<Institution> {
        let row: InstitutionRow = sqlx::query_as(institution::INSTITUTION)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::Corrupt("no institution is configured; run `helpdesk migrate`".into()))?;
        let methods: Vec<String> =
            sqlx::query_scalar(institution::PERMITTED_METHODS).bind(row.id).fetch_all(&self.pool).await?;
        let mut permitted = methods.iter().map(|m| two_factor_method(m)).collect::<StoreResult<Vec<_>>>()?;
        permitted.sort();
        let second: Option<i64> =
            sqlx::query_scalar(two_person::SECOND_PERSON_ALWAYS).fetch_optional(&self.pool).await?;
        Ok(Institution { id: row.id, name: row.name, permitted, second_person_always: second.unwrap_or(0) != 0 })
    }

    async fn set_permitted_methods(&self, methods: &[TwoFactorMethod], audit: &NewAuditEvent) -> StoreResult<()> {
        let institution = self.institution().await?;
        let mut tx = self.begin_write().await?;
        sqlx::query(institution::FORBID_ALL_METHODS).bind(institution.id).execute(&mut *tx).await?;
        for m in methods {
            sqlx::query(institution::PERMIT_METHOD).bind(institution.id).bind(m.as_str()).execute(&mut *tx).await?;
        }
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(users::USER_BY_ID).bind(id).fetch_optional(&self.pool).await?;
        row.map(User::try_from).transpose()
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let row: Option<UserRow> =
            sqlx::query_as(users::USER_BY_USERNAME).bind(username.to_lowercase()).fetch_optional(&self.pool).await?;
        row.map(User::try_from).transpose()
    }

    async fn refold_stale(&self, limit: i64, home: crate::domain::phone::HomeRegion) -> StoreResult<u64> {
        self.refold_keys(limit, home).await
    }

    async fn search_users(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
        self.find_users(query).await
    }

    async fn count_users(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(users::COUNT_USERS).fetch_one(&self.pool).await?)
    }

    async fn count_staff(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(users::COUNT_STAFF).fetch_one(&self.pool).await?)
    }

    async fn analyze(&self) -> StoreResult<()> {
        sqlx::raw_sql(D::ANALYZE).execute(&self.pool).await?;
        Ok(())
    }

    async fn devices(&self, user: UserId) -> StoreResult<Vec<Device>> {
        let rows: Vec<DeviceRow> = sqlx::query_as(users::DEVICES).bind(user).fetch_all(&self.pool).await?;
        rows.into_iter().map(Device::try_from).collect()
    }

    async fn update_profile(
        &self,
        acting: Acting<'_>,
        user: UserId,
        update: &ProfileUpdate,
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<Result<(), NotStored>> {
        self.write_profile(acting, user, update, audits, notices).await
    }

    async fn insert_users(&self, new: &[NewUser], audit: Option<&NewAuditEvent>) -> StoreResult<Vec<UserId>> {
        self.write_users(new, audit).await
    }

    async fn insert_users_in_bulk(&self, next: &mut (dyn FnMut() -> Option<Vec<NewUser>> + Send)) -> StoreResult<u64> {
        self.bulk_load(next).await
    }

    async fn staff_credentials(&self, username: &str) -> StoreResult<Option<StaffCredentials>> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<StaffRow> =
            sqlx::query_as(users::STAFF_CREDENTIALS).bind(username.to_lowercase()).fetch_optional(&mut *conn).await?;
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
        let mut conn = self.pool.acquire().await?;
        let row: Option<UserRow> =
            sqlx::query_as(staff::ENABLED_STAFF_BY_ID).bind(id).fetch_optional(&mut *conn).await?;
        let Some(user) = row.map(User::try_from).transpose()? else { return Ok(None) };
        let permissions: Vec<String> = sqlx::query_scalar(users::PERMISSIONS).bind(id).fetch_all(&mut *conn).await?;
        Ok(staff_from(&user, &permissions))
    }

    async fn staff_members(&self, _now: i64) -> StoreResult<Vec<StaffMember>> {
        self.read_staff_members().await
    }

    async fn count_enabled_admins(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(staff::COUNT_ENABLED_ADMINS).fetch_one(&self.pool).await?)
    }

    async fn change_staff(
        &self,
        acting: Acting<'_>,
        member: UserId,
        change: StaffChange,
        now: i64,
        audit: &NewAuditEvent,
        revoked: Option<(&NewAuditEvent, &[Notice])>,
    ) -> StoreResult<Result<bool, NotStored>> {
        self.apply_staff_change(acting, member, change, now, audit, revoked).await
    }

    async fn start_session(&self, staff: UserId, now: i64, audit: &NewAuditEvent) -> StoreResult<i64> {
        self.open_session(staff, now, audit).await
    }

    async fn session_open(&self, session: i64) -> StoreResult<bool> {
        let ended_at: Option<Option<i64>> =
            sqlx::query_scalar(sessions::SESSION_ENDED_AT).bind(session).fetch_optional(&self.pool).await?;
        Ok(matches!(ended_at, Some(None)))
    }

    async fn end_session(&self, session: i64, now: i64, audit: &NewAuditEvent) -> StoreResult<()> {
        self.close_session(session, now, audit).await
    }

    async fn set_password(&self, staff: UserId, hash: &str, now: i64, audit: &NewAuditEvent) -> StoreResult<()> {
        self.write_password(staff, hash, now, audit).await
    }

    async fn reserve_attempt(
        &self,
        user: UserId,
        throttle: Throttle,
        now: i64,
        max: i64,
        lockout_secs: i64,
    ) -> StoreResult<Reservation> {
        self.reserve(user, throttle, now, max, lockout_secs).await
    }

    async fn clear_failures(&self, user: UserId, throttle: Throttle) -> StoreResult<()> {
        sqlx::query(throttle::clear(throttle)).bind(user).execute(&self.pool).await?;
        Ok(())
    }

    async fn code_state(&self, user: UserId, now: i64) -> StoreResult<Option<BatchSummary>> {
        Ok(sqlx::query_as(codes::BATCH_SUMMARY).bind(user).bind(now).fetch_optional(&self.pool).await?)
    }

    async fn store_batch(
        &self,
        batch: &NewBatch<'_>,
        may: &(dyn for<'s> Fn(&'s Staff) -> bool + Send + Sync),
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<Result<i64, NotStored>> {
        self.write_batch(batch, may, audits, notices).await
    }

    async fn revoke_batch(
        &self,
        acting: Acting<'_>,
        user: UserId,
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
    ) -> StoreResult<Result<bool, NotStored>> {
        self.revoke_active(user, None, Some(acting), now, audit, notices).await
    }

    async fn redemption_subject(&self, username: &str, now: i64) -> StoreResult<Option<(User, Option<BatchKey>)>> {
        let row: Option<RedemptionSubjectRow> = sqlx::query_as(codes::REDEMPTION_SUBJECT)
            .bind(username.to_lowercase())
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        row.map(TryFrom::try_from).transpose()
    }

    async fn consume_code(
        &self,
        batch: i64,
        hash: &[u8],
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
        rejected: &[NewAuditEvent],
    ) -> StoreResult<Option<i64>> {
        self.consume(batch, hash, now, audit, notices, rejected).await
    }

    async fn append_audit(&self, events: &[NewAuditEvent]) -> StoreResult<()> {
        self.write_audit(events).await
    }

    async fn audit_events(&self, filter: &AuditFilter, after: i64, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        self.read_audit(&audit::export(), filter, Some(after), limit).await
    }

    async fn audit_page(&self, filter: &AuditFilter, before: Option<i64>, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        self.read_audit(&audit::page(), filter, before, limit).await
    }

    async fn recent_audit(&self, target: Option<UserId>, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        self.read_recent_audit(target, limit).await
    }

    async fn notifications(&self, user: UserId) -> StoreResult<Vec<Notification>> {
        Ok(sqlx::query_as(notices::NOTIFICATIONS).bind(user).fetch_all(&self.pool).await?)
    }

    async fn risk_signals(&self, user: UserId, now: i64) -> StoreResult<RiskSignals> {
        self.read_risk_signals(user, now).await
    }

    async fn count_active_batches(&self, now: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(risk::COUNT_ACTIVE_BATCHES).bind(now).fetch_one(&self.pool).await?)
    }

    async fn audit_chain_head(&self) -> StoreResult<ChainHead> {
        self.read_chain_head().await
    }

    async fn chained_audit_events(&self, after: i64, limit: i64) -> StoreResult<Vec<ChainedEvent>> {
        self.read_chained_events(after, limit).await
    }

    async fn insert_first_staff(&self, user: &NewUser, audit: &NewAuditEvent) -> StoreResult<Option<UserId>> {
        self.write_first_staff(user, audit).await
    }

    async fn session(&self, session: i64) -> StoreResult<Option<SessionRecord>> {
        Ok(sqlx::query_as(sessions::SESSION).bind(session).fetch_optional(&self.pool).await?)
    }

    async fn touch_session(&self, session: i64, now: i64) -> StoreResult<()> {
        sqlx::query(sessions::TOUCH_SESSION).bind(session).bind(now).execute(&self.pool).await?;
        Ok(())
    }

    async fn exhaust_batch(
        &self,
        user: UserId,
        batch: i64,
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
    ) -> StoreResult<bool> {
        // Nobody acts: failures used the batch up.
        Ok(self.revoke_active(user, Some(batch), None, now, audit, notices).await?.unwrap_or(false))
    }

    async fn count_unknown_username(&self, now: i64, window_secs: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(throttle::COUNT_UNKNOWN_USERNAME)
            .bind(now)
            .bind(window_secs)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn instance_key(&self, name: &str, fresh: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>> {
        self.read_instance_key(name, fresh).await
    }

    async fn revoke_all_batches(
        &self,
        by: UserId,
        now: i64,
        audit: &NewAuditEvent,
        notices: &(dyn for<'u> Fn(&'u User) -> Vec<Notice> + Send + Sync),
    ) -> StoreResult<u64> {
        self.revoke_every_batch(by, now, audit, notices).await
    }

    async fn contact_changes(&self, user: UserId, since: i64) -> StoreResult<Vec<RecordedChange>> {
        self.read_contact_changes(two_person::CONTACT_CHANGES, user, Some(since)).await
    }

    async fn contact_history(&self, user: Option<UserId>) -> StoreResult<Vec<(UserId, ContactField, String)>> {
        self.read_contact_history(user).await
    }

    async fn unhandled_contact_changes(&self, limit: i64) -> StoreResult<Vec<RecordedChange>> {
        if !self.any_unhandled_change().await? {
            return Ok(Vec::new());
        }
        self.read_contact_changes(two_person::UNHANDLED_CONTACT_CHANGES, limit, None).await
    }

    async fn handle_contact_change(&self, id: i64, audits: &[NewAuditEvent], notices: &[Notice]) -> StoreResult<bool> {
        self.mark_change_handled(id, audits, notices).await
    }

    async fn target_marks(&self, user: UserId) -> StoreResult<TargetMarks> {
        let mut conn = self.pool.acquire().await?;
        Self::read_target_marks(&mut conn, user).await
    }

    async fn velocity(&self, actor: UserId, target: UserId, now: i64) -> StoreResult<Velocity> {
        self.read_velocity(actor, target, now).await
    }

    async fn identity_links(&self) -> StoreResult<Vec<(UserId, UserId)>> {
        Ok(sqlx::query_as(two_person::IDENTITY_LINKS).fetch_all(&self.pool).await?)
    }

    async fn link_identity(
        &self,
        staff: UserId,
        user: UserId,
        by: UserId,
        now: i64,
        audit: &NewAuditEvent,
    ) -> StoreResult<bool> {
        self.write_link(staff, user, by, now, audit).await
    }

    async fn second_person_always(&self) -> StoreResult<bool> {
        let on: Option<i64> = sqlx::query_scalar(two_person::SECOND_PERSON_ALWAYS).fetch_optional(&self.pool).await?;
        Ok(on.unwrap_or(0) != 0)
    }

    async fn set_second_person_always(&self, on: bool, audit: &NewAuditEvent) -> StoreResult<()> {
        self.write_second_person_rule(on, audit).await
    }

    async fn insert_request(&self, request: &NewRequest, audit: &NewAuditEvent) -> StoreResult<Option<i64>> {
        self.write_request(request, audit).await
    }

    async fn request(&self, id: i64) -> StoreResult<Option<CodeRequest>> {
        Ok(self.read_requests(&two_person::request_by_id(), Some(id), None).await?.pop())
    }

    async fn open_requests(&self, limit: i64) -> StoreResult<Vec<CodeRequest>> {
        self.read_requests(&two_person::open_requests(), Some(limit), None).await
    }

    async fn latest_request(&self, target: UserId, requester: UserId) -> StoreResult<Option<CodeRequest>> {
        Ok(self.read_requests(&two_person::latest_request_for(), Some(target), Some(requester)).await?.pop())
    }

    async fn count_pending(&self, now: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(two_person::COUNT_PENDING).bind(now).fetch_one(&self.pool).await?)
    }

    async fn move_request(&self, id: i64, change: &RequestMove, audit: &NewAuditEvent) -> StoreResult<bool> {
        self.write_move(id, change, audit).await
    }

    async fn expire_requests(
        &self,
        now: i64,
        audit: &(dyn for<'r> Fn(&'r CodeRequest) -> NewAuditEvent + Send + Sync),
    ) -> StoreResult<u64> {
        self.write_expiries(now, audit).await
    }

    async fn insert_serve_client(
        &self,
        name: &str,
        token_hash: &[u8],
        by: UserId,
        audit: &NewAuditEvent,
    ) -> StoreResult<Option<i64>> {
        self.write_serve_client(name, token_hash, by, audit).await
    }

    async fn serve_clients(&self) -> StoreResult<Vec<ServeClient>> {
        self.read_serve_clients().await
    }

    async fn serve_client(&self, token_hash: &[u8]) -> StoreResult<Option<ServeClient>> {
        self.read_serve_client(token_hash).await
    }

    async fn revoke_serve_client(&self, name: &str, by: UserId, audit: &NewAuditEvent) -> StoreResult<bool> {
        self.write_client_revoked(name, by, audit).await
    }

    async fn schema_version(&self) -> StoreResult<(i64, i64)> {
        self.read_schema_version().await
    }
}
