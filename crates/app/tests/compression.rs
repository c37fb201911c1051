//! Response compression (issue 10): pages, styles, scripts and JSON go out
//! brotli- or gzip-compressed when asked for; downloads (the streamed CSV
//! export, attachments) go as they are and arrive whole.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn pages_and_json_are_compressed_downloads_are_streamed_whole() {
    let s = TestServer::start().await;
    for enc in ["br", "gzip"] {
        for path in ["/", "/submit", "/api/openapi.json"] {
            let r = s.client.get(format!("{}{path}", s.base)).header("accept-encoding", enc).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some(enc), "{path} in {enc}");
        }
    }
    // Not asked for: not compressed.
    let r = s.client.get(format!("{}/", s.base)).send().await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    // The CSV export is a stream: sent as it is, complete, with an encoding asked for.
    let (status, p) = s.post("/api/v1/petitions", None, online_claim("陈八", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CREATED);
    let clerk = s.token("ft_clerk").await;
    let r = s
        .client
        .get(format!("{}/api/v1/petitions/export.csv", s.base))
        .bearer_auth(&clerk)
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("content-encoding").is_none());
    let csv = r.text().await.unwrap();
    assert!(csv.contains(p["number"].as_str().unwrap()), "{csv}");
    s.finish().await;
}
