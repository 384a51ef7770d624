//! Every answer of `helpdesk serve` that is not a success, each given its status, headers
//! and body in one place (`docs/openapi.yaml` documents each; a test holds them together).
//! A database error is logged here and never sent: the caller reads "busy" or "not ready".

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::desk::DeskError;
use crate::serve::api::{MAX_BODY, REDEEM, RETRY_AFTER_SECS};

/// What a "not ready" answer asks the caller to wait, in seconds.
const NOT_READY_RETRY_AFTER_SECS: u64 = 5;

/// A call that is not answered with success. Handlers return `Result<_, ApiError>`.
#[derive(Debug)]
pub enum ApiError {
    /// 401 with `WWW-Authenticate: Bearer`: no bearer token, or one that is unknown or revoked.
    Unauthorized,
    /// 400: the body is not an object of the two strings; `field` is the one at fault, when
    /// one is, and `message` says what is wrong.
    BadRequest { field: Option<&'static str>, message: String },
    /// 404: no such path.
    NotFound,
    /// 405: the path does not take that method.
    MethodNotAllowed,
    /// 408: the body did not arrive whole within `serve.body_timeout_seconds`.
    BodyUnread(axum::Error),
    /// 413: the body is longer than `MAX_BODY` bytes.
    TooLarge,
    /// The body is not declared `application/json` (415).
    NotJson,
    /// 429 with `Retry-After: retry_after` (seconds): this address was refused too often.
    Throttled { retry_after: u64 },
    /// 503 "busy" with `Retry-After: RETRY_AFTER_SECS`: every place in the queue is taken.
    QueueFull,
    /// 503 "not_ready" with `Retry-After: 5`: `reason` says why (a schema from another release).
    NotReady(String),
    /// The database failed `during` a call: logged, never sent; the caller reads the 503 that
    /// `during` calls for ("busy", or "not ready" for the readiness check).
    Database { during: During, error: DeskError },
}

/// What the server was doing when the database failed, which decides the answer.
#[derive(Debug)]
pub enum During {
    /// A redemption for this client: nothing was used.
    Redemption { client: String },
    /// Checking a bearer token.
    CredentialCheck,
    /// Reading the schema's version for `/v1/ready`.
    Readiness,
}

/// Every error answer's body but "not ready"'s: a short machine-readable `error`, a sentence
/// for the person reading the logs, and the request field at fault when there is one.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl From<axum::Error> for ApiError {
    /// A body that could not be read: too long (413), or too slow (408).
    fn from(e: axum::Error) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(err) = source {
            if err.is::<http_body_util::LengthLimitError>() {
                return Self::TooLarge;
            }
            source = err.source();
        }
        Self::BodyUnread(e)
    }
}

impl ApiError {
    /// The status of each answer, in one place.
    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BodyUnread(_) => StatusCode::REQUEST_TIMEOUT,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::QueueFull | Self::NotReady(_) | Self::Database { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The seconds a caller is asked to wait before calling again, where the answer says.
    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Throttled { retry_after } => Some(*retry_after),
            Self::QueueFull | Self::Database { during: During::Redemption { .. } | During::CredentialCheck, .. } => {
                Some(RETRY_AFTER_SECS)
            }
            Self::NotReady(_) | Self::Database { during: During::Readiness, .. } => Some(NOT_READY_RETRY_AFTER_SECS),
            Self::Unauthorized
            | Self::BadRequest { .. }
            | Self::NotFound
            | Self::MethodNotAllowed
            | Self::BodyUnread(_)
            | Self::TooLarge
            | Self::NotJson => None,
        }
    }

    /// The JSON body; a database error is logged here, and only a sentence without it is sent.
    fn body(self) -> Response {
        let (error, message, field) = match self {
            Self::Unauthorized => ("unauthorized", UNAUTHORIZED.to_owned(), None),
            Self::BadRequest { field, message } => ("bad_request", message, field),
            Self::NotFound => ("not_found", format!("no such path; the redemption is POST {REDEEM}"), None),
            Self::MethodNotAllowed => ("method_not_allowed", "this path does not take that method".into(), None),
            Self::BodyUnread(e) => ("body_unread", format!("the body could not be read in time: {e}"), None),
            Self::TooLarge => ("too_large", format!("the body is longer than {MAX_BODY} bytes"), None),
            Self::NotJson => (
                "unsupported_media_type",
                "the body must be declared Content-Type: application/json (charset=utf-8 may follow)".into(),
                None,
            ),
            Self::Throttled { .. } => ("too_many_refusals", THROTTLED.to_owned(), None),
            Self::QueueFull => ("busy", "every place in the redemption queue is taken; try again shortly".into(), None),
            Self::NotReady(reason) => return not_ready(reason),
            Self::Database { during: During::Redemption { client }, error } => {
                tracing::error!(%client, "a redemption failed: {error}");
                let message = "the redemption could not be completed (the database did not answer); nothing was used";
                ("busy", message.into(), None)
            }
            Self::Database { during: During::CredentialCheck, error } => {
                tracing::error!("the credential could not be checked: {error}");
                ("busy", "the credential could not be checked (the database did not answer)".into(), None)
            }
            Self::Database { during: During::Readiness, error } => {
                tracing::warn!("readiness: the database cannot be read: {error}");
                return not_ready("the database does not answer".into());
            }
        };
        axum::Json(ErrorBody { error, message, field }).into_response()
    }
}

const UNAUTHORIZED: &str = "a valid bearer token is needed (Authorization: Bearer hds_…); ask an admin for one with `helpdesk serve-clients create`";
const THROTTLED: &str = "too many calls with wrong credentials from this address; wait and use a valid token";

fn not_ready(reason: String) -> Response {
    axum::Json(serde_json::json!({ "status": "not_ready", "reason": reason })).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, retry_after) = (self.status(), self.retry_after());
        let challenge = matches!(self, Self::Unauthorized);
        let mut response = self.body();
        *response.status_mut() = status;
        if challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"helpdesk\""));
        }
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The status, the headers a caller reads and the body's bytes, as sent.
    async fn sent(error: ApiError) -> (u16, Vec<(String, String)>, String) {
        let response = error.into_response();
        let headers = response.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned())).collect();
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    fn json_with(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        headers.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        headers
    }

    #[tokio::test]
    async fn each_answer_has_its_status_headers_and_bytes() {
        let unauthorized = sent(ApiError::Unauthorized).await;
        assert_eq!(
            unauthorized,
            (
                401,
                json_with(&[("www-authenticate", "Bearer realm=\"helpdesk\"")]),
                r#"{"error":"unauthorized","message":"a valid bearer token is needed (Authorization: Bearer hds_…); ask an admin for one with `helpdesk serve-clients create`"}"#.to_owned()
            )
        );
        let bad = ApiError::BadRequest { field: Some("code"), message: "code is missing".into() };
        assert_eq!(
            sent(bad).await,
            (400, json_with(&[]), r#"{"error":"bad_request","message":"code is missing","field":"code"}"#.to_owned())
        );
        assert_eq!(
            sent(ApiError::NotFound).await,
            (
                404,
                json_with(&[]),
                r#"{"error":"not_found","message":"no such path; the redemption is POST /v1/backup-codes/redeem"}"#
                    .to_owned()
            )
        );
        assert_eq!(
            sent(ApiError::MethodNotAllowed).await,
            (
                405,
                json_with(&[]),
                r#"{"error":"method_not_allowed","message":"this path does not take that method"}"#.to_owned()
            )
        );
        assert_eq!(
            sent(ApiError::from(axum::Error::new("slow"))).await,
            (
                408,
                json_with(&[]),
                r#"{"error":"body_unread","message":"the body could not be read in time: slow"}"#.to_owned()
            )
        );
        assert_eq!(
            sent(ApiError::TooLarge).await,
            (413, json_with(&[]), r#"{"error":"too_large","message":"the body is longer than 1024 bytes"}"#.to_owned())
        );
        assert_eq!(
            sent(ApiError::Throttled { retry_after: 42 }).await,
            (
                429,
                json_with(&[("retry-after", "42")]),
                r#"{"error":"too_many_refusals","message":"too many calls with wrong credentials from this address; wait and use a valid token"}"#.to_owned()
            )
        );
        assert_eq!(
            sent(ApiError::QueueFull).await,
            (
                503,
                json_with(&[("retry-after", "1")]),
                r#"{"error":"busy","message":"every place in the redemption queue is taken; try again shortly"}"#
                    .to_owned()
            )
        );
        assert_eq!(
            sent(ApiError::NotReady("the schema is newer".into())).await,
            (
                503,
                json_with(&[("retry-after", "5")]),
                r#"{"reason":"the schema is newer","status":"not_ready"}"#.to_owned()
            )
        );
    }

    #[tokio::test]
    async fn a_database_error_is_never_sent() {
        let failed = |during| ApiError::Database { during, error: DeskError::BootstrapNeedsAdmin };
        let secret = DeskError::BootstrapNeedsAdmin.to_string();
        let redemption = sent(failed(During::Redemption { client: "login".into() })).await;
        assert_eq!(
            redemption,
            (
                503,
                json_with(&[("retry-after", "1")]),
                r#"{"error":"busy","message":"the redemption could not be completed (the database did not answer); nothing was used"}"#.to_owned()
            )
        );
        let credential = sent(failed(During::CredentialCheck)).await;
        assert_eq!(
            credential,
            (
                503,
                json_with(&[("retry-after", "1")]),
                r#"{"error":"busy","message":"the credential could not be checked (the database did not answer)"}"#
                    .to_owned()
            )
        );
        let readiness = sent(failed(During::Readiness)).await;
        assert_eq!(readiness, sent(ApiError::NotReady("the database does not answer".into())).await);
        for (_, _, body) in [redemption, credential, readiness] {
            assert!(!body.contains(&secret), "{body}");
        }
    }
}
