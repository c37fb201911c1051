//! Intake: validation, attachments, repeats, and nothing half-written.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

async fn count(s: &TestServer) -> i64 {
    let (_, page) = s.get_as("gd_leader", "/api/v1/petitions").await;
    page["total"].as_i64().unwrap()
}

#[tokio::test]
async fn art20_a_collective_visit_has_at_most_five_representatives() {
    let s = TestServer::start().await;
    let reps: Vec<_> = (1..=6).map(|i| json!({"name": format!("代表{i}"), "representative": true, "address": "福田区"})).collect();
    let mut v = letter(&today().to_string());
    v["channel"] = json!("visit");
    v["collective"] = json!(true);
    v["headcount"] = json!(40);
    v["petitioners"] = json!(reps);
    let (status, err) = s.post_as("ft_clerk", "/api/v1/petitions", v.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "too_many_representatives");
    assert!(err["error"]["message"].as_str().unwrap().contains("第二十条"));
    assert_eq!(count(&s).await, 0, "nothing half-written");
    v["petitioners"].as_array_mut().unwrap().pop();
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let d = s.detail("ft_clerk", sub["number"].as_str().unwrap()).await;
    assert_eq!(d["collective"], true);
    assert_eq!(d["headcount"], 40);
    assert_eq!(d["petitioners"].as_array().unwrap().len(), 5);
    assert_eq!(d["channel"], "visit");
    s.finish().await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_chinese_error() {
    let s = TestServer::start().await;
    let cases = [
        ("request", json!(""), "field_required"),
        ("jurisdiction", json!("999999"), "unknown_jurisdiction"),
        ("jurisdiction", json!("44x"), "invalid_jurisdiction"),
        ("category", json!("complaint"), "invalid_category"),
        ("topic", json!("9999"), "unknown_topic"),
        ("channel", json!("letter"), "channel_not_allowed"),
        ("received_on", json!("2026-01-01"), "field_not_allowed"),
        ("title", json!("长".repeat(101)), "field_too_long"),
    ];
    for (field, value, code) in cases {
        let mut v = online_claim("吴十", "440304199001011233");
        v[field] = value;
        let (status, err) = s.post("/api/v1/petitions", None, v).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {err}");
        assert_eq!(err["error"]["code"], code, "{field}: {err}");
        let msg = err["error"]["message"].as_str().unwrap();
        assert!(msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "Chinese message: {msg}");
    }
    // Several invalid fields at once: every one of them is named, the
    // class among them.
    let mut v = online_claim("吴十", "440304199001011233");
    for (field, value) in [("title", json!("")), ("request", json!("")), ("category", json!("x")), ("jurisdiction", json!("zz"))] {
        v[field] = value;
    }
    let (status, err) = s.post("/api/v1/petitions", None, v).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let named: Vec<&str> = err["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for field in ["category", "title", "request", "jurisdiction"] {
        assert!(named.contains(&field), "{field} in {err}");
    }
    let mut v = online_claim("吴十", "440304199001011234");
    v["petitioners"][0]["id_number"] = json!("440304199001011234");
    let (status, err) = s.post("/api/v1/petitions", None, v.clone()).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_id_number")));
    // Several faults are all listed, each with its field.
    v["request"] = json!("");
    v["petitioners"][0]["phone"] = json!("电话");
    let (_, err) = s.post("/api/v1/petitions", None, v).await;
    let fields: Vec<&str> = err["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["request", "petitioners.id_number", "petitioners.phone"]);
    // Malformed JSON, wrong content type, unknown fields.
    let resp = s
        .client
        .post(format!("{}/api/v1/petitions", s.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_json");
    let resp = s.client.post(format!("{}/api/v1/petitions", s.base)).body("x").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut v = online_claim("吴十", "440304199001011233");
    v["is_admin"] = json!(true);
    let (status, _) = s.post("/api/v1/petitions", None, v).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Unknown action, and an action body of the wrong shape.
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("吴十", "440304199001011233")).await;
    let number = sub["number"].as_str().unwrap();
    let (status, err) = s.try_act("ft_clerk", number, "teleport", json!({})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_action")));
    let (status, err) = s.try_act("ft_clerk", number, "forward", json!({"unit": 5})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")));
    assert_eq!((err["error"]["rule"].as_str(), err["error"]["fields"][0]["field"].as_str()), (Some("art22"), Some("unit")));
    let (status, _) = s.try_act("ft_clerk", number, "forward", json!({"unit": "440304-RST", "occurred_on": "2999-01-01"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&s).await, 1);
    s.finish().await;
}

#[tokio::test]
async fn attachments_are_typed_by_content_and_stored_with_the_petition() {
    let s = TestServer::start().await;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut v = online_claim("郑一", "440304199001011233");
    v["attachments"] = json!([{"filename": "工资条.pdf", "content_base64": b64(b"MZ\x90\x00 not a pdf")}]);
    let (status, err) = s.post("/api/v1/petitions", None, v.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"]["code"], "attachment_type_not_allowed");
    assert_eq!(count(&s).await, 0);
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF";
    v["attachments"] = json!([{"filename": "工资条.pdf", "content_base64": b64(pdf)}]);
    let (status, sub) = s.post("/api/v1/petitions", None, v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap();
    let d = s.detail("ft_clerk", number).await;
    let att = &d["attachments"][0];
    assert_eq!(att["content_type"], "application/pdf");
    assert_eq!(att["size"], pdf.len());
    let t = s.token("ft_clerk").await;
    let resp =
        s.client.get(format!("{}/api/v1/petitions/{number}/attachments/{}", s.base, att["id"])).bearer_auth(&t).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), pdf);
    s.finish().await;
}

#[tokio::test]
async fn repeat_petition_is_linked_and_art19_para3_refuses_it_upward() {
    let s = TestServer::start().await;
    let (_, first) = s.post("/api/v1/petitions", None, online_claim("冯二", "440304199001011233")).await;
    let first_no = first["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &first_no, "forward", json!({"unit": "440304-RST"})).await;
    // The same matter again at the same bureau: registered, marked as a repeat.
    let (status, again) = s.post("/api/v1/petitions", None, online_claim("冯二", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    // The anonymous submitter learns nothing about other petitions; the
    // bureau that sees both has the link.
    assert!(again["repeat_of"].is_null(), "{again}");
    let d = s.detail("ft_clerk", again["number"].as_str().unwrap()).await;
    assert_eq!(d["repeat_of"], first_no.as_str());
    // Brought to the city bureau while the district is handling it: refused.
    let mut up = letter(&today().to_string());
    up["petitioners"] = online_claim("冯二", "440304199001011233")["petitioners"].clone();
    // Nothing disappears: it is registered with a number, as 不予受理, and
    // the written notice cites the article.
    let (status, refused) = s.post_as("sz_clerk", "/api/v1/petitions", up.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{refused}");
    assert_eq!(refused["state"], "declined");
    assert_eq!(refused["refused"]["rule"], "art19_3");
    assert_eq!(refused["refused"]["ground"], "already_in_process");
    assert_eq!(refused["refused"]["earlier"], first_no.as_str());
    assert!(refused["refused"]["notice"].as_str().unwrap().contains("第十九条第三款"));
    let d = s.detail("sz_clerk", refused["number"].as_str().unwrap()).await;
    assert_eq!(d["decline_ground"], "already_in_process");
    // New facts stated by a clerk alone do not open the door (four eyes)…
    up["new_facts_reason"] = json!("信访人提交了新的劳动仲裁裁决书");
    let (_, still) = s.post_as("sz_clerk", "/api/v1/petitions", up.clone()).await;
    assert_eq!(still["state"], "declined", "{still}");
    // …the unit head's do.
    let (status, ok) = s.post_as("sz_head", "/api/v1/petitions", up).await;
    assert_eq!((status, ok["state"].as_str()), (StatusCode::CREATED, Some("registered")));
    s.finish().await;
}

#[tokio::test]
async fn concurrent_submissions_get_distinct_numbers() {
    let s = std::sync::Arc::new(TestServer::start().await);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut v = online_claim(&format!("并发{i}"), "440304199001011233");
            v["petitioners"][0]["id_number"] = serde_json::Value::Null;
            v["facts_and_reasons"] = json!(format!("第{i}件：{}", "独立事项".repeat(i + 1)));
            let (status, body) = s.post("/api/v1/petitions", None, v).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            body["number"].as_str().unwrap().to_string()
        }));
    }
    let mut numbers = std::collections::BTreeSet::new();
    for t in tasks {
        numbers.insert(t.await.unwrap());
    }
    assert_eq!(numbers.len(), 20);
    assert_eq!(count(&s).await, 20);
    if let Ok(s) = std::sync::Arc::try_unwrap(s) {
        s.finish().await;
    }
}

/// The same submission sent again — Back and 提交 once more, a reloaded
/// form with a fresh token — is the petition already filed: refused with
/// 409, nothing written, and the citizen is not told another petition's
/// number. Once the first has been acted on, or re-worded, or filed by
/// someone else, it is a new petition.
#[tokio::test]
async fn the_same_submission_sent_again_is_one_petition() {
    let s = TestServer::start().await;
    let (status, first) = s.post("/api/v1/petitions", None, online_claim("柏一", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let first_no = first["number"].as_str().unwrap().to_string();
    let before = count(&s).await;
    let (status, again) = s.post("/api/v1/petitions", None, online_claim("柏一", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["error"]["code"], "already_submitted");
    let message = again["error"]["message"].as_str().unwrap();
    assert!(message.contains("请勿重复提交") && !message.contains(&first_no), "{message}");
    assert_eq!(count(&s).await, before, "nothing written");
    // Another person with the same words: a petition of their own.
    let (status, other) = s.post("/api/v1/petitions", None, online_claim("柏二", "440304197503150015")).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    // Re-worded: a new petition (a repeat, for the repeat rules to judge).
    let mut reworded = online_claim("柏一", "440304199001011233");
    reworded["title"] = json!("公司至今未付工资");
    let (status, _) = s.post("/api/v1/petitions", None, reworded).await;
    assert_eq!(status, StatusCode::CREATED);
    // Once the first is forwarded, the same words again are a new petition.
    s.act("ft_clerk", &first_no, "forward", json!({"unit": "440304-RST"})).await;
    let (status, later) = s.post("/api/v1/petitions", None, online_claim("柏一", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CREATED, "{later}");
    // A clerk's registrations are not judged so: the same call noted twice
    // is registered, and linked to the first as a repeat.
    let body = letter(&today().to_string());
    let (status, reg) = s.post_as("ft_clerk", "/api/v1/petitions", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{reg}");
    let (status, twice) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{twice}");
    s.finish().await;
}
