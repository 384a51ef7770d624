//! Callers that hang up lose nothing: 200 of them hang up mid-call, and every refusal and
//! redemption the server counted (`/metrics`) has its audit event, and no database session
//! is left inside a transaction; then SIGTERM waits for the redemptions whose callers hung
//! up before the process exits.

use crate::common;
use crate::metrics::{answers, delta, samples};
use crate::over_https::{Served, send_raw};

use std::time::{Duration, Instant};

use common::{TestDb, login};
use helpdesk::desk::Limits;
use helpdesk::domain::audit::AuditFilter;

const UNKNOWN: &str = r#"{"username":"nobody.here","code":"ABCD-EFGH-JKMN"}"#;
const REJECTED: &str = r#"helpdesk_serve_redemptions_total{result="rejected"}"#;

async fn callers_that_hang_up_lose_no_event_and_leave_no_transaction_open(db: TestDb) {
    let desk = db.desk(Limits::default());
    let admin = login(&desk, "ada.admin").await;
    let token = desk.create_serve_client(&admin, "login").await.unwrap().token;
    let mut served = Served::start_with(
        &db,
        "queue = 64\nrefusals_per_minute = 1000\nmax_connections = 1000\nmax_connections_per_address = 1000\n",
    );
    let events = async |action: &str| {
        let all = desk.export_audit_as(&admin, &AuditFilter::default(), 0, 10_000).await.unwrap();
        all.iter().filter(|e| e.action == action).count()
    };
    let (_, before) = samples(&served);
    let (refused_before, rejected_before) = (events("serve_call_refused").await, events("backup_code_rejected").await);

    // 150 bad tokens and 50 redemptions at once, each caller gone 0 to 39 ms after its
    // request is written: some in the credential check, some in the audit's transaction,
    // some waiting for a core or hashing.
    let (port, cert) = (served.port, served.cert());
    let mut callers = tokio::task::JoinSet::new();
    for i in 0..200u64 {
        let (cert, token) = (cert.clone(), if i % 4 == 0 { token.as_str().to_owned() } else { "hds_bad".into() });
        callers.spawn(async move {
            let stream = send_raw(port, &cert, &token, UNKNOWN).await;
            tokio::time::sleep(Duration::from_millis(i * 7 % 40)).await;
            drop(stream);
        });
    }
    callers.join_all().await;

    // Once the server is quiet, what it counted is what the audit log holds.
    let redeem = "/v1/backup-codes/redeem";
    let until = Instant::now() + Duration::from_secs(60);
    let (counted_401, counted_rejected) = loop {
        let (_, now) = samples(&served);
        let counted = (delta(&before, &now, &answers(redeem, 401)), delta(&before, &now, REJECTED));
        if counted.0 as usize == events("serve_call_refused").await - refused_before
            && counted.1 as usize == events("backup_code_rejected").await - rejected_before
            && now.get("helpdesk_serve_queue_places_in_use") == Some(&0.0)
        {
            break counted;
        }
        assert!(Instant::now() < until, "{}: counted {counted:?}, audited otherwise", db.name);
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    eprintln!("{}: of 200 callers who hung up, {counted_401} refused and {counted_rejected} redeemed", db.name);
    assert!(counted_401 >= 100.0 && counted_rejected >= 30.0, "{}: most calls never arrived", db.name);
    if db.name == "postgres" {
        let mut conn: sqlx::PgConnection = sqlx::Connection::connect(&db.url).await.unwrap();
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(open, 0, "postgres: sessions left idle in a transaction after the hang-ups");
    }

    // SIGTERM just after 8 callers hung up mid-redemption: the process exits only once
    // each of the 8 has written its outcome and its audit event.
    let before = events("backup_code_rejected").await;
    let mut gone = Vec::new();
    for _ in 0..8 {
        gone.push(send_raw(port, &cert, token.as_str(), UNKNOWN).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(gone);
    served.sigterm();
    let status = served.exit_status(db.name);
    assert_eq!(status.code(), Some(0), "{}", db.name);
    assert_eq!(
        events("backup_code_rejected").await - before,
        8,
        "{}: redemptions whose callers hung up were cut by the shutdown",
        db.name
    );
}

on_each_backend!(multi_thread: callers_that_hang_up_lose_no_event_and_leave_no_transaction_open);
