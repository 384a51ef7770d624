//! The process dies with SIGKILL in the middle of storing a batch: the database keeps
//! either the whole new batch or none of it, and the codes the customer already holds
//! keep working when it kept none.
//!
//! The dying process is this test binary run again as a child, on the same database, with
//! only `child_generates_when_told` selected: it signs in, says so on stdout, and
//! generates when it reads a line on stdin.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use common::{CHEAP, TestDb, login};
use helpdesk::desk::{HelpDesk, Limits, Redemption};
use helpdesk::domain::audit::IdentityCheck;
use helpdesk::domain::audit_chain::AuditKey;
use helpdesk::store;
use sqlx::Connection;

const CHILD_URL: &str = "HELPDESK_FAULT_CHILD_URL";
const CHILD_ROUNDS: &str = "HELPDESK_FAULT_CHILD_ROUNDS";
/// The database's audit key, as the parent holds it (a test key, made for this database).
const CHILD_KEY: &str = "HELPDESK_FAULT_CHILD_AUDIT_KEY";

#[tokio::test]
#[ignore = "the child process of the tests below; they start it"]
async fn child_generates_when_told() {
    let url = std::env::var(CHILD_URL).expect("started by a test of this file, which names the database");
    let rounds: usize = std::env::var(CHILD_ROUNDS).ok().and_then(|r| r.parse().ok()).unwrap_or(1);
    let key = std::env::var(CHILD_KEY).ok().and_then(|k| AuditKey::parse_file(&k)).expect("the database's audit key");
    let store = store::open(&url, 1, &key).await.expect("the child opens the database");
    let desk = HelpDesk::new(store.clone(), common::policy(), CHEAP, Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let amara = store.user_by_username("amara.okafor").await.unwrap().unwrap();
    println!("ready");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    for _ in 0..rounds {
        desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    }
    println!("stored");
}

struct ChildProcess {
    child: Child,
    lines: std::io::Lines<BufReader<ChildStdout>>,
}

impl ChildProcess {
    fn start(db: &TestDb, rounds: usize) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "faults::child_generates_when_told", "--nocapture", "--test-threads=1"])
            .env(CHILD_URL, &db.url)
            .env(CHILD_ROUNDS, rounds.to_string())
            .env(CHILD_KEY, db.audit_key.to_file_text().as_str())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the child");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut started = Self { child, lines };
        started.wait_for("ready");
        started
    }

    fn wait_for(&mut self, word: &str) {
        for line in self.lines.by_ref() {
            // The harness prints the test's name on the same line first.
            if line.unwrap().trim_end().ends_with(word) {
                return;
            }
        }
        panic!("the child ended before saying {word}");
    }

    fn go(&mut self) {
        writeln!(self.child.stdin.as_mut().unwrap()).unwrap();
    }

    /// SIGKILL: no destructor, no rollback, no goodbye to the database.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// Every batch holds as many codes as it says, and the user has at most one in force.
async fn no_partial_batch(db: &TestDb) {
    let counts = "SELECT COUNT(*) FROM backup_code_batches b \
         WHERE b.code_count <> (SELECT COUNT(*) FROM backup_codes c WHERE c.batch_id = b.id)";
    let active = "SELECT COUNT(*) FROM backup_code_batches WHERE revoked_at IS NULL";
    let (partial, in_force): (i64, i64) = if db.name == "sqlite" {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        (
            sqlx::query_scalar(counts).fetch_one(&mut c).await.unwrap(),
            sqlx::query_scalar(active).fetch_one(&mut c).await.unwrap(),
        )
    } else {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        (
            sqlx::query_scalar(counts).fetch_one(&mut c).await.unwrap(),
            sqlx::query_scalar(active).fetch_one(&mut c).await.unwrap(),
        )
    };
    assert_eq!(partial, 0, "a batch with some of its codes missing");
    assert!(in_force <= 1, "{in_force} batches in force for one customer");
}

/// PostgreSQL: the child is stopped where it has written the revocation, the generation
/// event, the new batch and its ten codes but not committed (waiting to write the notices,
/// whose table this test holds), and killed there.
#[tokio::test]
async fn a_kill_while_storing_a_batch_leaves_the_old_one_in_force() {
    let Some(db) = common::seeded_postgres().await else { return };
    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let amara = db.user("amara.okafor").await;
    let old = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let old_batch = desk.user_detail(&agent, amara.id).await.unwrap().codes.expect("the old batch").id;

    let mut child = ChildProcess::start(&db, 1);
    let mut holder = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let mut held = holder.begin().await.unwrap();
    sqlx::query("LOCK TABLE notification_outbox IN SHARE MODE").execute(&mut *held).await.unwrap();
    child.go();
    // The child's storing transaction waits on that lock once its other writes are
    // done: it then holds the locks of its inserts into the batches and the codes.
    // A client's backend: a table lock also holds up autovacuum.
    let waiting = "SELECT a.pid FROM pg_stat_activity a \
         WHERE a.backend_type = 'client backend' AND pg_backend_pid() = ANY(pg_blocking_pids(a.pid))";
    let deadline = Instant::now() + Duration::from_secs(60);
    // Which of the blocked backends is the child's storing transaction: the one that holds
    // the locks of its inserts into the batches and the codes. Asked until one does (under
    // a loaded machine another backend may be seen waiting first).
    let writing: Vec<String> = loop {
        let blocked: Vec<i32> = sqlx::query_scalar(waiting).fetch_all(&mut *held).await.unwrap();
        let mut found = None;
        for pid in blocked {
            let locks: Vec<String> = sqlx::query_scalar(
                "SELECT relation::regclass::text FROM pg_locks WHERE pid = $1 AND granted AND mode = 'RowExclusiveLock' \
                 AND relation IN ('backup_codes'::regclass, 'backup_code_batches'::regclass) ORDER BY 1",
            )
            .bind(pid)
            .fetch_all(&mut *held)
            .await
            .unwrap();
            if locks.len() == 2 {
                found = Some(locks);
            }
        }
        if let Some(locks) = found {
            break locks;
        }
        assert!(Instant::now() < deadline, "the child never reached the notices with its batch written");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(writing, ["backup_code_batches", "backup_codes"], "the child was stopped before storing the batch");
    child.kill();
    held.rollback().await.unwrap();

    no_partial_batch(&db).await;
    let detail = desk.user_detail(&agent, amara.id).await.unwrap();
    assert_eq!(detail.codes.expect("a batch in force").id, old_batch, "the killed batch took the old one's place");
    let answer = desk.redeem("amara.okafor", old.codes[0].grouped()).await.unwrap();
    assert!(matches!(answer, Redemption::Accepted { .. }), "a code the customer holds stopped working");
}

/// Both databases: children killed at staggered moments while generating batch after
/// batch; whatever moment the kill lands on, no batch is left half written.
#[tokio::test]
async fn kills_at_any_moment_leave_no_partial_batch() {
    let mut dbs = vec![common::seeded_sqlite().await];
    dbs.extend(common::seeded_postgres().await);
    for db in &dbs {
        for delay_ms in [0u64, 3, 7, 15, 30, 60] {
            let mut child = ChildProcess::start(db, 50);
            child.go();
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            child.kill();
            no_partial_batch(db).await;
        }
        let desk = db.desk(Limits::default());
        let agent = login(&desk, "alex.agent").await;
        let amara = db.user("amara.okafor").await;
        let fresh = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
        let answer = desk.redeem("amara.okafor", fresh.codes[0].grouped()).await.unwrap();
        assert!(matches!(answer, Redemption::Accepted { .. }), "{}: the desk did not recover after the kills", db.name);
    }
}
