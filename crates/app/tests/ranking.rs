//! The monthly ranking and its three-colour warnings (issue 12 item 5;
//! 三色预警、三函联办 under Art. 39 and 40). A generated history across the
//! five demo districts is ranked by the city bureau: each district's
//! metrics equal a recount from the raw rows over the units of its area,
//! the score is the weighted mean worked out again here, the last three get
//! red, yellow and blue warnings with a 督办函, 交办函 and 提醒函 (PDFs read
//! back) and a 限期整改 case whose reply and closing show on the ranking;
//! the XLSX and CSV exports carry the same numbers; a month is published
//! once (by a person or the monthly job); bad input is refused.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "recount/mod.rs"]
mod recount;

use common::{TestServer, pdf_text};
use recount::{assert_counts, raw_rows, recount};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{AnyPool, Row};
use std::collections::{HashMap, HashSet};
use xinfang::demo_history::HistorySpec;
use xinfang_domain::local_date;
use xinfang_domain::metrics::Metric;
use xinfang_domain::ranking::{DEFAULT_WEIGHTS, Weights};

const DISTRICTS: [&str; 5] = ["440303", "440304", "440305", "440306", "440307"];

async fn load(server: &TestServer, petitions: usize, days: i64) {
    let loaded = server.load_history(HistorySpec { petitions, days, seed: 11 }).await;
    assert_eq!(loaded.petitions, petitions);
}

/// Unit ids of each district's area (every unit whose area lies in it).
async fn areas(url: &str) -> HashMap<String, HashSet<i64>> {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await.unwrap();
    let mut out: HashMap<String, HashSet<i64>> = HashMap::new();
    for r in sqlx::query("SELECT id, jurisdiction FROM units").fetch_all(&pool).await.unwrap() {
        let j: String = r.get(1);
        if j.len() >= 6 {
            out.entry(j[..6].to_string()).or_default().insert(r.get(0));
        }
    }
    pool.close().await;
    out
}

/// The weighted score written out again: Σ w·v ÷ Σ w over the weighted
/// metrics with a denominator, 重复信访率 as 1 − rate, times 100.
fn expected_score(metrics: &Value, weights: &Weights) -> Option<f64> {
    let (mut sum, mut total) = (0.0, 0.0);
    for m in Metric::ALL {
        let w = weights.get(*m);
        let v = &metrics[m.as_str()];
        let (n, d) = (v["numerator"].as_f64().unwrap(), v["denominator"].as_f64().unwrap());
        if w == 0.0 || d == 0.0 {
            continue;
        }
        let rate = n / d;
        sum += w * if *m == Metric::RepeatPetitionRate { 1.0 - rate } else { rate };
        total += w;
    }
    (total > 0.0).then(|| 100.0 * sum / total)
}

async fn download(s: &TestServer, user: &str, url: &str) -> (StatusCode, Vec<u8>) {
    let token = s.token(user).await;
    let r = s.client.get(format!("{}{url}", s.base)).bearer_auth(token).send().await.unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

/// A login at a district's petition bureau (the demo has accounts in two
/// of the five).
async fn bureau_user(s: &TestServer, district: &str, role: xinfang_domain::role::Role) -> String {
    let unit = s.store.load_units().await.unwrap().into_iter().find(|u| u.code == format!("{district}-XFJ")).unwrap();
    let name = format!("test_{district}_{}", role.as_str());
    let hash = xinfang_web::auth::hash_password(common::PASSWORD).unwrap();
    s.store.upsert_user(&name, &format!("{}{}", unit.name, role.label()), &hash, role, unit.id).await.unwrap();
    name
}

#[tokio::test]
async fn art39_the_last_three_districts_get_red_yellow_and_blue_warnings_with_their_letters() {
    let s = TestServer::start_configured(|c| {
        TestServer::counting(c);
        c.settings.statistics_min_scope_units = 1;
    })
    .await;
    load(&s, 6_000, 120).await;
    let today = local_date(chrono::Utc::now());
    let month = xinfang_web::ranking::last_month(today);
    let period = xinfang_web::ranking::month_period(&month).unwrap();

    // The preview: five districts, each recounted from the raw rows.
    let (status, preview) = s.get_as("sz_supervisor", &format!("/api/v1/rankings/preview?month={month}")).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(preview["id"].is_null());
    assert_eq!(preview["computed_from"], "recount");
    let entries = preview["entries"].as_array().unwrap();
    assert_eq!(entries.iter().map(|e| e["area"].as_str().unwrap()).collect::<HashSet<_>>(), DISTRICTS.into_iter().collect());
    let (raws, _) = raw_rows(&s.database_url()).await;
    let areas = areas(&s.database_url()).await;
    let weights = Weights::parse(DEFAULT_WEIGHTS).unwrap();
    let mut scores = Vec::new();
    for e in entries {
        let area = e["area"].as_str().unwrap();
        let expected = recount(&raws, &areas[area], period.from, period.to, today, &|_| true);
        assert_counts(&e["metrics"], &expected, area);
        let score = expected_score(&e["metrics"], &weights).expect("every district has figures for the month");
        assert!((e["score"].as_f64().unwrap() - score).abs() < 1e-9, "{area}: {} vs {score}", e["score"]);
        scores.push((area.to_string(), score));
    }
    // Best first; ranks 1..5; the last three red, yellow, blue from the bottom.
    let mut sorted = scores.clone();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert_eq!(scores.iter().map(|s| s.0.clone()).collect::<Vec<_>>(), sorted.iter().map(|s| s.0.clone()).collect::<Vec<_>>());
    let warnings: Vec<Value> = entries.iter().map(|e| e["warning"].clone()).collect();
    assert_eq!(warnings, vec![Value::Null, Value::Null, json!("blue"), json!("yellow"), json!("red")]);
    assert_eq!(entries.iter().map(|e| e["rank"].as_i64().unwrap()).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    // The same ranking from the precomputed statistics.
    let built = recount::refresh(&s.store, 1).await;
    assert!(built.rebuilt && built.applied >= 6_000, "{built:?}");
    let (status, again) = s.get_as("sz_supervisor", &format!("/api/v1/rankings/preview?month={month}")).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["computed_from"], "precomputed");
    assert_eq!(again["entries"], preview["entries"], "precomputed and recounted rankings agree");

    // Only a manager of a petition bureau publishes; bad input is refused.
    let (status, _) = s.post_as("sz_clerk", "/api/v1/rankings", json!({"month": month})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.post_as("ft_rst_head", "/api/v1/rankings", json!({"month": month})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a department does not rank");
    for (body, code) in [
        (json!({"month": "2026-13"}), "invalid_month"),
        (json!({"month": today.format("%Y-%m").to_string()}), "month_not_over"),
        (json!({"month": month, "weights": "satisfaction_rate=abc"}), "invalid_weights"),
        (json!({"month": month, "weights": "no_such_metric=3"}), "invalid_weights"),
    ] {
        let (status, err) = s.post_as("sz_supervisor", "/api/v1/rankings", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(err["error"]["code"], code, "{body}: {err}");
    }

    // Publish: the same ranking, now with letters and rectification cases.
    // Two publishers at once (a double click, or two supervisors): one
    // ranking, the other told it is there.
    let ((a_status, a), (b_status, b)) = tokio::join!(
        s.post_as("sz_supervisor", "/api/v1/rankings", json!({"month": month})),
        s.post_as("sz_head", "/api/v1/rankings", json!({"month": month}))
    );
    let mut answers = [(a_status, a), (b_status, b)];
    answers.sort_by_key(|x| x.0);
    let [(status, published), (other, err)] = answers;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    assert_eq!((other, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_published")));
    let id = published["id"].as_i64().unwrap();
    let rows = published["entries"].as_array().unwrap();
    for (p, q) in rows.iter().zip(entries) {
        assert_eq!(
            (p["area"].clone(), p["rank"].clone(), p["warning"].clone()),
            (q["area"].clone(), q["rank"].clone(), q["warning"].clone())
        );
        assert_eq!(p["metrics"], q["metrics"]);
    }
    let (status, again) = s.post_as("sz_supervisor", "/api/v1/rankings", json!({"month": month})).await;
    assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_published")));

    let mut numbers = HashSet::new();
    for (e, (title, colour)) in
        rows[2..].iter().zip([("信访工作提醒函", "蓝色预警"), ("信访工作交办函", "黄色预警"), ("信访工作督办函", "红色预警")])
    {
        assert!(rows[..2].iter().all(|r| r["letter"].is_null() && r["rectification"].is_null()));
        let letter = &e["letter"];
        assert!(numbers.insert(letter["doc_number"].as_str().unwrap().to_string()), "文号 are distinct");
        let (status, pdf) = download(&s, "sz_supervisor", letter["href"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let text = pdf_text(&pdf);
        for needle in [title, colour, e["area_name"].as_str().unwrap(), "完成整改", &format!("在5个地区中排名第{}名", e["rank"])]
        {
            assert!(text.contains(needle), "{title}: {needle} missing from {text}");
        }
        assert!(text.contains(&format!("{:.2}", e["score"].as_f64().unwrap())), "the score is in the letter");
        assert_eq!(e["rectification"]["state"], "open");
    }
    // The warned district's bureau sees the letter and answers the case;
    // another district's bureau that was not warned does not see it.
    let red = &rows[4];
    let district = red["area"].as_str().unwrap();
    let head = bureau_user(&s, district, xinfang_domain::role::Role::UnitHead).await;
    let (status, _) = download(&s, &head, red["letter"]["href"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let top = rows[0]["area"].as_str().unwrap();
    let other = bureau_user(&s, top, xinfang_domain::role::Role::UnitHead).await;
    let (status, _) = download(&s, &other, red["letter"]["href"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let case = red["rectification"]["case_id"].as_i64().unwrap();
    let (status, c) = s.get_as(&head, &format!("/api/v1/supervision/cases/{case}")).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["case"]["kind"].as_str().or(c["kind"].as_str()), Some("rectification"), "{c}");
    let (status, body) =
        s.post_as(&head, &format!("/api/v1/supervision/cases/{case}/reply"), json!({"reply": "已召开专题会议，逐项整改。"})).await;
    assert!(status.is_success(), "{body}");
    let (_, view) = s.get_as(&other, &format!("/api/v1/rankings/{id}")).await;
    assert_eq!(view["entries"][4]["rectification"]["state"], "replied", "the ranking is circulated to every district");
    let (status, body) = s.post_as("sz_supervisor", &format!("/api/v1/supervision/cases/{case}/close"), json!({"note": "整改到位"})).await;
    assert!(status.is_success(), "{body}");
    let (_, view) = s.get_as("sz_supervisor", &format!("/api/v1/rankings/{id}")).await;
    assert_eq!(view["entries"][4]["rectification"]["state"], "closed");

    // The XLSX export, read back: the same places, scores and counts.
    let (status, bytes) = download(&s, "sz_supervisor", &format!("/api/v1/rankings/{id}?format=xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = calamine::Reader::sheet_names(&book)[0].clone();
    let range = calamine::Reader::worksheet_range(&mut book, &sheet).unwrap();
    let table: Vec<Vec<calamine::Data>> = range.rows().map(|r| r.to_vec()).collect();
    let header: Vec<String> = table[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(table.len(), 6);
    for (row, e) in table[1..].iter().zip(&view["entries"].as_array().unwrap()[..]) {
        assert_eq!(row[0], calamine::Data::Float(e["rank"].as_f64().unwrap()));
        assert_eq!(row[1], calamine::Data::String(e["area_name"].as_str().unwrap().into()));
        let score = match &row[3] {
            calamine::Data::Float(f) => *f,
            other => panic!("score cell {other:?}"),
        };
        assert!((score - (e["score"].as_f64().unwrap() * 100.0).round() / 100.0).abs() < 1e-9);
        assert_eq!(row[4].to_string(), e["warning_label"].as_str().unwrap_or_default());
        for m in Metric::ALL {
            let col = header.iter().position(|h| h == &format!("{}分子", m.label())).unwrap();
            assert_eq!(row[col], calamine::Data::Float(e["metrics"][m.as_str()]["numerator"].as_f64().unwrap()), "{}", m.label());
            assert_eq!(row[col + 1], calamine::Data::Float(e["metrics"][m.as_str()]["denominator"].as_f64().unwrap()));
        }
    }
    let (status, csv) = download(&s, "sz_supervisor", &format!("/api/v1/rankings/{id}?format=csv")).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 6);
    assert!(csv.contains(red["area_name"].as_str().unwrap()) && csv.contains("红色预警"));

    // The list, and the monthly job: the city's month is there already;
    // the province ranks its one city (nothing to warn) once.
    let (_, list) = s.get_as("sz_supervisor", "/api/v1/rankings").await;
    assert_eq!(list[0]["month"], json!(month));
    assert_eq!(list[0]["warned"].as_array().unwrap().len(), 3);
    let state = xinfang_web::AppState::new(s.store.clone(), xinfang_web::Settings::default(), s.keyring()).await.unwrap();
    let out = xinfang_web::ranking::monthly_job(state.clone()).await.unwrap();
    assert!(out.contains("1 rankings published, 1 already there"), "{out}");
    let out = xinfang_web::ranking::monthly_job(state).await.unwrap();
    assert!(out.contains("0 rankings published, 2 already there"), "{out}");
    let (_, province) = s.get_as("gd_supervisor", "/api/v1/rankings").await;
    let (_, one) = s.get_as("gd_supervisor", &format!("/api/v1/rankings/{}", province[0]["id"])).await;
    assert_eq!(one["entries"].as_array().unwrap().len(), 1);
    assert!(one["entries"][0]["warning"].is_null(), "a ranking of one warns nobody");
    s.finish().await;
}

#[tokio::test]
async fn art39_no_ranking_of_a_month_before_the_system_or_spelt_otherwise() {
    let s = TestServer::start().await;
    for month in ["0001-01", "1999-10", "0000-01", "+2026-10", "2026-1", "-0001-01"] {
        let (status, err) = s.post_as("sz_supervisor", "/api/v1/rankings", json!({"month": month})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{month}: {err}");
        assert_eq!(err["error"]["code"], "invalid_month", "{month}: {err}");
        let (status, err) = s.get_as("sz_supervisor", &format!("/api/v1/rankings/preview?month={}", common::enc(month))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "preview {month}: {err}");
        assert_eq!(err["error"]["code"], "invalid_month", "preview {month}: {err}");
    }
    let (status, list) = s.get_as("sz_supervisor", "/api/v1/rankings").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing published: {list}");
    s.finish().await;
}
