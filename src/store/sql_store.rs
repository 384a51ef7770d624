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
use crate::domain::search::Term;
use crate::domain::two_person::{CodeRequest, ContactField, RecordedChange, Velocity};
use crate::domain::user::{Device, User, UserId, sort_key};
use crate::store::dialect::{Column, Dialect, Param};
use crate::store::rows::{
    AuditRow, ChainHeadRow, ChainedAuditRow, DeviceRow, InstitutionRow, RedemptionSubjectRow, StaffRow, UserRow,
    staff_from, two_factor_method,
};
use crate::store::sql::{
    audit, codes, instance_keys, institution, notices, risk, search, sessions, staff, throttle, two_person, users,
};
use crate::store::{
    Backend, BatchKey, BatchSummary, ChainedEvent, NewBatch, NewRequest, NewUser, NotStored, Notification, Opening,
    ProfileUpdate, RequestMove, Reservation, SessionRecord, StaffCredentials, Store, StoreError, StoreResult,
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

/// The search's statements, run. They are kept prepared like every other statement: an
/// unprepared one is parsed in one round trip and bound in the next, and PgBouncer in
/// transaction mode may hand the second to another server connection ("unnamed prepared
/// statement does not exist"). PostgreSQL would switch a kept statement to a generic plan
/// after five runs, planned without the typed prefix or the cursor (the fifth page of
/// `amara ok` took 40 ms instead of 5), so each runs in a read transaction that asks for
/// custom plans (`Dialect::CUSTOM_PLANS`; one transaction stays on one server connection).
impl<D: Dialect> SqlStore<D>
where
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    for<'r> &'r str: ColumnIndex<D::Row>,
    usize: ColumnIndex<D::Row>,
    i64: Column<D>,
    Option<i64>: Column<D>,
    String: Column<D>,
    Option<String>: Column<D>,
    for<'q> &'q str: Param<'q, D>,
{
    async fn count(conn: &mut D::Connection, statement: &search::Statement) -> StoreResult<i64> {
        let mut q = sqlx::query_scalar(&statement.sql);
        for p in &statement.params {
            q = q.bind(p.as_str());
        }
        Ok(q.fetch_one(conn).await?)
    }

    async fn rows(conn: &mut D::Connection, statement: &search::Statement) -> StoreResult<Vec<UserRow>> {
        let mut q = sqlx::query_as(&statement.sql);
        for p in &statement.params {
            q = q.bind(p.as_str());
        }
        Ok(q.fetch_all(conn).await?)
    }

    async fn search_transaction(&self) -> StoreResult<Transaction<'static, D>> {
        let mut tx = self.pool.begin().await?;
        if let Some(custom) = D::CUSTOM_PLANS {
            sqlx::query(custom).execute(&mut *tx).await?;
        }
        Ok(tx)
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
        let any: i64 = sqlx::query_scalar(users::ANY_STALE).fetch_one(&self.pool).await?;
        if any == 0 {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let stale: Vec<(i64, String, String, String)> =
            sqlx::query_as(D::STALE_KEYS_LOCKED).bind(limit).fetch_all(&mut *tx).await?;
        // The phone in E.164 is the same number: not a contact change.
        sqlx::query(D::MARK_REFOLD).execute(&mut *tx).await?;
        for (id, first, last, phone) in &stale {
            let canonical = crate::domain::phone::canonical(phone, home);
            sqlx::query(users::REFOLD_KEYS)
                .bind(*id)
                .bind(sort_key(first, last))
                .bind(crate::domain::search::first_key(first))
                .bind(canonical.as_str())
                .bind(crate::domain::search::phone_digits(&canonical))
                .bind(first.as_str())
                .bind(last.as_str())
                .bind(phone.as_str())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(D::UNMARK).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(stale.len() as u64)
    }

    async fn search_users(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
        let terms = crate::domain::search::terms(&query.text);
        // One read transaction for the whole search: its counts and its page (see `count`).
        let mut tx = self.search_transaction().await?;
        let rows: Vec<UserRow> = if terms.is_empty() {
            let (after_key, after_id) = query.after.clone().unwrap_or((String::new(), i64::MIN));
            sqlx::query_as(search::USERS_PAGE)
                .bind(after_key)
                .bind(after_id)
                .bind(query.limit)
                .fetch_all(&mut *tx)
                .await?
        } else if let [Term::Word(word)] = terms.as_slice() {
            // One letter finds users everywhere; a longer word is counted first.
            let rare = word.key.chars().count() > 1
                && Self::count(&mut tx, &search::count_others_of_word(word)).await? <= search::OTHERS_SORTED;
            let page =
                search::page_of_one_word(word, &[], rare, query.after.as_ref(), query.limit, D::USERS_IN_NAME_ORDER);
            Self::rows(&mut tx, &page).await?
        } else {
            // The rarest term that is rare enough is read first; one letter never is.
            let mut rare: Option<(usize, i64)> = None;
            let several = terms.len() > 1;
            let cap = if several { search::FEW_OF_SEVERAL } else { search::CANDIDATES };
            let long_enough = |term: &Term| !matches!(term, Term::Word(w) if w.key.chars().count() < 2);
            for (i, term) in terms.iter().enumerate().filter(|(_, t)| long_enough(t)) {
                let n = Self::count(&mut tx, &search::count_users_of(term, cap)).await?;
                if n <= cap && rare.is_none_or(|(_, fewest)| n < fewest) {
                    rare = Some((i, n));
                }
            }
            // Every term is common: walk the last-name range of the word with the fewest
            // users outside it, checking the other terms on the way.
            let mut walk: Option<(usize, i64)> = None;
            if several && rare.is_none() {
                for (i, term) in terms.iter().enumerate().filter(|(_, t)| long_enough(t)) {
                    if let Term::Word(word) = term {
                        let n = Self::count(&mut tx, &search::count_others_of_word(word)).await?;
                        if walk.is_none_or(|(_, fewest)| n < fewest) {
                            walk = Some((i, n));
                        }
                    }
                }
            }
            let page = match walk {
                Some((i, others)) => {
                    let Term::Word(word) = &terms[i] else { unreachable!("only words are walked") };
                    let rest: Vec<Term> =
                        terms.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, t)| t.clone()).collect();
                    let rare = others <= search::OTHERS_SORTED;
                    search::page_of_one_word(
                        word,
                        &rest,
                        rare,
                        query.after.as_ref(),
                        query.limit,
                        D::USERS_IN_NAME_ORDER,
                    )
                }
                None => search::page(
                    &terms,
                    rare.map(|(i, _)| i),
                    query.after.as_ref(),
                    query.limit,
                    D::USERS_IN_NAME_ORDER,
                ),
            };
            Self::rows(&mut tx, &page).await?
        };
        tx.commit().await?;
        rows.into_iter().map(User::try_from).collect()
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
        user: UserId,
        update: &ProfileUpdate,
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<()> {
        let at = audits.first().map_or(0, |a| a.at);
        let by = audits.first().and_then(|a| a.actor_id);
        let mut tx = self.begin_write().await?;
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
        Ok(())
    }

    async fn insert_users(&self, new: &[NewUser], audit: Option<&NewAuditEvent>) -> StoreResult<Vec<UserId>> {
        let institution: i64 = sqlx::query_scalar(institution::INSTITUTION_ID).fetch_one(&self.pool).await?;
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
        member: UserId,
        change: StaffChange,
        now: i64,
        audit: &NewAuditEvent,
        revoked: Option<(&NewAuditEvent, &[Notice])>,
    ) -> StoreResult<bool> {
        self.apply_staff_change(member, change, now, audit, revoked).await
    }

    async fn start_session(&self, staff: UserId, now: i64, audit: &NewAuditEvent) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(sessions::START_SESSION).bind(staff).bind(now).fetch_one(&mut *tx).await?;
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn session_open(&self, session: i64) -> StoreResult<bool> {
        let ended_at: Option<Option<i64>> =
            sqlx::query_scalar(sessions::SESSION_ENDED_AT).bind(session).fetch_optional(&self.pool).await?;
        Ok(matches!(ended_at, Some(None)))
    }

    async fn end_session(&self, session: i64, now: i64, audit: &NewAuditEvent) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sessions::END_SESSION).bind(session).bind(now).execute(&mut *tx).await?;
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, staff: UserId, hash: &str, now: i64, audit: &NewAuditEvent) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sessions::SET_PASSWORD).bind(staff).bind(hash).bind(now).execute(&mut *tx).await?;
        sqlx::query(sessions::END_ALL_SESSIONS).bind(staff).bind(now).execute(&mut *tx).await?;
        Self::insert_audit(&mut tx, audit).await?;
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
            .fetch_optional(&self.pool)
            .await?;
        if let Some((attempt, locked, total)) = granted {
            return Ok(Reservation::Granted { attempt, locks: locked.is_some(), total });
        }
        let until: Option<Option<i64>> =
            sqlx::query_scalar(throttle::locked_until(throttle)).bind(user).fetch_optional(&self.pool).await?;
        Ok(Reservation::Locked { until: until.flatten().unwrap_or(now) })
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
        let mut tx = self.begin_write().await?;
        sqlx::query(codes::LOCK_USER).bind(batch.user_id).execute(&mut *tx).await?;
        // The session and the actor's row are read with a share lock (PostgreSQL), so that a
        // sign-out, a disable or a role change waits for this batch, and then sees it (a
        // disable revokes it), instead of committing between this check and the batch.
        let open: Option<i64> = sqlx::query_scalar(&format!("{} {}", sessions::SESSION_OPEN_ROW, D::SHARE_LOCK))
            .bind(batch.session)
            .bind(batch.generated_by)
            .fetch_optional(&mut *tx)
            .await?;
        let open = i64::from(open.is_some());
        let actor: Option<UserRow> = sqlx::query_as(&format!("{} {}", staff::ENABLED_STAFF_BY_ID, D::SHARE_LOCK))
            .bind(batch.generated_by)
            .fetch_optional(&mut *tx)
            .await?;
        let permissions: Vec<String> =
            sqlx::query_scalar(users::PERMISSIONS).bind(batch.generated_by).fetch_all(&mut *tx).await?;
        let actor = actor.map(User::try_from).transpose()?;
        let still_allowed = open == 1 && actor.and_then(|u| staff_from(&u, &permissions)).is_some_and(|s| may(&s));
        let marks = Self::read_target_marks(&mut tx, batch.user_id).await?;
        let refused = if !still_allowed {
            Some(NotStored::SessionOrRight)
        } else if marks.contact != batch.contact_seen {
            Some(NotStored::ContactChanged)
        } else {
            None
        };
        let refused = match (refused, batch.request, batch.velocity_limits) {
            (Some(refused), _, _) => Some(refused),
            // The approval is used here, once, by its requester, before it expires; a batch
            // made since it was approved voids it.
            (None, Some((request, batch_seen)), _) => {
                let used = sqlx::query(two_person::USE_APPROVAL)
                    .bind(request)
                    .bind(batch.generated_by)
                    .bind(batch.user_id)
                    .bind(batch.created_at)
                    .execute(&mut *tx)
                    .await?;
                (D::rows_affected(&used) != 1 || marks.batch != batch_seen).then_some(NotStored::ApprovalGone)
            }
            (None, None, Some(limits)) => {
                let v = self.read_velocity_in(&mut tx, batch.generated_by, batch.user_id, batch.created_at).await?;
                let always: Option<i64> =
                    sqlx::query_scalar(two_person::SECOND_PERSON_ALWAYS).fetch_optional(&mut *tx).await?;
                let reached = v.user_day >= limits.per_user_day
                    || v.agent_hour >= limits.per_agent_hour
                    || v.agent_day >= limits.per_agent_day
                    || always.unwrap_or(0) != 0;
                reached.then_some(NotStored::SecondPersonNeeded)
            }
            (None, None, None) => None,
        };
        if let Some(refused) = refused {
            tx.rollback().await?;
            return Ok(Err(refused));
        }
        sqlx::query(throttle::NEW_BATCH_RESETS_TOTAL).bind(batch.user_id).execute(&mut *tx).await?;
        sqlx::query(codes::REVOKE_BATCHES)
            .bind(batch.user_id)
            .bind(batch.created_at)
            .bind(batch.generated_by)
            .execute(&mut *tx)
            .await?;
        let id: i64 = sqlx::query_scalar(codes::INSERT_BATCH)
            .bind(batch.user_id)
            .bind(batch.generated_by)
            .bind(batch.created_at)
            .bind(batch.expires_at)
            .bind(batch.salt)
            .bind(i64::from(batch.cost.memory_kib))
            .bind(i64::from(batch.cost.iterations))
            .bind(i64::from(batch.cost.parallelism))
            .bind(batch.hashes.len() as i64)
            .bind(batch.identity_check.as_str())
            .bind(batch.note.as_deref())
            .fetch_one(&mut *tx)
            .await?;
        for hash in batch.hashes {
            sqlx::query(codes::INSERT_CODE).bind(id).bind(&hash[..]).execute(&mut *tx).await?;
        }
        if let Some((request, _)) = batch.request {
            sqlx::query(two_person::SET_BATCH_REQUEST).bind(id).bind(request).execute(&mut *tx).await?;
        }
        for audit in audits {
            Self::insert_audit(&mut tx, audit).await?;
        }
        Self::insert_notices(&mut tx, batch.created_at, notices).await?;
        tx.commit().await?;
        Ok(Ok(id))
    }

    async fn revoke_batch(
        &self,
        user: UserId,
        by: UserId,
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
    ) -> StoreResult<bool> {
        self.revoke_active(user, None, Some(by), now, audit, notices).await
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
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        // Takes turns with a revocation (which locks the user first too): a code consumed
        // here was not yet revoked, and one revoked first is not consumed.
        if let Some(user) = audit.target_id {
            sqlx::query(codes::LOCK_USER).bind(user).execute(&mut *tx).await?;
        }
        let done = sqlx::query(codes::CONSUME_CODE).bind(batch).bind(hash).bind(now).execute(&mut *tx).await?;
        if D::rows_affected(&done) != 1 {
            for event in rejected {
                Self::insert_audit(&mut tx, event).await?;
            }
            tx.commit().await?;
            return Ok(false);
        }
        if let Some(user) = audit.target_id {
            sqlx::query(codes::REDEEMED).bind(user).execute(&mut *tx).await?;
        }
        Self::insert_audit(&mut tx, audit).await?;
        Self::insert_notices(&mut tx, now, notices).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn append_audit(&self, events: &[NewAuditEvent]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for e in events {
            Self::insert_audit(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn audit_events(&self, filter: &AuditFilter, after: i64, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        self.read_audit(&audit::export(), filter, Some(after), limit).await
    }

    async fn audit_page(&self, filter: &AuditFilter, before: Option<i64>, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        self.read_audit(&audit::page(), filter, before, limit).await
    }

    async fn recent_audit(&self, target: Option<UserId>, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        let rows: Vec<AuditRow> = match target {
            Some(t) => sqlx::query_as(audit::RECENT_FOR_TARGET).bind(t).bind(limit).fetch_all(&self.pool).await?,
            None => sqlx::query_as(audit::RECENT).bind(limit).fetch_all(&self.pool).await?,
        };
        Ok(rows.into_iter().map(AuditEvent::from).collect())
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
        let row: ChainHeadRow = sqlx::query_as(audit::CHAIN_HEAD)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::Corrupt("the audit chain head is missing".into()))?;
        ChainHead::try_from(row)
    }

    async fn chained_audit_events(&self, after: i64, limit: i64) -> StoreResult<Vec<ChainedEvent>> {
        let rows: Vec<ChainedAuditRow> =
            sqlx::query_as(audit::CHAINED_EVENTS_AFTER).bind(after).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|r| ChainedEvent { event: AuditEvent::from(r.event), chain_hash: r.chain_hash })
            .collect())
    }

    async fn insert_first_staff(&self, user: &NewUser, audit: &NewAuditEvent) -> StoreResult<Option<UserId>> {
        let institution: i64 = sqlx::query_scalar(institution::INSTITUTION_ID).fetch_one(&self.pool).await?;
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
        self.revoke_active(user, Some(batch), None, now, audit, notices).await
    }

    async fn count_unknown_username(&self, now: i64, window_secs: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(throttle::COUNT_UNKNOWN_USERNAME)
            .bind(now)
            .bind(window_secs)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn instance_key(&self, name: &str, fresh: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>> {
        let found: Option<Vec<u8>> =
            sqlx::query_scalar(instance_keys::KEY).bind(name).fetch_optional(&self.pool).await?;
        if let Some(key) = found {
            return Ok(Zeroizing::new(key));
        }
        sqlx::query(instance_keys::INSERT_KEY).bind(name).bind(fresh).execute(&self.pool).await?;
        let key: Vec<u8> = sqlx::query_scalar(instance_keys::KEY).bind(name).fetch_one(&self.pool).await?;
        Ok(Zeroizing::new(key))
    }

    async fn revoke_all_batches(
        &self,
        by: UserId,
        now: i64,
        audit: &NewAuditEvent,
        notices: &(dyn for<'u> Fn(&'u User) -> Vec<Notice> + Send + Sync),
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        // Holders are read inside the transaction; on PostgreSQL each row is then locked by
        // the update, so a batch generated meanwhile either is revoked here or comes after.
        let holders: Vec<UserRow> = sqlx::query_as(codes::ACTIVE_HOLDERS).bind(now).fetch_all(&mut *tx).await?;
        let done = sqlx::query(codes::REVOKE_ALL_ACTIVE).bind(now).bind(by).execute(&mut *tx).await?;
        let revoked = D::rows_affected(&done);
        let mut audit = audit.clone();
        audit.code_count = Some(revoked as i64);
        audit.detail = Some(format!("{revoked} active batches revoked; {}", audit.detail.unwrap_or_default()));
        Self::insert_audit(&mut tx, &audit).await?;
        for holder in holders {
            Self::insert_notices(&mut tx, now, &notices(&User::try_from(holder)?)).await?;
        }
        tx.commit().await?;
        Ok(revoked)
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
}
