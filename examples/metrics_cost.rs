//! What `/metrics` costs a redemption: redemptions through `helpdesk serve`'s own router in
//! this process (the real handler, queue, argon2 at the shipped cost and audit write, on
//! SQLite), in blocks with the metrics on and off in turn (ABBA), so that the machine's
//! drift falls on both alike. Then each thing the metrics add to a call, timed alone over many rounds:
//! the answer layer, the result counter, the argon2 timer, and one scrape's encoding.
//!
//!   cargo run --release --example metrics_cost

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use helpdesk::desk::{HelpDesk, Limits, Redemption};
use helpdesk::domain::codes::{CodePolicy, HashCost};
use helpdesk::serve::api::{self, Api};
use helpdesk::serve::guard::{Admission, RefusalThrottle};
use helpdesk::serve::metrics::Metrics;
use helpdesk::store;
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

#[path = "support/mod.rs"]
mod support;

/// Blocks of each kind, and redemptions a block.
const BLOCKS: usize = 6;
const PER_BLOCK: usize = 120;

/// The router as `Server::run` builds it, with the metrics on or off.
fn router(desk: &Arc<HelpDesk>, on: bool) -> (Router, Metrics) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (metrics, admission) = (Metrics::new(on), Admission::new(cores, 64));
    desk.time_evaluations(None);
    metrics.watch(desk, admission.clone(), Arc::new(Semaphore::new(512)), 512);
    let api = Api::new(desk.clone(), admission, RefusalThrottle::new(10), Duration::from_secs(10));
    (api::router(api.with_metrics(metrics.clone())), metrics)
}

fn request(path: &str, token: &str) -> Request<Body> {
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let builder = Request::builder().uri(path).extension(ConnectInfo(peer));
    if path == api::HEALTH {
        return builder.body(Body::empty()).unwrap();
    }
    builder
        .method("POST")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"username":"nobody.here","code":"ABCD-EFGH-JKMN"}"#))
        .unwrap()
}

async fn call(router: &Router, path: &str, token: &str) -> StatusCode {
    let mut router = router.clone();
    tower::Service::call(&mut router, request(path, token)).await.unwrap().status()
}

/// `n` redemptions, as many in flight as there are cores: the wall time of each, on average.
async fn redemptions(router: &Router, token: &Arc<String>, n: usize) -> Duration {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let workers: Vec<_> = (0..cores)
        .map(|w| {
            let (router, token) = (router.clone(), token.clone());
            tokio::spawn(async move {
                for _ in (w..n).step_by(cores) {
                    assert_eq!(call(&router, api::REDEEM, &token).await, StatusCode::OK);
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    started.elapsed() / n as u32
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/metrics-cost.db", dir.path().display());
    let cost = HashCost::default();
    let audit_key = helpdesk::domain::audit_chain::AuditKey::random().unwrap();
    let store = store::open(&url, 8, &audit_key).await.expect("opening the database");
    let policy = CodePolicy::new(10, 12, 4, Some(72 * 3600), cost).unwrap();
    let limits = Limits { velocity: support::unlimited_velocity(), ..Limits::default() };
    let desk = HelpDesk::new(store.clone(), policy, cost, limits)
        .with_factor_key(helpdesk::domain::second_factor::FactorKey::from_bytes([7; 32]));
    helpdesk::cli::demo::seed(&desk, 20, cost, |_| {}).await.unwrap();
    store.set_staff_second_factor(false).await.unwrap();
    let admin = desk.login("ada.admin", Zeroizing::new("admin-demo-pass-2026".to_owned())).await.unwrap();
    let token = desk.create_serve_client(&admin, "metrics-cost").await.unwrap().token;
    let token = Arc::new(token.as_str().to_owned());
    let desk = Arc::new(desk);

    // Redemptions, blocks on and off in turn (a warm-up block first, not counted).
    let (warm, _) = router(&desk, true);
    redemptions(&warm, &token, 20).await;
    let (mut on, mut off, mut scraped) = (Vec::new(), Vec::new(), Metrics::new(true));
    for block in 0..BLOCKS * 2 {
        // On, off, off, on, …: each pair has one of each, and neither always goes first (the
        // database grows with every redemption's audit event, so later is slower).
        let metrics_on = matches!(block % 4, 0 | 3);
        let (router, metrics) = router(&desk, metrics_on);
        let each = redemptions(&router, &token, PER_BLOCK).await;
        if metrics_on {
            let text = metrics.encode().unwrap();
            let count = text.lines().find_map(|l| l.strip_prefix("helpdesk_serve_argon2_evaluation_seconds_count "));
            assert_eq!(count, Some(PER_BLOCK.to_string().as_str()), "every evaluation timed");
            on.push(each);
            scraped = metrics;
        } else {
            off.push(each);
        }
    }
    let mean = |xs: &[Duration]| xs.iter().sum::<Duration>() / xs.len() as u32;
    let (mean_on, mean_off) = (mean(&on), mean(&off));
    let ratios: Vec<String> =
        on.iter().zip(&off).map(|(a, b)| format!("{:.3}", a.as_secs_f64() / b.as_secs_f64())).collect();
    println!(
        "redemptions ({BLOCKS} blocks of {PER_BLOCK} each way, argon2 {} KiB t={}): metrics on {:.2} ms, off {:.2} ms \
         a redemption (wall time, all cores); on/off {:.4}; block pairs {}",
        cost.memory_kib,
        cost.iterations,
        mean_on.as_secs_f64() * 1e3,
        mean_off.as_secs_f64() * 1e3,
        mean_on.as_secs_f64() / mean_off.as_secs_f64(),
        ratios.join(" ")
    );

    // What the metrics add to one call, alone: the answer layer (a health check through the
    // router with and without it), the result counter, the argon2 timer, a scrape.
    const CALLS: u32 = 200_000;
    let mut layer = [Duration::ZERO; 2];
    for _ in 0..4 {
        for (i, on) in [true, false].into_iter().enumerate() {
            let (router, _) = router(&desk, on);
            let started = Instant::now();
            for _ in 0..CALLS / 4 {
                call(&router, api::HEALTH, "").await;
            }
            layer[i] += started.elapsed();
        }
    }
    let (with_layer, without) = (layer[0] / CALLS, layer[1] / CALLS);
    let metrics = Metrics::new(true);
    let started = Instant::now();
    for _ in 0..CALLS {
        metrics.redeemed(std::hint::black_box(&Ok(Redemption::Rejected)));
    }
    let counter = started.elapsed() / CALLS;
    let histogram = prometheus_client::metrics::histogram::Histogram::new([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]);
    let started = Instant::now();
    for _ in 0..CALLS {
        let t = Instant::now();
        histogram.observe(std::hint::black_box(t.elapsed().as_secs_f64()));
    }
    let timer = started.elapsed() / CALLS;
    let started = Instant::now();
    for _ in 0..1_000 {
        std::hint::black_box(scraped.encode());
    }
    let scrape = started.elapsed() / 1_000;
    let added = with_layer.saturating_sub(without) + counter + timer;
    println!(
        "a health check through the router: {:.2} µs with the answer layer, {:.2} µs without; the result counter \
         {:.3} µs; the argon2 timer {:.3} µs; one scrape's encoding {:.1} µs",
        us(with_layer),
        us(without),
        us(counter),
        us(timer),
        us(scrape)
    );
    // Against the wall time a redemption takes of the whole machine: an upper bound, since
    // the added work runs on one core while the redemption's evaluation takes one core for
    // cores times that long.
    println!(
        "added to a redemption: about {:.2} µs of one core, {:.4} % of the {:.2} ms a redemption takes of the machine",
        us(added),
        100.0 * added.as_secs_f64() / mean_off.as_secs_f64(),
        mean_off.as_secs_f64() * 1e3
    );
}
