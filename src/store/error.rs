//! What can go wrong at the store. The sentence is for people; the cause stays attached
//! as the error's source, and the edge prints the chain (`helpdesk: … cannot be reached:
//! <cause>`).

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database at {url} cannot be reached")]
    Unreachable {
        /// Never with a password: a PostgreSQL URL is redacted, a SQLite one has none.
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database URL {0:?} is neither sqlite:// nor postgres://")]
    UnknownScheme(String),
    #[error("applying the database migrations failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The pool could not hand out a working connection: timed out, closed, or the
    /// network failed under it.
    #[error("the connection to the database failed")]
    Lost(#[source] sqlx::Error),
    /// The disk under the database is full (SQLite's SQLITE_FULL, PostgreSQL's 53100).
    /// The transaction did not commit: nothing of it was saved.
    #[error("the database's disk is full; nothing was saved")]
    Full(#[source] sqlx::Error),
    /// The database cannot be written: a read-only file or file system (SQLite's
    /// SQLITE_READONLY), or a read-only server (PostgreSQL's 25006).
    #[error("the database cannot be written (read-only); nothing was saved")]
    ReadOnly(#[source] sqlx::Error),
    #[error("the username {0:?} is already taken")]
    UsernameTaken(String),
    /// Any other error the database or the driver returned; sqlx's own sentence says
    /// what it was ("error returned from database: …").
    #[error(transparent)]
    Query(sqlx::Error),
    #[error("the database holds a value this version does not understand: {0}")]
    Corrupt(String),
    /// Only `helpdesk migrate` (and the demo) create a database.
    #[error(
        "the database file {0} does not exist; create it with `helpdesk migrate` (or use `helpdesk demo` for a demo)"
    )]
    NoDatabase(String),
    /// A role that does not own the schema never migrates it.
    #[error(
        "the database schema is at version {found}, but this program needs version {wanted}; run `helpdesk migrate` as the role that owns the schema"
    )]
    SchemaNotCurrent { found: i64, wanted: i64 },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => StoreError::Lost(e),
            sqlx::Error::Database(ref db) => {
                let code = db.code().map(|c| c.into_owned());
                // SQLite's codes are extended numbers whose low byte is the primary code;
                // PostgreSQL's are SQLSTATEs.
                let sqlite = db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some();
                let primary = code.as_deref().and_then(|c| c.parse::<i64>().ok()).filter(|_| sqlite).map(|c| c & 0xff);
                match (primary, code.as_deref()) {
                    (Some(13), _) | (None, Some("53100")) => StoreError::Full(e),
                    (Some(8), _) | (None, Some("25006")) => StoreError::ReadOnly(e),
                    _ => StoreError::Query(e),
                }
            }
            e => StoreError::Query(e),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::StoreError;

    #[test]
    fn a_lost_connection_is_lost_and_keeps_its_cause() {
        let lost =
            [sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed, sqlx::Error::Io(std::io::Error::other("reset"))];
        for e in lost {
            let err = StoreError::from(e);
            assert!(matches!(err, StoreError::Lost(_)), "{err:?}");
            assert_eq!(err.to_string(), "the connection to the database failed");
            assert!(err.source().is_some_and(|s| s.is::<sqlx::Error>()));
        }
    }

    /// A real SQLite database made full (`max_page_count`) and read-only (`query_only`):
    /// each refusal reads as what happened, with sqlx's error kept as the cause.
    #[tokio::test]
    async fn a_full_or_read_only_sqlite_database_says_so() {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE t (x BLOB)").execute(&mut c).await.unwrap();
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&mut c).await.unwrap();
        sqlx::query(&format!("PRAGMA max_page_count = {pages}")).execute(&mut c).await.unwrap();
        let full = sqlx::query("INSERT INTO t VALUES (zeroblob(100000))").execute(&mut c).await.unwrap_err();
        let full = StoreError::from(full);
        assert!(matches!(full, StoreError::Full(_)), "{full:?}");
        assert_eq!(full.to_string(), "the database's disk is full; nothing was saved");
        assert!(full.source().is_some());
        sqlx::query("PRAGMA query_only = 1").execute(&mut c).await.unwrap();
        let read_only = StoreError::from(sqlx::query("DELETE FROM t").execute(&mut c).await.unwrap_err());
        assert!(matches!(read_only, StoreError::ReadOnly(_)), "{read_only:?}");
        assert_eq!(read_only.to_string(), "the database cannot be written (read-only); nothing was saved");
    }

    #[test]
    fn any_other_database_error_reads_as_sqlx_says_it() {
        let err = StoreError::from(sqlx::Error::RowNotFound);
        assert!(matches!(err, StoreError::Query(_)), "{err:?}");
        assert_eq!(err.to_string(), sqlx::Error::RowNotFound.to_string());
    }
}
