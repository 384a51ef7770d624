//! `helpdesk serve` over the wire, on every backend: the real binary on a loopback port
//! with a throw-away certificate, called by curl (HTTP/2 by ALPN, and HTTP/1.1) and by a
//! raw rustls client for the request that is in flight when SIGTERM arrives.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TestDb, login};
use helpdesk::desk::Limits;
use helpdesk::domain::audit::{AuditFilter, IdentityCheck};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::{self, pki_types::pem::PemObject};

/// A slow code hash for the server's own evaluations (an unknown user, a malformed code),
/// so that a handful of calls fill its two places and a call is surely in flight.
const SLOW_ARGON2: &str = "memory_kib = 65536\niterations = 4\nparallelism = 1";

pub(crate) struct Served {
    child: Child,
    pub(crate) port: u16,
    /// The port of `/metrics` (plain HTTP on 127.0.0.1).
    pub(crate) metrics_port: u16,
    dir: tempfile::TempDir,
}

impl Served {
    pub(crate) fn start(db: &TestDb) -> Self {
        Self::start_with(db, "")
    }

    /// With more `[serve]` keys, one a line.
    pub(crate) fn start_with(db: &TestDb, serve: &str) -> Self {
        Self::start_full(db, serve, "")
    }

    /// With more `[serve]` keys, and more sections (`[throttle]` …) after it.
    pub(crate) fn start_full(db: &TestDb, serve: &str, sections: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"])
            .args(["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .args(["-keyout", "key.pem", "-out", "cert.pem"])
            .current_dir(dir.path())
            .stderr(Stdio::null())
            .status()
            .expect("openssl (.ci/run installs it)");
        assert!(made.success(), "openssl could not make the throw-away certificate");
        // No queue unless the test sets one: two places, filled by a handful of calls.
        let queue = if serve.contains("queue =") { "" } else { "queue = 0\n" };
        let config = format!(
            "[log]\nfile = \"serve.log\"\n[serve]\naddress = \"127.0.0.1:0\"\ncertificate = \"cert.pem\"\n\
             private_key = \"key.pem\"\n{queue}drain_seconds = 30\nmetrics_address = \"127.0.0.1:0\"\n{serve}\
             [codes.argon2]\n{SLOW_ARGON2}\n{sections}"
        );
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        db.write_key_file(dir.path());
        let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
            .arg("--config")
            .arg(dir.path().join("config.toml"))
            .args(["--database", &db.url, "serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        // The rest of what it says is read too: a closed pipe would end it with SIGPIPE.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        let port = line
            .split("https://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("{}: the server did not say where it listens: {line:?}", db.name));
        let metrics_port = line
            .split("metrics on http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split('/').next()?.parse().ok())
            .unwrap_or_else(|| panic!("{}: the server did not say where its metrics are: {line:?}", db.name));
        Self { child, port, metrics_port, dir }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    pub(crate) fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// One call by curl: (status, HTTP version, headers, body).
    pub(crate) fn curl(&self, args: &[&str]) -> (u16, String, String, String) {
        let out = Command::new("curl")
            .args(["-s", "-S", "-D", "-", "--cacert"])
            .arg(self.cert())
            .args(["--resolve", &format!("localhost:{}:127.0.0.1", self.port)])
            .args(["-w", "\n%{http_code} %{http_version}"])
            .args(args)
            .output()
            .expect("curl (.ci/run installs it)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (rest, tail) = text.rsplit_once('\n').unwrap_or_else(|| panic!("curl said {text:?}"));
        let (status, version) = tail.split_once(' ').unwrap();
        let (headers, body) = rest.split_once("\r\n\r\n").unwrap_or((rest, ""));
        (status.parse().unwrap_or(0), version.to_owned(), headers.to_lowercase(), body.to_owned())
    }

    /// Sends SIGTERM to the server.
    pub(crate) fn sigterm(&self) {
        // SAFETY: kill only sends a signal to the child this test started.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) }, 0);
    }

    /// How the server ended, within 30 s (`what` names the run in a failure).
    pub(crate) fn exit_status(&mut self, what: &str) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "{what}: the server did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn redeem(&self, token: Option<&str>, body: &str, extra: &[&str]) -> (u16, String, String, String) {
        let auth = token.map(|t| format!("Authorization: Bearer {t}"));
        let mut args: Vec<&str> = vec!["-H", "Content-Type: application/json", "--data-binary", body];
        if let Some(auth) = &auth {
            args.extend(["-H", auth.as_str()]);
        }
        args.extend(extra);
        let url = self.url("/v1/backup-codes/redeem");
        args.push(&url);
        self.curl(&args)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
}

/// A TLS connection to the server over rustls, without ALPN: HTTP/1.1.
pub(crate) async fn connect_tls(port: u16, cert: &Path) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    connector.connect("localhost".try_into().unwrap(), tcp).await.unwrap()
}

/// A raw HTTP/1.1 call over rustls, written whole before it returns, read later.
pub(crate) async fn send_raw(
    port: u16,
    cert: &Path,
    token: &str,
    body: &str,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut tls = connect_tls(port, cert).await;
    let request = format!(
        "POST /v1/backup-codes/redeem HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    tls
}

async fn a_code_is_redeemed_over_https_once_and_every_bad_call_is_answered(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (admin, agent) = (login(&desk, "ada.admin").await, login(&desk, "alex.agent").await);
    let login_client = desk.create_serve_client(&admin, "digital-banking-login").await.unwrap();
    let token = login_client.token.as_str();
    let amara = db.user("amara.okafor").await;
    let issued = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let code = issued.codes[0].grouped();
    let served = Served::start(&db);

    // Liveness and readiness.
    let (status, _, _, body) = served.curl(&[&served.url("/v1/health")]);
    assert_eq!((status, json(&body)["status"].clone()), (200, "ok".into()), "{}", db.name);
    let (status, _, _, body) = served.curl(&[&served.url("/v1/ready")]);
    assert_eq!((status, json(&body)["status"].clone()), (200, "ready".into()), "{}", db.name);

    // The code: accepted once over HTTP/2, with step 8 and the codes left; then rejected.
    let body = format!(r#"{{"username":"amara.okafor","code":"{}"}}"#, code.as_str());
    let (status, version, _, answer) = served.redeem(Some(token), &body, &[]);
    assert_eq!((status, version.as_str()), (200, "2"), "{}: {answer}", db.name);
    assert_eq!(
        json(&answer),
        serde_json::json!({"result": "accepted", "must_add_authenticator": true, "codes_left": 9}),
        "{}",
        db.name
    );
    let (status, version, _, answer) = served.redeem(Some(token), &body, &["--http1.1"]);
    assert_eq!((status, version.as_str()), (200, "1.1"), "{}", db.name);
    assert_eq!(json(&answer), serde_json::json!({"result": "rejected"}), "{}: used twice", db.name);
    // An unknown user and a code over 256 bytes read the same.
    let long = format!(r#"{{"username":"amara.okafor","code":"{}"}}"#, "A".repeat(300));
    for body in [r#"{"username":"nobody.here","code":"ABCD-EFGH-JKMN"}"#, long.as_str()] {
        let (status, _, _, answer) = served.redeem(Some(token), body, &[]);
        assert_eq!((status, json(&answer)), (200, serde_json::json!({"result": "rejected"})), "{}", db.name);
    }

    // Credentials: none, wrong, revoked-style garbage: 401 with the challenge.
    for auth in [None, Some("hds_0000"), Some(&"x".repeat(80)[..])] {
        let (status, _, headers, answer) = served.redeem(auth, &body, &[]);
        assert_eq!(status, 401, "{}: {auth:?} {answer}", db.name);
        assert!(headers.contains("www-authenticate: bearer"), "{}: {headers}", db.name);
        assert_eq!(json(&answer)["error"], "unauthorized");
    }
    // Bad input: too large (declared and chunked), not JSON, a wrong field, unknown path.
    let big = format!(r#"{{"username":"amara.okafor","code":"{}"}}"#, "A".repeat(2000));
    let (status, _, _, answer) = served.redeem(Some(token), &big, &[]);
    assert_eq!((status, json(&answer)["error"].clone()), (413, "too_large".into()), "{}", db.name);
    let (status, _, _, _) = served.redeem(Some(token), &big, &["--http1.1", "-H", "Transfer-Encoding: chunked"]);
    assert_eq!(status, 413, "{}: a chunked body past 1 KiB", db.name);
    let (status, _, _, answer) = served.redeem(Some(token), "username=amara", &[]);
    assert_eq!((status, json(&answer)["error"].clone()), (400, "bad_request".into()), "{}", db.name);
    let (status, _, _, answer) = served.redeem(Some(token), r#"{"username":"amara.okafor","code":42}"#, &[]);
    assert_eq!((status, json(&answer)["field"].clone()), (400, "code".into()), "{}: {answer}", db.name);
    let (status, _, _, answer) = served.curl(&[&served.url("/v1/nothing-here")]);
    assert_eq!((status, json(&answer)["error"].clone()), (404, "not_found".into()), "{}", db.name);

    // The audit log names the client on the redemption and the address on the refusals.
    let events = desk.export_audit_as(&admin, &AuditFilter::default(), 0, 1000).await.unwrap();
    let redeemed = events.iter().find(|e| e.action == "backup_code_redeemed").expect("the redemption's event");
    assert!(
        redeemed.detail.as_deref().unwrap_or_default().contains("via serve client digital-banking-login"),
        "{}: {:?}",
        db.name,
        redeemed.detail
    );
    let refused: Vec<_> = events.iter().filter(|e| e.action == "serve_call_refused").collect();
    assert_eq!(refused.len(), 3, "{}: {refused:?}", db.name);
    assert!(refused.iter().all(|e| e.detail.as_deref().unwrap_or_default().starts_with("from 127.0.0.1")));
    let rejected = events.iter().filter(|e| e.action == "backup_code_rejected").count();
    assert_eq!(rejected, 3, "{}: every rejected call is one audit event", db.name);
}

async fn a_full_queue_answers_503_at_once_and_sigterm_answers_the_call_in_flight(db: TestDb) {
    let desk = db.desk(Limits::default());
    let admin = login(&desk, "ada.admin").await;
    let token = desk.create_serve_client(&admin, "login").await.unwrap().token;
    let mut served = Served::start(&db);

    // Two places (two cores, no queue) and slow evaluations: of 24 calls at once, most
    // are told to come back, at once, with Retry-After; none fails otherwise.
    let auth = format!("Authorization: Bearer {}", token.as_str());
    let url = served.url("/v1/backup-codes/redeem");
    let mut args: Vec<String> = vec!["-Z".into(), "--parallel-immediate".into(), "--parallel-max".into(), "24".into()];
    let (cert, resolve) = (served.cert().display().to_string(), format!("localhost:{}:127.0.0.1", served.port));
    for _ in 0..24 {
        // `--next` starts each call afresh: every option is given again.
        args.extend(["-s", "--cacert", &cert, "--resolve", &resolve].map(String::from));
        args.extend(["-H", &auth, "-H", "Content-Type: application/json"].map(String::from));
        args.extend(["--data-binary", r#"{"username":"nobody.here","code":"ABCD-EFGH-JKMN"}"#].map(String::from));
        let format = "%{http_code} %{time_total} %header{retry-after}\n";
        args.extend(["-o", "/dev/null", "-w", format, &url, "--next"].map(String::from));
    }
    args.pop();
    let started = Instant::now();
    let out = Command::new("curl").args(&args).output().unwrap();
    let lines: Vec<(u16, f64, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.split(' ');
            Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next().unwrap_or("").to_owned()))
        })
        .collect();
    assert_eq!(lines.len(), 24, "{}: {:?}", db.name, String::from_utf8_lossy(&out.stdout));
    let busy: Vec<f64> = lines.iter().filter(|(s, _, _)| *s == 503).map(|(_, t, _)| *t).collect();
    let answered = lines.iter().filter(|(s, _, _)| *s == 200).count();
    assert!(
        lines.iter().filter(|(s, _, _)| *s == 503).all(|(_, _, retry)| retry == "1"),
        "{}: a busy answer without Retry-After: {lines:?}",
        db.name
    );
    assert!(!busy.is_empty() && answered >= 2, "{}: {lines:?}", db.name);
    assert_eq!(busy.len() + answered, 24, "{}: a status other than 200 or 503: {lines:?}", db.name);
    // "At once": a busy answer takes no evaluation's time (each takes hundreds of ms here).
    let mut sorted = busy.clone();
    sorted.sort_by(f64::total_cmp);
    assert!(sorted[sorted.len() / 2] < 0.25, "{}: busy answers waited: {sorted:?}", db.name);
    eprintln!("{}: 24 calls in {:?}: {answered} answered, {} busy", db.name, started.elapsed(), busy.len());

    // A caller that hangs up mid-redemption does not cut it short: it is still audited.
    let rejected = async || {
        let events = desk.export_audit_as(&admin, &AuditFilter::default(), 0, 10_000).await.unwrap();
        events.iter().filter(|e| e.action == "backup_code_rejected").count()
    };
    let before = rejected().await;
    let hung_up =
        send_raw(served.port, &served.cert(), &token, r#"{"username":"nobody.here","code":"ABCD-EFGH-JKMN"}"#).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(hung_up);
    let deadline = Instant::now() + Duration::from_secs(20);
    while rejected().await == before {
        assert!(Instant::now() < deadline, "{}: a call the caller hung up on was never audited", db.name);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A call in flight when SIGTERM comes is answered, and the server exits 0.
    let mut in_flight =
        send_raw(served.port, &served.cert(), &token, r#"{"username":"nobody.here","code":"ABCD-EFGH-JKMN"}"#).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    served.sigterm();
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).await.unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 200"), "{}: the call in flight was cut: {answer:?}", db.name);
    assert!(answer.ends_with(r#"{"result":"rejected"}"#), "{}: {answer:?}", db.name);
    let status = served.exit_status(db.name);
    assert_eq!(status.code(), Some(0), "{}: SIGTERM did not end in a clean exit", db.name);
    let refused = std::net::TcpStream::connect(("127.0.0.1", served.port));
    assert!(refused.is_err(), "{}: still accepting after SIGTERM", db.name);
}

/// A TLS connection that chooses HTTP/2 and then says nothing, as `openssl s_client` makes
/// one from `local` (a loopback address of its own).
pub(crate) fn silent_h2(port: u16) -> Child {
    Command::new("openssl")
        .args(["s_client", "-quiet", "-alpn", "h2", "-connect", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl (.ci/run installs it)")
}

/// Whether `child` ends within `limit`.
pub(crate) fn ends_within(child: &mut Child, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Silent connections do not hold the service: one address holds at most its places (a
/// call from another address is still answered), and a connection that chose HTTP/2 and
/// never asked anything is closed after the header timeout.
async fn silent_connections_are_closed_and_one_address_holds_only_its_places(db: TestDb) {
    let served =
        Served::start_with(&db, "max_connections_per_address = 3\nheader_timeout_seconds = 2\nidle_seconds = 2\n");
    let mut silent: Vec<Child> = (0..3).map(|_| silent_h2(served.port)).collect();
    std::thread::sleep(Duration::from_millis(700));
    let mut fourth = silent_h2(served.port);
    assert!(ends_within(&mut fourth, Duration::from_secs(2)), "{}: a fourth place for one address", db.name);
    let (cert, port) = (served.cert().display().to_string(), served.port);
    let health = |interface: &str| {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", &cert, "--interface", interface])
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1"), &format!("https://localhost:{port}/v1/health")])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(health("127.0.0.2"), "200", "{}: another address was not answered", db.name);
    for child in &mut silent {
        assert!(ends_within(child, Duration::from_secs(6)), "{}: a silent HTTP/2 connection stayed open", db.name);
    }
    assert_eq!(health("127.0.0.1"), "200", "{}: the address's places were not given back", db.name);
}

on_each_backend!(silent_connections_are_closed_and_one_address_holds_only_its_places);

/// A kept-alive HTTP/1.1 connection waits `serve.idle_seconds` for its next request, not
/// the header deadline; then it is closed.
async fn http1_keep_alive_lasts_idle_seconds_not_the_header_deadline(db: TestDb) {
    let served = Served::start_with(&db, "header_timeout_seconds = 2\nidle_seconds = 6\n");
    let mut tls = connect_tls(served.port, &served.cert()).await;
    let health = async |tls: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>| {
        tls.write_all(b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.ok()?;
        let mut answer = Vec::new();
        let mut buffer = [0u8; 1024];
        while !answer.ends_with(br#"{"status":"ok"}"#) {
            match tls.read(&mut buffer).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
        Some(String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned())
    };
    assert_eq!(health(&mut tls).await.as_deref(), Some("HTTP/1.1 200 OK"), "{}", db.name);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let again = health(&mut tls).await;
    assert_eq!(again.as_deref(), Some("HTTP/1.1 200 OK"), "{}: closed at the header deadline", db.name);
    tokio::time::sleep(Duration::from_secs(9)).await;
    assert_eq!(health(&mut tls).await, None, "{}: still open past serve.idle_seconds", db.name);
}

on_each_backend!(http1_keep_alive_lasts_idle_seconds_not_the_header_deadline);

on_each_backend!(multi_thread:
    a_code_is_redeemed_over_https_once_and_every_bad_call_is_answered,
    a_full_queue_answers_503_at_once_and_sigterm_answers_the_call_in_flight,
);
