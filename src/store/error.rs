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
    #[error("the username {0:?} is already taken")]
    UsernameTaken(String),
    /// Any other error the database or the driver returned; sqlx's own sentence says
    /// what it was ("error returned from database: …").
    #[error(transparent)]
    Query(sqlx::Error),
    /// A failure beside the database that a caller reports as the store's. Only
    /// `cli/demo.rs` uses it (for a password-hash error); it can go when demo.rs stops.
    #[error("the database answered with an error: {0}")]
    Database(String),
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

    #[test]
    fn any_other_database_error_reads_as_sqlx_says_it() {
        let err = StoreError::from(sqlx::Error::RowNotFound);
        assert!(matches!(err, StoreError::Query(_)), "{err:?}");
        assert_eq!(err.to_string(), sqlx::Error::RowNotFound.to_string());
    }
}
