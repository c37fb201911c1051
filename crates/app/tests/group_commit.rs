//! Petitions filed at the same moment share commits on SQLite (issue 9):
//! each is answered only after its commit, keeps its own number, rows and
//! chain, and nothing of one batch leaks into another. On PostgreSQL (no
//! grouping) the same test holds for ordinary concurrent transactions.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;

#[tokio::test]
async fn petitions_filed_together_are_each_kept_once_with_a_chain_that_verifies() {
    let s = TestServer::start_configured(|c| {
        c.settings.submit_per_minute = u32::MAX;
        c.settings.submit_per_day = i64::MAX;
        c.settings.submit_bytes_per_day = i64::MAX;
    })
    .await;
    let n = 60usize;
    let mut tasks = Vec::new();
    for i in 0..n {
        let (client, base) = (s.client.clone(), s.base.clone());
        tasks.push(tokio::spawn(async move {
            let mut body = online_claim(&format!("并发{i}"), "");
            body["petitioners"][0].as_object_mut().unwrap().remove("id_number");
            body["petitioners"][0]["phone"] = json!(format!("139{:08}", i));
            body["facts_and_reasons"] = json!(format!("第{i}件：公司自2026年7月起停发工资，多次催要无果，已书面反映。"));
            let r = client.post(format!("{base}/api/v1/petitions")).json(&body).send().await.unwrap();
            let status = r.status();
            let v: serde_json::Value = r.json().await.unwrap();
            (status, v)
        }));
    }
    let mut numbers = HashSet::new();
    for t in tasks {
        let (status, v) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let number = v["number"].as_str().unwrap().to_string();
        // The answer is given after the commit: the petition is there and
        // its petitioner can track it with the code just handed out.
        let (st, tracked) = s.get(&format!("/api/v1/track/{number}?code={}", v["query_code"].as_str().unwrap()), None).await;
        assert_eq!(st, StatusCode::OK, "{tracked}");
        assert!(numbers.insert(number), "numbers are unique");
    }
    assert_eq!(numbers.len(), n);
    let (_, total) = s.store.list_petitions(&xinfang_store::PetitionFilter { limit: 1, ..Default::default() }, None).await.unwrap();
    assert_eq!(total, n as i64, "each petition stored once");
    let v = s.store.verify_record(None).await.unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    s.finish().await;
}
