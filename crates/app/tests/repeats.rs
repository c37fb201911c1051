//! 初件 / 重件 (issue 13, item 2): the clerk links a re-worded repeat found
//! among the similar petitions to its first petition, or confirms a first
//! one; after 复核 the link opens the Art. 36 refusal for the clerk to
//! confirm.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A citizen's claim taken through 复查 and 复核 to its end; its number.
async fn concluded_after_final_review(s: &TestServer, name: &str, id_number: &str) -> String {
    concluded_after_final_review_of(s, online_claim(name, id_number)).await
}

/// The online claim `body`, taken through 复核 and closed.
async fn concluded_after_final_review_of(s: &TestServer, body: serde_json::Value) -> String {
    let (status, sub) = s.post("/api/v1/petitions", None, body).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let code = sub["query_code"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    s.act(
        "ft_rst_officer",
        &number,
        "conclude",
        json!({"outcome": "rejected", "request": "支付工资", "facts_and_reasons": "经核查不存在劳动关系", "decision": "不予支持", "legal_basis": "《中华人民共和国劳动合同法》第七条"}),
    )
    .await;
    let delivered = json!({"method": "in_person", "delivered_on": today().to_string()});
    s.act("ft_rst_officer", &number, "deliver", delivered.clone()).await;
    let (status, r) = s.post(&format!("/api/v1/track/{number}/review-request"), None, json!({"code": code, "reason": "不服"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let uphold = json!({"outcome": "uphold", "opinion": "维持原处理意见", "facts_and_reasons": "原处理认定事实清楚", "legal_basis": "《信访工作条例》第三十五条"});
    s.act("sz_rst_reviewer", &number, "decide_review", uphold.clone()).await;
    s.act("sz_rst_reviewer", &number, "deliver", delivered.clone()).await;
    let (status, r) = s.post(&format!("/api/v1/track/{number}/review-request"), None, json!({"code": code})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    s.act("gd_rst_reviewer", &number, "decide_final_review", uphold).await;
    let r = s.act("gd_rst_reviewer", &number, "deliver", delivered).await;
    assert_eq!(r["state"], "closed");
    number
}

/// A phone call noted by the 福田区 clerk: the same unpaid wages in other
/// words, by name and phone only.
async fn phone_note(s: &TestServer, name: &str, phone: &str) -> String {
    let mut body = letter(&today().to_string());
    body["channel"] = json!("phone");
    body["title"] = json!("来电反映科技公司欠薪");
    body["request"] = json!("来电人要求公司把欠的三个月工资一万五千元结清");
    body["facts_and_reasons"] = json!("来电人称其在某科技公司上班，7月到9月工资一直没发，找人事也没用，之前已经反映过。");
    body["petitioners"] = json!([{ "name": name, "phone": phone }]);
    let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "registered", "not refused at the door: {v}");
    v["number"].as_str().unwrap().to_string()
}

async fn find(s: &TestServer, number: &str, verdict: Value) -> (StatusCode, Value) {
    s.put(&format!("/api/v1/petitions/{number}/repeat"), Some(&s.token("ft_clerk").await), verdict).await
}

#[tokio::test]
async fn art36_a_linked_repeat_of_a_matter_closed_after_final_review_is_refused_on_the_clerks_confirmation() {
    let s = TestServer::start().await;
    let first = concluded_after_final_review(&s, "王五", "440304197503150015").await;
    let again = phone_note(&s, "王五", "13800138000").await;
    // The candidate is shown with the reason and the Art. 36 warning.
    let (status, v) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{again}/similar")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let hit = v.as_array().unwrap().iter().find(|c| c["number"] == first.as_str()).unwrap_or_else(|| panic!("{v}"));
    assert_eq!(hit["no_longer_accepted"], true, "{v}");
    assert!(hit["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("第三十六条")), "{v}");
    // Before any link, the Art. 36 ground is refused: nothing says it repeats.
    let decline = json!({"ground": "concluded_after_final_review", "reason": "与已复核终结的事项事实和理由相同", "proper_channel": "如有新的事实和理由，可以另行提出"});
    let (status, _) = s.try_act("ft_clerk", &again, "decline", decline.clone()).await;
    assert!(status.is_client_error());
    // The clerk links it.
    let (status, r) = find(&s, &again, json!({"verdict": "repeat", "first": first, "reason": "同一人同一欠薪事项"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["verdict"].as_str(), r["first"].as_str(), &r["no_longer_accepted"]),
        (Some("repeat"), Some(first.as_str()), &json!(true))
    );
    assert!(r["message"].as_str().unwrap().contains("第三十六条"), "{r}");
    let d = s.detail("ft_clerk", &again).await;
    assert_eq!((d["repeat_of"].as_str(), d["repeat_verdict"].as_str()), (Some(first.as_str()), Some("repeat")), "{d}");
    let last = d["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["reason"].as_str()), (Some("repeat_linked"), Some("同一人同一欠薪事项")), "{last}");
    // Now the clerk confirms the refusal: 不再受理.
    let r = s.act("ft_clerk", &again, "decline", decline).await;
    assert_eq!(r["state"], "not_reaccepted", "{r}");
    // The record still verifies with the finding in it.
    let breaks = s.store.verify_chains().await.unwrap();
    assert!(breaks.is_empty(), "{breaks:?}");
    s.finish().await;
}

#[tokio::test]
async fn a_first_petition_is_confirmed_and_a_repeat_links_to_the_first_of_its_chain() {
    let s = TestServer::start().await;
    let mut claim = letter(&days_ago(3));
    claim["petitioners"] = json!([{ "name": "赵六", "phone": "13911110000" }]);
    let (_, a) = s.post_as("ft_clerk", "/api/v1/petitions", claim).await;
    let a = a["number"].as_str().unwrap().to_string();
    let b = phone_note(&s, "赵六", "13911110000").await;
    let c = phone_note(&s, "赵六", "13911110000").await;
    let (status, r) = find(&s, &b, json!({"verdict": "repeat", "first": a})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["no_longer_accepted"], false, "{r}");
    // c repeats b, which repeats a: the link goes to a.
    let (status, r) = find(&s, &c, json!({"verdict": "repeat", "first": b})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["first"], a.as_str(), "{r}");
    // The clerk changes their mind about c: a first petition after all.
    let (status, r) = find(&s, &c, json!({"verdict": "first", "reason": "实为另一家公司"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let d = s.detail("ft_clerk", &c).await;
    assert_eq!((d["repeat_of"].clone(), d["repeat_verdict"].as_str()), (Value::Null, Some("first")), "{d}");
    assert_eq!(d["history"].as_array().unwrap().last().unwrap()["action"], "first_confirmed");
    // Not the other way round: a first petition cannot repeat a later one.
    let (status, r) = find(&s, &a, json!({"verdict": "repeat", "first": c})).await;
    assert_eq!((status, r["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("first")), "{r}");
    // The list says which are 重件, in the API and on the workbench.
    let (_, page) = s.get_as("ft_clerk", "/api/v1/petitions?per_page=100").await;
    let row =
        |n: &str| page["items"].as_array().unwrap().iter().find(|i| i["number"] == n).cloned().unwrap_or_else(|| panic!("{n}: {page}"));
    assert_eq!(row(&b)["repeat_of"], a.as_str(), "{page}");
    assert!(row(&a)["repeat_of"].is_null() && row(&c)["repeat_of"].is_null(), "{page}");
    let (browser_client, _) = browser(&s, "ft_clerk").await;
    let all = browser_client.get(format!("{}/staff/all", s.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(all.matches("class=\"tag repeat\"").count(), 1, "{all}");
    assert!(all.contains(&format!("title=\"重件，初件 {a}\"")), "{all}");
    s.finish().await;
}

#[tokio::test]
async fn a_bad_finding_gets_a_clear_error_and_changes_nothing() {
    let s = TestServer::start().await;
    let a = phone_note(&s, "钱七", "13922220000").await;
    let b = phone_note(&s, "钱七", "13922220000").await;
    for (body, field) in [
        (json!({"verdict": "maybe"}), "verdict"),
        (json!({"verdict": "repeat"}), "first"),
        (json!({"verdict": "first", "first": a}), "first"),
        (json!({"verdict": "repeat", "first": "XF-440304-20260101-99999"}), "first"),
        (json!({"verdict": "repeat", "first": b}), "first"),
        (json!({"verdict": "first", "reason": "长".repeat(501)}), "reason"),
    ] {
        let (status, v) = find(&s, &b, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert_eq!(v["error"]["fields"][0]["field"], field, "{body}: {v}");
    }
    let (status, _) = find(&s, &b, json!({"verdict": "first", "extra": 1})).await;
    assert!(status.is_client_error());
    // Another district's clerk does not see it; the admin and a unit that
    // does not hold it may not decide.
    for user in ["ns_clerk", "admin", "ft_rst_officer"] {
        let (status, v) = s.put(&format!("/api/v1/petitions/{b}/repeat"), Some(&s.token(user).await), json!({"verdict": "first"})).await;
        assert!(matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{user}: {status} {v}");
    }
    let d = s.detail("ft_clerk", &b).await;
    assert!(d["repeat_verdict"].is_null() && d["history"].as_array().unwrap().len() == 1, "{d}");
    s.finish().await;
}

async fn total(s: &TestServer) -> u64 {
    s.get_as("ft_clerk", "/api/v1/petitions?per_page=1").await.1["total"].as_u64().unwrap()
}

/// The registration form's 初件 / 重件 choice, sent with the registration:
/// recorded with it, following the chain as the later finding does; a bad
/// one registers nothing; a citizen cannot send one.
#[tokio::test]
async fn the_clerk_decides_first_or_repeat_while_registering() {
    let s = TestServer::start().await;
    let a = phone_note(&s, "孙八", "13933330000").await;
    let b = phone_note(&s, "孙八", "13933330000").await;
    let (status, r) = find(&s, &b, json!({"verdict": "repeat", "first": a})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let before = total(&s).await;
    // A bad finding: refused before anything is written.
    for (finding, field) in [
        (json!({"verdict": "repeat", "first": "XF-440304-20260101-99999"}), "repeat.first"),
        (json!({"verdict": "repeat"}), "repeat.first"),
        (json!({"verdict": "perhaps"}), "repeat.verdict"),
    ] {
        let mut body = letter(&today().to_string());
        body["repeat"] = finding.clone();
        let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{finding}: {v}");
        assert_eq!(v["error"]["fields"][0]["field"], field, "{finding}: {v}");
    }
    assert_eq!(total(&s).await, before, "nothing registered");
    // A repeat of b: linked to the first of b's chain, a.
    let mut body = letter(&today().to_string());
    body["petitioners"] = json!([{ "name": "孙八", "phone": "13933330000" }]);
    body["repeat"] = json!({"verdict": "repeat", "first": b, "reason": "同一人再次来信"});
    let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!((v["repeat_finding"]["verdict"].as_str(), v["repeat_finding"]["first"].as_str()), (Some("repeat"), Some(a.as_str())), "{v}");
    let c = v["number"].as_str().unwrap().to_string();
    let d = s.detail("ft_clerk", &c).await;
    assert_eq!((d["repeat_of"].as_str(), d["repeat_verdict"].as_str()), (Some(a.as_str()), Some("repeat")), "{d}");
    let last = d["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["reason"].as_str()), (Some("repeat_linked"), Some("同一人再次来信")), "{last}");
    // A first petition, confirmed at the door.
    let mut body = letter(&today().to_string());
    body["repeat"] = json!({"verdict": "first"});
    let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["repeat_finding"]["verdict"], "first", "{v}");
    let d = s.detail("ft_clerk", v["number"].as_str().unwrap()).await;
    assert_eq!((d["repeat_of"].clone(), d["repeat_verdict"].as_str()), (Value::Null, Some("first")), "{d}");
    // The public form has no such field.
    let mut body = letter(&today().to_string());
    body["channel"] = json!("online");
    body["repeat"] = json!({"verdict": "first"});
    let (status, v) = s.post("/api/v1/petitions", None, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["fields"][0]["field"], "repeat", "{v}");
    let breaks = s.store.verify_chains().await.unwrap();
    assert!(breaks.is_empty(), "{breaks:?}");
    s.finish().await;
}

/// Art. 30: a petition linked as a repeat of an accusation does not
/// disclose the accusation's number to the accused line through its
/// history (the finding's `first`, the intake's link): those are blank for
/// a viewer who does not see the accusation in full.
#[tokio::test]
async fn art30_a_repeat_link_to_a_sealed_accusation_is_blank_in_the_history_for_the_accused_line() {
    let s = TestServer::start().await;
    let mut v = letter(&today().to_string());
    v["category"] = json!("accusation");
    v["title"] = json!("反映区人社局工作人员索要好处费");
    v["accused"] = json!({"name": "某经办人员", "unit": "福田区人力资源和社会保障局", "unit_code": "440304-RST"});
    v["petitioners"] = json!([{ "name": "周检举", "phone": "13944440000" }]);
    let (status, a) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    // Still with the bureau that registered it, which sees it in full.
    let accusation = a["number"].as_str().unwrap().to_string();
    // The same person's wage claim, linked by the clerk while registering.
    let mut body = letter(&today().to_string());
    body["petitioners"] = json!([{ "name": "周检举", "phone": "13944440000" }]);
    body["repeat"] = json!({"verdict": "repeat", "first": accusation});
    let (status, b) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let claim = b["number"].as_str().unwrap().to_string();
    assert_eq!(b["repeat_finding"]["first"], accusation.as_str(), "{b}");
    s.act("ft_clerk", &claim, "forward", json!({"unit": "440304-RST"})).await;
    // The clerk sees the link; the accused bureau's officer sees none.
    let d = s.detail("ft_clerk", &claim).await;
    assert!(d["history"].to_string().contains(&accusation), "{d}");
    let (status, d) = s.get_as("ft_rst_officer", &format!("/api/v1/petitions/{claim}")).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert!(!d.to_string().contains(&accusation), "the accusation's number leaks to the accused line: {d}");
    s.finish().await;
}

/// Art. 36: the same person brings the matter closed after 复核 again and
/// the clerk, registering it, also links it as a repeat. Intake refuses it
/// (不再受理, a closed petition); the registration and its refusal stand,
/// and the answer says the finding was not kept instead of failing.
#[tokio::test]
async fn art36_a_repeat_refused_at_the_door_keeps_its_refusal_and_says_the_finding_was_not_kept() {
    let s = TestServer::start().await;
    let first = concluded_after_final_review(&s, "吴九", "440304197504160012").await;
    let mut body = online_claim("吴九", "440304197504160012");
    body["channel"] = json!("letter");
    body["repeat"] = json!({"verdict": "repeat", "first": first});
    let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "not_reaccepted", "{v}");
    assert!(v["refused"].is_object(), "{v}");
    assert!(v.get("repeat_finding").is_none(), "{v}");
    assert!(v["repeat_error"].as_str().unwrap().contains("未保存"), "{v}");
    s.finish().await;
}

/// Art. 36 refuses the same facts and reasons from the same person after
/// 复核. The same name at the same home is only a hint (two people of one
/// common name can share an estate; anyone knowing a neighbour's name and
/// address could plant a match): with another ID number and phone it
/// neither refuses nor marks a repeat, while the ID number still does.
#[tokio::test]
async fn art36_a_name_and_address_alone_never_refuses() {
    let s = TestServer::start().await;
    let home = "深圳市福田区振华路12号3栋501";
    let mut body = online_claim("郑十一", "440304198801010015");
    body["petitioners"][0]["address"] = json!(home);
    let first = concluded_after_final_review_of(&s, body).await;
    let mut other = online_claim("郑十一", "440304199202020021");
    other["petitioners"][0]["phone"] = json!("13811112222");
    other["petitioners"][0]["address"] = json!(home);
    let (status, v) = s.post("/api/v1/petitions", None, other).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_ne!(v["state"], "not_reaccepted", "a hint refuses nothing: {v}");
    assert!(v["refused"].is_null(), "{v}");
    // The clerk still sees the earlier petition as a possible same person.
    let number = v["number"].as_str().unwrap();
    let (status, sim) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{number}/similar")).await;
    assert_eq!(status, StatusCode::OK, "{sim}");
    assert!(sim.as_array().unwrap().iter().any(|x| x["number"] == first.as_str() && x["same_petitioner"] == true), "{sim}");
    // The first person's ID number is proof: refused at the door.
    let mut again = online_claim("郑十一", "440304198801010015");
    again["petitioners"][0]["address"] = json!(home);
    let (status, v) = s.post("/api/v1/petitions", None, again).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "not_reaccepted", "{v}");
    s.finish().await;
}

/// Misuse while registering: a sibling district's clerk names a petition it
/// cannot see (as if it did not exist: nothing registered); a double
/// submission under one Idempotency-Key registers and links once.
#[tokio::test]
async fn a_finding_at_registration_neither_reaches_a_sibling_districts_petition_nor_runs_twice() {
    let s = TestServer::start().await;
    let a = phone_note(&s, "郑十", "13955550000").await;
    let mut body = letter(&today().to_string());
    body["jurisdiction"] = json!("440305");
    body["repeat"] = json!({"verdict": "repeat", "first": a});
    let (_, page) = s.get_as("ns_clerk", "/api/v1/petitions?per_page=1").await;
    let before = page["total"].as_u64().unwrap();
    let (status, v) = s.post_as("ns_clerk", "/api/v1/petitions", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["fields"][0]["field"], "repeat.first", "{v}");
    let (_, page) = s.get_as("ns_clerk", "/api/v1/petitions?per_page=1").await;
    assert_eq!(page["total"].as_u64().unwrap(), before, "nothing registered");
    // The same registration sent twice with one key: one petition, one finding.
    let mut body = letter(&today().to_string());
    body["petitioners"] = json!([{ "name": "郑十", "phone": "13955550000" }]);
    body["repeat"] = json!({"verdict": "repeat", "first": a});
    let token = s.token("ft_clerk").await;
    let send = || {
        s.client
            .post(format!("{}/api/v1/petitions", s.base))
            .bearer_auth(&token)
            .header("Idempotency-Key", "5f0c3b7e-2a51-4f7b-8c2e-repeat-once")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    let again: Value = again.json().await.unwrap();
    assert_eq!(first, again, "the same answer, finding included");
    let d = s.detail("ft_clerk", first["number"].as_str().unwrap()).await;
    let links = d["history"].as_array().unwrap().iter().filter(|e| e["action"] == "repeat_linked").count();
    assert_eq!(links, 1, "{d}");
    s.finish().await;
}
