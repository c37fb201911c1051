//! Backlog clearance campaigns (积案化解, issue 12 item 3; Art. 18 领导包案
//! on a whole backlog). On a generated history, a district bureau lists
//! its area's petitions open for more than 90 days — exactly those a plain
//! query finds — puts its head on every one at once (each recorded on its
//! petition), and the progress follows the record: a listed petition
//! declined afterwards counts as resolved.

#![allow(clippy::unwrap_used)]

mod common;

use common::TestServer;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::{AnyPool, Row};
use std::collections::HashSet;
use xinfang::demo_history::HistorySpec;
use xinfang_domain::local_date;

#[tokio::test]
async fn art18_a_campaign_lists_the_backlog_and_owns_it_at_once() {
    let s = TestServer::start_configured(|c| c.ranking_schedule = String::new()).await;
    s.load_history(HistorySpec { petitions: 3_000, days: 400, seed: 3 }).await;
    let today = local_date(chrono::Utc::now());
    let cutoff = (today - chrono::Duration::days(90)).to_string();

    // The backlog by a plain query: open, received before the cutoff, registered or handled in 440304;
    // sealed accusations (Art. 30) are not listed in a bureau's campaign.
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(&s.database_url()).await.unwrap();
    let expected: HashSet<String> = sqlx::query(
        "SELECT p.number FROM petitions p WHERE p.received_on < $1 \
         AND p.state NOT IN ('closed', 'declined', 'redirected', 'not_reaccepted') AND p.category <> 'accusation' \
         AND (p.registered_unit_id IN (SELECT id FROM units WHERE jurisdiction LIKE '440304%') \
              OR p.handling_unit_id IN (SELECT id FROM units WHERE jurisdiction LIKE '440304%'))",
    )
    .bind(cutoff)
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect();
    pool.close().await;
    assert!(expected.len() > 20, "a backlog to clear: {}", expected.len());

    let target_on = (today + chrono::Duration::days(60)).to_string();
    for (body, code) in [
        (json!({"name": "", "older_than_days": 90, "target_percent": 80, "target_on": target_on}), "invalid_name"),
        (json!({"name": "x", "older_than_days": 30, "target_percent": 80, "target_on": target_on}), "invalid_age"),
        (json!({"name": "x", "older_than_days": 90, "target_percent": 0, "target_on": target_on}), "invalid_target"),
        (json!({"name": "x", "older_than_days": 90, "target_percent": 80, "target_on": today.to_string()}), "invalid_target_date"),
        (json!({"name": "x", "older_than_days": 90, "target_percent": 80, "target_on": "明年"}), "invalid_date"),
    ] {
        let (status, err) = s.post_as("ft_supervisor", "/api/v1/campaigns", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(err["error"]["code"], code, "{body}: {err}");
    }
    let (status, _) = s
        .post_as("ft_clerk", "/api/v1/campaigns", json!({"name": "x", "older_than_days": 90, "target_percent": 80, "target_on": target_on}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a clerk does not run campaigns");

    let (status, c) = s
        .post_as(
            "ft_supervisor",
            "/api/v1/campaigns",
            json!({"name": "冬季积案化解", "older_than_days": 90, "target_percent": 80, "target_on": target_on}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["total"].as_u64().unwrap() as usize, expected.len());
    assert_eq!(c["resolved"], 0);
    let (_, d) = s.get_as("ft_supervisor", &format!("/api/v1/campaigns/{id}")).await;
    let listed: HashSet<String> = d["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_string()).collect();
    assert_eq!(listed, expected);

    // A resent form (reload, double click) does not start a second campaign.
    let (status, again) = s
        .post_as(
            "ft_supervisor",
            "/api/v1/campaigns",
            json!({"name": "冬季积案化解", "older_than_days": 90, "target_percent": 80, "target_on": target_on}),
        )
        .await;
    assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_exists")));
    // A leader who does not exist, or of a sibling district who cannot see
    // the items, is refused before any item is assigned.
    let sibling = {
        let unit = s.store.load_units().await.unwrap().into_iter().find(|u| u.code == "440305-XFJ").unwrap();
        let hash = xinfang_web::auth::hash_password(common::PASSWORD).unwrap();
        s.store.upsert_user("test_ns_leader", "南山区信访局领导", &hash, xinfang_domain::role::Role::Leader, unit.id).await.unwrap();
        "test_ns_leader"
    };
    for (leader, code) in [("nobody", "unknown_leader"), (sibling, "leader_cannot_see")] {
        let (status, err) = s.post_as("ft_supervisor", &format!("/api/v1/campaigns/{id}/lead"), json!({"leader": leader})).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{err}");
        let (_, d) = s.get_as("ft_supervisor", &format!("/api/v1/campaigns/{id}")).await;
        assert_eq!(d["campaign"]["owned"], 0, "nothing half-assigned");
    }

    // The head owns every open item at once; each petition records it.
    let (status, b) =
        s.post_as("ft_supervisor", &format!("/api/v1/campaigns/{id}/lead"), json!({"leader": "ft_head", "note": "月底前逐件见面"})).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["assigned"].as_u64().unwrap() + b["skipped"].as_u64().unwrap(), expected.len() as u64);
    let (_, d) = s.get_as("ft_supervisor", &format!("/api/v1/campaigns/{id}")).await;
    assert!(d["items"].as_array().unwrap().iter().all(|i| i["leader"] == "福田区信访局负责人"), "every item owned");
    assert_eq!(d["campaign"]["owned"].as_u64().unwrap() as usize, expected.len());
    let first = d["items"][0]["number"].as_str().unwrap().to_string();
    let (_, led) = s.get_as("ft_supervisor", &format!("/api/v1/petitions/{first}/leadership")).await;
    assert_eq!(led["owner_leader"]["name"], "福田区信访局负责人", "{led}");
    let (_, again) = s.post_as("ft_supervisor", &format!("/api/v1/campaigns/{id}/lead"), json!({"leader": "ft_head"})).await;
    assert_eq!(again["assigned"], 0, "a second pass changes nothing");

    // A listed petition declined now counts as resolved.
    let mut declined = None;
    for i in d["items"].as_array().unwrap() {
        let number = i["number"].as_str().unwrap();
        let p = s.detail("ft_clerk", number).await;
        if p["state"] == "registered"
            && p["current_unit"]["code"] == "440304-XFJ"
            && p["category"] == "claim"
            && p["litigation_related"] == false
        {
            let (status, body) = s
                .try_act(
                    "ft_clerk",
                    number,
                    "decline",
                    json!({"ground": "statutory_procedure", "reason": "属于劳动争议仲裁范围", "proper_channel": "申请劳动争议仲裁"}),
                )
                .await;
            assert!(status.is_success(), "{body}");
            declined = Some(number.to_string());
            break;
        }
    }
    let declined = declined.expect("a stalled claim at the bureau in the backlog");
    let (_, d) = s.get_as("ft_supervisor", &format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(d["campaign"]["resolved"], 1);
    let item = d["items"].as_array().unwrap().iter().find(|i| i["number"] == declined.as_str()).unwrap();
    assert_eq!((item["resolved"].as_bool(), item["state_at_start"].as_str()), (Some(true), Some("registered")));

    // The city follows the district's campaign but does not run it; a
    // sibling district does not see it; the export reads back.
    let (status, _) = s.get_as("sz_supervisor", &format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.post_as("sz_supervisor", &format!("/api/v1/campaigns/{id}/lead"), json!({"leader": "sz_head"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let ns_head = {
        let unit = s.store.load_units().await.unwrap().into_iter().find(|u| u.code == "440305-XFJ").unwrap();
        let hash = xinfang_web::auth::hash_password(common::PASSWORD).unwrap();
        s.store.upsert_user("test_ns_head", "南山区信访局负责人", &hash, xinfang_domain::role::Role::UnitHead, unit.id).await.unwrap();
        "test_ns_head"
    };
    let (status, _) = s.get_as(ns_head, &format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let token = s.token("ft_supervisor").await;
    let r = s.client.get(format!("{}/api/v1/campaigns/{id}?format=csv", s.base)).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap().lines().count(), expected.len() + 1);
    s.finish().await;
}
