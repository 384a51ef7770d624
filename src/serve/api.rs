//! The routes of `helpdesk serve` and their bodies: the contract `docs/openapi.yaml`
//! publishes (a test holds the two together).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::Value;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;
use zeroize::{Zeroize, Zeroizing};

use crate::desk::{HelpDesk, Redemption};
use crate::domain::serve_client::{self, ServeClient};
use crate::serve::error::{ApiError, During};
use crate::serve::guard::{Admission, ITEMISED_PER_MINUTE, RefusalThrottle, Refused};
use crate::serve::metrics::Metrics;

/// The largest request body read, in bytes; a longer one is answered 413.
pub const MAX_BODY: usize = 1024;
/// A code longer than this many bytes is not looked at: "rejected", after the same one
/// argon2 evaluation as any other answer (as `helpdesk verify-code` does).
pub const MAX_CODE_BYTES: usize = 256;
/// What a "busy" answer asks the caller to wait, in seconds.
pub const RETRY_AFTER_SECS: u64 = 1;

pub const REDEEM: &str = "/v1/backup-codes/redeem";
pub const HEALTH: &str = "/v1/health";
pub const READY: &str = "/v1/ready";

/// The trusted proxy a call came through (`serve.trusted_proxies`), if any: the audit
/// names it beside the caller its PROXY header named.
#[derive(Debug, Clone, Copy)]
pub struct ViaProxy(pub Option<std::net::IpAddr>);

/// What every handler shares.
#[derive(Clone)]
pub struct Api {
    pub desk: Arc<HelpDesk>,
    pub admission: Admission,
    pub refusals: Arc<RefusalThrottle>,
    /// The whole body must arrive within this (`serve.body_timeout_seconds`).
    pub body_timeout: Duration,
    /// The hashes of the tokens not revoked, read at most once a second, and when: a call
    /// bearing one is heard even from an address the throttle holds back (a login behind
    /// the same NAT as an attacker), on every instance, whatever the others' failures. It
    /// is still checked against the database, so a token revoked meanwhile is refused.
    active_tokens: Arc<tokio::sync::Mutex<Option<ActiveTokens>>>,
    /// The last readiness read and when: `/v1/ready` reads the database at most once a
    /// second, however often it is called, and by whom.
    readiness: Arc<tokio::sync::Mutex<Option<(Instant, Readiness)>>>,
    /// What is counted for `/metrics` (`metrics.rs`); off unless `with_metrics`.
    metrics: Metrics,
}

/// The hashes (`serve_client::token_hash`) of the tokens not revoked, and when they were read.
type ActiveTokens = (Instant, HashSet<[u8; 32]>);

/// What `/v1/ready` found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Readiness {
    Ready,
    /// The schema is not the one this program needs; the sentence names the versions.
    Schema(String),
    /// The database did not answer.
    Down,
}

/// How long a readiness read is answered from, at most.
const READINESS_FOR: Duration = Duration::from_secs(1);

impl Api {
    /// Whether a token with this hash belongs to a caller not revoked, from a read at most
    /// `READINESS_FOR` old (one database read a second, however many calls ask). A read
    /// that fails keeps the last set.
    async fn active(&self, hash: &[u8; 32]) -> bool {
        let mut cached = self.active_tokens.lock().await;
        let fresh = cached.as_ref().is_some_and(|(at, _)| at.elapsed() < READINESS_FOR);
        if !fresh {
            // A failed read is not tried again within the second either: the last set stands.
            match self.desk.active_serve_tokens().await {
                Ok(hashes) => *cached = Some((Instant::now(), hashes)),
                Err(e) => {
                    tracing::warn!("the active tokens could not be read: {e}");
                    let last = cached.take().map(|(_, hashes)| hashes).unwrap_or_default();
                    *cached = Some((Instant::now(), last));
                }
            }
        }
        cached.as_ref().is_some_and(|(_, hashes)| hashes.contains(hash))
    }
}

impl Api {
    pub fn new(desk: Arc<HelpDesk>, admission: Admission, refusals: RefusalThrottle, body_timeout: Duration) -> Self {
        Self {
            desk,
            admission,
            refusals: Arc::new(refusals),
            body_timeout,
            active_tokens: Arc::default(),
            readiness: Arc::default(),
            metrics: Metrics::new(false),
        }
    }

    /// Counts answers and redemptions into `metrics`.
    pub fn with_metrics(self, metrics: Metrics) -> Self {
        Self { metrics, ..self }
    }
}

/// The routes, with the body's read timeout and the request trace (at debug level).
pub fn router(api: Api) -> Router {
    let (body_timeout, metrics) = (api.body_timeout, api.metrics.clone());
    let router = Router::new()
        .route(REDEEM, post(redeem))
        .route(HEALTH, get(health))
        .route(READY, get(ready))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .layer(TraceLayer::new_for_http())
        .with_state(api);
    metrics.around(router)
}

/// The answer to a redemption: `accepted` with what the login must do next, or
/// `rejected` and nothing more (a lock, an unknown user, a malformed or wrong code all
/// read the same to the caller; the audit log tells them apart).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum RedeemAnswer {
    Accepted {
        /// Step 8 of the procedure: the user must now add an authenticator app.
        must_add_authenticator: bool,
        codes_left: i64,
    },
    Rejected,
}

async fn health() -> axum::Json<Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Ready or not, from a read at most a second old. Which versions disagree is said only
/// to a caller bearing a token not revoked (from the set read at most once a second);
/// anyone else learns only that the schema does not match.
async fn ready(State(api): State<Api>, headers: HeaderMap) -> Result<axum::Json<Value>, ApiError> {
    let readiness = {
        let mut cached = api.readiness.lock().await;
        match &*cached {
            Some((at, readiness)) if at.elapsed() < READINESS_FOR => readiness.clone(),
            _ => {
                let readiness = match api.desk.ready().await {
                    Ok(Ok(())) => Readiness::Ready,
                    Ok(Err(reason)) => Readiness::Schema(reason),
                    Err(error) => {
                        tracing::warn!("readiness: the database cannot be read: {error}");
                        Readiness::Down
                    }
                };
                *cached = Some((Instant::now(), readiness.clone()));
                readiness
            }
        }
    };
    match readiness {
        Readiness::Ready => Ok(axum::Json(serde_json::json!({ "status": "ready" }))),
        Readiness::Schema(reason) => {
            let presented =
                headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(serve_client::bearer);
            let known = match presented.map(serve_client::token_hash) {
                Some(hash) => api.active(&hash).await,
                None => false,
            };
            let reason = if known { reason } else { "the database schema does not match this program".into() };
            Err(ApiError::NotReady(reason))
        }
        Readiness::Down => Err(ApiError::NotReady("the database does not answer".into())),
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn redeem(
    State(api): State<Api>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    via: Option<axum::Extension<ViaProxy>>,
    headers: HeaderMap,
    mut body: Body,
) -> Result<axum::Json<RedeemAnswer>, ApiError> {
    // One deadline for the body, whether it is read or discarded after a refusal.
    let deadline = tokio::time::Instant::now() + api.body_timeout;
    let via = via.and_then(|axum::Extension(ViaProxy(proxy))| proxy);
    let answer = answer_redemption(&api, Caller { peer, via }, &headers, &mut body, deadline).await;
    if answer.is_err() {
        discard(&mut body, deadline).await;
    }
    answer
}

/// Who called: the address (the one a trusted proxy's header named, else the
/// connection's), and the proxy it came through.
#[derive(Debug, Clone, Copy)]
struct Caller {
    peer: SocketAddr,
    via: Option<std::net::IpAddr>,
}

impl Caller {
    /// How the audit names the caller: `203.0.113.7`, or `203.0.113.7 (via proxy 10.0.0.10)`.
    fn named(&self) -> String {
        match self.via {
            Some(proxy) => format!("{} (via proxy {proxy})", self.peer.ip()),
            None => self.peer.ip().to_string(),
        }
    }
}

/// The redemption's answer; a refusal may leave part of the body unread.
async fn answer_redemption(
    api: &Api,
    who: Caller,
    headers: &HeaderMap,
    body: &mut Body,
    deadline: tokio::time::Instant,
) -> Result<axum::Json<RedeemAnswer>, ApiError> {
    let client = caller(api, who, headers).await?;
    if !declared_json(headers.get(header::CONTENT_TYPE)) {
        return Err(ApiError::NotJson);
    }
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let (username, code) = parse(read_body(body, declared, deadline).await?)?;
    let place = api.admission.enter().ok_or(ApiError::QueueFull)?;
    let code = if code.len() > MAX_CODE_BYTES { Zeroizing::new(String::new()) } else { code };
    // The redemption runs to its end, audit event included, even when the caller hangs up
    // meanwhile (every call runs in a task of its own: `serve::Server::run`); it keeps its
    // place in the queue until then, so hanging up frees nothing.
    let redeemed = api.desk.redeem_via(Some(&client.name), &username, code).await;
    drop(place);
    api.metrics.redeemed(&redeemed);
    match redeemed {
        Ok(Redemption::Accepted { codes_left }) => {
            Ok(axum::Json(RedeemAnswer::Accepted { must_add_authenticator: true, codes_left }))
        }
        Ok(Redemption::Rejected | Redemption::Locked { .. }) => Ok(axum::Json(RedeemAnswer::Rejected)),
        Err(error) => Err(ApiError::Database { during: During::Redemption { client: client.name }, error }),
    }
}

/// How much of a refused call's body is still read (and dropped) before the answer.
const READ_PAST: usize = 64 * 1024;

/// The body, at most `MAX_BODY` bytes, all of it within `timeout` (the timeout layer
/// restarts its clock at every frame; this one covers the whole body). The bytes kept are
/// in one buffer that never grows (no copy of a code is left behind by a reallocation);
/// `parse` wipes it. A longer body is 413, the rest of it left to `discard`.
async fn read_body(body: &mut Body, declared: Option<u64>, deadline: tokio::time::Instant) -> Result<Bytes, ApiError> {
    use http_body_util::BodyExt;
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(ApiError::TooLarge);
    }
    let read = async {
        let mut kept = Vec::with_capacity(MAX_BODY);
        while let Some(frame) = body.frame().await {
            let Ok(mut data) = frame?.into_data() else { continue };
            let fits = kept.len() + data.len() <= MAX_BODY;
            if fits {
                kept.extend_from_slice(&data);
            }
            if let Ok(mut owned) = std::mem::take(&mut data).try_into_mut() {
                owned.zeroize();
            }
            if !fits {
                kept.zeroize();
                return Ok(None);
            }
        }
        Ok::<_, axum::Error>(Some(kept))
    };
    let kept = tokio::time::timeout_at(deadline, read)
        .await
        .unwrap_or_else(|_| Err(axum::Error::new("the body took longer than serve.body_timeout_seconds")))?;
    kept.map(Bytes::from).ok_or(ApiError::TooLarge)
}

/// Reads what is left of a refused call's body, up to `READ_PAST` bytes and within
/// `timeout`, and drops it, so that the answer goes out after the request's end: an HTTP/2
/// server that answers first resets the rest of the stream (RFC 9113 §8.1 allows it), and
/// some clients then lose the answer they had (curl 7.88: "error 92"). A longer or slower
/// body is answered anyway.
async fn discard(body: &mut Body, deadline: tokio::time::Instant) {
    use http_body_util::BodyExt;
    let read = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(mut data) = frame.into_data() {
                seen += data.len();
                if let Ok(mut owned) = std::mem::take(&mut data).try_into_mut() {
                    owned.zeroize();
                }
            }
            if seen > READ_PAST {
                return;
            }
        }
    };
    let _ = tokio::time::timeout_at(deadline, read).await;
}

/// The bearer token's owner, or the answer for a caller without one: 401 (audited with
/// the address), or 429 once the address has been refused too often this minute.
async fn caller(api: &Api, who: Caller, headers: &HeaderMap) -> Result<ServeClient, ApiError> {
    let address = who.peer.ip();
    let presented = headers.get(header::AUTHORIZATION).map(|v| v.to_str().ok().and_then(serve_client::bearer));
    let hash = presented.flatten().map(serve_client::token_hash);
    if let Some(retry_after) = api.refusals.waiting(address, Instant::now()) {
        // Held back, unless the token is one of a caller not revoked.
        let active = match &hash {
            Some(hash) => api.active(hash).await,
            None => false,
        };
        if !active {
            return Err(ApiError::Throttled { retry_after });
        }
    }
    let why = match (presented, hash) {
        (None, _) => "no Authorization header",
        (Some(_), None) => "an Authorization header that is not a bearer token",
        (Some(_), Some(hash)) => match api.desk.serve_caller(&hash).await {
            Ok(Some(client)) => return Ok(client),
            Ok(None) => "a bearer token that is unknown or revoked",
            Err(error) => return Err(ApiError::Database { during: During::CredentialCheck, error }),
        },
    };
    // Counted for every instance on the database (behind a load balancer the allowance is
    // the caller's), within this process's budget of such writes a minute; past it, or if
    // the database cannot, by this process alone.
    let shared = if api.refusals.may_share(Instant::now()) {
        match api.desk.count_serve_refusal(&crate::serve::guard::key(address).to_string()).await {
            Ok(counted) => Some(counted),
            Err(e) => {
                tracing::warn!("a refusal could not be counted in the database ({e}); counted by this process alone");
                None
            }
        }
    } else {
        None
    };
    let event = match api.refusals.refuse(address, Instant::now(), shared) {
        Refused::Itemise(_) => Some((why.to_owned(), 1)),
        Refused::LastItem(n) => Some((why.to_owned(), n)),
        Refused::BudgetSpent => Some((
            format!(
                "{why}; refused calls from every address passed {ITEMISED_PER_MINUTE} this minute: the rest of the minute's are not itemised"
            ),
            1,
        )),
        Refused::Uncounted => None,
        Refused::Throttled { retry_after } => return Err(ApiError::Throttled { retry_after }),
    };
    if let Some((why, count)) = event
        && let Err(e) = api.desk.record_refused_call(&who.named(), &why, count).await
    {
        tracing::error!("a refused call could not be audited: {e}");
    }
    tracing::warn!(%address, "serve call refused: {why}");
    Err(ApiError::Unauthorized)
}

/// Whether a Content-Type is `application/json`, with at most a `charset=utf-8`
/// parameter (RFC 8259 §11 defines no other; names and values compare without case).
fn declared_json(value: Option<&axum::http::HeaderValue>) -> bool {
    let Some(text) = value.and_then(|v| v.to_str().ok()) else { return false };
    let mut parts = text.split(';').map(str::trim);
    let media_ok = parts.next().is_some_and(|m| m.eq_ignore_ascii_case("application/json"));
    media_ok
        && parts.all(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            name.trim().eq_ignore_ascii_case("charset") && value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        })
}

/// An object's members in the order sent, duplicates kept (serde_json's `Map` keeps the
/// last of two equal keys, which would let `{"username":"x",…,"username":"y"}` through).
/// Every string it still holds when dropped is wiped, nested ones included, whatever path
/// the parse took (a syntax error after the code, a code inside an array, an unknown key).
struct Members(Vec<(String, Value)>);

impl Drop for Members {
    fn drop(&mut self) {
        for (key, value) in &mut self.0 {
            key.zeroize();
            wipe(value);
        }
    }
}

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                // Built in place: if a later member fails to parse, the ones read are wiped.
                let mut members = Members(Vec::new());
                while let Some(pair) = map.next_entry::<String, Value>()? {
                    members.0.push(pair);
                }
                Ok(members)
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// The request's two fields, each a string once, nothing else; the error names the field
/// at fault. The code goes into memory that is wiped, and so does the body it came in, and
/// every string of a refused body (`Members`). What the transport read it into (hyper's and
/// rustls's buffers) and serde_json's scratch space for escaped strings are not ours to wipe.
fn parse(bytes: Bytes) -> Result<(String, Zeroizing<String>), ApiError> {
    let bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
    let parsed = if bom { None } else { Some(serde_json::from_slice::<Members>(&bytes)) };
    if let Ok(mut owned) = bytes.try_into_mut() {
        owned.zeroize();
    }
    let mut members = match parsed {
        None => return Err(bad(None, "the body starts with a byte-order mark: send UTF-8 JSON without one".into())),
        Some(Ok(members)) => members,
        Some(Err(e)) if e.is_data() => {
            return Err(bad(None, "the body must be a JSON object with username and code".into()));
        }
        Some(Err(e)) => return Err(bad(None, format!("the body is not JSON: {e}"))),
    };
    let mut seen = std::collections::HashSet::new();
    if let Some(key) = members.0.iter().map(|(k, _)| k.as_str()).find(|k| !seen.insert(*k)).map(str::to_owned) {
        let field = ["username", "code"].into_iter().find(|f| *f == key);
        return Err(bad(
            field,
            format!("the key {:?} appears twice: send each key once", key.escape_debug().to_string()),
        ));
    }
    let mut take = |field: &'static str| match members.0.iter_mut().find(|(k, _)| k == field) {
        Some((_, value)) => match std::mem::take(value) {
            Value::String(text) => Ok(text),
            mut other => {
                let found = kind(&other);
                wipe(&mut other);
                Err(bad(Some(field), format!("{field} must be a string (found {found})")))
            }
        },
        None => Err(bad(Some(field), format!("{field} is missing"))),
    };
    // The code first: whatever is wrong later, it is already in memory that is wiped.
    let code = take("code").map(Zeroizing::new);
    let username = take("username")?;
    let code = code?;
    if let Some((extra, _)) = members.0.iter().find(|(k, _)| k != "code" && k != "username") {
        let message = format!("unknown field {:?}: only username and code are taken", extra.escape_debug().to_string());
        return Err(bad(None, message));
    }
    Ok((username, code))
}

/// Wipes every string a value holds, at any depth (an object's keys are left: only the
/// top level's keys are ours to name, and `Members` wipes those).
fn wipe(value: &mut Value) {
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(object) => object.values_mut().for_each(wipe),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn bad(field: Option<&'static str>, message: String) -> ApiError {
    ApiError::BadRequest { field, message }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two fields, or the field at fault and the sentence.
    fn fields(body: &str) -> Result<(String, String), (Option<&'static str>, String)> {
        match parse(Bytes::copy_from_slice(body.as_bytes())) {
            Ok((username, code)) => Ok((username, code.to_string())),
            Err(ApiError::BadRequest { field, message }) => Err((field, message)),
            Err(other) => panic!("a body's fault answered {other:?}"),
        }
    }

    #[test]
    fn the_body_has_two_strings_and_a_bad_one_is_named() {
        assert_eq!(fields(r#"{"username":"amara","code":"ABCD"}"#), Ok(("amara".into(), "ABCD".into())));
        assert_eq!(fields(r#"{"username":"amara"}"#).unwrap_err().0, Some("code"));
        assert_eq!(fields(r#"{"code":"x"}"#).unwrap_err().0, Some("username"));
        assert_eq!(fields(r#"{"username":5,"code":"x"}"#).unwrap_err().0, Some("username"));
        assert_eq!(fields(r#"{"username":"a","code":null}"#).unwrap_err().0, Some("code"));
        let extra = fields(r#"{"username":"a","code":"x","admin":true}"#).unwrap_err();
        assert!(extra.1.contains("admin"), "{extra:?}");
        assert!(fields("[1]").is_err());
        assert!(fields("username=a&code=b").unwrap_err().1.starts_with("the body is not JSON"));
    }

    #[test]
    fn a_duplicate_key_or_a_byte_order_mark_is_refused_with_its_reason() {
        let twice = fields(r#"{"username":"no.such.user","code":"AAAA-AAAA-AAAA","username":"amara.okafor"}"#);
        let (field, message) = twice.unwrap_err();
        assert_eq!(field, Some("username"));
        assert!(message.contains("twice"), "{message}");
        assert_eq!(fields(r#"{"username":"a","code":"x","code":"y"}"#).unwrap_err().0, Some("code"));
        let bom = fields("\u{feff}{\"username\":\"a\",\"code\":\"x\"}").unwrap_err();
        assert!(bom.1.contains("byte-order mark"), "{bom:?}");
    }

    #[test]
    fn only_json_is_declared_json() {
        use axum::http::HeaderValue;
        let declared = |v: &'static str| declared_json(Some(&HeaderValue::from_static(v)));
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
        ] {
            assert!(declared(ok), "{ok}");
        }
        for refused in [
            "text/plain",
            "application/json; charset=latin1",
            "application/jsonx",
            "application/x-www-form-urlencoded",
            "application/json; boundary=x",
        ] {
            assert!(!declared(refused), "{refused}");
        }
        assert!(!declared_json(None));
    }

    #[test]
    fn the_answers_read_as_the_contract_says() {
        let accepted = serde_json::to_value(RedeemAnswer::Accepted { must_add_authenticator: true, codes_left: 9 });
        assert_eq!(
            accepted.unwrap(),
            serde_json::json!({"result": "accepted", "must_add_authenticator": true, "codes_left": 9})
        );
        assert_eq!(serde_json::to_value(RedeemAnswer::Rejected).unwrap(), serde_json::json!({"result": "rejected"}));
    }
}
