//! The HTTP front of xinfang: JSON API, OpenAPI document and Open311.

pub mod acting;
pub mod api;
pub mod attachments;
pub mod auth;
pub mod calendar_sync;
pub mod documents;
pub mod dto;
pub mod error;
pub mod extract;
pub mod hotspots;
pub mod intake;
pub mod jobs;
pub mod notices;
pub mod observe;
pub mod once;
pub mod open311;
pub mod openapi;
pub mod precomputed;
pub mod ranking;
pub mod ratelimit;
pub mod screen;
pub mod search;
pub mod state;
pub mod supervision;
pub mod tables;
pub mod triage;
pub mod triage_model;
pub mod urgent_model;
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
        .route("/metrics", get(observe::metrics_endpoint))
        .route("/api/openapi.json", get(openapi_json))
        .merge(api::routes())
        // POST requests.json submits; its GET is a keyed read.
        .merge(open311::routes().route_layer(axum::middleware::from_fn(ratelimit::submit_on_post)));
    let all = match pages {
        Some(p) => api.merge(p),
        None => api.fallback(not_found),
    };
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    all.layer(axum::middleware::from_fn_with_state(state.clone(), ratelimit::context))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(DefaultBodyLimit::max(MAX_SMALL_BODY_BYTES))
        .layer(axum::middleware::from_fn(observe::track_requests))
        // Pages, styles, scripts and JSON go out brotli- or gzip-compressed
        // when the client accepts it (issue 10); downloads, images and tiny
        // bodies as they are.
        .layer(tower_http::compression::CompressionLayer::new().br(true).gzip(true).compress_when(tower_http::compression::Predicate::and(
            tower_http::compression::predicate::DefaultPredicate::new(),
            compressible as fn(StatusCode, axum::http::Version, &axum::http::HeaderMap, &axum::http::Extensions) -> bool,
        )))
        // Outermost last: the id is set (or kept) first, the span carries
        // it, and the response echoes it.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(observe::request_span)
                // One line per request at info (status, latency) inside its span.
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Worth compressing: pages, styles, scripts, JSON, SVG and plain text.
/// Downloads (attachments, the CSV export: `Content-Disposition`) go as
/// they are: they are streamed from storage and mostly compressed already
/// (and a streamed export must not be polled past its end by an encoder).
fn compressible(_: StatusCode, _: axum::http::Version, headers: &axum::http::HeaderMap, _: &axum::http::Extensions) -> bool {
    use axum::http::header;
    if headers.contains_key(header::CONTENT_DISPOSITION) {
        return false;
    }
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        ["text/html", "text/css", "text/javascript", "text/plain", "application/json", "image/svg+xml"].iter().any(|p| ct.starts_with(p))
    })
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
/// read-only file answers 503 while it lasts) and has every migration this
/// binary knows (a node started before the schema is current waits).
/// `/healthz` stays liveness. With a read replica, its state follows on a
/// second line; a replica that is down leaves the node ready (its reads
/// go to the primary).
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.migrations_current().await {
        Ok(true) => {}
        Ok(false) => return (StatusCode::SERVICE_UNAVAILABLE, "database migrations not current").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "readiness: migrations not readable");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
        }
    }
    match state.store.write_probe().await {
        Ok(()) => match state.store.replica_status().await {
            None => (StatusCode::OK, "ready").into_response(),
            Some(r) => (StatusCode::OK, format!("ready\nread replica: {r}\n")).into_response(),
        },
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

/// Scripts, styles and images only from this site: no inline script or
/// style attribute anywhere (the pages' behaviour is in /static/app.js and
/// the vendored htmx), no plugins, no framing, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Headers that keep browsers from sniffing, framing or running injected
/// script; over HTTPS also HSTS, and `Secure` on every cookie.
async fn security_headers(State(state): State<AppState>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::{HeaderValue, header};
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    if state.settings.https() {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    if state.settings.secure_cookies() {
        // One place for every cookie the pages set (session, CSRF, views).
        let cookies: Vec<HeaderValue> = h.get_all(header::SET_COOKIE).iter().cloned().collect();
        if !cookies.is_empty() {
            h.remove(header::SET_COOKIE);
            for c in cookies {
                let secure = c
                    .to_str()
                    .ok()
                    .filter(|v| !v.split(';').any(|p| p.trim().eq_ignore_ascii_case("secure")))
                    .and_then(|v| HeaderValue::from_str(&format!("{v}; Secure")).ok());
                h.append(header::SET_COOKIE, secure.unwrap_or(c));
            }
        }
    }
    resp
}
