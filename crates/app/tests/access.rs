//! Who sees and does what: the unit tree and the roles.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

async fn forwarded_to_futian_hr(s: &TestServer) -> String {
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim("孙八", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    number
}

#[tokio::test]
async fn a_unit_sees_its_own_and_its_subtree_never_a_sibling() {
    let s = TestServer::start().await;
    let number = forwarded_to_futian_hr(&s).await;
    let path = format!("/api/v1/petitions/{number}");
    // Involved units, their superiors, and the bureaus over the area see it.
    for user in ["ft_clerk", "ft_rst_officer", "sz_rst_reviewer", "gd_rst_reviewer", "sz_clerk", "gd_leader"] {
        let (status, body) = s.get_as(user, &path).await;
        assert_eq!(status, StatusCode::OK, "{user}: {body}");
    }
    // Siblings get a 404, not a 403: they must not learn it exists.
    for user in ["ns_rst_officer", "ns_clerk", "ft_zjt_officer", "ft_jw_officer"] {
        let (status, body) = s.get_as(user, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{user}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    // Listings follow the same rule.
    let (_, page) = s.get_as("ns_rst_officer", "/api/v1/petitions").await;
    assert_eq!(page["total"], 0);
    let (_, page) = s.get_as("ft_rst_officer", "/api/v1/petitions").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["number"], number.as_str());
    // A sibling cannot act on it either.
    let (status, _) = s.try_act("ns_rst_officer", &number, "accept", json!({"route": 6})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.finish().await;
}

#[tokio::test]
async fn roles_decide_who_may_act_within_a_unit() {
    let s = TestServer::start().await;
    let number = forwarded_to_futian_hr(&s).await;
    // The bureau cannot accept in the handling unit's place.
    let (status, _) = s.try_act("ft_clerk", &number, "accept", json!({"route": 6})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    // Art. 34, four eyes: the officer alone cannot extend; the request
    // waits in the head's queue, and only that unit's head may decide it.
    let (status, req) = s.try_act("ft_rst_officer", &number, "extend", json!({"days": 10, "reason": "复杂"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{req}");
    let id = req["approval_id"].as_i64().expect("approval id");
    let (status, _) = s.post_as("sz_rst_head", &format!("/api/v1/approvals/{id}/approve"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the head of another unit cannot approve");
    let (status, _) = s.post_as("ft_rst_officer", &format!("/api/v1/approvals/{id}/approve"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the requester cannot approve");
    // Naming an approver in the body is not a thing any more.
    let (status, err) =
        s.try_act("ft_rst_officer", &number, "extend", json!({"days": 10, "reason": "复杂", "approved_by": "ft_rst_head"})).await;
    assert_eq!((status, err["error"]["rule"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("art34")), "{err}");
    // The admin has no procedural powers.
    let (status, _) = s.try_act("admin", &number, "supervise", json!({"reason": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.finish().await;
}

#[tokio::test]
async fn tokens_are_required_checked_and_revocable() {
    let s = TestServer::start().await;
    let (status, body) = s.get("/api/v1/petitions", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
    let (status, _) = s.get("/api/v1/petitions", Some("forged-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = s.post("/api/v1/auth/login", None, json!({"username": "ft_clerk", "password": "wrong"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_credentials");
    let (status, body) = s.post("/api/v1/auth/login", None, json!({"username": "ft_clerk", "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK);
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(body["user"]["unit"]["code"], "440304-XFJ");
    let (status, me) = s.get("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "clerk");
    let (status, _) = s.post("/api/v1/auth/logout", Some(&token), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.get("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    s.finish().await;
}

#[tokio::test]
async fn the_petitioner_view_needs_the_right_code_and_hides_internal_acts() {
    let s = TestServer::start().await;
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("周九", "440304199001011233")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    let code = sub["query_code"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "report_urgent", json!({"summary": "涉及群体性欠薪"})).await;
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    let (status, _) = s.get(&format!("/api/v1/track/{number}?code=AAAAAAAA"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.get(&format!("/api/v1/track/{number}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, view) = s.get(&format!("/api/v1/track/{number}?code={}", code.to_lowercase()), None).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let actions: Vec<&str> = view["progress"].as_array().unwrap().iter().map(|p| p["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["submit", "forward"], "the urgent report is internal");
    assert!(view["notices"].as_array().unwrap().iter().any(|n| n["body"].as_str().unwrap().contains("转送")));
    assert_eq!(view["handling_unit"], "福田区人力资源和社会保障局");
    // Evaluation waits until a reply is delivered.
    let (status, err) = s.post(&format!("/api/v1/track/{number}/evaluation?code={code}"), None, json!({"rating": "satisfied"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    s.finish().await;
}
