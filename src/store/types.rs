//! The values that cross the `Store` boundary besides the domain's own: rows about to be
//! written, what a write reports back, and the summaries the service reads.

use crate::domain::access::{Permission, Staff};
use crate::domain::audit::{AuditEvent, IdentityCheck};
use crate::domain::codes::HashCost;
use crate::domain::institution::TwoFactorMethod;
use crate::domain::two_person::{Reason, RequestState, VelocityLimits};
use crate::domain::user::{Enrolment, StaffRole, User, UserId, UserKind};

/// Who is acting, for a write that checks again, inside its own transaction, that they
/// still may: the session must still be open and belong to `actor`, and `may` must still
/// hold for the actor's enabled staff row as that transaction reads it. On PostgreSQL both
/// rows are read `FOR SHARE`, so a sign-out, a disable or a change of role waits for the
/// write and then sees it, instead of committing between the check and the write.
#[derive(Clone, Copy)]
pub struct Acting<'a> {
    pub session: i64,
    pub actor: UserId,
    pub may: &'a (dyn for<'s> Fn(&'s Staff) -> bool + Send + Sync),
}

/// A user about to be written (staff creation, demo data).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub kind: UserKind,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub enrolment: Enrolment,
    pub role: Option<StaffRole>,
    pub password_hash: Option<String>,
    pub permissions: Vec<Permission>,
    pub devices: Vec<(TwoFactorMethod, String)>,
    pub created_at: i64,
}

pub use crate::domain::search::UserQuery;

/// What logging in needs to know of a member of staff.
#[derive(Debug, Clone)]
pub struct StaffCredentials {
    pub user: User,
    pub staff: Staff,
    pub password_hash: Option<String>,
    /// A disabled member of staff may not sign in.
    pub disabled: bool,
}

/// A new batch: one salt, the hashes, and why it was issued.
#[derive(Debug, Clone)]
pub struct NewBatch<'a> {
    pub user_id: UserId,
    pub generated_by: UserId,
    /// The session it is generated in; it must still be open when the batch is stored.
    pub session: i64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub salt: &'a [u8],
    pub cost: HashCost,
    pub hashes: &'a [[u8; 32]],
    pub identity_check: IdentityCheck,
    pub note: Option<String>,
    /// The newest contact change of the user as the warning showed it: a newer one, made
    /// while the codes were hashed, stops the batch (`BatchOutcome::ContactChanged`).
    pub contact_seen: Option<i64>,
    /// The approved request this batch uses, with the user's newest batch when it was
    /// approved: the approval is consumed in the storing transaction, and a batch made
    /// since voids it.
    pub request: Option<(i64, Option<i64>)>,
    /// Without a request: the velocity limits, counted again in the storing transaction,
    /// and with them the institution's "always a second person", read again there.
    pub velocity_limits: Option<VelocityLimits>,
}

// The outcomes of the writes that check their actor again (why one enum each: `Store`'s
// doc). `NoLongerActing` is common to them: the session ended, or the member of staff was
// disabled or lost the right, between the service's check and the write's transaction
// (`Acting`); nothing was written.

/// What `BatchStore::store_batch` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// The batch was stored, with this id.
    Stored(i64),
    /// Nothing was written: the session ended, or the staff member was disabled or lost the
    /// right.
    NoLongerActing,
    /// Nothing was written: the user's email or phone changed after the warning was read.
    ContactChanged,
    /// Nothing was written: the approval expired, was used, withdrawn or voided.
    ApprovalGone,
    /// Nothing was written: meanwhile a velocity limit was reached, or the institution
    /// turned "always a second person" on.
    SecondPersonNeeded,
}

/// What `BatchStore::revoke_batch` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// The active batch was revoked, with its audit event and notices.
    Revoked,
    /// There was no active batch; nothing was written.
    NoActiveBatch,
    /// Nothing was written: the one revoking no longer may (see above).
    NoLongerActing,
}

/// What `StaffStore::change_staff` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffChangeOutcome {
    /// The change and its audit event were written.
    Changed,
    /// Demote or Disable changed nothing: the member is the last enabled admin.
    LastAdmin,
    /// Nothing was written: the admin no longer may (see above).
    NoLongerActing,
}

/// What `PeopleStore::update_profile` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileOutcome {
    /// The profile, its audit events and notices were written.
    Written,
    /// Nothing was written: the editor no longer may (see above).
    NoLongerActing,
}

pub use crate::domain::two_person::TargetMarks;

/// A request for codes about to be written.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub requester_id: UserId,
    pub target_id: UserId,
    pub identity_check: IdentityCheck,
    pub note: Option<String>,
    pub signals: Vec<String>,
    pub reasons: Vec<Reason>,
    pub marks: TargetMarks,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A request moving on: approved, declined, withdrawn or voided.
#[derive(Debug, Clone)]
pub struct RequestMove {
    pub to: RequestState,
    /// The open state it must be in; `None`: either.
    pub from: Option<RequestState>,
    /// The admin who decides (approve, decline).
    pub by: Option<UserId>,
    pub at: i64,
    pub note: Option<String>,
    pub approval_expires_at: Option<i64>,
}

/// The state of a user's current batch, for the Two-Factor Authentication section.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BatchSummary {
    pub id: i64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub generated_by: String,
    pub code_count: i64,
    pub unused: i64,
    pub identity_check: String,
    /// When a code of the batch was last used.
    pub last_used_at: Option<i64>,
}

/// What a redemption needs of the active batch: its id, salt and hash cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchKey {
    pub id: i64,
    pub salt: Vec<u8>,
    pub cost: HashCost,
}

/// Failed-attempt counters kept per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// Staff password logins.
    Login,
    /// Backup-code redemptions.
    Codes,
}

/// The answer to "may this user try once more?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Yes; this attempt is counted as the `attempt`-th consecutive one until it succeeds,
    /// and as the `total`-th since the last success or new batch (backup codes only; 0 for
    /// sign-ins).
    Granted { attempt: i64, locks: bool, total: i64 },
    /// No, not before `until`.
    Locked { until: i64 },
}

/// A row of the outbox the bank's messaging system drains.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub created_at: i64,
    pub user_id: UserId,
    pub channel: String,
    pub address: String,
    pub kind: String,
    pub body: String,
}

/// A staff session as the server keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    pub staff_id: UserId,
    pub started_at: i64,
    pub last_seen_at: i64,
    pub ended_at: Option<i64>,
}

/// An audit event with the chain hash it was stored with (`None` for events written
/// before the chain began).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEvent {
    pub event: AuditEvent,
    pub chain_hash: Option<Vec<u8>>,
}

/// How a process opens its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// `helpdesk migrate`, the demo and the tests: a missing SQLite file is created, and
    /// every migration is applied.
    Migrate,
    /// Every other command. The database must exist. SQLite applies migrations (the file
    /// and the account that owns it are the boundary). PostgreSQL applies them only when
    /// the connecting role owns the schema, and says so in the log; any other role only
    /// checks that the schema is at the latest version.
    Run,
}

/// The fields of the profile form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
}
