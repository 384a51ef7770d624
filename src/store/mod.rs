//! The one boundary between the help desk and its identity database. `Store` speaks in
//! the domain's types. `SqlStore<D>` implements it once, for any database with a
//! `Dialect`: `SqliteStore` (the embedded default) and `PostgresStore` (production). The
//! statements are named in `sql/`, by topic; rows become domain values in `rows.rs`.

#[macro_use]
mod sql_impl;

mod batches;
mod dialect;
mod error;
mod people;
mod postgres;
mod redact;
mod rows;
mod serve_clients;
mod sign_in;
mod sql;
mod sql_store;
mod sqlite;
mod staff_and_risk;
mod two_person;
mod types;
mod user_search;
mod writes;

use std::sync::Arc;

use async_trait::async_trait;
use zeroize::Zeroizing;

use crate::domain::access::{Staff, StaffChange, StaffMember};
use crate::domain::audit::{AuditEvent, AuditFilter, NewAuditEvent};
use crate::domain::audit_chain::ChainHead;
use crate::domain::institution::{Institution, TwoFactorMethod};
use crate::domain::notice::Notice;
use crate::domain::phone::HomeRegion;
use crate::domain::risk::RiskSignals;
use crate::domain::serve_client::ServeClient;
use crate::domain::two_person::{CodeRequest, ContactField, RecordedChange, Velocity};
use crate::domain::user::{Device, User, UserId};

pub use dialect::Dialect;
pub use error::{StoreError, StoreResult};
pub use redact::redact;
pub use sql::search::{Statement as SearchStatement, bare as bare_search};
pub use sql_store::SqlStore;
pub use types::*;

pub type SqliteStore = SqlStore<sqlx::Sqlite>;
pub type PostgresStore = SqlStore<sqlx::Postgres>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Everything the help desk reads from and writes to its database.
///
/// A method that writes more than one row does so in one write transaction, which commits
/// whole or not at all; where it takes an audit event or notices, they are written in that
/// same transaction, after the change they record. A write transaction begins with
/// `Dialect::BEGIN_WRITE`: on SQLite (`BEGIN IMMEDIATE`) it holds the database's write lock
/// from its first statement, so writers take turns; on PostgreSQL rows lock as they are
/// written, and the methods that must take turns per user lock the user's row first
/// (`LOCK_USER`). Reads run outside transactions and see committed data.
#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;

    /// The institution (the first by id) and its permitted 2FA methods, sorted;
    /// `Corrupt` when none is configured.
    async fn institution(&self) -> StoreResult<Institution>;
    /// Replaces the permitted methods whole and writes the audit event, in one
    /// transaction.
    async fn set_permitted_methods(&self, methods: &[TwoFactorMethod], audit: &NewAuditEvent) -> StoreResult<()>;

    /// `None` when there is no such user.
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    /// Case-insensitive (usernames are stored lower-cased); `None` when there is none.
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// One page in name order, after `query.after`: everybody for an empty text, else the
    /// users whose name, first name, username, email or phone digits start with it.
    async fn search_users(&self, query: &UserQuery) -> StoreResult<Vec<User>>;
    /// Folds again the search keys of up to `limit` rows marked stale (written by another
    /// system, or before the folding rule), and stores their phone in E.164 when it reads
    /// as a valid number (`home`: the region of a number written without a country
    /// code). Returns how many rows were folded; 0 when none is stale.
    async fn refold_stale(&self, limit: i64, home: HomeRegion) -> StoreResult<u64>;
    async fn count_users(&self) -> StoreResult<i64>;
    async fn count_staff(&self) -> StoreResult<i64>;
    /// Refreshes the planner's statistics, after a bulk load.
    async fn analyze(&self) -> StoreResult<()>;
    /// The user's second factors, in the order they were added.
    async fn devices(&self, user: UserId) -> StoreResult<Vec<Device>>;
    /// Writes the profile fields with the search keys derived from them, the audit events
    /// and the notices, in one transaction. `contact_change` names what of the email and
    /// phone changed ("email", "phone", "email and phone"); with it the cool-off starts at
    /// the first event's time. `acting` is checked again inside the transaction; when it no
    /// longer holds nothing is written (`NotStored::SessionOrRight`).
    async fn update_profile(
        &self,
        acting: Acting<'_>,
        user: UserId,
        update: &ProfileUpdate,
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<Result<(), NotStored>>;
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

    /// `None` for an unknown username or a customer's; `Corrupt` for staff without a role.
    async fn staff_credentials(&self, username: &str) -> StoreResult<Option<StaffCredentials>>;
    /// The role and permissions as they are now; `None` for an unknown user, a customer,
    /// or a disabled member of staff (whose sessions therefore end at their next action).
    async fn staff(&self, id: UserId) -> StoreResult<Option<Staff>>;
    /// Every member of staff by name, with their permissions, lock, last sign-in and
    /// open sessions (`now` is not used to hide expired locks; the caller compares).
    async fn staff_members(&self, now: i64) -> StoreResult<Vec<StaffMember>>;
    /// Enabled admin-level staff.
    async fn count_enabled_admins(&self) -> StoreResult<i64>;
    /// Applies one change to a member of staff with its audit event, in one transaction.
    /// Demote and Disable lock the enabled admins first and change nothing, returning
    /// false, when the target is the last enabled admin. Disable and EndSessions end the
    /// member's open sessions; Unlock clears the sign-in throttle. Granting or withdrawing
    /// twice is harmless.
    /// Disable also revokes the member's active batch (by `audit`'s actor) and then writes
    /// `revoked`'s event and notices, in the same transaction. `acting` is checked again
    /// inside the transaction; when it no longer holds nothing is written
    /// (`NotStored::SessionOrRight`).
    async fn change_staff(
        &self,
        acting: Acting<'_>,
        staff: UserId,
        change: StaffChange,
        now: i64,
        audit: &NewAuditEvent,
        revoked: Option<(&NewAuditEvent, &[Notice])>,
    ) -> StoreResult<Result<bool, NotStored>>;
    /// Opens a session and writes the audit event, in one transaction; returns its id.
    async fn start_session(&self, staff: UserId, now: i64, audit: &NewAuditEvent) -> StoreResult<i64>;
    /// False when the session has ended or does not exist.
    async fn session_open(&self, session: i64) -> StoreResult<bool>;
    /// Ends the session (an ended one keeps its first end time) and writes the audit
    /// event, in one transaction.
    async fn end_session(&self, session: i64, now: i64, audit: &NewAuditEvent) -> StoreResult<()>;
    /// Sets a new password hash and ends every open session of that member of staff; the
    /// audit event in the same transaction.
    async fn set_password(&self, staff: UserId, hash: &str, now: i64, audit: &NewAuditEvent) -> StoreResult<()>;

    /// Counts an attempt before it is checked, so that parallel guesses cannot slip past
    /// the limit; a success clears the count with `clear_failures`. One conditional
    /// update of the user's row, atomic on its own. `Granted { locks: true }` when this
    /// attempt set the lock (it ends at `now + lockout_secs` unless a success clears it);
    /// `Locked` when a lock is in force, with its end (`now` for an unknown user).
    async fn reserve_attempt(
        &self,
        user: UserId,
        throttle: Throttle,
        now: i64,
        max: i64,
        lockout_secs: i64,
    ) -> StoreResult<Reservation>;
    /// Resets that throttle's count and lock; one statement.
    async fn clear_failures(&self, user: UserId, throttle: Throttle) -> StoreResult<()>;

    /// The active batch (neither revoked nor expired at `now`); `None` when there is none.
    async fn code_state(&self, user: UserId, now: i64) -> StoreResult<Option<BatchSummary>>;
    /// Revokes the user's current batch and stores the new one, its audit events and
    /// notices in one transaction. Locks the user first (`LOCK_USER`), so that two agents
    /// generating for one user take turns and the user ends with exactly one active batch,
    /// the last one stored. Inside the transaction it reads the generating staff member
    /// again: unless their session is still open, they are still enabled and `may` still
    /// allows them (the hashing before it takes a while), nothing is written and the
    /// answer says why (`NotStored`); likewise when the user's contact details changed
    /// after `contact_seen`, the request's approval cannot be used (expired, used, voided
    /// by a newer batch), or, without a request, a velocity limit or "always a second person" now
    /// applies. Otherwise returns the batch's id.
    async fn store_batch(
        &self,
        batch: &NewBatch<'_>,
        may: &(dyn for<'s> Fn(&'s Staff) -> bool + Send + Sync),
        audits: &[NewAuditEvent],
        notices: &[Notice],
    ) -> StoreResult<Result<i64, NotStored>>;
    /// Revokes the current batch, with the audit event and notices, in one transaction
    /// that locks the user first (`LOCK_USER`). False when there was none; then nothing is
    /// written. `acting` (who revokes) is checked again inside the transaction; when it no
    /// longer holds nothing is written (`NotStored::SessionOrRight`).
    async fn revoke_batch(
        &self,
        acting: Acting<'_>,
        user: UserId,
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
    ) -> StoreResult<Result<bool, NotStored>>;
    /// What a redemption reads before hashing, in one statement: the user with this
    /// username (case-insensitive) and their active batch's salt and cost at `now`
    /// (`None` when they have no active batch). `None` when there is no such user.
    async fn redemption_subject(&self, username: &str, now: i64) -> StoreResult<Option<(User, Option<BatchKey>)>>;
    /// Marks the code used if, and only if, it is unused: one conditional update
    /// (`CONSUME_CODE`), so true for exactly one caller however many try at once. On
    /// success, clears the failure count and marks the user enrolled (the user named by
    /// `audit.target_id`), and writes the audit event and notices, in the same
    /// transaction, and returns how many codes of the batch are still unused. `None` when
    /// the code is unknown, used, or its batch revoked or expired; then the `rejected`
    /// events are written instead, in the same transaction.
    async fn consume_code(
        &self,
        batch: i64,
        hash: &[u8],
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
        rejected: &[NewAuditEvent],
    ) -> StoreResult<Option<i64>>;

    /// Writes the events in order, in one transaction.
    async fn append_audit(&self, events: &[NewAuditEvent]) -> StoreResult<()>;
    /// Matching events with an id above `after`, oldest first.
    async fn audit_events(&self, filter: &AuditFilter, after: i64, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// Matching events newest first, with an id below `before` (from the newest for
    /// `None`).
    async fn audit_page(&self, filter: &AuditFilter, before: Option<i64>, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// The newest events first, optionally for one target.
    async fn recent_audit(&self, target: Option<UserId>, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// The user's notices in the outbox, oldest first.
    async fn notifications(&self, user: UserId) -> StoreResult<Vec<Notification>>;

    /// What the warning shows: the signals present at `now`, in one statement.
    async fn risk_signals(&self, user: UserId, now: i64) -> StoreResult<RiskSignals>;
    /// Batches neither revoked nor expired at `now`, everybody's.
    async fn count_active_batches(&self, now: i64) -> StoreResult<i64>;
    // ----- the security review (issue 8) ----------------------------------------------

    /// The newest chained event and its hash.
    async fn audit_chain_head(&self) -> StoreResult<ChainHead>;
    /// Events with an id above `after`, oldest first, with their chain hashes.
    async fn chained_audit_events(&self, after: i64, limit: i64) -> StoreResult<Vec<ChainedEvent>>;
    /// Bootstraps a member of staff while the database has no admin who can sign in: in
    /// one transaction that first takes the audit chain's lock (so two bootstraps take
    /// turns), counts the admins, and writes the user, their permissions and the audit
    /// event only if there are none. `None` when an admin exists; then nothing is written.
    async fn insert_first_staff(&self, user: &NewUser, audit: &NewAuditEvent) -> StoreResult<Option<UserId>>;
    /// The session row; `None` when there is no such session.
    async fn session(&self, session: i64) -> StoreResult<Option<SessionRecord>>;
    /// Records that the session's process is alive at `now`; one statement, and a no-op
    /// for an ended session.
    async fn touch_session(&self, session: i64, now: i64) -> StoreResult<()>;
    /// Revokes the user's batch `batch` because its failures reached the cap, with no
    /// member of staff as the revoker; the audit event and notices in the same transaction,
    /// which locks the user first. False when that batch no longer works (revoked by a newer
    /// one, or expired); then nothing is written, and a newer batch is left alone.
    async fn exhaust_batch(
        &self,
        user: UserId,
        batch: i64,
        now: i64,
        audit: &NewAuditEvent,
        notices: &[Notice],
    ) -> StoreResult<bool>;
    /// Counts a redemption for an unknown username in the database-wide window of
    /// `window_secs` ending at `now`; returns the attempts in the window, this one
    /// included. One statement.
    async fn count_unknown_username(&self, now: i64, window_secs: i64) -> StoreResult<i64>;
    /// The database's own key called `name`, created from `fresh` by the first caller; every
    /// caller gets the same key.
    async fn instance_key(&self, name: &str, fresh: &[u8]) -> StoreResult<Zeroizing<Vec<u8>>>;

    /// The emergency stop: revokes every batch that works at `now`, by `by`, in one
    /// transaction that also writes `audit` (its detail gains the count) and, for each
    /// holder, the notices `notices` makes. Returns how many batches were revoked.
    async fn revoke_all_batches(
        &self,
        by: UserId,
        now: i64,
        audit: &NewAuditEvent,
        notices: &(dyn for<'u> Fn(&'u User) -> Vec<Notice> + Send + Sync),
    ) -> StoreResult<u64>;

    // ----- two people (issue 15) ------------------------------------------------------

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
    async fn target_marks(&self, user: UserId) -> StoreResult<TargetMarks>;
    /// Batches `actor` generated in the last hour and day, and `target` received in the
    /// last day, at `now`.
    async fn velocity(&self, actor: UserId, target: UserId, now: i64) -> StoreResult<Velocity>;
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
    /// "Backup codes always need a second person".
    async fn second_person_always(&self) -> StoreResult<bool>;
    async fn set_second_person_always(&self, on: bool, audit: &NewAuditEvent) -> StoreResult<()>;
    /// Writes the request and its audit event (whose detail gains the request's number);
    /// `None` when the target already has an open request.
    async fn insert_request(&self, request: &NewRequest, audit: &NewAuditEvent) -> StoreResult<Option<i64>>;
    async fn request(&self, id: i64) -> StoreResult<Option<CodeRequest>>;
    /// Pending and approved requests, oldest first.
    async fn open_requests(&self, limit: i64) -> StoreResult<Vec<CodeRequest>>;
    /// The target's open request, or else the newest one `requester` made for it.
    async fn latest_request(&self, target: UserId, requester: UserId) -> StoreResult<Option<CodeRequest>>;
    /// Pending requests within their time at `now`.
    async fn count_pending(&self, now: i64) -> StoreResult<i64>;
    /// Moves an open request, within its time, with the audit event, in one transaction;
    /// false (nothing written) when it is no longer in the state `change.from` names.
    async fn move_request(&self, id: i64, change: &RequestMove, audit: &NewAuditEvent) -> StoreResult<bool>;
    /// Closes the open requests past their time at `now`, each with its audit event.
    async fn expire_requests(
        &self,
        now: i64,
        audit: &(dyn for<'r> Fn(&'r CodeRequest) -> NewAuditEvent + Send + Sync),
    ) -> StoreResult<u64>;

    /// Writes a new caller of `helpdesk serve` with its token's hash and the audit event,
    /// in one transaction. `None` when the name is taken; then nothing is written.
    async fn insert_serve_client(
        &self,
        name: &str,
        token_hash: &[u8],
        by: UserId,
        audit: &NewAuditEvent,
    ) -> StoreResult<Option<i64>>;
    /// Every caller, revoked ones too, by name.
    async fn serve_clients(&self) -> StoreResult<Vec<ServeClient>>;
    /// The caller whose token hashes to `token_hash`, while it is not revoked.
    async fn serve_client(&self, token_hash: &[u8]) -> StoreResult<Option<ServeClient>>;
    /// Revokes the caller `name` with the audit event, in one transaction; false when no
    /// caller of that name is active (then nothing is written).
    async fn revoke_serve_client(&self, name: &str, by: UserId, audit: &NewAuditEvent) -> StoreResult<bool>;
    /// The newest migration the database has applied, and the newest this program carries.
    async fn schema_version(&self) -> StoreResult<(i64, i64)>;
}

/// Opens the store a URL names, creating (SQLite) and migrating it as needed: what
/// `helpdesk migrate`, the demo and the tests do (`Opening::Migrate`).
pub async fn open(url: &str, max_connections: u32) -> StoreResult<Arc<dyn Store>> {
    open_with(url, max_connections, Opening::Migrate).await
}

/// Opens the store a URL names, as `opening` says.
pub async fn open_with(url: &str, max_connections: u32, opening: Opening) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url, max_connections, opening).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PostgresStore::open(url, max_connections, opening).await?))
    } else {
        Err(StoreError::UnknownScheme(redact(url)))
    }
}
