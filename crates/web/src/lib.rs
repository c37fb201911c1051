//! The HTTP front of xinfang: JSON API, OpenAPI document and Open311.

pub mod acting;
pub mod api;
pub mod attachments;
pub mod auth;
pub mod calendar_sync;
pub mod dto;
pub mod error;
pub mod extract;
pub mod intake;
pub mod open311;
pub mod openapi;
pub mod ratelimit;
pub mod state;
pub mod views;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
pub use state::{AppState, Settings};
use utoipa::OpenApi;

/// Largest request body for a petition with attachments (base64 inside JSON).
pub const MAX_BODY_BYTES: usize = 24 * 1024 * 1024;
/// Largest request body anywhere else.
pub const MAX_SMALL_BODY_BYTES: usize = 256 * 1024;

pub fn router(state: AppState) -> Router {
    router_with(state, None)
}

/// The API plus other routes on the same state (the pages), which then
/// own the fallback; every request passes the same layers.
pub fn router_with(state: AppState, pages: Option<Router<AppState>>) -> Router {
    let api = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/openapi.json", get(openapi_json))
        .merge(api::routes())
        .merge(open311::routes());
    let all = match pages {
        Some(p) => api.merge(p),
        None => api.fallback(not_found),
    };
    all.layer(axum::middleware::from_fn_with_state(state.clone(), ratelimit::limit))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(DefaultBodyLimit::max(MAX_SMALL_BODY_BYTES))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Readiness: the database takes a real write now (a full disk or a
/// read-only file answers 503 while it lasts). `/healthz` stays liveness.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.write_probe().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "readiness: database not writable");
            (StatusCode::SERVICE_UNAVAILABLE, "database not writable").into_response()
        }
    }
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi::ApiDoc::openapi())
}

/// The JSON 404 of the API.
pub async fn not_found() -> error::ApiError {
    error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "请求的地址不存在")
}

/// Headers that keep browsers from sniffing or framing API responses.
async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::{HeaderValue, header};
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    resp
}
