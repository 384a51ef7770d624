//! `helpdesk serve`: the HTTPS redemption service the Digital Banking login calls (step 6
//! of the procedure). TLS through rustls, HTTP/1.1 or HTTP/2 as ALPN chooses, the routes
//! of `api.rs`, the bounds of `guard.rs`; on SIGTERM it stops accepting, lets the calls in
//! flight finish (bounded by `serve.drain_seconds`) and returns.
//!
//! How the staff's work keeps ahead of redemptions: each redemption is one argon2
//! evaluation, run one a core (`desk::blocking`) behind a bounded queue, so the server never
//! holds more than `cores + serve.queue` redemptions and answers the rest 503 at once. The
//! process runs at a lower CPU priority (`serve.nice`, set before any thread starts, so
//! every thread inherits it): on a host shared with agents' sessions the kernel gives
//! their sign-ins and generations the cores first. Its database pool is
//! `database.max_connections`, so it cannot take PostgreSQL's connections from the desks.

pub mod api;
pub mod error;
pub mod guard;
pub mod metrics;
pub mod proxy;

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

use crate::config::ServeConfig;
use crate::desk::HelpDesk;

/// Why the server could not start; the message names the configuration key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("`{key}` {problem}")]
    Config { key: &'static str, problem: String },
    #[error("cannot listen on {address} (serve.address): {source}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen on {address} (serve.metrics_address; \"off\" serves no metrics): {source}")]
    MetricsListen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// The TLS configuration from the PEM files `serve.certificate` and `serve.private_key`:
/// TLS 1.2 and 1.3 with rustls's safe defaults, ALPN offering h2 and http/1.1.
pub fn tls_config(certificate: Option<&Path>, private_key: Option<&Path>) -> Result<Arc<ServerConfig>, ServeError> {
    let missing = |key| ServeError::Config {
        key,
        problem: "is not set: `helpdesk serve` only speaks HTTPS; name a PEM file (see docs/redemption-api.md)".into(),
    };
    let certificate = certificate.ok_or_else(|| missing("serve.certificate"))?;
    let private_key = private_key.ok_or_else(|| missing("serve.private_key"))?;
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(certificate).and_then(Iterator::collect).map_err(|e| ServeError::Config {
            key: "serve.certificate",
            problem: format!("cannot be read from {}: {e}", certificate.display()),
        })?;
    if chain.is_empty() {
        return Err(ServeError::Config {
            key: "serve.certificate",
            problem: format!("{} holds no PEM certificate", certificate.display()),
        });
    }
    let key = PrivateKeyDer::from_pem_file(private_key).map_err(|e| ServeError::Config {
        key: "serve.private_key",
        problem: format!("cannot be read from {}: {e}", private_key.display()),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| ServeError::Config {
            key: "serve.private_key",
            problem: format!("does not go with the certificate, or is refused: {e}"),
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A bound server, not yet serving: `address` is where it listens (port 0 in the
/// configuration is given a free port).
pub struct Server {
    listener: TcpListener,
    tls: TlsAcceptor,
    settings: ServeConfig,
    desk: Arc<HelpDesk>,
    /// Where `/metrics` is answered (`metrics.rs`); `None` when it is off.
    scrapes: Option<TcpListener>,
}

impl Server {
    pub async fn bind(desk: Arc<HelpDesk>, settings: ServeConfig) -> Result<Self, ServeError> {
        let tls = TlsAcceptor::from(tls_config(settings.certificate.as_deref(), settings.private_key.as_deref())?);
        let listener = TcpListener::bind(settings.address)
            .await
            .map_err(|source| ServeError::Listen { address: settings.address, source })?;
        let scrapes = metrics::bind(settings.metrics_address).await?;
        Ok(Self { listener, tls, settings, desk, scrapes })
    }

    pub fn address(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where `/metrics` is answered; `None` when `serve.metrics_address` is off.
    pub fn metrics_address(&self) -> Option<std::io::Result<SocketAddr>> {
        self.scrapes.as_ref().map(TcpListener::local_addr)
    }

    /// Serves until `shutdown` completes, then stops accepting and waits up to
    /// `serve.drain_seconds` for the connections to close and every call to finish, the
    /// calls whose callers hung up included. Returns what was left when the wait ended.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Drained {
        let s = &self.settings;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (metrics, admission) =
            (metrics::Metrics::new(self.scrapes.is_some()), guard::Admission::new(cores, s.queue));
        let api = api::Api::new(
            self.desk.clone(),
            admission.clone(),
            guard::RefusalThrottle::new(s.refusals_per_minute),
            Duration::from_secs(s.body_timeout_secs),
        )
        .with_metrics(metrics.clone());
        let router = api::router(api);
        let header_timeout = Duration::from_secs(s.header_timeout_secs);
        let idle = Duration::from_secs(s.idle_secs);
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // Small buffers and windows: a request is at most a kilobyte, and 512 connections
        // must not be able to hold hundreds of megabytes.
        // hyper's header clock also runs while a kept-alive HTTP/1.1 connection waits for its
        // next request, so it is the longer of the two: the first request's deadline is
        // `Activity::silent`'s, the wait between requests is `serve.idle_seconds`.
        let keep_alive = header_timeout.max(idle);
        builder.http1().timer(TokioTimer::new()).header_read_timeout(keep_alive).max_buf_size(16 * 1024);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(64)
            .max_header_list_size(16 * 1024)
            .initial_stream_window_size(64 * 1024)
            .initial_connection_window_size(256 * 1024)
            .keep_alive_interval(Some(KEEP_ALIVE))
            .keep_alive_timeout(KEEP_ALIVE / 2)
            // A client that opens streams and resets them at once ("rapid reset") is cut
            // off: each reset call would still run to its end in its own task.
            .max_pending_accept_reset_streams(20)
            .max_local_error_reset_streams(64);
        let connections = Arc::new(Semaphore::new(s.max_connections));
        metrics.watch(&self.desk, admission, connections.clone(), s.max_connections);
        let _scrapes = self.scrapes.map(|listener| metrics::serve(listener, metrics.clone()));
        let per_address = guard::PerAddress::new(s.max_per_address);
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let handlers = Running::new(s.max_connections);
        let drain = Duration::from_secs(s.drain_secs);
        tokio::pin!(shutdown);
        loop {
            let (tcp, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::warn!("accepting a connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let Ok(place) = connections.clone().try_acquire_owned() else {
                metrics.refused(metrics::Refusal::MaxConnections);
                continue;
            };
            // A trusted proxy's connection is counted against the caller its header names,
            // once read; any other against its own address, at once.
            let proxied = s.trusted_proxies.contains(peer.ip());
            let direct_place = if proxied {
                None
            } else {
                let Some(address_place) = per_address.enter(peer.ip()) else {
                    metrics.refused(metrics::Refusal::PerAddress);
                    continue;
                };
                Some(address_place)
            };
            let (tls, router, builder, mut stopping, per_address, handlers, metrics) = (
                self.tls.clone(),
                router.clone(),
                builder.clone(),
                stopping.clone(),
                per_address.clone(),
                handlers.clone(),
                metrics.clone(),
            );
            tokio::spawn(async move {
                let proxy = peer;
                let mut tcp = tcp;
                // The PROXY header and the TLS handshake share the header timeout.
                let deadline = tokio::time::Instant::now() + header_timeout;
                let (peer, address_place, via) = match direct_place {
                    Some(address_place) => (peer, address_place, None),
                    None => {
                        let peer = match tokio::time::timeout_at(deadline, proxy::read_header(&mut tcp)).await {
                            Ok(Ok(caller)) => caller.unwrap_or(proxy),
                            Ok(Err(e)) => {
                                metrics.refused(metrics::Refusal::ProxyHeader);
                                return tracing::warn!(%proxy, "connection closed: {e}");
                            }
                            Err(_) => return metrics.refused(metrics::Refusal::ProxyHeader),
                        };
                        let Some(address_place) = per_address.enter(peer.ip()) else {
                            return metrics.refused(metrics::Refusal::PerAddress);
                        };
                        (peer, address_place, Some(proxy.ip()))
                    }
                };
                let _place = (place, address_place);
                let stream = match tokio::time::timeout_at(deadline, tls.accept(tcp)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(e)) => {
                        metrics.refused(metrics::Refusal::TlsHandshakeFailed);
                        return tracing::debug!(%peer, "TLS handshake failed: {e}");
                    }
                    Err(_) => return metrics.refused(metrics::Refusal::TlsHandshakeTimedOut),
                };
                // The protocol is the one TLS agreed on (ALPN): nothing is read to guess it,
                // so the header timeout covers a client's first bytes too.
                let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
                let builder = if h2 { builder.http2_only() } else { builder.http1_only() };
                let activity = Arc::new(Activity::new());
                let calls = activity.clone();
                let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                    request.extensions_mut().insert(api::ViaProxy(via));
                    let mut router = router.clone();
                    let in_flight = calls.begin();
                    // Calls outlive their callers, so they are bounded apart from the
                    // connections: past `serve.max_connections` running, 503 at once.
                    let Some(running) = handlers.begin() else {
                        drop(in_flight);
                        let busy = axum::response::IntoResponse::into_response(error::ApiError::QueueFull);
                        return futures_util::future::Either::Left(std::future::ready(Ok(busy)));
                    };
                    // Each call runs in a task of its own, to its end: a caller that hangs up
                    // drops only the wait for the answer, never a database transaction or an
                    // audit event half-way (sqlx can hand back a connection still inside a
                    // transaction when a future is dropped during BEGIN).
                    let call = tokio::spawn(async move {
                        let _running = running;
                        tower::Service::call(&mut router, request).await
                    });
                    futures_util::future::Either::Right(async move {
                        let _in_flight = in_flight;
                        match call.await {
                            Ok(answer) => answer,
                            // Only a panic gets here: logged with the error's answer, 503.
                            Err(e) => Ok(axum::response::IntoResponse::into_response(error::ApiError::Database {
                                during: error::During::CredentialCheck,
                                error: crate::desk::DeskError::Internal(e),
                            })),
                        }
                    })
                });
                let connection = builder.serve_connection(TokioIo::new(stream), service);
                tokio::pin!(connection);
                let aged = tokio::time::sleep(MAX_AGE);
                tokio::pin!(aged);
                // A connection ends by itself, or is asked to finish what it has in flight
                // and close: at shutdown, or once it is MAX_AGE old.
                let ended = tokio::select! {
                    ended = connection.as_mut() => ended,
                    () = async { drop(stopping.wait_for(|stop| *stop).await) } => {
                        connection.as_mut().graceful_shutdown();
                        finish(connection, drain).await
                    }
                    () = &mut aged => {
                        connection.as_mut().graceful_shutdown();
                        finish(connection, drain).await
                    }
                    // Nothing asked within the header timeout of the handshake (an HTTP/2
                    // client that never sends its preface or a request): closed at once.
                    // Later, no call in flight for serve.idle_seconds: asked to close.
                    silent = activity.silent(header_timeout, idle) => {
                        if silent == Silence::NeverSpoke {
                            return metrics.refused(metrics::Refusal::Silent);
                        }
                        connection.as_mut().graceful_shutdown();
                        finish(connection, drain).await
                    }
                };
                if let Err(e) = ended {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
            });
        }
        drop(self.listener);
        let open = s.max_connections - connections.available_permits();
        tracing::info!(open, "stopped accepting; draining the calls in flight");
        let _ = stop.send(true);
        // Both within the one drain: the connections to close, and the calls to finish
        // (a call whose caller hung up is still writing its outcome and its audit event).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(s.drain_secs);
        let all = u32::try_from(s.max_connections).unwrap_or(u32::MAX);
        let closed = tokio::time::timeout_at(deadline, connections.acquire_many(all)).await.is_ok();
        let finished = tokio::time::timeout_at(deadline, handlers.none()).await.is_ok();
        let open = if closed { 0 } else { s.max_connections - connections.available_permits() };
        Drained { open_connections: open, unfinished_calls: if finished { 0 } else { handlers.count() } }
    }
}

/// A connection asked to close gets `within` to finish what it has in flight (a client
/// that never opens its flow-control window would hold it for ever); then it is dropped.
async fn finish<C, E>(connection: std::pin::Pin<&mut C>, within: Duration) -> Result<(), E>
where
    C: Future<Output = Result<(), E>>,
{
    tokio::time::timeout(within, connection).await.unwrap_or(Ok(()))
}

/// What a drain left behind when `serve.drain_seconds` ran out (both 0: a clean drain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub open_connections: usize,
    /// Calls still running, their callers answered or gone: redemptions still hashing or
    /// writing their outcome.
    pub unfinished_calls: usize,
}

/// The calls running in their own tasks, counted so that the drain can wait for them.
#[derive(Clone)]
struct Running {
    count: Arc<tokio::sync::watch::Sender<usize>>,
    max: usize,
}

/// One running call; it stops counting when dropped.
struct RunningCall(Arc<tokio::sync::watch::Sender<usize>>);

impl Drop for RunningCall {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl Running {
    fn new(max: usize) -> Self {
        Self { count: Arc::new(tokio::sync::watch::Sender::new(0)), max }
    }

    /// One more running call; `None` when `max` are running.
    fn begin(&self) -> Option<RunningCall> {
        let mut started = false;
        self.count.send_if_modified(|n| {
            started = *n < self.max;
            *n += usize::from(started);
            started
        });
        started.then(|| RunningCall(self.count.clone()))
    }

    fn count(&self) -> usize {
        *self.count.borrow()
    }

    /// Completes when no call is running.
    async fn none(&self) {
        let mut watching = self.count.subscribe();
        let _ = watching.wait_for(|n| *n == 0).await;
    }
}

/// How often an idle HTTP/2 connection is pinged; an unanswered ping closes it.
const KEEP_ALIVE: Duration = Duration::from_secs(30);
/// The longest a connection lives: then it finishes what is in flight and closes, and the
/// client opens another. No client holds a place for ever.
const MAX_AGE: Duration = Duration::from_secs(300);

/// What a connection has asked, for the deadlines of silent connections.
struct Activity {
    in_flight: std::sync::atomic::AtomicUsize,
    asked: std::sync::atomic::AtomicBool,
    last: std::sync::Mutex<tokio::time::Instant>,
}

/// Why a connection is closed for saying nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Silence {
    /// No request since the handshake, within the header timeout.
    NeverSpoke,
    /// No call in flight for the idle time.
    Idle,
}

/// A call in flight; it counts until dropped (answered, or abandoned by the client).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.last.lock().unwrap_or_else(|e| e.into_inner()) = tokio::time::Instant::now();
        self.0.in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Activity {
    fn new() -> Self {
        Self {
            in_flight: Default::default(),
            asked: Default::default(),
            last: std::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.asked.store(true, std::sync::atomic::Ordering::SeqCst);
        self.in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InFlight(self.clone())
    }

    /// Completes once the connection has been silent too long: nothing asked within
    /// `first` of the start, or no call in flight for `idle`. Looks twice a second.
    async fn silent(&self, first: Duration, idle: Duration) -> Silence {
        let started = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let asked = self.asked.load(std::sync::atomic::Ordering::SeqCst);
            if !asked && started.elapsed() >= first {
                return Silence::NeverSpoke;
            }
            let quiet = *self.last.lock().unwrap_or_else(|e| e.into_inner());
            if asked && self.in_flight.load(std::sync::atomic::Ordering::SeqCst) == 0 && quiet.elapsed() >= idle {
                return Silence::Idle;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn running_calls_are_bounded_and_the_drain_sees_them_end() {
        let running = Running::new(2);
        let (a, b) = (running.begin().expect("a place"), running.begin().expect("a place"));
        assert!(running.begin().is_none(), "a third call ran past the bound");
        assert_eq!(running.count(), 2);
        drop(a);
        let c = running.begin().expect("a place given back");
        let none = tokio::spawn({
            let running = running.clone();
            async move { running.none().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!none.is_finished(), "the drain ended with calls running");
        drop((b, c));
        tokio::time::timeout(Duration::from_secs(1), none).await.expect("the drain saw them end").unwrap();
    }
}
