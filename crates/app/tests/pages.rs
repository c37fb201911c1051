//! Lists read by keyset pages from the viewer index: every visible row once,
//! in order, whatever the page size; the export streams every row once.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn keyset_pages_and_the_export_see_every_row_exactly_once() {
    let s = TestServer::start_configured(|c| c.settings.submit_per_minute = 10_000).await;
    let mut numbers = std::collections::BTreeSet::new();
    for i in 0..45 {
        let mut v = online_claim(&format!("翻页{i}"), "440304199001011233");
        v["petitioners"][0]["id_number"] = Value::Null;
        v["petitioners"][0]["phone"] = json!(format!("1380000{i:04}"));
        v["facts_and_reasons"] = json!(format!("第{i}件独立事项"));
        let (_, sub) = s.post("/api/v1/petitions", None, v).await;
        numbers.insert(sub["number"].as_str().unwrap().to_string());
    }
    for (sort, per_page) in [("registered", 20), ("due", 7)] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/petitions?per_page={per_page}&sort={sort}&cursor={c}"),
                None => format!("/api/v1/petitions?per_page={per_page}&sort={sort}"),
            };
            let (_, page) = s.get_as("ft_clerk", &path).await;
            assert_eq!(page["total"], 45, "{page}");
            assert_eq!(page["total_capped"], false);
            seen.extend(page["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_string()));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let unique: std::collections::BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "no row twice ({sort})");
        assert_eq!(unique, numbers, "every row once ({sort})");
    }
    let (status, _) = s.get_as("ft_clerk", "/api/v1/petitions?cursor=zz").await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
    let t = s.token("ft_clerk").await;
    let csv = s.client.get(format!("{}/api/v1/petitions/export.csv", s.base)).bearer_auth(&t).send().await.unwrap().text().await.unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 45);
    for n in &numbers {
        assert_eq!(rows.iter().filter(|r| r.starts_with(n.as_str())).count(), 1, "{n} once in the export");
    }
    s.finish().await;
}
