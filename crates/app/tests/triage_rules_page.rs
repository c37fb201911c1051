//! The administrator's page of the triage rule table (issue 13, item 3):
//! `/staff/admin/triage-rules` adds, edits and deletes rules and restores
//! the starter table, each through the check of `PUT /api/v1/triage/rules`;
//! triage follows at once. Real HTTP on a real database.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PAGE: &str = "/staff/admin/triage-rules";

async fn triage(s: &TestServer, text: &str) -> Value {
    let (status, v) = s.post_as("ft_clerk", "/api/v1/triage", json!({"title": "", "content": text, "region": "440304011"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

/// Whether a suggestion of `field` came from the rules for `word`.
fn ruled_by(v: &Value, field: &str, word: &str) -> Option<String> {
    v[field]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["basis"] == "rules" && x["why"].as_array().unwrap().iter().any(|w| w == word))
        .map(|x| x["value"].as_str().unwrap().to_string())
}

async fn rules(s: &TestServer) -> Vec<Value> {
    let (status, v) = s.get_as("ft_clerk", "/api/v1/triage/rules").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["rules"].as_array().unwrap().clone()
}

/// The page's hidden field `name` (the first).
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.split(&marker).nth(1).unwrap_or_else(|| panic!("no {name} in {html}")).split('"').next().unwrap().to_string()
}

async fn get(c: &reqwest::Client, s: &TestServer, path: &str) -> (StatusCode, String) {
    let r = c.get(format!("{}{path}", s.base)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// A form posted: the final status, URL and page.
async fn post(c: &reqwest::Client, s: &TestServer, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let r = c.post(format!("{}{path}", s.base)).form(form).send().await.unwrap();
    let (status, url) = (r.status(), r.url().to_string());
    (status, url, r.text().await.unwrap())
}

const DRONE: &str = "小区上空每晚有无人机黑飞，在住户阳台外盘旋拍摄，还有人航拍扰民。";

#[tokio::test]
async fn the_admin_adds_edits_and_deletes_a_rule_and_triage_follows_at_once() {
    let s = TestServer::start().await;
    let starter = rules(&s).await;
    let before = triage(&s, DRONE).await;
    assert_eq!(ruled_by(&before, "topic", "无人机黑飞"), None, "the starter table does not know the words: {before}");

    let (a, csrf) = browser(&s, "admin").await;
    let admin_page = get(&a, &s, "/staff/admin").await.1;
    assert!(admin_page.contains("href=\"/staff/admin/triage-rules\""), "linked from the admin page");
    let models = get(&a, &s, "/staff/models").await.1;
    assert!(models.contains("href=\"/staff/admin/triage-rules\""), "and from the models page, for the admin");
    let (status, html) = get(&a, &s, PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-origin=\"starter\"") && html.contains("系统初始规则表"), "{html}");
    assert!(html.contains(&format!("规则（共{}条", starter.len())), "every rule of the starter table is listed");
    assert!(html.contains("aria-current=\"page\">系统管理"), "the menu's 系统管理 is current");
    // Labels from the sources triage uses: the class and the topic with its parent.
    assert!(html.contains("<option value=\"litigation_related\">涉法涉诉类</option>"), "{html}");
    assert!(html.contains("<option value=\"1003\">1003 生态环境 › 噪声污染</option>"), "{html}");
    assert!(html.contains("<option value=\"城市管理局\">"), "the usual names of bodies are offered");
    assert!(html.contains("1 至 50 个，每个 1 至 20 个字") && html.contains("按5倍计"), "the limits the check applies: {html}");
    let version = hidden(&html, "revision");

    // Add: the new rule is the last, triage uses its keyword at once.
    let (status, url, html) = post(
        &a,
        &s,
        "/staff/admin/triage-rules/add",
        &[
            ("csrf", &csrf),
            ("revision", &version),
            ("keywords", "无人机黑飞、 无人机扰民"),
            ("category", "claim"),
            ("topic", "1003"),
            ("unit_kind", "公安局"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let n = starter.len() + 1;
    assert!(url.ends_with(&format!("{PAGE}?done=added&n={n}")), "{url}");
    assert!(html.contains(&format!("已新增第{n}条规则")) && html.contains("data-origin=\"own\""), "{html}");
    assert!(html.contains("最近一次由") && html.contains("保存（第1版）"), "who saved it, when, which revision: {html}");
    let now = rules(&s).await;
    assert_eq!(now.len(), n);
    assert_eq!(now[..n - 1], starter[..], "the rules before it are kept, in order");
    assert_eq!(now[n - 1], json!({"keywords": ["无人机黑飞", "无人机扰民"], "topic": "1003", "unit_kind": "公安局", "category": "claim"}));
    let v = triage(&s, DRONE).await;
    assert_eq!(ruled_by(&v, "topic", "无人机黑飞").as_deref(), Some("1003"), "{v}");
    assert_eq!(ruled_by(&v, "department", "无人机黑飞").as_deref(), Some("公安局"), "{v}");

    // The filter finds it by keyword, by topic label and by unit kind.
    for q in ["无人机", "噪声污染", "公安局 1003"] {
        let html = get(&a, &s, &format!("{PAGE}?q={}", urlencoding(q))).await.1;
        assert!(html.contains(&format!("id=\"rule-{n}\"")) && html.contains("无人机黑飞、无人机扰民"), "{q}: {html}");
    }
    let html = get(&a, &s, &format!("{PAGE}?q={}", urlencoding("无人机"))).await.1;
    assert!(html.contains("相符1条") && !html.contains("id=\"rule-1\""), "only the rule found: {html}");

    // Edit: the form comes filled in; a new keyword and another unit.
    let (status, html) = get(&a, &s, &format!("{PAGE}?edit={n}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("修改第{n}条规则")) && html.contains("value=\"无人机黑飞、无人机扰民\""), "{html}");
    assert!(html.contains("<option value=\"1003\" selected>"), "{html}");
    let version = hidden(&html, "revision");
    let n_text = n.to_string();
    let (status, url, html) = post(
        &a,
        &s,
        "/staff/admin/triage-rules/edit",
        &[
            ("csrf", &csrf),
            ("revision", &version),
            ("n", &n_text),
            ("keywords", "无人机黑飞，航拍扰民"),
            ("category", "claim"),
            ("topic", "1003"),
            ("unit_kind", "生态环境局"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(url.contains("done=edited") && html.contains(&format!("已保存第{n}条规则")), "{url}");
    let now = rules(&s).await;
    assert_eq!(now.len(), n, "an edit adds nothing");
    assert_eq!(now[n - 1]["keywords"], json!(["无人机黑飞", "航拍扰民"]));
    let v = triage(&s, "楼顶经常有无人机扰民，还有人航拍扰民，吵得睡不着。").await;
    assert_eq!(ruled_by(&v, "department", "航拍扰民").as_deref(), Some("生态环境局"), "the edited rule answers: {v}");
    assert_eq!(ruled_by(&v, "department", "无人机扰民"), None, "the keyword taken out no longer fires: {v}");

    // Delete: gone, and triage no longer knows the words.
    let html = get(&a, &s, &format!("{PAGE}?edit={n}")).await.1;
    let version = hidden(&html, "revision");
    let (status, url, html) =
        post(&a, &s, "/staff/admin/triage-rules/delete", &[("csrf", &csrf), ("revision", &version), ("n", &n_text)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(url.contains("done=deleted") && html.contains(&format!("已删除原第{n}条规则")), "{url}");
    assert_eq!(rules(&s).await, starter);
    assert_eq!(ruled_by(&triage(&s, DRONE).await, "topic", "无人机黑飞"), None);
    // The deployment's own table, the same as the starter's; restoring
    // asks to be confirmed, then the starter table is in force again.
    assert!(html.contains("data-origin=\"own\"") && html.contains("内容与系统初始规则表相同"), "{html}");
    let revision = hidden(&html, "revision");
    let (status, _, html) = post(&a, &s, "/staff/admin/triage-rules/reset", &[("csrf", &csrf), ("revision", &revision)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("请先勾选确认"), "{html}");
    assert!(s.store.triage_rules().await.unwrap().is_some(), "not restored unconfirmed");
    let (status, url, html) =
        post(&a, &s, "/staff/admin/triage-rules/reset", &[("csrf", &csrf), ("revision", &revision), ("confirm", "1")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(url.contains("done=reset") && html.contains("已恢复初始规则表") && html.contains("data-origin=\"starter\""), "{html}");
    assert!(!html.contains("id=\"reset-rules\""), "nothing to restore now");
    assert!(html.contains("恢复为初始规则表（第4版）"), "who restored it is kept: {html}");
    assert_eq!(s.store.triage_rules().await.unwrap(), None);
    assert_eq!(rules(&s).await, starter);
    s.finish().await;
}

fn urlencoding(v: &str) -> String {
    v.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn an_invalid_rule_is_refused_in_chinese_beside_its_field_and_nothing_changes() {
    let s = TestServer::start().await;
    let starter = rules(&s).await;
    let (a, csrf) = browser(&s, "admin").await;
    let html = get(&a, &s, PAGE).await.1;
    let version = hidden(&html, "revision");
    let long = "很".repeat(21);
    let cases: [(&str, &str, &str, &str, &str, &str); 6] = [
        ("、 ，", "1003", "公安局", "claim", "r-keywords-error", "关键词须有 1 至 50 个，每个 1 至 20 个字"),
        (&long, "1003", "公安局", "claim", "r-keywords-error", "关键词须有 1 至 50 个，每个 1 至 20 个字"),
        ("无人机黑飞", "9999", "公安局", "claim", "r-topic-error", "内容分类“9999”不存在"),
        // A unit kind without a topic is half a class cue.
        ("无人机黑飞", "", "公安局", "claim", "r-topic-error", "内容分类“”不存在（仅判断分类的规则，内容分类与单位类别均留空）"),
        ("无人机黑飞", "1003", "局", "claim", "r-kind-error", "单位类别须为 2 至 20 个字"),
        ("无人机黑飞", "1003", "公安局", "other", "r-category-error", "分类“other”不存在"),
    ];
    for (keywords, topic, kind, class, at, message) in cases {
        let form = [
            ("csrf", csrf.as_str()),
            ("revision", version.as_str()),
            ("keywords", keywords),
            ("topic", topic),
            ("unit_kind", kind),
            ("category", class),
        ];
        let (status, url, html) = post(&a, &s, "/staff/admin/triage-rules/add", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{keywords} {topic} {kind} {class}: {html}");
        assert!(url.ends_with("/staff/admin/triage-rules/add"), "no redirect: {url}");
        assert!(html.contains("未保存：请按提示修改"), "{html}");
        let beside = html.split(&format!("id=\"{at}\">")).nth(1).unwrap_or_else(|| panic!("{at}: {html}"));
        assert!(beside.starts_with(message), "{at}: {beside}");
        assert!(html.contains("id=\"new-rule\" open"), "the form stays open: {html}");
        // An edit is refused the same way.
        let mut edit = form.to_vec();
        edit.push(("n", "1"));
        let (status, _, html) = post(&a, &s, "/staff/admin/triage-rules/edit", &edit).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains(&format!("id=\"{at}\">{message}")) && html.contains("修改第1条规则"), "{html}");
    }
    // What was typed comes back to be corrected.
    let (_, _, html) = post(
        &a,
        &s,
        "/staff/admin/triage-rules/add",
        &[
            ("csrf", &csrf),
            ("revision", &version),
            ("keywords", "无人机黑飞"),
            ("topic", "1003"),
            ("unit_kind", "局"),
            ("category", "claim"),
        ],
    )
    .await;
    assert!(
        html.contains("value=\"无人机黑飞\"") && html.contains("value=\"局\"") && html.contains("<option value=\"1003\" selected>"),
        "{html}"
    );
    assert_eq!(s.store.triage_rules().await.unwrap(), None, "nothing stored");
    assert_eq!(rules(&s).await, starter);

    // A form drawn from a table changed since is refused, as is a stale
    // CSRF token or a rule that is not there.
    let good = |version: &'static str| {
        [("revision", version), ("keywords", "无人机黑飞"), ("topic", "1003"), ("unit_kind", "公安局"), ("category", "claim")]
    };
    let mut stale = vec![("csrf", csrf.as_str())];
    stale.extend(good("99"));
    let (status, _, html) = post(&a, &s, "/staff/admin/triage-rules/add", &stale).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(html.contains("规则表在您打开本页后已被修改"), "{html}");
    let mut forged: Vec<(&str, &str)> = vec![("csrf", "0123456789abcdef0123456789abcdef"), ("revision", &version)];
    forged.extend(good("").into_iter().skip(1));
    let (status, _, html) = post(&a, &s, "/staff/admin/triage-rules/add", &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    assert!(html.contains("页面已过期，请刷新后重试"), "{html}");
    let far = (starter.len() + 5).to_string();
    let (status, _, html) = post(&a, &s, "/staff/admin/triage-rules/delete", &[("csrf", &csrf), ("revision", &version), ("n", &far)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
    assert!(html.contains("未删除：没有这条规则"), "{html}");
    let (status, html) = get(&a, &s, &format!("{PAGE}?edit={far}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains(&format!("没有第{far}条规则")), "{html}");
    assert_eq!(s.store.triage_rules().await.unwrap(), None, "still nothing stored");

    // The last rule cannot go: the table's own check says why.
    let one = json!({"rules": [{"keywords": ["广场舞"], "topic": "1003", "unit_kind": "文化广电旅游体育局", "category": "claim"}]});
    let (status, v) = s.put("/api/v1/triage/rules", Some(&s.token("admin").await), one).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let html = get(&a, &s, PAGE).await.1;
    let version = hidden(&html, "revision");
    let (status, _, html) = post(&a, &s, "/staff/admin/triage-rules/delete", &[("csrf", &csrf), ("revision", &version), ("n", "1")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("未删除：规则须有 1 至 500 条"), "{html}");
    assert_eq!(rules(&s).await.len(), 1);
    s.finish().await;
}

#[tokio::test]
async fn only_the_administrator_sees_or_changes_the_rule_table() {
    let s = TestServer::start().await;
    let (c, csrf) = browser(&s, "ft_clerk").await;
    let (status, html) = get(&c, &s, PAGE).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("无权访问") && html.contains("系统管理页面仅限系统管理员使用"), "the other admin pages' refusal: {html}");
    assert!(!get(&c, &s, "/staff/models").await.1.contains("/staff/admin/triage-rules"), "no link for a clerk");
    let version = {
        let (a, _) = browser(&s, "admin").await;
        hidden(&get(&a, &s, PAGE).await.1, "revision")
    };
    let rule = [("keywords", "无人机黑飞"), ("topic", "1003"), ("unit_kind", "公安局"), ("category", "claim")];
    for (path, extra) in [("add", vec![]), ("edit", vec![("n", "1")]), ("delete", vec![("n", "1")]), ("reset", vec![("confirm", "1")])] {
        let mut form = vec![("csrf", csrf.as_str()), ("revision", version.as_str())];
        form.extend(rule);
        form.extend(extra);
        let (status, _, html) = post(&c, &s, &format!("/staff/admin/triage-rules/{path}"), &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {html}");
        assert!(html.contains("系统管理页面仅限系统管理员使用"), "{path}: {html}");
    }
    assert_eq!(s.store.triage_rules().await.unwrap(), None, "nothing stored");
    // Nobody logged in: the login page.
    let anon = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = anon.get(format!("{}{PAGE}", s.base)).send().await.unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "/staff/login");
    // The API's restore: the administrator's only.
    let (status, v) = s
        .put(
            "/api/v1/triage/rules",
            Some(&s.token("admin").await),
            json!({"rules": [
                {"keywords": ["广场舞"], "topic": "1003", "unit_kind": "文化广电旅游体育局", "category": "claim"}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let r = s.client.delete(format!("{}/api/v1/triage/rules", s.base)).bearer_auth(s.token("ft_clerk").await).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(rules(&s).await.len(), 1);
    let r = s.client.delete(format!("{}/api/v1/triage/rules", s.base)).bearer_auth(s.token("admin").await).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert!(body["rules"].as_array().unwrap().len() > 20, "the starter table: {body}");
    assert_eq!(s.store.triage_rules().await.unwrap(), None);
    s.finish().await;
}

#[tokio::test]
async fn the_api_checks_a_table_as_before_naming_the_rule_and_its_field() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    let good = json!({"keywords": ["广场舞"], "topic": "1003", "unit_kind": "文化广电旅游体育局", "category": "claim"});
    let many = vec!["词"; 51];
    let cases = [
        (json!([]), "rules", "规则须有 1 至 500 条".to_string()),
        (
            json!([good, {"keywords": [" "], "topic": "1003", "unit_kind": "公安局", "category": "claim"}]),
            "rules[1].keywords",
            "第2条规则：关键词须有 1 至 50 个，每个 1 至 20 个字".to_string(),
        ),
        (
            json!([good, good, {"keywords": ["噪音"], "topic": "9999", "unit_kind": "公安局", "category": "claim"}]),
            "rules[2].topic",
            "第3条规则：内容分类“9999”不存在（仅判断分类的规则，内容分类与单位类别均留空）".to_string(),
        ),
        (
            json!([{"keywords": ["噪音"], "topic": "1003", "unit_kind": " 局 ", "category": "claim"}]),
            "rules[0].unit_kind",
            "第1条规则：单位类别须为 2 至 20 个字".to_string(),
        ),
        (
            json!([{"keywords": ["噪音"], "topic": "", "unit_kind": "", "category": "Claim"}]),
            "rules[0].category",
            "第1条规则：分类“Claim”不存在".to_string(),
        ),
        (
            json!([{"keywords": many, "topic": "", "unit_kind": "", "category": "claim"}]),
            "rules[0].keywords",
            "第1条规则：关键词须有 1 至 50 个，每个 1 至 20 个字".to_string(),
        ),
    ];
    for (list, field, message) in cases {
        let (status, v) = s.put("/api/v1/triage/rules", Some(&admin), json!({ "rules": list })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["code"], "invalid_input", "{v}");
        assert_eq!(v["error"]["message"], message, "{v}");
        assert_eq!(v["error"]["fields"][0]["field"], field, "{v}");
    }
    assert_eq!(s.store.triage_rules().await.unwrap(), None, "nothing stored");
    // The starter table, as GET shows it, is a table the PUT accepts as it is.
    let starter = rules(&s).await;
    let (status, v) = s.put("/api/v1/triage/rules", Some(&admin), json!({ "rules": starter })).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["rules"], json!(starter));
    // Keywords and the unit kind are stored trimmed; every class is accepted.
    let list = json!([
        {"keywords": [" 广场舞 "], "topic": "1003", "unit_kind": " 文化广电旅游体育局 ", "category": "claim"},
        {"keywords": ["恳请"], "topic": "", "unit_kind": "", "category": "suggestion"},
        {"keywords": ["实名举报"], "topic": "", "unit_kind": "", "category": "accusation"},
        {"keywords": ["强制执行"], "topic": "", "unit_kind": "", "category": "litigation_related"}
    ]);
    let (status, v) = s.put("/api/v1/triage/rules", Some(&admin), json!({ "rules": list })).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["rules"][0], good, "{v}");
    assert_eq!(rules(&s).await.len(), 4);
    s.finish().await;
}

/// Two admins change the table from the same reading: the first save wins
/// and the second is refused (409), on the API as on the page, also when
/// they arrive at once; a restore is kept with who did it.
#[tokio::test]
async fn a_change_made_from_an_older_reading_of_the_rule_table_is_refused() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    let (status, v) = s.get_as("admin", "/api/v1/triage/rules").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["revision"].as_i64(), v["starter"].as_bool()), (Some(0), Some(true)), "never saved: {v}");
    assert!(v["updated_at"].is_null() && v["updated_by"].is_null(), "{v}");
    let rule = |word: &str| json!({"keywords": [word], "topic": "1003", "unit_kind": "文化广电旅游体育局", "category": "claim"});

    let (status, v) = s.put("/api/v1/triage/rules", Some(&admin), json!({"rules": [rule("广场舞")], "revision": 0})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["revision"].as_i64(), v["starter"].as_bool()), (Some(1), Some(false)), "{v}");
    assert!(v["updated_at"].as_str().is_some_and(|t| t.ends_with('Z')) && v["updated_by"].as_str().is_some(), "{v}");
    // A second change from the same reading: refused, nothing changes.
    let (status, v) = s.put("/api/v1/triage/rules", Some(&admin), json!({"rules": [rule("噪音扰民")], "revision": 0})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "rules_changed", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("本次修改未保存"), "{v}");
    let r = s.client.delete(format!("{}/api/v1/triage/rules?revision=0", s.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "a restore from the old reading too");
    assert_eq!(rules(&s).await, vec![rule("广场舞")]);
    // The page drawn before the API's save is refused as well.
    let (a, csrf) = browser(&s, "admin").await;
    let html = get(&a, &s, PAGE).await.1;
    let revision = hidden(&html, "revision");
    assert_eq!(revision, "1");
    let (status, v) = s.put("/api/v1/triage/rules", Some(&admin), json!({"rules": [rule("广场舞"), rule("跳舞音响")]})).await;
    assert_eq!(status, StatusCode::OK, "without a revision the table is replaced: {v}");
    assert_eq!(v["revision"], 2, "{v}");
    let (status, _, html) = post(&a, &s, "/staff/admin/triage-rules/delete", &[("csrf", &csrf), ("revision", &revision), ("n", "1")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert_eq!(rules(&s).await.len(), 2);

    // Eight saves from one reading at once: exactly one is stored.
    let tries = (0..8).map(|i| {
        let (s, admin) = (&s, admin.clone());
        async move {
            let body = json!({"rules": [rule(&format!("广场舞{i}"))], "revision": 2});
            s.put("/api/v1/triage/rules", Some(&admin), body).await
        }
    });
    let answers = futures_util::future::join_all(tries).await;
    let won: Vec<&Value> = answers.iter().filter(|(st, _)| *st == StatusCode::OK).map(|(_, v)| v).collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert!(answers.iter().all(|(st, _)| *st == StatusCode::OK || *st == StatusCode::CONFLICT), "{answers:?}");
    assert_eq!(rules(&s).await, won[0]["rules"].as_array().unwrap().clone(), "the one answered 200 is the one stored");

    // A restore keeps who did it, when, and the revision goes on.
    let r = s.client.delete(format!("{}/api/v1/triage/rules?revision=3", s.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (status, v) = s.get_as("ft_clerk", "/api/v1/triage/rules").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["revision"].as_i64(), v["starter"].as_bool()), (Some(4), Some(true)), "{v}");
    assert!(v["updated_by"].as_str().is_some() && v["updated_at"].as_str().is_some(), "{v}");
    assert_eq!(s.store.triage_rules().await.unwrap(), None, "the starter table is in force");
    let html = get(&a, &s, PAGE).await.1;
    assert!(html.contains("data-origin=\"starter\"") && html.contains("恢复为初始规则表（第4版）"), "{html}");
    s.finish().await;
}

/// A double click or a reload of the POST: the same form sent twice is
/// one change, and the second answer is the first's (not a 409 for the
/// revision the first moved on). A refused form frees its token for the
/// corrected one.
#[tokio::test]
async fn the_same_form_sent_twice_changes_the_rule_table_once() {
    let s = TestServer::start().await;
    let starter = rules(&s).await;
    let (a, csrf) = browser(&s, "admin").await;
    let html = get(&a, &s, PAGE).await.1;
    let (revision, token) = (hidden(&html, "revision"), hidden(&html, "form_token"));
    let form = |kind: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("revision", revision.clone()),
            ("form_token", token.clone()),
            ("keywords", "无人机黑飞".to_string()),
            ("topic", "1003".to_string()),
            ("unit_kind", kind.to_string()),
            ("category", "claim".to_string()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>| {
        let (a, s) = (a.clone(), &s);
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(&a, s, "/staff/admin/triage-rules/add", &pairs).await
        }
    };
    // Refused first (a one-character unit kind): nothing stored, the token is free again.
    let (status, _, html) = send(form("局")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert_eq!(rules(&s).await, starter);
    let n = starter.len() + 1;
    let (first, second) = tokio::join!(send(form("公安局")), send(form("公安局")));
    for (status, url, html) in [&first, &second] {
        assert_eq!(*status, StatusCode::OK, "{html}");
        assert!(url.ends_with(&format!("{PAGE}?done=added&n={n}")), "both answered as the one change: {url}");
    }
    assert_eq!(rules(&s).await.len(), n, "one rule added, not two");
    // Sent again later with the same token: still the one change.
    let (status, url, _) = send(form("公安局")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(url.contains("done=added"), "{url}");
    assert_eq!(rules(&s).await.len(), n);

    // Deleting: the second post of the form deletes nothing more.
    let html = get(&a, &s, &format!("{PAGE}?edit={n}")).await.1;
    let (revision, token, n_text) = (hidden(&html, "revision"), hidden(&html, "form_token"), n.to_string());
    let delete = [("csrf", csrf.as_str()), ("revision", &revision), ("form_token", &token), ("n", &n_text)];
    for _ in 0..2 {
        let (status, url, html) = post(&a, &s, "/staff/admin/triage-rules/delete", &delete).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(url.contains("done=deleted"), "{url}");
    }
    assert_eq!(rules(&s).await, starter, "only the added rule went");
    s.finish().await;
}
