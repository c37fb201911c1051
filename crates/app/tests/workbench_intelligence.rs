//! The workbench's text intelligence (issue 13): suggestions and possible
//! repeats while registering, the 初件 / 重件 finding on the petition page,
//! and full-text search with highlighted snippets — through the pages, over
//! real HTTP on a real database.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

async fn register(s: &TestServer, name: &str, phone: &str, title: &str, facts: &str) -> String {
    let mut body = letter(&today().to_string());
    body["title"] = json!(title);
    body["facts_and_reasons"] = json!(facts);
    body["jurisdiction"] = json!("440304011");
    body["petitioners"] = json!([{ "name": name, "phone": phone }]);
    let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["number"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn registering_shows_the_suggestions_with_their_words_the_risk_and_the_possible_repeats() {
    let s = TestServer::start().await;
    let earlier = register(&s, "孙八", "13933330000", "宏达建筑拖欠工资", "宏达建筑公司滨河工地拖欠我三个月工资八万六千元。").await;
    let (c, csrf) = browser(&s, "ft_clerk").await;
    let form = c.get(format!("{}/staff/register", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("hx-post=\"/staff/triage\""), "the form asks for suggestions");
    let hint = |fields: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = format!("{}/staff/triage", s.base);
        async move { c.post(url).form(&fields).send().await.unwrap().text().await.unwrap() }
    };
    let html = hint(vec![
        ("csrf", csrf.clone()),
        ("title", "工地老板拖欠工资".into()),
        ("facts_and_reasons", "宏达建筑公司滨河工地欠我工资八万六千元，再不给我就去跳楼。".into()),
        ("name", "孙八".into()),
        ("phone", "13933330000".into()),
        ("county", "440304".into()),
    ])
    .await;
    assert!(html.contains("data-fill=\"topic\" data-value=\"0202\""), "a topic to take over: {html}");
    assert!(html.contains("拖欠工资"), "the words behind it: {html}");
    assert!(html.contains("福田区人力资源和社会保障局"), "the unit of the area: {html}");
    assert!(html.contains("紧急风险") && html.contains("跳楼"), "the risk and its words: {html}");
    assert!(html.contains(&earlier) && html.contains("同一信访人"), "the possible repeat and why: {html}");
    // The county changed a moment ago, the old township still in the form
    // (its options not yet drawn again): the new county's unit is named.
    let html = hint(vec![
        ("csrf", csrf.clone()),
        ("title", "工地老板拖欠工资".into()),
        ("facts_and_reasons", "宏达建筑公司滨河工地欠我工资八万六千元。".into()),
        ("county", "440304".into()),
        ("township", "440305001".into()),
    ])
    .await;
    assert!(html.contains("福田区人力资源和社会保障局"), "the unit of the county chosen, not of the old township: {html}");
    // Name and address only (another phone, no ID number): the earlier
    // petition of that name at that home is shown as a hint.
    let mut body = letter(&today().to_string());
    body["title"] = json!("小区电梯停运半年");
    body["facts_and_reasons"] = json!("我住的楼电梯坏了半年没人修。");
    body["jurisdiction"] = json!("440304011");
    body["petitioners"] = json!([{ "name": "吴十一", "phone": "13933331111", "address": "深圳市福田区振华路8号2栋301" }]);
    let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let home = v["number"].as_str().unwrap().to_string();
    let html = hint(vec![
        ("csrf", csrf.clone()),
        ("title", "楼下烧烤店油烟扰民".into()),
        ("facts_and_reasons", "楼下烧烤店每晚油烟很大，窗户都不敢开。".into()),
        ("name", "吴十一".into()),
        ("address", "深圳市福田区振华路8号 2栋301".into()),
        ("county", "440304".into()),
    ])
    .await;
    assert!(html.contains(&home) && html.contains("同一信访人"), "the same name at the same home: {html}");
    // Words no rule has: the places are the seed's, shown as such.
    let html = hint(vec![
        ("csrf", csrf.clone()),
        ("title", "干部过节收礼".into()),
        ("facts_and_reasons", "镇上的干部逢年过节收村里送的土特产和烟酒，这种风气谁来管一管".into()),
        ("county", "440304".into()),
    ])
    .await;
    assert!(html.contains("参考样本："), "a place the rules left, filled from the labelled petitions: {html}");
    // Too little text: nothing; a stale form: said so, nothing else.
    assert!(hint(vec![("csrf", csrf.clone()), ("title", "你好".into())]).await.trim().is_empty());
    assert!(hint(vec![("csrf", "stale".into()), ("title", "工地老板拖欠工资".into())]).await.contains("页面已过期"));
    s.finish().await;
}

#[tokio::test]
async fn the_clerk_links_a_repeat_from_the_petition_page_and_sees_the_finding() {
    let s = TestServer::start().await;
    let first = register(&s, "周九", "13944440000", "宏达建筑拖欠工资", "宏达建筑公司滨河工地拖欠我三个月工资八万六千元。").await;
    let again =
        register(&s, "吴十", "13955550000", "反映滨河工地欠薪", "滨河工地的宏达建筑公司欠我们三个月工资共八万六千元，一直不给。").await;
    let (c, csrf) = browser(&s, "ft_clerk").await;
    let page = c.get(format!("{}/staff/p/{again}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("初件 / 重件") && page.contains("尚未认定"), "{page}");
    let frag = c.get(format!("{}/staff/p/{again}/similar", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(frag.contains(&first) && frag.contains("相同词语"), "the candidate with its reasons: {frag}");
    assert!(frag.contains("认定为重件") && frag.contains("确认为初件"), "{frag}");
    let r = c
        .post(format!("{}/staff/p/{again}/repeat", s.base))
        .form(&[("csrf", csrf.as_str()), ("verdict", "repeat"), ("first", first.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("已认定为重件") && html.contains(&format!("href=\"/staff/p/{first}\"")), "{html}");
    assert_eq!(s.detail("ft_clerk", &again).await["repeat_of"], first.as_str());
    // A stale form changes nothing and says why.
    let r = c.post(format!("{}/staff/p/{again}/repeat", s.base)).form(&[("csrf", "stale"), ("verdict", "first")]).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("页面已过期"));
    assert_eq!(s.detail("ft_clerk", &again).await["repeat_verdict"], "repeat");
    // Another district's clerk sees neither the petition nor its candidates.
    let (other, _) = browser(&s, "ns_clerk").await;
    let frag = other.get(format!("{}/staff/p/{again}/similar", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(!frag.contains(&first), "{frag}");
    s.finish().await;
}

#[tokio::test]
async fn the_search_page_ranks_and_highlights_the_words_with_the_list_filters() {
    let s = TestServer::start().await;
    let a = register(&s, "郑一", "13966660000", "夜间施工噪音扰民", "附近工地夜间施工噪音很大，影响休息。").await;
    let b = register(&s, "郑二", "13966660001", "小区道路破损", "小区主干道破损，另外楼下也有噪音。").await;
    s.act("ft_clerk", &b, "forward", json!({"unit": "440304-ZJT"})).await;
    let (c, _) = browser(&s, "ft_clerk").await;
    let get = |q: String| {
        let c = c.clone();
        let url = format!("{}/staff/search?{q}", s.base);
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let html = get(format!("q={}", "%E5%99%AA%E9%9F%B3")).await; // 噪音
    let (pa, pb) = (html.find(&a).unwrap_or(usize::MAX), html.find(&b).unwrap_or(usize::MAX));
    assert!(pa < pb && pb < usize::MAX, "the title match first, both found: {html}");
    assert!(html.contains("<mark>噪音</mark>"), "{html}");
    let html = get(format!("q={}&state=registered", "%E5%99%AA%E9%9F%B3")).await;
    assert!(html.contains(&a) && !html.contains(&b), "with the list's filters: {html}");
    let html = get("q=%E5%99%AA%E9%9F%B3&from=notadate".into()).await;
    assert!(html.contains("class=\"alert\""), "a bad filter is said in Chinese: {html}");
    let html = get(String::new()).await;
    assert!(html.contains("全文检索") && !html.contains("search-results"), "{html}");
    s.finish().await;
}

/// Matching the person while registering is a search by phone: logged and
/// within the hourly budget, so the form cannot be used to probe numbers.
/// The budget counts people: the form asking again about the same caller
/// (it does with every change of the form) spends nothing more.
#[tokio::test]
async fn the_person_match_while_registering_counts_as_an_identity_search() {
    let s = TestServer::start_configured(|c| c.settings.identity_searches_per_hour = 1).await;
    let earlier = register(&s, "冯一", "13977771111", "宏达建筑拖欠工资", "宏达建筑公司拖欠我三个月工资。").await;
    let (c, csrf) = browser(&s, "ft_clerk").await;
    let hint = |phone: &'static str| {
        let (c, csrf) = (c.clone(), csrf.clone());
        let url = format!("{}/staff/triage", s.base);
        async move {
            let fields = [("csrf", csrf.as_str()), ("title", "小区噪音扰民"), ("name", "冯一"), ("phone", phone)];
            c.post(url).form(&fields).send().await.unwrap().text().await.unwrap()
        }
    };
    let first = hint("13977771111").await;
    assert!(first.contains(&earlier) && first.contains("同一信访人"), "{first}");
    for _ in 0..3 {
        let again = hint("13977771111").await;
        assert!(again.contains(&earlier) && again.contains("同一信访人"), "the same person again: {again}");
    }
    let other = hint("13977772222").await;
    assert!(other.contains("每小时不超过1次") && !other.contains("同一信访人"), "another number is over the budget: {other}");
    // The refused ask spent nothing: the caller already asked about is
    // still matched.
    let back = hint("13977771111").await;
    assert!(back.contains(&earlier) && back.contains("同一信访人"), "{back}");
    let logged = raw_rows(&s, "SELECT refused FROM identity_searches ORDER BY id").await;
    assert_eq!(logged.len(), 6, "every ask is logged");
    let refused: Vec<i64> = logged.iter().map(|r| sqlx::Row::get::<i64, _>(r, "refused")).collect();
    assert_eq!(refused, vec![0, 0, 0, 0, 1, 0], "only the new number over the budget was refused");
    s.finish().await;
}
