//! The one boundary between the help desk and its identity database. `Store` speaks in
//! the domain's types; it is the sum of one trait a topic (institution, people, search,
//! staff, sign-in, batches, audit, contact changes, two-person requests, grant requests,
//! second factors, serve clients), each declared and implemented once in its topic's file, on
//! `SqlStore<D>`, for any database with a `Dialect`: `SqliteStore` (the embedded default) and `PostgresStore`
//! (production). The statements are named in `sql/`, by topic; rows become domain values
//! in `rows.rs`.

#[macro_use]
mod sql_impl;

mod audit;
mod batches;
mod contact_changes;
mod dialect;
mod error;
mod factor;
mod grants;
mod institution;
mod people;
mod postgres;
mod redact;
mod rows;
mod serve_clients;
mod sign_in;
mod sql;
mod sql_store;
mod sqlite;
mod staff;
mod two_person;
mod types;
mod user_search;

use std::sync::Arc;

use crate::domain::audit_chain::AuditKey;

pub use audit::AuditStore;
pub use batches::BatchStore;
pub use contact_changes::ContactChangeStore;
pub use dialect::Dialect;
pub use error::{StoreError, StoreResult};
pub use factor::{FactorStore, StoredFactor};
pub use grants::{GrantDecider, GrantDecision, GrantOutcome, GrantStore};
pub use institution::InstitutionStore;
pub use people::PeopleStore;
pub use redact::redact;
pub use serve_clients::ServeClientStore;
pub use sign_in::SignInStore;
pub use sql::search::{Statement as SearchStatement, bare as bare_search};
pub use sql_store::SqlStore;
pub use staff::StaffStore;
pub use two_person::TwoPersonStore;
pub use types::*;
pub use user_search::SearchStore;

pub type SqliteStore = SqlStore<sqlx::Sqlite>;
pub type PostgresStore = SqlStore<sqlx::Postgres>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares `Store` as the sum of the topic traits and implements it for every type that
/// implements them all, from one list.
macro_rules! store_is_the_sum_of {
    ($(#[$doc:meta])* $first:ident $(+ $topic:ident)*) => {
        $(#[$doc])*
        pub trait Store: $first $(+ $topic)* {}

        impl<T> Store for T where T: $first $(+ $topic)* {}
    };
}

store_is_the_sum_of! {
    /// Everything the help desk reads from and writes to its database: the sum of the topic
    /// traits, each implemented once, on `SqlStore<D>`, in its topic's file beside its SQL.
    /// `Arc<dyn Store>` calls every topic's methods with no import (a trait object's
    /// supertraits are in scope for it); a concrete `SqlStore` needs the topic trait imported.
    ///
    /// A method that writes more than one row does so in one write transaction, which commits
    /// whole or not at all; where it takes an audit event or notices, they are written in that
    /// same transaction, after the change they record. A write transaction begins with
    /// `Dialect::BEGIN_WRITE`: on SQLite (`BEGIN IMMEDIATE`) it holds the database's write lock
    /// from its first statement, so writers take turns; on PostgreSQL rows lock as they are
    /// written, and the methods that must take turns per user lock the user's row first
    /// (`LOCK_USER`). Reads run outside transactions and see committed data.
    ///
    /// A write that checks its actor again inside its transaction (`Acting`) returns one enum
    /// of what it did (`BatchOutcome`, `RevokeOutcome`, `StaffChangeOutcome`,
    /// `ProfileOutcome`), not a `Result` inside the `StoreResult`: the caller's `match` names
    /// every outcome, so a new one is a compile error at each caller rather than a guess.
    /// `StoreError` stays for the database failing; an outcome is the database answering.
    InstitutionStore
        + PeopleStore
        + SearchStore
        + StaffStore
        + SignInStore
        + BatchStore
        + AuditStore
        + ContactChangeStore
        + TwoPersonStore
        + GrantStore
        + FactorStore
        + ServeClientStore
}

/// Opens the store a URL names, creating (SQLite) and migrating it as needed: what
/// `helpdesk migrate`, the demo and the tests do (`Opening::Migrate`). The audit events it
/// writes are linked under `audit_key`.
pub async fn open(url: &str, max_connections: u32, audit_key: &AuditKey) -> StoreResult<Arc<dyn Store>> {
    open_with(url, max_connections, Opening::Migrate, audit_key).await
}

/// Connects to the database a URL names as `opening` says, and lets it go: whether it can
/// be opened at all, for a caller that cannot open a store yet (it has no audit key).
pub async fn check_opens(url: &str, opening: Opening) -> StoreResult<()> {
    if url.starts_with("sqlite:") {
        <sqlx::Sqlite as Dialect>::connect(url, 1, opening).await?.close().await;
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        <sqlx::Postgres as Dialect>::connect(url, 1, opening).await?.close().await;
    } else {
        return Err(StoreError::UnknownScheme(redact(url)));
    }
    Ok(())
}

/// Opens the store a URL names, as `opening` says.
pub async fn open_with(
    url: &str,
    max_connections: u32,
    opening: Opening,
    audit_key: &AuditKey,
) -> StoreResult<Arc<dyn Store>> {
    let key = audit_key.clone();
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url, max_connections, opening, key).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PostgresStore::open(url, max_connections, opening, key).await?))
    } else {
        Err(StoreError::UnknownScheme(redact(url)))
    }
}
