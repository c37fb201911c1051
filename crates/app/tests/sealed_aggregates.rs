//! Art. 30 in the figures: an accuser's material and circumstances are
//! never disclosed to the accused person or unit, and a count is a
//! disclosure too. Accusations naming 福田区信访局 land at the district
//! discipline body; the bureau (and the city bureau above it) must not see
//! them move any aggregate it reads — its dashboard, the discipline body's
//! dashboard it may drill into (JSON and every exported table), the
//! statistics, the hot spots with their 苗头性问题 summary, the deadline
//! watch, the dispatch board — precomputed or recounted, while the discipline body's own
//! figures count them. An accusation whose accused is not named yet moves
//! nothing for a unit that may not know it exists.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn id_number(seq: u32) -> String {
    id_number_born("19850101", seq)
}

const ACCUSERS: [&str; 6] = ["冯举报", "陈明理", "林正清", "黄守法", "吴秉公", "何直言"];
const WHAT: [&str; 6] = [
    "信访局窗口工作人员收受宴请后压件不办",
    "信访局领导在信访事项交办中收受购物卡",
    "信访局工作人员向来访群众索要好处费",
    "信访局干部违规接受管理对象安排的旅游",
    "信访局工作人员泄露信访人信息并收取财物",
    "信访局负责人在办公用房装修中违规插手工程",
];

/// An online accusation against 福田区信访局 (recognised by its name).
fn against_the_bureau(i: usize) -> Value {
    json!({
        "channel": "online",
        "jurisdiction": "440304",
        "title": "举报福田区信访局领导违规",
        "content": WHAT[i],
        "request": "请求查处",
        "facts_and_reasons": format!("{}，时间地点均有记录，第{}次发现。", WHAT[i], i + 1),
        "category": "accusation",
        "topic": "0601",
        "accused": {"name": "郑某", "unit": "福田区信访局"},
        "petitioners": [{"name": ACCUSERS[i], "id_number": id_number(100 + i as u32), "phone": format!("1391234567{i}"), "address": "福田区某路4号"}]
    })
}

/// What a reader's aggregates show, field by field, without the stamps
/// that change by themselves (the day, the source of the figures).
fn figures(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        for k in ["as_of", "computed_from", "watched_at", "swept_at", "swept_on"] {
            o.remove(k);
        }
    }
    v
}

/// Every aggregate `user` reads that could count the accusations, as text
/// (JSON, CSV of every dashboard table, the XLSX bytes' length is not
/// compared: the CSV carries the same cells).
async fn read_all(s: &TestServer, user: &str, today: &str) -> Vec<(String, String)> {
    let month_start = format!("{}-01", &today[..7]);
    let mut paths = vec![
        "/api/v1/dashboard".to_string(),
        format!("/api/v1/dashboard?unit=440304-JW&from={month_start}&to={today}"),
        format!("/api/v1/dashboard?unit=440304-JW&from={today}&to={today}"),
        format!("/api/v1/dashboard?unit=440304-JW&from={month_start}&to={today}&format=csv&table=all"),
        format!("/api/v1/statistics?unit=440304-JW&from={today}&to={today}"),
        format!("/api/v1/statistics?unit=440304-JW&from={today}&to={today}&subtree=true&group_by=month"),
        format!("/api/v1/statistics?unit=440304-JW&from={today}&to={today}&topic=06"),
        "/api/v1/hotspots?min_count=5".to_string(),
        "/api/v1/hotspots?min_count=5&unit=440304-JW".to_string(),
        "/api/v1/supervision/watch?unit=440304-JW".to_string(),
        "/api/v1/dispatch/board".to_string(),
        "/api/v1/dispatch/board?area=440304".to_string(),
        format!("/api/v1/reports/annual?year={}", &today[..4]),
    ];
    if user == "sz_supervisor" {
        paths.push(format!("/api/v1/dashboard?unit=440304-XFJ&from={month_start}&to={today}"));
        paths.push("/api/v1/hotspots?min_count=5&unit=440304-XFJ".to_string());
    }
    let token = s.token(user).await;
    let mut out = Vec::new();
    for p in paths {
        let text = if p.contains("format=csv") {
            let r = reqwest::Client::new().get(format!("{}{p}", s.base)).bearer_auth(&token).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{user} {p}");
            r.text().await.unwrap()
        } else {
            let (status, body) = s.get(&p, Some(&token)).await;
            assert_eq!(status, StatusCode::OK, "{user} {p}: {body}");
            figures(body).to_string()
        };
        out.push((p, text));
    }
    out
}

fn assert_unmoved(user: &str, before: &[(String, String)], after: &[(String, String)], when: &str) {
    for ((p, b), (_, a)) in before.iter().zip(after) {
        assert_eq!(a, b, "{user} {p} moved {when}");
    }
}

async fn sweep(s: &TestServer) {
    let (status, body) = s.post_as("admin", "/api/v1/supervision/watch/run", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn count_of(rows: &Value, key: &str) -> i64 {
    rows.as_array().unwrap().iter().find(|r| r["key"] == key).map_or(0, |r| r["count"].as_i64().unwrap())
}

#[tokio::test]
async fn art30_no_aggregate_counts_an_accusation_against_the_reader() {
    let s = TestServer::start_configured(|c| {
        TestServer::counting(c);
        // Every scope kept: the dashboard and the statistics are read from
        // the precomputed aggregates once built.
        c.settings.statistics_min_scope_units = 1;
    })
    .await;
    let built = xinfang_web::state::Settings { statistics_min_scope_units: 1, ..Default::default() };
    let refresh = || async {
        let tree = xinfang_domain::unit::UnitTree::new(s.store.load_units().await.unwrap());
        xinfang_web::precomputed::refresh_store(&s.store, &tree, &built, xinfang_web::precomputed::Pace::Bulk).await.unwrap();
    };
    refresh().await;
    sweep(&s).await;
    let today = today().to_string();
    let readers = ["ft_supervisor", "sz_supervisor"];
    let mut before = Vec::new();
    for user in readers {
        before.push(read_all(&s, user, &today).await);
    }
    let jw_token = s.token("ft_jw_officer").await;
    let (_, jw_before) = s.get("/api/v1/dashboard", Some(&jw_token)).await;
    let (_, jw_watch_before) = s.get("/api/v1/supervision/watch", Some(&jw_token)).await;
    assert_eq!(jw_before["computed_from"], "precomputed", "{jw_before}");

    // Six accusations against the bureau, this week, one topic, one area:
    // a spike for whoever may count them.
    let mut numbers = Vec::new();
    for i in 0..ACCUSERS.len() {
        let (status, sub) = s.post("/api/v1/petitions", None, against_the_bureau(i)).await;
        assert_eq!(status, StatusCode::CREATED, "{sub}");
        numbers.push(sub["number"].as_str().unwrap().to_string());
    }
    for n in &numbers {
        for user in ["ft_supervisor", "sz_supervisor"] {
            let (status, body) = s.get_as(user, &format!("/api/v1/petitions/{n}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{user} {n}: {body}");
        }
        assert_eq!(s.detail("ft_jw_officer", n).await["number"], n.as_str());
    }
    sweep(&s).await;

    // Read at once (the precomputed rows corrected by the changed
    // petitions), and again after the refresh took them in.
    for (user, b) in readers.iter().zip(&before) {
        assert_unmoved(user, b, &read_all(&s, user, &today).await, "before the refresh");
    }
    refresh().await;
    for (user, b) in readers.iter().zip(&before) {
        let after = read_all(&s, user, &today).await;
        assert_unmoved(user, b, &after, "after the refresh");
        let dash: Value = serde_json::from_str(&after[0].1).unwrap();
        assert_eq!(
            count_of(&dash["categories"], "accusation"),
            count_of(&serde_json::from_str::<Value>(&b[0].1).unwrap()["categories"], "accusation")
        );
    }
    let (_, drill) = s.get_as("ft_supervisor", &format!("/api/v1/dashboard?unit=440304-JW&from={}-01&to={today}", &today[..7])).await;
    assert_eq!(drill["computed_from"], "precomputed", "{drill}");

    // The discipline body counts every one of them.
    let (_, jw_after) = s.get("/api/v1/dashboard", Some(&jw_token)).await;
    let n = numbers.len() as i64;
    assert_eq!(jw_after["total"].as_i64().unwrap() - jw_before["total"].as_i64().unwrap(), n, "{jw_after}");
    assert_eq!(count_of(&jw_after["categories"], "accusation") - count_of(&jw_before["categories"], "accusation"), n);
    assert_eq!(count_of(&jw_after["channels"], "online") - count_of(&jw_before["channels"], "online"), n);
    let (_, jw_watch) = s.get("/api/v1/supervision/watch", Some(&jw_token)).await;
    let open = |w: &Value| ["on_track", "due_soon", "due_today", "overdue"].iter().map(|k| w["own"][k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(open(&jw_watch) - open(&jw_watch_before), n, "{jw_watch}");
    let (_, spots) = s.get("/api/v1/hotspots?min_count=5", Some(&jw_token)).await;
    let spike = spots["spikes"].as_array().unwrap().iter().find(|h| h["topic"] == "0601" && h["area"] == "440304");
    assert_eq!(spike.map(|h| h["observed"].as_u64().unwrap()), Some(n as u64), "{spots}");
    assert!(spots["summary"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("违反廉洁纪律")), "{spots}");

    // An accusation naming a person only: until the accused unit is named
    // only the receiving unit and the discipline bodies may know of it.
    let mut unnamed = against_the_bureau(0);
    unnamed["accused"] = json!({"name": "某工作人员"});
    unnamed["petitioners"][0]["name"] = json!("许未名");
    unnamed["petitioners"][0]["id_number"] = json!(id_number(200));
    unnamed["facts_and_reasons"] = json!("某单位工作人员在办理业务时多次暗示送礼，不送礼就拖延办理。");
    let (status, sub) = s.post("/api/v1/petitions", None, unnamed).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let (status, _) = s.get_as("sz_supervisor", &format!("/api/v1/petitions/{number}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the city bureau may not know it exists");
    sweep(&s).await;
    refresh().await;
    assert_unmoved("sz_supervisor", &before[1], &read_all(&s, "sz_supervisor", &today).await, "for an unnamed accusation");
    // The receiving bureau may know of it (it is at its intake): its own
    // dashboard counts it exactly when its detail answers.
    let (status, _) = s.get_as("ft_supervisor", &format!("/api/v1/petitions/{number}")).await;
    let (_, own) = s.get_as("ft_supervisor", "/api/v1/dashboard").await;
    let own_before: Value = serde_json::from_str(&before[0][0].1).unwrap();
    let counted = count_of(&own["categories"], "accusation") - count_of(&own_before["categories"], "accusation");
    assert_eq!(counted, i64::from(status == StatusCode::OK), "{status}: {own}");
    // Reported under Art. 25 to the city bureau, it is known there: the
    // screen's stored verdict (migration 1345, kept by a trigger) follows
    // the record, and the city's figures now count it, as its detail
    // answers.
    let (_, city_before) = s.get_as("sz_supervisor", "/api/v1/dashboard").await;
    s.act("ft_clerk", &number, "report_urgent", json!({"summary": "检举人称将到市里反映"})).await;
    refresh().await;
    let (status, _) = s.get_as("sz_supervisor", &format!("/api/v1/petitions/{number}")).await;
    assert_eq!(status, StatusCode::OK, "a report's recipient may know of it");
    let (_, city_after) = s.get_as("sz_supervisor", "/api/v1/dashboard").await;
    let counted = count_of(&city_after["categories"], "accusation") - count_of(&city_before["categories"], "accusation");
    assert_eq!(counted, 1, "{city_after}");
    s.finish().await;
}
