//! Rows as the database returns them, and their conversion into the domain's types. The
//! domain's types know nothing of sqlx; a value the domain does not know (a kind, a
//! method, a role) is `StoreError::Corrupt`, never a panic or a default.

use crate::domain::access::{Permission, Staff};
use crate::domain::audit::AuditEvent;
use crate::domain::audit_chain::ChainHead;
use crate::domain::codes::HashCost;
use crate::domain::institution::TwoFactorMethod;
use crate::domain::phone::StoredForm;
use crate::domain::risk::{RecentCodes, RiskSignals};
use crate::domain::time;
use crate::domain::user::{Device, Enrolment, StaffRole, User, UserKind};
use crate::store::{BatchKey, StoreError};

/// The columns of `users` that make a `User`.
#[derive(sqlx::FromRow)]
pub struct UserRow {
    id: i64,
    kind: String,
    username: String,
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    /// Absent from a statement that does not read them: the number is formatted again.
    #[sqlx(default)]
    phone_grouped: Option<String>,
    #[sqlx(default)]
    phone_region: Option<String>,
    enrolment: String,
    staff_role: Option<String>,
    created_at: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("{what} {value:?}"));
        Ok(User {
            id: r.id,
            kind: UserKind::parse(&r.kind).ok_or_else(|| corrupt("user kind", &r.kind))?,
            username: r.username,
            first_name: r.first_name,
            last_name: r.last_name,
            email: r.email,
            phone: r.phone,
            phone_form: StoredForm { grouped: r.phone_grouped, region: r.phone_region },
            enrolment: Enrolment::parse(&r.enrolment).ok_or_else(|| corrupt("enrolment state", &r.enrolment))?,
            role: match r.staff_role {
                Some(role) => Some(StaffRole::parse(&role).ok_or_else(|| corrupt("staff role", &role))?),
                None => None,
            },
            created_at: r.created_at,
        })
    }
}

/// A member of staff as sign-in reads them: the user and the password hash.
#[derive(sqlx::FromRow)]
pub struct StaffRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub password_hash: Option<String>,
    pub disabled_at: Option<i64>,
}

/// A line of the Staff pane, before its permissions are joined in.
#[derive(sqlx::FromRow)]
pub struct StaffMemberRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub disabled_at: Option<i64>,
    pub login_locked_until: Option<i64>,
    pub last_sign_in: Option<i64>,
    pub open_sessions: i64,
}

/// The risk signals as `RISK_SIGNALS` returns them.
#[derive(sqlx::FromRow)]
pub struct RiskRow {
    kind: String,
    recent_codes_at: Option<i64>,
    recent_codes_by: Option<String>,
    code_failures: i64,
    codes_locked_until: Option<i64>,
    email_permitted: i64,
}

impl From<RiskRow> for RiskSignals {
    fn from(r: RiskRow) -> Self {
        RiskSignals {
            contact_changes: Vec::new(),
            recent_codes: r.recent_codes_at.zip(r.recent_codes_by).map(|(at, by)| RecentCodes { by, at }),
            failed_redemptions: r.code_failures,
            codes_locked_until: r.codes_locked_until,
            staff_target: r.kind == UserKind::Staff.as_str(),
            email_permitted: r.email_permitted > 0,
        }
    }
}

/// The staff side of a user; `None` for a user without a role (a customer).
pub fn staff_from(user: &User, permissions: &[String]) -> Option<Staff> {
    Some(Staff {
        id: user.id,
        username: user.username.clone(),
        role: user.role?,
        permissions: permissions.iter().filter_map(|p| Permission::parse(p)).collect(),
    })
}

#[derive(sqlx::FromRow)]
pub struct InstitutionRow {
    pub id: i64,
    pub name: String,
}

pub fn two_factor_method(name: &str) -> Result<TwoFactorMethod, StoreError> {
    TwoFactorMethod::parse(name).ok_or_else(|| StoreError::Corrupt(format!("2FA method {name:?}")))
}

#[derive(sqlx::FromRow)]
pub struct DeviceRow {
    method: String,
    label: String,
    added_at: i64,
}

impl TryFrom<DeviceRow> for Device {
    type Error = StoreError;

    fn try_from(r: DeviceRow) -> Result<Self, StoreError> {
        Ok(Device { method: two_factor_method(&r.method)?, label: r.label, added_at: r.added_at })
    }
}

/// A batch's key as stored: its id, salt and argon2 cost.
struct BatchKeyRow {
    id: i64,
    salt: Vec<u8>,
    argon2_m: i64,
    argon2_t: i64,
    argon2_p: i64,
}

/// `codes::REDEMPTION_SUBJECT`: a user and, when there is one, their active batch's key.
#[derive(sqlx::FromRow)]
pub struct RedemptionSubjectRow {
    #[sqlx(flatten)]
    user: UserRow,
    batch_id: Option<i64>,
    salt: Option<Vec<u8>>,
    argon2_m: Option<i64>,
    argon2_t: Option<i64>,
    argon2_p: Option<i64>,
}

impl TryFrom<RedemptionSubjectRow> for (User, Option<BatchKey>) {
    type Error = StoreError;

    fn try_from(r: RedemptionSubjectRow) -> Result<Self, StoreError> {
        let key = match (r.batch_id, r.salt, r.argon2_m, r.argon2_t, r.argon2_p) {
            (Some(id), Some(salt), Some(argon2_m), Some(argon2_t), Some(argon2_p)) => {
                Some(BatchKey::try_from(BatchKeyRow { id, salt, argon2_m, argon2_t, argon2_p })?)
            }
            (None, ..) => None,
            _ => return Err(StoreError::Corrupt("a batch without its salt or cost".into())),
        };
        Ok((User::try_from(r.user)?, key))
    }
}

impl TryFrom<BatchKeyRow> for BatchKey {
    type Error = StoreError;

    fn try_from(r: BatchKeyRow) -> Result<Self, StoreError> {
        let cost =
            |value: i64, name: &str| u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("batch {name}")));
        Ok(BatchKey {
            id: r.id,
            salt: r.salt,
            cost: HashCost {
                memory_kib: cost(r.argon2_m, "argon2_m")?,
                iterations: cost(r.argon2_t, "argon2_t")?,
                parallelism: cost(r.argon2_p, "argon2_p")?,
            },
        })
    }
}

/// An audit event as stored; every value is kept as it is, so the conversion cannot fail.
#[derive(sqlx::FromRow)]
pub struct AuditRow {
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
    batch_id: Option<i64>,
    chain_hash: Option<Vec<u8>>,
}

impl From<AuditRow> for AuditEvent {
    fn from(r: AuditRow) -> Self {
        AuditEvent {
            id: r.id,
            at: r.at,
            at_utc: time::format_rfc3339(r.at),
            actor_id: r.actor_id,
            actor: r.actor,
            target_id: r.target_id,
            target: r.target,
            action: r.action,
            identity_check: r.identity_check,
            note: r.note,
            code_count: r.code_count,
            expires_at: r.expires_at,
            batch_id: r.batch_id,
            chain_hash: r.chain_hash.as_deref().map(crate::domain::audit_chain::hex),
            detail: r.detail,
        }
    }
}

/// An audit event with the hash it was stored with, for verifying the chain.
#[derive(sqlx::FromRow)]
pub struct ChainedAuditRow {
    #[sqlx(flatten)]
    pub event: AuditRow,
    pub chain_hash: Option<Vec<u8>>,
}

#[derive(sqlx::FromRow)]
pub struct ChainHeadRow {
    pub last_id: i64,
    pub last_hash: Vec<u8>,
    pub starts_after: i64,
    pub keyed_after: i64,
}

impl TryFrom<ChainHeadRow> for ChainHead {
    type Error = StoreError;

    fn try_from(r: ChainHeadRow) -> Result<Self, StoreError> {
        let last_hash =
            r.last_hash.try_into().map_err(|_| StoreError::Corrupt("the audit chain head's hash".into()))?;
        Ok(ChainHead { last_id: r.last_id, last_hash, starts_after: r.starts_after, keyed_after: r.keyed_after })
    }
}

/// A row of `serve_clients` with its creator's username.
#[derive(sqlx::FromRow)]
pub struct ServeClientRow {
    id: i64,
    name: String,
    created_at: i64,
    created_by: String,
    revoked_at: Option<i64>,
}

impl From<ServeClientRow> for crate::domain::serve_client::ServeClient {
    fn from(r: ServeClientRow) -> Self {
        Self { id: r.id, name: r.name, created_at: r.created_at, created_by: r.created_by, revoked_at: r.revoked_at }
    }
}
