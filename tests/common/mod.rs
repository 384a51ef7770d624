//! The databases every service test runs on: a fresh SQLite file always, and PostgreSQL
//! when `HELPDESK_TEST_POSTGRES` names a server (`.ci/run` sets it; then an unreachable
//! server fails the tests instead of skipping them).

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use helpdesk::cli::demo;
use helpdesk::desk::{HelpDesk, Limits, Session};
use helpdesk::domain::access::Refusal;
use helpdesk::domain::audit::{AuditAction, AuditEvent};
use helpdesk::domain::audit_chain::AuditKey;
use helpdesk::domain::codes::{CodePolicy, HashCost};
use helpdesk::domain::second_factor::FactorKey;
use helpdesk::domain::user::User;
use helpdesk::store::{self, Store};
use zeroize::Zeroizing;

pub const PG_ENV: &str = "HELPDESK_TEST_POSTGRES";

/// Held by the tests that open dozens of connections, so that two of them together stay
/// under PostgreSQL's default limit of 100 clients.
pub static MANY_CONNECTIONS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Cheap argon2 for tests that do not measure cost; the rules do not depend on it.
pub const CHEAP: HashCost = HashCost { memory_kib: 256, iterations: 1, parallelism: 1 };
/// The cost of the tests' codes: OWASP's cheapest pair, the least a batch may be stored with
/// (`HashCost::within_bounds`, which the database holds too). `CHEAP` stays the staff
/// passwords' cost, which no batch carries.
pub const CODE_COST: HashCost = HashCost { memory_kib: 7_168, iterations: 5, parallelism: 1 };

pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    pub store: Arc<dyn Store>,
    pub clock: Arc<AtomicI64>,
    pub sqlite_file: Option<PathBuf>,
    /// This database's own audit key, random, as `helpdesk migrate` makes one.
    pub audit_key: AuditKey,
    /// The key that seals its staff's authenticator secrets, random, as `migrate` makes it.
    pub factor_key: FactorKey,
    pub factor_key_bytes: [u8; 32],
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn desk(&self, limits: Limits) -> HelpDesk {
        self.desk_on(self.store.clone(), limits)
    }

    /// A service on its own store (its own connections), for concurrency tests.
    pub async fn separate_desk(&self, limits: Limits) -> HelpDesk {
        let store = store::open(&self.url, 1, &self.audit_key).await.expect("second connection");
        self.desk_on(store, limits)
    }

    fn desk_on(&self, store: Arc<dyn Store>, limits: Limits) -> HelpDesk {
        let clock = self.clock.clone();
        HelpDesk::new(store, policy(), CHEAP, limits)
            .with_clock(Arc::new(move || clock.load(Ordering::SeqCst)))
            .with_factor_key(self.factor_key.clone())
    }

    pub fn advance(&self, secs: i64) {
        self.clock.fetch_add(secs, Ordering::SeqCst);
    }

    /// Writes this database's audit key where a `helpdesk` run in `dir` with `--config
    /// /dev/null` reads it (`audit.key_file`'s default, mode 0600).
    pub fn write_key_file(&self, dir: &std::path::Path) {
        write_key_file(&self.audit_key, dir);
        write_private(&dir.join(FACTOR_KEY_FILE), &hex(&self.factor_key_bytes));
    }

    /// "Staff need a second factor", on or off (the seeded databases have it off, so that
    /// the tests of other rules sign in with a password; the factor's tests turn it on).
    pub async fn second_factor(&self, on: bool) {
        self.store.set_staff_second_factor(on).await.unwrap();
    }

    pub async fn user(&self, username: &str) -> User {
        self.store.user_by_username(username).await.unwrap().unwrap_or_else(|| panic!("no demo user {username}"))
    }
}

/// The name `audit.key_file` defaults to, beside the configuration (or in the current
/// directory with `--config /dev/null`).
pub const KEY_FILE: &str = "helpdesk-audit.key";

/// Writes `key` as the key file of a `helpdesk` run in `dir`, as `helpdesk migrate` would.
pub fn write_key_file(key: &AuditKey, dir: &std::path::Path) {
    write_private(&dir.join(KEY_FILE), &key.to_file_text());
}

/// The name `staff.factor_key_file` defaults to.
pub const FACTOR_KEY_FILE: &str = "helpdesk-factor.key";
/// The tests' factor key: fixed, so that a database and the binary run on it agree.
pub const FACTOR_KEY: [u8; 32] = [0x5a; 32];

fn write_private(path: &std::path::Path, text: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// A demo member of staff's authenticator code now (plus `later` seconds: the next step's
/// when this step's was used), as their app would show it.
pub fn demo_code(username: &str, later: i64) -> String {
    let secret = demo::demo_factor(username).expect("a published secret");
    secret.code_at(helpdesk::domain::time::now() + later).to_string()
}

/// The factor key `helpdesk migrate` or the demo made in `dir`.
pub fn factor_key_in(dir: &std::path::Path) -> FactorKey {
    helpdesk::config::factor_key::read(&dir.join(FACTOR_KEY_FILE)).expect("the factor key file the binary made")
}

/// The key `helpdesk migrate` or the demo made in `dir`.
pub fn key_in(dir: &std::path::Path) -> AuditKey {
    helpdesk::config::audit_key::read(&dir.join(KEY_FILE)).expect("the audit key file the binary made")
}

pub fn policy() -> CodePolicy {
    CodePolicy::new(10, 12, 4, Some(72 * 3600), CODE_COST).unwrap()
}

/// Signs a demo member of staff in (`demo::sign_in_demo`: the published password, and
/// the published secret's code where the database asks for one).
pub async fn login(desk: &HelpDesk, username: &str) -> Session {
    demo::sign_in_demo(desk, username).await.expect("demo login")
}

/// A fresh SQLite database seeded with the demo data.
pub async fn seeded_sqlite() -> TestDb {
    seeded(sqlite().await).await
}

/// A fresh PostgreSQL schema seeded with the demo data, when this run has a server:
/// `None` (said once on stderr) when `HELPDESK_TEST_POSTGRES` is unset outside CI; in CI
/// an unset variable fails the test instead of skipping it.
pub async fn seeded_postgres() -> Option<TestDb> {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.is_empty() => Some(seeded(postgres(&url).await).await),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty()) => {
            panic!("CI must run the PostgreSQL suite: {PG_ENV} is not set (.ci/run sets it)")
        }
        _ => {
            say_skipped();
            None
        }
    }
}

/// An empty database of the same kind as `db`, for a test that seeds its own data.
pub async fn fresh(db: &TestDb) -> TestDb {
    match db.name {
        "sqlite" => sqlite().await,
        _ => postgres(&std::env::var(PG_ENV).expect("a PostgreSQL test without its server")).await,
    }
}

async fn seeded(db: TestDb) -> TestDb {
    demo::seed(&db.desk(Limits::default()), 20, CHEAP, |_| {}).await.expect("seeding the demo data");
    db.second_factor(false).await;
    db
}

/// Turns each `async fn name(db: TestDb)` into two tests, `name::sqlite` and
/// `name::postgres`, so that a failure names its database. `multi_thread:` runs them on
/// tokio's multi-threaded runtime, for the concurrency tests.
#[macro_export]
macro_rules! on_each_backend {
    (@tests #[$test:meta] $($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[$test]
                async fn sqlite() {
                    super::$name($crate::common::seeded_sqlite().await).await
                }

                #[$test]
                async fn postgres() {
                    if let Some(db) = $crate::common::seeded_postgres().await {
                        super::$name(db).await
                    }
                }
            }
        )+
    };
    (multi_thread: $($name:ident),+ $(,)?) => {
        on_each_backend!(@tests #[tokio::test(flavor = "multi_thread", worker_threads = 4)] $($name),+);
    };
    ($($name:ident),+ $(,)?) => {
        on_each_backend!(@tests #[tokio::test] $($name),+);
    };
}

/// Once per test binary, on the real stderr (the test harness captures `eprintln!`).
fn say_skipped() {
    use std::io::Write;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\nSKIPPED: the PostgreSQL half of these tests ({PG_ENV} is not set; SQLite ran). \
             To run it: {PG_ENV}=postgres://postgres@127.0.0.1:5432/DB cargo test"
        );
    });
}

async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("test.db");
    let url = format!("sqlite://{}", file.display());
    let audit_key = AuditKey::random().unwrap();
    let store = store::open(&url, 8, &audit_key).await.expect("opening SQLite");
    TestDb {
        name: "sqlite",
        url,
        store,
        clock: Arc::new(AtomicI64::new(helpdesk::domain::time::now())),
        sqlite_file: Some(file),
        audit_key,
        factor_key: FactorKey::from_bytes(FACTOR_KEY),
        factor_key_bytes: FACTOR_KEY,
        _dir: Some(dir),
    }
}

/// A fresh schema in the given database, so that tests running at once do not meet.
async fn postgres(base: &str) -> TestDb {
    use sqlx::Connection;
    let schema = format!("t{}", hex(&helpdesk::domain::codes::random_bytes::<6>().unwrap()));
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL cannot be reached: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let audit_key = AuditKey::random().unwrap();
    let store = store::open(&url, 8, &audit_key).await.expect("opening PostgreSQL");
    TestDb {
        name: "postgres",
        url,
        store,
        clock: Arc::new(AtomicI64::new(helpdesk::domain::time::now())),
        sqlite_file: None,
        audit_key,
        factor_key: FactorKey::from_bytes(FACTOR_KEY),
        factor_key_bytes: FACTOR_KEY,
        _dir: None,
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl TestDb {
    /// Runs several statements in one go, outside the store (a writer's own transaction).
    pub async fn raw_script(&self, sql: &str) -> Result<(), sqlx::Error> {
        self.raw_script_at(&self.url, sql).await
    }

    /// The same on another database of this kind (`before_migration`'s, say).
    pub async fn raw_script_at(&self, url: &str, sql: &str) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        if self.name == "sqlite" {
            sqlx::raw_sql(sql).execute(&mut sqlx::SqliteConnection::connect(url).await?).await?;
        } else {
            sqlx::raw_sql(sql).execute(&mut sqlx::PgConnection::connect(url).await?).await?;
        }
        Ok(())
    }

    /// Runs one statement outside the store, as an attacker with database access would.
    pub async fn raw_execute(&self, sql: &str) -> Result<u64, sqlx::Error> {
        use sqlx::Connection;
        if self.name == "sqlite" {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await?;
            Ok(sqlx::query(sql).execute(&mut c).await?.rows_affected())
        } else {
            let mut c = sqlx::PgConnection::connect(&self.url).await?;
            Ok(sqlx::query(sql).execute(&mut c).await?.rows_affected())
        }
    }
}

/// An empty database of the same kind as `db` that has only the migrations up to and
/// including `version`: a deployment from before a later migration, to upgrade in a test.
/// Its URL, and the folder that holds it on SQLite. `store::open` on the URL upgrades it.
pub async fn before_migration(db: &TestDb, version: i64) -> (String, Option<tempfile::TempDir>) {
    use std::borrow::Cow;
    fn up_to(mut m: sqlx::migrate::Migrator, version: i64) -> sqlx::migrate::Migrator {
        m.migrations = Cow::Owned(m.migrations.iter().filter(|m| m.version <= version).cloned().collect());
        m
    }
    if db.name == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        let options =
            <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url).unwrap().create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        up_to(sqlx::migrate!("migrations/sqlite"), version).run(&pool).await.unwrap();
        pool.close().await;
        (url, Some(dir))
    } else {
        let fresh = fresh(db).await;
        // `fresh` migrated its schema whole: start again from an empty one.
        let schema = fresh.url.rsplit("search_path%3D").next().unwrap().to_owned();
        let pool = sqlx::PgPool::connect(&fresh.url).await.unwrap();
        sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE; CREATE SCHEMA {schema}")).execute(&pool).await.unwrap();
        up_to(sqlx::migrate!("migrations/postgres"), version).run(&pool).await.unwrap();
        pool.close().await;
        (fresh.url.clone(), None)
    }
}

// What the redemption and code tests share.

pub fn typed(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_owned())
}

pub const WRONG: &str = "0000-0000-0000";

pub async fn events_for(db: &TestDb, user: i64) -> Vec<AuditEvent> {
    db.store.recent_audit(Some(user), 1_000).await.unwrap()
}

pub fn count(events: &[AuditEvent], action: AuditAction) -> usize {
    events.iter().filter(|e| e.action == action.as_str()).count()
}

/// Room for many failures, and for many batches for one user in a day.
pub fn roomy() -> Limits {
    let velocity =
        helpdesk::domain::two_person::VelocityLimits { per_user_day: 100, per_agent_hour: 100, per_agent_day: 100 };
    Limits { redeem_max_failures: 100, velocity, ..Limits::default() }
}

pub type Rule = Result<(), Refusal>;

/// Waits until a session of the PostgreSQL server at `url` is blocked by backend `pid`:
/// the test's own writer holds a lock the code under test must wait for. Fails the test,
/// naming `waiter`, if none is within 30 s.
pub async fn wait_until_blocked_by(url: &str, pid: i32, waiter: &str) {
    use sqlx::Connection;
    use std::time::{Duration, Instant};
    let mut watcher = sqlx::PgConnection::connect(url).await.unwrap();
    let blocked = "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))";
    let deadline = Instant::now() + Duration::from_secs(30);
    while sqlx::query_scalar::<_, i64>(blocked).bind(pid).fetch_one(&mut watcher).await.unwrap() == 0 {
        assert!(Instant::now() < deadline, "{waiter} never waited for the other writer");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Approves every pending grant as `approver` (a second admin who asked for none of them):
/// how a test gives the power it asked for, as two people.
pub async fn approve_every_grant(desk: &HelpDesk, approver: &Session) {
    for grant in desk.pending_grants(approver).await.expect("the pending grants") {
        desk.approve_grant(approver, grant.id).await.unwrap_or_else(|e| panic!("grant #{}: {e}", grant.id));
    }
}

/// `change` (one that gives power) for `subject`, asked for by `asker` and approved by
/// `approver`, or by the database's owner beside a single admin when `None`.
pub async fn grant(
    desk: &HelpDesk,
    asker: &Session,
    subject: helpdesk::domain::user::UserId,
    change: helpdesk::domain::access::StaffChange,
    approver: Option<&Session>,
) {
    let asked = desk.change_staff(asker, subject, change).await.expect("asking for the grant");
    let helpdesk::desk::StaffChangeDone::Asked(id) = asked else { panic!("{change:?} applied by one person") };
    match approver {
        Some(approver) => desk.approve_grant(approver, id).await.expect("the second admin's approval"),
        None => desk.approve_grant_as_owner(id).await.expect("the owner's approval beside a single admin"),
    }
}
