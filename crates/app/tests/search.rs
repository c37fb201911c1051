//! Chinese full-text search (issue 13): `GET /api/v1/search` and the list's
//! search box find petitions by words cut with jieba from the database's
//! own index, ranked, with snippets, among what the caller may see.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A letter registered by the 福田区 bureau with its own petitioner.
async fn register(s: &TestServer, name: &str, phone: &str, title: &str, facts: &str) -> String {
    let mut body = letter(&today().to_string());
    body["title"] = json!(title);
    body["request"] = json!("请求依法处理");
    body["facts_and_reasons"] = json!(facts);
    body["jurisdiction"] = json!("440304011");
    body["petitioners"] = json!([{ "name": name, "phone": phone, "address": "深圳市福田区华强北街道1号" }]);
    let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["number"].as_str().unwrap().to_string()
}

fn numbers(v: &Value) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_string()).collect()
}

async fn search(s: &TestServer, user: &str, query: &str) -> Value {
    let (status, v) = s.get_as(user, &format!("/api/v1/search?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {v}");
    v
}

#[tokio::test]
async fn a_part_of_a_long_name_finds_it() {
    let s = TestServer::start().await;
    // A unit's name is one word of the segmenter (the tree's names are
    // taught to it); its two-character parts are indexed too.
    let named =
        register(&s, "戊五", "13900000005", "工伤认定迟迟不办", "去年在福田区人力资源和社会保障局申请工伤认定，至今没有结果。").await;
    let other = register(&s, "己六", "13900000006", "工伤认定迟迟不办", "去年在南山区申请工伤认定，至今没有结果。").await;
    // 人力资源 and 社会保障 are words of the dictionary that the index holds
    // only as pieces of the name: found by the wider query.
    for q in ["田区", "福田区人力", "保障局", "人力资源", "社会保障"] {
        let v = search(&s, "ft_clerk", &format!("q={}", enc(q))).await;
        assert_eq!(numbers(&v), vec![named.clone()], "{q}: {v}");
        let spans = v["items"][0]["snippet"].as_array().unwrap();
        assert!(spans.iter().any(|sp| sp["hit"] == true && sp["text"].as_str().unwrap().contains(q)), "{q}: {v}");
    }
    let v = search(&s, "ft_clerk", &format!("q={}", enc("工伤认定"))).await;
    assert_eq!(v["total"], 2, "{v}");
    let _ = other;
    s.finish().await;
}

#[tokio::test]
async fn a_word_finds_its_petitions_best_first_with_snippets_and_never_the_others() {
    let s = TestServer::start().await;
    let in_title = register(&s, "甲一", "13900000001", "建筑公司欠薪三个月", "工地老板拖欠我们十二名工人的工资，多次讨要无果。").await;
    let in_body = register(&s, "乙二", "13900000002", "小区道路破损", "小区主干道破损严重。另外，物业公司也欠薪保洁员，一并反映。").await;
    let noise = register(&s, "丙三", "13900000003", "夜间施工噪音扰民", "附近工地夜间施工噪音很大，影响居民休息。").await;
    let other = register(&s, "丁四", "13900000004", "噪音", "楼下商铺音响声音大。").await;

    let v = search(&s, "ft_clerk", &format!("q={}", enc("欠薪"))).await;
    assert_eq!(numbers(&v), vec![in_title.clone(), in_body.clone()], "{v}");
    assert_eq!(v["terms"], json!(["欠薪"]));
    assert!(v["items"][0]["score"].as_f64().unwrap() > v["items"][1]["score"].as_f64().unwrap());
    // The snippet marks the word where it occurs in the body; where only
    // the title says it, the snippet is the title, marked.
    let spans = v["items"][1]["snippet"].as_array().unwrap();
    assert!(spans.iter().any(|sp| sp["hit"] == true && sp["text"] == "欠薪"), "{v}");
    let spans = v["items"][0]["snippet"].as_array().unwrap();
    assert!(spans.iter().any(|sp| sp["hit"] == true && sp["text"] == "欠薪"), "{v}");
    // A word inside a longer one: 工资 in 工人的工资; 拖欠 in 拖欠我们.
    let v = search(&s, "ft_clerk", &format!("q={}", enc("拖欠 工资"))).await;
    assert_eq!(numbers(&v), vec![in_title.clone()]);
    // A phrase: the petition that has it whole comes first; scattered words after.
    let v = search(&s, "ft_clerk", &format!("q={}", enc("噪音"))).await;
    assert_eq!(v["items"].as_array().unwrap().len(), 2, "{v}");
    let v = search(&s, "ft_clerk", &format!("q={}", enc("夜间施工噪音"))).await;
    assert_eq!(numbers(&v), vec![noise.clone()], "{v}");
    // Nothing matches: an empty page, not an error.
    let v = search(&s, "ft_clerk", &format!("q={}", enc("拆迁补偿"))).await;
    assert_eq!(v["total"], 0);
    // The list's search box uses the same index.
    let (_, page) = s.get_as("ft_clerk", &format!("/api/v1/petitions?q={}", enc("欠薪"))).await;
    let mut listed = numbers(&page);
    listed.sort();
    let mut want = vec![in_title.clone(), in_body.clone()];
    want.sort();
    assert_eq!(listed, want, "{page}");
    // Another district's bureau sees none of them.
    let v = search(&s, "ns_clerk", &format!("q={}", enc("欠薪"))).await;
    assert_eq!(v["total"], 0, "{v}");
    let _ = other;
    s.finish().await;
}

/// A word of a synonym group finds the petitions that say any word of it
/// (one token of the index per group), ranks and marks the word each
/// petition says, and never a word that merely shares characters.
#[tokio::test]
async fn a_word_finds_the_petitions_that_say_it_another_way() {
    let s = TestServer::start().await;
    let owed = register(&s, "辰一", "13900000071", "反映公司拖欠工资", "我在某电子厂上班，公司拖欠工资两个月。").await;
    let short = register(&s, "辰二", "13900000072", "老板欠工资不给", "老板欠工资三个月不给，请帮忙。").await;
    let wages = register(&s, "辰三", "13900000073", "讨薪无果", "包工头欠薪跑路，我们讨薪无果。").await;
    let unrelated = register(&s, "辰四", "13900000074", "居民工作站搬迁", "社区居民工作站搬迁后办事不便。").await;
    let noise = register(&s, "辰五", "13900000075", "夜间噪声", "工地夜间施工噪声很大。").await;
    for q in ["欠薪", "拖欠工资", "欠工资", "工资拖欠"] {
        let v = search(&s, "ft_clerk", &format!("q={}", enc(q))).await;
        let mut found = numbers(&v);
        found.sort();
        let mut want = vec![owed.clone(), short.clone(), wages.clone()];
        want.sort();
        assert_eq!(found, want, "{q}: {v}");
        assert!(v["also"].as_array().unwrap().len() >= 3, "{q}: {v}");
    }
    // Each petition's own word is marked in its snippet.
    let v = search(&s, "ft_clerk", &format!("q={}", enc("欠薪"))).await;
    for item in v["items"].as_array().unwrap() {
        let marked: Vec<&str> =
            item["snippet"].as_array().unwrap().iter().filter(|sp| sp["hit"] == true).map(|sp| sp["text"].as_str().unwrap()).collect();
        assert!(!marked.is_empty(), "{item}");
    }
    // Beside another word, and in the list's search box.
    let v = search(&s, "ft_clerk", &format!("q={}", enc("欠薪 老板"))).await;
    assert_eq!(numbers(&v), vec![short.clone()], "{v}");
    let (_, page) = s.get_as("ft_clerk", &format!("/api/v1/petitions?q={}", enc("拖欠工资"))).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3, "{page}");
    // 民工 is a word of a group; 居民工作站 only shares its characters.
    let v = search(&s, "ft_clerk", &format!("q={}", enc("农民工"))).await;
    assert!(!numbers(&v).contains(&unrelated), "{v}");
    let v = search(&s, "ft_clerk", &format!("q={}", enc("噪音"))).await;
    assert_eq!(numbers(&v), vec![noise.clone()], "{v}");
    // Said any way, the same petitions are found and rank nearly alike:
    // the group is one word, said as typed worth a quarter more
    // (`rank::AS_TYPED`).
    let scores = |v: &Value| -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["number"].as_str().unwrap().to_string(), i["score"].as_f64().unwrap()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    };
    let by_one = scores(&search(&s, "ft_clerk", &format!("q={}", enc("欠薪"))).await);
    let by_other = scores(&search(&s, "ft_clerk", &format!("q={}", enc("拖欠工资"))).await);
    assert_eq!(by_one.iter().map(|x| &x.0).collect::<Vec<_>>(), by_other.iter().map(|x| &x.0).collect::<Vec<_>>());
    for ((_, a), (_, b)) in by_one.iter().zip(&by_other) {
        assert!(a.max(*b) <= a.min(*b) * 1.25 + 0.01, "{by_one:?} {by_other:?}");
    }
    // The answer names where the server spent its time (Server-Timing).
    let t = s.token("ft_clerk").await;
    let r = s.client.get(format!("{}/api/v1/search?q={}", s.base, enc("欠薪"))).bearer_auth(&t).send().await.unwrap();
    let timing = r.headers().get("server-timing").unwrap().to_str().unwrap().to_string();
    for phase in ["app;dur=", "query;dur=", "find;dur=", "rank;dur=", "items;dur="] {
        assert!(timing.contains(phase), "{timing}");
    }
    // So does a petition's detail.
    let r = s.client.get(format!("{}/api/v1/petitions/{}", s.base, by_one[0].0)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let timing = r.headers().get("server-timing").unwrap().to_str().unwrap().to_string();
    for phase in ["app;dur=", "load;dur=", "related;dur=", "build;dur="] {
        assert!(timing.contains(phase), "{timing}");
    }
    s.finish().await;
}

#[tokio::test]
async fn search_combines_with_the_list_filters_and_pages_by_cursor() {
    let s = TestServer::start().await;
    let mut all = Vec::new();
    for i in 0..5 {
        all.push(register(&s, &format!("戊{i}"), &format!("1390000001{i}"), &format!("小区停车收费问题{i}"), "物业擅自提高停车费。").await);
    }
    // One of them moves on: forwarded to the district's labour bureau.
    s.act("ft_clerk", &all[0], "forward", json!({"unit": "440304-RST"})).await;
    let v = search(&s, "ft_clerk", &format!("q={}&state=forwarded", enc("停车"))).await;
    assert_eq!(numbers(&v), vec![all[0].clone()], "{v}");
    let v = search(&s, "ft_clerk", &format!("q={}&state=registered&category=suggestion", enc("停车"))).await;
    assert_eq!(v["total"], 0, "{v}");
    // Two per page: every match once, then no cursor.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let v = search(&s, "ft_clerk", &format!("q={}&per_page=2{cursor}", enc("停车费"))).await;
        seen.extend(numbers(&v));
        match v["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    seen.sort();
    let mut want = all.clone();
    want.sort();
    assert_eq!(seen, want);
    s.finish().await;
}

#[tokio::test]
async fn a_name_is_found_only_whole_and_only_by_who_sees_the_petitioner() {
    let s = TestServer::start().await;
    let mut v = online_claim("申酉戌", "440304199001011233");
    v["confidential"] = json!(true);
    v["title"] = json!("某物业公司违规收费");
    let (_, sub) = s.post("/api/v1/petitions", None, v).await;
    let number = sub["number"].as_str().unwrap().to_string();
    // The registering bureau sees the petitioner: found by the whole name.
    let v = search(&s, "ft_clerk", &format!("q={}", enc("申酉戌"))).await;
    assert_eq!(numbers(&v), vec![number.clone()], "{v}");
    let v = search(&s, "ft_clerk", &format!("q={}", enc("申酉"))).await;
    assert_eq!(v["total"], 0, "part of a name finds nothing: {v}");
    // The city bureau sees the identity hidden: not by name, but by the
    // title, with a snippet cut from the title only.
    let v = search(&s, "sz_clerk", &format!("q={}", enc("申酉戌"))).await;
    assert_eq!(v["total"], 0, "{v}");
    let v = search(&s, "sz_clerk", &format!("q={}", enc("物业"))).await;
    assert_eq!(numbers(&v), vec![number.clone()], "{v}");
    let text: String = v["items"][0]["snippet"].as_array().unwrap().iter().map(|sp| sp["text"].as_str().unwrap()).collect();
    assert_eq!(text, "某物业公司违规收费");
    // Words only in the body do not find it for the city bureau.
    let v = search(&s, "sz_clerk", &format!("q={}", enc("人事部门"))).await;
    assert_eq!(v["total"], 0, "{v}");
    let v = search(&s, "ft_clerk", &format!("q={}", enc("人事部门"))).await;
    assert_eq!(v["total"], 1, "{v}");
    // A title that says the query's word another way: found by the city
    // bureau in the search and in the list's box (the titles are checked
    // for every word of the group, not for the index's token).
    let mut v = online_claim("亥子丑", "44030419900101125X");
    v["confidential"] = json!(true);
    v["title"] = json!("老板拖欠工资");
    let (_, sub) = s.post("/api/v1/petitions", None, v).await;
    let owed = sub["number"].as_str().unwrap().to_string();
    let v = search(&s, "sz_clerk", &format!("q={}", enc("欠薪"))).await;
    assert_eq!(numbers(&v), vec![owed.clone()], "{v}");
    let (_, page) = s.get_as("sz_clerk", &format!("/api/v1/petitions?q={}", enc("欠薪"))).await;
    assert_eq!(numbers(&page), vec![owed.clone()], "{page}");
    s.finish().await;
}

#[tokio::test]
async fn bad_searches_get_a_clear_error() {
    let s = TestServer::start().await;
    for (query, code) in [
        ("", "invalid_query"),
        ("q=%20%20", "invalid_query"),
        (&format!("q={}", enc(&"长".repeat(51))) as &str, "invalid_query"),
        (&format!("q={}", enc("，。！")), "invalid_query"),
        (&format!("q={}&cursor=zz", enc("欠薪")), "invalid_cursor"),
        (&format!("q={}&state=nonsense", enc("欠薪")), "invalid_query"),
        (&format!("q={}&per_page=0", enc("欠薪")), "invalid_per_page"),
        (&format!("q={}&per_page=500", enc("欠薪")), "invalid_per_page"),
    ] {
        let (status, v) = s.get_as("ft_clerk", &format!("/api/v1/search?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {v}");
        assert_eq!(v["error"]["code"], code, "{query}: {v}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    // The list refuses a page size out of range the same way.
    for size in ["0", "101", "-5"] {
        let (status, v) = s.get_as("ft_clerk", &format!("/api/v1/petitions?per_page={size}")).await;
        assert_eq!((status, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_per_page")), "{size}: {v}");
    }
    let (status, _) = s.get("/api/v1/search?q=abc", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    s.finish().await;
}

#[tokio::test]
async fn the_index_is_rebuilt_from_the_record_by_the_command() {
    let s = TestServer::start_with(true).await;
    let mine = register(&s, "己五", "13900000021", "农民工工资被拖欠", "包工头拖欠农民工工资八万元。").await;
    let before = search(&s, "ft_clerk", &format!("q={}", enc("农民工"))).await;
    assert!(numbers(&before).contains(&mine), "{before}");
    s.store.clear_index().await.unwrap();
    assert_eq!(search(&s, "ft_clerk", &format!("q={}", enc("农民工"))).await["total"], 0);
    let tree = xinfang_domain::unit::UnitTree::new(s.store.load_units().await.unwrap());
    let n = xinfang_web::search::rebuild_index(&s.store, &tree, &s.keyring()).await.unwrap();
    let (indexed, petitions) = s.store.index_coverage().await.unwrap();
    assert_eq!((indexed, n as i64), (petitions, petitions));
    let after = search(&s, "ft_clerk", &format!("q={}", enc("农民工"))).await;
    assert_eq!(numbers(&after), numbers(&before), "the same results, in the same order");
    // By name too (the names are keyed again with the deployment's key).
    let v = search(&s, "ft_clerk", &format!("q={}", enc("己五"))).await;
    assert_eq!(numbers(&v), vec![mine]);
    s.finish().await;
}

/// Migration 1310: entries written before synonym groups were index
/// tokens are marked stale; they keep answering until the next start
/// rewrites every entry in place, under the setup lock (two nodes starting
/// together), and clears the mark.
#[tokio::test]
async fn a_stale_index_keeps_answering_and_is_rebuilt_in_place_by_the_next_start() {
    let s = TestServer::start().await;
    let owed = register(&s, "未一", "13900000081", "老板拖欠工资", "公司拖欠工资两个月不发。").await;
    // The entries as an older binary wrote them: no group tokens.
    let tree = xinfang_domain::unit::UnitTree::new(s.store.load_units().await.unwrap());
    let seg = xinfang_web::search::segmenter(&tree);
    let old: Vec<(i64, String)> = s
        .store
        .petitions_for_index(0, 1000)
        .await
        .unwrap()
        .iter()
        .map(|p| {
            let tokens = xinfang_web::search::petition_tokens(&seg, &s.keyring(), &p.text, &p.names);
            (p.id, tokens.split(' ').filter(|w| !w.starts_with("sy")).collect::<Vec<_>>().join(" "))
        })
        .collect();
    s.store.write_index_batch(&old).await.unwrap();
    s.store.mark_search_index_stale("a test").await.unwrap();
    assert!(s.store.search_index_missing().await.unwrap());
    assert_eq!(search(&s, "ft_clerk", &format!("q={}", enc("欠薪"))).await["total"], 0, "the old entries lack the group");
    assert_eq!(numbers(&search(&s, "ft_clerk", &format!("q={}", enc("老板"))).await), vec![owed.clone()], "and still answer");
    let cfg = || xinfang::config::Config {
        database_url: s.database_url(),
        key_file: s.dir.path().join("xinfang.key").display().to_string(),
        ..xinfang::config::Config::default()
    };
    let (one, two) = (cfg(), cfg());
    let (a, b) = tokio::join!(xinfang::open(&one), xinfang::open(&two));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(!s.store.search_index_missing().await.unwrap());
    // `xinfang search-index` reads this and does not rebuild a second time.
    assert!(xinfang::search_index_rebuilt_at_open().is_some_and(|n| n >= 1));
    assert_eq!(numbers(&search(&s, "ft_clerk", &format!("q={}", enc("欠薪"))).await), vec![owed.clone()]);
    let (indexed, petitions) = s.store.index_coverage().await.unwrap();
    assert_eq!(indexed, petitions);
    a.close().await;
    b.close().await;
    s.finish().await;
}

/// Issue 13 item 2: the same petitioner by keyed identity number, phone,
/// or name + address. A person who gives only a name and an address the
/// second time (another phone, no ID number) is still recognised; a bare
/// city is no address; `rebuild_identity_keys` (`xinfang identity-keys`)
/// derives the keys again for records kept before this key existed.
#[tokio::test]
async fn the_same_petitioner_is_recognised_by_name_and_address() {
    let s = TestServer::start().await;
    let with = |name: &str, phone: &str, address: &str, title: &str, facts: &str| {
        let mut body = letter(&today().to_string());
        body["title"] = json!(title);
        body["request"] = json!("请求依法处理");
        body["facts_and_reasons"] = json!(facts);
        body["jurisdiction"] = json!("440304011");
        body["petitioners"] = json!([{ "name": name, "phone": phone, "address": address }]);
        body
    };
    let mut numbers = Vec::new();
    for body in [
        with("癸十", "13900000051", "深圳市福田区振华路12号3栋501", "小区电梯停运", "电梯坏了半年没人修。"),
        // The same person: another phone, the address written with spaces
        // and full-width digits, another matter.
        with("癸十", "13900000052", "深圳市 福田区振华路１２号 3栋501", "楼下烧烤油烟", "楼下烧烤店油烟很大。"),
        // The same name, a bare city: not enough to tell.
        with("癸十", "13900000053", "深圳", "路灯不亮", "小区门口路灯坏了。"),
    ] {
        let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        numbers.push(v["number"].as_str().unwrap().to_string());
    }
    // Name and address are a hint for the clerk, not proof: the same words
    // as the first petition, under the same name and address but another
    // phone, are registered as they are, not marked a repeat or refused.
    let (status, v) = s
        .post_as(
            "ft_clerk",
            "/api/v1/petitions",
            with("癸十", "13900000054", "深圳市福田区振华路12号3栋501", "小区电梯停运", "电梯坏了半年没人修。"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert!(v["repeat_of"].is_null(), "{v}");
    assert_eq!(v["state"], "registered", "{v}");
    let same_as = |v: &Value, n: &str| v.as_array().unwrap().iter().find(|x| x["number"] == n).map(|x| x["same_petitioner"] == true);
    let (status, v) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{}/similar", numbers[1])).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(same_as(&v, &numbers[0]), Some(true), "{v}");
    assert!(v.as_array().unwrap().iter().any(|x| x["reasons"][0].as_str().unwrap().contains("姓名与地址")), "{v}");
    let (_, v) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{}/similar", numbers[2])).await;
    assert_ne!(same_as(&v, &numbers[0]), Some(true), "a city is no address: {v}");
    // Records kept without the key are keyed again by the command.
    let first = s.store.petition_by_number(&numbers[0]).await.unwrap().unwrap().id;
    s.store.remove_identity_keys(&[first]).await.unwrap();
    let (_, v) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{}/similar", numbers[1])).await;
    assert_ne!(same_as(&v, &numbers[0]), Some(true), "no keys, no match: {v}");
    let r = xinfang_web::intake::rebuild_identity_keys(&s.store, &s.keyring()).await.unwrap();
    assert_eq!((r.petitions, r.undecryptable), (4, 0));
    assert!(r.keys_added >= 2, "the first petition's keys are back: {r:?}");
    // Run again: nothing to add.
    assert_eq!(xinfang_web::intake::rebuild_identity_keys(&s.store, &s.keyring()).await.unwrap().keys_added, 0);
    let (_, v) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{}/similar", numbers[1])).await;
    assert_eq!(same_as(&v, &numbers[0]), Some(true), "{v}");
    s.finish().await;
}

#[tokio::test]
async fn similar_petitions_are_the_same_petitioner_or_the_same_matter_in_other_words() {
    let s = TestServer::start().await;
    let a =
        register(&s, "庚六", "13900000031", "宏达建筑公司拖欠工资", "我在宏达建筑公司滨河工地干活，老板拖欠三个月工资八万六千元。").await;
    // The same person again, about something else in other words.
    let b = register(&s, "庚六", "13900000031", "小区电梯长期停运", "我住的小区电梯坏了半年没人修，老人上下楼困难。").await;
    // Someone else, the same unpaid wages told differently.
    let c =
        register(&s, "辛七", "13900000032", "反映工资被拖欠", "宏达建筑公司在滨河工地欠我们工人三个月工资共八万六千元，一直不给。").await;
    // Unrelated.
    let d = register(&s, "壬八", "13900000033", "夜间噪音扰民", "楼下酒吧每晚音乐声很大，影响休息。").await;
    // Someone else, the same words about another company's crew.
    let e =
        register(&s, "癸九", "13900000034", "反映工资被拖欠", "鼎盛装饰公司在滨河工地欠我们工人三个月工资共八万六千元，一直不给。").await;
    let (status, v) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{a}/similar")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let list = v.as_array().unwrap();
    let find = |n: &str| list.iter().find(|x| x["number"] == n);
    let same = find(&b).unwrap_or_else(|| panic!("the same petitioner: {v}"));
    assert_eq!(same["same_petitioner"], true);
    assert!(same["reasons"][0].as_str().unwrap().contains("同一信访人"), "{v}");
    let matter = find(&c).unwrap_or_else(|| panic!("the same matter: {v}"));
    assert_eq!(matter["same_petitioner"], false);
    assert!(matter["score"].as_f64().unwrap() >= 0.20, "the application's SAME_MATTER_SCORE: {v}");
    assert!(matter["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("宏达")), "{v}");
    assert!(find(&d).is_none(), "{v}");
    assert!(find(&a).is_none(), "not itself");
    // Word for word alike but naming another company: the similarity is
    // halved and the clerk is told why; the same company keeps its score.
    let (_, v) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{c}/similar")).await;
    let list = v.as_array().unwrap();
    let reasons = |n: &str| list.iter().find(|x| x["number"] == n).map(|x| x["reasons"].to_string()).unwrap_or_default();
    assert!(reasons(&e).contains("所涉名称不同") && reasons(&e).contains("鼎盛"), "{v}");
    assert!(!reasons(&a).contains("所涉名称不同") && reasons(&a).contains("内容相似度"), "{v}");
    assert!(!reasons(&a).contains("所述金额不同"), "the same sum: {v}");
    // The same words and company with another sum: lowered, and said so.
    let g =
        register(&s, "丑十一", "13900000036", "反映工资被拖欠", "宏达建筑公司在滨河工地欠我们工人三个月工资共两万三千元，一直不给。").await;
    let (_, v) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{c}/similar")).await;
    let other_sum = v.as_array().unwrap().iter().find(|x| x["number"] == g.as_str()).unwrap_or_else(|| panic!("{v}"));
    assert!(other_sum["reasons"].to_string().contains("所述金额不同：86000元／23000元"), "{v}");
    // A short reminder in few shared words, from a number not seen before,
    // stating the same sum: the score counts double, and the clerk is told.
    let f = register(&s, "子十", "13900000035", "催办", "滨河工地那八万六到现在还没给，老板躲着不见人。").await;
    let (_, v) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{f}/similar")).await;
    let list = v.as_array().unwrap();
    let first = list.iter().find(|x| x["number"] == a.as_str()).unwrap_or_else(|| panic!("the letter the reminder follows: {v}"));
    assert!(first["reasons"].to_string().contains("金额或人名相同：86000元"), "{v}");
    assert!(first["score"].as_f64().unwrap() >= 0.20, "{v}");
    // The same words filed under another class: lowered, and said so; the
    // same words filed alike keep their score.
    let words = "宏达建筑公司在滨河工地欠我们工人三个月工资共八万六千元，一直不给。";
    let twin = register(&s, "寅十二", "13900000037", "反映工资被拖欠", words).await;
    let mut body = letter(&today().to_string());
    body["title"] = json!("反映工资被拖欠");
    body["request"] = json!("请求依法处理");
    body["facts_and_reasons"] = json!(words);
    body["jurisdiction"] = json!("440304011");
    body["category"] = json!("suggestion");
    body["petitioners"] = json!([{ "name": "卯十三", "phone": "13900000038" }]);
    let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let apart = v["number"].as_str().unwrap().to_string();
    let (_, v) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{c}/similar")).await;
    let of = |n: &str| v.as_array().unwrap().iter().find(|x| x["number"] == n).cloned().unwrap_or_else(|| panic!("{n}: {v}"));
    let (twin, apart) = (of(&twin), of(&apart));
    assert!(
        apart["reasons"].to_string().contains("分类或内容分类不同") && !twin["reasons"].to_string().contains("分类或内容分类不同"),
        "{v}"
    );
    let ratio = apart["score"].as_f64().unwrap() / twin["score"].as_f64().unwrap();
    assert!((ratio - 0.6).abs() < 0.05, "FILED_APART_FACTOR: {v}");
    // Another district's bureau does not see it at all.
    let (status, _) = s.get_as("ns_clerk", &format!("/api/v1/petitions/{a}/similar")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.finish().await;
}

/// The read for a common word (more matches than `search_common_matches`:
/// each row of the list looked up in the index) finds the same petitions
/// in the same order as the read driven by the matches.
#[tokio::test]
async fn a_common_word_is_read_row_by_row_with_the_same_results() {
    let s = TestServer::start_configured(|c| c.settings.search_common_matches = 1).await;
    let a = register(&s, "寅一", "13900000041", "建筑公司欠薪三个月", "工地老板拖欠我们十二名工人的工资，多次讨要无果。").await;
    let b = register(&s, "寅二", "13900000042", "小区道路破损", "小区主干道破损严重。另外，物业公司也欠薪保洁员，一并反映。").await;
    register(&s, "寅三", "13900000043", "夜间施工噪音扰民", "附近工地夜间施工噪音很大。").await;
    let v = search(&s, "ft_clerk", &format!("q={}", enc("欠薪"))).await;
    assert_eq!(numbers(&v), vec![a.clone(), b.clone()], "{v}");
    let v = search(&s, "ft_clerk", &format!("q={}&state=registered", enc("欠薪 工资"))).await;
    assert_eq!(numbers(&v), vec![a.clone()], "{v}");
    let (_, page) = s.get_as("ft_clerk", &format!("/api/v1/petitions?q={}", enc("欠薪"))).await;
    assert_eq!(page["total"], 2, "{page}");
    s.finish().await;
}

/// The index carries who sees each petition (migration 1305): a petition
/// forwarded to a department is found by the department's search from
/// then on; and a search whose filters drop the newest matches reads on,
/// window after window of the index, until its page is full.
#[tokio::test]
async fn the_index_follows_who_sees_a_petition_and_reads_on_past_filtered_matches() {
    let s = TestServer::start().await;
    let first = register(&s, "卯一", "13900000051", "建筑公司欠薪", "老板拖欠工人工资三个月。").await;
    assert_eq!(search(&s, "ft_rst_officer", &format!("q={}", enc("欠薪"))).await["total"], 0, "not yet with the department");
    s.act("ft_clerk", &first, "forward", json!({"unit": "440304-RST"})).await;
    let v = search(&s, "ft_rst_officer", &format!("q={}", enc("欠薪"))).await;
    assert_eq!(numbers(&v), vec![first.clone()], "{v}");
    // Five newer matches still registered; the forwarded one is the only
    // one in its state, the oldest. A page of one reads windows of 2, 4.
    for i in 0..5 {
        register(&s, &format!("卯{}", i + 2), &format!("1390000006{i}"), "物业公司欠薪", "物业公司欠薪保洁员。").await;
    }
    let (_, detail) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{first}")).await;
    let units = s.store.load_units().await.unwrap();
    let bureau = units.iter().find(|u| u.code == "440304-XFJ").unwrap().id;
    let (ft, _) = xinfang_web::search::query(
        &xinfang_web::search::segmenter(&xinfang_domain::unit::UnitTree::new(units.clone())),
        &s.keyring(),
        "欠薪",
    )
    .unwrap();
    let f = xinfang_store::PetitionFilter {
        fulltext: Some(ft.clone()),
        states: vec![detail["state"].as_str().unwrap().to_string()],
        limit: 1,
        ..Default::default()
    };
    let vis = xinfang_store::Visibility { unit_ids: vec![bureau] };
    let rows = s.store.reader().search_petitions(&f, Some(&vis)).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.number.clone()).collect::<Vec<_>>(), vec![first.clone()]);
    // Without the state: the newest first, stopped at the page.
    let f = xinfang_store::PetitionFilter { fulltext: Some(ft), limit: 3, ..Default::default() };
    let rows = s.store.reader().search_petitions(&f, Some(&vis)).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.windows(2).all(|w| w[0].id > w[1].id) && !rows.iter().any(|r| r.number == first));
    // An emptied index is noticed (start-up refills it).
    s.store.clear_index().await.unwrap();
    assert!(s.store.search_index_missing().await.unwrap());
    s.finish().await;
}

/// Art. 30: the accused unit and the units above it on its line never
/// find an accusation against it by search, whatever words they guess
/// (title, body, the petitioner's name); the index's viewers leave them
/// out as the viewer rows do, on both engines. The discipline body it was
/// referred to finds it.
#[tokio::test]
async fn art30_the_accused_line_never_finds_the_accusation_by_search() {
    let s = TestServer::start().await;
    let mut v = letter(&today().to_string());
    v["category"] = json!("accusation");
    v["title"] = json!("反映区人社局工作人员索要好处费");
    v["facts_and_reasons"] = json!("办理工伤认定时，经办人员暗示需要打点，本人拒绝后材料被一再退回。");
    v["accused"] = json!({"name": "某经办人员", "unit": "福田区人力资源和社会保障局", "unit_code": "440304-RST"});
    v["petitioners"] = json!([{ "name": "辰检举", "phone": "13900000071", "address": "深圳市福田区华强北街道1号" }]);
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "refer_discipline", json!({"unit": "440304-JW"})).await;
    let guesses = ["好处费", "索要 好处费", "工伤认定", "打点", "辰检举", "人社局"];
    for user in ["ft_rst_officer", "ft_rst_head", "sz_rst_reviewer", "gd_rst_reviewer"] {
        for q in guesses {
            let v = search(&s, user, &format!("q={}", enc(q))).await;
            assert!(!numbers(&v).contains(&number), "{user} found it by {q}: {v}");
            let (_, page) = s.get_as(user, &format!("/api/v1/petitions?q={}", enc(q))).await;
            assert!(!numbers(&page).contains(&number), "{user} listed it by {q}: {page}");
        }
    }
    let v = search(&s, "ft_jw_officer", &format!("q={}", enc("打点"))).await;
    assert_eq!(numbers(&v), vec![number.clone()], "{v}");
    s.finish().await;
}
