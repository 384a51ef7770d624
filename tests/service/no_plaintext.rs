//! After codes are generated and redeemed, no code is anywhere in plaintext: not in the
//! database (every byte of the SQLite files; every text and bytea column on PostgreSQL)
//! and not in the log. Failure messages name the place, never the code.

use crate::common;

use std::sync::{Arc, Mutex};

use common::{TestDb, login};
use helpdesk::desk::Limits;
use helpdesk::domain::audit::IdentityCheck;
use sqlx::{Connection, Row};

#[derive(Clone)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Set in the child process that runs the check alone.
const ALONE: &str = "HELPDESK_TEST_PLAINTEXT_ALONE";

/// The check runs in a child process of its own (this test binary, only this test): a log
/// subscriber set for one thread misses events whose call sites another test's thread met
/// first with no subscriber (tracing caches that nobody was interested), and this binary
/// runs many tests at once.
async fn no_code_is_stored_or_logged_in_plaintext(db: TestDb) {
    if std::env::var_os(ALONE).is_some() {
        return checked_alone(db).await;
    }
    let name = format!("no_plaintext::no_code_is_stored_or_logged_in_plaintext::{}", db.name);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &name, "--test-threads=1"])
        .env(ALONE, "1")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}: the check failed alone:\n{said}", db.name);
    assert!(said.contains("1 passed"), "{}: the check did not run alone:\n{said}", db.name);
}

async fn checked_alone(db: TestDb) {
    let log = LogBuffer(Arc::new(Mutex::new(Vec::new())));
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let desk = db.desk(Limits::default());
    let agent = login(&desk, "alex.agent").await;
    let user = db.user("amara.okafor").await;
    let issued =
        desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, Some("seen ID".into())).await.unwrap();
    desk.redeem("amara.okafor", issued.codes[0].grouped()).await.unwrap();
    desk.redeem("amara.okafor", issued.codes[0].grouped()).await.unwrap();
    let forms: Vec<String> = issued
        .codes
        .iter()
        .flat_map(|c| [c.canonical().to_owned(), c.grouped().to_string(), c.grouped().to_lowercase()])
        .collect();

    match &db.sqlite_file {
        Some(file) => {
            // The database, its write-ahead log and shared memory, as bytes.
            let mut scanned = 0;
            for suffix in ["", "-wal", "-shm"] {
                let path = format!("{}{suffix}", file.display());
                let Ok(bytes) = std::fs::read(&path) else { continue };
                scanned += bytes.len();
                for (i, form) in forms.iter().enumerate() {
                    assert!(!contains(&bytes, form.as_bytes()), "code #{i} found in plaintext in {path}");
                }
            }
            assert!(scanned > 50_000, "the SQLite files were not where the test looked");
        }
        None => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let columns = sqlx::query(
                "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS d FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'bytea')",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            assert!(columns.len() > 20, "too few columns scanned: {}", columns.len());
            for col in &columns {
                let (t, c, d): (String, String, String) = (col.get("t"), col.get("c"), col.get("d"));
                let sql = if d == "bytea" {
                    format!("SELECT COUNT(*) FROM {t} WHERE position(convert_to($1, 'UTF8') IN {c}) > 0")
                } else {
                    format!("SELECT COUNT(*) FROM {t} WHERE strpos({c}, $1) > 0")
                };
                for (i, form) in forms.iter().enumerate() {
                    let n: i64 = sqlx::query_scalar(&sql).bind(form).fetch_one(&mut conn).await.unwrap();
                    assert_eq!(n, 0, "code #{i} found in plaintext in {t}.{c}");
                }
            }
        }
    }
    let logged = log.0.lock().unwrap().clone();
    assert!(contains(&logged, b"backup codes generated"), "the log did not record the generation");
    for (i, form) in forms.iter().enumerate() {
        assert!(!contains(&logged, form.as_bytes()), "code #{i} found in the log");
    }
}

on_each_backend!(no_code_is_stored_or_logged_in_plaintext,);
