//! The supervisor's dashboard and the Art. 41 annual report (issue 12 item
//! 7). On a generated history, every figure the dashboard shows for a
//! district bureau (its area), a department (itself) and the city equals a
//! count made here from the raw rows with plain queries: volume by month,
//! open petitions by state, topics, areas, the metrics (the shared
//! recount), the late handling per unit; the XLSX of all tables reads back
//! the same; the annual report's figures are the year's, its PDF says so;
//! bad parameters are refused.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "recount/mod.rs"]
mod recount;

use chrono::{Datelike, NaiveDate};
use common::{TestServer, pdf_text};
use recount::{assert_counts, raw_rows_read_by, recount, screened_ids, shake};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::{AnyPool, Row};
use std::collections::{BTreeMap, HashMap, HashSet};
use xinfang::config::Config;
use xinfang::demo_history::HistorySpec;
use xinfang_domain::local_date;

/// A petition as counted here.
struct P {
    registered: i64,
    handling: Option<i64>,
    received_on: NaiveDate,
    state: String,
    topic: String,
    jurisdiction: String,
    id: i64,
}

async fn petitions(url: &str) -> (Vec<P>, HashMap<String, (i64, String)>) {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await.unwrap();
    let ps = sqlx::query("SELECT registered_unit_id, handling_unit_id, received_on, state, topic, jurisdiction, id FROM petitions")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| P {
            registered: r.get(0),
            handling: r.get(1),
            received_on: r.get::<String, _>(2).parse().unwrap(),
            state: r.get(3),
            topic: r.get::<Option<String>, _>(4).unwrap_or_default(),
            jurisdiction: r.get(5),
            id: r.get(6),
        })
        .collect();
    let units = sqlx::query("SELECT code, id, jurisdiction FROM units")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>(0), (r.get::<i64, _>(1), r.get::<String, _>(2))))
        .collect();
    pool.close().await;
    (ps, units)
}

fn counts_of(v: &Value) -> BTreeMap<String, i64> {
    v.as_array().unwrap().iter().map(|r| (r["key"].as_str().unwrap().to_string(), r["count"].as_i64().unwrap())).collect()
}

#[tokio::test]
async fn the_dashboard_equals_a_recount_and_exports_the_same_numbers() {
    let s = TestServer::start_configured(|c| {
        TestServer::counting(c);
        c.settings.statistics_min_scope_units = 1;
    })
    .await;
    s.load_history(HistorySpec { petitions: 5_000, days: 420, seed: 5 }).await;
    // Recounted, then from the aggregates, then with changes not yet
    // taken in (corrected on read), then after they are.
    check_dashboards(&s, "recount").await;
    recount::refresh(&s.store, 1).await;
    check_dashboards(&s, "precomputed").await;
    assert!(shake(&s.database_url(), 3).await > 200);
    check_dashboards(&s, "precomputed").await;
    // Two nodes refreshing at once (each its own store on the same
    // database): every change is applied once — the lock serialises them.
    let pending = s.store.aggregate_status().await.unwrap().dirty;
    let other = xinfang::open(&Config {
        database_url: s.database_url(),
        key_file: s.dir.path().join("xinfang.key").display().to_string(),
        ..Config::default()
    })
    .await
    .unwrap();
    let (a, b) = tokio::join!(recount::refresh(&s.store, 1), recount::refresh(&other, 1));
    assert!(!a.rebuilt && !b.rebuilt);
    assert_eq!((a.applied + b.applied) as i64, pending, "each change applied by one node: {a:?} {b:?}");
    assert_eq!(s.store.aggregate_status().await.unwrap().dirty, 0);
    other.close().await;
    check_dashboards(&s, "precomputed").await;
    // A period that splits a month is recounted; whole months agree.
    let (_, whole) = s.get_as("ft_supervisor", "/api/v1/dashboard").await;
    let from = whole["from"].as_str().unwrap().to_string();
    let to: NaiveDate = whole["to"].as_str().unwrap().parse().unwrap();
    let mid = to - chrono::Duration::days(40);
    let (_, split) = s.get_as("ft_supervisor", &format!("/api/v1/dashboard?from={from}&to={mid}")).await;
    assert_eq!(split["computed_from"], "recount", "{mid} is not a month's end");
    let month_end = NaiveDate::from_ymd_opt(mid.year(), mid.month(), 1).unwrap() - chrono::Duration::days(1);
    let (_, whole_months) = s.get_as("ft_supervisor", &format!("/api/v1/dashboard?from={from}&to={month_end}")).await;
    assert_eq!(whole_months["computed_from"], "precomputed");
    let a = split["volume"].as_array().unwrap();
    assert_eq!(a[..a.len() - 1], whole_months["volume"].as_array().unwrap()[..], "whole months agree");
    export_checks(&s).await;
    s.finish().await;
}

/// Every figure of three dashboards equals a count of the record as it is
/// now; `source` is where the API says they came from.
async fn check_dashboards(s: &TestServer, source: &str) {
    let today = local_date(chrono::Utc::now());
    let (ps, units) = petitions(&s.database_url()).await;
    let open_end = ["closed", "declined", "redirected", "not_reaccepted"];
    let late_of = |r: &recount::Raw| match r.deadlines.iter().find(|d| d.0 == "T6" || d.0 == "S1") {
        Some((_, due, Some(met))) => met > due,
        Some((_, due, None)) => *due < today,
        None => false,
    };

    for (user, code, area_wide) in
        [("ft_supervisor", "440304-XFJ", true), ("ft_rst_head", "440304-RST", false), ("sz_supervisor", "4403-XFJ", true)]
    {
        let (status, d) = s.get_as(user, "/api/v1/dashboard").await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["unit"]["code"], code);
        // Art. 30: the reader counts nothing it may not know of.
        let hidden = screened_ids(&s.database_url(), code).await;
        let (raws, _) = raw_rows_read_by(&s.database_url(), Some(code)).await;
        let (id, jurisdiction) = units[code].clone();
        let scope: HashSet<i64> =
            if area_wide { units.values().filter(|(_, j)| j.starts_with(&jurisdiction)).map(|(i, _)| *i).collect() } else { [id].into() };
        let from: NaiveDate = d["from"].as_str().unwrap().parse().unwrap();
        let to: NaiveDate = d["to"].as_str().unwrap().parse().unwrap();
        assert_eq!(to, today);
        assert_eq!(from, NaiveDate::from_ymd_opt(today.year() - 1, today.month(), 1).unwrap());
        let mine = |p: &&P| !hidden.contains(&p.id) && (scope.contains(&p.registered) || p.handling.is_some_and(|h| scope.contains(&h)));
        let in_period: Vec<&P> = ps.iter().filter(mine).filter(|p| from <= p.received_on && p.received_on <= to).collect();

        let mut by_month: BTreeMap<String, i64> = BTreeMap::new();
        for p in &in_period {
            *by_month.entry(p.received_on.format("%Y-%m").to_string()).or_default() += 1;
        }
        let volume = counts_of(&d["volume"]);
        assert_eq!(volume.len(), 13, "{code}: every month, zeros included");
        assert_eq!(volume.into_iter().filter(|v| v.1 > 0).collect::<BTreeMap<_, _>>(), by_month, "{code}: volume");
        assert_eq!(d["total"].as_i64().unwrap(), in_period.len() as i64);

        let mut open: BTreeMap<String, i64> = BTreeMap::new();
        for p in ps.iter().filter(mine).filter(|p| !open_end.contains(&p.state.as_str())) {
            *open.entry(p.state.clone()).or_default() += 1;
        }
        assert_eq!(counts_of(&d["open_by_state"]), open, "{code} ({source}): open by state");

        let mut topics: HashMap<String, i64> = HashMap::new();
        let mut areas: HashMap<String, i64> = HashMap::new();
        let digits = match jurisdiction.len() {
            2 => 4,
            4 => 6,
            _ => 9,
        };
        for p in &in_period {
            *topics.entry(p.topic.chars().take(2).collect()).or_default() += 1;
            *areas.entry(p.jurisdiction.chars().take(digits).collect()).or_default() += 1;
        }
        for (name, counted) in [("topics", &topics), ("areas", &areas)] {
            let shown = counts_of(&d[name]);
            assert_eq!(shown.into_iter().collect::<HashMap<_, _>>(), *counted, "{code}: every {name}, counted");
        }

        let expected = recount(&raws, &scope, from, to, today, &|_| true);
        let current: Value = d["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["metric"].as_str().unwrap().to_string(), m["current"].clone()))
            .collect::<serde_json::Map<_, _>>()
            .into();
        assert_counts(&current, &expected, &format!("{code} ({source})"));

        // Handling units in the scope: petitions received in the period,
        // and those handled late (after the due date, or not yet and the
        // date has passed).
        let mut load: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
        for r in raws.iter().filter(|r| from <= r.received_on && r.received_on <= to) {
            let Some(h) = r.handling_unit.filter(|h| scope.contains(h)) else { continue };
            let e = load.entry(h).or_default();
            e.0 += 1;
            e.1 += i64::from(late_of(r));
        }
        let shown: BTreeMap<i64, (i64, i64)> = d["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| (units[u["unit"]["code"].as_str().unwrap()].0, (u["count"].as_i64().unwrap(), u["late"].as_i64().unwrap())))
            .collect();
        assert_eq!(shown, load, "{code} ({source}): handling units and late handling");
    }
}

async fn export_checks(s: &TestServer) {
    // Every table in one workbook: the volume and metrics sheets read back.
    let token = s.token("ft_supervisor").await;
    let r = s.client.get(format!("{}/api/v1/dashboard?format=xlsx&table=all", s.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    let (_, d) = s.get_as("ft_supervisor", "/api/v1/dashboard").await;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = calamine::Reader::sheet_names(&book);
    for sheet in ["信访量", "在办状态", "主要指标", "问题领域", "地区分布", "责任单位"] {
        assert!(names.iter().any(|n| n == sheet), "{sheet} in {names:?}");
    }
    let range = calamine::Reader::worksheet_range(&mut book, "信访量").unwrap();
    let rows: Vec<Vec<calamine::Data>> = range.rows().map(|r| r.to_vec()).collect();
    for (row, v) in rows[1..].iter().zip(d["volume"].as_array().unwrap()) {
        assert_eq!(row[0], calamine::Data::String(v["key"].as_str().unwrap().into()));
        assert_eq!(row[2], calamine::Data::Float(v["count"].as_f64().unwrap()));
    }
    let range = calamine::Reader::worksheet_range(&mut book, "主要指标").unwrap();
    let rows: Vec<Vec<calamine::Data>> = range.rows().map(|r| r.to_vec()).collect();
    for (row, m) in rows[1..].iter().zip(d["metrics"].as_array().unwrap()) {
        assert_eq!(row[1], calamine::Data::String(m["metric"].as_str().unwrap().into()));
        assert_eq!(row[2], calamine::Data::Float(m["current"]["numerator"].as_f64().unwrap()));
        assert_eq!(row[3], calamine::Data::Float(m["current"]["denominator"].as_f64().unwrap()));
    }
    let r = s.client.get(format!("{}/api/v1/dashboard?format=csv&table=volume", s.base)).bearer_auth(&token).send().await.unwrap();
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 14, "header and 13 months");

    // Bad parameters, and another district's figures.
    for (q, status) in [
        ("from=2026-02-30", StatusCode::UNPROCESSABLE_ENTITY),
        ("from=2026-05-01&to=2026-04-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("from=2020-01-01&to=2026-01-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("format=pdf", StatusCode::UNPROCESSABLE_ENTITY),
        ("format=xlsx&table=nope", StatusCode::UNPROCESSABLE_ENTITY),
        ("unit=NOPE", StatusCode::NOT_FOUND),
        ("unit=440305-XFJ", StatusCode::FORBIDDEN),
    ] {
        let (got, body) = s.get_as("ft_supervisor", &format!("/api/v1/dashboard?{q}")).await;
        assert_eq!(got, status, "{q}: {body}");
    }
}

#[tokio::test]
async fn art41_the_annual_report_counts_the_year() {
    let s = TestServer::start_configured(TestServer::counting).await;
    s.load_history(HistorySpec { petitions: 3_000, days: 500, seed: 9 }).await;
    let today = local_date(chrono::Utc::now());
    let year = today.year() - 1;
    let (ps, units) = petitions(&s.database_url()).await;
    let (_, jurisdiction) = units["4403-XFJ"].clone();
    let scope: HashSet<i64> = units.values().filter(|(_, j)| j.starts_with(&jurisdiction)).map(|(i, _)| *i).collect();
    let hidden = screened_ids(&s.database_url(), "4403-XFJ").await;
    let in_year = ps
        .iter()
        .filter(|p| !hidden.contains(&p.id))
        .filter(|p| scope.contains(&p.registered) || p.handling.is_some_and(|h| scope.contains(&h)))
        .filter(|p| p.received_on.year() == year)
        .count() as i64;

    let (status, a) = s.get_as("sz_supervisor", &format!("/api/v1/reports/annual?year={year}&format=json")).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["total"].as_i64().unwrap(), in_year);
    assert_eq!(a["volume"][0]["count"].as_i64().unwrap(), in_year);
    // 转送 / 交办: the acts of the year (Beijing days) on the area's petitions.
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(&s.database_url()).await.unwrap();
    let mut acts: HashMap<String, i64> = HashMap::new();
    for r in sqlx::query(
        "SELECT e.action, e.occurred_at, p.registered_unit_id, p.handling_unit_id, p.id FROM events e JOIN petitions p ON p.id = e.petition_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    {
        let (reg, hand): (i64, Option<i64>) = (r.get(2), r.get(3));
        if hidden.contains(&r.get::<i64, _>(4)) || !(scope.contains(&reg) || hand.is_some_and(|h| scope.contains(&h))) {
            continue;
        }
        if recount::day_of(&r.get::<String, _>(1)).year() == year {
            *acts.entry(r.get(0)).or_default() += 1;
        }
    }
    pool.close().await;
    let line = |label: &str| a["instruments"].as_array().unwrap().iter().find(|l| l["label"] == label).unwrap()["count"].as_i64().unwrap();
    assert_eq!(line("转送"), acts.get("forward").copied().unwrap_or(0));
    assert_eq!(line("交办"), acts.get("assign").copied().unwrap_or(0));
    assert!(line("转送") > 0);
    let replies = a["suggestions"].as_array().unwrap()[1..].iter().map(|l| l["count"].as_i64().unwrap()).sum::<i64>();
    assert!(replies <= acts.get("reply").copied().unwrap_or(0));

    // The PDF says the same.
    let token = s.token("sz_supervisor").await;
    let r = s.client.get(format!("{}/api/v1/reports/annual?year={year}", s.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let text = pdf_text(&r.bytes().await.unwrap());
    for needle in [
        format!("{year}年度信访工作报告"),
        format!("登记或承办的信访事项共{in_year}件"),
        "第四十一条".to_string(),
        "被反映较多的单位".into(),
    ] {
        assert!(text.contains(&needle), "{needle} missing from {text}");
    }
    for (q, status) in [
        ("year=1999", StatusCode::UNPROCESSABLE_ENTITY),
        ("year=abc", StatusCode::UNPROCESSABLE_ENTITY),
        ("format=doc", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (got, body) = s.get_as("sz_supervisor", &format!("/api/v1/reports/annual?{q}")).await;
        assert_eq!(got, status, "{q}: {body}");
    }
    // A year without any petition still makes a report (its tables say 无).
    let r = s.client.get(format!("{}/api/v1/reports/annual?year=2000", s.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(pdf_text(&r.bytes().await.unwrap()).contains("（无）"));
    // The report is the petition bureau's (Art. 41), not a department's.
    let (status, _) = s.get_as("ft_rst_head", &format!("/api/v1/reports/annual?year={year}&format=json")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.finish().await;
}

/// A unit with a small subtree but a long history (a busy department) is
/// kept precomputed once the aggregates are built, with the same figures
/// as the recount it was answered by before; the server learns the busy
/// units from the database (built here through another store, as by
/// another node).
#[tokio::test]
async fn a_busy_unit_with_few_units_below_is_precomputed_with_the_recounts_figures() {
    use xinfang_domain::aggregate::{Scope, ScopeIndex};
    let s = TestServer::start_configured(TestServer::counting).await;
    s.load_history(HistorySpec { petitions: 3_000, days: 200, seed: 11 }).await;
    let settings = xinfang_web::state::Settings { statistics_min_scope_petitions: 150, ..Default::default() };
    let busy = s.store.busy_units(150).await.unwrap();
    let tree = xinfang_domain::unit::UnitTree::new(s.store.load_units().await.unwrap());
    let by_size = ScopeIndex::build(&tree, settings.statistics_min_scope_units, &Default::default());
    let small: Vec<_> = busy
        .iter()
        .filter_map(|id| tree.get(*id))
        .filter(|u| !xinfang_domain::aggregate::area_wide(u.kind) && !by_size.is_kept(&Scope::Subtree(u.id)))
        .take(3)
        .collect();
    assert!(!small.is_empty(), "busy units: {busy:?}");
    let today = local_date(chrono::Utc::now());
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap();
    let (from, to) = (first - chrono::Duration::days(150), first - chrono::Duration::days(1));
    let from = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).unwrap();
    let paths = |code: &str| {
        vec![
            format!("/api/v1/dashboard?unit={code}"),
            format!("/api/v1/statistics?unit={code}&from={from}&to={to}&subtree=false"),
            format!("/api/v1/statistics?unit={code}&from={from}&to={to}&subtree=true"),
        ]
    };
    let mut before = Vec::new();
    for u in &small {
        for p in paths(&u.code) {
            let (status, mut v) = s.get_as("gd_supervisor", &p).await;
            assert_eq!(status, StatusCode::OK, "{p}: {v}");
            assert_eq!(v["computed_from"], "recount", "{p}: too few units below to be kept by size");
            v.as_object_mut().unwrap().remove("computed_from");
            before.push((p, v));
        }
    }
    let built = recount::refresh_with(&s.store, &settings).await;
    assert!(built.rebuilt, "{built:?}");
    assert_eq!(s.store.stored_busy_units().await.unwrap(), busy);
    for (p, v) in before {
        let (_, mut now) = s.get_as("gd_supervisor", &p).await;
        assert_eq!(now["computed_from"], "precomputed", "{p}");
        now.as_object_mut().unwrap().remove("computed_from");
        assert_eq!(now, v, "{p}: the same figures either way");
    }
    // Rebuilt with a higher bar, the server follows: recounted again.
    let higher = xinfang_web::state::Settings { statistics_min_scope_petitions: 1_000_000, ..Default::default() };
    let tree_changed = {
        // The stored fingerprint must differ for a rebuild: reset by hand, as a
        // changed tree would.
        s.store.reset_aggregates(&ScopeIndex::build(&tree, 1_000_000, &Default::default())).await.unwrap();
        recount::refresh_with(&s.store, &higher).await
    };
    assert!(tree_changed.rebuilt);
    assert!(s.store.stored_busy_units().await.unwrap().is_empty());
    let (_, v) = s.get_as("gd_supervisor", &paths(&small[0].code)[0]).await;
    assert_eq!(v["computed_from"], "recount");
    s.finish().await;
}

#[tokio::test]
async fn the_dashboards_period_starts_no_earlier_than_the_annual_reports() {
    let s = TestServer::start().await;
    for q in ["to=1900-01-01", "from=1999-12-31&to=2000-06-30", "from=0001-01-01&to=0001-12-31", "to=%2B2026-01-01"] {
        let (status, err) = s.get_as("ft_supervisor", &format!("/api/v1/dashboard?{q}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {err}");
        assert_eq!(err["error"]["code"], "invalid_date", "{q}: {err}");
    }
    // The first year the annual report takes, and a default period clamped to it.
    for q in ["from=2000-01-01&to=2000-12-31", "to=2000-03-31"] {
        let (status, d) = s.get_as("ft_supervisor", &format!("/api/v1/dashboard?{q}")).await;
        assert_eq!(status, StatusCode::OK, "{q}: {d}");
        assert_eq!(d["from"], "2000-01-01", "{q}");
    }
    s.finish().await;
}
