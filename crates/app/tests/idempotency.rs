//! One answer per submission (issue 10): the API's `Idempotency-Key`, the
//! portal's one-time form token with POST → 303 → GET and the receipt kept
//! out of the URL, and the purge of expired keys. Real server, real
//! database (SQLite, or PostgreSQL with `XINFANG_TEST_DATABASE_URL`).

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::Form;
use serde_json::{Value, json};

async fn petitions(s: &TestServer) -> i64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.database_url()).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM petitions").fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

async fn submit_with_key(s: &TestServer, key: Option<&str>, body: &str) -> (StatusCode, Option<String>, Value) {
    let mut req = s.client.post(format!("{}/api/v1/petitions", s.base)).header("content-type", "application/json").body(body.to_string());
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let r = req.send().await.unwrap();
    let replayed = r.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()).map(String::from);
    (r.status(), replayed, r.json().await.unwrap())
}

#[tokio::test]
async fn idempotency_key_gives_the_same_answer_once_and_refuses_another_body() {
    let s = TestServer::start().await;
    let body = online_claim("钱二", "440304199001011233");
    let key = "0b6c1f0e-6d1a-4c7e-9a53-2f1d7c2e9a41";
    let (status, replayed, first) = submit_with_key(&s, Some(key), &body.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(replayed, None);
    assert_eq!(petitions(&s).await, 1);
    // The same body again, written with its keys in another order and
    // other spacing: the same answer, query code included, and nothing new.
    let mut reordered = String::from("{\n");
    let obj = body.as_object().unwrap();
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.reverse();
    reordered.push_str(&keys.iter().map(|k| format!("  {}: {}", json!(k), obj[k.as_str()])).collect::<Vec<_>>().join(",\n"));
    reordered.push_str("\n}");
    let (status, replayed, again) = submit_with_key(&s, Some(key), &reordered).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(replayed.as_deref(), Some("true"));
    assert_eq!(again["number"], first["number"]);
    assert_eq!(again["query_code"], first["query_code"]);
    assert_eq!(petitions(&s).await, 1, "a resend creates no second petition");
    // The same key with another body is refused, as structured JSON.
    let mut other = body.clone();
    other["title"] = json!("另一件事");
    let (status, _, refused) = submit_with_key(&s, Some(key), &other.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["code"], "idempotency_key_reused", "{refused}");
    assert_eq!(petitions(&s).await, 1);
    // A key that is too short to be unguessable is refused before anything is done.
    let (status, _, bad) = submit_with_key(&s, Some("abc"), &body.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["error"]["code"], "invalid_idempotency_key");
    // Without a key the same body from the same people is still not a
    // second petition (`already_submitted`, docs/api.md)…
    let (status, _, resent) = submit_with_key(&s, None, &body.to_string()).await;
    assert_eq!((status, resent["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_submitted")), "{resent}");
    assert_eq!(petitions(&s).await, 1);
    // …and any other body is a new submission.
    let (status, _, _) = submit_with_key(&s, None, &other.to_string()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(petitions(&s).await, 2);
    s.finish().await;
}

#[tokio::test]
async fn idempotency_key_of_a_refused_body_can_be_used_again_and_concurrent_resends_create_one() {
    let s = TestServer::start().await;
    let key = "retry-after-a-fault-0001";
    let mut bad = online_claim("孙三", "440304199001011233");
    bad["request"] = json!("");
    let (status, _, e) = submit_with_key(&s, Some(key), &bad.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["code"], "field_required");
    // Nothing was done, so the corrected body may use the same key.
    let good = online_claim("孙三", "440304199001011233");
    let (status, _, ok) = submit_with_key(&s, Some(key), &good.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{ok}");
    // A double click over a bad connection: eight sends of one key at once.
    let key2 = "double-click-key-0000000002";
    let body = online_claim("周四", "440304199001011233").to_string();
    let sends: Vec<_> = (0..8).map(|_| submit_with_key(&s, Some(key2), &body)).collect();
    let answers = futures_util::future::join_all(sends).await;
    let numbers: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(status, _, v)| {
            assert_eq!(*status, StatusCode::CREATED, "{v}");
            v["number"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(numbers.len(), 1, "one petition for all eight: {numbers:?}");
    assert_eq!(answers.iter().filter(|(_, r, _)| r.is_none()).count(), 1, "one created it, seven were told the same");
    assert_eq!(petitions(&s).await, 2);
    // Staff keys are their own: the same key from a clerk is another key.
    let clerk = s.token("ft_clerk").await;
    let mut letter = letter(&days_ago(1));
    letter["petitioners"][0]["name"] = json!("吴五");
    let r = s
        .client
        .post(format!("{}/api/v1/petitions", s.base))
        .bearer_auth(&clerk)
        .header("Idempotency-Key", key2)
        .json(&letter)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(petitions(&s).await, 3);
    // Keys expire; the periodic purge deletes them.
    assert!(s.store.request_key_count().await.unwrap() >= 2);
    let later = chrono::Utc::now() + chrono::Duration::hours(25);
    s.store.purge_expired(later, chrono::Utc::now() - chrono::Duration::hours(1), 0, "2000-01-01").await.unwrap();
    assert_eq!(s.store.request_key_count().await.unwrap(), 0);
    s.finish().await;
}

fn no_redirect() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.split(&marker).nth(1).and_then(|r| r.split('"').next()).unwrap_or_else(|| panic!("no {name}")).to_string()
}

fn portal_form(csrf: &str, token: &str) -> Form {
    let mut f = Form::new().text("csrf", csrf.to_string()).text("form_token", token.to_string());
    for (k, v) in PORTAL_CLAIM_FORM {
        f = f.text(k.to_string(), v.to_string());
    }
    f
}

#[tokio::test]
async fn portal_form_token_posts_once_redirects_and_keeps_the_code_out_of_the_url() {
    let s = TestServer::start().await;
    let c = no_redirect();
    let html = c.get(format!("{}/submit", s.base)).send().await.unwrap().text().await.unwrap();
    let (csrf, token) = (hidden(&html, "csrf"), hidden(&html, "form_token"));
    assert_eq!(token.len(), 32);
    let r = c.post(format!("{}/submit", s.base)).multipart(portal_form(&csrf, &token)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "POST → 303");
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, "/submit/receipt", "nothing of the receipt in the URL");
    let receipt = c.get(format!("{}{location}", s.base)).send().await.unwrap();
    assert_eq!(receipt.status(), StatusCode::OK);
    assert_eq!(receipt.headers()["cache-control"], "no-store");
    let receipt = receipt.text().await.unwrap();
    let number = receipt.split("XF-").nth(1).map(|r| format!("XF-{}", &r[..22])).unwrap();
    let code = receipt.split("<td class=\"code\">").nth(2).and_then(|r| r.split('<').next()).unwrap().to_string();
    assert_eq!(code.len(), 8);
    assert!(receipt.contains(&format!("href=\"/track?number={number}\"")), "the tracking link carries the number only");
    assert!(!location.contains(&code));
    // A reload of the receipt is a GET: the same receipt, nothing new.
    let again = c.get(format!("{}/submit/receipt", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(again.contains(&number) && again.contains(&code));
    assert_eq!(petitions(&s).await, 1);
    // The form sent again (a double click, a resend): the same receipt.
    let r = c.post(format!("{}/submit", s.base)).multipart(portal_form(&csrf, &token)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let resent = c.get(format!("{}/submit/receipt", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(resent.contains(&number) && resent.contains(&code), "the resend shows the first receipt");
    assert_eq!(petitions(&s).await, 1, "a resend of the form creates no second petition");
    // The receipt's link opens the record: the code is in the sealed
    // cookie, not in the link.
    let track = c.get(format!("{}/track?number={number}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(track.contains("办理进度") && track.contains("公司自7月起拖欠工资"), "the record with what was submitted");
    // Another browser following the same link gets the form, number filled in.
    let other = no_redirect();
    let form = other.get(format!("{}/track?number={number}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(!form.contains("办理进度"));
    assert!(form.contains(&format!("value=\"{number}\"")));
    // Nor does the other browser see the receipt.
    assert_eq!(other.get(format!("{}/submit/receipt", s.base)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // A changed form with a used token is not taken for the first one.
    let changed = Form::new()
        .text("csrf", csrf.clone())
        .text("form_token", token.clone())
        .text("name", "赵一")
        .text("province", "44")
        .text("city", "4403")
        .text("county", "440304")
        .text("category", "suggestion")
        .text("title", "建议增设公交站")
        .text("request", "在华强北增设公交站")
        .text("facts_and_reasons", "附近居民出行不便。");
    let r = c.post(format!("{}/submit", s.base)).multipart(changed).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("这份表单已经提交过") && page.contains("建议增设公交站"), "kept, with a new token");
    assert_ne!(hidden(&page, "form_token"), token);
    assert_eq!(petitions(&s).await, 1);
    s.finish().await;
}

#[tokio::test]
async fn tracking_posts_then_redirects_and_shows_the_decision_in_citizen_words() {
    let s = TestServer::start().await;
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("郑六", "440304199001011233")).await;
    let (number, code) = (sub["number"].as_str().unwrap().to_string(), sub["query_code"].as_str().unwrap().to_string());
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    s.act(
        "ft_rst_officer",
        &number,
        "conclude",
        json!({"outcome": "rejected", "request": "支付工资", "facts_and_reasons": "经查双方不存在劳动关系", "decision": "不予支持", "legal_basis": "《中华人民共和国劳动合同法》第七条"}),
    )
    .await;
    s.act("ft_rst_officer", &number, "deliver", json!({"method": "online", "delivered_on": today().to_string()})).await;
    let c = no_redirect();
    let html = c.get(format!("{}/track", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("href=\"/track/forgot\""), "a way for a forgotten code");
    let csrf = hidden(&html, "csrf");
    // A wrong code: the plain message, the number kept.
    let r = c
        .post(format!("{}/track", s.base))
        .form(&[("csrf", csrf.as_str()), ("number", &number), ("code", "AAAAAAAA")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("编号或查询码不正确") && page.contains(&format!("value=\"{number}\"")));
    // The right code: 303 to a GET that carries only the number.
    let r =
        c.post(format!("{}/track", s.base)).form(&[("csrf", csrf.as_str()), ("number", &number), ("code", &code)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, format!("/track?number={number}"));
    let page = c.get(format!("{}{location}", s.base)).send().await.unwrap().text().await.unwrap();
    for part in [
        "信访处理意见书",
        "不予支持",
        "经查双方不存在劳动关系",
        "《中华人民共和国劳动合同法》第七条",
        "法律法规依据",
        "您申请复查的截止日期",
    ] {
        assert!(page.contains(part), "the tracking page shows {part}");
    }
    assert!(!page.contains("信访部门转送交办期限"), "no internal timer names");
    // An evaluation posts, redirects, and a reload does not post again.
    let r = c
        .post(format!("{}/track/evaluate", s.base))
        .form(&[("csrf", csrf.as_str()), ("number", &number), ("code", &code), ("rating", ""), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "no rating chosen");
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"rating-error\""));
    assert!(!page.contains("（rating）"), "no field code names for a citizen");
    let r = c
        .post(format!("{}/track/evaluate", s.base))
        .form(&[("csrf", csrf.as_str()), ("number", &number), ("code", &code), ("rating", "satisfied"), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c.get(format!("{}/track?number={number}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("感谢您的评价"));
    let reload = c.get(format!("{}/track?number={number}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(!reload.contains("感谢您的评价") && !reload.contains("提交评价"), "shown once; evaluated once");
    // The petitioner reads back what was given (Art. 21).
    assert!(reload.contains("您的评价") && reload.contains("对信访处理意见书：<strong>满意</strong>"), "{reload}");
    let d = s.detail("ft_clerk", &number).await;
    assert_eq!(d["history"].as_array().unwrap().iter().filter(|e| e["action"] == "evaluate").count(), 1);
    s.finish().await;
}

#[tokio::test]
async fn tracking_a_suggestion_shows_the_reply_and_whether_it_was_adopted() {
    let s = TestServer::start().await;
    let mut body = online_claim("冯七", "440304199001011233");
    body["category"] = json!("suggestion");
    body["title"] = json!("建议增设公交站");
    let (status, sub) = s.post("/api/v1/petitions", None, body).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let (number, code) = (sub["number"].as_str().unwrap().to_string(), sub["query_code"].as_str().unwrap().to_string());
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    s.act("ft_rst_officer", &number, "accept", json!({})).await;
    s.act("ft_rst_officer", &number, "reply", json!({"text": "已将您的建议纳入明年线路调整方案", "adoption": "partly_adopted"})).await;
    let (status, v) = s.get(&format!("/api/v1/track/{number}?code={code}"), None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let reply = v["documents"].as_array().unwrap().iter().find(|d| d["action"] == "reply").unwrap_or_else(|| panic!("{v}"));
    assert_eq!(reply["name"], "答复意见书");
    let items: Vec<(String, String)> = reply["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["label"].as_str().unwrap().to_string(), i["text"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        items,
        vec![("答复内容".to_string(), "已将您的建议纳入明年线路调整方案".to_string()), ("是否采纳".to_string(), "部分采纳".to_string())]
    );
    assert_eq!(v["submitted"]["category_label"], "建议意见类");
    assert!(v["submitted"]["jurisdiction_name"].as_str().unwrap().ends_with("福田区"), "{}", v["submitted"]);
    s.finish().await;
}

#[tokio::test]
async fn leader_mailbox_posts_once_and_redirects_to_its_receipt() {
    let s = TestServer::start().await;
    let c = no_redirect();
    let html = c.get(format!("{}/mailbox", s.base)).send().await.unwrap().text().await.unwrap();
    let (csrf, token) = (hidden(&html, "csrf"), hidden(&html, "form_token"));
    let leader = html
        .split("<option value=\"\">请选择单位</option>")
        .nth(1)
        .and_then(|r| r.split("value=\"").nth(1))
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let form = || portal_form(&csrf, &token).text("target_unit", leader.clone());
    for _ in 0..2 {
        let r = c.post(format!("{}/mailbox", s.base)).multipart(form()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/mailbox/receipt");
    }
    let receipt = c.get(format!("{}/mailbox/receipt", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(receipt.contains("提交成功") && receipt.contains("aria-current=\"page\">领导信箱"), "the mailbox's receipt");
    assert_eq!(petitions(&s).await, 1, "sent twice, filed once");
    s.finish().await;
}

/// A browser-like client (cookies kept, redirects not followed) logged in
/// to the workbench as `user`; returns it with the session's CSRF token.
async fn staff_client(s: &TestServer, user: &str) -> (reqwest::Client, String) {
    let c = no_redirect();
    let html = c.get(format!("{}/staff/login", s.base)).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&html, "csrf");
    let r = c
        .post(format!("{}/staff/login", s.base))
        .form(&[("csrf", csrf.as_str()), ("username", user), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    (c, csrf)
}

fn register_form(csrf: &str, token: &str, title: &str) -> Form {
    [
        ("csrf", csrf),
        ("form_token", token),
        ("channel", "letter"),
        ("category", "claim"),
        ("jurisdiction", "440304011"),
        ("name", "周五"),
        ("phone", "13900000077"),
        ("title", title),
        ("request", "请求支付拖欠工资"),
        ("facts_and_reasons", "公司拖欠三个月工资。"),
    ]
    .into_iter()
    .fold(Form::new(), |f, (k, v)| f.text(k, v.to_string()))
}

#[tokio::test]
async fn staff_registration_form_token_registers_once() {
    let s = TestServer::start().await;
    let (c, csrf) = staff_client(&s, "ft_clerk").await;
    let html = c.get(format!("{}/staff/register", s.base)).send().await.unwrap().text().await.unwrap();
    let token = hidden(&html, "form_token");
    assert_eq!(token.len(), 32);
    let before = petitions(&s).await;
    // The same registration sent twice with the page's one token (a double
    // click, a resend over a bad connection): both end on the one petition.
    let mut ends = Vec::new();
    for _ in 0..2 {
        let r = c.post(format!("{}/staff/register", s.base)).multipart(register_form(&csrf, &token, "欠薪求助")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "POST → 303");
        ends.push(r.headers()["location"].to_str().unwrap().to_string());
    }
    assert!(ends[0].starts_with("/staff/p/XF-") && ends[0].ends_with("?done=register"), "{}", ends[0]);
    assert_eq!(ends[0], ends[1], "the resend lands on the same petition");
    assert_eq!(petitions(&s).await, before + 1, "one petition registered");
    // The page says the query code the clerk tells the petitioner (Art. 21),
    // once; it tracks the petition on the portal's side.
    let page = c.get(format!("{}{}", s.base, ends[0])).send().await.unwrap().text().await.unwrap();
    let code =
        page.split("查询码：").nth(1).and_then(|r| r.split('（').next()).unwrap_or_else(|| panic!("no query code: {page}")).to_string();
    let number = ends[0].trim_start_matches("/staff/p/").trim_end_matches("?done=register").to_string();
    let (status, view) = s.get(&format!("/api/v1/track/{number}?code={code}"), None).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let again = c.get(format!("{}{}", s.base, ends[0])).send().await.unwrap().text().await.unwrap();
    assert!(!again.contains("查询码："), "shown once");
    // Sent at the same moment: still one.
    let html = c.get(format!("{}/staff/register", s.base)).send().await.unwrap().text().await.unwrap();
    let second = hidden(&html, "form_token");
    assert_ne!(second, token, "a new form, a new token");
    let send = || c.post(format!("{}/staff/register", s.base)).multipart(register_form(&csrf, &second, "另一件欠薪")).send();
    let (a, b) = tokio::join!(send(), send());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.status(), b.status()), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    assert_eq!(a.headers()["location"], b.headers()["location"]);
    assert_eq!(petitions(&s).await, before + 2);
    // A changed form with a used token is not taken for the first one: it
    // comes back as typed with a new token, and nothing is registered.
    let r = c.post(format!("{}/staff/register", s.base)).multipart(register_form(&csrf, &token, "改过的标题")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("这份登记表已经提交过") && page.contains("改过的标题"), "kept, with a message");
    assert_ne!(hidden(&page, "form_token"), token);
    // Without a token (a stale page): nothing registered, the values kept.
    let r = c.post(format!("{}/staff/register", s.base)).multipart(register_form(&csrf, "", "无令牌")).send().await.unwrap();
    assert!(!r.status().is_redirection());
    assert!(r.text().await.unwrap().contains("无令牌"));
    assert_eq!(petitions(&s).await, before + 2);
    s.finish().await;
}

#[tokio::test]
async fn a_confirmed_staff_act_carries_the_form_token_through_the_confirmation_and_acts_once() {
    let s = TestServer::start().await;
    let (c, csrf) = staff_client(&s, "ft_clerk").await;
    let html = c.get(format!("{}/staff/register", s.base)).send().await.unwrap().text().await.unwrap();
    let r = c
        .post(format!("{}/staff/register", s.base))
        .multipart(register_form(&csrf, &hidden(&html, "form_token"), "欠薪求助"))
        .send()
        .await
        .unwrap();
    let number = r.headers()["location"].to_str().unwrap().split("/staff/p/").nth(1).unwrap().split('?').next().unwrap().to_string();
    let page = c.get(format!("{}/staff/p/{number}", s.base)).send().await.unwrap().text().await.unwrap();
    let token = hidden(&page, "form_token");
    assert!(token.ends_with("-forward"), "{token}");
    let forwards = |d: Value| d["history"].as_array().unwrap().iter().filter(|e| e["action"] == "forward").count();
    // The form of an irreversible act, sent twice: two confirmation pages,
    // nothing done, the token carried in each.
    for _ in 0..2 {
        let r = c
            .post(format!("{}/staff/p/{number}/act/forward", s.base))
            .form(&[("csrf", csrf.as_str()), ("form_token", token.as_str()), ("unit", "440304-RST"), ("note", "请办理")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let confirm = r.text().await.unwrap();
        assert!(confirm.contains("请确认：转送"));
        assert_eq!(hidden(&confirm, "form_token"), token, "the token rides through the confirmation");
    }
    assert_eq!(forwards(s.detail("ft_clerk", &number).await), 0);
    // The confirmed form sent twice (a double click): one forward, both
    // answered by the same redirect.
    let confirmed =
        [("csrf", csrf.as_str()), ("form_token", token.as_str()), ("unit", "440304-RST"), ("note", "请办理"), ("confirmed", "1")];
    let send = || c.post(format!("{}/staff/p/{number}/act/forward", s.base)).form(&confirmed).send();
    let (a, b) = tokio::join!(send(), send());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.status(), b.status()), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    assert_eq!(a.headers()["location"].to_str().unwrap(), format!("/staff/p/{number}?done=forward"));
    assert_eq!(a.headers()["location"], b.headers()["location"]);
    let r = send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a later resend too");
    let d = s.detail("ft_clerk", &number).await;
    assert_eq!(forwards(d.clone()), 1, "forwarded once");
    assert_eq!(d["state"], "forwarded");
    s.finish().await;
}

#[tokio::test]
async fn art21_an_act_resent_with_its_idempotency_key_acts_once() {
    let s = TestServer::start().await;
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("重发人", "440304199001011233")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    let token = s.token("ft_clerk").await;
    let send = |key: &'static str, reason: &'static str| {
        let req = s
            .client
            .post(format!("{}/api/v1/petitions/{number}/actions/reissue_query_code", s.base))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&json!({"reason": reason}));
        async move {
            let r = req.send().await.unwrap();
            let replayed = r.headers().get("idempotent-replayed").is_some();
            (r.status(), replayed, r.json::<Value>().await.unwrap())
        }
    };
    let (status, replayed, first) = send("act-resend-key-0000001", "信访人持身份证到窗口申请").await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{first}");
    let (status, replayed, again) = send("act-resend-key-0000001", "信访人持身份证到窗口申请").await;
    assert_eq!((status, replayed), (StatusCode::OK, true), "{again}");
    assert_eq!(again["query_code"], first["query_code"], "the code read out still works");
    let code = first["query_code"].as_str().unwrap();
    let (status, _) = s.get(&format!("/api/v1/track/{number}?code={code}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let history = s.detail("ft_clerk", &number).await["history"].to_string();
    assert_eq!(history.matches("reissue_query_code").count(), 1, "acted once: {history}");
    // The key with another body is refused; a bad key is 400.
    let (status, _, err) = send("act-resend-key-0000001", "另一个理由").await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused")), "{err}");
    let (status, _, err) = send("short", "x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    s.finish().await;
}
