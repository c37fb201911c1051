//! Issue 14, item 4: leaders and lawyers on duty, 下访, spot checks of duty.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::Datelike;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const BUREAU: &str = "440304-XFJ";

/// The latest Monday up to today.
fn last_monday() -> chrono::NaiveDate {
    let t = today();
    t - chrono::Duration::days(i64::from(t.weekday().num_days_from_monday()))
}

fn visit(name: &str, id_number: &str, on: &str, request: &str) -> Value {
    let mut v = online_claim(name, id_number);
    v["channel"] = json!("visit");
    v["received_on"] = json!(on);
    v["request"] = json!(request);
    v
}

/// A duty day gone by, written as the roster had it (the API plans only
/// from today on): `{"id"}` as the API answers.
async fn past_duty(s: &TestServer, day: &str, kind: &str, person: i64) -> Value {
    let units = s.store.load_units().await.unwrap();
    let unit = units.iter().find(|u| u.code == BUREAU).unwrap().id;
    let id = s.store.add_duty(unit, day, kind, person, "", user_id(s, "ft_clerk").await).await.unwrap().unwrap();
    json!({"id": id})
}

async fn user_id(s: &TestServer, username: &str) -> i64 {
    s.store.user_by_username(username).await.unwrap().unwrap().id
}

fn lawyer_events(detail: &Value) -> Vec<Value> {
    detail["history"].as_array().unwrap().iter().filter(|e| e["action"] == "duty_lawyer").cloned().collect()
}

#[tokio::test]
async fn a_lawyer_on_the_duty_roster_is_recorded_on_the_visits_of_that_monday() {
    let s = TestServer::start().await;
    let clerk = s.token("ft_clerk").await;
    let (status, lawyer) = s
        .post(
            "/api/v1/duty-roster/lawyers",
            Some(&clerk),
            json!({"name": "刘明", "firm": "广东福田公职律师事务所", "licence_number": "14403201810123456", "phone": "13612345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{lawyer}");
    assert_eq!(lawyer["phone"], "136****5678");
    let monday = last_monday();
    past_duty(&s, &monday.to_string(), "lawyer", lawyer["id"].as_i64().unwrap()).await;
    // Planning ahead: the same lawyer twice on a day is refused.
    let ahead = days_ahead(2);
    let (status, duty) = s.post("/api/v1/duty-roster/days", Some(&clerk), json!({"day": ahead, "lawyer": lawyer["id"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{duty}");
    let (status, _) = s.post("/api/v1/duty-roster/days", Some(&clerk), json!({"day": ahead, "lawyer": lawyer["id"]})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Two visits that Monday, one the day before, one letter that Monday.
    let mut on_monday = Vec::new();
    for (name, id, req) in
        [("甲一", "440304199001011233", "请求支付拖欠工资一万元"), ("乙二", "110101199003074514", "请求退还多收的物业费")]
    {
        let (status, r) = s.post("/api/v1/petitions", Some(&clerk), visit(name, id, &monday.to_string(), req)).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        on_monday.push(r["number"].as_str().unwrap().to_string());
    }
    let sunday = (monday - chrono::Duration::days(1)).to_string();
    let (_, other_day) = s.post("/api/v1/petitions", Some(&clerk), visit("丙三", "11010519491231002X", &sunday, "请求修缮小区道路")).await;
    let mut letter = visit("丁四", "440304199001011233", &monday.to_string(), "请求查处噪音扰民");
    letter["channel"] = json!("letter");
    let (_, by_letter) = s.post("/api/v1/petitions", Some(&clerk), letter).await;

    for n in &on_monday {
        let d = s.detail("ft_clerk", n).await;
        let ev = lawyer_events(&d);
        assert_eq!(ev.len(), 1, "{n}: {}", d["history"]);
        assert_eq!(ev[0]["payload"]["lawyer"], "刘明");
        assert_eq!(ev[0]["payload"]["firm"], "广东福田公职律师事务所");
    }
    for n in [&other_day["number"], &by_letter["number"]] {
        let d = s.detail("ft_clerk", n.as_str().unwrap()).await;
        assert!(lawyer_events(&d).is_empty(), "{n}");
    }
    // The advice given, recorded on the petition and the lawyer's record.
    let advise = async |number: &Value, advice: &str| {
        s.post(&format!("/api/v1/duty-roster/lawyers/{}/visits", lawyer["id"]), Some(&clerk), json!({"number": number, "advice": advice}))
            .await
    };
    let (status, e) = advise(&json!(on_monday[0]), "建议先向劳动监察大队投诉，必要时申请劳动仲裁").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let d = s.detail("ft_clerk", &on_monday[0]).await;
    assert_eq!(lawyer_events(&d).last().unwrap()["reason"], "建议先向劳动监察大队投诉，必要时申请劳动仲裁");
    // pass1 #8: not on the visit of a day the lawyer was not on duty.
    let (status, e) = advise(&other_day["number"], "x").await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("lawyer_not_on_duty")), "{e}");
    assert!(lawyer_events(&s.detail("ft_clerk", other_day["number"].as_str().unwrap()).await).is_empty());
    // Nor on a letter received the day the lawyer was on duty: no visit,
    // no lawyer at it.
    let (status, e) = advise(&by_letter["number"], "x").await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_visit_here")), "{e}");
    assert!(lawyer_events(&s.detail("ft_clerk", by_letter["number"].as_str().unwrap()).await).is_empty());
    let (_, rec) = s.get(&format!("/api/v1/duty-roster/lawyers/{}", lawyer["id"]), Some(&clerk)).await;
    let numbers: Vec<&str> = rec["visits"].as_array().unwrap().iter().map(|v| v["number"].as_str().unwrap()).collect();
    let mut expected: Vec<&str> = on_monday.iter().map(String::as_str).collect();
    expected.sort();
    let mut got = numbers.clone();
    got.sort();
    assert_eq!(got, expected);
    let advised = rec["visits"].as_array().unwrap().iter().find(|v| v["number"] == on_monday[0].as_str()).unwrap();
    assert_eq!(advised["advice"], "建议先向劳动监察大队投诉，必要时申请劳动仲裁");
    // The lawyer's phone is encrypted at rest; another district sees no lawyer.
    let (status, _) = s.get(&format!("/api/v1/duty-roster/lawyers/{}", lawyer["id"]), Some(&s.token("ns_clerk").await)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, roster) = s.get(&format!("/api/v1/duty-roster?from={monday}&to={monday}"), Some(&clerk)).await;
    assert_eq!(roster["duties"][0]["kind"], "lawyer");
    assert!(!roster.to_string().contains("13612345678"));
    s.finish().await;
}

#[tokio::test]
async fn a_leaders_duty_day_that_did_not_happen_shows_in_the_spot_check_list() {
    let s = TestServer::start().await;
    let clerk = s.token("ft_clerk").await;
    let (d1, d2) = (days_ago(2), days_ago(1));
    // A leader of the unit or of a unit above it; not of a department beside it.
    let missed = past_duty(&s, &d1, "leader", user_id(&s, "ft_head").await).await;
    let held = past_duty(&s, &d2, "leader", user_id(&s, "sz_head").await).await;
    let (status, e) = s.post("/api/v1/duty-roster/days", Some(&clerk), json!({"day": days_ahead(1), "leader": "ft_rst_head"})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_leader")));
    let (status, _) = s.post("/api/v1/duty-roster/days", Some(&clerk), json!({"day": days_ahead(1), "leader": "ft_clerk"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, future) = s.post("/api/v1/duty-roster/days", Some(&clerk), json!({"day": days_ahead(3), "leader": "ft_head"})).await;
    assert_eq!(status, StatusCode::CREATED);
    // pass1 #12: a roster plans from today to a year on.
    for day in [days_ago(1), "2030-12-07".to_string(), days_ahead(366)] {
        let (status, e) = s.post("/api/v1/duty-roster/days", Some(&clerk), json!({"day": day, "leader": "ft_head"})).await;
        assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_day")), "{day}: {e}");
    }
    // A future day entered by mistake comes off; a day gone by, or another unit's, does not.
    let (_, slip) = s.post("/api/v1/duty-roster/days", Some(&clerk), json!({"day": days_ahead(5), "leader": "ft_head"})).await;
    let remove =
        |id: &Value, token: &str| s.client.delete(format!("{}/api/v1/duty-roster/days/{id}", s.base)).bearer_auth(token.to_string()).send();
    assert_eq!(remove(&slip["id"], &s.token("ns_clerk").await).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(remove(&slip["id"], &clerk).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(remove(&slip["id"], &clerk).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(remove(&missed["id"], &clerk).await.unwrap().status(), StatusCode::CONFLICT);
    let (_, roster) = s.get(&format!("/api/v1/duty-roster?from={}&to={}", days_ahead(5), days_ahead(5)), Some(&clerk)).await;
    assert_eq!(roster["duties"], json!([]), "{roster}");
    // What was planned is kept, with who took it off; another unit's
    // roster does not show it.
    let removed = roster["removed"].as_array().unwrap();
    assert_eq!(removed.len(), 1, "{roster}");
    assert_eq!(
        (removed[0]["day"].as_str(), removed[0]["kind"].as_str(), removed[0]["name"].as_str()),
        (Some(days_ahead(5).as_str()), Some("leader"), Some("福田区信访局负责人"))
    );
    assert!(
        !removed[0]["removed_by"].as_str().unwrap().is_empty() && removed[0]["removed_at"].as_str().unwrap().ends_with('Z'),
        "{roster}"
    );
    let (_, other) =
        s.get(&format!("/api/v1/duty-roster?from={}&to={}", days_ahead(5), days_ahead(5)), Some(&s.token("ns_clerk").await)).await;
    assert_eq!(other["removed"], json!([]), "{other}");

    // The spot checks.
    let sup = s.token("ft_supervisor").await;
    let (status, _) =
        s.post(&format!("/api/v1/duty-roster/days/{}/check", missed["id"]), Some(&clerk), json!({"held": false, "note": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a clerk does not spot-check");
    let (status, e) = s.post(&format!("/api/v1/duty-roster/days/{}/check", missed["id"]), Some(&sup), json!({"held": false})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a missed duty needs a note: {e}");
    let (status, e) = s
        .post(
            &format!("/api/v1/duty-roster/days/{}/check", missed["id"]),
            Some(&sup),
            json!({"held": false, "note": "视频抽查：值班领导未到岗"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, _) = s.post(&format!("/api/v1/duty-roster/days/{}/check", missed["id"]), Some(&sup), json!({"held": true})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = s.post(&format!("/api/v1/duty-roster/days/{}/check", held["id"]), Some(&sup), json!({"held": true})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.post(&format!("/api/v1/duty-roster/days/{}/check", future["id"]), Some(&sup), json!({"held": true})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Listed for the district's and the city's supervisors; not elsewhere.
    for user in ["ft_supervisor", "sz_supervisor"] {
        let (status, list) = s.get("/api/v1/duty-roster/missed", Some(&s.token(user).await)).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 1, "{user}: {list:?}");
        assert_eq!(list[0]["id"], missed["id"]);
        assert_eq!(list[0]["day"], d1);
        assert_eq!(list[0]["name"], "福田区信访局负责人");
        assert_eq!(list[0]["check"]["held"], false);
        assert_eq!(list[0]["check"]["note"], "视频抽查：值班领导未到岗");
    }
    let (_, list) = s.get("/api/v1/duty-roster/missed", Some(&s.token("ns_rst_head").await)).await;
    assert_eq!(list, json!([]));
    // Counted in the supervisor's dashboard, within its period.
    for user in ["ft_supervisor", "sz_supervisor"] {
        let (status, dash) = s.get("/api/v1/dashboard", Some(&s.token(user).await)).await;
        assert_eq!(status, StatusCode::OK, "{dash}");
        assert_eq!(dash["missed_duty_days"], 1, "{user}");
    }
    let (_, dash) = s.get(&format!("/api/v1/dashboard?from={d2}&to={d2}"), Some(&sup)).await;
    assert_eq!(dash["missed_duty_days"], 0);

    // A unit's own "held" does not shut out its superior: the city's check
    // replaces it; the unit cannot undo the city's.
    let own = past_duty(&s, &days_ago(4), "leader", user_id(&s, "ft_head").await).await;
    let check = format!("/api/v1/duty-roster/days/{}/check", own["id"]);
    assert_eq!(s.post(&check, Some(&sup), json!({"held": true})).await.0, StatusCode::NO_CONTENT);
    let city = s.token("sz_supervisor").await;
    let (status, e) = s.post(&check, Some(&city), json!({"held": false, "note": "市局视频抽查：未到岗"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    assert_eq!(s.post(&check, Some(&sup), json!({"held": true})).await.0, StatusCode::CONFLICT);
    assert_eq!(s.post(&check, Some(&city), json!({"held": true})).await.0, StatusCode::CONFLICT);
    let (_, list) = s.get("/api/v1/duty-roster/missed", Some(&city)).await;
    let row = list.as_array().unwrap().iter().find(|d| d["id"] == own["id"]).cloned().unwrap();
    assert_eq!(row["check"]["held"], false);
    assert_eq!(row["check"]["note"], "市局视频抽查：未到岗");
    s.finish().await;
}

#[tokio::test]
async fn a_leaders_reception_day_lists_the_booked_visits_and_outreach_is_planned_and_reported() {
    let s = TestServer::start().await;
    let clerk = s.token("ft_clerk").await;
    let (_, cal) = s
        .put(
            &format!("/api/v1/appointments/calendar/{BUREAU}"),
            Some(&clerk),
            json!({"slots": [{"starts": "09:00", "ends": "11:00", "capacity": 5}]}),
        )
        .await;
    let day =
        cal["days"].as_array().unwrap().iter().map(|d| d["day"].as_str().unwrap().to_string()).find(|d| *d > today().to_string()).unwrap();
    let (status, b) = s
        .post(
            "/api/v1/appointments",
            None,
            json!({"unit": BUREAU, "day": day, "starts": "09:00", "name": "钱多多", "id_number": "440304199001011233", "phone": "13800138000", "summary": "小区违建长期无人处理"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (status, _) =
        s.post("/api/v1/duty-roster/days", Some(&clerk), json!({"day": day, "leader": "sz_head", "note": "市领导下沉接访"})).await;
    assert_eq!(status, StatusCode::CREATED);
    // The city's leader on duty there sees the day's bookings, masked.
    let (status, rd) = s.get(&format!("/api/v1/duty-roster/reception-day?unit={BUREAU}&day={day}"), Some(&s.token("sz_head").await)).await;
    assert_eq!(status, StatusCode::OK, "{rd}");
    assert_eq!(rd["duties"][0]["name"], "市信访局负责人");
    assert_eq!(rd["bookings"][0]["booking_number"], b["booking_number"]);
    assert_eq!(rd["bookings"][0]["name"], "钱**");
    assert!(!rd.to_string().contains("13800138000"));
    let (status, _) =
        s.get(&format!("/api/v1/duty-roster/reception-day?unit={BUREAU}&day={day}"), Some(&s.token("ns_rst_head").await)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Without a unit: where the leader is on duty that day; listed as the leader's own days.
    let (_, rd) = s.get(&format!("/api/v1/duty-roster/reception-day?day={day}"), Some(&s.token("sz_head").await)).await;
    assert_eq!(rd["unit"], BUREAU);
    assert_eq!(rd["bookings"].as_array().unwrap().len(), 1);
    let (_, own) = s.get(&format!("/api/v1/duty-roster?from={day}&to={day}"), Some(&s.token("sz_head").await)).await;
    assert_eq!(own["my_duties"][0]["unit"], BUREAU, "{own}");

    // 下访: planned with place and purpose, then its result.
    let (status, o) = s
        .post(
            "/api/v1/duty-roster/outreach",
            Some(&clerk),
            json!({"leader": "ft_head", "day": day, "place": "华强北街道办事处", "purpose": "约访拖欠工资群体"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    let (status, _) = s
        .post(&format!("/api/v1/duty-roster/outreach/{}/result", o["id"]), Some(&clerk), json!({"result": "当场协调企业支付首期工资"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) =
        s.post(&format!("/api/v1/duty-roster/outreach/{}/result", o["id"]), Some(&clerk), json!({"result": "再记一次"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, roster) = s.get(&format!("/api/v1/duty-roster?from={day}&to={day}"), Some(&clerk)).await;
    assert_eq!(roster["outreach"][0]["place"], "华强北街道办事处");
    assert_eq!(roster["outreach"][0]["result"], "当场协调企业支付首期工资");
    assert_eq!(roster["duties"][0]["note"], "市领导下沉接访");
    s.finish().await;
}

#[tokio::test]
async fn the_duty_roster_page_keeps_the_roster_and_records_the_spot_checks() {
    let s = TestServer::start().await;
    let (c, csrf) = browser(&s, "ft_clerk").await;
    let post = |path: &str, form: Vec<(&str, String)>| {
        let mut form = form;
        form.push(("csrf", csrf.clone()));
        c.post(format!("{}{path}", s.base)).form(&form).send()
    };
    let r = post(
        "/staff/duty/lawyers",
        vec![
            ("name", "张律".into()),
            ("firm", "福田公职律师事务所".into()),
            ("licence_number", "14403201810123457".into()),
            ("phone", "13611112222".into()),
        ],
    )
    .await
    .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("已保存") && page.contains("福田公职律师事务所") && page.contains("136****2222"), "{page}");
    let ahead = days_ahead(1);
    let page = post("/staff/duty/days", vec![("day", ahead.clone()), ("leader", "ft_head".into()), ("note", "".into())])
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("福田区信访局负责人") && page.contains(&ahead));
    // The leader is picked from the unit's and its superiors' leaders, not
    // typed as a login name; a department's head is not offered.
    assert!(page.contains(r#"<option value="ft_head">"#) && !page.contains(r#"<option value="ft_rst_head">"#), "{page}");
    assert!(!page.contains("（用户名）"), "{page}");
    // A wrong leader: the message on the page, nothing saved.
    let r = post("/staff/duty/days", vec![("day", ahead.clone()), ("leader", "ft_rst_head".into())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("值班领导应为本单位或上级单位的领导"));
    // The future day comes off the roster from its row.
    let (_, roster) = s.get(&format!("/api/v1/duty-roster?from={ahead}&to={ahead}"), Some(&s.token("ft_clerk").await)).await;
    let id = roster["duties"][0]["id"].as_i64().unwrap();
    assert!(page.contains(&format!("/staff/duty/days/{id}/remove")), "{page}");
    let r = post(&format!("/staff/duty/days/{id}/remove"), vec![]).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, roster) = s.get(&format!("/api/v1/duty-roster?from={ahead}&to={ahead}"), Some(&s.token("ft_clerk").await)).await;
    assert_eq!(roster["duties"], json!([]));
    let page = c.get(format!("{}/staff/duty", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已删除的值班安排（1）") && page.contains(&ahead.to_string()), "{page}");
    // A day gone by, as the roster had it.
    let day = days_ago(1);
    past_duty(&s, &day, "leader", user_id(&s, "ft_head").await).await;
    // The reception day.
    let page = c.get(format!("{}/staff/duty/day?day={day}&unit={BUREAU}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("值班领导：福田区信访局负责人"), "{page}");
    // The supervisor records the spot check on the page; the missed list shows it.
    let (sc, scsrf) = browser(&s, "ft_supervisor").await;
    let (_, roster) = s.get(&format!("/api/v1/duty-roster?from={day}&to={day}"), Some(&s.token("ft_clerk").await)).await;
    let id = roster["duties"][0]["id"].as_i64().unwrap();
    let page = sc
        .post(format!("{}/staff/duty/days/{id}/check", s.base))
        .form(&[("csrf", scsrf.as_str()), ("held", "0"), ("note", "电话抽查无人接听")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("抽查发现未到岗的值班") && page.contains("电话抽查无人接听"), "{page}");
    s.finish().await;
}

#[tokio::test]
async fn the_leader_on_duty_does_not_spot_check_his_own_day() {
    let s = TestServer::start().await;
    let clerk = s.token("ft_clerk").await;
    let duty = past_duty(&s, &days_ago(2), "leader", user_id(&s, "ft_head").await).await;
    let check = format!("/api/v1/duty-roster/days/{}/check", duty["id"]);
    let (status, e) = s.post(&check, Some(&s.token("ft_head").await), json!({"held": true, "note": "本人已到岗"})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_duty")), "{e}");
    // Nothing recorded: another manager of the unit still checks it.
    let (_, roster) = s.get(&format!("/api/v1/duty-roster?from={0}&to={0}", days_ago(2)), Some(&clerk)).await;
    assert!(roster["duties"][0]["check"].is_null(), "{roster}");
    let (status, e) = s.post(&check, Some(&s.token("ft_supervisor").await), json!({"held": true})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    s.finish().await;
}
