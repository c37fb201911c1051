//! Sealed accusations (Art. 30, 46) and confidentiality over HTTP.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

/// An accusation against the 福田区 HR bureau, referred to the district
/// discipline body.
async fn sealed_accusation(s: &TestServer) -> String {
    let mut v = letter(&today().to_string());
    v["category"] = json!("accusation");
    v["title"] = json!("反映区人社局工作人员索要好处费");
    v["facts_and_reasons"] = json!("办理工伤认定时，经办人员暗示需要“打点”，本人拒绝后材料被一再退回。");
    v["accused"] = json!({"name": "某经办人员", "unit": "福田区人力资源和社会保障局", "unit_code": "440304-RST"});
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let d = s.detail("ft_clerk", &number).await;
    assert_eq!(d["view"], "full", "the registering bureau routes it");
    s.act("ft_clerk", &number, "refer_discipline", json!({"unit": "440304-JW"})).await;
    number
}

#[tokio::test]
async fn art30_the_accused_unit_and_its_superiors_get_404_for_everything() {
    let s = TestServer::start().await;
    let number = sealed_accusation(&s).await;
    for user in ["ft_rst_officer", "ft_rst_head", "sz_rst_reviewer", "sz_rst_head", "sz_rst_officer", "gd_rst_reviewer", "gd_rst_head"] {
        let (status, body) = s.get_as(user, &format!("/api/v1/petitions/{number}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{user}: {body}");
        let (_, page) = s.get_as(user, "/api/v1/petitions").await;
        assert!(!page["items"].as_array().unwrap().iter().any(|i| i["number"] == number.as_str()), "{user} lists it");
        let (status, _) = s.post_as(user, &format!("/api/v1/petitions/{number}/unmask"), json!({"reason": "查看"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{user} unmask");
    }
    // Every action, from the accused unit's handling officer: 404, never a
    // 403 or 409 that would reveal the petition exists.
    for action in xinfang_domain::procedure::actions::ACTIONS.iter().map(|a| a.name) {
        let (status, body) = s.try_act("ft_rst_officer", &number, action, json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}: {body}");
    }
    s.finish().await;
}

#[tokio::test]
async fn art30_only_the_discipline_body_and_units_it_names_see_the_material() {
    let s = TestServer::start().await;
    let number = sealed_accusation(&s).await;
    // The discipline body sees everything and may unmask.
    let d = s.detail("ft_jw_officer", &number).await;
    assert_eq!(d["view"], "full");
    assert_eq!(d["petitioners"][0]["name"], "李四");
    assert!(d["facts_and_reasons"].as_str().unwrap().contains("打点"));
    let (status, _) = s.post_as("ft_jw_officer", &format!("/api/v1/petitions/{number}/unmask"), json!({"reason": "联系检举人"})).await;
    assert_eq!(status, StatusCode::OK);
    // The bureaus that routed or oversee it see only that it exists.
    for user in ["ft_clerk", "sz_clerk", "gd_leader"] {
        let d = s.detail(user, &number).await;
        assert_eq!(d["view"], "sealed", "{user}");
        assert_eq!(d["petitioners"][0]["name"], "[保密]");
        assert!(!d.to_string().contains("打点"), "{user} sees the material");
        assert!(d["accused"].is_null());
        let (status, _) = s.post_as(user, &format!("/api/v1/petitions/{number}/unmask"), json!({"reason": "查看"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }
    // The discipline body names the housing bureau; the accused's chain cannot be named.
    s.act("ft_jw_officer", &number, "accept", json!({})).await;
    let (status, err) = s.try_act("ft_jw_officer", &number, "disclose", json!({"unit": "4403-RST", "reason": "协查"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["error"]["rule"], "art30");
    s.act("ft_jw_officer", &number, "disclose", json!({"unit": "440304-ZJT", "reason": "协助核查相关工程"})).await;
    let d = s.detail("ft_zjt_officer", &number).await;
    assert_eq!(d["view"], "full");
    s.finish().await;
}

#[tokio::test]
async fn confidential_petitioner_identity_only_for_registering_bureau_and_handling_officer() {
    let s = TestServer::start().await;
    let mut v = online_claim("保密人", "440304199001011233");
    v["confidential"] = json!(true);
    let (_, sub) = s.post("/api/v1/petitions", None, v).await;
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    for user in ["ft_clerk", "ft_rst_officer", "ft_rst_head"] {
        let d = s.detail(user, &number).await;
        assert_eq!(d["view"], "full", "{user}");
        assert_eq!(d["petitioners"][0]["name"], "保密人");
    }
    for user in ["sz_clerk", "sz_rst_reviewer", "gd_leader"] {
        let d = s.detail(user, &number).await;
        assert_eq!(d["view"], "identity_hidden", "{user}");
        assert_eq!(d["petitioners"][0]["name"], "[保密]");
        assert!(d["petitioners"][0]["phone"].is_null());
        assert!(d["facts_and_reasons"].as_str().unwrap().contains("停发工资"), "the matter itself stays visible");
        let (status, _) = s.post_as(user, &format!("/api/v1/petitions/{number}/unmask"), json!({"reason": "查看"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    s.finish().await;
}

/// Art. 21 with confidentiality: a new query code goes to the one who asks
/// only after a clerk checks the asker against the petitioner, so only a
/// unit that sees who the petitioner is may reissue it. The city bureau,
/// which may act on its district's matters but sees this one identity
/// hidden, may not; the registering bureau may.
#[tokio::test]
async fn art21_a_confidential_petitioners_code_is_reissued_only_by_a_unit_that_sees_the_petitioner() {
    let s = TestServer::start().await;
    let mut v = online_claim("保密人", "440304199001011233");
    v["confidential"] = json!(true);
    let (_, sub) = s.post("/api/v1/petitions", None, v).await;
    let number = sub["number"].as_str().unwrap().to_string();
    let old = sub["query_code"].as_str().unwrap().to_string();
    let d = s.detail("sz_clerk", &number).await;
    assert_eq!(d["view"], "identity_hidden", "{d}");
    assert!(
        !d["available_actions"].as_array().unwrap().iter().any(|a| a["name"] == "reissue_query_code"),
        "not offered to a unit that cannot check the asker: {}",
        d["available_actions"]
    );
    let (status, err) = s.try_act("sz_clerk", &number, "reissue_query_code", json!({"reason": "来电自称本人"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    let (status, _) = s.get(&format!("/api/v1/track/{number}?code={old}"), None).await;
    assert_eq!(status, StatusCode::OK, "the refused reissue changed nothing");
    let d = s.detail("ft_clerk", &number).await;
    assert_eq!(d["view"], "full", "{d}");
    let r = s.act("ft_clerk", &number, "reissue_query_code", json!({"reason": "信访人持身份证到窗口申请，已核对"})).await;
    let new = r["query_code"].as_str().unwrap_or_else(|| panic!("{r}"));
    let (status, _) = s.get(&format!("/api/v1/track/{number}?code={new}"), None).await;
    assert_eq!(status, StatusCode::OK);
    s.finish().await;
}

#[tokio::test]
async fn lists_and_exports_show_masked_personal_data_and_search_uses_keyed_hashes() {
    let s = TestServer::start().await;
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("王五", "440304197503150015")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    let sealed = sealed_accusation(&s).await;
    let (_, page) = s.get_as("ft_clerk", "/api/v1/petitions").await;
    let row = page["items"].as_array().unwrap().iter().find(|i| i["number"] == number.as_str()).unwrap().clone();
    assert_eq!(row["petitioner_name"], "王*");
    assert_eq!(row["petitioner_id_number"], "4403**********0015");
    assert_eq!(row["petitioner_phone"], "138****8000");
    let srow = page["items"].as_array().unwrap().iter().find(|i| i["number"] == sealed.as_str()).unwrap().clone();
    assert_eq!(srow["title"], "检举控告事项", "a sealed accusation's title is withheld");
    assert_eq!(srow["petitioner_name"], "[保密]");
    // Search by phone or identity number, matched on keyed hashes.
    let (_, found) = s.get_as("ft_clerk", "/api/v1/petitions?phone=138-0013-8000").await;
    assert!(found["items"].as_array().unwrap().iter().any(|i| i["number"] == number.as_str()));
    let (_, found) = s.get_as("ft_clerk", "/api/v1/petitions?id_number=440304197503150015").await;
    assert_eq!(found["total"], 1);
    let (_, none) = s.get_as("ft_clerk", "/api/v1/petitions?id_number=11010519491231002X").await;
    assert_eq!(none["total"], 0);
    // The export streams the same rows, masked.
    let resp = s.client.get(format!("{}/api/v1/petitions/export.csv", s.base)).bearer_auth(s.token("ft_clerk").await).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = resp.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("4403**********0015") && csv.contains("138****8000"), "{csv}");
    assert!(!csv.contains("440304197503150015") && !csv.contains("13800138000"));
    assert!(!csv.contains("好处费"), "sealed title not exported");
    assert_eq!(csv.lines().count(), 3, "header and two rows");
    // Read by people: Chinese terms and Beijing time, as on the pages.
    let row = csv.lines().find(|l| l.starts_with(number.as_str())).unwrap();
    let cols: Vec<&str> = row.split(',').collect();
    let (_, d) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{number}")).await;
    let registered = chrono::DateTime::parse_from_rfc3339(d["registered_at"].as_str().unwrap()).unwrap();
    let local = registered.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).format("%Y-%m-%d %H:%M").to_string();
    assert_eq!(&cols[1..4], [local.as_str(), "网上信访", "申诉求决类"], "{row}");
    // The accused unit's chain sees neither row nor export line of the accusation.
    let resp =
        s.client.get(format!("{}/api/v1/petitions/export.csv", s.base)).bearer_auth(s.token("sz_rst_reviewer").await).send().await.unwrap();
    assert!(!resp.text().await.unwrap().contains(&sealed));
    s.finish().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused_and_markup_is_kept_inert() {
    let s = TestServer::start().await;
    let big = "x".repeat(300 * 1024);
    let (status, body) = s.post("/api/v1/auth/login", None, json!({"username": big, "password": "x"})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "body_too_large");
    let mut v = online_claim("<img src=x onerror=alert(1)>", "440304199001011233");
    v["title"] = json!("<script>alert('xss')</script>拖欠工资");
    let (status, sub) = s.post("/api/v1/petitions", None, v).await;
    assert_eq!(status, StatusCode::CREATED);
    let resp = s
        .client
        .get(format!("{}/api/v1/petitions/{}", s.base, sub["number"].as_str().unwrap()))
        .bearer_auth(s.token("ft_clerk").await)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    let d: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(d["title"], "<script>alert('xss')</script>拖欠工资", "stored as data, served as JSON, never as markup");
    s.finish().await;
}

/// The alert raised with `number` at its registration, in `user`'s list
/// of risk alerts, open or not.
async fn risk_alert_of(s: &TestServer, user: &str, number: &str) -> Option<serde_json::Value> {
    let (status, alerts) = s.get_as(user, "/api/v1/risk-alerts?open=false").await;
    assert_eq!(status, StatusCode::OK, "{alerts}");
    alerts.as_array().unwrap().iter().find(|a| a["number"] == number && a["raised_by_hand"] == false).cloned()
}

#[tokio::test]
async fn art30_a_risk_alert_is_sealed_with_its_accusation_and_gone_once_its_unit_is_accused() {
    let s = TestServer::start().await;
    // A letter the bureau registers: a danger in it raises an alert for the bureau.
    let mut v = letter(&today().to_string());
    v["title"] = json!("反映区信访局工作人员推诿不登记");
    v["facts_and_reasons"] = json!("区信访局窗口一名工作人员收了对方的好处，三次推诿不给登记。再不处理，我就从区政府楼顶跳下去。");
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let alert = risk_alert_of(&s, "ft_clerk", &number).await.expect("an alert for the registering bureau");
    assert_eq!(alert["title"], "反映区信访局工作人员推诿不登记");
    assert!(alert["signals"].to_string().contains("跳"), "{alert}");
    let id = alert["id"].as_i64().unwrap();
    // A second alert, raised by hand and dismissed: both reasons quote the matter.
    let (status, raised) = s
        .post_as(
            "ft_clerk",
            &format!("/api/v1/petitions/{number}/risk-alerts"),
            json!({"kind": "gathering", "level": "elevated", "reason": "来电称窗口人员收好处后要带人来闹"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{raised}");
    let (status, body) = s
        .post_as(
            "ft_clerk",
            &format!("/api/v1/risk-alerts/{}/dismiss", raised["id"]),
            json!({"reason": "已回访，窗口人员好处费一事另行核查"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Found to be an accusation and referred: the bureau may know only that
    // it exists, so its alerts keep the level and kinds, not the words or reasons.
    seal_as_accusation(&s, &number).await;
    let alert = risk_alert_of(&s, "ft_clerk", &number).await.expect("a sealed accusation's alert is still listed");
    assert_eq!(alert["title"], "检举控告事项");
    assert_eq!(alert["level"], "urgent");
    let signals = alert["signals"].as_array().unwrap();
    assert!(!signals.is_empty() && signals.iter().all(|g| g["kind"].is_string()), "{alert}");
    assert!(signals.iter().all(|g| g["words"] == json!([]) && g["passages"] == json!([])), "{alert}");
    let (_, all) = s.get_as("ft_clerk", "/api/v1/risk-alerts?open=false").await;
    let by_hand = all.as_array().unwrap().iter().find(|a| a["id"] == raised["id"]).unwrap_or_else(|| panic!("{all}"));
    assert_eq!((by_hand["raise_reason"].as_str(), by_hand["dismiss_reason"].as_str()), (Some("[依规不予显示]"), Some("[依规不予显示]")));
    for quoted in ["推诿", "好处", "跳", "楼顶", "闹"] {
        assert!(!all.to_string().contains(quoted), "{quoted} in {all}");
    }
    // The discipline body names the bureau itself as accused: the alert is
    // gone from it, and cannot be dismissed by it (404, as for the petition).
    name_the_bureau_accused(&s, &number).await;
    let (_, all) = s.get_as("ft_clerk", "/api/v1/risk-alerts?open=false").await;
    assert!(!all.to_string().contains(&number), "the accused unit lists its alerts: {all}");
    let (status, body) = s
        .post_as(
            "ft_supervisor",
            &format!("/api/v1/risk-alerts/{id}/dismiss"),
            json!({"reason": "已电话回访，情绪稳定", "verdict": "false_alarm"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (c, _) = browser(&s, "ft_clerk").await;
    let page = c.get(format!("{}/staff/risk-alerts?all=true", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("风险提示") && !page.contains(&number), "the workbench lists it: {page}");
    s.finish().await;
}

#[tokio::test]
async fn art30_a_request_waiting_for_the_head_is_sealed_with_its_accusation_and_gone_once_its_unit_is_accused() {
    let s = TestServer::start().await;
    let mut v = letter(&days_ago(3));
    v["title"] = json!("反映区信访局窗口人员索要好处");
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    // A forwarding done on paper two days ago waits for the head.
    let (status, req) = s
        .try_act(
            "ft_clerk",
            &number,
            "forward",
            with_evidence(json!({"unit": "440304-RST", "occurred_on": days_ago(2), "note": "窗口人员索要好处一事"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{req}");
    let id = req["approval_id"].as_i64().unwrap();
    let queued = |queue: &serde_json::Value| queue.as_array().unwrap().iter().find(|a| a["id"] == id).cloned();
    let (_, queue) = s.get_as("ft_head", "/api/v1/approvals").await;
    assert_eq!(queued(&queue).expect("in the head's queue")["title"], "反映区信访局窗口人员索要好处");
    // Found to be an accusation and referred: the head may know only that it exists.
    seal_as_accusation(&s, &number).await;
    let (_, queue) = s.get_as("ft_head", "/api/v1/approvals?pending=false").await;
    let item = queued(&queue).expect("a sealed accusation's request is still listed");
    assert_eq!(item["title"], "检举控告事项");
    assert_eq!(item["body"], json!({}), "{item}");
    assert!(!queue.to_string().contains("好处"), "{queue}");
    // The bureau is named the accused: the request is gone from its head,
    // and cannot be decided there (404, as for the petition).
    name_the_bureau_accused(&s, &number).await;
    let (_, queue) = s.get_as("ft_head", "/api/v1/approvals?pending=false").await;
    assert!(queued(&queue).is_none(), "{queue}");
    for decision in ["approve", "refuse"] {
        let (status, body) = s.post_as("ft_head", &format!("/api/v1/approvals/{id}/{decision}"), json!({"note": "同意"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{decision}: {body}");
    }
    s.finish().await;
}

/// Art. 30: an accusation whose accused is not named (only in words) exists
/// for the bureau that registered it and the discipline bodies; the other
/// units of the area do not see it in a list, and no list's count reveals
/// it (the township's, the city bureau's, filtered or not).
#[tokio::test]
async fn art30_a_list_count_never_reveals_an_accusation_whose_accused_is_not_named() {
    let s = TestServer::start().await;
    let count = async |user: &str, query: &str| -> (i64, usize) {
        let (status, page) = s.get_as(user, &format!("/api/v1/petitions?per_page=100{query}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        (page["total"].as_i64().unwrap(), page["items"].as_array().unwrap().len())
    };
    let before_town = count("ft_ny_clerk", "&category=accusation").await;
    let before_city = count("sz_clerk", "&category=accusation").await;
    let before_town_all = count("ft_ny_clerk", "").await;
    let mut v = letter(&today().to_string());
    v["jurisdiction"] = json!("440304001");
    v["category"] = json!("accusation");
    v["title"] = json!("反映街道某干部索要好处费");
    v["facts_and_reasons"] = json!("办理低保时，某干部暗示需要“意思意思”。");
    v["accused"] = json!({"name": "某干部"});
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let d = s.detail("ft_clerk", &number).await;
    assert_eq!(d["view"], "full", "the registering bureau sees it");
    // The township office and the city bureau: neither listed nor counted.
    assert_eq!(count("ft_ny_clerk", "&category=accusation").await, before_town);
    assert_eq!(count("sz_clerk", "&category=accusation").await, before_city);
    assert_eq!(count("ft_ny_clerk", "").await, before_town_all);
    let (status, _) = s.get_as("ft_ny_clerk", &format!("/api/v1/petitions/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Every count a unit gets is the rows it may see.
    for user in ["ft_ny_clerk", "sz_clerk", "ft_clerk", "ft_jw_officer"] {
        let (total, items) = count(user, "&category=accusation").await;
        assert_eq!(total, i64::try_from(items).unwrap(), "{user}");
    }
    // The discipline body of the district sees it.
    let (_, page) = s.get_as("ft_jw_officer", "/api/v1/petitions?category=accusation&per_page=100").await;
    assert!(page["items"].as_array().unwrap().iter().any(|i| i["number"] == number.as_str()), "{page}");
    s.finish().await;
}
