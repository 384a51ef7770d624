//! Load at the service layer on PostgreSQL: 200 agents at once, each searching and then
//! generating a batch for a customer of their own, while 1,000 redemptions run, some
//! right and most wrong. Prints p50/p99 per operation and the errors, then checks that
//! the audit log holds exactly one event per action.
//!
//!   createdb -h 127.0.0.1 -U postgres helpdesk_load
//!   cargo run --release --example load -- postgres://postgres@127.0.0.1:5432/helpdesk_load
//!
//! Through PgBouncer in transaction mode, give the URL through it and then the same
//! database directly: the schema is migrated directly (migrations take a session lock),
//! and the server connections PostgreSQL sees are counted through the direct one.
//!
//!   cargo run --release --example load -- postgres://…:6432/helpdesk_load postgres://…:5432/helpdesk_load
//!
//! All agents share one pool of `POOL` connections, as 200 UI processes of 2 connections
//! each share PostgreSQL's through PgBouncer (docs/deploy-ssh.md).

use std::sync::Arc;
use std::time::{Duration, Instant};

use helpdesk::desk::{HelpDesk, Limits, Redemption};
use helpdesk::domain::audit::IdentityCheck;
use helpdesk::domain::codes::{CodePolicy, HashCost};
use helpdesk::domain::password;
use helpdesk::domain::user::{StaffRole, UserKind};
use helpdesk::store::{self, NewUser, UserQuery};
use zeroize::Zeroizing;

#[path = "support/mod.rs"]
mod support;
use support::person;

const AGENTS: usize = 200;
const REDEMPTIONS: usize = 1_000;
const POOL: u32 = 40;

fn percentile(xs: &mut [Duration], p: f64) -> f64 {
    xs.sort_unstable();
    let i = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let url = std::env::args().nth(1).expect("a PostgreSQL URL");
    let direct = std::env::args().nth(2);
    let cost = HashCost::default();
    // A throwaway database: its audit key need outlive no run.
    let audit_key = helpdesk::domain::audit_chain::AuditKey::random().unwrap();
    let store = match &direct {
        Some(direct) => {
            store::open_with(direct, 1, store::Opening::Migrate, &audit_key).await.expect("migrating directly");
            store::open_with(&url, POOL, store::Opening::Run, &audit_key).await.expect("opening through PgBouncer")
        }
        None => store::open(&url, POOL, &audit_key).await.expect("opening the database"),
    };
    // The most server connections PostgreSQL shows for this database during the burst.
    let most = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let sampler = direct.clone().map(|direct| {
        let most = Arc::clone(&most);
        tokio::spawn(async move {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&direct).await.expect("the direct connection");
            loop {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                )
                .fetch_one(&mut conn)
                .await
                .unwrap_or(0);
                most.fetch_max(n, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    });
    let policy = CodePolicy::new(10, 12, 4, Some(72 * 3600), cost).unwrap();
    let velocity = support::unlimited_velocity();
    let limits = Limits { redeem_max_failures: 100, velocity, ..Limits::default() };
    let desk = HelpDesk::new(Arc::clone(&store), policy, cost, limits)
        .with_factor_key(helpdesk::domain::second_factor::FactorKey::from_bytes([7; 32]));
    helpdesk::cli::demo::seed(&desk, 1_000, cost, |_| {}).await.unwrap();
    // Signs the same staff in many times a step: by password, as the database's owner allows.
    store.set_staff_second_factor(false).await.unwrap();

    let pass = Zeroizing::new("load-test-passphrase-2026".to_owned());
    let hash = password::hash(&cost, &pass).unwrap();
    let run = helpdesk::domain::time::now();
    let staff: Vec<NewUser> = (0..AGENTS)
        .map(|i| person(UserKind::Staff, format!("agent{run}x{i}"), Some(StaffRole::Agent), Some(hash.clone())))
        .collect();
    let customers: Vec<NewUser> =
        (0..AGENTS).map(|i| person(UserKind::Customer, format!("cust{run}x{i}"), None, None)).collect();
    desk.load_demo_users(&staff).await.unwrap();
    let customer_ids = desk.load_demo_users(&customers).await.unwrap();
    let before = store.audit_events(&Default::default(), 0, i64::MAX).await.unwrap().len();

    // One batch up front gives the redemptions real codes to find among wrong ones.
    let first = desk.login(&staff[0].username, pass.clone()).await.unwrap();
    let target = customer_ids[0];
    let issued = desk.generate_codes(&first, target, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let good: Vec<Zeroizing<String>> = issued.codes.iter().map(|c| c.grouped()).collect();
    drop(issued);
    let target_name = customers[0].username.clone();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, agent) in staff.iter().enumerate().skip(1) {
        let (desk, username, pass, customer) = (desk.clone(), agent.username.clone(), pass.clone(), customer_ids[i]);
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let t = Instant::now();
            let session = desk.login(&username, pass).await.map_err(|e| e.to_string())?;
            times.push(("sign in", t.elapsed()));
            let t = Instant::now();
            let query = UserQuery { text: "tester".into(), after: None, limit: 51 };
            desk.search(&session, &query).await.map_err(|e| e.to_string())?;
            times.push(("search", t.elapsed()));
            let t = Instant::now();
            desk.generate_codes(&session, customer, IdentityCheck::CallBackNumberOnFile, None)
                .await
                .map_err(|e| e.to_string())?;
            times.push(("generate", t.elapsed()));
            Ok::<_, String>(times)
        }));
    }
    let mut redemptions = Vec::new();
    for i in 0..REDEMPTIONS {
        let (desk, user) = (desk.clone(), target_name.clone());
        let typed = match good.get(i / 100) {
            Some(code) if i % 100 == 0 => code.clone(),
            _ => Zeroizing::new(format!("WRONG-{i:04}-CODE")),
        };
        redemptions.push(tokio::spawn(async move {
            let t = Instant::now();
            let answer = desk.redeem(&user, typed).await.map_err(|e| e.to_string())?;
            Ok::<_, String>((answer, t.elapsed()))
        }));
    }
    let mut by_op: std::collections::BTreeMap<&str, Vec<Duration>> = Default::default();
    let mut errors = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(times) => times.into_iter().for_each(|(op, d)| by_op.entry(op).or_default().push(d)),
            Err(e) => errors.push(e),
        }
    }
    let (mut accepted, mut rejected) = (0, 0);
    for task in redemptions {
        match task.await.unwrap() {
            Ok((answer, d)) => {
                by_op.entry("redeem").or_default().push(d);
                match answer {
                    Redemption::Accepted { .. } => accepted += 1,
                    _ => rejected += 1,
                }
            }
            Err(e) => errors.push(e),
        }
    }
    let wall = started.elapsed();
    if let Some(sampler) = sampler {
        sampler.abort();
        println!(
            "PostgreSQL server connections for this database, most seen during the burst: {}",
            most.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    println!(
        "{} agents and {REDEMPTIONS} redemptions at once, {POOL} connections: {:.1} s",
        AGENTS - 1,
        wall.as_secs_f64()
    );
    for (op, times) in &mut by_op {
        println!(
            "{op:>9}: n={:>5}  p50 {:>7.1} ms  p99 {:>7.1} ms",
            times.len(),
            percentile(times, 0.5),
            percentile(times, 0.99)
        );
    }
    println!("redemptions: {accepted} accepted, {rejected} rejected; errors: {}", errors.len());
    for e in errors.iter().take(5) {
        println!("  error: {e}");
    }
    let after = store.audit_events(&Default::default(), 0, i64::MAX).await.unwrap();
    let new = &after[before..];
    let count = |a: &str| new.iter().filter(|e| e.action == a).count();
    // One event per action: sign-ins, generations (with the warm-up's), redemptions.
    let logins = count("staff_login");
    let generated = count("backup_codes_generated");
    let redeemed = count("backup_code_redeemed") + count("backup_code_rejected");
    println!("audit: {logins} sign-ins, {generated} generations, {redeemed} redemptions recorded");
    assert_eq!(logins, AGENTS, "a sign-in without its event, or one twice");
    assert_eq!(generated, AGENTS, "a generation without its event, or one twice");
    assert_eq!(redeemed, REDEMPTIONS, "a redemption without its event, or one twice");
    assert!(errors.is_empty(), "errors under load");
    match helpdesk::desk::HelpDesk::verify_audit_chain(&desk).await {
        Ok(report) => println!("audit chain after the load: {report:?}"),
        Err(e) => println!("audit chain could not be checked: {e}"),
    }
}
