//! Supervision (issue 12, items 1 and 2): the deadline watch opens one
//! 督办 case per breached duty timer, from the petition bureau of the late
//! unit's area to the late unit, with its letter and a record on the
//! petition's history (Art. 40) — once, however often the sweep runs and
//! on however many nodes; the supervised unit answers in writing, the
//! supervising unit closes; the instruments of Art. 39 (挂牌督办, 约谈,
//! 通报, 限期整改) are opened by those above. Real servers on SQLite, or
//! PostgreSQL with XINFANG_TEST_DATABASE_URL.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use xinfang::config::Config;

/// A server whose own schedule does not sweep: each test runs the sweep
/// when it means to.
async fn server() -> TestServer {
    TestServer::start_configured(|c| c.watch_schedule = String::new()).await
}

fn days_ago(n: i64) -> String {
    (today() - chrono::Duration::days(n)).to_string()
}

/// A letter registered by the 福田区 clerk, received `days` days ago (a
/// different petitioner each time, so that none is a repeat).
async fn register(s: &TestServer, days: i64, i: usize) -> String {
    let mut v = letter(&days_ago(days));
    v["petitioners"][0]["name"] = json!(format!("王{}", ["一", "二", "三", "四", "五", "六"][i % 6]));
    v["petitioners"][0].as_object_mut().unwrap().remove("id_number");
    v["petitioners"][0]["phone"] = json!(format!("1380013800{i}"));
    v["request"] = json!(format!("要求某科技公司支付拖欠的工资，第{i}件，共计一万五千元整"));
    v["facts_and_reasons"] = json!(format!("本人在第{i}家公司任职，公司自2026年起停发工资，多次催要无果，已向公司人事部门书面反映。"));
    let (status, body) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "register: {body}");
    body["number"].as_str().unwrap().to_string()
}

async fn run_watch(base: &str, client: &reqwest::Client, token: &str) -> (StatusCode, Value) {
    let resp = client.post(format!("{base}/api/v1/supervision/watch/run")).bearer_auth(token).send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The automatic cases of petition `number`, read from the database.
async fn auto_cases(s: &TestServer, number: &str) -> Vec<xinfang_store::SupervisionCaseRow> {
    let p = s.store.petition_by_number(number).await.unwrap().unwrap();
    s.store.supervision_cases_of(p.id).await.unwrap().into_iter().filter(|c| c.kind == "auto_overdue").collect()
}

fn events<'a>(detail: &'a Value, action: &str) -> Vec<&'a Value> {
    detail["history"].as_array().unwrap().iter().filter(|e| e["action"] == action).collect()
}

#[tokio::test]
async fn art40_an_overdue_t1_opens_one_case_from_the_bureau_above_with_its_letter() {
    let s = server().await;
    // Received 25 days ago: the county bureau's 15 days to route (T1) ran out.
    let number = register(&s, 25, 0).await;
    let admin = s.token("admin").await;
    let (status, report) = run_watch(&s.base, &s.client, &admin).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["opened"], 1, "{report}");
    assert!(report["overdue"].as_i64().unwrap() >= 1, "{report}");
    // Again: nothing new.
    let (_, again) = run_watch(&s.base, &s.client, &admin).await;
    assert_eq!((again["breaches"].as_i64(), again["opened"].as_i64()), (Some(0), Some(0)), "{again}");
    let cases = auto_cases(&s, &number).await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].timer_kind.as_deref(), Some("T1"));

    // The city bureau supervises the county bureau that was late.
    let (status, list) = s.get_as("sz_supervisor", "/api/v1/supervision/cases?role=supervising").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let case = list.as_array().unwrap().iter().find(|c| c["number"] == number.as_str()).unwrap().clone();
    assert_eq!(case["kind"], "auto_overdue");
    assert_eq!(case["kind_label"], "逾期自动督办");
    assert_eq!(case["supervising_unit"]["code"], "4403-XFJ");
    assert_eq!(case["supervised_unit"]["code"], "440304-XFJ");
    assert_eq!(case["timer"], "T1");
    assert_eq!(case["status"], "open");
    assert!(case["opened_by"].is_null(), "opened by the watch");
    assert!(case["reason"].as_str().unwrap().contains("信访部门转送交办期限"), "{case}");
    // The late unit finds it among the cases addressed to it.
    let (_, mine) = s.get_as("ft_clerk", "/api/v1/supervision/cases?role=supervised&open=true").await;
    assert!(mine.as_array().unwrap().iter().any(|c| c["id"] == case["id"] && c["my_role"] == "supervised"), "{mine}");

    // The 督办函, issued from the city bureau in the act's transaction.
    let (_, detail) = s.get_as("sz_supervisor", &format!("/api/v1/supervision/cases/{}", case["id"])).await;
    let letters = detail["letters"].as_array().unwrap();
    assert_eq!(letters.len(), 1, "{detail}");
    assert_eq!(letters[0]["kind"], "supervision_letter");
    assert_eq!(letters[0]["title"], "督办函");
    assert_eq!(detail["history"][0]["action"], "open");
    // On the petition's chain: a supervise event by the system, in the bureau's name.
    let p = s.detail("sz_supervisor", &number).await;
    let sup = events(&p, "supervise");
    assert_eq!(sup.len(), 1, "{}", p["history"]);
    assert_eq!(sup[0]["actor_kind"], "system");
    assert_eq!(sup[0]["payload"]["automatic"], true);
    assert_eq!(sup[0]["payload"]["timer"], "T1");
    assert_eq!(p["supervised"], true);

    // The watch's counts: the county bureau holds an overdue timer.
    let (status, w) = s.get_as("ft_clerk", "/api/v1/supervision/watch").await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["unit"]["code"], "440304-XFJ");
    assert!(w["own"]["overdue"].as_i64().unwrap() >= 1, "{w}");
    let (_, city) = s.get_as("sz_supervisor", "/api/v1/supervision/watch?unit=4403-XFJ").await;
    assert!(city["subtree"]["overdue"].as_i64().unwrap() >= 1, "the city sees its area: {city}");
    // A county may not look at the city.
    let (status, _) = s.get_as("ft_clerk", "/api/v1/supervision/watch?unit=4403-XFJ").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // /metrics carries the counts.
    let m = s.client.get(format!("{}/metrics", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("xinfang_deadline_watch{class=\"overdue\"}"), "metrics");
    s.finish().await;
}

#[tokio::test]
async fn art40_the_sweep_classifies_by_the_day_it_is_given() {
    let s = server().await;
    // Received today: T1 is due 15 days on (or the next working day).
    let number = register(&s, 0, 1).await;
    let p = s.detail("ft_clerk", &number).await;
    let due: chrono::NaiveDate = deadline(&p["deadlines"], "T1")["due_on"].as_str().unwrap().parse().unwrap();
    let cfg = Config { key_file: s.dir.path().join("xinfang.key").display().to_string(), ..Config::default() };
    let state =
        xinfang_web::AppState::new(s.store.clone(), xinfang_web::Settings::default(), xinfang::keyring(&cfg).unwrap()).await.unwrap();
    let day = |n: i64| due + chrono::Duration::days(n);
    let r = xinfang_web::supervision::sweep(&state, day(-1)).await.unwrap();
    assert_eq!(r.due_soon, 1, "{r:?} {}", p["deadlines"]);
    assert_eq!((r.due_soon, r.due_today, r.overdue, r.opened), (1, 0, 0, 0), "{r:?}");
    let r = xinfang_web::supervision::sweep(&state, day(0)).await.unwrap();
    assert_eq!((r.due_today, r.overdue, r.opened), (1, 0, 0), "{r:?}");
    let r = xinfang_web::supervision::sweep(&state, day(-10)).await.unwrap();
    assert_eq!((r.on_track, r.opened), (1, 0), "{r:?}");
    // The day after the due date: overdue, and a case is opened once.
    let r = xinfang_web::supervision::sweep(&state, day(1)).await.unwrap();
    assert_eq!((r.overdue, r.opened), (1, 1), "{r:?}");
    let r = xinfang_web::supervision::sweep(&state, day(2)).await.unwrap();
    assert_eq!((r.overdue, r.breaches, r.opened), (1, 0, 0), "{r:?}");
    assert_eq!(auto_cases(&s, &number).await.len(), 1);
    let (_, w) = s.get_as("ft_clerk", "/api/v1/supervision/watch").await;
    assert_eq!(w["own"]["overdue"], 1, "{w}");
    // Once routed, T1 is met: the bureau holds nothing overdue any more.
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    xinfang_web::supervision::sweep(&state, day(1)).await.unwrap();
    let (_, w) = s.get_as("ft_clerk", "/api/v1/supervision/watch").await;
    assert_eq!(w["own"]["total"], 0, "{w}");
    s.finish().await;
}

#[tokio::test]
async fn art40_the_supervised_unit_replies_in_writing_and_the_supervisor_closes() {
    let s = server().await;
    let number = register(&s, 25, 2).await;
    let admin = s.token("admin").await;
    run_watch(&s.base, &s.client, &admin).await;
    let id = auto_cases(&s, &number).await[0].id;
    let path = |what: &str| format!("/api/v1/supervision/cases/{id}{what}");
    // Not before the written reply.
    let (status, body) = s.post_as("sz_supervisor", &path("/close"), json!({"note": "已办结"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "no_reply_yet");
    // The supervisor cannot answer for the late unit.
    let (status, _) = s.post_as("sz_supervisor", &path("/reply"), json!({"reply": "代为回复"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // An empty reply is refused, naming the field.
    let (status, body) = s.post_as("ft_head", &path("/reply"), json!({"reply": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "reply");
    let (status, body) = s
        .post_as("ft_head", &path("/reply"), json!({"reply": "已于当日转送区人社局办理，逾期原因系登记积压，已采纳建议，建立每日清单。"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "replied");
    assert_eq!(body["replied_by"], "ft_head");
    // Once.
    let (status, body) = s.post_as("ft_head", &path("/reply"), json!({"reply": "再次回复"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // The late unit cannot close its own case.
    let (status, _) = s.post_as("ft_head", &path("/close"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = s.post_as("sz_supervisor", &path("/close"), json!({"note": "回复属实，予以办结"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "closed");
    assert_eq!(body["closed_by"], "sz_supervisor");
    let actions: Vec<&str> = body["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["open", "reply", "close"]);
    let (status, _) = s.post_as("sz_supervisor", &path("/close"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Both recorded on the petition's history (internal: not on the tracking page).
    let p = s.detail("ft_clerk", &number).await;
    assert_eq!(events(&p, "supervision_reply").len(), 1, "{}", p["history"]);
    assert_eq!(events(&p, "supervision_close").len(), 1);
    s.finish().await;
}

#[tokio::test]
async fn art40_an_unrelated_unit_neither_sees_nor_answers_a_case() {
    let s = server().await;
    let number = register(&s, 25, 3).await;
    let admin = s.token("admin").await;
    run_watch(&s.base, &s.client, &admin).await;
    let id = auto_cases(&s, &number).await[0].id;
    for user in ["ns_clerk", "ft_rst_officer", "gd_rst_head"] {
        let (status, body) = s.get_as(user, &format!("/api/v1/supervision/cases/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{user}: {body}");
        let (_, list) = s.get_as(user, "/api/v1/supervision/cases").await;
        assert!(list.as_array().unwrap().iter().all(|c| c["id"] != id), "{user} lists it");
        let (status, _) = s.post_as(user, &format!("/api/v1/supervision/cases/{id}/reply"), json!({"reply": "冒名回复"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{user} replies");
        let (status, _) = s.post_as(user, &format!("/api/v1/supervision/cases/{id}/close"), json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{user} closes");
    }
    // Nobody but an administrator runs the sweep by hand.
    let t = s.token("sz_supervisor").await;
    let (status, _) = run_watch(&s.base, &s.client, &t).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.finish().await;
}

#[tokio::test]
async fn art39_art40_manual_instruments_by_those_above() {
    let s = server().await;
    let number = register(&s, 1, 4).await;
    // 督办 on a petition, with the 提醒函 chosen.
    let (status, body) = s
        .post_as(
            "sz_supervisor",
            "/api/v1/supervision/cases",
            json!({"kind": "manual", "petition": number, "reason": "群众反映办理迟缓", "suggestions": "请加快办理", "letter": "reminder"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind_label"], "督办");
    assert_eq!(body["supervised_unit"]["code"], "440304-XFJ");
    assert_eq!(body["opened_by"], "sz_supervisor");
    assert_eq!(body["letters"][0]["kind"], "reminder_letter");
    let p = s.detail("ft_clerk", &number).await;
    assert_eq!(events(&p, "supervise").last().unwrap()["payload"]["supervision_kind"], "manual");
    // A unit may not supervise itself; a sibling county's bureau may not either.
    let (status, body) =
        s.post_as("ft_supervisor", "/api/v1/supervision/cases", json!({"kind": "manual", "petition": number, "reason": "自我督办"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["rule"], "art40");
    // 督办 needs a petition; a bad kind is named.
    let (status, body) =
        s.post_as("sz_supervisor", "/api/v1/supervision/cases", json!({"kind": "manual", "unit": "440304-RST", "reason": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) =
        s.post_as("sz_supervisor", "/api/v1/supervision/cases", json!({"kind": "praise", "unit": "440304-RST", "reason": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("督办类型"));
    // 约谈 of a county department by the city bureau: a record, no letter.
    let (status, body) = s
        .post_as(
            "sz_supervisor",
            "/api/v1/supervision/cases",
            json!({"kind": "interview", "unit": "440304-RST", "reason": "本季度按期办结率全市末位，约谈主要负责人"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["number"].is_null());
    assert_eq!(body["letters"].as_array().unwrap().len(), 0);
    assert_eq!(body["article"], "《信访工作条例》第三十九条");
    // 限期整改 needs its date, in the future; the line superior may order it.
    let (status, body) = s
        .post_as("sz_rst_head", "/api/v1/supervision/cases", json!({"kind": "rectification", "unit": "440304-RST", "reason": "积案过多"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "rectify_by");
    let by = (today() + chrono::Duration::days(30)).to_string();
    let (status, body) = s
        .post_as(
            "sz_rst_head",
            "/api/v1/supervision/cases",
            json!({"kind": "rectification", "unit": "440304-RST", "reason": "积案过多", "rectify_by": by}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["rectify_by"], by.as_str());
    assert_eq!(body["reply_due_on"], by.as_str());
    // 挂牌督办 is the joint conference's (or its office's in the bureau), not a line superior's.
    let (status, body) =
        s.post_as("sz_rst_head", "/api/v1/supervision/cases", json!({"kind": "listed", "unit": "440304-RST", "reason": "挂牌"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "listed_by_joint_conference");
    let (status, body) = s
        .post_as("sz_supervisor", "/api/v1/supervision/cases", json!({"kind": "listed", "petition": number, "reason": "重点积案挂牌督办"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind_label"], "挂牌督办");
    // Another county's department head may not touch 福田's units.
    let (status, _) =
        s.post_as("ns_rst_head", "/api/v1/supervision/cases", json!({"kind": "circular", "unit": "440304-RST", "reason": "通报"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The supervised department sees its three (interview, rectification; not the bureau's petition cases).
    let (_, mine) = s.get_as("ft_rst_head", "/api/v1/supervision/cases?role=supervised").await;
    let kinds: Vec<&str> = mine.as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["rectification", "interview"], "{mine}");
    s.finish().await;
}

/// Another node on the same database and key file.
async fn node_b(s: &TestServer) -> String {
    let cfg = Config {
        database_url: s.database_url(),
        key_file: s.dir.path().join("xinfang.key").display().to_string(),
        checkpoint_file: Some(s.dir.path().join("b.checkpoint.json").display().to_string()),
        watch_schedule: String::new(),
        ..Config::default()
    };
    let (_, router) = xinfang::build(&cfg).await.expect("node starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.ok();
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn art40_two_nodes_sweeping_at_once_open_one_case_per_breach() {
    let s = server().await;
    let mut numbers = Vec::new();
    for i in 0..5 {
        numbers.push(register(&s, 20 + i as i64, i).await);
    }
    let b = node_b(&s).await;
    let admin = s.token("admin").await;
    // Three sweeps on each node, all at once.
    let runs = (0..6).map(|i| {
        let base = if i % 2 == 0 { s.base.clone() } else { b.clone() };
        let (client, token) = (s.client.clone(), admin.clone());
        async move { run_watch(&base, &client, &token).await }
    });
    let reports = futures_util::future::join_all(runs).await;
    let mut opened = 0;
    for (status, r) in &reports {
        assert_eq!(*status, StatusCode::OK, "{r}");
        opened += r["opened"].as_i64().unwrap();
    }
    assert_eq!(opened, 5, "five breaches, five cases: {reports:?}");
    for n in &numbers {
        assert_eq!(auto_cases(&s, n).await.len(), 1, "{n}");
        let p = s.detail("sz_supervisor", n).await;
        assert_eq!(events(&p, "supervise").len(), 1, "one supervise event on {n}");
    }
    s.finish().await;
}

#[tokio::test]
async fn art40_the_watch_follows_the_statistics_scope() {
    let s = server().await;
    // A letter overdue at the county bureau (T1): a timer of the bureau's, none of the department's.
    register(&s, 25, 5).await;
    let admin = s.token("admin").await;
    run_watch(&s.base, &s.client, &admin).await;
    // A department reads neither the bureau nor the discipline bodies of its area.
    for (user, unit) in
        [("ft_rst_head", "440304-XFJ"), ("ft_rst_head", "440304-JW"), ("sz_rst_reviewer", "4403-JW"), ("sz_rst_reviewer", "440305-JW")]
    {
        let (status, body) = s.get_as(user, &format!("/api/v1/supervision/watch?unit={unit}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user} reads {unit}: {body}");
        assert_eq!(body["error"]["fields"][0]["field"], "unit", "{body}");
        // The same answer as the statistics give for that unit.
        let (status, _) = s.get_as(user, &format!("/api/v1/dashboard?unit={unit}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user} {unit}");
    }
    // A department's subtree is its own line, not the whole district.
    let (status, w) = s.get_as("ft_rst_head", "/api/v1/supervision/watch").await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["subtree"]["overdue"], 0, "the bureau's overdue timer is not the department's: {w}");
    // The bureau reads its area, the department included, and counts the bureau's timer.
    let (status, w) = s.get_as("ft_supervisor", "/api/v1/supervision/watch?unit=440304-RST").await;
    assert_eq!(status, StatusCode::OK, "{w}");
    let (_, w) = s.get_as("ft_supervisor", "/api/v1/supervision/watch").await;
    assert!(w["subtree"]["overdue"].as_i64().unwrap() >= 1, "{w}");
    s.finish().await;
}

#[tokio::test]
async fn art39_art40_a_district_bureau_supervises_the_units_under_its_government_only() {
    let s = server().await;
    let open = |unit: &str| json!({"kind": "interview", "unit": unit, "reason": "本季度按期办结率末位，约谈主要负责人"});
    // Not its own government, the party committee and government, the
    // government office, the joint conference, the court or the discipline body.
    for unit in ["440304-ZF", "440304-DZ", "440304-ZFB", "440304-LXH", "440304-FY", "440304-JW"] {
        for kind in ["interview", "circular", "rectification", "listed"] {
            let mut body = open(unit);
            body["kind"] = json!(kind);
            body["rectify_by"] = json!((today() + chrono::Duration::days(30)).to_string());
            let (status, e) = s.post_as("ft_supervisor", "/api/v1/supervision/cases", body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{kind} of {unit}: {e}");
            assert_eq!(e["error"]["rule"], "art40", "{e}");
        }
    }
    // A department of its government: yes.
    let (status, e) = s.post_as("ft_supervisor", "/api/v1/supervision/cases", open("440304-RST")).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    // The city bureau over the district's government and party committee: yes; over its court or discipline body: no.
    for unit in ["440304-ZF", "440304-DZ"] {
        let (status, e) = s.post_as("sz_supervisor", "/api/v1/supervision/cases", open(unit)).await;
        assert_eq!(status, StatusCode::CREATED, "{unit}: {e}");
    }
    for unit in ["440304-FY", "440304-JW"] {
        let (status, e) = s.post_as("sz_supervisor", "/api/v1/supervision/cases", open(unit)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{unit}: {e}");
    }
    // The page's supervised-unit field offers the same units.
    let (c, _) = browser(&s, "ft_supervisor").await;
    let html = c.get(format!("{}/staff/supervision", s.base)).send().await.unwrap().text().await.unwrap();
    let list = html.split("<datalist id=\"supervisable\">").nth(1).unwrap().split("</datalist>").next().unwrap();
    assert!(list.contains("value=\"440304-RST\""), "{list}");
    for unit in ["440304-ZF", "440304-DZ", "440304-ZFB", "440304-LXH", "440304-FY", "440304-JW", "440304-XFJ"] {
        assert!(!list.contains(&format!("value=\"{unit}\"")), "{unit} offered: {list}");
    }
    s.finish().await;
}

#[tokio::test]
async fn art40_a_resent_case_with_its_idempotency_key_opens_one_case_one_letter_one_event() {
    let s = server().await;
    let number = register(&s, 1, 0).await;
    let token = s.token("sz_supervisor").await;
    let send = |key: &'static str, reason: &'static str| {
        let (c, base, token, number) = (s.client.clone(), s.base.clone(), token.clone(), number.clone());
        async move {
            let r = c
                .post(format!("{base}/api/v1/supervision/cases"))
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&json!({"kind": "manual", "petition": number, "reason": reason}))
                .send()
                .await
                .unwrap();
            let replayed = r.headers().get("idempotent-replayed").is_some();
            (r.status(), replayed, r.json::<Value>().await.unwrap())
        }
    };
    let (status, replayed, first) = send("0123456789abcdef-sup-1", "同一表单重发").await;
    assert_eq!((status, replayed), (StatusCode::CREATED, false), "{first}");
    let (status, replayed, again) = send("0123456789abcdef-sup-1", "同一表单重发").await;
    assert_eq!((status, replayed), (StatusCode::CREATED, true), "{again}");
    assert_eq!(again["id"], first["id"], "the same case");
    assert_eq!(again["letters"], first["letters"]);
    // Another body under the key is refused; nothing is opened.
    let (status, _, e) = send("0123456789abcdef-sup-1", "另一事由").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["code"], "idempotency_key_reused");
    let p = s.detail("sz_supervisor", &number).await;
    assert_eq!(events(&p, "supervise").len(), 1, "{}", p["history"]);
    let pid = s.store.petition_by_number(&number).await.unwrap().unwrap().id;
    assert_eq!(s.store.supervision_cases_of(pid).await.unwrap().len(), 1);
    assert_eq!(s.store.documents_of(pid).await.unwrap().iter().filter(|d| d.kind == "supervision_letter").count(), 1);
    // A new key is a new case.
    let (status, _, other) = send("0123456789abcdef-sup-2", "同一表单重发").await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    assert_ne!(other["id"], first["id"]);
    s.finish().await;
}

#[tokio::test]
async fn art39_art40_case_inputs_are_bounded() {
    let s = server().await;
    let srv = &s;
    let post = |body: Value| async move { srv.post_as("ft_supervisor", "/api/v1/supervision/cases", body).await };
    // 限期整改 by a date after today and at most a year on.
    for (by, code) in [("9999-12-31", "rectify_by_too_far"), (&*(today() + chrono::Duration::days(400)).to_string(), "rectify_by_too_far")]
    {
        let (status, e) = post(json!({"kind": "rectification", "unit": "440304-RST", "reason": "积案过多", "rectify_by": by})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{by}: {e}");
        assert_eq!(e["error"]["code"], code, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "rectify_by", "{e}");
    }
    let (status, e) = post(json!({"kind": "listed", "unit": "440304-RST", "reason": "挂牌", "rectify_by": "9999-12-31"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a listed case's date too: {e}");
    // Unknown fields are refused, as for a petition.
    let (status, e) = post(json!({"kind": "listed", "unit": "440304-RST", "reason": "挂牌", "extra": 1})).await;
    assert!(status.is_client_error(), "{e}");
    assert!(e["error"]["code"].is_string(), "{e}");
    // Texts keep the acts' limit.
    let long = "长".repeat(4001);
    let (status, e) = post(json!({"kind": "circular", "unit": "440304-RST", "reason": long})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["fields"][0]["field"], "reason", "{e}");
    let by = (today() + chrono::Duration::days(30)).to_string();
    let (status, case) = post(json!({"kind": "rectification", "unit": "440304-RST", "reason": "积案过多", "rectify_by": by})).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let reply = format!("/api/v1/supervision/cases/{}/reply", case["id"]);
    let (status, e) = s.post_as("ft_rst_head", &reply, json!({"reply": long})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["fields"][0]["field"], "reply", "{e}");
    let (status, e) = s.post_as("ft_rst_head", &reply, json!({"reply": "已整改", "extra": 1})).await;
    assert!(status.is_client_error(), "{e}");
    let (status, e) = s.post_as("ft_rst_head", &reply, json!({"reply": "长".repeat(4000)})).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    s.finish().await;
}
