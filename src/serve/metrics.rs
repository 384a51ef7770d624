//! `/metrics` of `helpdesk serve`: what an operator of the service watches, counted where
//! it happens (prometheus-client's counters, gauges and histograms) and answered over plain
//! HTTP on `serve.metrics_address`, a listener of its own with a few places of its own, so
//! that scrapes, or a flood of them, take no place, queue slot or connection from the
//! redemptions. Every name starts `helpdesk_serve_`; docs/redemption-api.md lists them with
//! what to alert on.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::desk::{DeskError, EvaluationTimer, HelpDesk, Redemption};
use crate::serve::ServeError;
use crate::serve::api::{HEALTH, READY, REDEEM};
use crate::serve::guard::Admission;

/// The path scraped; every other path or method is answered 404.
pub const PATH: &str = "/metrics";
/// Connections the metrics listener serves at once; one more is closed as soon as it is
/// accepted. A Prometheus or two need one each.
const SCRAPE_PLACES: usize = 4;
/// The longest a connection to the metrics listener lives, request and answer included.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);
/// Refused connections are summed in one log line at most this often.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// Bounds of the argon2 histogram, in seconds: the shipped cost takes tens of milliseconds
/// a core, a raised one up to a second or two; past 5 s something else is wrong.
const ARGON2_BUCKETS: [f64; 10] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0];
/// Bounds of the answer-time histogram, in seconds: from a health check to a redemption
/// that waited for a core.
const ANSWER_BUCKETS: [f64; 12] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Why a connection to the main listener was closed without a call answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `serve.max_connections` were open: closed as soon as accepted.
    MaxConnections,
    /// Its address held `serve.max_connections_per_address`: closed as soon as accepted.
    PerAddress,
    /// The TLS handshake failed (no common version or cipher, not TLS at all, …).
    TlsHandshakeFailed,
    /// The TLS handshake did not finish within `serve.header_timeout_seconds`.
    TlsHandshakeTimedOut,
    /// Nothing was asked within `serve.header_timeout_seconds` of the handshake.
    Silent,
    /// A trusted proxy's connection did not open with a good PROXY v2 header in time.
    ProxyHeader,
}

impl Refusal {
    const ALL: [Refusal; 6] = [
        Self::MaxConnections,
        Self::PerAddress,
        Self::TlsHandshakeFailed,
        Self::TlsHandshakeTimedOut,
        Self::Silent,
        Self::ProxyHeader,
    ];

    /// The `reason` label.
    fn label(self) -> &'static str {
        match self {
            Self::MaxConnections => "max_connections",
            Self::PerAddress => "per_address",
            Self::TlsHandshakeFailed => "tls_handshake_failed",
            Self::TlsHandshakeTimedOut => "tls_handshake_timed_out",
            Self::Silent => "silent",
            Self::ProxyHeader => "proxy_header",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answer {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: &'static str,
}

/// One server's metrics; cheap to clone, every clone counting into the same registry.
/// `Metrics::new(false)` (`serve.metrics_address = "off"`) counts nothing, and still sums
/// refused connections in the log.
#[derive(Clone)]
pub struct Metrics {
    counts: Option<Arc<Counts>>,
    said: Arc<Mutex<Said>>,
}

struct Counts {
    registry: Registry,
    answers: Family<Answer, Counter>,
    answer_seconds: Family<Route, Histogram>,
    redemptions: Family<Outcome, Counter>,
    argon2: Histogram,
    queue_places: Gauge,
    queue_in_use: Gauge,
    connection_places: Gauge,
    connections_open: Gauge,
    refused: Family<Reason, Counter>,
    /// What the gauges are read from at each scrape.
    sources: OnceLock<Sources>,
}

struct Sources {
    admission: Admission,
    connections: Arc<Semaphore>,
    max_connections: usize,
}

/// Connections refused at the accept loop since the last log line about them.
#[derive(Default)]
struct Said {
    at: Option<Instant>,
    full: u64,
    per_address: u64,
}

impl Metrics {
    /// A registry with every metric at zero (`on`), or nothing to count.
    pub fn new(on: bool) -> Self {
        let said = Arc::default();
        if !on {
            return Self { counts: None, said };
        }
        let mut registry = Registry::with_prefix("helpdesk_serve");
        let answers = Family::<Answer, Counter>::default();
        registry.register("answers", "Answers by route and HTTP status", answers.clone());
        let answer_seconds =
            Family::<Route, Histogram>::new_with_constructor(|| Histogram::new(ANSWER_BUCKETS) as Histogram);
        registry.register_with_unit(
            "answer",
            "Time from a request's headers to its answer's, by route",
            Unit::Seconds,
            answer_seconds.clone(),
        );
        let redemptions = Family::<Outcome, Counter>::default();
        registry.register("redemptions", "Redemptions answered 200, by result", redemptions.clone());
        let argon2 = Histogram::new(ARGON2_BUCKETS);
        registry.register_with_unit(
            "argon2_evaluation",
            "Time of each redemption's one argon2 evaluation on a core (not its wait for one)",
            Unit::Seconds,
            argon2.clone(),
        );
        let (queue_places, queue_in_use) = (Gauge::default(), Gauge::default());
        registry.register("queue_places", "Redemptions admitted at once: cores plus serve.queue", queue_places.clone());
        registry.register(
            "queue_places_in_use",
            "Redemptions admitted now, being hashed or waiting for a core",
            queue_in_use.clone(),
        );
        let (connection_places, connections_open) = (Gauge::default(), Gauge::default());
        registry.register("connection_places", "serve.max_connections", connection_places.clone());
        registry.register("connections_open", "Connections open now on the main listener", connections_open.clone());
        let refused = Family::<Reason, Counter>::default();
        registry.register(
            "connections_refused",
            "Connections closed without a call answered, by reason",
            refused.clone(),
        );
        // Present at zero from the start, so that a rate is defined before the first one.
        for why in Refusal::ALL {
            drop(refused.get_or_create(&Reason { reason: why.label() }));
        }
        for result in ["accepted", "rejected"] {
            drop(redemptions.get_or_create(&Outcome { result }));
        }
        let counts = Counts {
            registry,
            answers,
            answer_seconds,
            redemptions,
            argon2,
            queue_places,
            queue_in_use,
            connection_places,
            connections_open,
            refused,
            sources: OnceLock::new(),
        };
        Self { counts: Some(Arc::new(counts)), said }
    }

    /// Whether anything is counted.
    pub fn is_on(&self) -> bool {
        self.counts.is_some()
    }

    /// Reads the queue and the connections at each scrape from these, and times `desk`'s
    /// argon2 evaluations. Once; a later call changes nothing.
    pub fn watch(&self, desk: &HelpDesk, admission: Admission, connections: Arc<Semaphore>, max_connections: usize) {
        let Some(counts) = &self.counts else { return };
        if self.read_from(admission, connections, max_connections) {
            let argon2 = counts.argon2.clone();
            let timer: EvaluationTimer = Arc::new(move |took: Duration| argon2.observe(took.as_secs_f64()));
            desk.time_evaluations(Some(timer));
        }
    }

    /// The gauges' sources; false when they were set already (or nothing is counted).
    fn read_from(&self, admission: Admission, connections: Arc<Semaphore>, max_connections: usize) -> bool {
        let Some(counts) = &self.counts else { return false };
        counts.sources.set(Sources { admission, connections, max_connections }).is_ok()
    }

    /// The router with every answer counted by route and status, and timed by route.
    pub fn around(&self, router: Router) -> Router {
        if self.is_on() {
            router.layer(axum::middleware::from_fn_with_state(self.clone(), count_answer))
        } else {
            router
        }
    }

    /// Counts a redemption's result: accepted, or rejected (a wrong code and a lock read
    /// the same to the caller). A failure is counted by its 503 alone.
    pub fn redeemed(&self, redeemed: &Result<Redemption, DeskError>) {
        let Some(counts) = &self.counts else { return };
        let result = match redeemed {
            Ok(Redemption::Accepted { .. }) => "accepted",
            Ok(Redemption::Rejected | Redemption::Locked { .. }) => "rejected",
            Err(_) => return,
        };
        counts.redemptions.get_or_create(&Outcome { result }).inc();
    }

    /// Counts a connection closed without a call answered. The two refusals at the accept
    /// loop are also summed in a warning at most once a minute (not one line each: a flood
    /// would fill the log).
    pub fn refused(&self, why: Refusal) {
        if let Some(counts) = &self.counts {
            counts.refused.get_or_create(&Reason { reason: why.label() }).inc();
        }
        if matches!(why, Refusal::MaxConnections | Refusal::PerAddress) {
            self.say(why);
        }
    }

    fn say(&self, why: Refusal) {
        let mut said = self.said.lock().unwrap_or_else(|e| e.into_inner());
        if why == Refusal::MaxConnections {
            said.full += 1;
        } else {
            said.per_address += 1;
        }
        let now = Instant::now();
        if said.at.is_some_and(|at| now < at + SUMMARY_EVERY) {
            return;
        }
        let (full, per_address) = (said.full, said.per_address);
        *said = Said { at: Some(now), full: 0, per_address: 0 };
        drop(said);
        tracing::warn!(
            full,
            per_address,
            "connections closed at once since the last such line: {full} with serve.max_connections open, \
             {per_address} from an address holding serve.max_connections_per_address"
        );
    }

    fn answered(&self, route: &'static str, status: StatusCode, took: Duration) {
        let Some(counts) = &self.counts else { return };
        counts.answers.get_or_create(&Answer { route, status: status.as_u16() }).inc();
        counts.answer_seconds.get_or_create(&Route { route }).observe(took.as_secs_f64());
    }

    /// The text a scrape reads, in Prometheus' text format 0.0.4, with the gauges read now;
    /// `None` when nothing is counted. (Not OpenMetrics, which prometheus-client also
    /// writes: Prometheus reads either, but `promtool check metrics`, which the tests run
    /// on what is served, reads only this one.)
    pub fn encode(&self) -> Option<String> {
        let counts = self.counts.as_ref()?;
        if let Some(sources) = counts.sources.get() {
            let open = sources.max_connections.saturating_sub(sources.connections.available_permits());
            counts.queue_places.set(gauge(sources.admission.places()));
            counts.queue_in_use.set(gauge(sources.admission.in_use()));
            counts.connection_places.set(gauge(sources.max_connections));
            counts.connections_open.set(gauge(open));
        }
        let mut text = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        prometheus_client::encoding::prometheus_text::encode(&mut text, &counts.registry).ok()?;
        Some(text)
    }
}

/// The content type of what `/metrics` answers.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

fn gauge(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The route label: one of the API's paths, or `other` (so that a scan of random paths adds
/// no series).
fn route(path: &str) -> &'static str {
    [REDEEM, HEALTH, READY].into_iter().find(|r| *r == path).unwrap_or("other")
}

/// The router's outermost layer: counts and times every answer, 404s and timeouts included.
async fn count_answer(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let (route, started) = (route(request.uri().path()), Instant::now());
    let response = next.run(request).await;
    metrics.answered(route, response.status(), started.elapsed());
    response
}

/// The metrics listener, bound at start so that a port in use stops the server with the
/// key named; `None` when `serve.metrics_address` is off.
pub async fn bind(address: Option<SocketAddr>) -> Result<Option<TcpListener>, ServeError> {
    let Some(address) = address else { return Ok(None) };
    let listener = TcpListener::bind(address).await.map_err(|source| ServeError::MetricsListen { address, source })?;
    Ok(Some(listener))
}

/// Serving scrapes; stops when dropped.
pub struct Scrapes(tokio::task::JoinHandle<()>);

impl Drop for Scrapes {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Answers `GET /metrics` on `listener` until the returned handle is dropped: HTTP/1.1, one
/// request a connection, `SCRAPE_PLACES` connections at once (one more is closed at once),
/// each closed after `SCRAPE_TIMEOUT`.
pub fn serve(listener: TcpListener, metrics: Metrics) -> Scrapes {
    Scrapes(tokio::spawn(async move {
        let places = Arc::new(Semaphore::new(SCRAPE_PLACES));
        loop {
            let tcp = match listener.accept().await {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    tracing::warn!("accepting a connection to serve.metrics_address failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(place) = places.clone().try_acquire_owned() else { continue };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let _place = place;
                let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                    let answer = scrape(&metrics, request.method(), request.uri().path());
                    async move { Ok::<_, Infallible>(answer) }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(SCRAPE_TIMEOUT)
                    .keep_alive(false)
                    .max_buf_size(8 * 1024)
                    .serve_connection(TokioIo::new(tcp), service);
                let _ = tokio::time::timeout(SCRAPE_TIMEOUT, connection).await;
            });
        }
    }))
}

/// The answer to one request on the metrics listener: the metrics for `GET /metrics`, 404
/// for anything else.
fn scrape(metrics: &Metrics, method: &Method, path: &str) -> hyper::Response<Full<Bytes>> {
    let (status, content_type, body) = match (method == Method::GET && path == PATH, metrics.encode()) {
        (true, Some(text)) => (StatusCode::OK, CONTENT_TYPE, text),
        _ => (StatusCode::NOT_FOUND, "text/plain; charset=utf-8", format!("only GET {PATH} is answered here\n")),
    };
    let mut answer = hyper::Response::new(Full::new(Bytes::from(body)));
    *answer.status_mut() = status;
    answer.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of one sample line `name{labels} value` of Prometheus' text format.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn the_registry_encodes_every_metric_with_its_labels_and_units() {
        let metrics = Metrics::new(true);
        metrics.answered(route(REDEEM), StatusCode::OK, Duration::from_millis(60));
        metrics.answered(route(REDEEM), StatusCode::UNAUTHORIZED, Duration::from_millis(2));
        metrics.answered(route("/wp-admin"), StatusCode::NOT_FOUND, Duration::from_millis(1));
        metrics.redeemed(&Ok(Redemption::Rejected));
        metrics.redeemed(&Ok(Redemption::Locked { until: 0 }));
        metrics.refused(Refusal::PerAddress);
        metrics.refused(Refusal::PerAddress);
        if let Some(counts) = &metrics.counts {
            counts.argon2.observe(0.07);
        }
        let text = metrics.encode().unwrap();
        let at = |series: &str| sample(&text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"));
        assert_eq!(at(r#"helpdesk_serve_answers_total{route="/v1/backup-codes/redeem",status="200"}"#), 1.0);
        assert_eq!(at(r#"helpdesk_serve_answers_total{route="/v1/backup-codes/redeem",status="401"}"#), 1.0);
        assert_eq!(at(r#"helpdesk_serve_answers_total{route="other",status="404"}"#), 1.0);
        assert_eq!(at(r#"helpdesk_serve_redemptions_total{result="rejected"}"#), 2.0);
        assert_eq!(at(r#"helpdesk_serve_redemptions_total{result="accepted"}"#), 0.0);
        assert_eq!(at(r#"helpdesk_serve_connections_refused_total{reason="per_address"}"#), 2.0);
        assert_eq!(at(r#"helpdesk_serve_connections_refused_total{reason="silent"}"#), 0.0);
        assert_eq!(at(r#"helpdesk_serve_argon2_evaluation_seconds_bucket{le="0.05"}"#), 0.0);
        assert_eq!(at(r#"helpdesk_serve_argon2_evaluation_seconds_bucket{le="0.1"}"#), 1.0);
        assert_eq!(at(r#"helpdesk_serve_argon2_evaluation_seconds_count"#), 1.0);
        assert_eq!(at(r#"helpdesk_serve_answer_seconds_count{route="/v1/backup-codes/redeem"}"#), 2.0);
        assert!(text.contains("# TYPE helpdesk_serve_argon2_evaluation_seconds histogram\n"), "{text}");
        assert!(text.contains("# TYPE helpdesk_serve_connections_open gauge\n"), "{text}");
        // Gauges are read at the scrape from what the server holds.
        let admission = Admission::new(2, 3);
        let _held = admission.enter();
        let connections = Arc::new(Semaphore::new(10));
        let _open = connections.clone().try_acquire_many_owned(4).unwrap();
        assert!(metrics.read_from(admission, connections, 10));
        let text = metrics.encode().unwrap();
        let at = |series: &str| sample(&text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"));
        assert_eq!((at("helpdesk_serve_queue_places"), at("helpdesk_serve_queue_places_in_use")), (5.0, 1.0));
        assert_eq!((at("helpdesk_serve_connection_places"), at("helpdesk_serve_connections_open")), (10.0, 4.0));
        assert!(Metrics::new(false).encode().is_none());
    }

    #[test]
    fn only_get_metrics_is_answered() {
        let metrics = Metrics::new(true);
        assert_eq!(scrape(&metrics, &Method::GET, "/",).status(), StatusCode::NOT_FOUND);
        assert_eq!(scrape(&metrics, &Method::POST, PATH).status(), StatusCode::NOT_FOUND);
        let answer = scrape(&metrics, &Method::GET, PATH);
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()[header::CONTENT_TYPE], "text/plain; version=0.0.4; charset=utf-8");
        assert_eq!(scrape(&Metrics::new(false), &Method::GET, PATH).status(), StatusCode::NOT_FOUND);
    }
}
