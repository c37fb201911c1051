//! Statistics (issue 12, item 4; docs/metrics.md). A history of 20,000
//! petitions over 13 months across the demo tree is acted out through the
//! real procedure (`register`, `transition`) and bulk-loaded
//! (`store::bulk`); every metric `GET /api/v1/statistics` gives for a
//! county bureau, departments, a city and the province, alone and with the
//! units below, for several periods and for the periods before (环比) and a
//! year earlier (同比), equals a recount made here from the raw rows
//! (petitions, events, deadlines, evaluations) with plain queries and Rust.
//! The CSV and XLSX exports carry the same numbers; bad parameters and
//! other units' figures are refused.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "recount/mod.rs"]
mod recount;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use common::TestServer;
use recount::{assert_counts, raw_rows_read_by, recount, scope_of, shake};
use reqwest::StatusCode;
use serde_json::json;
use xinfang::demo_history::HistorySpec;
use xinfang_domain::local_date;

const PETITIONS: usize = 20_000;
const HISTORY_DAYS: i64 = 395;

/// Build and bulk-load the history (`xinfang::demo_history`) into the
/// server's database; returns the load's wall time.
async fn load_history(server: &TestServer) -> std::time::Duration {
    let loaded = server.load_history(HistorySpec { petitions: PETITIONS, days: HISTORY_DAYS, seed: 2026 }).await;
    assert_eq!(loaded.petitions, PETITIONS);
    loaded.elapsed
}

fn ymd(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

type Case<'a> = (&'a str, bool, NaiveDate, NaiveDate);

/// Every case's figures, for the period, 环比 and 同比, equal the recount
/// of the record as it is now; `source` is where the API says they came from.
async fn check_cases(server: &TestServer, token: &str, cases: &[Case<'_>], source: &str) -> (Vec<recount::Raw>, recount::Units) {
    // The figures gd_supervisor reads (Art. 30: none it may not know of).
    let (raws, units) = raw_rows_read_by(&server.database_url(), Some("44-XFJ")).await;
    // Less the accusations the province bureau may not know of.
    assert!(raws.len() >= PETITIONS * 9 / 10, "{}", raws.len());
    let mut checked = 0;
    for (code, subtree, from, to) in cases {
        let path = format!("/api/v1/statistics?unit={code}&from={from}&to={to}&subtree={subtree}");
        let t = std::time::Instant::now();
        let (status, body) = server.get(&path, Some(token)).await;
        let ms = t.elapsed().as_millis();
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body["computed_from"], source, "{path}");
        eprintln!("{path} ({source}): {ms} ms");
        let as_of = ymd(body["as_of"].as_str().unwrap());
        let scope = scope_of(&units, code, *subtree);
        for (key, f, t) in [
            ("metrics", body["from"].as_str().unwrap(), body["to"].as_str().unwrap()),
            ("previous", body["previous"]["from"].as_str().unwrap(), body["previous"]["to"].as_str().unwrap()),
            ("year_ago", body["year_ago"]["from"].as_str().unwrap(), body["year_ago"]["to"].as_str().unwrap()),
        ] {
            let expected = recount(&raws, &scope, ymd(f), ymd(t), as_of, &|_| true);
            let api = if key == "metrics" { &body["metrics"] } else { &body[key]["metrics"] };
            assert_counts(api, &expected, &format!("{code} subtree={subtree} {key} {f}..{t} ({source})"));
            checked += 1;
        }
        // A topic filter is always recounted (once the aggregates are built,
        // from their snapshots, corrected for the petitions changed since).
        let (status, body) = server.get(&format!("{path}&topic=02"), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["computed_from"], "recount", "{path} topic 02");
        let expected = recount(&raws, &scope, *from, *to, as_of, &|r| r.topic.starts_with("02"));
        assert_counts(&body["metrics"], &expected, &format!("{code} subtree={subtree} topic 02 ({source})"));
        // By month: each month of the period recounted on its own.
        let (status, body) = server.get(&format!("{path}&group_by=month"), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["computed_from"], source, "{path} by month");
        for g in body["groups"].as_array().unwrap() {
            let (f, t) = g["label"].as_str().unwrap().split_once('至').unwrap();
            let expected = recount(&raws, &scope, ymd(f), ymd(t), as_of, &|_| true);
            assert_counts(&g["metrics"], &expected, &format!("{code} subtree={subtree} month {f}..{t} ({source})"));
        }
    }
    assert_eq!(checked, cases.len() * 3);
    (raws, units)
}

#[tokio::test]
async fn every_metric_equals_a_recount_from_the_raw_record() {
    // Every scope kept precomputed (min 1 unit), the refresh job off.
    let server = TestServer::start_configured(|c| {
        TestServer::counting(c);
        c.settings.statistics_min_scope_units = 1;
    })
    .await;
    let load = load_history(&server).await;
    eprintln!("loaded {PETITIONS} petitions in {:.1}s", load.as_secs_f64());
    let token = server.token("gd_supervisor").await;

    let today = local_date(Utc::now());
    let month_start = |d: NaiveDate| d.with_day0(0).unwrap();
    let this_month = month_start(today);
    let last_month = month_start(this_month - Duration::days(1));
    let cases: Vec<Case> = vec![
        ("440304-XFJ", false, last_month, this_month - Duration::days(1)),
        ("440304-XFJ", true, today - Duration::days(120), today - Duration::days(30)),
        ("440304-RST", false, last_month, this_month - Duration::days(1)),
        ("440305-ZJT", false, today - Duration::days(200), today - Duration::days(100)),
        ("4403-XFJ", true, last_month, this_month - Duration::days(1)),
        ("4403-RST", true, today - Duration::days(90), today),
        ("4403-RST", false, today - Duration::days(90), today),
        ("440305-XFJ", true, today - Duration::days(45), today - Duration::days(15)),
        ("44-XFJ", true, today - Duration::days(365), today),
        ("440304-JW", false, today - Duration::days(180), today),
        // A city's government with everything that answers to it (its
        // departments and bureau, the districts' governments and theirs).
        ("4403-ZF", true, last_month, this_month - Duration::days(1)),
        ("440305-ZF", true, today - Duration::days(365), today),
    ];
    // Nothing built yet: recounted from the record.
    check_cases(&server, &token, &cases, "recount").await;
    // Built: the same figures from the aggregates.
    let built = recount::refresh(&server.store, 1).await;
    assert!(built.rebuilt && built.applied >= PETITIONS, "{built:?}");
    check_cases(&server, &token, &cases, "precomputed").await;
    // Petitions changed behind the aggregates' back (plain SQL: handling
    // units, timers, ratings, repeats, states): a read corrects for the
    // changes not yet taken in, and after the refresh they are in.
    let changed = shake(&server.database_url(), 1).await;
    assert!(changed > 200, "{changed} rows changed");
    let status = server.store.aggregate_status().await.unwrap();
    assert!(status.dirty > 100, "the triggers marked the changed petitions: {status:?}");
    check_cases(&server, &token, &cases, "precomputed").await;
    // Taken in at the scheduled job's pace: on SQLite small transactions,
    // the same sums.
    let again = recount::refresh_as_job(&server.store, 1).await;
    assert!(!again.rebuilt && again.applied as i64 == status.dirty, "{again:?} after {status:?}");
    assert_eq!(server.store.aggregate_status().await.unwrap().dirty, 0);
    let (raws, units) = check_cases(&server, &token, &cases, "precomputed").await;

    for (code, subtree, from, to) in &cases {
        let scope = scope_of(&units, code, *subtree);
        let as_of = today;
        if *code == "4403-ZF" {
            let c = recount(&raws, &scope, *from, *to, as_of, &|_| true);
            assert!(c["on_time_conclusion_rate"].1 > 50 && c["on_time_acceptance_rate"].1 > 500, "a city as a whole: {c:?}");
        }
        if *code == "440304-XFJ" && !*subtree {
            let c = recount(&raws, &scope, *from, *to, as_of, &|_| true);
            assert!(
                c["on_time_acceptance_rate"].1 > 100 && c["repeat_petition_rate"].1 > 100,
                "a county bureau's month has figures: {c:?}"
            );
            assert!(c["on_time_acceptance_rate"].0 < c["on_time_acceptance_rate"].1, "some acceptances are late");
        }
    }

    // The metrics a department is answerable for have real figures.
    let scope = scope_of(&units, "4403-RST", true);
    let c = recount(&raws, &scope, today - Duration::days(365), today, today, &|_| true);
    for (name, (num, den)) in &c {
        assert!(*den > 50 && num < den, "{name}: {num}/{den} for the city's labour departments over a year");
    }

    // Filters: a topic (and the codes under it) and a channel.
    let (from, to) = (today - Duration::days(180), today);
    let (_, body) = server.get(&format!("/api/v1/statistics?unit=4403-XFJ&subtree=true&from={from}&to={to}&topic=02"), Some(&token)).await;
    let scope = scope_of(&units, "4403-XFJ", true);
    let as_of = ymd(body["as_of"].as_str().unwrap());
    assert_counts(&body["metrics"], &recount(&raws, &scope, from, to, as_of, &|r| r.topic.starts_with("02")), "topic 02");
    let (_, body) =
        server.get(&format!("/api/v1/statistics?unit=4403-XFJ&subtree=true&from={from}&to={to}&channel=online"), Some(&token)).await;
    assert_counts(&body["metrics"], &recount(&raws, &scope, from, to, as_of, &|r| r.channel == "online"), "channel online");

    // Groups partition the period: by channel, by topic, by month.
    for g in ["channel", "topic", "month"] {
        let (status, body) =
            server.get(&format!("/api/v1/statistics?unit=4403-XFJ&subtree=true&from={from}&to={to}&group_by={g}"), Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let groups = body["groups"].as_array().unwrap();
        assert!(groups.len() > 1, "{g}: {groups:?}");
        for (name, total) in body["metrics"].as_object().unwrap() {
            let sum = |k: &str| groups.iter().map(|x| x["metrics"][name][k].as_u64().unwrap()).sum::<u64>();
            assert_eq!(json!(sum("numerator")), total["numerator"], "{g}: {name}");
            assert_eq!(json!(sum("denominator")), total["denominator"], "{g}: {name}");
        }
        if g == "channel" {
            let letter = groups.iter().find(|x| x["key"] == "letter").unwrap();
            let as_of = ymd(body["as_of"].as_str().unwrap());
            assert_counts(&letter["metrics"], &recount(&raws, &scope, from, to, as_of, &|r| r.channel == "letter"), "group letter");
        }
    }

    // The exports carry the numbers of the JSON.
    let q = format!("unit=440304-XFJ&subtree=true&from={last_month}&to={}", this_month - Duration::days(1));
    let (_, body) = server.get(&format!("/api/v1/statistics?{q}"), Some(&token)).await;
    let resp = server.client.get(format!("{}/api/v1/statistics.csv?{q}", server.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = resp.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("分组,指标,指标代码,本期分子"));
    assert_eq!(lines.len(), 1 + 7);
    for line in &lines[1..] {
        let cells: Vec<&str> = line.split(',').collect();
        let name = cells[2];
        for (i, period) in [(3, &body["metrics"]), (6, &body["previous"]["metrics"]), (9, &body["year_ago"]["metrics"])] {
            assert_eq!(cells[i], period[name]["numerator"].to_string(), "csv {name}");
            assert_eq!(cells[i + 1], period[name]["denominator"].to_string(), "csv {name}");
        }
    }
    let resp = server.client.get(format!("{}/api/v1/statistics?{q}&format=xlsx", server.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = calamine::Reader::worksheet_range(&mut book, "统计").unwrap();
    let rows: Vec<Vec<calamine::Data>> = range.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows[0][1], calamine::Data::String("指标".into()));
    assert_eq!(rows.len(), 8);
    for row in &rows[1..] {
        let name = row[2].to_string();
        for (i, period) in [(3, &body["metrics"]), (6, &body["previous"]["metrics"]), (9, &body["year_ago"]["metrics"])] {
            let m = &period[name.as_str()];
            assert_eq!(row[i], calamine::Data::Float(m["numerator"].as_f64().unwrap()), "xlsx {name}");
            assert_eq!(row[i + 1], calamine::Data::Float(m["denominator"].as_f64().unwrap()), "xlsx {name}");
            match m["value"].as_f64() {
                Some(v) => assert_eq!(row[i + 2], calamine::Data::Float(v), "xlsx {name} value"),
                None => assert_eq!(row[i + 2], calamine::Data::Empty, "xlsx {name} value"),
            }
        }
    }
    server.finish().await;
}

#[tokio::test]
async fn bad_parameters_and_other_units_figures_are_refused() {
    let server = TestServer::start().await;
    let get = |user: &'static str, q: &'static str| {
        let server = &server;
        async move { server.get_as(user, &format!("/api/v1/statistics?{q}")).await }
    };
    for (q, code) in [
        ("from=2026-01-01&to=2026-01-31", "missing_parameter"),
        ("unit=440304-XFJ&to=2026-01-31", "missing_parameter"),
        ("unit=440304-XFJ&from=2026-02-30&to=2026-03-31", "invalid_date"),
        ("unit=440304-XFJ&from=2026/01/01&to=2026-03-31", "invalid_date"),
        ("unit=440304-XFJ&from=2026-03-01&to=2026-01-31", "invalid_range"),
        ("unit=440304-XFJ&from=2022-01-01&to=2026-01-31", "range_too_long"),
        ("unit=440304-XFJ&from=2026-01-01&to=2026-01-31&subtree=yes", "invalid_parameter"),
        ("unit=440304-XFJ&from=2026-01-01&to=2026-01-31&channel=pigeon", "invalid_parameter"),
        ("unit=440304-XFJ&from=2026-01-01&to=2026-01-31&group_by=weekday", "invalid_parameter"),
        ("unit=440304-XFJ&from=2026-01-01&to=2026-01-31&format=pdf", "invalid_parameter"),
    ] {
        let (status, body) = get("ft_clerk", q).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {body}");
        assert_eq!(body["error"]["code"], code, "{q}: {body}");
        assert!(!body["error"]["fields"].as_array().unwrap().is_empty(), "{q}: the field is named");
        assert!(
            body["error"]["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{q}: a Chinese message"
        );
    }
    let (status, body) = get("ft_clerk", "unit=999999-XFJ&from=2026-01-01&to=2026-01-31").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Another county's figures, or the bureau above: 403 with a Chinese message.
    for (user, unit) in
        [("ns_clerk", "440304-XFJ"), ("ft_rst_officer", "4403-XFJ"), ("ft_rst_officer", "440304-ZJT"), ("ft_clerk", "4403-RST")]
    {
        let (status, body) = server.get_as(user, &format!("/api/v1/statistics?unit={unit}&from=2026-01-01&to=2026-01-31")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user} → {unit}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("无权查看"), "{body}");
    }
    // One's own unit, a unit below, and (a bureau) any unit of its area.
    for (user, unit) in [
        ("ft_rst_officer", "440304-RST"),
        ("sz_rst_officer", "440304-RST"),
        ("ft_clerk", "440304-RST"),
        ("sz_clerk", "440305-XFJ"),
        ("sz_zfb_head", "4403-ZF"),
        ("ft_zfb_head", "440304-RST"),
    ] {
        let (status, body) =
            server.get_as(user, &format!("/api/v1/statistics?unit={unit}&from=2026-01-01&to=2026-01-31&subtree=true")).await;
        assert_eq!(status, StatusCode::OK, "{user} → {unit}: {body}");
        // Nothing registered: every denominator 0, every value null.
        for (name, m) in body["metrics"].as_object().unwrap() {
            assert_eq!(m["denominator"], 0, "{name}");
            assert!(m["value"].is_null(), "{name}");
        }
        assert_eq!(body["previous"]["from"], "2025-12-01");
        assert_eq!(body["year_ago"]["to"], "2025-01-31");
        assert_eq!(body["labels"]["on_time_acceptance_rate"], "及时受理率");
    }
    let (status, _) = server.get("/api/v1/statistics?unit=440304-XFJ&from=2026-01-01&to=2026-01-31", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The route is in the OpenAPI document.
    let (status, doc) = server.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    for p in ["/api/v1/statistics", "/api/v1/statistics.csv", "/api/v1/statistics.xlsx"] {
        assert!(doc["paths"][p]["get"].is_object(), "{p} documented");
    }
    server.finish().await;
}
