//! The help desk's operations: each one checks the session, applies the domain's rules
//! and then asks the store. The UI and the CLI call these and nothing below them.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::domain::access::{self, Permission, Refusal, Staff};
use crate::domain::audit::{AuditAction, AuditEvent, IdentityCheck, NewAuditEvent};
use crate::domain::codes::{self, BackupCode, CodeError, CodePolicy, HashCost};
use crate::domain::institution::{Institution, TwoFactorMethod};
use crate::domain::notice::notices_for;
use crate::domain::password;
use crate::domain::profile::{self, ProfileError};
use crate::domain::time;
use crate::domain::user::{Device, Enrolment, StaffRole, User, UserId, UserKind};
use crate::store::{
    BatchSummary, NewBatch, NewUser, ProfileUpdate, Reservation, StaffCredentials, Store, StoreError, Throttle,
    UserQuery,
};
use crate::texts::texts;

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("{0}")]
    Profile(#[from] ProfileError),
    #[error("{0}")]
    Code(#[from] CodeError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("Wrong username or password.")]
    BadCredentials,
    #[error("Too many failed sign-ins. Try again after {}.", time::format_utc(*until))]
    LoginLocked { until: i64 },
    #[error("Your session has ended (your password was changed or you signed out). Sign in again.")]
    SessionEnded,
    #[error("No such user.")]
    NoSuchUser,
    #[error("This user has no active backup codes.")]
    NoActiveBatch,
    #[error("The current password is wrong.")]
    WrongPassword,
    #[error("Choosing \"Other\" needs a note that says how identity was verified.")]
    NoteRequired,
    #[error("The note is too long (at most {0} characters).")]
    NoteTooLong(usize),
    #[error("The note may hold only printable text.")]
    NoteNotText,
    #[error("A phone number is written in international form, like +447700900123.")]
    Phone,
    #[error("Username: 3 to 64 characters: lower-case letters, digits, dot, hyphen, underscore.")]
    Username,
    #[error("internal error: {0}")]
    Internal(String),
}

pub type DeskResult<T> = Result<T, DeskError>;

/// Failed-attempt limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub redeem_max_failures: i64,
    pub redeem_lockout_secs: i64,
    pub login_max_failures: i64,
    pub login_lockout_secs: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            redeem_max_failures: 10,
            redeem_lockout_secs: 15 * 60,
            login_max_failures: 5,
            login_lockout_secs: 15 * 60,
        }
    }
}

/// A signed-in member of staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub staff: Staff,
    pub name: String,
}

/// The codes of a batch that has been committed, for the one-time view. Dropping it wipes
/// the codes: each is held in a buffer that zeroes itself.
#[derive(Debug)]
pub struct IssuedCodes {
    pub batch_id: i64,
    pub codes: Vec<BackupCode>,
    pub expires_at: Option<i64>,
}

/// The outcome of one redemption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    Accepted,
    Rejected,
    Locked { until: i64 },
}

/// Everything the user detail pane shows.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub user: User,
    pub devices: Vec<Device>,
    pub institution: Institution,
    pub codes: Option<BatchSummary>,
    /// Whether the signed-in staff may generate or revoke, and if not, why.
    pub may_manage_codes: Result<(), Refusal>,
    pub may_edit_profile: Result<(), Refusal>,
}

pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub const NOTE_MAX: usize = 500;

#[derive(Clone)]
pub struct HelpDesk {
    store: Arc<dyn Store>,
    policy: CodePolicy,
    password_cost: HashCost,
    limits: Limits,
    clock: Clock,
}

impl HelpDesk {
    pub fn new(store: Arc<dyn Store>, policy: CodePolicy, password_cost: HashCost, limits: Limits) -> Self {
        Self { store, policy, password_cost, limits, clock: Arc::new(time::now) }
    }

    /// Replaces the clock, for tests of expiry and lockout.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn policy(&self) -> &CodePolicy {
        &self.policy
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    // ----- staff sign-in -------------------------------------------------------------

    pub async fn login(&self, username: &str, password: Zeroizing<String>) -> DeskResult<Session> {
        let now = self.now();
        let creds = self.check_password(username, password, now).await?;
        let user = &creds.user;
        let event = NewAuditEvent::new(now, AuditAction::StaffLogin).actor(user.id, &user.username);
        let id = self.store.start_session(user.id, now, &event).await?;
        tracing::info!(staff = %user.username, session = id, "staff signed in");
        Ok(Session { id, staff: creds.staff, name: user.full_name() })
    }

    /// The password check shared by sign-in and unlock: throttled, and every failure audited.
    async fn check_password(
        &self,
        username: &str,
        password: Zeroizing<String>,
        now: i64,
    ) -> DeskResult<StaffCredentials> {
        let username = username.trim().to_lowercase();
        let Some(creds) = self.store.staff_credentials(&username).await? else {
            let cost = self.password_cost;
            blocking(move || password::verify_nothing(&cost, &password)).await?;
            // What was typed is not recorded: people type passwords into username fields.
            let event = NewAuditEvent::new(now, AuditAction::StaffLoginFailed)
                .detail(format!("unknown username ({} characters)", username.chars().count()));
            self.store.append_audit(&[event]).await?;
            return Err(DeskError::BadCredentials);
        };
        let user = &creds.user;
        let failed = |detail: String| {
            NewAuditEvent::new(now, AuditAction::StaffLoginFailed).actor(user.id, &user.username).detail(detail)
        };
        let reservation = self
            .store
            .reserve_attempt(
                user.id,
                Throttle::Login,
                now,
                self.limits.login_max_failures,
                self.limits.login_lockout_secs,
            )
            .await?;
        let locks = match reservation {
            Reservation::Locked { until } => {
                self.store.append_audit(&[failed("refused while locked".into())]).await?;
                return Err(DeskError::LoginLocked { until });
            }
            Reservation::Granted { locks, .. } => locks,
        };
        let stored = creds.password_hash.clone().unwrap_or_default();
        let ok = blocking(move || password::verify(&stored, &password)).await?;
        if !ok {
            let mut events = vec![failed("wrong password".into())];
            if locks {
                events.push(
                    NewAuditEvent::new(now, AuditAction::StaffLoginLocked)
                        .actor(user.id, &user.username)
                        .detail(format!("{} failures", self.limits.login_max_failures)),
                );
            }
            self.store.append_audit(&events).await?;
            return Err(DeskError::BadCredentials);
        }
        self.store.clear_failures(user.id, Throttle::Login).await?;
        Ok(creds)
    }

    pub async fn logout(&self, session: &Session) -> DeskResult<()> {
        let event =
            NewAuditEvent::new(self.now(), AuditAction::StaffLogout).actor(session.staff.id, &session.staff.username);
        self.store.end_session(session.id, self.now(), &event).await?;
        Ok(())
    }

    /// Checks the session is still open and reads the actor's role and permissions
    /// afresh, so that a permission removed a minute ago is no longer honoured.
    async fn actor(&self, session: &Session) -> DeskResult<Staff> {
        if !self.store.session_open(session.id).await? {
            return Err(DeskError::SessionEnded);
        }
        self.store.staff(session.staff.id).await?.ok_or(DeskError::SessionEnded)
    }

    /// Re-authenticates an idle-locked session with the password; the session stays the same.
    pub async fn unlock(&self, session: &Session, password: Zeroizing<String>) -> DeskResult<()> {
        self.actor(session).await?;
        let now = self.now();
        self.check_password(&session.staff.username, password, now).await?;
        let event = NewAuditEvent::new(now, AuditAction::StaffLogin)
            .actor(session.staff.id, &session.staff.username)
            .detail("unlocked after inactivity");
        self.store.append_audit(&[event]).await?;
        Ok(())
    }

    // ----- Manage Users and user detail ----------------------------------------------

    pub async fn search(&self, session: &Session, query: &UserQuery) -> DeskResult<Vec<User>> {
        self.actor(session).await?;
        Ok(self.store.search_users(query).await?)
    }

    pub async fn user_detail(&self, session: &Session, id: UserId) -> DeskResult<UserDetail> {
        let actor = self.actor(session).await?;
        let user = self.store.user(id).await?.ok_or(DeskError::NoSuchUser)?;
        Ok(UserDetail {
            devices: self.store.devices(id).await?,
            institution: self.store.institution().await?,
            codes: self.store.code_state(id, self.now()).await?,
            may_manage_codes: access::may_manage_codes(&actor, &user),
            may_edit_profile: access::may_edit_profile(&actor, &user),
            user,
        })
    }

    // ----- backup codes --------------------------------------------------------------

    /// Generates a batch for `target`. The codes are handed back only after the batch,
    /// its audit event and its notices have committed.
    pub async fn generate_codes(
        &self,
        session: &Session,
        target: UserId,
        check: IdentityCheck,
        note: Option<String>,
    ) -> DeskResult<IssuedCodes> {
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        access::may_manage_codes(&actor, &user)?;
        let note = clean_note(note)?;
        if check == IdentityCheck::Other && note.is_none() {
            return Err(DeskError::NoteRequired);
        }
        let policy = self.policy.clone();
        let batch = blocking(move || codes::generate(&policy)).await??;
        let now = self.now();
        let expires_at = self.policy.expiry_secs().map(|s| now + s);
        let mut audit = NewAuditEvent::new(now, AuditAction::BackupCodesGenerated)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username);
        audit.identity_check = Some(check);
        audit.note = note.clone();
        audit.code_count = Some(batch.codes.len() as i64);
        audit.expires_at = expires_at;
        let notices = notices_for(&user, "backup_codes_generated", &texts().notifications.generated);
        let batch_id = self
            .store
            .store_batch(
                &NewBatch {
                    user_id: user.id,
                    generated_by: actor.id,
                    created_at: now,
                    expires_at,
                    salt: &batch.salt,
                    cost: self.policy.cost(),
                    hashes: &batch.hashes,
                    identity_check: check,
                    note,
                },
                &audit,
                &notices,
            )
            .await?;
        tracing::info!(batch_id, actor = %actor.username, target = %user.username, count = batch.codes.len(), "backup codes generated");
        let mut batch = batch;
        Ok(IssuedCodes { batch_id, codes: std::mem::take(&mut batch.codes), expires_at })
    }

    pub async fn revoke_codes(&self, session: &Session, target: UserId) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        access::may_manage_codes(&actor, &user)?;
        let now = self.now();
        let audit = NewAuditEvent::new(now, AuditAction::BackupCodesRevoked)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username);
        let notices = notices_for(&user, "backup_codes_revoked", &texts().notifications.revoked);
        if self.store.revoke_batch(user.id, actor.id, now, &audit, &notices).await? {
            tracing::info!(actor = %actor.username, target = %user.username, "backup codes revoked");
            Ok(())
        } else {
            Err(DeskError::NoActiveBatch)
        }
    }

    /// What the Digital Banking login does with a typed code: one argon2 evaluation,
    /// one conditional update, throttled and audited.
    pub async fn redeem(&self, username: &str, typed: Zeroizing<String>) -> DeskResult<Redemption> {
        let now = self.now();
        let username = username.trim().to_lowercase();
        let rejected = |detail: String| NewAuditEvent::new(now, AuditAction::BackupCodeRejected).detail(detail);
        let Some(user) = self.store.user_by_username(&username).await? else {
            let mut event = rejected("unknown username".into());
            event.target = username;
            self.store.append_audit(&[event]).await?;
            return Ok(Redemption::Rejected);
        };
        let rejected = |detail: String| rejected(detail).target(user.id, &user.username);
        let reservation = self
            .store
            .reserve_attempt(
                user.id,
                Throttle::Codes,
                now,
                self.limits.redeem_max_failures,
                self.limits.redeem_lockout_secs,
            )
            .await?;
        let (attempt, locks) = match reservation {
            Reservation::Locked { until } => {
                self.store.append_audit(&[rejected("refused: backup codes are locked".into())]).await?;
                return Ok(Redemption::Locked { until });
            }
            Reservation::Granted { attempt, locks } => (attempt, locks),
        };
        let canonical = codes::normalize(&typed);
        drop(typed);
        let key = self.store.active_batch_key(user.id, now).await?;
        let accepted = match (canonical, key) {
            (Some(canonical), Some(key)) => {
                let cost = key.cost;
                let salt = key.salt.clone();
                let hash = blocking(move || codes::hash_code(&cost, &canonical, &salt)).await??;
                let audit = NewAuditEvent::new(now, AuditAction::BackupCodeRedeemed).target(user.id, &user.username);
                let notices = notices_for(&user, "backup_code_redeemed", &texts().notifications.redeemed);
                self.store.consume_code(key.id, &hash, now, &audit, &notices).await?
            }
            _ => false,
        };
        if accepted {
            tracing::info!(user = %user.username, "backup code redeemed");
            return Ok(Redemption::Accepted);
        }
        tracing::warn!(user = %user.username, attempt, "backup code rejected");
        let mut events = vec![rejected(format!("failed attempt {attempt} of {}", self.limits.redeem_max_failures))];
        if locks {
            let mut lock = NewAuditEvent::new(now, AuditAction::BackupCodesLocked).target(user.id, &user.username);
            lock.detail = Some(format!("locked for {} minutes", self.limits.redeem_lockout_secs / 60));
            events.push(lock);
        }
        self.store.append_audit(&events).await?;
        Ok(Redemption::Rejected)
    }

    // ----- profiles, passwords, settings ---------------------------------------------

    pub async fn update_profile(
        &self,
        session: &Session,
        target: UserId,
        first_name: &str,
        last_name: &str,
        email: &str,
        phone: &str,
    ) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        access::may_edit_profile(&actor, &user)?;
        let update = ProfileUpdate {
            first_name: profile::first_name(first_name)?,
            last_name: profile::last_name(last_name)?,
            email: profile::email(email)?,
            phone: clean_phone(phone)?,
        };
        let audit = NewAuditEvent::new(self.now(), AuditAction::ProfileUpdated)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username);
        self.store.update_profile(user.id, &update, &audit).await?;
        Ok(())
    }

    /// Changes the signed-in staff's own password and ends all their sessions.
    pub async fn change_password(
        &self,
        session: &Session,
        current: Zeroizing<String>,
        new: Zeroizing<String>,
    ) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        profile::password(&new, &actor.username)?;
        let creds = self.store.staff_credentials(&actor.username).await?.ok_or(DeskError::SessionEnded)?;
        let stored = creds.password_hash.unwrap_or_default();
        if !blocking(move || password::verify(&stored, &current)).await? {
            return Err(DeskError::WrongPassword);
        }
        let cost = self.password_cost;
        let hash = blocking(move || password::hash(&cost, &new)).await??;
        let audit = NewAuditEvent::new(self.now(), AuditAction::PasswordChanged)
            .actor(actor.id, &actor.username)
            .target(actor.id, &actor.username);
        self.store.set_password(actor.id, &hash, self.now(), &audit).await?;
        Ok(())
    }

    pub async fn set_permitted_methods(
        &self,
        session: &Session,
        methods: &[TwoFactorMethod],
    ) -> DeskResult<Institution> {
        let actor = self.actor(session).await?;
        access::may_administer(&actor)?;
        let before = self.store.institution().await?;
        let names = |m: &[TwoFactorMethod]| m.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",");
        let audit = NewAuditEvent::new(self.now(), AuditAction::PermittedMethodsChanged)
            .actor(actor.id, &actor.username)
            .detail(format!("{} -> {}", names(&before.permitted), names(methods)));
        self.store.set_permitted_methods(methods, &audit).await?;
        Ok(self.store.institution().await?)
    }

    pub async fn set_permission(
        &self,
        session: &Session,
        target: UserId,
        permission: Permission,
        granted: bool,
    ) -> DeskResult<()> {
        let actor = self.actor(session).await?;
        let user = self.store.user(target).await?.ok_or(DeskError::NoSuchUser)?;
        access::may_change_permissions(&actor, &user)?;
        if user.kind != UserKind::Staff {
            return Err(DeskError::NoSuchUser);
        }
        let action = if granted { AuditAction::PermissionGranted } else { AuditAction::PermissionRevoked };
        let audit = NewAuditEvent::new(self.now(), action)
            .actor(actor.id, &actor.username)
            .target(user.id, &user.username)
            .detail(permission.label());
        self.store.set_permission(user.id, permission, granted, &audit).await?;
        Ok(())
    }

    pub async fn recent_audit(
        &self,
        session: &Session,
        target: Option<UserId>,
        limit: i64,
    ) -> DeskResult<Vec<AuditEvent>> {
        let actor = self.actor(session).await?;
        access::may_administer(&actor)?;
        Ok(self.store.recent_audit(target, limit).await?)
    }

    pub async fn institution(&self) -> DeskResult<Institution> {
        Ok(self.store.institution().await?)
    }

    /// Creates a member of staff from the command line (bootstrapping the first admin).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_staff(
        &self,
        username: &str,
        first_name: &str,
        last_name: &str,
        email: &str,
        role: StaffRole,
        permissions: Vec<Permission>,
        new_password: Zeroizing<String>,
    ) -> DeskResult<UserId> {
        let username = clean_username(username)?;
        profile::password(&new_password, &username)?;
        let cost = self.password_cost;
        let hash = blocking(move || password::hash(&cost, &new_password)).await??;
        let now = self.now();
        let user = NewUser {
            kind: UserKind::Staff,
            username: username.clone(),
            first_name: profile::first_name(first_name)?,
            last_name: profile::last_name(last_name)?,
            email: profile::email(email)?,
            phone: String::new(),
            enrolment: Enrolment::Enrolled,
            role: Some(role),
            password_hash: Some(hash),
            permissions,
            devices: Vec::new(),
            created_at: now,
        };
        let mut audit = NewAuditEvent::new(now, AuditAction::StaffCreated).detail(format!("role {}", role.as_str()));
        audit.actor = "command line".into();
        audit.target = username;
        let ids = self.store.insert_users(std::slice::from_ref(&user), Some(&audit)).await?;
        ids.first().copied().ok_or_else(|| DeskError::Internal("no id returned".into()))
    }
}

/// Runs CPU-heavy work (argon2) off the async threads, so the screen keeps drawing.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> DeskResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| DeskError::Internal(e.to_string()))
}

fn clean_note(note: Option<String>) -> DeskResult<Option<String>> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    match note {
        Some(n) if n.chars().count() > NOTE_MAX => Err(DeskError::NoteTooLong(NOTE_MAX)),
        Some(n) if n.chars().any(|c| c.is_control() && c != '\n') => Err(DeskError::NoteNotText),
        other => Ok(other),
    }
}

/// E.164: a plus and 8 to 15 digits; spaces, hyphens and brackets typed around them are dropped.
pub fn clean_phone(raw: &str) -> DeskResult<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let only_punctuation = raw.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !raw.starts_with('+') || !only_punctuation || !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(DeskError::Phone);
    }
    Ok(format!("+{digits}"))
}

pub fn clean_username(raw: &str) -> DeskResult<String> {
    let u = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&u.len())
        && u.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c));
    if ok { Ok(u) } else { Err(DeskError::Username) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_e164() {
        assert_eq!(clean_phone("+44 7700 900123").unwrap(), "+447700900123");
        assert_eq!(clean_phone("+1 (415) 555-0100").unwrap(), "+14155550100");
        assert!(clean_phone("07700 900123").is_err());
        assert!(clean_phone("+44 77OO").is_err());
        assert!(clean_phone("+1234567890123456").is_err());
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(clean_note(Some("  ".into())).unwrap(), None);
        assert!(clean_note(Some("x".repeat(NOTE_MAX + 1))).is_err());
        assert_eq!(clean_note(Some(" seen ID ".into())).unwrap().as_deref(), Some("seen ID"));
        assert!(matches!(clean_note(Some("seen\u{1b}[2J ID".into())), Err(DeskError::NoteNotText)));
    }
}
