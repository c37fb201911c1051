//! One answer per submission (issue 10): an API client's `Idempotency-Key`
//! and the portal's one-time form token both come here. The key is claimed
//! in the database (`request_keys`, shared by every node) with the body's
//! fingerprint before anything is done; the answer is stored encrypted
//! (it carries the query code) once the act has committed. A resend with
//! the same key and the same body gets the stored answer and creates
//! nothing; the same key with another body is refused; a resend while the
//! first is still working waits for its answer.
//!
//! The one gap: a node that dies after the petition committed but before
//! the answer was stored leaves an unfinished claim; after `STALE` a resend
//! takes it over and acts again. Closing it would mean writing the answer
//! in the petition's own transaction (group commit), for a crash window of
//! milliseconds.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::Value;
use xinfang_store::Claim;

/// How long a key is remembered.
pub const KEY_LIFETIME: Duration = Duration::hours(24);
/// An unfinished claim older than this is taken to be from a dead node.
const STALE: Duration = Duration::minutes(2);
/// How long a resend waits for the first request's answer.
const WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// An answer: HTTP status and JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    /// True when this is the stored answer of an earlier request.
    pub replayed: bool,
}

/// An acceptable key: 16 to 255 visible ASCII characters (a UUID, or any
/// random string long enough not to be guessed: the answer holds a query
/// code).
pub fn valid_key(key: &str) -> bool {
    (16..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// A JSON value with every object's keys in order, so that the same body
/// written with keys in another order or other spacing is the same body.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> =
                keys.iter().map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&m[k.as_str()]))).collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

/// The fingerprint of a request body (a keyed hash of its canonical form).
pub fn fingerprint(state: &AppState, body: &Value) -> String {
    state.keyring.keyed_hash("request_body", &canonical(body))
}

/// The request's `Idempotency-Key`, if it sent one; 400 for a malformed one.
pub fn idempotency_key(headers: &axum::http::HeaderMap) -> ApiResult<Option<String>> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => match v.to_str().ok().map(str::trim).filter(|k| valid_key(k)) {
            Some(k) => Ok(Some(k.to_string())),
            None => Err(ApiError::bad_request("invalid_idempotency_key", "Idempotency-Key 须为16至255个可见ASCII字符（例如UUID）")),
        },
    }
}

/// An answer given once (or replayed, with `Idempotent-Replayed: true`).
pub fn answered(answer: Answer) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut r = (answer.status, axum::Json(answer.body)).into_response();
    if answer.replayed {
        r.headers_mut().insert("idempotent-replayed", axum::http::HeaderValue::from_static("true"));
    }
    r
}

/// Run `act` once for `key` in `scope` (who may use the key: a user, the
/// anonymous public, a form). `act` returns the answer to store; an error
/// releases the key, so a corrected body may be sent with it again.
pub async fn once<F, Fut>(state: &AppState, scope: &str, key: &str, fingerprint: &str, act: F) -> ApiResult<Answer>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiResult<(StatusCode, Value)>>,
{
    let key_hash = state.keyring.keyed_hash("request_key", key);
    let started = std::time::Instant::now();
    loop {
        let now = Utc::now();
        match state.store.claim_request_key(scope, &key_hash, fingerprint, now, now + KEY_LIFETIME, now - STALE).await? {
            Claim::Claimed => break,
            Claim::Done { fingerprint: f, .. } | Claim::InProgress { fingerprint: f } if f != fingerprint => {
                return Err(reused());
            }
            Claim::Done { status, response, .. } => {
                let body =
                    state.keyring.decrypt(&response).ok().and_then(|t| serde_json::from_str(&t).ok()).ok_or_else(ApiError::internal)?;
                let status = u16::try_from(status).ok().and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
                return Ok(Answer { status, body, replayed: true });
            }
            Claim::InProgress { .. } => {
                if started.elapsed() > WAIT {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "idempotency_key_in_progress",
                        "使用该 Idempotency-Key 的请求正在处理，请稍后以同一键重试",
                    ));
                }
                tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            }
        }
    }
    match act().await {
        Ok((status, body)) => {
            let sealed = state.keyring.encrypt(&body.to_string());
            if let Err(e) = state.store.finish_request_key(scope, &key_hash, i64::from(status.as_u16()), &sealed).await {
                // The act is done: answer it; a resend finds the claim
                // stale later (see the module note).
                tracing::error!(error = %e, "idempotency answer not stored");
            }
            Ok(Answer { status, body, replayed: false })
        }
        Err(e) => {
            if let Err(re) = state.store.release_request_key(scope, &key_hash).await {
                tracing::error!(error = %re, "idempotency key not released");
            }
            Err(e)
        }
    }
}

fn reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "该 Idempotency-Key 已用于内容不同的请求；新的请求请使用新的键",
    )
}
