//! The outside interfaces: health, OpenAPI, Open311, reference data, the
//! admin's calendar, and listing filters.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn health_and_openapi_document() {
    let s = TestServer::start().await;
    let resp = s.client.get(format!("{}/healthz", s.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, doc) = s.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/api/v1/petitions", "/api/v1/petitions/{number}/actions/{action}", "/api/v1/track/{number}", "/api/v1/auth/login"] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    let (status, body) = s.get("/api/v1/no/such/thing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    // People get a page, in Chinese.
    let (status, body) = s.get("/no/such/page", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.as_str().unwrap().contains("页面不存在"));
    s.finish().await;
}

#[tokio::test]
async fn open311_services_and_requests_with_a_hotline_key() {
    let s = TestServer::start().await;
    let (status, services) = s.get("/open311/v2/services.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(services.as_array().unwrap().iter().any(|x| x["service_code"] == "0202" && x["group"] == "劳动和社会保障"));
    let (status, key) =
        s.post_as("admin", "/api/v1/api-keys", json!({"label": "12345热线", "unit": "440304-XFJ", "channel": "hotline"})).await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let key = key["api_key"].as_str().unwrap().to_string();
    let form = |k: &str| {
        vec![
            ("api_key", k.to_string()),
            ("service_code", "0202".to_string()),
            ("description", "某餐饮店拖欠员工两个月工资".to_string()),
            ("address_string", "深圳市福田区华强北街道".to_string()),
            ("first_name", "十一".to_string()),
            ("last_name", "陈".to_string()),
            ("phone", "13900139000".to_string()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let url = format!("{}/open311/v2/requests.json", s.base);
        let c = s.client.clone();
        async move {
            let r = c.post(url).form(&f).send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, err) = post(form("wrong")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err[0]["code"], 403);
    let mut missing = form(&key);
    missing.retain(|(k, _)| *k != "service_code");
    assert_eq!(post(missing).await.0, StatusCode::BAD_REQUEST);
    let mut unknown = form(&key);
    unknown[1].1 = "9999".into();
    assert_eq!(post(unknown).await.0, StatusCode::NOT_FOUND);
    let (status, created) = post(form(&key)).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created[0]["service_request_id"].as_str().unwrap().to_string();
    let d = s.detail("ft_clerk", &id).await;
    assert_eq!(d["channel"], "hotline");
    assert_eq!(d["petitioners"][0]["name"], "陈十一");
    let (status, one) = s.get(&format!("/open311/v2/requests/{id}.json?api_key={key}"), None).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one[0]["status"], "open");
    assert!(one[0].get("description").is_none(), "petition content is not exposed");
    let (status, list) = s.get(&format!("/open311/v2/requests.json?api_key={key}&status=open"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _) = s.get("/open311/v2/requests.json", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.finish().await;
}

#[tokio::test]
async fn reference_data_and_the_admins_calendar() {
    let s = TestServer::start().await;
    let (_, provinces) = s.get("/api/v1/divisions", None).await;
    assert!(provinces.as_array().unwrap().iter().any(|d| d["code"] == "44" && d["name"] == "广东省"));
    let (_, streets) = s.get("/api/v1/divisions?parent=440304", None).await;
    assert!(streets.as_array().unwrap().iter().any(|d| d["name"] == "华强北街道"));
    let (status, _) = s.get("/api/v1/divisions?parent=44%27%20or%201=1", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, cal) = s.get("/api/v1/calendar/2026", None).await;
    assert_eq!(cal["covered"], true);
    assert!(cal["days"].as_array().unwrap().iter().any(|d| d["date"] == "2026-10-10" && d["kind"] == "workday"));
    let (_, cal) = s.get("/api/v1/calendar/2027", None).await;
    assert_eq!(cal["covered"], false);
    // Only an admin edits the calendar.
    let day = json!({"kind": "holiday", "name": "元旦"});
    let (status, _) = s.put("/api/v1/calendar/days/2027-01-01", Some(&s.token("ft_clerk").await), day.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.put("/api/v1/calendar/days/2027-01-01", Some(&s.token("admin").await), day).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, cal) = s.get("/api/v1/calendar/2027", None).await;
    assert_eq!(cal["covered"], false, "one edited day does not cover a year (only an import does, tests/calendar.rs)");
    assert_eq!(cal["days"][0]["name"], "元旦");
    let (_, units) = s.get("/api/v1/units", None).await;
    let units = units.as_array().unwrap();
    assert!(units.iter().any(|u| u["code"] == "440304-RST" && u["parent"] == "4403-RST"));
    assert!(units.iter().any(|u| u["code"] == "440304011-XFB" && u["level"] == "township"));
    s.finish().await;
}

#[tokio::test]
async fn listing_filters_and_inbox_order() {
    let s = TestServer::start().await;
    let mut numbers = Vec::new();
    for (i, name) in ["甲", "乙", "丙"].iter().enumerate() {
        let mut v = letter(&days_ago(10 - i as i64));
        v["petitioners"][0]["name"] = json!(name);
        v["petitioners"][0]["id_number"] = Value::Null;
        v["facts_and_reasons"] = json!(format!("{name}反映的独立事项{}", "详情".repeat(i + 1)));
        let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
        assert_eq!(status, StatusCode::CREATED, "{sub}");
        numbers.push(sub["number"].as_str().unwrap().to_string());
    }
    let n0 = numbers.first().unwrap().clone();
    s.act("ft_clerk", &n0, "forward", json!({"unit": "440304-RST"})).await;
    let (_, page) = s.get_as("ft_clerk", "/api/v1/petitions?state=registered&sort=due").await;
    assert_eq!(page["total"], 2);
    let dues: Vec<&str> = page["items"].as_array().unwrap().iter().map(|i| i["next_due_on"].as_str().unwrap()).collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
    let (_, page) = s.get_as("ft_clerk", "/api/v1/petitions?unit=440304-RST").await;
    assert_eq!(page["total"], 1);
    let (_, page) = s.get_as("ft_clerk", "/api/v1/petitions?channel=letter&category=claim&per_page=1&page=2").await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, page) = s.get_as("ft_clerk", &format!("/api/v1/petitions?from={}&to={}", today(), today())).await;
    assert_eq!(page["total"], 3, "registered today, whatever the receipt date");
    let (_, page) = s.get_as("ft_clerk", "/api/v1/petitions?overdue=true").await;
    assert_eq!(page["total"], 0);
    let (status, err) = s.get_as("ft_clerk", "/api/v1/petitions?state=nonsense").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let (status, _) = s.get_as("ft_clerk", "/api/v1/petitions?from=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    s.finish().await;
}

#[tokio::test]
async fn demo_sample_petitions_cover_the_everyday_states() {
    let s = TestServer::start_with(true).await;
    let (_, page) = s.get_as("gd_leader", "/api/v1/petitions?per_page=100").await;
    let states: std::collections::BTreeSet<&str> = page["items"].as_array().unwrap().iter().map(|i| i["state"].as_str().unwrap()).collect();
    for st in ["registered", "forwarded", "handling", "replied", "closed"] {
        assert!(states.contains(st), "{st} in {states:?}");
    }
    // Seven samples, one of them an accusation whose accused is not named:
    // hidden from the province (Art. 30), so neither listed nor counted.
    assert_eq!(page["total"], 6);
    assert_eq!(page["items"].as_array().unwrap().len(), 6);
    s.finish().await;
}
