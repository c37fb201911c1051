//! Supervision cases (督办) and leaders' cases (包案) follow the view of
//! the petition they are about, read anew on every read (Art. 30): a claim
//! the district bureau registered, supervised and put under a leader, turns
//! out to be an accusation. Referred to the discipline body, the bureau may
//! only know it exists (its free texts withheld, a neutral title); once the
//! bureau itself is named as accused, it and the units above it must find
//! nothing at all.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use xinfang_web::views::WITHHELD;

const TITLE: &str = "反映区信访局窗口工作人员索要好处费";

fn find(list: &Value, id: &Value) -> Option<Value> {
    list.as_array().unwrap().iter().find(|c| c["id"] == *id).cloned()
}

#[tokio::test]
async fn art30_a_supervision_case_follows_the_accusations_seal() {
    let s = TestServer::start().await;
    let number = claim_by_the_bureau(&s, &today().to_string(), TITLE).await;
    let reason = "群众反映区信访局窗口人员索要好处费后才予登记，请核查";
    let suggestions = "请调取窗口监控录像并约谈当事人";
    let reply = "已调取录像，当事窗口人员承认收受财物";
    let (status, body) = s
        .post_as(
            "sz_supervisor",
            "/api/v1/supervision/cases",
            json!({"kind": "manual", "petition": number, "reason": reason, "suggestions": suggestions}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["supervised_unit"]["code"], "440304-XFJ");
    let id = body["id"].clone();
    let (status, body) = s.post_as("ft_clerk", &format!("/api/v1/supervision/cases/{id}/reply"), json!({"reply": reply})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Before: a claim, read in full by the supervised bureau.
    let (status, list) = s.get_as("ft_clerk", "/api/v1/supervision/cases?role=supervised").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let case = find(&list, &id).unwrap_or_else(|| panic!("the bureau lists its case: {list}"));
    assert_eq!(case["number"], number.as_str());
    assert_eq!(case["reason"], reason);
    assert_eq!(case["suggestions"], suggestions);
    assert_eq!(case["reply"], reply);
    let (status, d) = s.get_as("ft_clerk", &format!("/api/v1/supervision/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["history"][0]["note"], reason);
    assert_eq!(d["letters"].as_array().unwrap().len(), 1, "{d}");

    // Sealed: the bureau knows the case exists, not what it says.
    s.act("ft_clerk", &number, "classify", json!({"category": "accusation", "litigation_related": false, "reason": "反映工作人员违纪"}))
        .await;
    // From the classification on, the city bureau (not the registering
    // unit, no discipline body) must not learn of it: its own case is gone.
    let (_, list) = s.get_as("sz_supervisor", "/api/v1/supervision/cases?role=supervising").await;
    assert!(find(&list, &id).is_none(), "the city bureau lists a hidden accusation's case: {list}");
    let (status, body) = s.get_as("sz_supervisor", &format!("/api/v1/supervision/cases/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    s.act("ft_clerk", &number, "refer_discipline", json!({"unit": "440304-JW"})).await;
    assert_eq!(s.detail("ft_clerk", &number).await["view"], "sealed");
    let (_, list) = s.get_as("ft_clerk", "/api/v1/supervision/cases?role=supervised").await;
    let case = find(&list, &id).unwrap_or_else(|| panic!("a sealed accusation's case still exists for the bureau: {list}"));
    assert_eq!(case["reason"], WITHHELD, "{case}");
    assert_eq!(case["suggestions"], WITHHELD, "{case}");
    assert_eq!(case["reply"], WITHHELD, "{case}");
    for text in [reason, suggestions, reply] {
        assert!(!list.to_string().contains(text), "the list quotes the accusation: {list}");
    }
    let (status, d) = s.get_as("ft_clerk", &format!("/api/v1/supervision/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["reason"], WITHHELD, "{d}");
    assert!(d["history"].as_array().unwrap().iter().all(|h| h["note"] == WITHHELD || h["note"] == ""), "{d}");
    assert!(d["letters"].as_array().unwrap().is_empty(), "no material of a sealed accusation: {d}");
    for text in [reason, suggestions, reply] {
        assert!(!d.to_string().contains(text), "the detail quotes the accusation: {d}");
    }

    // Accused: as if the case never existed, to read or to act on.
    name_the_bureau_accused(&s, &number).await;
    for q in ["", "?role=supervised", "?open=true"] {
        let (status, list) = s.get_as("ft_clerk", &format!("/api/v1/supervision/cases{q}")).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert!(find(&list, &id).is_none(), "the accused bureau lists it ({q}): {list}");
    }
    let (status, body) = s.get_as("ft_clerk", &format!("/api/v1/supervision/cases/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = s.post_as("ft_head", &format!("/api/v1/supervision/cases/{id}/reply"), json!({"reply": "再次回复"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a 409 would tell the case exists: {body}");
    let (status, body) = s.post_as("sz_supervisor", &format!("/api/v1/supervision/cases/{id}/close"), json!({"note": "办结"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    s.finish().await;
}

#[tokio::test]
async fn art30_a_leaders_own_case_and_its_leadership_records_follow_the_accusations_seal() {
    let s = TestServer::start().await;
    let number = claim_by_the_bureau(&s, &today().to_string(), TITLE).await;
    let lead_note = "一周内约谈窗口全体人员";
    let track_note = "当天核实窗口收费情况";
    let esc_reason = "涉及区信访局自身人员，提请联席会议协调";
    let record = "联席会议决定由区纪委监委牵头核查窗口人员";
    let t = s.token("ft_supervisor").await;
    let (status, body) =
        s.put(&format!("/api/v1/petitions/{number}/lead"), Some(&t), json!({"leader": "ft_head", "note": lead_note})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let t = s.token("ft_head").await;
    let (status, body) =
        s.put(&format!("/api/v1/petitions/{number}/track"), Some(&t), json!({"track": "immediate", "note": track_note})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, esc) = s.post_as("ft_head", &format!("/api/v1/petitions/{number}/escalations"), json!({"reason": esc_reason})).await;
    assert_eq!(status, StatusCode::CREATED, "{esc}");
    let esc = esc["id"].as_i64().unwrap();
    let (status, body) =
        s.post_as("ft_lxh_clerk", &format!("/api/v1/petitions/{number}/escalations/{esc}/records"), json!({"text": record})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Before: the leader's list and the petition's block in full.
    let (_, mine) = s.get_as("ft_head", "/api/v1/leader/cases").await;
    let led = mine.as_array().unwrap().iter().find(|c| c["number"] == number.as_str()).unwrap_or_else(|| panic!("{mine}"));
    assert_eq!(led["title"], TITLE);
    let (status, l) = s.get_as("ft_head", &format!("/api/v1/petitions/{number}/leadership")).await;
    assert_eq!(status, StatusCode::OK, "{l}");
    assert_eq!(l["owner_leader"]["note"], lead_note);
    assert_eq!(l["track"]["note"], track_note);
    assert_eq!(l["escalations"][0]["reason"], esc_reason);
    assert_eq!(l["escalations"][0]["records"][0]["text"], record);

    // Sealed: a neutral title, the texts withheld.
    seal_as_accusation(&s, &number).await;
    assert_eq!(s.detail("ft_head", &number).await["view"], "sealed");
    let (_, mine) = s.get_as("ft_head", "/api/v1/leader/cases").await;
    let led = mine.as_array().unwrap().iter().find(|c| c["number"] == number.as_str()).unwrap_or_else(|| panic!("{mine}"));
    assert_eq!(led["title"], SEALED_TITLE, "{mine}");
    assert!(!mine.to_string().contains(TITLE), "{mine}");
    for user in ["ft_head", "ft_clerk"] {
        let (status, l) = s.get_as(user, &format!("/api/v1/petitions/{number}/leadership")).await;
        assert_eq!(status, StatusCode::OK, "{user}: {l}");
        assert_eq!(l["owner_leader"]["note"], WITHHELD, "{user}: {l}");
        assert_eq!(l["track"]["note"], WITHHELD, "{user}: {l}");
        assert_eq!(l["escalations"][0]["reason"], WITHHELD, "{user}: {l}");
        assert_eq!(l["escalations"][0]["records"][0]["text"], WITHHELD, "{user}: {l}");
        for text in [lead_note, track_note, esc_reason, record] {
            assert!(!l.to_string().contains(text), "{user} reads the accusation's records: {l}");
        }
    }
    // The discipline body, which handles it, reads them in full.
    let (status, l) = s.get_as("ft_jw_officer", &format!("/api/v1/petitions/{number}/leadership")).await;
    assert_eq!(status, StatusCode::OK, "{l}");
    assert_eq!(l["escalations"][0]["reason"], esc_reason, "{l}");
    // A unit that sees it sealed no longer directs it: no lead, track,
    // escalation or record (which leaders it could name would hint at who
    // is accused).
    let t = s.token("ft_supervisor").await;
    let (status, err) = s.put(&format!("/api/v1/petitions/{number}/lead"), Some(&t), json!({"leader": "sz_head"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    let t = s.token("ft_head").await;
    let (status, err) = s.put(&format!("/api/v1/petitions/{number}/track"), Some(&t), json!({"track": "immediate", "note": "再核"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    let (status, err) = s.post_as("ft_head", &format!("/api/v1/petitions/{number}/escalations"), json!({"reason": esc_reason})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");

    // Accused: the case leaves the leader's list, the block is a 404.
    name_the_bureau_accused(&s, &number).await;
    let (status, mine) = s.get_as("ft_head", "/api/v1/leader/cases").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert!(!mine.as_array().unwrap().iter().any(|c| c["number"] == number.as_str()), "the accused's leader lists it: {mine}");
    for user in ["ft_head", "ft_clerk"] {
        let (status, body) = s.get_as(user, &format!("/api/v1/petitions/{number}/leadership")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{user}: {body}");
    }
    s.finish().await;
}
