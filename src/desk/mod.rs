//! The help desk's operations, by topic: `sign_in` (staff sessions and passwords),
//! `codes` (generate, revoke, redeem), `users` (Manage Users, detail, profiles, staff
//! creation), `staff` (roles, permissions, disabling, locks, sessions) and `settings`
//! (institution settings, the audit log).
//!
//! Each operation only sequences: it checks the session, applies the domain's rule, then
//! makes one store call. The UI and the CLI call `HelpDesk` and nothing below it.

mod audit_log;
mod codes;
mod factor;
mod grants;
mod redeem;
mod serve_clients;
mod sessions;
mod settings;
mod sign_in;
mod staff;
mod two_person;
mod users;

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::domain::access::{Refusal, Staff};
use crate::domain::audit::NoteError;
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::audit_chain::{AuditKey, ChainBreak};
use crate::domain::codes::{CodeError, CodePolicy, Evaluations, HashCost};
use crate::domain::institution::SettingsError;
use crate::domain::password::PasswordHashError;
use crate::domain::phone::HomeRegion;
use crate::domain::profile::ProfileError;
use crate::domain::second_factor::{CodeRefusal, FactorKey, KeyFingerprint};
use crate::domain::time;
use crate::domain::two_person::VelocityLimits;
use crate::domain::user::User;
use crate::store::{Store, StoreError};

pub use crate::store::{NewUser, Opening};
pub use codes::{Generation, IssuedCodes, Redemption, WarningChoice};
pub use factor::{FactorTicket, SignIn};
pub use grants::StaffChangeDone;
pub use serve_clients::NewServeClient;
pub use staff::NewStaff;
pub use two_person::{OUTSIDE_CHANGES_EVERY, SignalFacts, Weighed, signals};
pub use users::{ProfileEdit, UserDetail};

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Password(#[from] PasswordHashError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Wrong username or password.")]
    BadCredentials,
    #[error("This account is disabled. Ask an admin-level colleague to enable it.")]
    Disabled,
    #[error("While no admin exists, only an admin can be created (--admin); an admin then creates the others.")]
    BootstrapNeedsAdmin,
    #[error(
        "This user's email or phone changed after the warning opened. Nothing was generated: close the warning and read it again."
    )]
    ChangedSinceWarning,
    #[error("Too many failed sign-ins. Try again after {}.", time::format_utc(*until))]
    LoginLocked { until: i64 },
    #[error(
        "Your session has ended (signed out, password changed, or the account disabled or its sessions ended by an admin). Sign in again."
    )]
    SessionEnded,
    #[error("No such user.")]
    NoSuchUser,
    #[error("This user has no active backup codes.")]
    NoActiveBatch,
    #[error("The current password is wrong.")]
    WrongPassword,
    #[error("internal error: a background task failed")]
    Internal(#[source] tokio::task::JoinError),
    #[error("An admin-level member of staff already exists: creating staff needs an admin's username and password.")]
    AdminExists,
    #[error("This needs a second admin: {}.", .0.join("; "))]
    NeedsSecondPerson(Vec<String>),
    #[error("That identity check is not offered: {0}.")]
    CheckNotOffered(String),
    #[error("This user already has an open request for codes: approve, decline or withdraw it first.")]
    RequestOpen,
    #[error("No such request.")]
    NoSuchRequest,
    #[error(transparent)]
    FactorCode(#[from] CodeRefusal),
    #[error("This account needs a code from its authenticator app: sign in through the terminal UI.")]
    SecondFactorNeeded,
    #[error("Confirm it is you: type the code from your authenticator app (asked again after a few minutes).")]
    StepUpNeeded,
    #[error("This account signs in only from an SSH session that authenticated with a key bound to it.")]
    BoundKeyNeeded,
    #[error("The sign-in took too long: start again with your password.")]
    FactorTicketExpired,
    #[error(
        "No key to seal authenticator secrets: `staff.factor_key_file` is missing (`helpdesk migrate` creates it)."
    )]
    NoFactorKey,
    #[error("No such grant request.")]
    NoSuchGrant,
    #[error("This grant is no longer pending (approved, declined, withdrawn or expired meanwhile).")]
    GrantClosed,
    #[error("The same grant is already asked for (grant #{0}): it waits for a second admin.")]
    GrantAlreadyPending(i64),
    #[error("This request is no longer open (approved, declined, withdrawn, expired or used meanwhile).")]
    RequestClosed,
    #[error("This request is void: {0}. Nothing was generated; open the warning again.")]
    RequestVoided(String),
    #[error("Only the member of staff who made this request may do that.")]
    NotYourRequest,
    #[error("Declining needs a reason the requester can read.")]
    DeclineNeedsReason,
    #[error("No such customer.")]
    NoSuchCustomer,
    #[error("That name is refused: {0}.")]
    ServeClientName(String),
    #[error("A serve client of that name exists already (revoked ones keep their name): choose another.")]
    ServeClientTaken,
    #[error("No active serve client has that name.")]
    NoSuchServeClient,
    #[error(
        "The audit chain is broken at event {id}: {0}. The key was not rotated: a new key's first link would vouch for a broken chain (helpdesk audit verify names every break).",
        id = .0.event_id()
    )]
    ChainBroken(ChainBreak),
}

pub type DeskResult<T> = Result<T, DeskError>;

/// Failed-attempt limits and the waits the rules impose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub redeem_max_failures: i64,
    pub redeem_lockout_secs: i64,
    /// Failed redemptions since the last success or new batch, across lock-outs, that use
    /// the batch up (NIST SP 800-63B: at most 100).
    pub redeem_max_total_failures: i64,
    /// The longest a staff session lasts on the server.
    pub session_max_secs: i64,
    /// A session whose process has not shown itself for longer than this (the idle lock)
    /// is refused.
    pub session_idle_secs: i64,
    pub login_max_failures: i64,
    pub login_lockout_secs: i64,
    /// After a user's email or phone changes, backup codes wait this long (admins may
    /// override).
    pub contact_cooloff_secs: i64,
    /// The region of phone numbers typed without a country code, and the one a number
    /// is "international" from (`institution.home_region`).
    pub home_region: HomeRegion,
    /// How long a request for codes waits for a second admin (`codes.request_minutes`).
    pub request_secs: i64,
    /// How long an approval may be used (`codes.approval_minutes`).
    pub approval_secs: i64,
    /// `codes.max_batches_per_agent_hour`, `…_per_agent_day`, `…_per_user_day`.
    pub velocity: VelocityLimits,
    /// A session that proved its factor longer ago than this is asked again before
    /// approving, declining, generating for staff or any grant (`staff.step_up_minutes`).
    pub step_up_secs: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            redeem_max_failures: 10,
            redeem_lockout_secs: 15 * 60,
            redeem_max_total_failures: 100,
            session_max_secs: 12 * 3600,
            session_idle_secs: 5 * 60,
            home_region: HomeRegion::default(),
            login_max_failures: 5,
            login_lockout_secs: 15 * 60,
            contact_cooloff_secs: 24 * 3600,
            request_secs: 30 * 60,
            approval_secs: 10 * 60,
            velocity: VelocityLimits::default(),
            step_up_secs: 5 * 60,
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

pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Told the time one redemption's argon2 evaluation took, on the thread that ran it, so
/// it must be quick (a histogram's observation).
pub type EvaluationTimer = Arc<dyn Fn(std::time::Duration) + Send + Sync>;

#[derive(Clone)]
pub struct HelpDesk {
    store: Arc<dyn Store>,
    policy: CodePolicy,
    password_cost: HashCost,
    limits: Limits,
    clock: Clock,
    /// Argon2 evaluations spent on redemptions, for tests (`codes::Evaluations`).
    evaluations: Arc<Evaluations>,
    /// Told how long each of those evaluations took (`helpdesk serve`'s metrics); shared
    /// by every clone.
    evaluation_timer: Arc<std::sync::RwLock<Option<EvaluationTimer>>>,
    /// The key of the username pseudonyms, read from the database once.
    pseudonym_key: Arc<tokio::sync::OnceCell<Zeroizing<Vec<u8>>>>,
    /// The key that seals the staff's authenticator secrets (`staff.factor_key_file`);
    /// `None` when it was not given, and then no second factor can be enrolled or checked.
    factor_key: Option<FactorKey>,
    /// The SSH key this process's session authenticated with, when sshd said (`--ssh-key`).
    session_key: Option<KeyFingerprint>,
}

impl HelpDesk {
    /// The region phone numbers are international from (`institution.home_region`).
    pub fn home_region(&self) -> HomeRegion {
        self.limits.home_region
    }

    pub fn new(store: Arc<dyn Store>, policy: CodePolicy, password_cost: HashCost, limits: Limits) -> Self {
        Self {
            store,
            policy,
            password_cost,
            limits,
            clock: Arc::new(time::now),
            evaluations: Arc::default(),
            evaluation_timer: Arc::default(),
            pseudonym_key: Arc::default(),
            factor_key: None,
            session_key: None,
        }
    }

    /// The SSH key the session authenticated with: it stands for the authenticator code of
    /// a member of staff it is bound to.
    pub fn with_session_key(mut self, key: KeyFingerprint) -> Self {
        self.session_key = Some(key);
        self
    }

    /// The key that seals the staff's authenticator secrets.
    pub fn with_factor_key(mut self, key: FactorKey) -> Self {
        self.factor_key = Some(key);
        self
    }

    /// Opens the database a URL names, as `opening` says (`store::open_with`), with the
    /// audit events linked under `audit_key`, and wraps it in the service: what the command
    /// line does, so that it never touches the store. A chain whose links are all unkeyed
    /// (a database just upgraded) is anchored first (`key_the_audit_chain`).
    #[allow(clippy::too_many_arguments)]
    pub async fn open(
        url: &str,
        max_connections: u32,
        opening: Opening,
        audit_key: &AuditKey,
        policy: CodePolicy,
        password_cost: HashCost,
        limits: Limits,
    ) -> DeskResult<Self> {
        let store = crate::store::open_with(url, max_connections, opening, audit_key).await?;
        let desk = Self::new(store, policy, password_cost, limits);
        desk.key_the_audit_chain().await?;
        Ok(desk)
    }

    /// Replaces the clock, for tests of expiry and lockout.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn policy(&self) -> &CodePolicy {
        &self.policy
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Checks the session is still open and reads the actor's role and permissions
    /// afresh, so that a permission removed a minute ago is no longer honoured. The actor
    /// is the session row's staff member (`sessions.rs`), never the id the caller holds.
    async fn actor(&self, session: &Session) -> DeskResult<Staff> {
        self.session_actor(session, false).await
    }

    /// A write the store refused because, inside its transaction, the session had ended
    /// or `rule` no longer held for the actor (the outcome `NoLongerActing`): the actor is
    /// read again, a refusal by the rule is audited like any other, and the caller is told
    /// the session ended (or why the rule now says no).
    async fn refused_meanwhile<T>(
        &self,
        session: &Session,
        target: Option<&User>,
        attempted: AuditAction,
        rule: impl Fn(&Staff) -> Result<(), Refusal>,
    ) -> DeskResult<T> {
        let actor = self.actor(session).await?;
        self.audited(&actor, target, attempted, rule(&actor)).await?;
        Err(DeskError::SessionEnded)
    }
}

impl HelpDesk {
    /// Passes a rule's answer through; a refusal is first written to the audit log (a
    /// refused high-risk action is as much a signal as one that went through).
    async fn audited<T, E>(
        &self,
        actor: &Staff,
        target: Option<&User>,
        attempted: AuditAction,
        answer: Result<T, E>,
    ) -> DeskResult<T>
    where
        E: Into<DeskError> + std::fmt::Display,
    {
        let refusal = match answer {
            Ok(value) => return Ok(value),
            Err(refusal) => refusal,
        };
        let mut event = NewAuditEvent::new(self.now(), AuditAction::ActionRefused)
            .actor(actor.id, &actor.username)
            .detail(format!("{}: {refusal}", attempted.as_str()));
        if let Some(user) = target {
            event = event.target(user.id, &user.username);
        }
        self.store.append_audit(&[event]).await?;
        tracing::warn!(actor = %actor.username.escape_debug(), attempted = attempted.as_str(), refusal = %refusal.to_string().escape_debug(), "refused");
        Err(refusal.into())
    }
}

/// Runs CPU-heavy work (argon2) off the async threads, so the screen keeps drawing.
///
/// At most one such job runs per core at a time; the rest wait their turn. A burst (two
/// hundred agents and a thousand redemptions at once) then queues instead of starting
/// hundreds of threads that each hold argon2's 19 MiB.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> DeskResult<T> {
    static TURNS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    });
    let _turn = TURNS.acquire().await.expect("the semaphore is never closed");
    tokio::task::spawn_blocking(f).await.map_err(DeskError::Internal)
}

/// A database URL without its passwords, for messages and the log (`store::redact`).
pub fn redact_url(url: &str) -> String {
    crate::store::redact(url)
}
