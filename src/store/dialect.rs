//! What differs between SQLite and PostgreSQL, and only that. The statements in `sql/`
//! and the logic in the topic files are the same for both; each database implements this
//! trait once, in `sqlite.rs` and `postgres.rs`.

use std::future::Future;

use sqlx::{Database, Decode, Encode, Pool, Type};

use crate::store::{Backend, Opening, StoreResult};

pub trait Dialect: Database {
    const BACKEND: Backend;

    /// How a write transaction begins; the statement decides which lock is taken first.
    const BEGIN_WRITE: &'static str;

    /// Locks the enabled admins' rows for the rest of the transaction, so that the
    /// last-admin rule holds under concurrent demotions.
    const LOCK_ADMINS: &'static str;

    /// Rows whose search keys are stale, up to `$1`, locked for this transaction; on
    /// PostgreSQL skipping those another process is folding, so that an agent's search
    /// never waits behind another's fold (nor folds the same rows twice).
    const STALE_KEYS_LOCKED: &'static str;

    /// `users u` as a search walks it, in name order: SQLite must be told to read the name
    /// index (it would rather use a search column's index and sort a million rows).
    const USERS_IN_NAME_ORDER: &'static str;

    /// `user_name_words nw` as a walk in name order reads it (its `sort_key, user_id,
    /// word_key` index): SQLite is told, PostgreSQL judges for itself.
    const NAME_WORDS_IN_NAME_ORDER: &'static str;

    /// Marks the writes that follow in this transaction as helpdesk's, for the contact-change
    /// triggers: `$1` the member of staff, `$2` the product's clock. `UNMARK` before the
    /// commit. (PostgreSQL: a transaction-local setting; SQLite: a row of `writer_mark`
    /// that no committed state holds.)
    const MARK_STAFF: &'static str;
    /// Marks the refold's rewrite of a phone into E.164, which is not a change of number.
    const MARK_REFOLD: &'static str;
    const UNMARK: &'static str;

    /// Appended to a read inside a write transaction that must hold what it read until
    /// the commit: `FOR SHARE` on PostgreSQL; nothing on SQLite, whose write transaction
    /// already excludes every other writer.
    const SHARE_LOCK: &'static str;

    /// Run first in a search's transaction: a kept statement is planned for its values each
    /// time (PostgreSQL's `plan_cache_mode`), never with a generic plan. `None`: nothing to
    /// ask.
    const CUSTOM_PLANS: Option<&'static str>;

    /// The id the next batch will be written with, drawn inside the storing transaction
    /// before its generation event, which names it (migration 0022).
    const NEXT_BATCH_ID: &'static str;
    /// Written between an INSERT's column list and VALUES when it gives an identity
    /// column's value the product drew itself (`NEXT_BATCH_ID`).
    const GIVEN_ID: &'static str;

    /// Refreshes the planner's statistics after a bulk load.
    const ANALYZE: &'static str;

    /// The indexes of `users` and `two_factor_devices` that no constraint needs, as
    /// (name, the statement that creates it): a bulk load drops them and builds them
    /// again at the end.
    const REBUILDABLE_INDEXES: &'static str;

    /// The `n`-th (from 1) parameter of a multi-row insert, in this database's style.
    fn bulk_param(n: usize) -> String;

    /// The newest migration this program carries for this database.
    fn newest_migration() -> i64;

    /// How many rows a statement changed (sqlx has no trait for it).
    fn rows_affected(done: &Self::QueryResult) -> u64;

    /// Connects with this database's settings and applies its migrations, or checks them,
    /// as `opening` says.
    fn connect(
        url: &str,
        max_connections: u32,
        opening: Opening,
    ) -> impl Future<Output = StoreResult<Pool<Self>>> + Send;
}

/// An owned value the store binds and reads back on `D`.
pub trait Column<D: Dialect>: for<'q> Encode<'q, D> + for<'r> Decode<'r, D> + Type<D> + Send + Unpin {}

impl<D: Dialect, T> Column<D> for T where T: for<'q> Encode<'q, D> + for<'r> Decode<'r, D> + Type<D> + Send + Unpin {}

/// A borrowed value the store binds on `D`.
pub trait Param<'q, D: Dialect>: Encode<'q, D> + Type<D> + Send + 'q {}

impl<'q, D: Dialect, T> Param<'q, D> for T where T: Encode<'q, D> + Type<D> + Send + 'q {}

/// For the pools' `after_release`: whether a returned connection is fit to lend again.
/// The ping first lets any rollback sqlx still owes the connection run.
pub async fn ended_cleanly<C: sqlx::Connection>(conn: &mut C) -> sqlx::Result<bool> {
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
}
