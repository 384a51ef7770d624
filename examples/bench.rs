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
    let desk = HelpDesk::new(Arc::clone(&store), policy, cost, limits);
    demo::seed(&desk, 20, cost, |_| {}).await.unwrap();
    let agent = desk.login("alex.agent", Zeroizing::new("agent-demo-pass-2026".into())).await.unwrap();
    let user = store.user_by_username("amara.okafor").await.unwrap().unwrap();

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
    let store = store::open(url, 4).await.unwrap();
    println!("users: {}", store.count_users().await.unwrap());
    for text in ["", "a", "smi", "okafor", "zhang.l", "+44 7", "nobody-at-all"] {
        let mut query = UserQuery { text: text.into(), after: None, limit: 50 };
        let mut worst = Duration::ZERO;
        let mut total = Duration::ZERO;
        let mut pages = 0;
        // first page, then four more pages forward
        for _ in 0..5 {
            let started = Instant::now();
            let page = store.search_users(&query).await.unwrap();
            let took = started.elapsed();
            total += took;
            worst = worst.max(took);
            pages += 1;
            let Some(last) = page.last() else { break };
            query.after = Some((helpdesk::domain::user::sort_key(&last.first_name, &last.last_name), last.id));
        }
        println!(
            "search {text:>14?}: {:.2} ms mean, {:.2} ms worst over {pages} pages",
            mean(total, pages),
            worst.as_secs_f64() * 1000.0
        );
    }
}
