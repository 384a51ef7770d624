//! Two `helpdesk serve` processes on one database behind a real HAProxy (Debian's
//! `haproxy`, TCP mode, `send-proxy-v2`; `.ci/run` installs it): a code is used once
//! through either, a user's lock reached through one holds on the other, and each caller
//! is known by its own address, so one caller's failures throttle nobody else, and its
//! allowance of refusals is counted across both.
//!
//! Loopback has a whole /8: the callers come from 127.0.0.2 and 127.0.0.3 (curl
//! `--interface`), HAProxy reaches the servers from 127.0.0.9, the only trusted proxy.

use crate::common;
use crate::over_https::{Served, json};

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestDb, login};
use helpdesk::desk::Limits;
use helpdesk::domain::audit::{AuditFilter, IdentityCheck};

const PROXY_SOURCE: &str = "127.0.0.9";

/// HAProxy in front of the servers: one frontend port each, so a test says which
/// instance a call goes through.
struct Haproxy {
    child: Child,
    ports: Vec<u16>,
    _dir: tempfile::TempDir,
}

impl Haproxy {
    fn start(servers: &[u16]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<u16> = servers.iter().map(|_| free_port()).collect();
        let mut config = String::from(
            "global\n    maxconn 200\ndefaults\n    mode tcp\n    timeout connect 2s\n    timeout client 30s\n    timeout server 30s\n",
        );
        for (i, (front, back)) in ports.iter().zip(servers).enumerate() {
            config.push_str(&format!(
                "listen serve{i}\n    bind 127.0.0.1:{front}\n    server s{i} 127.0.0.1:{back} send-proxy-v2 source {PROXY_SOURCE}\n"
            ));
        }
        std::fs::write(dir.path().join("haproxy.cfg"), config).unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(dir.path().join("haproxy.cfg"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy (.ci/run installs it)");
        let until = Instant::now() + Duration::from_secs(10);
        while ports.iter().any(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_err()) {
            assert!(Instant::now() < until, "haproxy did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, ports, _dir: dir }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A redemption through `port` from the loopback address `from`: (status, body).
fn redeem(port: u16, cacert: &str, from: &str, token: &str, body: &str) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-sS", "--cacert", cacert, "--interface", from, "-w", "\n%{http_code}"])
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
        .args(["-H", &format!("Authorization: Bearer {token}"), "-H", "Content-Type: application/json"])
        .args(["--data-binary", body, &format!("https://localhost:{port}/v1/backup-codes/redeem")])
        .output()
        .expect("curl (.ci/run installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    match status.parse() {
        Ok(0) | Err(_) => (0, String::from_utf8_lossy(&out.stderr).into_owned()),
        Ok(status) => (status, body.to_owned()),
    }
}

async fn two_instances_behind_haproxy_share_codes_and_locks_and_tell_callers_apart(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (admin, agent) = (login(&desk, "ada.admin").await, login(&desk, "alex.agent").await);
    let token = desk.create_serve_client(&admin, "login").await.unwrap().token;
    let token = token.as_str();
    let amara = db.user("amara.okafor").await;
    let issued = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let keys = format!("trusted_proxies = [\"{PROXY_SOURCE}\"]\nrefusals_per_minute = 3\n");
    let throttle = "[throttle]\nredeem_max_failures = 4\n";
    let servers = [Served::start_full(&db, &keys, throttle), Served::start_full(&db, &keys, throttle)];
    // One file with both throw-away certificates: the client trusts either server.
    let bundle = servers[0].cert().with_file_name("both.pem");
    let pems: Vec<String> = servers.iter().map(|s| std::fs::read_to_string(s.cert()).unwrap()).collect();
    std::fs::write(&bundle, pems.concat()).unwrap();
    let cacert = bundle.display().to_string();
    let proxy = Haproxy::start(&[servers[0].port, servers[1].port]);
    let (one, other) = (proxy.ports[0], proxy.ports[1]);
    let call = |port, from, code: &str| {
        let body = format!(r#"{{"username":"amara.okafor","code":"{code}"}}"#);
        redeem(port, &cacert, from, token, &body)
    };

    // A code is accepted once, through either instance.
    let (status, answer) = call(one, "127.0.0.2", issued.codes[0].grouped().as_str());
    assert_eq!((status, json(&answer)["result"].clone()), (200, "accepted".into()), "{}", db.name);
    let (status, answer) = call(other, "127.0.0.2", issued.codes[0].grouped().as_str());
    assert_eq!((status, json(&answer)["result"].clone()), (200, "rejected".into()), "{}: used twice", db.name);

    // Two failures through each lock the user's codes (4 in a row); then a good code is
    // refused through both, and is still unused.
    for port in [one, other, one, other] {
        assert_eq!(call(port, "127.0.0.2", "WRNG-WRNG-WRNG").0, 200, "{}", db.name);
    }
    for port in [other, one] {
        let (status, answer) = call(port, "127.0.0.2", issued.codes[1].grouped().as_str());
        assert_eq!((status, json(&answer)["result"].clone()), (200, "rejected".into()), "{}: port {port}", db.name);
    }
    let events = desk.export_audit_as(&admin, &AuditFilter::default(), 0, 1000).await.unwrap();
    assert_eq!(
        events.iter().filter(|e| e.action == "backup_code_redeemed").count(),
        1,
        "{}: a locked user's good code was used",
        db.name
    );

    // A flood of bad tokens from 127.0.0.2 through one instance: that caller is held back
    // (429), nobody else is; and a valid token from the same address is still heard,
    // through both instances.
    let bad =
        |port, from| redeem(port, &cacert, from, "hds_0000", r#"{"username":"nobody.here","code":"ABCD-EFGH-JKMN"}"#);
    // The allowance (3 a minute) is the caller's, whichever instance it reaches.
    let flood: Vec<(u16, String)> = [one, other, one, other, one, other].map(|port| bad(port, "127.0.0.2")).into();
    let flood: Vec<u16> = flood
        .iter()
        .map(|(status, answer)| if *status == 0 { panic!("{}: {answer}", db.name) } else { *status })
        .collect();
    assert_eq!(flood, [401, 401, 401, 401, 429, 429], "{}: the caller was not held back by its count", db.name);
    assert_eq!(bad(one, "127.0.0.3").0, 401, "{}: another caller was throttled for 127.0.0.2's failures", db.name);
    for port in [one, other] {
        let (status, answer) =
            redeem(port, &cacert, "127.0.0.2", token, r#"{"username":"nobody.here","code":"ABCD-EFGH-JKMN"}"#);
        assert_eq!(
            (status, answer.as_str()),
            (200, r#"{"result":"rejected"}"#),
            "{}: a valid token held back",
            db.name
        );
    }
    let events = desk.export_audit_as(&admin, &AuditFilter::default(), 0, 1000).await.unwrap();
    let refused: Vec<&str> = events
        .iter()
        .filter(|e| e.action == "serve_call_refused")
        .map(|e| e.detail.as_deref().unwrap_or_default())
        .collect();
    // Each refusal names the caller, and the proxy it came through.
    let via = format!(" (via proxy {PROXY_SOURCE}): ");
    assert!(refused.iter().any(|d| d.starts_with(&format!("from 127.0.0.2{via}"))), "{}: {refused:?}", db.name);
    assert!(refused.iter().any(|d| d.starts_with(&format!("from 127.0.0.3{via}"))), "{}: {refused:?}", db.name);
    assert!(refused.iter().all(|d| d.contains(&via)), "{}: a refusal without its caller: {refused:?}", db.name);

    // Nobody else can name an address: a PROXY header sent straight to a server by an
    // untrusted peer fails the handshake; the trusted address without a header is closed.
    let direct = servers[0].port;
    let mut spoof = std::net::TcpStream::connect(("127.0.0.1", direct)).unwrap();
    let header = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\x0a\x00\x00\x01\x0a\x00\x00\x02\x00\x50\x01\xbb";
    std::io::Write::write_all(&mut spoof, header).unwrap();
    spoof.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reply = [0u8; 64];
    let read = std::io::Read::read(&mut spoof, &mut reply).unwrap_or(0);
    assert!(read == 0 || reply[0] == 0x15, "{}: a PROXY header from an untrusted peer was read", db.name);
    let (status, _) = call(direct, PROXY_SOURCE, issued.codes[2].grouped().as_str());
    assert_eq!(status, 0, "{}: the trusted proxy's address was served without a header", db.name);
    let (status, answer) = call(direct, "127.0.0.1", "WRNG-WRNG-WRNG");
    assert_eq!((status, answer.as_str()), (200, r#"{"result":"rejected"}"#), "{}: a direct caller", db.name);
}

on_each_backend!(multi_thread: two_instances_behind_haproxy_share_codes_and_locks_and_tell_callers_apart);
