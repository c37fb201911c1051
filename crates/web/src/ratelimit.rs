//! Per-address rate limits on the public endpoints (submission, tracking by
//! query code) and on login: fixed one-minute windows kept in memory. On
//! several nodes each node limits on its own, which still bounds abuse.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Submit,
    Track,
    Login,
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
        let entry = map.entry((bucket, ip)).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= limit
    }
}

fn bucket(method: &Method, path: &str, has_token: bool) -> Option<Bucket> {
    match (method, path) {
        (&Method::POST, "/api/v1/auth/login") => Some(Bucket::Login),
        (&Method::POST, "/api/v1/petitions") if !has_token => Some(Bucket::Submit),
        (&Method::POST, "/open311/v2/requests.json") => Some(Bucket::Submit),
        (_, p) if p.starts_with("/api/v1/track/") => Some(Bucket::Track),
        _ => None,
    }
}

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let has_token = req.headers().contains_key(header::AUTHORIZATION);
    if let Some(b) = bucket(req.method(), req.uri().path(), has_token) {
        let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let s = &state.settings;
        let per_minute = match b {
            Bucket::Submit => s.submit_per_minute,
            Bucket::Track => s.track_per_minute,
            Bucket::Login => s.login_per_minute,
        };
        if !state.limiter.allow(b, ip, per_minute, Instant::now()) {
            let mut resp = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "请求过于频繁，请稍后再试").into_response();
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return resp;
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_and_resets() {
        let l = RateLimiter::default();
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let t0 = Instant::now();
        assert!((0..3).all(|_| l.allow(Bucket::Submit, ip, 3, t0)));
        assert!(!l.allow(Bucket::Submit, ip, 3, t0));
        assert!(l.allow(Bucket::Login, ip, 3, t0), "buckets are separate");
        assert!(l.allow(Bucket::Submit, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 3, t0), "addresses are separate");
        assert!(l.allow(Bucket::Submit, ip, 3, t0 + WINDOW));
    }
}
