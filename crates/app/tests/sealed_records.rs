//! Art. 30 on the records kept beside a petition: a duty lawyer's visits,
//! a backlog campaign's items, the wage-arrears green channel and the
//! petitions named behind a hot spot. Each follows the petition's view now,
//! not when the record was made: a claim the district bureau registered is
//! reclassified as an accusation and referred to the discipline body (the
//! bureau now only knows it exists: a neutral title, nothing quoted), then
//! the discipline body names the bureau itself as accused (the bureau must
//! not learn it exists at all).

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use xinfang_web::views::WITHHELD;

fn item_of<'a>(items: &'a Value, number: &str) -> Option<&'a Value> {
    items.as_array().unwrap().iter().find(|i| i["number"] == number)
}

#[tokio::test]
async fn art30_a_duty_lawyers_visit_follows_the_accusations_seal() {
    let s = TestServer::start().await;
    const TITLE: &str = "反映窗口人员推诿刁难";
    const ADVICE: &str = "建议就窗口人员索要好处费一事向区纪委监委书面检举";
    // A visit received at the bureau (a lawyer takes part only in visits).
    let mut visit = letter(&today().to_string());
    visit["channel"] = json!("visit");
    visit["title"] = json!(TITLE);
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", visit).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let (status, lawyer) = s
        .post_as(
            "ft_clerk",
            "/api/v1/duty-roster/lawyers",
            json!({"name": "刘明", "firm": "广东福田公职律师事务所", "licence_number": "14403201810123456", "phone": "13612345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{lawyer}");
    // On duty the day the matter was received: advice is recorded only then.
    let (status, e) = s.post_as("ft_clerk", "/api/v1/duty-roster/days", json!({"day": today().to_string(), "lawyer": lawyer["id"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let url = format!("/api/v1/duty-roster/lawyers/{}", lawyer["id"]);
    let (status, e) = s.post_as("ft_clerk", &format!("{url}/visits"), json!({"number": number, "advice": ADVICE})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");

    // Before: the visit with its title and the advice given.
    let (status, rec) = s.get_as("ft_clerk", &url).await;
    assert_eq!(status, StatusCode::OK, "{rec}");
    let v = item_of(&rec["visits"], &number).unwrap_or_else(|| panic!("{rec}"));
    assert_eq!((v["title"].as_str(), v["advice"].as_str()), (Some(TITLE), Some(ADVICE)), "{rec}");

    // Sealed: that a visit took place, under the neutral title, without the advice.
    seal_as_accusation(&s, &number).await;
    let (status, rec) = s.get_as("ft_clerk", &url).await;
    assert_eq!(status, StatusCode::OK, "{rec}");
    let v = item_of(&rec["visits"], &number).unwrap_or_else(|| panic!("{rec}"));
    assert_eq!(v["title"], SEALED_TITLE, "{rec}");
    assert_eq!(v["advice"], WITHHELD, "{rec}");
    let text = rec.to_string();
    assert!(!text.contains(TITLE) && !text.contains(ADVICE), "{rec}");

    // Accused: the visit is not on the lawyer's record at all.
    name_the_bureau_accused(&s, &number).await;
    let (status, rec) = s.get_as("ft_clerk", &url).await;
    assert_eq!(status, StatusCode::OK, "{rec}");
    assert!(rec["visits"].as_array().unwrap().is_empty(), "{rec}");
    assert!(!rec.to_string().contains(&number), "{rec}");
    s.finish().await;
}

#[tokio::test]
async fn art30_a_campaign_item_follows_the_accusations_seal() {
    let s = TestServer::start().await;
    const TITLE: &str = "反映街道办长期不答复拆迁补偿";
    // Received four months ago, still open: backlog for a 90-day campaign.
    let number = claim_by_the_bureau(&s, &days_ago(120), TITLE).await;
    let (status, c) = s
        .post_as(
            "ft_supervisor",
            "/api/v1/campaigns",
            json!({"name": "积案化解专项", "older_than_days": 90, "target_percent": 80, "target_on": days_ahead(60)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let url = format!("/api/v1/campaigns/{}", c["id"]);

    // Before: listed with its title, in the list and in its file.
    let (status, d) = s.get_as("ft_supervisor", &url).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(item_of(&d["items"], &number).unwrap_or_else(|| panic!("{d}"))["title"], TITLE, "{d}");
    let (status, csv) = s.get_as("ft_supervisor", &format!("{url}?format=csv")).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert!(csv.as_str().unwrap().contains(TITLE), "{csv}");

    // Sealed: still an item, under the neutral title only.
    seal_as_accusation(&s, &number).await;
    let (status, d) = s.get_as("ft_supervisor", &url).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(item_of(&d["items"], &number).unwrap_or_else(|| panic!("{d}"))["title"], SEALED_TITLE, "{d}");
    assert!(!d.to_string().contains(TITLE), "{d}");
    // A leader for the whole campaign: the sealed item is skipped, not
    // refused half-way (the bureau no longer directs it).
    let (status, lead) = s.post_as("ft_supervisor", &format!("{url}/lead"), json!({"leader": "ft_head"})).await;
    assert_eq!(status, StatusCode::OK, "{lead}");
    assert_eq!(lead["assigned"], 0, "{lead}");
    let (_, d) = s.get_as("ft_supervisor", &url).await;
    assert!(item_of(&d["items"], &number).unwrap()["leader"].is_null(), "{d}");
    let (_, csv) = s.get_as("ft_supervisor", &format!("{url}?format=csv")).await;
    let csv = csv.as_str().unwrap().to_string();
    assert!(csv.contains(&number) && csv.contains(SEALED_TITLE) && !csv.contains(TITLE), "{csv}");

    // Accused: not an item of the bureau's campaign, nor of its file.
    name_the_bureau_accused(&s, &number).await;
    let (status, d) = s.get_as("ft_supervisor", &url).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert!(item_of(&d["items"], &number).is_none(), "{d}");
    assert!(!d.to_string().contains(&number), "{d}");
    let (_, csv) = s.get_as("ft_supervisor", &format!("{url}?format=csv")).await;
    assert!(!csv.as_str().unwrap().contains(&number), "{csv}");
    s.finish().await;
}

#[tokio::test]
async fn art30_a_green_channel_row_follows_the_accusations_seal() {
    let s = TestServer::start().await;
    const TITLE: &str = "反映公司拖欠保洁员工资";
    const NOTE: &str = "电话联系用人单位财务负责人王某，约定本周内到局说明";
    let number = claim_by_the_bureau(&s, &today().to_string(), TITLE).await;
    let lane = format!("/api/v1/petitions/{number}/green-channel");
    let token = s.token("ft_clerk").await;
    let (status, g) = s.put(&lane, Some(&token), json!({"in_lane": true})).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    let (status, e) = s.post_as("ft_clerk", &format!("{lane}/contact"), json!({"note": NOTE})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    const RECOVERY_NOTE: &str = "用人单位先行支付三名保洁员工资，其余待核实";
    let (status, e) =
        s.post_as("ft_clerk", &format!("{lane}/recovered"), json!({"amount": 9000, "workers": 3, "note": RECOVERY_NOTE})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");

    // Before: in the lane with its title, the words matched and the note.
    let (status, l) = s.get_as("ft_clerk", "/api/v1/green-channel").await;
    assert_eq!(status, StatusCode::OK, "{l}");
    let row = item_of(&l["items"], &number).unwrap_or_else(|| panic!("{l}"));
    assert_eq!((row["title"].as_str(), row["contact_note"].as_str()), (Some(TITLE), Some(NOTE)), "{l}");
    assert_eq!(row["recovery_note"].as_str(), Some(RECOVERY_NOTE), "{l}");
    assert!(!row["words"].as_array().unwrap().is_empty(), "{l}");
    assert!(s.detail("ft_clerk", &number).await["green"].is_object());
    let (_, l) = s.get_as("sz_clerk", "/api/v1/green-channel").await;
    assert!(item_of(&l["items"], &number).is_some(), "the city bureau sees its area's lane: {l}");

    // Sealed: a row under the neutral title, nothing quoted; no lane record on the detail.
    seal_as_accusation(&s, &number).await;
    // The city bureau reaches the petition (its area) but, no accused being
    // named yet, may not learn the accusation exists: not in its lane.
    let (status, l) = s.get_as("sz_clerk", "/api/v1/green-channel").await;
    assert_eq!(status, StatusCode::OK, "{l}");
    assert!(!l.to_string().contains(&number), "{l}");
    let (status, l) = s.get_as("ft_clerk", "/api/v1/green-channel").await;
    assert_eq!(status, StatusCode::OK, "{l}");
    let row = item_of(&l["items"], &number).unwrap_or_else(|| panic!("{l}"));
    assert_eq!(row["title"], SEALED_TITLE, "{l}");
    assert_eq!(row["words"], json!([]), "{l}");
    assert_eq!(row["contact_note"], WITHHELD, "{l}");
    assert_eq!(row["recovery_note"], WITHHELD, "{l}");
    let text = l.to_string();
    assert!(!text.contains(TITLE) && !text.contains(NOTE) && !text.contains(RECOVERY_NOTE), "{l}");
    let d = s.detail("ft_clerk", &number).await;
    assert!(d["green"].is_null(), "{d}");
    assert!(!d.to_string().contains(NOTE), "{d}");

    // Accused: not in the bureau's lane at all.
    name_the_bureau_accused(&s, &number).await;
    let (status, l) = s.get_as("ft_clerk", "/api/v1/green-channel").await;
    assert_eq!(status, StatusCode::OK, "{l}");
    assert!(item_of(&l["items"], &number).is_none(), "{l}");
    assert!(!l.to_string().contains(&number), "{l}");
    s.finish().await;
}

/// The spikes' petitions named for `user`, per area.
async fn named_behind_spikes(s: &TestServer, user: &str) -> Vec<(String, Vec<String>)> {
    let (status, v) = s.get_as(user, "/api/v1/hotspots?min_count=3").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["spikes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let numbers = h["petitions"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
            (h["area"].as_str().unwrap().to_string(), numbers)
        })
        .collect()
}

/// The petitions named behind the township's spike.
fn town(spikes: &[(String, Vec<String>)]) -> Vec<String> {
    spikes.iter().find(|(area, _)| area == "440304011").map(|(_, n)| n.clone()).unwrap_or_else(|| panic!("{spikes:?}"))
}

#[tokio::test]
async fn art30_a_hot_spot_never_names_a_petition_hidden_from_the_reader() {
    let s = TestServer::start().await;
    // Six wage letters (topic 0202) from one township this week, from six people.
    let mut numbers = Vec::new();
    for i in 0..6 {
        let mut body = letter(&today().to_string());
        body["jurisdiction"] = json!("440304011");
        body["topic"] = json!("0202");
        body["title"] = json!(format!("工地拖欠工资{i}"));
        body["petitioners"] = json!([{ "name": format!("癸{i}"), "phone": format!("1390000010{i}") }]);
        let (status, v) = s.post_as("ft_clerk", "/api/v1/petitions", body).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        numbers.push(v["number"].as_str().unwrap().to_string());
    }
    let turned = numbers[0].clone();

    // Before: the township's spike names all six.
    let spikes = named_behind_spikes(&s, "ft_supervisor").await;
    let mut behind = town(&spikes);
    behind.sort();
    numbers.sort();
    assert_eq!(behind, numbers, "{spikes:?}");

    assert!(town(&named_behind_spikes(&s, "sz_supervisor").await).contains(&turned), "the city bureau sees its area's spike");

    // Sealed: the bureau may know the accusation exists; its number may stay named.
    seal_as_accusation(&s, &turned).await;
    let spikes = named_behind_spikes(&s, "ft_supervisor").await;
    assert!(town(&spikes).contains(&turned), "{spikes:?}");
    // Named, but under the sealed title: what it accuses stays with the
    // discipline body; the others keep their own titles.
    let (_, v) = s.get_as("ft_supervisor", "/api/v1/hotspots?min_count=3").await;
    let items: Vec<&serde_json::Value> = v["spikes"].as_array().unwrap().iter().flat_map(|h| h["items"].as_array().unwrap()).collect();
    let sealed = items.iter().find(|i| i["number"] == turned.as_str()).unwrap_or_else(|| panic!("{v}"));
    assert_eq!(sealed["title"], SEALED_TITLE, "{v}");
    assert!(!v.to_string().contains("工地拖欠工资0"), "{v}");
    assert!(items.iter().any(|i| i["title"] == "工地拖欠工资1"), "{v}");
    // The city bureau reaches it (its area) but, no accused being named
    // yet, may not learn the accusation exists: never named to it.
    let spikes = named_behind_spikes(&s, "sz_supervisor").await;
    assert!(spikes.iter().all(|(_, n)| !n.contains(&turned)), "{spikes:?}");

    // Accused: named behind no spike of the bureau, at any level; the others still are.
    name_the_bureau_accused(&s, &turned).await;
    let spikes = named_behind_spikes(&s, "ft_supervisor").await;
    assert!(spikes.iter().all(|(_, n)| !n.contains(&turned)), "{spikes:?}");
    let mut behind = town(&spikes);
    behind.sort();
    let others: Vec<String> = numbers.iter().filter(|n| **n != turned).cloned().collect();
    assert_eq!(behind, others, "{spikes:?}");
    s.finish().await;
}

#[tokio::test]
async fn art30_no_word_of_a_sealed_title_finds_ranks_or_shows_it() {
    let s = TestServer::start().await;
    const TITLE: &str = "检举人社局某科长收受红包";
    let number = claim_by_the_bureau(&s, &today().to_string(), TITLE).await;
    // Before: found by a word of its title, as anyone's petition.
    let (_, v) = s.get_as("ft_clerk", &format!("/api/v1/search?q={}", enc("红包"))).await;
    assert!(v.to_string().contains(&number), "{v}");
    seal_as_accusation(&s, &number).await;
    for user in ["ft_clerk", "ft_supervisor", "sz_clerk"] {
        // The words it hides find nothing: not the search, the list or its file.
        for q in ["红包", "科长", "收受"] {
            let (status, v) = s.get_as(user, &format!("/api/v1/search?q={}", enc(q))).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            assert!(!v.to_string().contains(&number), "{user} {q}: {v}");
            let (_, v) = s.get_as(user, &format!("/api/v1/petitions?q={}", enc(q))).await;
            assert!(!v.to_string().contains(&number), "{user} {q}: {v}");
            let (_, csv) = s.get_as(user, &format!("/api/v1/petitions/export.csv?q={}", enc(q))).await;
            assert!(!csv.to_string().contains(&number), "{user} {q}: {csv}");
        }
        // The title it may read finds it (the bureau that had it may know
        // it exists; the city's may not), and shows nothing else.
        let (_, v) = s.get_as(user, &format!("/api/v1/search?q={}", enc("检举"))).await;
        let hit = v["items"].as_array().unwrap().iter().find(|i| i["number"] == number.as_str());
        match hit {
            Some(hit) => assert_eq!(hit["title"], SEALED_TITLE, "{v}"),
            None => assert_eq!(user, "sz_clerk", "{user} should find it by its sealed title: {v}"),
        }
        assert!(!v.to_string().contains("红包") && !v.to_string().contains("科长"), "{user}: {v}");
    }
    // The discipline body handling it finds it by its words.
    let (_, v) = s.get_as("ft_jw_officer", &format!("/api/v1/search?q={}", enc("红包"))).await;
    assert!(v.to_string().contains(&number), "{v}");
    s.finish().await;
}

#[tokio::test]
async fn art30_a_sealed_accusations_page_offers_no_wage_lane() {
    let s = TestServer::start().await;
    let mut v = letter(&today().to_string());
    v["title"] = json!("小区道路破损无人维修");
    v["request"] = json!("要求尽快修复小区道路");
    v["facts_and_reasons"] = json!("小区主干道破损半年，雨天积水，多次向物业反映无果。");
    v["topic"] = json!("1101");
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let road = sub["number"].as_str().unwrap().to_string();
    let number = claim_by_the_bureau(&s, &today().to_string(), "公司拖欠我三个月工资").await;
    let (c, _) = browser(&s, "ft_clerk").await;
    let page = c.get(format!("{}/staff/p/{road}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("id=\"green-in\""), "a claim that says nothing of wages is offered no wage lane");
    let url = format!("{}/staff/p/{number}", s.base);
    let page = c.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"green-in\""), "a wage claim seen in full may enter the lane");
    seal_as_accusation(&s, &number).await;
    let page = c.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("id=\"green-in\""), "a sealed accusation offers no wage lane");
    s.finish().await;
}
