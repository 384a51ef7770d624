//! The SQL both backends share. SQLite and PostgreSQL accept the same statements here
//! (`$n` parameters, `RETURNING`, partial indexes, `CASE`), so the implementation of
//! `Store` is written once, in `store_impl!`, and expanded for each backend's concrete
//! sqlx types in `sqlite.rs` and `postgres.rs`. What differs between them (connecting,
//! pragmas, how a write transaction begins, migrations) lives in those files.

use crate::domain::access::{Permission, Staff};
use crate::domain::audit::{AuditEvent, NewAuditEvent};
use crate::domain::time;
use crate::domain::user::{Enrolment, StaffRole, User, UserKind};
use crate::store::{StoreError, StoreResult, Throttle};

pub const USER_COLUMNS: &str =
    "id, kind, username, first_name, last_name, email, phone, enrolment, staff_role, created_at";

pub const AUDIT_COLUMNS: &str =
    "id, at, actor_id, actor, target_id, target, action, identity_check, note, code_count, expires_at, detail";

pub const INSERT_AUDIT: &str = "INSERT INTO audit_events \
    (at, actor_id, actor, target_id, target, action, identity_check, note, code_count, expires_at, detail) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

pub const INSERT_NOTICE: &str = "INSERT INTO notification_outbox \
    (created_at, user_id, channel, address, kind, body) VALUES ($1, $2, $3, $4, $5, $6)";

/// Takes the user's row lock (PostgreSQL) or the database write lock (SQLite, already
/// held by `BEGIN IMMEDIATE`), so that concurrent writers for one user take turns.
pub const LOCK_USER: &str = "UPDATE users SET code_failures = code_failures WHERE id = $1";

/// Counts one more attempt unless a lock is in force; an expired lock starts a new count.
/// In `SET`, column names read the row as it was before the update, in both dialects.
pub fn reserve_sql(throttle: Throttle) -> &'static str {
    match throttle {
        Throttle::Codes => {
            "UPDATE users SET \
               code_failures = CASE WHEN codes_locked_until IS NOT NULL THEN 1 ELSE code_failures + 1 END, \
               codes_locked_until = CASE WHEN (CASE WHEN codes_locked_until IS NOT NULL THEN 1 ELSE code_failures + 1 END) >= $3 \
                                    THEN $2 + $4 ELSE NULL END \
             WHERE id = $1 AND (codes_locked_until IS NULL OR codes_locked_until <= $2) \
             RETURNING code_failures, codes_locked_until"
        }
        Throttle::Login => {
            "UPDATE users SET \
               login_failures = CASE WHEN login_locked_until IS NOT NULL THEN 1 ELSE login_failures + 1 END, \
               login_locked_until = CASE WHEN (CASE WHEN login_locked_until IS NOT NULL THEN 1 ELSE login_failures + 1 END) >= $3 \
                                    THEN $2 + $4 ELSE NULL END \
             WHERE id = $1 AND (login_locked_until IS NULL OR login_locked_until <= $2) \
             RETURNING login_failures, login_locked_until"
        }
    }
}

pub fn locked_until_sql(throttle: Throttle) -> &'static str {
    match throttle {
        Throttle::Codes => "SELECT codes_locked_until FROM users WHERE id = $1",
        Throttle::Login => "SELECT login_locked_until FROM users WHERE id = $1",
    }
}

pub fn clear_sql(throttle: Throttle) -> &'static str {
    match throttle {
        Throttle::Codes => "UPDATE users SET code_failures = 0, codes_locked_until = NULL WHERE id = $1",
        Throttle::Login => "UPDATE users SET login_failures = 0, login_locked_until = NULL WHERE id = $1",
    }
}

/// How many rows each searched column contributes before ordering. A prefix that
/// matches more than this in one column shows the first ones in that column's order;
/// typing one more character narrows it.
pub const SEARCH_CANDIDATES: i64 = 2_000;

/// A search: each column's prefix range read through its own index (bounded), the union
/// ordered by name and paged by key. Without the bound per column, a rare prefix would
/// make the database walk the whole name index to fill a page. Built once.
pub fn search_sql() -> &'static str {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(build_search_sql);
    &SQL
}

fn build_search_sql() -> String {
    let branch = |n: usize, column: &str, from: &str, to: &str| {
        format!(
            "SELECT id FROM (SELECT id FROM users WHERE {column} >= {from} AND {column} < {to} \
             ORDER BY {column} LIMIT $8) AS b{n}"
        )
    };
    let union = [
        branch(1, "sort_key", "$1", "$2"),
        branch(2, "first_key", "$1", "$2"),
        branch(3, "username", "$1", "$2"),
        branch(4, "email", "$1", "$2"),
        branch(5, "phone_digits", "$3", "$4"),
    ]
    .join(" UNION ");
    let columns = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
    // CROSS JOIN keeps SQLite from turning the join around; PostgreSQL plans it freely.
    format!(
        "SELECT {columns} FROM ({union}) AS m CROSS JOIN users u \
         WHERE u.id = m.id AND (u.sort_key > $5 OR (u.sort_key = $5 AND u.id > $6)) \
         ORDER BY u.sort_key, u.id LIMIT $7"
    )
}

/// `(…),(…)` for a multi-row insert of `rows` rows of `columns` values; `param` writes
/// the n-th (from 1) parameter in the backend's style.
pub fn placeholders(rows: usize, columns: usize, param: impl Fn(usize) -> String) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..columns {
            if c > 0 {
                out.push(',');
            }
            out.push_str(&param(r * columns + c + 1));
        }
        out.push(')');
    }
    out
}

/// The search keys stored beside a user, lower-cased for prefix look-ups.
pub fn first_key(first: &str) -> String {
    first.to_lowercase()
}

pub fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// The exclusive upper bound of a prefix range: every string that starts with `prefix`
/// sorts below it, in byte order (SQLite's BINARY, PostgreSQL's "C" collation).
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// The digits to match against phone numbers, when the text looks like one.
pub fn phone_prefix(text: &str) -> String {
    let looks_like_phone =
        text.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) && text.chars().any(|c| c.is_ascii_digit());
    if looks_like_phone { phone_digits(text) } else { String::new() }
}

#[allow(clippy::too_many_arguments)]
pub fn user_from_parts(
    id: i64,
    kind: &str,
    username: String,
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    enrolment: &str,
    role: Option<String>,
    created_at: i64,
) -> StoreResult<User> {
    Ok(User {
        id,
        kind: UserKind::parse(kind).ok_or_else(|| StoreError::Corrupt(format!("user kind {kind:?}")))?,
        username,
        first_name,
        last_name,
        email,
        phone,
        enrolment: Enrolment::parse(enrolment)
            .ok_or_else(|| StoreError::Corrupt(format!("enrolment state {enrolment:?}")))?,
        role: match role {
            Some(r) => Some(StaffRole::parse(&r).ok_or_else(|| StoreError::Corrupt(format!("staff role {r:?}")))?),
            None => None,
        },
        created_at,
    })
}

pub fn staff_from(user: &User, permissions: Vec<String>) -> Option<Staff> {
    Some(Staff {
        id: user.id,
        username: user.username.clone(),
        role: user.role?,
        permissions: permissions.iter().filter_map(|p| Permission::parse(p)).collect(),
    })
}

#[allow(clippy::too_many_arguments)]
pub fn audit_from_parts(
    id: i64,
    at: i64,
    actor_id: Option<i64>,
    actor: String,
    target_id: Option<i64>,
    target: String,
    action: String,
    identity_check: Option<String>,
    note: Option<String>,
    code_count: Option<i64>,
    expires_at: Option<i64>,
    detail: Option<String>,
) -> AuditEvent {
    AuditEvent {
        id,
        at,
        at_utc: time::format_rfc3339(at),
        actor_id,
        actor,
        target_id,
        target,
        action,
        identity_check,
        note,
        code_count,
        expires_at,
        detail,
    }
}

/// The binds of one audit event, in `INSERT_AUDIT`'s order.
pub fn audit_binds(
    e: &NewAuditEvent,
) -> (i64, Option<i64>, &str, Option<i64>, &str, &'static str, Option<&'static str>) {
    (e.at, e.actor_id, &e.actor, e.target_id, &e.target, e.action.as_str(), e.identity_check.map(|c| c.as_str()))
}

/// Expands to `impl Store for $store`, whose `pool` field is a `sqlx::Pool<$db>` and which
/// has an inherent `async fn begin_write(&self)` that starts a write transaction and a
/// `fn bulk_param(n) -> String` that writes the n-th parameter of a multi-row insert, and
/// a `const ANALYZE: &str` that refreshes planner statistics.
macro_rules! store_impl {
    ($store:ty, $db:ty) => {
        use async_trait::async_trait;
        use sqlx::Row as _;

        use crate::domain::access::{Permission, Staff};
        use crate::domain::audit::{AuditEvent, NewAuditEvent};
        use crate::domain::codes::HashCost;
        use crate::domain::institution::{Institution, TwoFactorMethod};
        use crate::domain::notice::Notice;
        use crate::domain::user::{Device, User, UserId};
        use crate::store::sql::{self, AUDIT_COLUMNS, INSERT_AUDIT, INSERT_NOTICE, LOCK_USER, USER_COLUMNS};
        use crate::store::{
            Backend, BatchKey, BatchSummary, NewBatch, NewUser, Notification, ProfileUpdate, Reservation,
            StaffCredentials, Store, StoreError, StoreResult, Throttle, UserQuery,
        };

        type Conn = <$db as sqlx::Database>::Connection;
        type DbRow = <$db as sqlx::Database>::Row;

        fn user_from_row(row: &DbRow) -> StoreResult<User> {
            sql::user_from_parts(
                row.try_get("id")?,
                &row.try_get::<String, _>("kind")?,
                row.try_get("username")?,
                row.try_get("first_name")?,
                row.try_get("last_name")?,
                row.try_get("email")?,
                row.try_get("phone")?,
                &row.try_get::<String, _>("enrolment")?,
                row.try_get("staff_role")?,
                row.try_get("created_at")?,
            )
        }

        fn audit_from_row(row: &DbRow) -> StoreResult<AuditEvent> {
            Ok(sql::audit_from_parts(
                row.try_get("id")?,
                row.try_get("at")?,
                row.try_get("actor_id")?,
                row.try_get("actor")?,
                row.try_get("target_id")?,
                row.try_get("target")?,
                row.try_get("action")?,
                row.try_get("identity_check")?,
                row.try_get("note")?,
                row.try_get("code_count")?,
                row.try_get("expires_at")?,
                row.try_get("detail")?,
            ))
        }

        async fn insert_audit(conn: &mut Conn, e: &NewAuditEvent) -> StoreResult<()> {
            let (at, actor_id, actor, target_id, target, action, check) = sql::audit_binds(e);
            sqlx::query(INSERT_AUDIT)
                .bind(at)
                .bind(actor_id)
                .bind(actor)
                .bind(target_id)
                .bind(target)
                .bind(action)
                .bind(check)
                .bind(e.note.as_deref())
                .bind(e.code_count)
                .bind(e.expires_at)
                .bind(e.detail.as_deref())
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        async fn insert_notices(conn: &mut Conn, at: i64, notices: &[Notice]) -> StoreResult<()> {
            for n in notices {
                sqlx::query(INSERT_NOTICE)
                    .bind(at)
                    .bind(n.user_id)
                    .bind(n.channel)
                    .bind(&n.address)
                    .bind(n.kind)
                    .bind(&n.body)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        async fn permissions_of(conn: &mut Conn, user: UserId) -> StoreResult<Vec<String>> {
            let rows = sqlx::query("SELECT permission FROM staff_permissions WHERE user_id = $1")
                .bind(user)
                .fetch_all(&mut *conn)
                .await?;
            rows.iter().map(|r| r.try_get::<String, _>("permission").map_err(Into::into)).collect()
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> Backend {
                Self::BACKEND
            }

            async fn institution(&self) -> StoreResult<Institution> {
                let row = sqlx::query("SELECT id, name FROM institutions ORDER BY id LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("no institution is configured; run `helpdesk migrate`".into()))?;
                let id: i64 = row.try_get("id")?;
                let methods = sqlx::query("SELECT method FROM institution_2fa_methods WHERE institution_id = $1")
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?;
                let mut permitted = Vec::new();
                for m in methods {
                    let name: String = m.try_get("method")?;
                    permitted.push(
                        TwoFactorMethod::parse(&name)
                            .ok_or_else(|| StoreError::Corrupt(format!("2FA method {name:?}")))?,
                    );
                }
                permitted.sort();
                Ok(Institution { id, name: row.try_get("name")?, permitted })
            }

            async fn set_permitted_methods(&self, methods: &[TwoFactorMethod], audit: &NewAuditEvent) -> StoreResult<()> {
                let institution = self.institution().await?;
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM institution_2fa_methods WHERE institution_id = $1")
                    .bind(institution.id)
                    .execute(&mut *tx)
                    .await?;
                for m in methods {
                    sqlx::query("INSERT INTO institution_2fa_methods (institution_id, method) VALUES ($1, $2)")
                        .bind(institution.id)
                        .bind(m.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                insert_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map(user_from_row).transpose()
            }

            async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
                let row = sqlx::query(&sql).bind(username.to_lowercase()).fetch_optional(&self.pool).await?;
                row.as_ref().map(user_from_row).transpose()
            }

            async fn search_users(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
                let text = query.text.trim().to_lowercase();
                let (after_key, after_id) = query.after.clone().unwrap_or_default();
                let after_id = if query.after.is_some() { after_id } else { i64::MIN };
                let rows = if text.is_empty() {
                    let sql = format!(
                        "SELECT {USER_COLUMNS} FROM users \
                         WHERE sort_key > $1 OR (sort_key = $1 AND id > $2) \
                         ORDER BY sort_key, id LIMIT $3"
                    );
                    sqlx::query(&sql).bind(&after_key).bind(after_id).bind(query.limit).fetch_all(&self.pool).await?
                } else {
                    let digits = sql::phone_prefix(&text);
                    let sql = sql::search_sql();
                    let (digits_from, digits_to) = if digits.is_empty() {
                        (String::from("~"), String::from("~"))
                    } else {
                        (digits.clone(), sql::prefix_end(&digits))
                    };
                    sqlx::query(sql)
                        .bind(&text)
                        .bind(sql::prefix_end(&text))
                        .bind(digits_from)
                        .bind(digits_to)
                        .bind(&after_key)
                        .bind(after_id)
                        .bind(query.limit)
                        .bind(sql::SEARCH_CANDIDATES)
                        .fetch_all(&self.pool)
                        .await?
                };
                rows.iter().map(user_from_row).collect()
            }

            async fn count_users(&self) -> StoreResult<i64> {
                Ok(sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&self.pool).await?.try_get("n")?)
            }

            async fn analyze(&self) -> StoreResult<()> {
                sqlx::raw_sql(Self::ANALYZE).execute(&self.pool).await?;
                Ok(())
            }

            async fn count_staff(&self) -> StoreResult<i64> {
                let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE kind = 'staff'").fetch_one(&self.pool).await?;
                Ok(row.try_get("n")?)
            }

            async fn devices(&self, user: UserId) -> StoreResult<Vec<Device>> {
                let rows = sqlx::query("SELECT method, label, added_at FROM two_factor_devices WHERE user_id = $1 ORDER BY id")
                    .bind(user)
                    .fetch_all(&self.pool)
                    .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let method: String = r.try_get("method")?;
                    out.push(Device {
                        method: TwoFactorMethod::parse(&method)
                            .ok_or_else(|| StoreError::Corrupt(format!("2FA method {method:?}")))?,
                        label: r.try_get("label")?,
                        added_at: r.try_get("added_at")?,
                    });
                }
                Ok(out)
            }

            async fn update_profile(&self, user: UserId, update: &ProfileUpdate, audit: &NewAuditEvent) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "UPDATE users SET first_name = $2, last_name = $3, sort_key = $4, first_key = $5, \
                     email = $6, phone = $7, phone_digits = $8, updated_at = $9 WHERE id = $1",
                )
                .bind(user)
                .bind(&update.first_name)
                .bind(&update.last_name)
                .bind(crate::domain::user::sort_key(&update.first_name, &update.last_name))
                .bind(sql::first_key(&update.first_name))
                .bind(&update.email)
                .bind(&update.phone)
                .bind(sql::phone_digits(&update.phone))
                .bind(audit.at)
                .execute(&mut *tx)
                .await?;
                insert_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn insert_users(&self, users: &[NewUser], audit: Option<&NewAuditEvent>) -> StoreResult<Vec<UserId>> {
                let institution: i64 = sqlx::query("SELECT id FROM institutions ORDER BY id LIMIT 1")
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("id")?;
                let mut tx = self.begin_write().await?;
                let mut ids = Vec::with_capacity(users.len());
                // Many rows per statement: 1,000,000 demo users in well under two minutes.
                const ROWS: usize = 400;
                for chunk in users.chunks(ROWS) {
                    let sql = format!(
                        "INSERT INTO users (institution_id, kind, username, first_name, last_name, sort_key, first_key, \
                         email, phone, phone_digits, enrolment, staff_role, password_hash, created_at, updated_at) \
                         VALUES {} RETURNING id",
                        sql::placeholders(chunk.len(), 15, Self::bulk_param)
                    );
                    let mut q = sqlx::query(&sql);
                    for u in chunk {
                        q = q
                            .bind(institution)
                            .bind(u.kind.as_str())
                            .bind(u.username.to_lowercase())
                            .bind(&u.first_name)
                            .bind(&u.last_name)
                            .bind(crate::domain::user::sort_key(&u.first_name, &u.last_name))
                            .bind(sql::first_key(&u.first_name))
                            .bind(u.email.to_lowercase())
                            .bind(&u.phone)
                            .bind(sql::phone_digits(&u.phone))
                            .bind(u.enrolment.as_str())
                            .bind(u.role.map(|r| r.as_str()))
                            .bind(u.password_hash.as_deref())
                            .bind(u.created_at)
                            .bind(u.created_at);
                    }
                    let rows = q.fetch_all(&mut *tx).await.map_err(|e| match &e {
                        sqlx::Error::Database(d) if d.is_unique_violation() => {
                            StoreError::UsernameTaken(if chunk.len() == 1 { chunk[0].username.clone() } else { "in this batch".into() })
                        }
                        _ => e.into(),
                    })?;
                    // Both backends return the ids of one multi-row insert in row order.
                    for r in rows {
                        ids.push(r.try_get::<i64, _>("id")?);
                    }
                }
                let devices: Vec<(i64, &str, &str, i64)> = users
                    .iter()
                    .zip(&ids)
                    .flat_map(|(u, id)| u.devices.iter().map(move |(m, label)| (*id, m.as_str(), label.as_str(), u.created_at)))
                    .collect();
                for chunk in devices.chunks(ROWS) {
                    let sql = format!(
                        "INSERT INTO two_factor_devices (user_id, method, label, added_at) VALUES {}",
                        sql::placeholders(chunk.len(), 4, Self::bulk_param)
                    );
                    let mut q = sqlx::query(&sql);
                    for (id, method, label, at) in chunk {
                        q = q.bind(*id).bind(*method).bind(*label).bind(*at);
                    }
                    q.execute(&mut *tx).await?;
                }
                for (u, id) in users.iter().zip(&ids) {
                    for p in &u.permissions {
                        sqlx::query("INSERT INTO staff_permissions (user_id, permission) VALUES ($1, $2)")
                            .bind(*id)
                            .bind(p.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                if let Some(audit) = audit {
                    let mut audit = audit.clone();
                    if audit.target_id.is_none() {
                        audit.target_id = ids.first().copied();
                    }
                    insert_audit(&mut tx, &audit).await?;
                }
                tx.commit().await?;
                Ok(ids)
            }

            async fn staff_credentials(&self, username: &str) -> StoreResult<Option<StaffCredentials>> {
                let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1 AND kind = 'staff'");
                let mut conn = self.pool.acquire().await?;
                let Some(row) = sqlx::query(&sql).bind(username.to_lowercase()).fetch_optional(&mut *conn).await? else {
                    return Ok(None);
                };
                let user = user_from_row(&row)?;
                let permissions = permissions_of(&mut conn, user.id).await?;
                let staff = sql::staff_from(&user, permissions)
                    .ok_or_else(|| StoreError::Corrupt(format!("staff user {} has no role", user.username)))?;
                Ok(Some(StaffCredentials { password_hash: row.try_get("password_hash")?, user, staff }))
            }

            async fn staff(&self, id: UserId) -> StoreResult<Option<Staff>> {
                let Some(user) = self.user(id).await? else { return Ok(None) };
                let mut conn = self.pool.acquire().await?;
                let permissions = permissions_of(&mut conn, id).await?;
                Ok(sql::staff_from(&user, permissions))
            }

            async fn set_permission(&self, staff: UserId, permission: Permission, granted: bool, audit: &NewAuditEvent) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM staff_permissions WHERE user_id = $1 AND permission = $2")
                    .bind(staff)
                    .bind(permission.as_str())
                    .execute(&mut *tx)
                    .await?;
                if granted {
                    sqlx::query("INSERT INTO staff_permissions (user_id, permission) VALUES ($1, $2)")
                        .bind(staff)
                        .bind(permission.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                insert_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn start_session(&self, staff: UserId, now: i64, audit: &NewAuditEvent) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query("INSERT INTO staff_sessions (staff_id, started_at) VALUES ($1, $2) RETURNING id")
                    .bind(staff)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
                insert_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn session_open(&self, session: i64) -> StoreResult<bool> {
                let row = sqlx::query("SELECT ended_at FROM staff_sessions WHERE id = $1")
                    .bind(session)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(r) => r.try_get::<Option<i64>, _>("ended_at")?.is_none(),
                    None => false,
                })
            }

            async fn end_session(&self, session: i64, now: i64, audit: &NewAuditEvent) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE staff_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL")
                    .bind(session)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                insert_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_password(&self, staff: UserId, hash: &str, now: i64, audit: &NewAuditEvent) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
                    .bind(staff)
                    .bind(hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE staff_sessions SET ended_at = $2 WHERE staff_id = $1 AND ended_at IS NULL")
                    .bind(staff)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                insert_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn reserve_attempt(&self, user: UserId, throttle: Throttle, now: i64, max: i64, lockout_secs: i64) -> StoreResult<Reservation> {
                let row = sqlx::query(sql::reserve_sql(throttle))
                    .bind(user)
                    .bind(now)
                    .bind(max)
                    .bind(lockout_secs)
                    .fetch_optional(&self.pool)
                    .await?;
                if let Some(row) = row {
                    let attempt: i64 = row.try_get(0)?;
                    let locked: Option<i64> = row.try_get(1)?;
                    return Ok(Reservation::Granted { attempt, locks: locked.is_some() });
                }
                let until: Option<i64> = sqlx::query(sql::locked_until_sql(throttle))
                    .bind(user)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?
                    .flatten();
                Ok(Reservation::Locked { until: until.unwrap_or(now) })
            }

            async fn clear_failures(&self, user: UserId, throttle: Throttle) -> StoreResult<()> {
                sqlx::query(sql::clear_sql(throttle)).bind(user).execute(&self.pool).await?;
                Ok(())
            }

            async fn code_state(&self, user: UserId, now: i64) -> StoreResult<Option<BatchSummary>> {
                let row = sqlx::query(
                    "SELECT b.id, b.created_at, b.expires_at, b.code_count, b.identity_check, g.username AS generated_by, \
                     (SELECT COUNT(*) FROM backup_codes c WHERE c.batch_id = b.id AND c.used_at IS NULL) AS unused \
                     FROM backup_code_batches b JOIN users g ON g.id = b.generated_by \
                     WHERE b.user_id = $1 AND b.revoked_at IS NULL AND (b.expires_at IS NULL OR b.expires_at > $2)",
                )
                .bind(user)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    Ok(BatchSummary {
                        id: r.try_get("id")?,
                        created_at: r.try_get("created_at")?,
                        expires_at: r.try_get("expires_at")?,
                        generated_by: r.try_get("generated_by")?,
                        code_count: r.try_get("code_count")?,
                        unused: r.try_get("unused")?,
                        identity_check: r.try_get("identity_check")?,
                    })
                })
                .transpose()
            }

            async fn store_batch(&self, batch: &NewBatch<'_>, audit: &NewAuditEvent, notices: &[Notice]) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                sqlx::query(LOCK_USER).bind(batch.user_id).execute(&mut *tx).await?;
                sqlx::query("UPDATE backup_code_batches SET revoked_at = $2, revoked_by = $3 WHERE user_id = $1 AND revoked_at IS NULL")
                    .bind(batch.user_id)
                    .bind(batch.created_at)
                    .bind(batch.generated_by)
                    .execute(&mut *tx)
                    .await?;
                let id: i64 = sqlx::query(
                    "INSERT INTO backup_code_batches (user_id, generated_by, created_at, expires_at, salt, argon2_m, argon2_t, \
                     argon2_p, code_count, identity_check, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
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
                .await?
                .try_get("id")?;
                for hash in batch.hashes {
                    sqlx::query("INSERT INTO backup_codes (batch_id, code_hash) VALUES ($1, $2)")
                        .bind(id)
                        .bind(&hash[..])
                        .execute(&mut *tx)
                        .await?;
                }
                insert_audit(&mut tx, audit).await?;
                insert_notices(&mut tx, batch.created_at, notices).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn revoke_batch(&self, user: UserId, by: UserId, now: i64, audit: &NewAuditEvent, notices: &[Notice]) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                sqlx::query(LOCK_USER).bind(user).execute(&mut *tx).await?;
                let revoked = sqlx::query(
                    "UPDATE backup_code_batches SET revoked_at = $2, revoked_by = $3 WHERE user_id = $1 AND revoked_at IS NULL",
                )
                .bind(user)
                .bind(now)
                .bind(by)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if revoked == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                insert_audit(&mut tx, audit).await?;
                insert_notices(&mut tx, now, notices).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn active_batch_key(&self, user: UserId, now: i64) -> StoreResult<Option<BatchKey>> {
                let row = sqlx::query(
                    "SELECT id, salt, argon2_m, argon2_t, argon2_p FROM backup_code_batches \
                     WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
                )
                .bind(user)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    let cost = |name: &str| -> StoreResult<u32> {
                        u32::try_from(r.try_get::<i64, _>(name)?).map_err(|_| StoreError::Corrupt(format!("batch {name}")))
                    };
                    Ok(BatchKey {
                        id: r.try_get("id")?,
                        salt: r.try_get("salt")?,
                        cost: HashCost { memory_kib: cost("argon2_m")?, iterations: cost("argon2_t")?, parallelism: cost("argon2_p")? },
                    })
                })
                .transpose()
            }

            async fn consume_code(&self, batch: i64, hash: &[u8], now: i64, audit: &NewAuditEvent, notices: &[Notice]) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                // The one conditional update that makes a code single-use.
                let used = sqlx::query(
                    "UPDATE backup_codes SET used_at = $3 WHERE batch_id = $1 AND code_hash = $2 AND used_at IS NULL \
                     AND EXISTS (SELECT 1 FROM backup_code_batches b WHERE b.id = $1 AND b.revoked_at IS NULL \
                                 AND (b.expires_at IS NULL OR b.expires_at > $3))",
                )
                .bind(batch)
                .bind(hash)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if used != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                if let Some(user) = audit.target_id {
                    sqlx::query(sql::clear_sql(Throttle::Codes)).bind(user).execute(&mut *tx).await?;
                    sqlx::query("UPDATE users SET enrolment = 'enrolled' WHERE id = $1").bind(user).execute(&mut *tx).await?;
                }
                insert_audit(&mut tx, audit).await?;
                insert_notices(&mut tx, now, notices).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn append_audit(&self, events: &[NewAuditEvent]) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                for e in events {
                    insert_audit(&mut tx, e).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn audit_events(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditEvent>> {
                let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2");
                let rows = sqlx::query(&sql).bind(after).bind(limit).fetch_all(&self.pool).await?;
                rows.iter().map(audit_from_row).collect()
            }

            async fn recent_audit(&self, target: Option<UserId>, limit: i64) -> StoreResult<Vec<AuditEvent>> {
                let rows = match target {
                    Some(t) => {
                        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events WHERE target_id = $1 ORDER BY id DESC LIMIT $2");
                        sqlx::query(&sql).bind(t).bind(limit).fetch_all(&self.pool).await?
                    }
                    None => {
                        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events ORDER BY id DESC LIMIT $1");
                        sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?
                    }
                };
                rows.iter().map(audit_from_row).collect()
            }

            async fn notifications(&self, user: UserId) -> StoreResult<Vec<Notification>> {
                let rows = sqlx::query(
                    "SELECT id, created_at, user_id, channel, address, kind, body FROM notification_outbox WHERE user_id = $1 ORDER BY id",
                )
                .bind(user)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Notification {
                            id: r.try_get("id")?,
                            created_at: r.try_get("created_at")?,
                            user_id: r.try_get("user_id")?,
                            channel: r.try_get("channel")?,
                            address: r.try_get("address")?,
                            kind: r.try_get("kind")?,
                            body: r.try_get("body")?,
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use store_impl;
