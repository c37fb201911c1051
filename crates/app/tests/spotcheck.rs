//! Spot checks of handled petitions (抽查) and accountability reviews
//! (责任倒查), issue 12 item 6: the sample follows its rule and is
//! reproducible, the checklist comes pre-filled from the record, the pass
//! rate counts what was scored, a review is referred to the discipline
//! body once.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

async fn handled(s: &TestServer, name: &str, id: &str, received_on: Option<String>) -> String {
    let (status, sub) = match received_on {
        Some(on) => {
            let mut body = letter(&on);
            body["petitioners"][0]["name"] = json!(name);
            body["petitioners"][0]["id_number"] = json!(id);
            s.post_as("ft_clerk", "/api/v1/petitions", body).await
        }
        None => s.post("/api/v1/petitions", None, online_claim(name, id)).await,
    };
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    s.act(
        "ft_rst_officer",
        &number,
        "conclude",
        json!({"outcome": "explained", "request": "支付工资", "facts_and_reasons": "经查", "decision": "作出解释说明", "legal_basis": "《劳动合同法》"}),
    )
    .await;
    number
}

#[tokio::test]
async fn art40_spot_checks_sample_by_rule_prefill_from_the_record_and_count_the_pass_rate() {
    let s = TestServer::start().await;
    let on_time = handled(&s, "陈一", "440304197503150015", None).await;
    // A letter received 20 days ago: the bureau's 15 days (T1) were missed.
    let late = handled(&s, "陈二", "440304199001011233", Some(days_ago(20))).await;
    let month = today().format("%Y-%m").to_string();

    let (status, _) = s.post_as("ft_clerk", "/api/v1/spot-checks", json!({"month": month, "rule": "all_overdue"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, err) = s.post_as("ft_supervisor", "/api/v1/spot-checks", json!({"month": "2026-13", "rule": "all_overdue"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    // A month still to come has nothing handled: no empty check of it.
    let next_year = (today() + chrono::Duration::days(400)).format("%Y-%m").to_string();
    let (status, err) = s.post_as("ft_supervisor", "/api/v1/spot-checks", json!({"month": next_year, "rule": "all_overdue"})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("future_month")), "{err}");

    // Every petition handled late: exactly the late one.
    let (status, c) = s.post_as("ft_supervisor", "/api/v1/spot-checks", json!({"month": month, "rule": "all_overdue"})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (_, d) = s.get_as("ft_supervisor", &format!("/api/v1/spot-checks/{}", c["id"])).await;
    let numbers: Vec<&str> = d["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, [late.as_str()]);
    // The record's own answer: not every timer kept; a letter issued; no evaluation yet.
    assert_eq!(d["items"][0]["suggested"], json!([false, true, true, false]));

    // N at random per handling unit: both were handled by the same unit, one is drawn.
    let (_, r) = s.post_as("ft_supervisor", "/api/v1/spot-checks", json!({"month": month, "rule": "random_per_unit", "n": 1})).await;
    let (_, d) = s.get_as("ft_supervisor", &format!("/api/v1/spot-checks/{}", r["id"])).await;
    assert_eq!(d["items"].as_array().unwrap().len(), 1);
    assert!([on_time.as_str(), late.as_str()].contains(&d["items"][0]["number"].as_str().unwrap()));
    // Drawing again for the same month and unit gives the same sample.
    let (_, again) = s.post_as("ft_supervisor", "/api/v1/spot-checks", json!({"month": month, "rule": "random_per_unit", "n": 1})).await;
    let (_, d2) = s.get_as("ft_supervisor", &format!("/api/v1/spot-checks/{}", again["id"])).await;
    assert_eq!(d["items"][0]["number"], d2["items"][0]["number"]);

    // Scoring: passes only on every point; the rate counts scored items.
    let item = d["items"][0]["id"].as_i64().unwrap();
    let t = s.token("ft_supervisor").await;
    let (status, _) = s
        .put(
            &format!("/api/v1/spot-checks/{}/items/{item}", r["id"]),
            Some(&t),
            json!({"procedure_ok": true, "notice_on_time": true, "letter_complete": true, "evaluation_obtained": false, "note": "未回访"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = s.get_as("ft_supervisor", "/api/v1/spot-checks").await;
    let row = list.as_array().unwrap().iter().find(|x| x["id"] == r["id"]).unwrap();
    assert_eq!((row["sampled"].as_i64(), row["scored"].as_i64(), row["passed"].as_i64()), (Some(1), Some(1), Some(0)));
    assert_eq!(row["pass_rate"], json!(0.0));
    // Another unit's check is not found.
    let (status, _) = s.get_as("sz_supervisor", &format!("/api/v1/spot-checks/{}", r["id"])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // 责任倒查 of the bureau that missed T1, referred once to the district's discipline body.
    let (status, rv) = s
        .post_as(
            "ft_supervisor",
            &format!("/api/v1/petitions/{late}/accountability"),
            json!({"unit": "440304-XFJ", "findings": "登记后未在15日内转送"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rv}");
    let id = rv["id"].as_i64().unwrap();
    let (status, _) = s.post_as("ft_supervisor", &format!("/api/v1/petitions/{late}/accountability/{id}/refer"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, err) = s.post_as("ft_supervisor", &format!("/api/v1/petitions/{late}/accountability/{id}/refer"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    let d = s.detail("ft_supervisor", &late).await;
    let referred = d["history"].as_array().unwrap().iter().find(|e| e["action"] == "accountability_referred").unwrap().clone();
    assert_eq!(referred["payload"]["to_unit"], "440304-JW", "{referred}");
    s.finish().await;
}

#[tokio::test]
async fn art30_a_bureaus_spot_check_never_samples_an_accusation() {
    let s = TestServer::start().await;
    let claim = handled(&s, "陈三", "440304197503150015", None).await;
    // An accusation answered this month by the district's discipline body.
    let mut v = letter(&today().to_string());
    v["category"] = json!("accusation");
    v["title"] = json!("反映区人社局工作人员索要好处费");
    v["accused"] = json!({"name": "某经办人员", "unit": "福田区人力资源和社会保障局", "unit_code": "440304-RST"});
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let accusation = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &accusation, "refer_discipline", json!({"unit": "440304-JW"})).await;
    s.act("ft_jw_officer", &accusation, "accept", json!({})).await;
    s.act("ft_jw_officer", &accusation, "dispose", json!({"disposition": "preliminary_verification", "summary": "予以初步核实"})).await;
    s.act("ft_jw_officer", &accusation, "reply", json!({"text": "经初步核实，已按程序处理"})).await;
    // The bureau checks its area, the discipline body among it: the
    // accusation is not drawn (the bureau may know only that it exists).
    let month = today().format("%Y-%m").to_string();
    let (status, c) = s.post_as("ft_supervisor", "/api/v1/spot-checks", json!({"month": month, "rule": "random_per_unit", "n": 5})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (_, d) = s.get_as("ft_supervisor", &format!("/api/v1/spot-checks/{}", c["id"])).await;
    let numbers: Vec<&str> = d["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, [claim.as_str()], "{d}");
    assert!(!d.to_string().contains("好处费"), "{d}");
    s.finish().await;
}

#[tokio::test]
async fn art40_a_spot_checks_month_has_one_spelling_within_the_systems_years() {
    let s = TestServer::start().await;
    // Each of these once drew a sample of its own: `+2026-11` is 2026-11
    // seeded differently, the others months before any record or no month.
    for month in ["+2026-11", "2026-1", "1999-11", "-0001-01", "0001-01", "2026-11-01", " 2026 -11"] {
        let (status, err) =
            s.post_as("ft_supervisor", "/api/v1/spot-checks", json!({"month": month, "rule": "random_per_unit", "n": 1})).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_month")), "{month}: {err}");
        assert_eq!(err["error"]["fields"][0]["field"], "month", "{err}");
    }
    let (_, list) = s.get_as("ft_supervisor", "/api/v1/spot-checks").await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    // The plain spelling is taken, stored as written.
    let month = today().format("%Y-%m").to_string();
    let (status, c) = s.post_as("ft_supervisor", "/api/v1/spot-checks", json!({"month": month, "rule": "all_overdue"})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["month"], month.as_str());
    s.finish().await;
}
