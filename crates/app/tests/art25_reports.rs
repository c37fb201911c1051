//! Art. 25: a report of a major or urgent matter reaches the 本级党委和政府
//! and the petition bureau one level up, who see it in their queue and
//! acknowledge it once; nobody else sees it. On a real server.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use xinfang_domain::role::Role;

/// An online claim forwarded to the 福田区 human-resources bureau, whose
/// head reports it as urgent. Returns the number.
async fn reported_claim(s: &TestServer) -> String {
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim("王五", "440304197503150015")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    s.act("ft_rst_head", &number, "report_urgent", json!({"summary": "三十余名工人聚集，涉及群体性欠薪"})).await;
    number
}

/// A staff account at the 福田区委、区政府. The admin API cannot make it:
/// the demo admin sits at the provincial bureau, which is not above the
/// 党委和政府 line in the tree, so the test writes the account directly.
async fn party_government_user(s: &TestServer) -> &'static str {
    let unit = s.store.load_units().await.unwrap().into_iter().find(|u| u.code == "440304-DZ").expect("440304-DZ");
    let hash = xinfang_web::auth::hash_password(PASSWORD).unwrap();
    s.store.upsert_user("ft_dz_duty", "区委区政府值班员", &hash, Role::Leader, unit.id).await.unwrap();
    "ft_dz_duty"
}

async fn queue(s: &TestServer, user: &str, query: &str) -> Vec<Value> {
    let (status, body) = s.get_as(user, &format!("/api/v1/urgent-reports{query}")).await;
    assert_eq!(status, StatusCode::OK, "{user}: {body}");
    body.as_array().unwrap().clone()
}

#[tokio::test]
async fn art25_report_reaches_county_party_government_and_city_bureau_only() {
    let s = TestServer::start().await;
    let number = reported_claim(&s).await;
    let dz = party_government_user(&s).await;

    // The event names the recipients, codes and names.
    let d = s.detail("ft_rst_head", &number).await;
    let report = d["history"].as_array().unwrap().iter().find(|e| e["action"] == "report_urgent").unwrap();
    let codes: Vec<&str> = report["payload"]["recipients"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["440304-DZ", "4403-XFJ"]);
    assert_eq!(report["payload"]["recipients"][0]["name"], "福田区委、区政府");

    // Both recipients see it in their queue, on time; the recipient can open the petition.
    let mine = queue(&s, dz, "").await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    let row = &mine[0];
    assert_eq!(row["number"], number.as_str());
    assert_eq!(row["title"], "公司拖欠工资");
    assert_eq!(row["reporting_unit"]["code"], "440304-RST");
    assert_eq!(row["summary"], "三十余名工人聚集，涉及群体性欠薪");
    assert_eq!(row["overdue"], false);
    assert!(row["acknowledged_at"].is_null());
    let city = queue(&s, "sz_clerk", "?pending=true").await;
    assert_eq!(city.len(), 1);
    assert_ne!(city[0]["id"], row["id"], "one row per recipient");
    let (status, _) = s.get_as(dz, &format!("/api/v1/petitions/{number}")).await;
    assert_eq!(status, StatusCode::OK, "a recipient may open the reported petition");

    // A sibling department sees nothing and cannot acknowledge (404, not 403).
    assert!(queue(&s, "ns_rst_head", "").await.is_empty());
    let id = row["id"].as_i64().unwrap();
    let (status, _) = s.post_as("ns_rst_head", &format!("/api/v1/urgent-reports/{id}/acknowledge"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nor can the other recipient acknowledge this unit's row.
    let (status, _) = s.post_as("sz_clerk", &format!("/api/v1/urgent-reports/{id}/acknowledge"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Acknowledged once; a second time is a conflict.
    let (status, ack) = s.post_as(dz, &format!("/api/v1/urgent-reports/{id}/acknowledge"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["acknowledged_by"], dz);
    assert!(ack["acknowledged_at"].is_string());
    let (status, err) = s.post_as(dz, &format!("/api/v1/urgent-reports/{id}/acknowledge"), json!({})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_acknowledged")), "{err}");
    assert!(queue(&s, dz, "?pending=true").await.is_empty());
    assert_eq!(queue(&s, dz, "").await.len(), 1, "acknowledged reports stay listed");
    assert_eq!(queue(&s, "sz_clerk", "?pending=true").await.len(), 1, "the city bureau's row is its own");

    // The acknowledgement is on the petition's hash chain.
    let d = s.detail("ft_rst_head", &number).await;
    let ack_event = d["history"].as_array().unwrap().iter().find(|e| e["action"] == "acknowledge_report").unwrap();
    assert_eq!(ack_event["payload"]["unit"], "440304-DZ");
    assert!(s.store.verify_chains().await.unwrap().is_empty());
    s.finish().await;
}

#[tokio::test]
async fn art25_unacknowledged_report_is_overdue_after_urgent_ack_hours() {
    let s = TestServer::start_configured(|c| c.settings.urgent_ack_hours = 0).await;
    let number = reported_claim(&s).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let overdue = queue(&s, "sz_clerk", "?overdue=true").await;
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0]["number"], number.as_str());
    assert_eq!(overdue[0]["overdue"], true);
    let id = overdue[0]["id"].as_i64().unwrap();
    let (status, _) = s.post_as("sz_clerk", &format!("/api/v1/urgent-reports/{id}/acknowledge"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue(&s, "sz_clerk", "?overdue=true").await.is_empty(), "acknowledged late is no longer pending");
    s.finish().await;
}

#[tokio::test]
async fn art25_urgent_queue_page_lists_and_acknowledges_with_csrf() {
    let s = TestServer::start_configured(|c| c.settings.urgent_ack_hours = 0).await;
    let number = reported_claim(&s).await;
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::limited(5)).build().unwrap();
    let html = c.get(format!("{}/staff/login", s.base)).send().await.unwrap().text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = c
        .post(format!("{}/staff/login", s.base))
        .form(&[("csrf", csrf.as_str()), ("username", "sz_clerk"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("href=\"/staff/reports\""), "nav link");
    let html = c.get(format!("{}/staff/reports", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains(&number) && html.contains("<span class=\"due overdue\">逾期未签收</span>"),
        "overdue report shown in red: {html}"
    );
    let id = queue(&s, "sz_clerk", "").await[0]["id"].as_i64().unwrap();
    // Without the CSRF token nothing happens.
    let r = c.post(format!("{}/staff/reports/{id}/acknowledge", s.base)).form(&[("csrf", "wrong")]).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("页面已过期"));
    assert!(queue(&s, "sz_clerk", "").await[0]["acknowledged_at"].is_null());
    let r = c.post(format!("{}/staff/reports/{id}/acknowledge", s.base)).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("已签收") && !html.contains("class=\"due overdue\""), "{html}");
    s.finish().await;
}
