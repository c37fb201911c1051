//! Issue 8's side doors, each attack reproduced through the API and shown to
//! fail: person searches as an oracle, repeat matches that disclose other
//! petitions, accusations sealed from everyone, Open311 reads by the
//! accused's key, district admins reaching beyond their area, countable
//! petition numbers.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An accusation by 子丑 (phone 13712345678) against the district housing
/// bureau, registered by the 福田区 clerk and referred to the district
/// discipline body; returns its number.
async fn sealed_accusation(s: &TestServer) -> String {
    let mut v = letter(&today().to_string());
    v["category"] = json!("accusation");
    v["title"] = json!("检举住建局工作人员索要好处费");
    v["request"] = json!("要求查处住建局工作人员索要好处费");
    v["facts_and_reasons"] = json!("办理房屋安全鉴定时被索要好处费五千元。");
    v["petitioners"] = json!([{"name": "子丑", "phone": "13712345678", "address": "深圳市福田区"}]);
    v["accused"] = json!({"name": "某科长", "unit": "住房和建设局", "unit_code": "440304-ZJT"});
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "refer_discipline", json!({"unit": "440304-JW"})).await;
    number
}

fn total(page: &Value) -> i64 {
    page["total"].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn art30_person_search_is_no_oracle_on_an_accuser_and_is_logged_and_limited() {
    let s = TestServer::start_configured(|c| c.settings.identity_searches_per_hour = 4).await;
    let number = sealed_accusation(&s).await;
    // The registering bureau now has only the sealed view: its phone search
    // must not confirm the accuser.
    assert_eq!(s.detail("ft_clerk", &number).await["view"], "sealed");
    let (status, page) = s.get_as("ft_clerk", "/api/v1/petitions?phone=13712345678").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((total(&page), page["items"].as_array().unwrap().len()), (0, 0), "{page}");
    let (_, wrong) = s.get_as("ft_clerk", "/api/v1/petitions?phone=13700000000").await;
    assert_eq!(total(&wrong), total(&page), "a hit and a miss look the same");
    // The discipline body, which sees it in full, finds it — and the search is in the access log.
    let (_, found) = s.get_as("ft_jw_officer", "/api/v1/petitions?phone=13712345678").await;
    assert_eq!(found["items"][0]["number"], number.as_str(), "{found}");
    let (_, log) = s.get_as("admin", &format!("/api/v1/access-log?petition={number}")).await;
    assert!(log.as_array().unwrap().iter().any(|e| e["fields"] == "search:phone" && e["username"] == "ft_jw_officer"), "{log}");
    // The admin, who may not unmask, may not search for people either.
    let (status, _) = s.get_as("admin", "/api/v1/petitions?phone=13712345678").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Trying candidates is limited per user and hour (4 people here;
    // ft_clerk asked about 2). Asking again about one already asked about
    // spends nothing more.
    for phone in ["13700000001", "13700000001", "13712345678", "13700000003"] {
        let (status, _) = s.get_as("ft_clerk", &format!("/api/v1/petitions?phone={phone}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, err) = s.get_as("ft_clerk", "/api/v1/petitions?id_number=440304199001011233").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{err}");
    let (status, _) = s.get_as("ft_clerk", "/api/v1/petitions/export.csv?phone=13700000002").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Someone already asked about this hour may be asked about again.
    let (status, _) = s.get_as("ft_clerk", "/api/v1/petitions?phone=13700000001").await;
    assert_eq!(status, StatusCode::OK);
    s.finish().await;
}

/// The budget counts questions, not identity numbers: a number held fixed
/// beside a changing phone (both must match) asks a new question each
/// time, so it cannot be used to try phones for free; the same question
/// again, a reload, spends nothing.
#[tokio::test]
async fn art30_a_fixed_identity_number_beside_changing_phones_spends_a_search_each() {
    let s = TestServer::start_configured(|c| c.settings.identity_searches_per_hour = 2).await;
    let ask = |phone: &'static str| {
        let s = &s;
        async move { s.get_as("ft_clerk", &format!("/api/v1/petitions?id_number=440304199001011233&phone={phone}")).await.0 }
    };
    assert_eq!(ask("13700000011").await, StatusCode::OK);
    assert_eq!(ask("13700000011").await, StatusCode::OK, "a reload asks nothing new");
    assert_eq!(ask("13700000012").await, StatusCode::OK);
    assert_eq!(ask("13700000013").await, StatusCode::TOO_MANY_REQUESTS, "a third phone beside the same number");
    s.finish().await;
}

/// Two nodes (two stores on one database) asking new questions for the
/// same user at the same instant, one place left in the budget: exactly
/// one of them gets it (on PostgreSQL the count is taken one at a time per
/// user; on SQLite the writer is one at a time already).
#[tokio::test]
async fn art30_the_last_person_search_of_the_hour_goes_to_one_of_two_nodes_asking_at_once() {
    let s = TestServer::start().await;
    let user = s.store.user_by_username("ft_clerk").await.unwrap().unwrap();
    let (uid, unit) = (user.id, user.unit_id);
    let other = xinfang_store::Store::connect(&s.database_url()).await.unwrap();
    let now = chrono::Utc::now();
    const LIMIT: i64 = 3;
    for i in 0..LIMIT - 1 {
        assert!(s.store.record_identity_search(user.id, user.unit_id, "phone", &format!("before:{i}"), LIMIT, now).await.unwrap());
    }
    let asks = (0..8).map(|i| {
        let node = if i % 2 == 0 { s.store.clone() } else { other.clone() };
        async move { node.record_identity_search(uid, unit, "phone", &format!("new:{i}"), LIMIT, now).await.unwrap() }
    });
    let granted = futures_util::future::join_all(asks).await.into_iter().filter(|g| *g).count();
    assert_eq!(granted, 1, "the last place went to {granted} of the questions asked at once");
    other.close().await;
    s.finish().await;
}

#[tokio::test]
async fn confidential_petitioner_is_not_found_by_units_that_see_the_identity_hidden() {
    let s = TestServer::start().await;
    let mut v = online_claim("寅卯", "440304199001011233");
    v["confidential"] = json!(true);
    v["petitioners"][0]["phone"] = json!("13711112222");
    let (_, sub) = s.post("/api/v1/petitions", None, v).await;
    let number = sub["number"].as_str().unwrap().to_string();
    assert_eq!(s.detail("sz_clerk", &number).await["view"], "identity_hidden");
    let (_, page) = s.get_as("sz_clerk", "/api/v1/petitions?phone=13711112222").await;
    assert_eq!(total(&page), 0, "{page}");
    let (_, page) = s.get_as("ft_clerk", "/api/v1/petitions?phone=13711112222").await;
    assert_eq!(total(&page), 1, "the registering bureau sees it in full");
    s.finish().await;
}

#[tokio::test]
async fn confidential_petitioner_is_not_found_by_name_by_units_that_see_the_identity_hidden() {
    let s = TestServer::start().await;
    let mut v = online_claim("申酉戌", "440304199001011233");
    v["confidential"] = json!(true);
    v["title"] = json!("某物业公司违规收费");
    let (_, sub) = s.post("/api/v1/petitions", None, v).await;
    let number = sub["number"].as_str().unwrap().to_string();
    assert_eq!(s.detail("sz_clerk", &number).await["view"], "identity_hidden");
    // The inbox search box with the person's name: neither a row nor the total tells.
    let (status, page) = s.get_as("sz_clerk", "/api/v1/petitions?q=%E7%94%B3%E9%85%89%E6%88%8C").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(total(&page), 0, "{page}");
    // Words of the title still find it (the title is no identity).
    let (_, page) = s.get_as("sz_clerk", "/api/v1/petitions?q=%E7%89%A9%E4%B8%9A%E5%85%AC%E5%8F%B8").await;
    assert_eq!(total(&page), 1, "{page}");
    // The registering bureau, which sees the petitioner, finds it by name.
    let (_, page) = s.get_as("ft_clerk", "/api/v1/petitions?q=%E7%94%B3%E9%85%89%E6%88%8C").await;
    assert_eq!(total(&page), 1, "{page}");
    s.finish().await;
}

#[tokio::test]
async fn art19_repeat_match_is_not_disclosed_to_a_caller_who_cannot_see_the_earlier_petition() {
    let s = TestServer::start().await;
    // A petition in 南山区 by 辰巳.
    let mut v = online_claim("辰巳", "440304199001011233");
    v["petitioners"][0]["id_number"] = Value::Null;
    v["petitioners"][0]["phone"] = json!("13655556666");
    v["jurisdiction"] = json!("440305");
    let (_, first) = s.post("/api/v1/petitions", None, v.clone()).await;
    let first_no = first["number"].as_str().unwrap().to_string();
    // The same person and matter registered by 福田区's clerk, who cannot see 南山区's petitions.
    let mut letter_v = v.clone();
    letter_v["channel"] = json!("letter");
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", letter_v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    assert!(sub["repeat_of"].is_null(), "{sub}");
    let n2 = sub["number"].as_str().unwrap().to_string();
    let d = s.detail("ft_clerk", &n2).await;
    assert!(d["repeat_of"].is_null());
    assert!(!d.to_string().contains(&first_no), "no trace of the other petition");
    // Nor in the lists, the workbench's included.
    let (_, page) = s.get_as("ft_clerk", "/api/v1/petitions?per_page=100").await;
    assert!(page.to_string().contains(&n2) && !page.to_string().contains(&first_no), "{page}");
    let (c, _) = browser(&s, "ft_clerk").await;
    let all = c.get(format!("{}/staff/all", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(all.contains(&n2) && !all.contains(&first_no), "{all}");
    // The city bureau, which sees both, has the link, in its list too.
    assert_eq!(s.detail("sz_clerk", &n2).await["repeat_of"], first_no.as_str());
    let (_, page) = s.get_as("sz_clerk", "/api/v1/petitions?per_page=100").await;
    let row = page["items"].as_array().unwrap().iter().find(|i| i["number"] == n2.as_str()).cloned().unwrap_or_else(|| panic!("{page}"));
    assert_eq!(row["repeat_of"], first_no.as_str(), "{row}");
    // An anonymous submitter learns nothing either.
    let (_, again) = s.post("/api/v1/petitions", None, v).await;
    assert!(again["repeat_of"].is_null() && !again.to_string().contains(&first_no), "{again}");
    s.finish().await;
}

#[tokio::test]
async fn art30_an_accusation_against_the_receiving_bureau_goes_to_the_discipline_body() {
    let s = TestServer::start().await;
    let mut v = online_claim("午未", "440304199001011233");
    v["category"] = json!("accusation");
    v["title"] = json!("检举区信访局工作人员");
    v["request"] = json!("要求查处区信访局工作人员推诿不登记");
    v["accused"] = json!({"name": "某工作人员", "unit": "福田区信访局", "unit_code": "440304-XFJ"});
    let (status, sub) = s.post("/api/v1/petitions", None, v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    assert_eq!(sub["receiving_unit"]["code"], "440304-JW", "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let (status, _) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the accused bureau never sees it");
    let d = s.detail("ft_jw_officer", &number).await;
    assert!(
        d["available_actions"].as_array().unwrap().iter().any(|a| a["name"] == "accept"),
        "someone can act on it: {}",
        d["available_actions"]
    );
    assert!(d["deadlines"].as_array().unwrap().iter().any(|t| t["met_at"].is_null()), "its timer runs on someone's inbox");
    s.act("ft_jw_officer", &number, "accept", json!({})).await;
    s.finish().await;
}

#[tokio::test]
async fn art30_open311_reads_by_the_accused_units_key_do_not_show_the_accusation() {
    let s = TestServer::start().await;
    let (_, key) =
        s.post_as("admin", "/api/v1/api-keys", json!({"label": "区信访局热线", "unit": "440304-XFJ", "channel": "hotline"})).await;
    let key = key["api_key"].as_str().unwrap().to_string();
    let form = vec![
        ("api_key", key.clone()),
        ("service_code", "0202".to_string()),
        ("description", "区信访局某工作人员推诿不登记，要求查处".to_string()),
        ("address_string", "深圳市福田区华强北街道".to_string()),
        ("first_name", "申".to_string()),
        ("last_name", "酉".to_string()),
        ("phone", "13900139111".to_string()),
    ];
    let r = s.client.post(format!("{}/open311/v2/requests.json", s.base)).form(&form).send().await.unwrap();
    let status = r.status();
    assert_eq!(status, StatusCode::OK, "{}", r.text().await.unwrap_or_default());
    let created: Value = r.json().await.unwrap();
    let id = created[0]["service_request_id"].as_str().unwrap().to_string();
    // It turns out to be an accusation; the bureau refers it to the discipline
    // body, which names the bureau itself as accused.
    s.act("ft_clerk", &id, "classify", json!({"category": "accusation", "litigation_related": false, "reason": "反映工作人员违纪"})).await;
    s.act("ft_clerk", &id, "refer_discipline", json!({"unit": "440304-JW"})).await;
    // Sealed from the key's unit: the request is there, without the agency
    // that holds it (a discipline body would say what it is).
    let (status, sealed) = s.get(&format!("/open311/v2/requests/{id}.json?api_key={key}"), None).await;
    assert_eq!(status, StatusCode::OK, "{sealed}");
    assert!(sealed[0]["agency_responsible"].is_null(), "{sealed}");
    assert!(!sealed.to_string().contains("纪委"), "{sealed}");
    s.act("ft_jw_officer", &id, "designate_accused", json!({"unit": "440304-XFJ", "reason": "被检举人系区信访局工作人员"})).await;
    let (status, _) = s.get(&format!("/open311/v2/requests/{id}.json?api_key={key}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = s.get(&format!("/open311/v2/requests.json?api_key={key}"), None).await;
    assert!(!list.to_string().contains(&id), "{list}");
    s.finish().await;
}

#[tokio::test]
async fn district_admin_reads_only_its_areas_access_log_and_cannot_change_the_calendar() {
    let s = TestServer::start().await;
    // A district admin for 南山区, created by the province admin.
    let (status, u) = s
        .post_as(
            "admin",
            "/api/v1/users",
            json!({"username": "ns_admin", "display_name": "南山区管理员", "password": "Xinfang@2026-ns", "role": "admin", "unit": "440305-XFJ"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    let token = {
        let (status, login) = s.post("/api/v1/auth/login", None, json!({"username": "ns_admin", "password": "Xinfang@2026-ns"})).await;
        assert_eq!(status, StatusCode::OK, "{login}");
        login["token"].as_str().unwrap().to_string()
    };
    // Something in 福田区's access log.
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("戌亥", "440304199001011233")).await;
    let number = sub["number"].as_str().unwrap();
    s.post_as("ft_clerk", &format!("/api/v1/petitions/{number}/unmask"), json!({"reason": "核实信访人身份"})).await;
    let (_, all) = s.get_as("admin", "/api/v1/access-log").await;
    assert!(!all.as_array().unwrap().is_empty());
    let (_, mine) = s.get("/api/v1/access-log", Some(&token)).await;
    assert!(mine.as_array().unwrap().is_empty(), "{mine}");
    let (status, _) = s.put("/api/v1/calendar/days/2026-12-31", Some(&token), json!({"kind": "holiday", "name": "测试"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.finish().await;
}

#[tokio::test]
async fn petition_numbers_do_not_count_a_districts_petitions() {
    let s = TestServer::start().await;
    let mut seqs = Vec::new();
    for i in 0..5 {
        let mut v = online_claim(&format!("计数{i}"), "440304199001011233");
        v["petitioners"][0]["id_number"] = Value::Null;
        v["facts_and_reasons"] = json!(format!("第{i}件独立事项：{}", "不同内容".repeat(i + 1)));
        let (_, sub) = s.post("/api/v1/petitions", None, v).await;
        let n = sub["number"].as_str().unwrap().to_string();
        seqs.push(n.rsplit('-').next().unwrap().parse::<i64>().unwrap());
    }
    let steps: Vec<i64> = seqs.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(steps.iter().any(|d| *d != 1), "numbers of one district and day are not consecutive: {seqs:?}");
    let mut unique = seqs.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seqs.len());
    s.finish().await;
}

#[tokio::test]
async fn leader_mailbox_reaches_only_units_that_publish_one() {
    let s = TestServer::start().await;
    let mut v = online_claim("亥子", "440304199001011233");
    v["channel"] = json!("mailbox");
    v["target_unit"] = json!("440304-RST");
    let (status, err) = s.post("/api/v1/petitions", None, v.clone()).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("no_mailbox")), "{err}");
    for unit in ["440304-ZF", "4403-XFJ"] {
        v["target_unit"] = json!(unit);
        let (status, ok) = s.post("/api/v1/petitions", None, v.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{unit}: {ok}");
        v["facts_and_reasons"] = json!(format!("{}（致{unit}）", ok["number"].as_str().unwrap()));
    }
    s.finish().await;
}
