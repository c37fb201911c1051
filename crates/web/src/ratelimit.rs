//! Rate limits attach to operations, not to URLs: each route that submits a
//! petition, reads or answers through a query code, or logs in declares
//! its bucket with a route layer (`from_fn(ratelimit::submit)` etc.), and
//! the API and its page twins (`/submit`, `/mailbox`, `/track`,
//! `/staff/login`) declare the same one, so they count together.
//!
//! * Per-minute counts are fixed one-minute windows, counted in the
//!   database (`rate_counters`, one upsert per limited request; on SQLite
//!   in the rate file beside the database, out of the petitions' writer's
//!   way) so that a client is limited across all nodes; `rate_limits_in_database = false`
//!   keeps them in each node's memory instead (one node, or to spare the
//!   write: its cost is measured in docs/performance.md).
//! * Anonymous submissions also have a daily budget per address, in count
//!   and in bytes, kept in the database and shared by all nodes.
//! * The client address is the peer's, or taken from `X-Forwarded-For`
//!   only when the peer is a configured trusted proxy. IPv6 clients are
//!   counted per /64, the block one subscriber usually holds.
//! * Only a valid staff session is exempt from the submission limits; any
//!   other `Authorization` header counts like none.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Submit,
    Track,
    Login,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Submit => "submit",
            Bucket::Track => "track",
            Bucket::Login => "login",
        }
    }
}

/// Count one request of `client` in `bucket`, in the database (shared by
/// every node) or in this node's memory, as configured; false when the
/// client is over `limit` this minute.
pub async fn allow(state: &AppState, bucket: Bucket, client: IpAddr, limit: u32) -> Result<bool, xinfang_store::StoreError> {
    if !state.settings.rate_limits_in_database {
        return Ok(state.limiter.allow(bucket, client, limit, Instant::now()));
    }
    let minute = chrono::Utc::now().timestamp().div_euclid(60);
    let hits = state.store.count_request(bucket.as_str(), &limit_key(client).to_string(), minute).await?;
    Ok(hits <= i64::from(limit))
}

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(Bucket, IpAddr), (Instant, u32)>>,
}

impl RateLimiter {
    /// Count one request; false when the address is over `limit` this minute.
    pub fn allow(&self, bucket: Bucket, ip: IpAddr, limit: u32, now: Instant) -> bool {
        let Ok(mut map) = self.windows.lock() else { return true };
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = map.entry((bucket, limit_key(ip))).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= limit
    }
}

/// The address a limit counts: IPv4 as is, IPv6 by its /64.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// Whether `ip` is `spec`: an address or a CIDR network (`10.0.0.0/8`).
fn matches(ip: IpAddr, spec: &str) -> bool {
    let (addr, bits) = match spec.trim().split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().ok()),
        None => (spec.trim(), None),
    };
    let Ok(net) = addr.parse::<IpAddr>() else { return false };
    match (ip.to_canonical(), net.to_canonical()) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy;
/// then `X-Forwarded-For` is read from the right (the hops our proxies
/// added) and the first address that is not a trusted proxy is the client.
/// What a client writes into the header itself stands left of that and is
/// never believed.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[String]) -> IpAddr {
    let trusted = |ip: IpAddr| trusted_proxies.iter().any(|p| matches(ip, p));
    if !trusted(peer) {
        return peer.to_canonical();
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { break };
        client = ip;
        if !trusted(ip) {
            break;
        }
    }
    client.to_canonical()
}

/// The client address of a request, as resolved by [`context`].
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

/// What the route layers need: the state and the client address.
#[derive(Clone)]
struct Door {
    state: AppState,
    client: IpAddr,
}

/// Outer layer of every request: resolve the client address once and hand
/// it (with the state) to the operations' limit layers and handlers.
pub async fn context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let client = client_address(peer, req.headers(), &state.settings.trusted_proxies);
    req.extensions_mut().insert(ClientAddr(client));
    req.extensions_mut().insert(Door { state, client });
    next.run(req).await
}

/// Route layer: submitting a petition (API, Open311, portal, mailbox).
pub async fn submit(req: Request, next: Next) -> Response {
    guard(Bucket::Submit, req, next).await
}

/// Route layer: reading or answering through a petition number and query code.
pub async fn track(req: Request, next: Next) -> Response {
    guard(Bucket::Track, req, next).await
}

/// Route layer: logging in (API and staff login page).
pub async fn login(req: Request, next: Next) -> Response {
    guard(Bucket::Login, req, next).await
}

/// Route layer for a route whose GET is a read and whose POST submits
/// (Open311 `requests.json`): only the POST counts as a submission.
pub async fn submit_on_post(req: Request, next: Next) -> Response {
    if req.method() == Method::POST { guard(Bucket::Submit, req, next).await } else { next.run(req).await }
}

async fn guard(bucket: Bucket, req: Request, next: Next) -> Response {
    let Some(door) = req.extensions().get::<Door>().cloned() else {
        // The router always installs `context`; without it, refuse rather
        // than run an operation unlimited.
        tracing::error!("rate limit layer without its context layer");
        return ApiError::internal().into_response();
    };
    let Door { state, client } = door;
    let page = !(req.uri().path().starts_with("/api/") || req.uri().path().starts_with("/open311/"));
    if bucket == Bucket::Submit && is_staff(&state, req.headers()).await {
        return next.run(req).await;
    }
    let s = &state.settings;
    let per_minute = match bucket {
        Bucket::Submit => s.submit_per_minute,
        Bucket::Track => s.track_per_minute,
        Bucket::Login => s.login_per_minute,
    };
    match allow(&state, bucket, client, per_minute).await {
        Ok(true) => {}
        Ok(false) => return too_many(page, "请求过于频繁，请稍后再试", "60"),
        Err(e) => return ApiError::from(e).into_response(),
    }
    // Open311 requests carry a unit's API key: not anonymous, no daily budget.
    if bucket != Bucket::Submit || req.uri().path().starts_with("/open311/") {
        return next.run(req).await;
    }
    // With a Content-Length (HTTP framing makes it exact) the body is
    // charged by it and passes on as a stream (attachments go to the object
    // store without being held in memory); without one it is read first.
    let (parts, body) = req.into_parts();
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let (len, body) = match declared {
        Some(n) => (n, body),
        None => {
            let Ok(bytes) = axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await else {
                return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "请求体过大").into_response();
            };
            (i64::try_from(bytes.len()).unwrap_or(i64::MAX), Body::from(bytes))
        }
    };
    let day = xinfang_domain::local_date(chrono::Utc::now()).format("%Y-%m-%d").to_string();
    let budget = xinfang_store::DailyBudget { submissions: s.submit_per_day, bytes: s.submit_bytes_per_day };
    match state.store.charge_submission(&day, &limit_key(client).to_string(), len, budget).await {
        Ok(true) => next.run(Request::from_parts(parts, body)).await,
        Ok(false) => {
            too_many(page, "今日从本网络提交的信访事项数量或附件总量已达上限，请明日再提交，或通过来信、来访、电话等渠道反映", "3600")
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Only a valid staff session is exempt: a forged or expired
/// `Authorization` header counts like none.
async fn is_staff(state: &AppState, headers: &HeaderMap) -> bool {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match token {
        Some(t) => crate::auth::staff_for_token(state, t).await.is_ok(),
        None => false,
    }
}

fn too_many(page: bool, message: &str, retry_after: &'static str) -> Response {
    let mut resp = if page {
        let html = format!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>请稍后再试</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main><h1>请稍后再试</h1><p>{message}</p><p><a href=\"/\">返回首页</a></p></main></body></html>"
        );
        (StatusCode::TOO_MANY_REQUESTS, Html(html)).into_response()
    } else {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message).into_response()
    };
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(retry_after));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn window_counts_and_resets() {
        let l = RateLimiter::default();
        let a = ip("10.0.0.1");
        let t0 = Instant::now();
        assert!((0..3).all(|_| l.allow(Bucket::Submit, a, 3, t0)));
        assert!(!l.allow(Bucket::Submit, a, 3, t0));
        assert!(l.allow(Bucket::Login, a, 3, t0), "buckets are separate");
        assert!(l.allow(Bucket::Submit, ip("10.0.0.2"), 3, t0), "addresses are separate");
        assert!(l.allow(Bucket::Submit, a, 3, t0 + WINDOW));
    }

    #[test]
    fn ipv6_counts_per_slash_64() {
        let l = RateLimiter::default();
        let t0 = Instant::now();
        assert!(l.allow(Bucket::Track, ip("2001:db8:1:2::1"), 1, t0));
        assert!(!l.allow(Bucket::Track, ip("2001:db8:1:2:ffff::9"), 1, t0), "same /64");
        assert!(l.allow(Bucket::Track, ip("2001:db8:1:3::1"), 1, t0));
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4, 203.0.113.7, 10.0.0.2"));
        let trusted = vec!["10.0.0.0/8".to_string()];
        assert_eq!(client_address(ip("198.51.100.1"), &h, &trusted), ip("198.51.100.1"), "untrusted peer: header ignored");
        assert_eq!(client_address(ip("10.0.0.1"), &h, &[]), ip("10.0.0.1"), "no proxies configured");
        assert_eq!(client_address(ip("10.0.0.1"), &h, &trusted), ip("203.0.113.7"), "the first hop left of our proxies");
        assert_eq!(client_address(ip("::ffff:10.0.0.1"), &h, &trusted), ip("203.0.113.7"), "IPv4-mapped peer");
        h.insert("x-forwarded-for", HeaderValue::from_static("junk"));
        assert_eq!(client_address(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.1"));
        assert!(matches(ip("2001:db8::5"), "2001:db8::/32"));
        assert!(!matches(ip("2001:db9::5"), "2001:db8::/32"));
        assert!(matches(ip("192.168.1.1"), "192.168.1.1"));
        assert!(matches(ip("8.8.8.8"), "0.0.0.0/0"));
    }
}
