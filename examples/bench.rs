//! Prints the figures BENCHMARKS.md quotes. Run with `--release`:
//!
//!   cargo run --release --example bench                      # redemption vs bare argon2
//!   cargo run --release --example bench -- search URL        # Manage Users search latency
//!   cargo run --release --example bench -- search URL 'van den berg' rashid   # only these

use std::sync::Arc;
use std::time::{Duration, Instant};

use helpdesk::cli::demo;
use helpdesk::desk::{HelpDesk, Limits, Redemption};
use helpdesk::domain::audit::IdentityCheck;
use helpdesk::domain::codes::{CodePolicy, HashCost};
use helpdesk::store::{self, UserQuery};
use zeroize::Zeroizing;

#[path = "support/mod.rs"]
mod support;
use support::Raw;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("search") => search(args.get(1).expect("search URL"), &args[2..]).await,
        Some("phones") => phones(),
        _ => redemption(args.first().cloned()).await,
    }
}

/// Reading a stored phone number (what every row of Manage Users draws) and reading one as
/// typed, over numbers of ten regions in turn, after one round that compiles the patterns.
fn phones() {
    let stored = [
        "+14155552671",
        "+442079460000",
        "+2348031234567",
        "+919876543210",
        "+819012345678",
        "+33612345678",
        "+525512345678",
        "+4915123456700",
        "+79123456789",
        "+8613123456789",
    ];
    let typed = ["(415) 555-2671", "0044 20 7946 0000", "+234 803 123 4567", "011 91 98765 43210", "+81 90-1234-5678"];
    for s in stored {
        let _ = helpdesk::domain::phone::shown(s);
    }
    let rounds = 2_000;
    let started = Instant::now();
    for i in 0..rounds {
        let _ = helpdesk::domain::phone::shown(stored[i % stored.len()]);
    }
    println!("phone shown: {:.1} µs each", started.elapsed().as_secs_f64() * 1e6 / rounds as f64);
    let started = Instant::now();
    for i in 0..rounds {
        let _ = helpdesk::domain::phone::parse(typed[i % typed.len()], Default::default());
    }
    println!("phone parsed as typed: {:.1} µs each", started.elapsed().as_secs_f64() * 1e6 / rounds as f64);
}

/// The median of `n` timed runs after `warm` untimed ones, in milliseconds.
async fn median<F: std::future::Future>(warm: usize, n: usize, mut run: impl FnMut() -> F) -> f64 {
    let mut times = Vec::with_capacity(n);
    for round in 0..warm + n {
        let started = Instant::now();
        run().await;
        if round >= warm {
            times.push(ms(started.elapsed()));
        }
    }
    middle(&mut times)
}

fn middle(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

async fn redemption(url: Option<String>) {
    let cost = HashCost::default();
    let argon2 = cost.argon2().unwrap();
    // One evaluation as the argon2 crate does it (its own memory each time), in ms.
    let bare_once = || {
        let started = Instant::now();
        let mut out = [0u8; 32];
        argon2.hash_password_into(b"ABCDEFGHJK12", b"0123456789abcdef", &mut out).unwrap();
        ms(started.elapsed())
    };
    let bare = median(3, 21, || async { bare_once() }).await;
    println!(
        "bare argon2id (m={} KiB, t={}, p={}), median of 21: {bare:.1} ms",
        cost.memory_kib, cost.iterations, cost.parallelism
    );

    let dir = tempfile::tempdir().unwrap();
    let url = url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    // A throwaway database: its audit key need outlive no run.
    let audit_key = helpdesk::domain::audit_chain::AuditKey::random().unwrap();
    let store = store::open(&url, 4, &audit_key).await.unwrap();
    let policy = CodePolicy::new(10, 12, 4, None, cost).unwrap();
    let velocity = support::unlimited_velocity();
    let limits = Limits { redeem_max_failures: 100, velocity, ..Limits::default() };
    let desk = HelpDesk::new(Arc::clone(&store), policy.clone(), cost, limits)
        .with_factor_key(helpdesk::domain::second_factor::FactorKey::from_bytes([7; 32]));
    demo::seed(&desk, 20, cost, |_| {}).await.unwrap();
    // Signs the same staff in many times a step: by password, as the database's owner allows.
    store.set_staff_second_factor(false).await.unwrap();
    let agent = desk.login("alex.agent", Zeroizing::new("agent-demo-pass-2026".into())).await.unwrap();
    let user = store.user_by_username("amara.okafor").await.unwrap().unwrap();
    println!("backend: {:?}", store.backend());

    let alone = median(1, 5, || async { drop(helpdesk::domain::codes::generate(&policy).unwrap()) }).await;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("a batch's 10 hashes alone, on {cores} cores: {alone:.1} ms ({:.2}x ten bare)", alone / (10.0 * bare));

    // Rounds of: a new batch, a wrong code and a right one while all ten are unused, the
    // codes in between, then a wrong code and the last right one while one is unused.
    let wrong = || Zeroizing::new("0000-0000-0000".to_owned());
    let (mut generate, mut accepted10, mut accepted1, mut rejected10, mut rejected1, mut bares) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..12 {
        let bare_now = bare_once();
        let started = Instant::now();
        let issued = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
        let took = ms(started.elapsed());
        let timed = |answer: Redemption, expected: Redemption, started: Instant| {
            assert_eq!(answer, expected);
            ms(started.elapsed())
        };
        let started = Instant::now();
        let r10 = timed(desk.redeem("amara.okafor", wrong()).await.unwrap(), Redemption::Rejected, started);
        let mut each = Vec::new();
        for (i, code) in issued.codes[..9].iter().enumerate() {
            let started = Instant::now();
            let accepted = Redemption::Accepted { codes_left: 9 - i as i64 };
            each.push(timed(desk.redeem("amara.okafor", code.grouped()).await.unwrap(), accepted, started));
        }
        let started = Instant::now();
        let r1 = timed(desk.redeem("amara.okafor", wrong()).await.unwrap(), Redemption::Rejected, started);
        let last = issued.codes.last().unwrap().grouped();
        let started = Instant::now();
        let a1 =
            timed(desk.redeem("amara.okafor", last).await.unwrap(), Redemption::Accepted { codes_left: 0 }, started);
        if round > 0 {
            // the first round warms the connections and the caches
            bares.push(bare_now);
            generate.push(took);
            rejected10.push(r10);
            accepted10.push(each[0]);
            rejected1.push(r1);
            accepted1.push(a1);
        }
    }
    let show = |what: &str, times: &mut Vec<f64>, per: f64, unit: &str| {
        let m = middle(times);
        println!("{what:<44} median of {}: {m:6.1} ms ({:.2}x {unit})", times.len(), m / per);
    };
    let bare = middle(&mut bares);
    println!("bare argon2id, among these rounds             median of {}: {bare:6.1} ms", bares.len());
    show("generate a batch of 10, end to end", &mut generate, 10.0 * bare, "ten bare");
    show("redeem, accepted, 10 codes unused", &mut accepted10, bare, "bare");
    show("redeem, accepted, 1 code unused", &mut accepted1, bare, "bare");
    show("redeem, wrong code, 10 codes unused", &mut rejected10, bare, "bare");
    show("redeem, wrong code, 1 code unused", &mut rejected1, bare, "bare");

    // Every way a redemption can fail costs one argon2 evaluation: the medians should be
    // within the noise of each other, so that the time says nothing the answer does not.
    desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let paths: [(&str, &str, &str); 4] = [
        ("unknown username", "nobody.at.all", "0000-0000-0000"),
        ("malformed input", "amara.okafor", "not a code!"),
        ("no active batch", "hiroshi.tanaka", "0000-0000-0000"),
        ("wrong code", "amara.okafor", "0000-0000-0000"),
    ];
    // Round-robin, a bare evaluation among them, so that the machine's drift touches all
    // alike.
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); paths.len() + 1];
    for round in 0..17 {
        for (i, (_, username, typed)) in paths.iter().enumerate() {
            let started = Instant::now();
            let answer = desk.redeem(username, Zeroizing::new((*typed).to_owned())).await.unwrap();
            assert!(!matches!(answer, Redemption::Accepted { .. }));
            if round >= 2 {
                times[i].push(ms(started.elapsed()));
            }
        }
        let bare_now = bare_once();
        if round >= 2 {
            times[paths.len()].push(bare_now);
        }
    }
    let bare_here = middle(&mut times[paths.len()]);
    println!("bare argon2id, among the failing paths        median of 15: {bare_here:6.1} ms");
    let mut medians = Vec::new();
    for ((path, ..), times) in paths.iter().zip(&mut times) {
        let m = middle(times);
        println!("redeem, {path:<36} median of 15: {m:6.1} ms ({:.2}x bare)", m / bare_here);
        medians.push(m);
    }
    medians.sort_by(f64::total_cmp);
    println!("failing paths: the slowest median is {:.0}% above the fastest", (medians[3] / medians[0] - 1.0) * 100.0);

    phases(&*store, &url, user.id, &cost, bare).await;
}

impl Raw {
    /// Runs a search statement, returning how many rows it gave.
    async fn rows(&self, statement: &store::SearchStatement) -> usize {
        macro_rules! run {
            ($pool:expr) => {{
                let mut q = sqlx::query(&statement.sql).persistent(false);
                for p in &statement.params {
                    q = q.bind(p.as_str());
                }
                q.fetch_all($pool).await.unwrap().len()
            }};
        }
        match self {
            Raw::Sqlite(pool) => run!(pool),
            Raw::Postgres(pool) => run!(pool),
        }
    }
}

/// `only`: the queries to time, when not all of them.
async fn search(url: &str, only: &[String]) {
    // A throwaway database: its audit key need outlive no run.
    let audit_key = helpdesk::domain::audit_chain::AuditKey::random().unwrap();
    // Opened as an agent's process opens it (its SQLite page cache included).
    let store = store::open_with(url, 2, store::Opening::Run, &audit_key).await.unwrap();
    let raw = Raw::open(url).await;
    println!("users: {}", store.count_users().await.unwrap());
    // A customer's real number, for the trailing-digits search an agent types.
    let amara = store.user_by_username("amara.okafor").await.unwrap().expect("the demo's customers");
    let tail = amara.phone[amara.phone.len() - 4..].to_owned();
    let queries = [
        "".to_owned(),
        "a".into(),
        "ama".into(),
        "ok".into(),
        "smith".into(),
        "amara ok".into(),
        tail,
        "@mail.example".into(),
        "nobody-at-all".into(),
        // Folded: accents, case and apostrophes do not matter; other scripts find themselves.
        "garcia".into(),
        "GARCÍA".into(),
        "muller".into(),
        "o'brien".into(),
        "कृष्ण".into(),
        "maria garcia".into(),
        // Every word of a name: a second surname, a particle, an article, in any order.
        "marquez".into(),
        "berg".into(),
        "van den berg".into(),
        "rashid".into(),
        "garcia marquez".into(),
        "ludenscheidt".into(),
        "παπαδοπουλος".into(),
        "やまだ".into(),
    ];
    let queries: Vec<String> = match only.is_empty() {
        true => queries.into(),
        false => only.to_vec(),
    };
    let runs = 7;
    // What every search pays first: looking for rows another system wrote (none here).
    let mut refold = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        store.refold_stale(1_000, Default::default()).await.unwrap();
        refold.push(ms(started.elapsed()));
    }
    println!("refold before a search, nothing stale: median {:.2} ms", middle(&mut refold));
    for text in queries {
        // Each run: pages 1 to 5 through the store, then the same pages (same cursors) as
        // the bare statement; the first and the fifth are reported.
        let (mut first, mut fifth, mut bare_first, mut bare_fifth) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let mut query = UserQuery { text: text.clone(), after: None, limit: 51 };
            let mut cursors = vec![None];
            for page in 1..=5 {
                let started = Instant::now();
                let rows = store.search_users(&query).await.unwrap();
                let took = ms(started.elapsed());
                match page {
                    1 => first.push(took),
                    5 => fifth.push(took),
                    _ => {}
                }
                let Some(last) = rows.get(49).or(rows.last()) else { break };
                query.after = Some((helpdesk::domain::user::sort_key(&last.first_name, &last.last_name), last.id));
                if rows.len() < 51 {
                    break;
                }
                cursors.push(query.after.clone());
            }
            for (page, after) in cursors.iter().enumerate().take(5) {
                let statement = store::bare_search(&text, after.as_ref(), 51);
                let started = Instant::now();
                raw.rows(&statement).await;
                let took = ms(started.elapsed());
                match page {
                    0 => bare_first.push(took),
                    4 => bare_fifth.push(took),
                    _ => {}
                }
            }
        }
        let stats = |xs: &mut Vec<f64>, bare: &mut Vec<f64>| {
            if xs.is_empty() || bare.is_empty() {
                return "-".to_owned();
            }
            let (m, b) = (middle(xs), middle(bare));
            format!("median {m:.1} ms, worst {:.1} ms, bare {b:.1} ms ({:.2}x)", xs[xs.len() - 1], m / b)
        };
        println!(
            "search {text:>16?}: first page {}; fifth page {}",
            stats(&mut first, &mut bare_first),
            stats(&mut fifth, &mut bare_fifth)
        );
    }
}

/// Each piece of a redemption on its own, medians after a warm-up, so that the difference
/// between a redemption and one bare evaluation can be read off by part.
async fn phases(store: &dyn store::Store, url: &str, user: helpdesk::domain::user::UserId, cost: &HashCost, bare: f64) {
    use helpdesk::domain::audit::{AuditAction, NewAuditEvent};
    use helpdesk::domain::codes::{Evaluations, hash_code_counted};
    use helpdesk::store::Throttle;
    let now = helpdesk::domain::time::now();
    let audit = NewAuditEvent::new(now, AuditAction::BackupCodeRejected).detail("bench");
    let evaluations = Arc::new(Evaluations::default());
    let mut rows: Vec<(&str, f64)> = Vec::new();
    let cost = *cost;
    let evaluation = median(3, 15, || {
        let evaluations = Arc::clone(&evaluations);
        async move {
            tokio::task::spawn_blocking(move || hash_code_counted(&cost, "ABCDEFGHJK12", &[7u8; 16], &evaluations))
                .await
                .unwrap()
                .unwrap();
        }
    });
    rows.push(("the service's evaluation, on a blocking thread", evaluation.await));
    let read = median(3, 15, || store.redemption_subject("amara.okafor", now));
    rows.push(("user and batch key (one statement)", read.await));
    let count = median(3, 15, || store.reserve_attempt(user, Throttle::Codes, now, 1000, 60));
    rows.push(("count the attempt (one update, its own commit)", count.await));
    let consume = median(3, 15, || store.consume_code(0, &[0u8; 32], now, &audit, &[], std::slice::from_ref(&audit)));
    rows.push(("a wrong code's transaction (update + audit)", consume.await));
    let append = median(3, 15, || store.append_audit(std::slice::from_ref(&audit)));
    rows.push(("one audit event (its own transaction)", append.await));
    rows.push(("one empty write transaction (its commit)", commit_cost(url).await));
    store.clear_failures(user, Throttle::Codes).await.unwrap();
    for (name, m) in rows {
        println!("phase, {name:<48} median {m:6.2} ms ({:.3}x bare)", m / bare);
    }
}

/// What one commit costs: a write transaction that changes a row, committed, on a
/// connection set up as the store sets up its own (SQLite: WAL, synchronous FULL).
async fn commit_cost(url: &str) -> f64 {
    const TOUCH: &str = "UPDATE institutions SET id = id";
    if url.starts_with("sqlite:") {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        let options = url
            .parse::<SqliteConnectOptions>()
            .unwrap()
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        median(3, 15, || async {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
            sqlx::query(TOUCH).execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        })
        .await
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        median(3, 15, || async {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(TOUCH).execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        })
        .await
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
