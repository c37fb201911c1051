//! Observability (issue 9, item 5): Prometheus metrics, request ids,
//! readiness that includes the schema. On a real server (SQLite, or
//! PostgreSQL with XINFANG_TEST_DATABASE_URL).

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

#[tokio::test]
async fn metrics_list_requests_by_route_acts_intake_timers_and_pool() {
    let s = TestServer::start().await;
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim("张三", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    let resp = s.client.get(format!("{}/metrics", s.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    for want in [
        "xinfang_http_requests_total{",
        r#"route="/api/v1/petitions/{number}/actions/{action}""#,
        r#"status="200""#,
        "xinfang_http_request_duration_seconds_bucket{",
        r#"xinfang_acts_total{action="forward"}"#,
        r#"xinfang_intake_total{channel="online"}"#,
        r#"xinfang_open_timers{state="running"}"#,
        r#"xinfang_db_pool_connections{state="idle"}"#,
    ] {
        assert!(text.contains(want), "/metrics lacks {want}:\n{text}");
    }
    assert!(!text.contains(&number), "routes are patterns, never raw URLs");
    s.finish().await;
}

#[tokio::test]
async fn metrics_token_when_configured() {
    let s = TestServer::start_configured(|c| c.settings.metrics_token = "scrape-secret".into()).await;
    let url = format!("{}/metrics", s.base);
    assert_eq!(s.client.get(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.client.get(&url).bearer_auth("scrape-secret").send().await.unwrap().status(), StatusCode::OK);
    s.finish().await;
}

#[tokio::test]
async fn request_id_is_echoed_or_made() {
    let s = TestServer::start().await;
    let resp = s.client.get(format!("{}/healthz", s.base)).header("x-request-id", "lb-7f3a-0001").send().await.unwrap();
    assert_eq!(resp.headers()["x-request-id"], "lb-7f3a-0001");
    let resp = s.client.get(format!("{}/api/v1/nothing-here", s.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    s.finish().await;
}

#[tokio::test]
async fn readyz_wants_every_migration() {
    let s = TestServer::start().await;
    let url = format!("{}/readyz", s.base);
    assert_eq!(s.client.get(&url).send().await.unwrap().status(), StatusCode::OK);
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&s.database_url()).await.unwrap();
    sqlx::query("DELETE FROM schema_migrations WHERE version = 8").execute(&mut conn).await.unwrap();
    conn.close().await.ok();
    let resp = s.client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.text().await.unwrap().contains("migrations"));
    s.finish().await;
}
