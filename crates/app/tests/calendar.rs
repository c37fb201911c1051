//! Deadlines that stay true (issue item 7): a year is covered only when it
//! is imported whole; every calendar change counts the open timers touching
//! the changed year again, records a `recompute_deadlines` event, and every
//! node sees the new calendar. On a real server (SQLite, or PostgreSQL with
//! XINFANG_TEST_DATABASE_URL).

#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Datelike, NaiveDate};
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use xinfang_domain::calendar::{DayKind, HolidayCalendar, SpecialDay};
use xinfang_domain::deadline::{CountingPolicy, DayUnit, compute_due};

fn date(v: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(v.as_str().expect("date string"), "%Y-%m-%d").expect("date")
}

fn shipped() -> (Vec<i32>, Vec<SpecialDay>) {
    xinfang::seed::parse_calendar(xinfang::seed::HOLIDAYS_CSV).expect("calendar")
}

/// An online claim forwarded to the 福田区 human-resources bureau and
/// accepted on route (6) today: T6 runs 60 days (Art. 34). Returns the
/// number and the T6 timer.
async fn accepted_claim(s: &TestServer, name: &str, id_number: &str) -> (String, Value) {
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim(name, id_number)).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    let r = s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    (number, deadline(&r["deadlines"], "T6").clone())
}

async fn t6_of(s: &TestServer, number: &str) -> Value {
    deadline(&s.detail("ft_rst_officer", number).await["deadlines"], "T6").clone()
}

fn events<'a>(detail: &'a Value, action: &str) -> Vec<&'a Value> {
    detail["history"].as_array().unwrap().iter().filter(|e| e["action"] == action).collect()
}

#[tokio::test]
async fn art34_timer_into_2027_is_recomputed_when_2027_calendar_is_imported() {
    let s = TestServer::start().await;
    let (number, t6) = accepted_claim(&s, "王五", "440304197503150015").await;
    let (started, old_due) = (date(&t6["started_on"]), date(&t6["due_on"]));
    let year = old_due.year();
    assert!(!shipped().0.contains(&year), "precondition: the shipped calendar does not cover {year}");
    assert_eq!(t6["provisional"], true, "60 days into an uncovered year are provisional: {t6}");

    // The official arrangement for that year, with a holiday on the computed due date.
    let new_year = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let mut csv = format!("date,kind,name\n{new_year},holiday,元旦\n");
    if old_due != new_year {
        csv.push_str(&format!("{old_due},holiday,测试假日\n"));
    }
    let (status, r) = s.post_as("admin", "/api/v1/calendar/import", json!({"csv": csv, "years": [year], "source": "测试通知"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["years"], json!([year]));
    assert!(r["recompute"]["petitions_changed"].as_u64().unwrap() >= 1, "{r}");

    // The due date moves past the holiday and is no longer provisional.
    let (mut years, mut days) = shipped();
    years.push(year);
    days.push(SpecialDay { date: new_year, kind: DayKind::Holiday, name: "元旦".into() });
    days.push(SpecialDay { date: old_due, kind: DayKind::Holiday, name: "测试假日".into() });
    let expected = compute_due(started, 60, DayUnit::Calendar, &[], 0, CountingPolicy::default(), &HolidayCalendar::new(years, days));
    let t6 = t6_of(&s, &number).await;
    assert_eq!(date(&t6["due_on"]), expected.due_on);
    assert!(expected.due_on > old_due);
    assert_eq!(t6["provisional"], false, "{t6}");

    // The history says what moved and who moved it, on the same hash chain.
    let d = s.detail("ft_rst_officer", &number).await;
    let recomputed = events(&d, "recompute_deadlines");
    assert_eq!(recomputed.len(), 1, "{}", d["history"]);
    let p = &recomputed[0]["payload"];
    let timer = p["timers"].as_array().unwrap().iter().find(|t| t["kind"] == "T6").unwrap();
    assert_eq!(timer["old"], json!({"due_on": old_due, "provisional": true}));
    assert_eq!(timer["new"], json!({"due_on": expected.due_on, "provisional": false}));
    assert_eq!(p["years"], json!([year]));
    assert_eq!(p["cause"]["kind"], "import");
    assert!(s.store.verify_chains().await.unwrap().is_empty(), "hash chains intact");

    // next_due_on (inbox order, overdue) follows.
    let (status, list) = s.get_as("ft_rst_officer", "/api/v1/petitions?unit=440304-RST&per_page=100").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let item = list["items"].as_array().unwrap().iter().find(|i| i["number"] == number.as_str()).unwrap();
    assert_eq!(item["next_due_on"], json!(expected.due_on));

    // The year is covered; importing the same data again moves nothing.
    let (_, cal) = s.get_as("ft_clerk", &format!("/api/v1/calendar/{year}")).await;
    assert_eq!(cal["covered"], true);
    let (status, r) = s.post_as("admin", "/api/v1/calendar/import", json!({"csv": csv, "years": [year]})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["recompute"]["petitions_changed"], 0);
    assert_eq!(events(&s.detail("ft_rst_officer", &number).await, "recompute_deadlines").len(), 1);
    s.finish().await;
}

#[tokio::test]
async fn art34_single_day_edit_moves_due_date_but_does_not_make_its_year_covered() {
    let s = TestServer::start().await;
    let (number, t6) = accepted_claim(&s, "赵六", "440304199001011233").await;
    let old_due = date(&t6["due_on"]);
    let year = old_due.year();
    assert!(!shipped().0.contains(&year), "precondition: {year} uncovered");

    // One holiday set on the due date: the date moves, the year stays uncovered.
    let (status, body) = s
        .put(&format!("/api/v1/calendar/days/{old_due}"), Some(&s.token("admin").await), json!({"kind": "holiday", "name": "临时调整"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let t6 = t6_of(&s, &number).await;
    assert!(date(&t6["due_on"]) > old_due, "{t6}");
    assert_eq!(t6["provisional"], true, "one known day does not cover a year");
    let (_, cal) = s.get_as("ft_clerk", &format!("/api/v1/calendar/{year}")).await;
    assert_eq!(cal["covered"], false, "{cal}");

    // Deleting it puts the date back; both changes are in the history.
    let t = s.token("admin").await;
    let resp = s.client.delete(format!("{}/api/v1/calendar/days/{old_due}", s.base)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(date(&t6_of(&s, &number).await["due_on"]), old_due);
    let d = s.detail("ft_rst_officer", &number).await;
    let causes: Vec<&str> = events(&d, "recompute_deadlines").iter().map(|e| e["payload"]["cause"]["kind"].as_str().unwrap()).collect();
    assert_eq!(causes, ["day_set", "day_deleted"]);

    // A single edited day of 2028 does not make 2028 covered.
    let (status, _) = s.put("/api/v1/calendar/days/2028-03-01", Some(&t), json!({"kind": "holiday", "name": "测试"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, cal) = s.get_as("ft_clerk", "/api/v1/calendar/2028").await;
    assert_eq!(cal["covered"], false, "{cal}");
    assert_eq!(cal["days"].as_array().unwrap().len(), 1);
    s.finish().await;
}

#[tokio::test]
async fn calendar_import_refuses_undeclared_years_and_is_for_admins_only() {
    let s = TestServer::start().await;
    let csv = "date,kind,name\n2027-01-01,holiday,元旦\n2028-01-01,holiday,元旦\n";
    let (status, err) = s.post_as("admin", "/api/v1/calendar/import", json!({"csv": csv, "years": [2027]})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("day_outside_years")), "{err}");
    let (status, err) = s.post_as("admin", "/api/v1/calendar/import", json!({"csv": csv, "years": [2027, 2028, 2029]})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("year_without_days")), "{err}");
    let (status, err) =
        s.post_as("admin", "/api/v1/calendar/import", json!({"csv": "date,kind,name\n2027-02-30,holiday,x\n", "years": [2027]})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_csv")), "{err}");
    let (status, _) = s.post_as("ft_clerk", "/api/v1/calendar/import", json!({"csv": csv, "years": [2027, 2028]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, cal) = s.get_as("ft_clerk", "/api/v1/calendar/2027").await;
    assert_eq!(cal["covered"], false);
    s.finish().await;
}

/// A second node on the same database, checking the calendar version every second.
async fn second_node(s: &TestServer) -> String {
    let cfg = xinfang::config::Config {
        database_url: s.database_url(),
        key_file: s.dir.path().join("xinfang.key").display().to_string(),
        settings: xinfang_web::Settings { calendar_refresh_seconds: 1, ..Default::default() },
        ..Default::default()
    };
    let (_store, router) = xinfang::build(&cfg).await.expect("second node");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.ok();
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn every_node_sees_a_calendar_imported_on_another() {
    let s = TestServer::start().await;
    let other = second_node(&s).await;
    let covered = |base: String| async move {
        let v: Value = reqwest::get(format!("{base}/api/v1/calendar/2031")).await.unwrap().json().await.unwrap();
        v["covered"] == true
    };
    assert!(!covered(other.clone()).await);
    let (status, r) =
        s.post_as("admin", "/api/v1/calendar/import", json!({"csv": "date,kind,name\n2031-01-01,holiday,元旦\n", "years": [2031]})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert!(covered(s.base.clone()).await, "the node that imported sees it at once");
    let mut seen = false;
    for _ in 0..40 {
        if covered(other.clone()).await {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "the other node notices the new calendar_version within its refresh interval");
    s.finish().await;
}
