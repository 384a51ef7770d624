//! docs/openapi.yaml is the contract the Digital Banking login is written against: every
//! operation and status it documents is produced here by the server's real router, on
//! every backend, and every body is checked against the documented schema (and the
//! documented examples against theirs). A route, a status or a field that is not
//! documented fails the test.

use crate::common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use common::{TestDb, login};
use helpdesk::desk::Limits;
use helpdesk::domain::audit::IdentityCheck;
use helpdesk::serve::api::{self, Api};
use helpdesk::serve::guard::{Admission, RefusalThrottle};
use serde_json::{Value, json};
use yaml_rust2::{Yaml, YamlLoader};

fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(r) => r.parse::<f64>().map(Value::from).unwrap_or(Value::Null),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::from(s.as_str()),
        Yaml::Boolean(b) => Value::from(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter().map(|(k, v)| (k.as_str().map_or_else(|| format!("{k:?}"), str::to_owned), to_json(v))).collect(),
        ),
        _ => Value::Null,
    }
}

fn contract() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.yaml")).unwrap();
    to_json(&YamlLoader::load_from_str(&text).expect("docs/openapi.yaml is YAML")[0])
}

/// Follows a local `$ref`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let target = r.strip_prefix("#").and_then(|p| doc.pointer(p)).unwrap_or_else(|| panic!("bad $ref {r}"));
            resolve(doc, target)
        }
        None => schema,
    }
}

/// The subset of JSON Schema the contract uses: type, const, enum, required,
/// properties, additionalProperties: false, oneOf.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let fits = options.iter().filter(|o| check(doc, o, value, at).is_ok()).count();
        return if fits == 1 { Ok(()) } else { Err(format!("{at}: {value} fits {fits} of oneOf")) };
    }
    if let Some(c) = schema.get("const")
        && c != value
    {
        return Err(format!("{at}: {value} is not {c}"));
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {options:?}"));
    }
    let fits = match schema.get("type").and_then(Value::as_str) {
        None => true,
        Some("object") => value.is_object(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("boolean") => value.is_boolean(),
        Some(other) => return Err(format!("{at}: the checker does not know type {other}")),
    };
    if !fits {
        return Err(format!("{at}: {value} is not of type {}", schema["type"]));
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}: {value} lacks the required {name}"));
            }
        }
        for (name, v) in object {
            match properties.get(name) {
                Some(s) => check(doc, s, v, &format!("{at}.{name}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: {name} is not in the contract"));
                }
                None => {}
            }
        }
    }
    Ok(())
}

struct Called {
    status: StatusCode,
    retry_after: Option<String>,
    body: Value,
}

async fn call(router: &axum::Router, method: Method, path: &str, token: Option<&str>, body: Body) -> Called {
    call_as(router, method, path, token, body, "application/json").await
}

async fn call_as(
    router: &axum::Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Body,
    content_type: &str,
) -> Called {
    let mut request = Request::builder().method(method).uri(path).header("content-type", content_type);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let mut request = request.body(body).unwrap();
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 40000))));
    let response = tower::Service::call(&mut router.clone(), request).await.unwrap();
    let status = response.status();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("{path}: {status} without a JSON body"));
    Called { status, retry_after, body }
}

fn router(db: &TestDb, places: usize, refusals: u64, body_timeout: Duration) -> axum::Router {
    let desk = Arc::new(db.desk(Limits::default()));
    api::router(Api::new(desk, Admission::new(places, 0), RefusalThrottle::new(refusals), body_timeout))
}

async fn every_documented_operation_and_status_is_what_the_server_does(db: TestDb) {
    let doc = contract();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..4]), Some("3.1."), "not OpenAPI 3.1");
    let desk = db.desk(Limits::default());
    let (admin, agent) = (login(&desk, "ada.admin").await, login(&desk, "alex.agent").await);
    let token = desk.create_serve_client(&admin, "openapi-check").await.unwrap().token;
    let amara = db.user("amara.okafor").await;
    let issued = desk.generate_codes(&agent, amara.id, IdentityCheck::InPersonPhotoId, None).await.unwrap();
    let good = json!({"username": "AMARA.OKAFOR ", "code": issued.codes[0].grouped().as_str()}).to_string();

    let served = router(&db, 2, 1, Duration::from_secs(5));
    let no_places = router(&db, 0, 10, Duration::from_secs(5));
    let slow_body = router(&db, 2, 10, Duration::from_millis(100));
    let redeem = api::REDEEM;
    let body = |b: &str| Body::from(b.to_owned());
    let example = doc.pointer("/paths/~1v1~1backup-codes~1redeem/post/requestBody/content/application~1json/example");
    let example = example.expect("the request's example").to_string();

    let mut seen: Vec<(String, String, Called)> = Vec::new();
    let mut note = |path: &str, method: &str, called: Called| seen.push((path.into(), method.into(), called));
    note(redeem, "post", call(&served, Method::POST, redeem, Some(&token), body(&good)).await);
    note(redeem, "post", call(&served, Method::POST, redeem, Some(&token), body(&example)).await);
    note(redeem, "post", call(&served, Method::POST, redeem, Some(&token), body(r#"{"username":"a","code":1}"#)).await);
    note(redeem, "post", call(&served, Method::POST, redeem, Some(&token), body(&"x".repeat(2000))).await);
    let plain = call_as(&served, Method::POST, redeem, Some(&token), body(&good), "text/plain").await;
    note(redeem, "post", plain);
    let never = Body::from_stream(futures_util::stream::pending::<Result<Bytes, std::io::Error>>());
    note(redeem, "post", call(&slow_body, Method::POST, redeem, Some(&token), never).await);
    note(redeem, "post", call(&no_places, Method::POST, redeem, Some(&token), body(&example)).await);
    // One refusal a minute is itemised, the next is the last itemised, then 429.
    for _ in 0..3 {
        note(redeem, "post", call(&served, Method::POST, redeem, Some("hds_wrong"), body(&example)).await);
    }
    note(api::HEALTH, "get", call(&served, Method::GET, api::HEALTH, None, Body::empty()).await);
    note(api::READY, "get", call(&served, Method::GET, api::READY, None, Body::empty()).await);
    // A schema newer than this program: not ready.
    let future = "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
                  VALUES (99990101000000, 'from a newer release', CURRENT_TIMESTAMP, TRUE, X'00', 0)";
    let future = if db.name == "postgres" { future.replace("X'00'", "'\\x00'::bytea") } else { future.to_owned() };
    db.raw_execute(&future).await.unwrap();
    // Readiness is read at most once a second: at once, the answer is the last read's...
    let at_once = call(&served, Method::GET, api::READY, None, Body::empty()).await;
    assert_eq!(at_once.status, StatusCode::OK, "{}: /v1/ready read the database again at once", db.name);
    // ...and a second later, the new schema's.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let anyone = call(&served, Method::GET, api::READY, None, Body::empty()).await;
    let reason = anyone.body["reason"].as_str().unwrap_or_default().to_owned();
    assert!(!reason.contains("version"), "{}: versions told without a token: {reason}", db.name);
    note(api::READY, "get", anyone);
    let caller = call(&served, Method::GET, api::READY, Some(&token), Body::empty()).await;
    let reason = caller.body["reason"].as_str().unwrap_or_default().to_owned();
    assert!(reason.contains("version"), "{}: a known caller is not told why: {reason}", db.name);

    // Every call's status is documented for its operation, with a body that fits.
    let mut produced = BTreeSet::new();
    for (path, method, called) in &seen {
        let pointer = format!("/paths/{}/{method}/responses/{}", path.replace('/', "~1"), called.status.as_u16());
        let response = doc.pointer(&pointer).unwrap_or_else(|| {
            panic!("{}: {method} {path} answered {} {}, which is not documented", db.name, called.status, called.body)
        });
        let schema = resolve(&doc, response).pointer("/content/application~1json/schema").expect("a JSON schema");
        check(&doc, schema, &called.body, &format!("{method} {path} {}", called.status)).unwrap();
        let documents_retry = response.pointer("/headers/Retry-After").is_some();
        assert_eq!(called.retry_after.is_some(), documents_retry, "{}: Retry-After on {pointer}", db.name);
        produced.insert((path.clone(), method.clone(), called.status.as_u16()));
    }
    assert_eq!(seen[0].2.body["result"], "accepted", "{}: the good code", db.name);
    assert_eq!(seen[1].2.body["result"], "rejected", "{}: the example code", db.name);

    // ...and every documented status was produced.
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                documented.insert((path.clone(), method.clone(), status.parse::<u16>().unwrap()));
                // The documented examples fit their own schemas.
                let content = &resolve(&doc, response)["content"]["application/json"];
                let examples = content.get("examples").and_then(Value::as_object).cloned().unwrap_or_default();
                let examples = examples.values().map(|e| e["value"].clone()).chain(content.get("example").cloned());
                for value in examples {
                    check(&doc, &content["schema"], &value, &format!("the example of {method} {path} {status}"))
                        .unwrap();
                }
            }
        }
    }
    assert_eq!(produced, documented, "{}: documented and produced differ", db.name);

    // No other route: an unknown path and a method the contract does not list.
    let unknown = call(&served, Method::GET, "/v1/users", None, Body::empty()).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    check(&doc, &json!({"$ref": "#/components/schemas/Error"}), &unknown.body, "404").unwrap();
    let wrong_method = call(&served, Method::GET, redeem, Some(&token), Body::empty()).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
}

on_each_backend!(every_documented_operation_and_status_is_what_the_server_does);
