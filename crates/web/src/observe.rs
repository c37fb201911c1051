//! Observability: Prometheus metrics at `GET /metrics`, and a request id
//! on every request (set or taken from `x-request-id`, echoed back, and
//! carried by the request's log span, so every error logged while serving
//! it names it).
//!
//! Metrics are process-wide (one recorder per process); each node is
//! scraped on its own and Prometheus sums across nodes.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Latency buckets, in seconds: from a cached read to a slow export.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus recorder, installed on first use (None if
/// another recorder was installed first: then `/metrics` says so).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets(BUCKETS).ok()?;
            match builder.install_recorder() {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::error!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Count an act that was carried out, by action name.
pub fn act_done(action: &str) {
    metrics::counter!("xinfang_acts_total", "action" => action.to_string()).increment(1);
}

/// Count a petition taken in, by channel.
pub fn intake_done(channel: &str) {
    metrics::counter!("xinfang_intake_total", "channel" => channel.to_string()).increment(1);
}

/// Count a supervision case opened, by kind (`auto_overdue`, `manual`, …).
pub fn supervision_opened(kind: &str) {
    metrics::counter!("xinfang_supervision_cases_opened_total", "kind" => kind.to_string()).increment(1);
}

/// Count an attempt at a job by kind and how it ended (done, retry, failed).
pub fn job_ran(kind: &str, outcome: &'static str) {
    metrics::counter!("xinfang_job_attempts_total", "kind" => kind.to_string(), "outcome" => outcome).increment(1);
}

/// The phases of a request a handler timed, in order, each in ms: put in
/// the response's extensions, they are named in its `Server-Timing`
/// header beside the whole (`app`), so a benchmark or a browser's
/// developer tools say where a slow answer spent its time.
#[derive(Clone, Debug)]
pub struct Phases {
    pub laps: Vec<(&'static str, f64)>,
    since: Instant,
}

impl Phases {
    /// Start timing now.
    pub fn start() -> Phases {
        Phases { laps: Vec::new(), since: Instant::now() }
    }

    /// The time since the last lap (or the start), as phase `name`.
    pub fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.laps.push((name, (now - self.since).as_secs_f64() * 1000.0));
        self.since = now;
    }
}

/// Layer over every request: count it and time it by method, matched
/// route (the pattern, e.g. `/api/v1/petitions/{number}`, never the raw
/// URL: numbers and query codes stay out of the metrics) and status.
pub async fn track_requests(req: Request, next: Next) -> Response {
    handle();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let mut resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let secs = started.elapsed().as_secs_f64();
    // The server's own time (W3C Server-Timing): what a client or a
    // benchmark measures without the network and its own queueing, and
    // the phases a handler timed (`Phases`).
    let mut timing = format!("app;dur={:.2}", secs * 1000.0);
    if let Some(phases) = resp.extensions_mut().remove::<Phases>() {
        for (name, ms) in phases.laps {
            timing.push_str(&format!(", {name};dur={ms:.2}"));
        }
    }
    if let Ok(v) = axum::http::HeaderValue::from_str(&timing) {
        resp.headers_mut().insert("server-timing", v);
    }
    metrics::counter!("xinfang_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("xinfang_http_request_duration_seconds", "method" => method, "route" => route).record(secs);
    resp
}

/// `GET /metrics`: Prometheus text format. The gauges that describe the
/// database (pool use, open timers) are read now. With `metrics_token`
/// set, only a scraper presenting it as a bearer token is answered.
pub async fn metrics_endpoint(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let want = &state.settings.metrics_token;
    if !want.is_empty() {
        let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if given.map(str::trim) != Some(want.as_str()) {
            return (StatusCode::UNAUTHORIZED, "metrics token required").into_response();
        }
    }
    let Some(h) = handle() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics recorder unavailable").into_response();
    };
    let (size, idle) = state.store.pool_use();
    metrics::gauge!("xinfang_db_pool_connections", "state" => "open").set(f64::from(size));
    metrics::gauge!("xinfang_db_pool_connections", "state" => "idle").set(idle as f64);
    if let Some(c) = state.store.replica_counts() {
        metrics::counter!("xinfang_replica_reads_total", "served_by" => "replica").absolute(c.served);
        metrics::counter!("xinfang_replica_reads_total", "served_by" => "primary_fallback").absolute(c.fell_back);
    }
    // Replica: a gauge sampled every scrape; a count a moment old is the
    // same gauge a moment earlier.
    match state.store.reader().open_timers(xinfang_domain::local_date(chrono::Utc::now())).await {
        Ok(t) => {
            metrics::gauge!("xinfang_open_timers", "state" => "running").set(t.running as f64);
            metrics::gauge!("xinfang_open_timers", "state" => "overdue").set(t.overdue as f64);
        }
        Err(e) => tracing::warn!(error = %e, "open timers not counted"),
    }
    // The deadline watch's last sweep (cluster-wide: one sweep per period).
    match state.store.watch_counts().await {
        Ok((counts, _)) => {
            let sum = |f: fn(&xinfang_store::WatchCounts) -> i64| counts.iter().map(f).sum::<i64>() as f64;
            metrics::gauge!("xinfang_deadline_watch", "class" => "on_track").set(sum(|c| c.on_track));
            metrics::gauge!("xinfang_deadline_watch", "class" => "due_soon").set(sum(|c| c.due_soon));
            metrics::gauge!("xinfang_deadline_watch", "class" => "due_today").set(sum(|c| c.due_today));
            metrics::gauge!("xinfang_deadline_watch", "class" => "overdue").set(sum(|c| c.overdue));
        }
        Err(e) => tracing::warn!(error = %e, "deadline watch not counted"),
    }
    // The precomputed statistics: whether they are built for this node's
    // unit tree, and the changes not yet taken in (reads correct for them;
    // past `statistics_max_corrections` they recount).
    // The busy units the aggregates were built with (another node may have
    // rebuilt them) are taken first.
    match (state.store.aggregate_fingerprint().await, state.store.aggregate_pending().await, state.store.stored_busy_units().await) {
        (Ok(built), Ok(pending), Ok(busy)) => {
            state.set_busy_units(busy);
            let current = built.as_deref() == Some(state.scope_index().fingerprint.as_str());
            metrics::gauge!("xinfang_statistics_built").set(if current { 1.0 } else { 0.0 });
            metrics::gauge!("xinfang_statistics_pending_changes").set(pending as f64);
        }
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => tracing::warn!(error = %e, "precomputed statistics not checked"),
    }
    // The queue, cluster-wide: messages pending, sent and failed by channel
    // (kind), and every other kind of job alike.
    match state.store.job_counts().await {
        Ok(counts) => {
            for st in xinfang_store::JOB_STATES {
                let mut kinds: Vec<&str> = counts.iter().map(|c| c.0.as_str()).collect();
                kinds.dedup();
                for k in kinds {
                    let n = counts.iter().find(|c| c.0 == k && c.1 == st).map(|c| c.2).unwrap_or(0);
                    metrics::gauge!("xinfang_jobs", "kind" => k.to_string(), "state" => st).set(n as f64);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "jobs not counted"),
    }
    h.run_upkeep();
    let mut resp = h.render().into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    resp
}

/// The log span of a request: method, path (never the query string: it
/// may carry a query code) and the request id.
pub fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}
