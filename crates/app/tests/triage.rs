//! Triage suggestions and risk signals (issue 13, items 3 and 4):
//! `POST /api/v1/triage` and the admin's rule table.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn triage(s: &TestServer, body: Value) -> Value {
    let (status, v) = s.post_as("ft_clerk", "/api/v1/triage", body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

#[tokio::test]
async fn a_wage_claim_goes_to_the_areas_labour_bureau_with_the_words_behind_it() {
    let s = TestServer::start().await;
    let v = triage(
        &s,
        json!({"title": "包工头拖欠工资", "content": "我们在工地干了半年，包工头拖欠工资三个月，讨薪无果。", "channel": "online", "region": "440304011"}),
    )
    .await;
    assert_eq!(v["category"][0]["value"], "claim", "{v}");
    assert_eq!(v["category"][0]["label"], "申诉求决类");
    assert_eq!(v["topic"][0]["value"], "0202", "{v}");
    assert!(v["topic"][0]["why"].as_array().unwrap().iter().any(|w| w == "拖欠工资"), "{v}");
    let dept = &v["department"][0];
    assert_eq!(dept["value"], "人力资源和社会保障局", "{v}");
    assert_eq!(dept["unit_code"], "440304-RST", "the district's bureau for a street of the district: {v}");
    let c = dept["confidence"].as_f64().unwrap();
    assert!(c > 0.0 && c < 1.0, "{v}");
    for field in ["category", "topic", "department"] {
        assert!(v[field].as_array().unwrap().len() <= 3);
    }
    assert_eq!(v["risk"]["level"], "none", "{v}");
    // Without a region: the kind of unit only.
    let v = triage(&s, json!({"title": "包工头拖欠工资", "content": ""})).await;
    assert!(v["department"][0].get("unit_code").is_none(), "{v}");
    s.finish().await;
}

#[tokio::test]
async fn an_accusation_goes_to_the_discipline_body_and_threats_are_urgent() {
    let s = TestServer::start().await;
    let v = triage(
        &s,
        json!({"title": "举报村干部", "content": "村干部贪污挪用征地补偿款。再不处理，我就去跳楼，还要到北京上访。", "region": "440304"}),
    )
    .await;
    assert_eq!(v["category"][0]["value"], "accusation", "{v}");
    let dept = v["department"].as_array().unwrap().iter().find(|d| d["value"] == "纪委监委").unwrap();
    assert_eq!(dept["unit_code"], "440304-JW", "{v}");
    assert_eq!(v["risk"]["level"], "urgent", "{v}");
    let kinds: Vec<&str> = v["risk"]["signals"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"self_harm") && kinds.contains(&"to_beijing"), "{v}");
    let harm = v["risk"]["signals"].as_array().unwrap().iter().find(|s| s["kind"] == "self_harm").unwrap();
    assert!(harm["words"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("跳楼")), "{v}");
    s.finish().await;
}

#[tokio::test]
async fn bad_triage_input_gets_a_clear_error() {
    let s = TestServer::start().await;
    for (body, field) in [
        (json!({"title": " ", "content": ""}), "content"),
        (json!({"title": "长".repeat(201), "content": "x"}), "title"),
        (json!({"title": "噪音", "region": "44030"}), "region"),
        (json!({"title": "噪音", "region": "abcdef"}), "region"),
        (json!({"title": "噪音", "channel": "pigeon"}), "channel"),
    ] {
        let (status, v) = s.post_as("ft_clerk", "/api/v1/triage", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert_eq!(v["error"]["fields"][0]["field"], field, "{body}: {v}");
    }
    let (status, v) = s.post_as("ft_clerk", "/api/v1/triage", json!({"title": "噪音", "extra": 1})).await;
    assert!(status.is_client_error(), "{v}");
    let (status, _) = s.post("/api/v1/triage", None, json!({"title": "噪音"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    s.finish().await;
}

#[tokio::test]
async fn the_admin_edits_the_rule_table_and_triage_follows_on_every_request() {
    let s = TestServer::start().await;
    let (status, table) = s.get_as("ft_clerk", "/api/v1/triage/rules").await;
    assert_eq!(status, StatusCode::OK);
    assert!(table["rules"].as_array().unwrap().len() > 20, "the starter table");
    let mine = json!({"rules": [
        {"keywords": ["广场舞"], "topic": "1003", "unit_kind": "文化广电旅游体育局", "category": "claim"}
    ]});
    let (status, v) = s.put("/api/v1/triage/rules", Some(&s.token("ft_clerk").await), mine.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let admin = s.token("admin").await;
    let bad = json!({"rules": [{"keywords": ["广场舞"], "topic": "9999", "unit_kind": "文化局", "category": "claim"}]});
    let (status, v) = s.put("/api/v1/triage/rules", Some(&admin), bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["fields"][0]["field"], "rules[0].topic");
    let (status, v) = s.put("/api/v1/triage/rules", Some(&admin), mine).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let v = triage(&s, json!({"title": "小区广场舞噪音扰民", "content": ""})).await;
    assert_eq!(v["department"][0]["value"], "文化广电旅游体育局", "{v}");
    assert_eq!(v["department"].as_array().unwrap().len(), 1, "the old rules are gone: {v}");
    s.finish().await;
}

#[tokio::test]
async fn a_topic_rising_in_a_township_is_a_hot_spot_with_its_petitions_and_a_summary() {
    let s = TestServer::start().await;
    let mut wages = Vec::new();
    for i in 0..6 {
        let mut body = letter(&today().to_string());
        body["jurisdiction"] = json!("440304011");
        body["topic"] = json!("0202");
        body["title"] = json!(format!("工地拖欠工资{i}"));
        body["petitioners"] = json!([{ "name": format!("癸{i}"), "phone": format!("1390000010{i}") }]);
        let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        wages.push(v["number"].as_str().unwrap().to_string());
    }
    // Two of another topic elsewhere: under the minimum count.
    for i in 0..2 {
        let mut body = letter(&today().to_string());
        body["jurisdiction"] = json!("440304006");
        body["topic"] = json!("1003");
        body["petitioners"] = json!([{ "name": format!("子{i}"), "phone": format!("1390000020{i}") }]);
        let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    let (status, v) = s.get_as("ft_supervisor", "/api/v1/hotspots?min_count=5").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let spikes = v["spikes"].as_array().unwrap();
    assert_eq!(spikes.len(), 1, "{v}");
    assert_eq!(
        (spikes[0]["topic"].as_str(), spikes[0]["area"].as_str(), spikes[0]["observed"].as_u64()),
        (Some("0202"), Some("440304011"), Some(6))
    );
    let mut behind: Vec<String> = spikes[0]["petitions"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
    behind.sort();
    wages.sort();
    assert_eq!(behind, wages);
    assert!(v["summary"][0].as_str().unwrap().contains("近7天6件"), "{v}");
    assert!(v["cells"].as_u64().unwrap() >= 2);
    // Another district's bureau sees none of it.
    let (_, v) = s.get_as("ns_clerk", "/api/v1/hotspots?min_count=5").await;
    assert!(v["spikes"].as_array().unwrap().is_empty(), "{v}");
    for q in ["weeks=2", "min_count=0", "alpha=0.5", "alpha=abc"] {
        let (status, v) = s.get_as("ft_supervisor", &format!("/api/v1/hotspots?{q}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {v}");
    }
    s.finish().await;
}
