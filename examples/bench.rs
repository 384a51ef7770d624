//! Prints the figures BENCHMARKS.md quotes. Run with `--release`:
//!
//!   cargo run --release --example bench                      # redemption vs bare argon2
//!   cargo run --release --example bench -- search URL        # Manage Users search latency

use std::sync::Arc;
use std::time::{Duration, Instant};

use helpdesk::cli::demo;
use helpdesk::desk::{HelpDesk, Limits, Redemption};
use helpdesk::domain::audit::IdentityCheck;
use helpdesk::domain::codes::{CodePolicy, HashCost};
use helpdesk::store::{self, UserQuery};
use zeroize::Zeroizing;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("search") => search(args.get(1).expect("search URL")).await,
        _ => redemption(args.first().cloned()).await,
    }
}

fn mean(total: Duration, n: u32) -> f64 {
    total.as_secs_f64() * 1000.0 / f64::from(n)
}

async fn redemption(url: Option<String>) {
    let cost = HashCost::default();
    let argon2 = cost.argon2().unwrap();
    let n = 30;
    let started = Instant::now();
    for i in 0..n {
        let mut out = [0u8; 32];
        argon2.hash_password_into(format!("ABCDEFGHJK{i:02}").as_bytes(), b"0123456789abcdef", &mut out).unwrap();
    }
    let bare = mean(started.elapsed(), n);
    println!(
        "bare argon2id (m={} KiB, t={}, p={}): {bare:.1} ms per evaluation",
        cost.memory_kib, cost.iterations, cost.parallelism
    );

    let dir = tempfile::tempdir().unwrap();
    let url = url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = store::open(&url, 4).await.unwrap();
    let policy = CodePolicy::new(10, 12, 4, None, cost).unwrap();
    let limits = Limits { redeem_max_failures: 100, ..Limits::default() };
    let desk = HelpDesk::new(Arc::clone(&store), policy.clone(), cost, limits);
    demo::seed(&desk, 20, cost, |_| {}).await.unwrap();
    let agent = desk.login("alex.agent", Zeroizing::new("agent-demo-pass-2026".into())).await.unwrap();
    let user = store.user_by_username("amara.okafor").await.unwrap().unwrap();

    let started = Instant::now();
    let alone = helpdesk::domain::codes::generate(&policy).unwrap();
    drop(alone);
    println!(
        "a batch's 10 hashes alone, on {} cores: {:.1} ms ({:.2}x ten sequential bare evaluations)",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        started.elapsed().as_secs_f64() * 1000.0,
        started.elapsed().as_secs_f64() * 1000.0 / (10.0 * bare)
    );

    let started = Instant::now();
    let issued = desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let generation = started.elapsed().as_secs_f64() * 1000.0;

    let started = Instant::now();
    for code in &issued.codes {
        assert_eq!(desk.redeem("amara.okafor", code.grouped()).await.unwrap(), Redemption::Accepted);
    }
    let accepted = mean(started.elapsed(), issued.codes.len() as u32);
    let started = Instant::now();
    for code in &issued.codes {
        assert_eq!(desk.redeem("amara.okafor", code.grouped()).await.unwrap(), Redemption::Rejected);
    }
    let rejected = mean(started.elapsed(), issued.codes.len() as u32);
    println!("backend: {:?}", store.backend());
    println!("generate a batch of 10 (10 argon2id hashes + one transaction): {generation:.1} ms");
    println!(
        "redeem, accepted (1 argon2id + conditional update + audit + outbox): {accepted:.1} ms ({:.2}x bare)",
        accepted / bare
    );
    println!("redeem, rejected (1 argon2id + audit): {rejected:.1} ms ({:.2}x bare)", rejected / bare);

    // Every way a redemption can fail costs one argon2 evaluation: the medians should be
    // within the noise of each other, so that the time says nothing the answer does not.
    desk.generate_codes(&agent, user.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let paths: [(&str, &str, &str); 4] = [
        ("unknown username", "nobody.at.all", "0000-0000-0000"),
        ("malformed input", "amara.okafor", "not a code!"),
        ("no active batch", "hiroshi.tanaka", "0000-0000-0000"),
        ("wrong code", "amara.okafor", "0000-0000-0000"),
    ];
    for (path, username, typed) in paths {
        let mut times = Vec::new();
        for _ in 0..15 {
            let started = Instant::now();
            let answer = desk.redeem(username, Zeroizing::new(typed.to_owned())).await.unwrap();
            assert_ne!(answer, Redemption::Accepted);
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!("redeem, {path:<17} median of {}: {:.1} ms", times.len(), times[times.len() / 2]);
    }
}

async fn search(url: &str) {
    let store = store::open(url, 2).await.unwrap();
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
    ];
    let runs = 7;
    for text in queries {
        // For each run: the first page, then pages 2 to 5 (the fifth is timed on its own).
        let (mut first, mut fifth) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let mut query = UserQuery { text: text.clone(), after: None, limit: 51 };
            for page in 1..=5 {
                let started = Instant::now();
                let rows = store.search_users(&query).await.unwrap();
                let took = started.elapsed();
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
            }
        }
        let stats = |xs: &mut Vec<Duration>| {
            if xs.is_empty() {
                return "-".to_owned();
            }
            xs.sort();
            format!("median {:.1} ms, worst {:.1} ms", ms(xs[xs.len() / 2]), ms(*xs.last().unwrap()))
        };
        println!("search {text:>16?}: first page {}; fifth page {}", stats(&mut first), stats(&mut fifth));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
