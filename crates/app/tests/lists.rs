//! Lists read from the viewer rows (issue 9, migration 16): the state,
//! category and topic they carry and the "now with this unit" flag behind
//! each inbox follow every act, on both sides of a forward, and the counts
//! agree with the pages.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn listed(page: &Value, number: &str) -> bool {
    page["items"].as_array().unwrap().iter().any(|i| i["number"] == number)
}

async fn list(s: &TestServer, user: &str, query: &str) -> Value {
    let (status, page) = s.get_as(user, &format!("/api/v1/petitions?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {page}");
    // The capped total counts what the pages hold (a small database: exact).
    let n = page["items"].as_array().unwrap().len() as i64;
    if page["next_cursor"].is_null() && !query.contains("page=") {
        assert_eq!(page["total"].as_i64().unwrap(), n, "{query}: total and page disagree: {page}");
    }
    page
}

#[tokio::test]
async fn viewer_keys_and_the_inbox_follow_every_act() {
    let s = TestServer::start_with(false).await;
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim("周九", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let state0 = s.detail("ft_clerk", &number).await["state"].as_str().unwrap().to_string();

    // With the district bureau: in its inbox, found by its state, category and topic.
    assert!(listed(&list(&s, "ft_clerk", "unit=440304-XFJ&sort=due").await, &number));
    assert!(listed(&list(&s, "ft_clerk", "unit=440304-XFJ").await, &number));
    assert!(listed(&list(&s, "ft_clerk", &format!("state={state0}")).await, &number));
    assert!(listed(&list(&s, "ft_clerk", "category=claim").await, &number));
    assert!(!listed(&list(&s, "ft_clerk", "category=suggestion").await, &number));
    assert!(listed(&list(&s, "ft_clerk", "topic=0202").await, &number));
    assert!(listed(&list(&s, "ft_clerk", &format!("topic=0202&state={state0}")).await, &number));
    assert!(!listed(&list(&s, "ft_clerk", "topic=0101").await, &number));

    // Forwarded: out of the bureau's inbox, into the department's; the old
    // state no longer finds it anywhere, the new one does.
    let r = s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    let state1 = r["state"].as_str().unwrap().to_string();
    assert_ne!(state0, state1);
    for sort in ["sort=due", "sort=registered"] {
        assert!(!listed(&list(&s, "ft_clerk", &format!("unit=440304-XFJ&{sort}")).await, &number), "left the bureau's inbox ({sort})");
        assert!(listed(&list(&s, "ft_rst_officer", &format!("unit=440304-RST&{sort}")).await, &number), "in the department's ({sort})");
    }
    for user in ["ft_clerk", "ft_rst_officer"] {
        assert!(!listed(&list(&s, user, &format!("state={state0}")).await, &number), "{user}: old state");
        assert!(listed(&list(&s, user, &format!("state={state1}")).await, &number), "{user}: new state");
        assert!(listed(&list(&s, user, &format!("topic=0202&state={state1}")).await, &number), "{user}: topic and state");
    }
    // The bureau still sees it (it forwarded it), outside its inbox.
    assert!(listed(&list(&s, "ft_clerk", "").await, &number));
    // Another district's bureau sees none of it, whatever the filter.
    assert!(!listed(&list(&s, "ns_clerk", &format!("state={state1}")).await, &number));
    assert!(!listed(&list(&s, "ns_clerk", "category=claim").await, &number));

    // Accepted by the department: the state moves in every viewer row.
    let r = s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    let state2 = r["state"].as_str().unwrap().to_string();
    assert!(listed(&list(&s, "ft_clerk", &format!("state={state2}")).await, &number));
    assert!(!listed(&list(&s, "ft_clerk", &format!("state={state1}")).await, &number));
    assert!(listed(&list(&s, "ft_rst_officer", &format!("unit=440304-RST&state={state2}")).await, &number));
    s.finish().await;
}
