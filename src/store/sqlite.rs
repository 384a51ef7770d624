//! The embedded default: one SQLite file, created by `helpdesk migrate` or the demo, in WAL
//! mode. Whoever can read or write the file can read or rewrite everything in it: the file,
//! and the account that owns it, are the boundary.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteQueryResult, SqliteSynchronous,
};

use crate::store::dialect::{Dialect, ended_cleanly};
use crate::store::{Backend, Opening, StoreError, StoreResult};

impl Dialect for Sqlite {
    const BACKEND: Backend = Backend::Sqlite;

    /// `BEGIN IMMEDIATE` takes the write lock up front, so a transaction that reads before
    /// it writes cannot fail on a lock upgrade under concurrent writers.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";

    /// Nothing to do: `BEGIN IMMEDIATE` already holds the database's write lock.
    const LOCK_ADMINS: &'static str = "SELECT 1";

    const USERS_IN_NAME_ORDER: &'static str = "users u INDEXED BY users_sort";
    const NAME_WORDS_IN_NAME_ORDER: &'static str = "user_name_words nw INDEXED BY user_name_words_order";

    // The write transaction already holds the database's one write lock.
    const STALE_KEYS_LOCKED: &'static str = crate::store::sql::users::STALE_KEYS;

    const MARK_STAFF: &'static str =
        "INSERT OR REPLACE INTO writer_mark (id, kind, staff_id, at) VALUES (1, 'staff', $1, $2)";
    const MARK_REFOLD: &'static str = "INSERT OR REPLACE INTO writer_mark (id, kind) VALUES (1, 'refold')";
    const UNMARK: &'static str = "DELETE FROM writer_mark";

    const SHARE_LOCK: &'static str = "";

    /// The write lock is held (`BEGIN IMMEDIATE`) and batches are never deleted, so this is
    /// the id SQLite would assign.
    const NEXT_BATCH_ID: &'static str = "SELECT COALESCE(MAX(id), 0) + 1 FROM backup_code_batches";
    const GIVEN_ID: &'static str = "";

    /// SQLite plans every execution for its values.
    const CUSTOM_PLANS: Option<&'static str> = None;

    /// A sampled ANALYZE: a full one reads every index of a million-row table (≈20 s).
    const ANALYZE: &'static str = "PRAGMA analysis_limit = 1000; ANALYZE;";

    /// A constraint's own index (`sqlite_autoindex_…`) has no statement and stays.
    const REBUILDABLE_INDEXES: &'static str = "SELECT name, sql FROM sqlite_master \
         WHERE type = 'index' AND tbl_name IN ('users', 'two_factor_devices', 'user_name_words') AND sql IS NOT NULL ORDER BY name";

    /// Anonymous `?` parameters: SQLite looks up a numbered parameter's name by walking a
    /// list, which makes binding thousands of `$n` in one statement quadratic.
    fn bulk_param(_n: usize) -> String {
        "?".to_owned()
    }

    fn newest_migration() -> i64 {
        sqlx::migrate!("migrations/sqlite").iter().map(|m| m.version).max().unwrap_or(0)
    }

    fn rows_affected(done: &SqliteQueryResult) -> u64 {
        done.rows_affected()
    }

    async fn connect(url: &str, max_connections: u32, opening: Opening) -> StoreResult<SqlitePool> {
        let unreachable = |source: sqlx::Error| StoreError::Unreachable { url: url.to_owned(), source };
        let options = SqliteConnectOptions::from_str(url).map_err(unreachable)?;
        // Only `helpdesk migrate` and the demo create a database; anything else that meets
        // a missing file stops, leaving no file behind (a typo must not start an empty desk).
        let create = opening == Opening::Migrate;
        let file = options.get_filename();
        if !create && file != Path::new(":memory:") && !file.exists() {
            return Err(StoreError::NoDatabase(file.display().to_string()));
        }
        let options = options
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            // A redemption, a batch or an audit event reported done survives power loss: with
            // NORMAL, WAL mode does not sync at commit, and a used code could come back.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .pragma("cache_size", cache_size(opening))
            // Writers queue behind each other instead of failing while one commits.
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            // A connection whose transaction could not end (SQLite rolls a transaction
            // back itself when the disk fills, and sqlx's ROLLBACK then fails) is closed
            // rather than lent again: every later transaction on it would fail.
            .after_release(|conn, _| Box::pin(async move { ended_cleanly(conn).await }))
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(unreachable)?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(pool)
    }
}

/// The `cache_size` pragma a connection opens with: SQLite's page cache, per connection,
/// in KiB when negative. A process that runs the desk (an agent's UI, serve) keeps 2 MiB:
/// Manage Users' searches read index ranges, and the pages it misses come from the
/// system's file cache; 16 MiB a connection timed no faster at a million users and filled
/// up after one search, 34 MB of an agent's process (`examples/terminal`). Migrating and
/// the demo's bulk load, which write and index every row, keep 16 MiB.
fn cache_size(opening: Opening) -> &'static str {
    match opening {
        Opening::Migrate => "-16384",
        Opening::Run => "-2048",
    }
}
