//! Leaders owning cases (领导包案), triage tracks (马上办 / 限时办 / 提级办)
//! and escalation to the joint conference (issue 12, item 3): the three
//! roles visible on the petition, the leader's list, the rules of who may
//! do what, and the history — internal, never on the tracking page.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

async fn put(s: &TestServer, user: &str, path: &str, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
    let t = s.token(user).await;
    s.put(path, Some(&t), body).await
}

#[tokio::test]
async fn art18_a_leader_owns_the_case_and_the_three_roles_show_on_the_petition() {
    let s = TestServer::start().await;
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("冯二", "440304197503150015")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    let code = sub["query_code"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;

    // Who may assign, and whom.
    let (status, err) = put(&s, "ft_clerk", &format!("/api/v1/petitions/{number}/lead"), json!({"leader": "ft_head"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    let (status, err) = put(&s, "ft_supervisor", &format!("/api/v1/petitions/{number}/lead"), json!({"leader": "ft_rst_officer"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "not_a_leader");
    let (status, err) = put(&s, "ft_supervisor", &format!("/api/v1/petitions/{number}/lead"), json!({"leader": "ns_rst_head"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "leader_cannot_see");
    let (status, err) =
        put(&s, "ft_supervisor", &format!("/api/v1/petitions/{number}/lead"), json!({"leader": "ft_head", "note": "一周内召开协调会"}))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{err}");

    let (status, l) = s.get_as("ft_rst_officer", &format!("/api/v1/petitions/{number}/leadership")).await;
    assert_eq!(status, StatusCode::OK, "{l}");
    assert_eq!(l["accepting_unit"], "福田区信访局");
    assert_eq!(l["owner_leader"]["name"], "福田区信访局负责人");
    assert_eq!(l["handling_unit"], "福田区人力资源和社会保障局");
    let (_, mine) = s.get_as("ft_head", "/api/v1/leader/cases").await;
    assert_eq!(mine[0]["number"], number.as_str());

    // Tracks: 限时办 needs its date.
    let (status, err) = put(&s, "ft_head", &format!("/api/v1/petitions/{number}/track"), json!({"track": "time_limited"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["fields"][0]["field"], "due_on");
    let due = days_ahead(10);
    let (status, _) =
        put(&s, "ft_head", &format!("/api/v1/petitions/{number}/track"), json!({"track": "time_limited", "due_on": due})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, mine) = s.get_as("ft_head", "/api/v1/leader/cases").await;
    assert_eq!(mine[0]["track_label"], "限时办");
    assert_eq!(mine[0]["track_due_on"], due.as_str());

    // 提级办: to the area's joint conference, which records its coordination.
    let (status, err) = s.post_as("ft_head", &format!("/api/v1/petitions/{number}/escalations"), json!({"reason": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (status, esc) =
        s.post_as("ft_head", &format!("/api/v1/petitions/{number}/escalations"), json!({"reason": "涉及多个部门，区级难以协调"})).await;
    assert_eq!(status, StatusCode::CREATED, "{esc}");
    let id = esc["id"].as_i64().unwrap();
    // The same form sent again (a double click) does not escalate twice.
    let (status, err) =
        s.post_as("ft_head", &format!("/api/v1/petitions/{number}/escalations"), json!({"reason": "涉及多个部门，区级难以协调"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["error"]["code"], "already_escalated");
    let (status, err) = s
        .post_as(
            "ft_lxh_clerk",
            &format!("/api/v1/petitions/{number}/escalations/{id}/records"),
            json!({"text": "召开协调会，明确人社局牵头"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{err}");
    let (_, l) = s.get_as("ft_head", &format!("/api/v1/petitions/{number}/leadership")).await;
    assert_eq!(l["escalations"][0]["to_unit"], "福田区信访工作联席会议");
    assert_eq!(l["escalations"][0]["records"][0]["text"], "召开协调会，明确人社局牵头");

    // In the history, internal; the state and the timers are untouched.
    let d = s.detail("ft_head", &number).await;
    let actions: Vec<&str> = d["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in ["lead_assigned", "track_set", "escalated", "coordination_recorded"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert_eq!(d["state"], "handling");
    let (_, track) = s.get(&format!("/api/v1/track/{number}?code={code}"), None).await;
    let shown: Vec<&str> = track["progress"].as_array().unwrap().iter().map(|p| p["action"].as_str().unwrap()).collect();
    assert!(!shown.iter().any(|a| ["lead_assigned", "track_set", "escalated", "coordination_recorded"].contains(a)), "{shown:?}");
    // A unit that cannot see the petition learns nothing.
    let (status, _) = s.get_as("ns_clerk", &format!("/api/v1/petitions/{number}/leadership")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.finish().await;
}
