//! The routes of `helpdesk serve` and their bodies: the contract `docs/openapi.yaml`
//! publishes (a test holds the two together).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Map, Value};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;
use zeroize::{Zeroize, Zeroizing};

use crate::desk::{HelpDesk, Redemption};
use crate::domain::serve_client::{self, ServeClient};
use crate::serve::guard::{Admission, ITEMISED_PER_MINUTE, RefusalThrottle, Refused};

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

/// What every handler shares.
#[derive(Clone)]
pub struct Api {
    pub desk: Arc<HelpDesk>,
    pub admission: Admission,
    pub refusals: Arc<RefusalThrottle>,
    /// The whole body must arrive within this (`serve.body_timeout_seconds`).
    pub body_timeout: Duration,
    /// Hashes of tokens that were valid: a call bearing one is heard even from an address
    /// the throttle holds back (a login behind the same NAT as an attacker), and is still
    /// checked against the database, so a revoked one is refused.
    pub known_tokens: Arc<std::sync::Mutex<std::collections::HashSet<[u8; 32]>>>,
}

/// Known-good token hashes kept at most; the set starts again when full.
const KNOWN_TOKENS: usize = 1_000;

impl Api {
    pub fn new(desk: Arc<HelpDesk>, admission: Admission, refusals: RefusalThrottle, body_timeout: Duration) -> Self {
        Self { desk, admission, refusals: Arc::new(refusals), body_timeout, known_tokens: Arc::default() }
    }
}

/// The routes, with the body's read timeout and the request trace (at debug level).
pub fn router(api: Api) -> Router {
    let body_timeout = api.body_timeout;
    Router::new()
        .route(REDEEM, post(redeem))
        .route(HEALTH, get(health))
        .route(READY, get(ready))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .layer(TraceLayer::new_for_http())
        .with_state(api)
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

/// Every answer that is not a redemption's: a short machine-readable `error`, a sentence
/// for the person reading the logs, and the request field at fault when there is one.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

fn error(status: StatusCode, error: &'static str, message: impl Into<String>, field: Option<&'static str>) -> Response {
    (status, axum::Json(ErrorBody { error, message: message.into(), field })).into_response()
}

fn with_retry_after(mut response: Response, secs: u64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn busy(message: &str) -> Response {
    with_retry_after(error(StatusCode::SERVICE_UNAVAILABLE, "busy", message, None), RETRY_AFTER_SECS)
}

async fn health() -> Response {
    axum::Json(serde_json::json!({ "status": "ok" })).into_response()
}

async fn ready(State(api): State<Api>) -> Response {
    match api.desk.ready().await {
        Ok(Ok(())) => axum::Json(serde_json::json!({ "status": "ready" })).into_response(),
        Ok(Err(reason)) => not_ready(reason),
        Err(e) => {
            tracing::warn!("readiness: the database cannot be read: {e}");
            not_ready("the database does not answer".into())
        }
    }
}

fn not_ready(reason: String) -> Response {
    let body = serde_json::json!({ "status": "not_ready", "reason": reason });
    with_retry_after((StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response(), 5)
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", format!("no such path; the redemption is POST {REDEEM}"), None)
}

async fn method_not_allowed() -> Response {
    error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this path does not take that method", None)
}

async fn redeem(
    State(api): State<Api>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let client = match caller(&api, peer, &headers).await {
        Ok(client) => client,
        Err(refused) => return refused,
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large();
    }
    // The timeout layer restarts its clock at every frame; this one covers the whole body.
    let bytes = match tokio::time::timeout(api.body_timeout, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => return unread(e),
        Err(_) => return unread(axum::Error::new("the body took longer than serve.body_timeout_seconds")),
    };
    let (username, code) = match parse(bytes) {
        Ok(fields) => fields,
        Err((field, message)) => return error(StatusCode::BAD_REQUEST, "bad_request", message, field),
    };
    let Some(place) = api.admission.enter() else {
        return busy("every place in the redemption queue is taken; try again shortly");
    };
    let code = if code.len() > MAX_CODE_BYTES { Zeroizing::new(String::new()) } else { code };
    // The redemption runs to its end, audit event included, even when the caller hangs up
    // meanwhile; it keeps its place in the queue until then, so hanging up frees nothing.
    let (desk, name) = (api.desk.clone(), client.name.clone());
    let redeemed = tokio::spawn(async move {
        let _place = place;
        desk.redeem_via(Some(&name), &username, code).await
    });
    let redeemed = redeemed.await.unwrap_or_else(|e| Err(crate::desk::DeskError::Internal(e)));
    match redeemed {
        Ok(Redemption::Accepted { codes_left }) => {
            axum::Json(RedeemAnswer::Accepted { must_add_authenticator: true, codes_left }).into_response()
        }
        Ok(Redemption::Rejected | Redemption::Locked { .. }) => axum::Json(RedeemAnswer::Rejected).into_response(),
        Err(e) => {
            tracing::error!(client = %client.name, "a redemption failed: {e}");
            busy("the redemption could not be completed (the database did not answer); nothing was used")
        }
    }
}

fn too_large() -> Response {
    error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("the body is longer than {MAX_BODY} bytes"), None)
}

/// A body that could not be read: too long, or too slow (the body timeout).
fn unread(e: axum::Error) -> Response {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return too_large();
        }
        source = err.source();
    }
    error(StatusCode::REQUEST_TIMEOUT, "body_unread", format!("the body could not be read in time: {e}"), None)
}

/// The bearer token's owner, or the answer for a caller without one: 401 (audited with
/// the address), or 429 once the address has been refused too often this minute.
async fn caller(api: &Api, peer: SocketAddr, headers: &HeaderMap) -> Result<ServeClient, Response> {
    let address = peer.ip();
    let presented = headers.get(header::AUTHORIZATION).map(|v| v.to_str().ok().and_then(serve_client::bearer));
    let hash = presented.flatten().map(serve_client::token_hash);
    let known = hash.is_some_and(|h| api.known_tokens.lock().unwrap_or_else(|e| e.into_inner()).contains(&h));
    if !known && let Some(retry_after) = api.refusals.waiting(address, Instant::now()) {
        return Err(throttled(retry_after));
    }
    let why = match (presented, hash) {
        (None, _) => "no Authorization header",
        (Some(_), None) => "an Authorization header that is not a bearer token",
        (Some(_), Some(hash)) => match api.desk.serve_caller(&hash).await {
            Ok(Some(client)) => {
                let mut known = api.known_tokens.lock().unwrap_or_else(|e| e.into_inner());
                if known.len() >= KNOWN_TOKENS {
                    known.clear();
                }
                known.insert(hash);
                return Ok(client);
            }
            Ok(None) => "a bearer token that is unknown or revoked",
            Err(e) => {
                tracing::error!("the credential could not be checked: {e}");
                return Err(busy("the credential could not be checked (the database did not answer)"));
            }
        },
    };
    let event = match api.refusals.refuse(address, Instant::now()) {
        Refused::Itemise(_) => Some((why.to_owned(), 1)),
        Refused::LastItem(n) => Some((why.to_owned(), n)),
        Refused::BudgetSpent => Some((
            format!(
                "{why}; refused calls from every address passed {ITEMISED_PER_MINUTE} this minute: the rest of the minute's are not itemised"
            ),
            1,
        )),
        Refused::Uncounted => None,
        Refused::Throttled { retry_after } => return Err(throttled(retry_after)),
    };
    if let Some((why, count)) = event
        && let Err(e) = api.desk.record_refused_call(&address.to_string(), &why, count).await
    {
        tracing::error!("a refused call could not be audited: {e}");
    }
    tracing::warn!(%address, "serve call refused: {why}");
    let mut response = error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "a valid bearer token is needed (Authorization: Bearer hds_…); ask an admin for one with `helpdesk serve-clients create`",
        None,
    );
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"helpdesk\""));
    Err(response)
}

fn throttled(retry_after: u64) -> Response {
    with_retry_after(
        error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_refusals",
            "too many calls with wrong credentials from this address; wait and use a valid token",
            None,
        ),
        retry_after,
    )
}

/// What is wrong with a body: the field at fault, when one is, and a sentence.
type BadBody = (Option<&'static str>, String);

/// The request's two fields, each a string, nothing else; the error names the field at
/// fault. The code goes into memory that is wiped, and so does the body it came in.
fn parse(bytes: Bytes) -> Result<(String, Zeroizing<String>), BadBody> {
    let parsed = serde_json::from_slice::<Value>(&bytes);
    if let Ok(mut owned) = bytes.try_into_mut() {
        owned.zeroize();
    }
    let mut object: Map<String, Value> = match parsed {
        Ok(Value::Object(object)) => object,
        Ok(_) => return Err((None, "the body must be a JSON object with username and code".into())),
        Err(e) => return Err((None, format!("the body is not JSON: {e}"))),
    };
    let mut take = |field: &'static str| match object.remove(field) {
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err((Some(field), format!("{field} must be a string (found {})", kind(&other)))),
        None => Err((Some(field), format!("{field} is missing"))),
    };
    // The code first: whatever is wrong later, it is already in memory that is wiped.
    let code = take("code").map(Zeroizing::new);
    let username = take("username")?;
    let code = code?;
    if let Some(extra) = object.keys().next() {
        let message = format!("unknown field {:?}: only username and code are taken", extra.escape_debug().to_string());
        return Err((None, message));
    }
    Ok((username, code))
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

    fn fields(body: &str) -> Result<(String, String), BadBody> {
        parse(Bytes::copy_from_slice(body.as_bytes())).map(|(u, c)| (u, c.to_string()))
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
    fn the_answers_read_as_the_contract_says() {
        let accepted = serde_json::to_value(RedeemAnswer::Accepted { must_add_authenticator: true, codes_left: 9 });
        assert_eq!(
            accepted.unwrap(),
            serde_json::json!({"result": "accepted", "must_add_authenticator": true, "codes_left": 9})
        );
        assert_eq!(serde_json::to_value(RedeemAnswer::Rejected).unwrap(), serde_json::json!({"result": "rejected"}));
    }
}
