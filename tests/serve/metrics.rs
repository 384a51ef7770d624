//! `/metrics` of the real binary: calls of every kind move the figures they should, the
//! listener answers nothing but `GET /metrics`, and what it serves passes Prometheus' own
//! parser and linter (`promtool check metrics`, Debian's `prometheus`; `.ci/run` installs it).

use crate::common;
use crate::over_https::{Served, ends_within, silent_h2};

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{TestDb, login};
use helpdesk::desk::Limits;
use helpdesk::domain::audit::IdentityCheck;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One plain HTTP call to the metrics listener: (status, content type, body).
fn scrape(served: &Served, method: &str, path: &str) -> (u16, String, String) {
    let out = Command::new("curl")
        .args(["-s", "-S", "-X", method, "-w", "\n%{http_code} %{content_type}"])
        .arg(format!("http://127.0.0.1:{}{path}", served.metrics_port))
        .output()
        .expect("curl (.ci/run installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, tail) = text.rsplit_once('\n').unwrap_or_else(|| panic!("curl said {text:?}"));
    let (status, content_type) = tail.split_once(' ').unwrap_or((tail, ""));
    (status.parse().unwrap_or(0), content_type.to_owned(), body.to_owned())
}

/// The samples of a scrape by series (`name{labels}` as written), after checking that it
/// was answered as Prometheus' text format.
pub(crate) fn samples(served: &Served) -> (String, HashMap<String, f64>) {
    let (status, content_type, body) = scrape(served, "GET", "/metrics");
    assert_eq!((status, content_type.as_str()), (200, "text/plain; version=0.0.4; charset=utf-8"), "{body}");
    let values = body
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(series, value)| (series.to_owned(), value.parse().unwrap_or_else(|_| panic!("{series} {value}"))))
        .collect();
    (body, values)
}

/// How much a series grew between two scrapes (a counter not yet created reads 0).
pub(crate) fn delta(before: &HashMap<String, f64>, after: &HashMap<String, f64>, series: &str) -> f64 {
    after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
}

pub(crate) fn answers(route: &str, status: u16) -> String {
    format!(r#"helpdesk_serve_answers_total{{route="{route}",status="{status}"}}"#)
}

/// `promtool check metrics` on `text`: its parser and its linter (names, units, help).
fn promtool(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; .ci/run installs it)");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics refused what /metrics serves: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const REDEEM: &str = "/v1/backup-codes/redeem";

async fn the_metrics_count_each_kind_of_answer_and_pass_promtool(db: TestDb) {
    let desk = db.desk(Limits::default());
    let (admin, agent) = (login(&desk, "ada.admin").await, login(&desk, "alex.agent").await);
    let token = desk.create_serve_client(&admin, "digital-banking-login").await.unwrap().token;
    let amara = db.user("amara.okafor").await;
    let issued = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let served = Served::start_with(&db, "refusals_per_minute = 1\nheader_timeout_seconds = 2\n");

    // The listener answers GET /metrics only.
    assert_eq!(scrape(&served, "GET", "/").0, 404, "{}", db.name);
    assert_eq!(scrape(&served, "POST", "/metrics").0, 404, "{}", db.name);
    assert_eq!(scrape(&served, "GET", "/v1/health").0, 404, "{}", db.name);
    let (text, before) = samples(&served);
    promtool(&text);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    assert_eq!(before["helpdesk_serve_queue_places"], cores, "{}: cores plus serve.queue = 0", db.name);
    assert_eq!(before["helpdesk_serve_queue_places_in_use"], 0.0, "{}", db.name);
    assert_eq!(before["helpdesk_serve_connection_places"], 512.0, "{}", db.name);

    // One code accepted, then the same code rejected; health; an unknown path.
    let body = format!(r#"{{"username":"amara.okafor","code":"{}"}}"#, issued.codes[0].grouped().as_str());
    assert_eq!(served.redeem(Some(&token), &body, &[]).0, 200, "{}", db.name);
    assert_eq!(served.redeem(Some(&token), &body, &[]).0, 200, "{}", db.name);
    assert_eq!(served.curl(&[&served.url("/v1/health")]).0, 200, "{}", db.name);
    assert_eq!(served.curl(&[&served.url("/wp-login.php")]).0, 404, "{}", db.name);
    // No token, twice (the allowance of 1 a minute, and the one that passes it), then 429.
    let statuses: Vec<u16> = (0..3).map(|_| served.redeem(None, &body, &[]).0).collect();
    assert_eq!(statuses, [401, 401, 429], "{}", db.name);

    // A TLS handshake that fails (plain HTTP to the HTTPS port), and a connection that
    // completes it and then says nothing for the header timeout.
    let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", served.port)).await.unwrap();
    plain.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut sink)).await;
    let mut silent = silent_h2(served.port);
    assert!(ends_within(&mut silent, Duration::from_secs(6)), "{}: the silent connection stayed open", db.name);

    let (text, after) = samples(&served);
    promtool(&text);
    let grew = |series: &str| delta(&before, &after, series);
    assert_eq!(grew(&answers(REDEEM, 200)), 2.0, "{}:\n{text}", db.name);
    assert_eq!(grew(&answers(REDEEM, 401)), 2.0, "{}:\n{text}", db.name);
    assert_eq!(grew(&answers(REDEEM, 429)), 1.0, "{}:\n{text}", db.name);
    assert_eq!(grew(&answers("/v1/health", 200)), 1.0, "{}:\n{text}", db.name);
    assert_eq!(grew(&answers("other", 404)), 1.0, "{}:\n{text}", db.name);
    assert_eq!(grew(r#"helpdesk_serve_redemptions_total{result="accepted"}"#), 1.0, "{}:\n{text}", db.name);
    assert_eq!(grew(r#"helpdesk_serve_redemptions_total{result="rejected"}"#), 1.0, "{}:\n{text}", db.name);
    // One argon2 evaluation a redemption, none for a refused credential; each took time.
    assert_eq!(grew("helpdesk_serve_argon2_evaluation_seconds_count"), 2.0, "{}:\n{text}", db.name);
    assert!(grew("helpdesk_serve_argon2_evaluation_seconds_sum") > 0.0, "{}:\n{text}", db.name);
    assert_eq!(grew(&format!(r#"helpdesk_serve_answer_seconds_count{{route="{REDEEM}"}}"#)), 5.0, "{}", db.name);
    let refused = |reason: &str| grew(&format!(r#"helpdesk_serve_connections_refused_total{{reason="{reason}"}}"#));
    assert_eq!(refused("tls_handshake_failed"), 1.0, "{}:\n{text}", db.name);
    assert_eq!(refused("silent"), 1.0, "{}:\n{text}", db.name);
    assert_eq!(refused("max_connections") + refused("per_address"), 0.0, "{}:\n{text}", db.name);
    assert_eq!(after["helpdesk_serve_queue_places_in_use"], 0.0, "{}", db.name);

    // Calls at once on two places: each 503 the callers read is counted, and each 200 is
    // one rejected redemption.
    let url = served.url(REDEEM);
    let (cert, resolve) = (served.cert().display().to_string(), format!("localhost:{}:127.0.0.1", served.port));
    let auth = format!("Authorization: Bearer {}", token.as_str());
    let mut args: Vec<String> = vec!["-Z".into(), "--parallel-immediate".into(), "--parallel-max".into(), "12".into()];
    for _ in 0..12 {
        args.extend(["-s", "--cacert", &cert, "--resolve", &resolve, "-H", &auth].map(String::from));
        args.extend(["-H", "Content-Type: application/json"].map(String::from));
        args.extend(["--data-binary", r#"{"username":"nobody.here","code":"ABCD-EFGH-JKMN"}"#].map(String::from));
        args.extend(["-o", "/dev/null", "-w", "%{http_code}\n", &url, "--next"].map(String::from));
    }
    args.pop();
    let out = Command::new("curl").args(&args).output().unwrap();
    let statuses: Vec<u16> = String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.parse().ok()).collect();
    let count = |s: u16| statuses.iter().filter(|&&x| x == s).count() as f64;
    assert_eq!(count(200) + count(503), 12.0, "{}: {statuses:?}", db.name);
    assert!(count(503) > 0.0, "{}: 12 calls on two places and none was busy: {statuses:?}", db.name);
    let (text, last) = samples(&served);
    promtool(&text);
    let grew = |series: &str| delta(&after, &last, series);
    assert_eq!(grew(&answers(REDEEM, 503)), count(503), "{}:\n{text}", db.name);
    assert_eq!(grew(&answers(REDEEM, 200)), count(200), "{}:\n{text}", db.name);
    assert_eq!(grew(r#"helpdesk_serve_redemptions_total{result="rejected"}"#), count(200), "{}", db.name);
    assert_eq!(grew("helpdesk_serve_argon2_evaluation_seconds_count"), count(200), "{}:\n{text}", db.name);
}

on_each_backend!(multi_thread: the_metrics_count_each_kind_of_answer_and_pass_promtool);
