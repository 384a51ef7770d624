//! Load on `helpdesk serve` over HTTPS on loopback, from a load generator of its own (hyper's
//! HTTP/2 client on rustls, eight connections), on SQLite or PostgreSQL. Prints:
//!
//! - one argon2 evaluation, measured in this run, and the limit it sets (cores / evaluation);
//! - the throughput of valid-code redemptions, closed loop;
//! - p50/p99 at 50 % and 200 % of that limit, open loop (a call's time starts when it was
//!   due, so a slow server cannot hide its queue);
//! - at 10x the limit: the share answered 503, how fast, and the p99 of those answered 200;
//! - any 5xx other than 503 (there must be none), and the audit events against the 200s;
//! - 20 agents signing in and generating, idle and during the 10x overload: their p99.
//! - h2load (nghttp2's load tool, Debian's `nghttp2-client`), in the same run: valid codes,
//!   one h2load a code, eight at a time; then 400 calls of one evaluation each over eight
//!   connections;
//! - p50/p99 of a caller's redemptions while one address tries to hold 10,000 silent HTTP/2
//!   connections, against the same rate without them;
//! - what reading a PROXY protocol v2 header costs, against one evaluation.
//!
//!   cargo build --release
//!   cargo run --release --example serve_load                       # SQLite, a fresh file
//!   createdb -h 127.0.0.1 -U postgres helpdesk_serve_load
//!   cargo run --release --example serve_load -- postgres://postgres@127.0.0.1:5432/helpdesk_serve_load

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use helpdesk::desk::{HelpDesk, Limits};
use helpdesk::domain::audit::{AuditAction, AuditFilter, IdentityCheck};
use helpdesk::domain::codes::{self, CodePolicy, HashCost};
use helpdesk::domain::password;
use helpdesk::domain::user::{StaffRole, UserKind};
use helpdesk::store::{self, NewUser};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio_rustls::rustls;
use zeroize::Zeroizing;

#[path = "support/mod.rs"]
mod support;
use support::person;

const AGENTS: usize = 20;
const CUSTOMERS: usize = 2_000;
const PHASE: Duration = Duration::from_secs(6);
const CONNECTIONS: usize = 8;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(xs: &[Duration], p: f64) -> f64 {
    let mut xs = xs.to_vec();
    xs.sort_unstable();
    let i = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs.get(i).map_or(0.0, |d| ms(*d))
}

/// A TLS client that trusts `certificate` (PEM) and offers h2.
fn h2_connector(certificate: &[u8]) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(certificate) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// The load generator: HTTP/2 connections to the server, taken in turn.
struct Client {
    senders: Vec<SendRequest<Full<Bytes>>>,
    next: AtomicUsize,
    authorization: String,
    uri: String,
}

impl Client {
    async fn connect(port: u16, certificate: &[u8], token: &str) -> Self {
        let connector = h2_connector(certificate);
        let mut senders = Vec::new();
        for _ in 0..CONNECTIONS {
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let tls = connector.connect("localhost".try_into().unwrap(), tcp).await.unwrap();
            let (sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await.unwrap();
            tokio::spawn(connection);
            senders.push(sender);
        }
        Self {
            senders,
            next: AtomicUsize::new(0),
            authorization: format!("Bearer {token}"),
            uri: format!("https://localhost:{port}/v1/backup-codes/redeem"),
        }
    }

    /// One redemption: the status and whether the body said "accepted".
    async fn redeem(&self, username: &str, code: &str) -> (u16, bool) {
        let body = serde_json::json!({ "username": username, "code": code }).to_string();
        let request = hyper::Request::post(&self.uri)
            .header("authorization", &self.authorization)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.senders.len();
        let mut sender = self.senders[i].clone();
        match sender.send_request(request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                let bytes = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                (status, bytes.windows(8).any(|w| w == b"accepted"))
            }
            Err(e) => {
                static SAID: AtomicUsize = AtomicUsize::new(0);
                if SAID.fetch_add(1, Ordering::Relaxed) < 3 {
                    eprintln!("a call failed: {e}");
                }
                (0, false)
            }
        }
    }
}

#[derive(Default)]
struct Phase {
    ok: Vec<Duration>,
    busy: Vec<Duration>,
    other: Vec<u16>,
}

/// Calls at `rate` a second for `PHASE`, each timed from when it was due.
async fn open_loop(client: &Arc<Client>, customers: &Arc<Vec<String>>, rate: f64) -> Phase {
    let total = (rate * PHASE.as_secs_f64()) as usize;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (client, customers) = (client.clone(), customers.clone());
        tasks.push(tokio::spawn(async move {
            let who = &customers[i % customers.len()];
            let (status, _) = client.redeem(who, "0000-0000-0000").await;
            (status, due.elapsed())
        }));
    }
    let mut phase = Phase::default();
    for t in tasks {
        let (status, took) = t.await.unwrap();
        match status {
            200 => phase.ok.push(took),
            503 => phase.busy.push(took),
            other => phase.other.push(other),
        }
    }
    phase
}

/// Each agent signs in, generates for a customer of their own, signs out, `rounds` times.
async fn agents(
    desk: &HelpDesk,
    names: &[String],
    pass: &Zeroizing<String>,
    targets: &[i64],
    rounds: usize,
) -> Vec<Duration> {
    let mut tasks = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let (desk, name, pass) = (desk.clone(), name.clone(), pass.clone());
        let targets: Vec<i64> = (0..rounds).map(|r| targets[(i * rounds + r) % targets.len()]).collect();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for target in targets {
                let t = Instant::now();
                let session = desk.login(&name, pass.clone()).await.expect("an agent signs in");
                times.push(t.elapsed());
                let t = Instant::now();
                desk.generate_codes(&session, target, IdentityCheck::InPersonPhotoId, None).await.expect("generates");
                times.push(t.elapsed());
                desk.logout(&session).await.unwrap();
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

fn start_server(
    binary: &std::path::Path,
    dir: &std::path::Path,
    url: &str,
    audit_key: &helpdesk::domain::audit_chain::AuditKey,
) -> (Child, u16) {
    // The keys the server reads beside its configuration: this run's audit key, and the
    // factor key the desk above seals with ([7; 32]).
    std::fs::write(dir.join("helpdesk-audit.key"), audit_key.to_file_text()).unwrap();
    std::fs::write(dir.join("helpdesk-factor.key"), "07".repeat(32)).unwrap();
    for key in ["helpdesk-audit.key", "helpdesk-factor.key"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(key), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    // SERVE_NICE=0 runs the server at the staff's priority, to see what the default costs.
    let nice = std::env::var("SERVE_NICE").unwrap_or_else(|_| "10".into());
    let config = format!(
        "[database]\nmax_connections = 8\n[log]\nfile = \"serve.log\"\nlevel = \"warn\"\n\
         [serve]\naddress = \"127.0.0.1:0\"\nmetrics_address = \"127.0.0.1:0\"\ncertificate = \"cert.pem\"\nprivate_key = \"key.pem\"\nnice = {nice}\n\
         [throttle]\nredeem_max_failures = 100\n"
    );
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let mut child = Command::new(binary)
        .arg("--config")
        .arg(dir.join("config.toml"))
        .args(["--database", url, "serve"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("target/release/helpdesk: run `cargo build --release` first");
    use std::io::BufRead;
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::stderr()));
    let port = line.split("https://127.0.0.1:").nth(1).and_then(|r| r.split(' ').next()?.parse().ok());
    (child, port.unwrap_or_else(|| panic!("the server said {line:?}")))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // The silent flood runs as a process of its own, at the lowest priority: an attacker on
    // another machine takes none of the server's cores.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--silent-flood") {
        let (port, certificate) = (args[2].parse().unwrap(), std::fs::read(&args[3]).unwrap());
        let (held, attempts) = silent_flood(port, certificate, 10_000).await;
        println!("{held} {attempts}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::args().nth(1).unwrap_or_else(|| format!("sqlite://{}/serve-load.db", dir.path().display()));
    let binary = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("helpdesk");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cost = HashCost::default();
    // A throwaway database: its audit key need outlive no run.
    let audit_key = helpdesk::domain::audit_chain::AuditKey::random().unwrap();
    let store = store::open(&url, 8, &audit_key).await.expect("opening the database");
    let velocity = support::unlimited_velocity();
    let policy = CodePolicy::new(10, 12, 4, Some(72 * 3600), cost).unwrap();
    let desk = HelpDesk::new(store.clone(), policy, cost, Limits { velocity, ..Limits::default() })
        .with_factor_key(helpdesk::domain::second_factor::FactorKey::from_bytes([7; 32]));
    helpdesk::cli::demo::seed(&desk, 100, cost, |_| {}).await.unwrap();
    // Signs the same staff in many times a step: by password, as the database's owner allows.
    store.set_staff_second_factor(false).await.unwrap();
    let pass = Zeroizing::new("serve-load-passphrase-2026".to_owned());
    let hash = password::hash(&cost, &pass).unwrap();
    let run = helpdesk::domain::time::now();
    let staff: Vec<NewUser> = (0..=AGENTS)
        .map(|i| person(UserKind::Staff, format!("agent{run}x{i}"), Some(StaffRole::Agent), Some(hash.clone())))
        .collect();
    let customers: Vec<NewUser> =
        (0..CUSTOMERS).map(|i| person(UserKind::Customer, format!("cust{run}x{i}"), None, None)).collect();
    desk.load_demo_users(&staff).await.unwrap();
    let ids = desk.load_demo_users(&customers).await.unwrap();
    let names: Arc<Vec<String>> = Arc::new(customers.iter().map(|c| c.username.clone()).collect());
    let admin = desk.login("ada.admin", Zeroizing::new("admin-demo-pass-2026".to_owned())).await.unwrap();
    let token = desk.create_serve_client(&admin, &format!("load-{run}")).await.unwrap().token;

    // One argon2 evaluation at the configured cost, alone on the machine: timed here and
    // again after the throughput phase, and the mean taken (this machine is shared, and a
    // single timing moves by 20 % from one minute to the next).
    let evaluation_now = || {
        let salt = [7u8; 16];
        codes::hash_code(&cost, "0123456789AB", &salt).unwrap();
        let t = Instant::now();
        for _ in 0..16 {
            codes::hash_code(&cost, "0123456789AB", &salt).unwrap();
        }
        t.elapsed() / 16
    };
    let before = evaluation_now();
    let limit_before = cores as f64 / before.as_secs_f64();
    println!(
        "argon2id ({} KiB, t={}): one evaluation {:.1} ms before the throughput phase",
        cost.memory_kib,
        cost.iterations,
        ms(before)
    );

    // Valid codes for the throughput phase, generated through the service by one agent.
    let generator = desk.login(&staff[AGENTS].username, pass.clone()).await.unwrap();
    let wanted = (limit_before * PHASE.as_secs_f64() * 1.3) as usize;
    let mut valid: Vec<(String, Zeroizing<String>)> = Vec::new();
    for (i, id) in ids.iter().enumerate().take(wanted.div_ceil(10)) {
        let issued = desk.generate_codes(&generator, *id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
        valid.extend(issued.codes.iter().map(|c| (customers[i].username.clone(), c.grouped())));
    }
    // Valid codes for h2load, from the next customers.
    let mut for_h2load: Vec<(String, Zeroizing<String>)> = Vec::new();
    let first = wanted.div_ceil(10);
    for (i, id) in ids.iter().enumerate().skip(first).take(first) {
        let issued = desk.generate_codes(&generator, *id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
        for_h2load.extend(issued.codes.iter().map(|c| (customers[i].username.clone(), c.grouped())));
    }
    // The customers the open-loop phases call for (wrong codes): none of them holds a batch.
    let callers: Arc<Vec<String>> = Arc::new(names[2 * first..CUSTOMERS - 200].to_vec());
    let agent_targets: Vec<i64> = ids[CUSTOMERS - 200..].to_vec();
    let agent_names: Vec<String> = staff[..AGENTS].iter().map(|s| s.username.clone()).collect();

    let (mut server, port) = start_server(&binary, dir.path(), &url, &audit_key);
    // A run that fails ends its server too.
    let (pid, said) = (server.id() as i32, std::panic::take_hook());
    std::panic::set_hook(Box::new(move |info| {
        // SAFETY: kill only signals the server this program started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        said(info)
    }));
    let certificate = std::fs::read(dir.path().join("cert.pem")).unwrap();
    let client = Arc::new(Client::connect(port, &certificate, &token).await);
    let mut answered = 0usize;
    let mut other_5xx = 0usize;

    // Throughput: valid codes, closed loop, 4 calls a core in flight.
    let valid = Arc::new(valid);
    let cursor = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..cores * 4 {
        let (client, valid, cursor) = (client.clone(), valid.clone(), cursor.clone());
        workers.push(tokio::spawn(async move {
            let (mut accepted, mut statuses) = (0usize, Vec::new());
            loop {
                let i = cursor.fetch_add(1, Ordering::Relaxed);
                let Some((user, code)) = valid.get(i) else { break };
                let (status, ok) = client.redeem(user, code).await;
                accepted += usize::from(ok);
                statuses.push(status);
            }
            (accepted, statuses)
        }));
    }
    let (mut accepted, mut statuses) = (0, Vec::new());
    for w in workers {
        let (a, s) = w.await.unwrap();
        accepted += a;
        statuses.extend(s);
    }
    let took = t.elapsed();
    let after = evaluation_now();
    let evaluation = (before + after) / 2;
    let limit = cores as f64 / evaluation.as_secs_f64();
    println!(
        "argon2id: one evaluation {:.1} ms after it; mean {:.1} ms; limit {cores} cores / evaluation = {limit:.1}/s",
        ms(after),
        ms(evaluation)
    );
    answered += statuses.iter().filter(|s| **s == 200).count();
    other_5xx += statuses.iter().filter(|s| **s >= 500 && **s != 503).count();
    let throughput = accepted as f64 / took.as_secs_f64();
    println!(
        "throughput: {accepted} valid codes accepted of {} in {:.2} s = {throughput:.1}/s = {:.2} x the limit ({} answered 503)",
        valid.len(),
        took.as_secs_f64(),
        throughput / limit,
        statuses.iter().filter(|s| **s == 503).count()
    );

    answered += h2load_valid(port, &for_h2load, &token, limit, &desk, &admin).await;
    answered += h2load_calls(port, &token, limit);
    // The server closed the generator's connections while h2load ran (idle past
    // serve.idle_seconds): a fresh set.
    let client = Arc::new(Client::connect(port, &certificate, &token).await);

    for share in [0.5, 2.0, 10.0] {
        let phase = open_loop(&client, &callers, limit * share).await;
        answered += phase.ok.len();
        other_5xx += phase.other.iter().filter(|s| **s >= 500).count();
        let total = phase.ok.len() + phase.busy.len() + phase.other.len();
        println!(
            "{share:>4} x limit ({:.0}/s, {total} calls): 200 {} (p50 {:.1} ms, p99 {:.1} ms); 503 {} = {:.1} % (p50 {:.1} ms, p99 {:.1} ms); other {:?}",
            limit * share,
            phase.ok.len(),
            percentile(&phase.ok, 0.5),
            percentile(&phase.ok, 0.99),
            phase.busy.len(),
            100.0 * phase.busy.len() as f64 / total.max(1) as f64,
            percentile(&phase.busy, 0.5),
            percentile(&phase.busy, 0.99),
            phase.other
        );
    }

    // One address tries to hold 10,000 silent HTTP/2 connections while a caller redeems at
    // half the limit: its p50/p99 against the 0.5x phase above.
    let flood = Command::new("nice")
        .args(["-n", "19"])
        .arg(std::env::current_exe().unwrap())
        .args(["--silent-flood", &port.to_string()])
        .arg(dir.path().join("cert.pem"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let phase = open_loop(&client, &callers, limit * 0.5).await;
    let said = String::from_utf8_lossy(&flood.wait_with_output().unwrap().stdout).into_owned();
    let (held, attempts) = said.trim().split_once(' ').unwrap_or(("?", "?"));
    answered += phase.ok.len();
    other_5xx += phase.other.iter().filter(|s| **s >= 500).count();
    println!(
        "0.5 x limit while 127.0.0.3 tries to hold 10,000 silent h2 connections ({attempts} attempts, at most {held} held at once): 200 {} (p50 {:.1} ms, p99 {:.1} ms); 503 {}; other {:?}",
        phase.ok.len(),
        percentile(&phase.ok, 0.5),
        percentile(&phase.ok, 0.99),
        phase.busy.len(),
        phase.other
    );
    proxy_header_cost(evaluation).await;

    // The staff: 20 agents idle, then during a 10x overload.
    let idle = agents(&desk, &agent_names, &pass, &agent_targets, 2).await;
    let overload = {
        let (client, callers) = (client.clone(), callers.clone());
        tokio::spawn(async move { open_loop(&client, &callers, limit * 10.0).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded = agents(&desk, &agent_names, &pass, &agent_targets[100..], 2).await;
    let phase = overload.await.unwrap();
    answered += phase.ok.len();
    other_5xx += phase.other.iter().filter(|s| **s >= 500).count();
    println!(
        "20 agents (sign-in and generation, 2 rounds each): idle p50 {:.1} ms p99 {:.1} ms; during 10x redemptions p50 {:.1} ms p99 {:.1} ms ({} redemptions answered 200, {} 503 meanwhile)",
        percentile(&idle, 0.5),
        percentile(&idle, 0.99),
        percentile(&loaded, 0.5),
        percentile(&loaded, 0.99),
        phase.ok.len(),
        phase.busy.len()
    );

    // SIGTERM, then the audit log against the answers.
    // SAFETY: kill only signals the server this program started.
    unsafe { libc::kill(server.id() as i32, libc::SIGTERM) };
    let status = server.wait().unwrap();
    let mut audited = 0;
    for action in [AuditAction::BackupCodeRedeemed, AuditAction::BackupCodeRejected] {
        let filter = AuditFilter { action: Some(action), ..AuditFilter::default() };
        let events = store.audit_events(&filter, 0, i64::MAX).await.unwrap();
        audited += events.iter().filter(|e| e.detail.as_deref().unwrap_or("").contains("via serve client")).count();
    }
    println!(
        "5xx other than 503: {other_5xx}; redemptions answered 200: {answered}; their audit events: {audited} ({}); server exit after SIGTERM: {status}",
        if audited == answered { "equal" } else { "DIFFERENT" }
    );
}

/// A file in memory holding `text`, named by a path another process can open
/// (`/proc/<pid>/fd/<n>`): h2load reads its body from a file, and a code is never written
/// to disk.
fn memory_file(text: &str) -> (std::fs::File, String) {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: memfd_create returns a new descriptor this function then owns.
    let fd = unsafe { libc::memfd_create(c"h2load-body".as_ptr(), 0) };
    assert!(fd >= 0, "memfd_create failed");
    // SAFETY: `fd` is a fresh, valid descriptor owned by nobody else.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(text.as_bytes()).unwrap();
    let path = format!("/proc/{}/fd/{}", std::process::id(), file.as_raw_fd());
    (file, path)
}

/// h2load (`-n`, `-c`, `-m`) with `body`; its "finished in" line and its status counts.
fn h2load(port: u16, token: &str, body_path: &str, calls: usize, connections: usize) -> String {
    let out = Command::new("h2load")
        .args(["-n", &calls.to_string(), "-c", &connections.to_string(), "-m", "1"])
        .args(["-H", &format!("authorization: Bearer {token}"), "-H", "content-type: application/json"])
        .args(["-d", body_path, &format!("https://127.0.0.1:{port}/v1/backup-codes/redeem")])
        .output()
        .expect("h2load (Debian's nghttp2-client)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Valid codes through h2load, one process a code, eight at a time: the codes accepted (the
/// audit log's count) a second against the limit.
async fn h2load_valid(
    port: u16,
    valid: &[(String, Zeroizing<String>)],
    token: &str,
    limit: f64,
    desk: &HelpDesk,
    admin: &helpdesk::desk::Session,
) -> usize {
    let redeemed = async || {
        let filter = AuditFilter { action: Some(AuditAction::BackupCodeRedeemed), ..AuditFilter::default() };
        desk.export_audit_as(admin, &filter, 0, i64::MAX).await.unwrap().len()
    };
    let before = redeemed().await;
    let bodies: Vec<(std::fs::File, String)> = valid
        .iter()
        .map(|(user, code)| memory_file(&serde_json::json!({ "username": user, "code": code.as_str() }).to_string()))
        .collect();
    let paths: Arc<Vec<String>> = Arc::new(bodies.iter().map(|(_, p)| p.clone()).collect());
    let cursor = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let runners: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (paths, cursor, token) = (paths.clone(), cursor.clone(), token.to_owned());
            std::thread::spawn(move || {
                let mut answered = 0;
                while let Some(path) = paths.get(cursor.fetch_add(1, Ordering::Relaxed)) {
                    answered += answered_2xx(&h2load(port, &token, path, 1, 1));
                }
                answered
            })
        })
        .collect();
    let answered: usize = runners.into_iter().map(|r| r.join().unwrap()).sum();
    let took = t.elapsed();
    let accepted = redeemed().await - before;
    let rate = accepted as f64 / took.as_secs_f64();
    println!(
        "h2load, valid codes (one h2load a code, {CONNECTIONS} at a time): {accepted} of {} accepted in {:.2} s = {rate:.1}/s = {:.2} x the limit",
        valid.len(),
        took.as_secs_f64(),
        rate / limit
    );
    answered
}

/// The 2xx answers an h2load run counted.
fn answered_2xx(out: &str) -> usize {
    let statuses = out.lines().find(|l| l.starts_with("status codes")).unwrap_or("");
    statuses.split(": ").nth(1).and_then(|r| r.split(' ').next()?.parse().ok()).unwrap_or(0)
}

/// h2load's own loop: 400 calls over eight connections, each one evaluation (an unknown
/// user), against the limit.
fn h2load_calls(port: u16, token: &str, limit: f64) -> usize {
    let (_file, path) = memory_file(r#"{"username":"nobody.here","code":"ABCD-EFGH-JKMN"}"#);
    let out = h2load(port, token, &path, 400, CONNECTIONS);
    let finished = out.lines().find(|l| l.starts_with("finished in")).unwrap_or("(no figures)");
    let statuses = out.lines().find(|l| l.starts_with("status codes")).unwrap_or("");
    let rate: f64 = finished.split(", ").nth(1).and_then(|r| r.split(' ').next()?.parse().ok()).unwrap_or(0.0);
    println!(
        "h2load, 400 calls over {CONNECTIONS} connections: {finished}; {statuses}; {:.2} x the limit",
        rate / limit
    );
    answered_2xx(&out)
}

/// From 127.0.0.3, `slots` connections that finish TLS choosing h2 and then say nothing;
/// each one closed is opened again a second later, for a phase and two seconds. Returns
/// the most held at once and the attempts made.
async fn silent_flood(port: u16, certificate: Vec<u8>, slots: usize) -> (usize, usize) {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let connector = h2_connector(&certificate);
    let (held, most, attempts) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..slots {
        let (connector, stop, held, most, attempts) =
            (connector.clone(), stop.clone(), held.clone(), most.clone(), attempts.clone());
        tasks.spawn(async move {
            use tokio::io::AsyncReadExt;
            while !stop.load(Ordering::Relaxed) {
                attempts.fetch_add(1, Ordering::Relaxed);
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket.bind("127.0.0.3:0".parse().unwrap()).unwrap();
                if let Ok(tcp) = socket.connect(([127, 0, 0, 1], port).into()).await
                    && let Ok(mut tls) = connector.connect("localhost".try_into().unwrap(), tcp).await
                {
                    let now = held.fetch_add(1, Ordering::Relaxed) + 1;
                    most.fetch_max(now, Ordering::Relaxed);
                    let mut byte = [0u8; 1];
                    let _ = tokio::time::timeout(Duration::from_secs(60), tls.read(&mut byte)).await;
                    held.fetch_sub(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    tokio::time::sleep(PHASE + Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    tasks.abort_all();
    (most.load(Ordering::Relaxed), attempts.load(Ordering::Relaxed))
}

/// Reading a PROXY protocol v2 header (IPv4, as HAProxy's `send-proxy-v2` writes it), timed
/// over 100,000 reads, against one evaluation.
async fn proxy_header_cost(evaluation: Duration) {
    let header: [u8; 28] = [
        0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c, 203, 0, 113, 7,
        10, 0, 0, 1, 0xc7, 0x38, 0x20, 0xfb,
    ];
    let t = Instant::now();
    for _ in 0..100_000 {
        let mut stream = &header[..];
        std::hint::black_box(helpdesk::serve::proxy::read_header(&mut stream).await.unwrap());
    }
    let one = t.elapsed() / 100_000;
    println!(
        "a PROXY v2 header read: {:.2} µs = {:.4} % of one evaluation ({:.1} ms)",
        one.as_secs_f64() * 1e6,
        100.0 * one.as_secs_f64() / evaluation.as_secs_f64(),
        ms(evaluation)
    );
}
