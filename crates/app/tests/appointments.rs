//! Issue 14, item 3: visits by appointment and the reception hall.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const BUREAU: &str = "440304-XFJ";

fn id_number(seq: u32) -> String {
    id_number_born("19900101", seq)
}

async fn server() -> TestServer {
    TestServer::start_configured(|c| {
        c.settings.submit_per_minute = 10_000;
        c.settings.submit_per_day = 1_000_000;
        c.settings.track_per_minute = 10_000;
    })
    .await
}

/// Set `unit`'s slots as `user`; the calendar's open days.
async fn open_slots(s: &TestServer, user: &str, unit: &str, slots: Value) -> Vec<String> {
    let (status, cal) =
        s.put(&format!("/api/v1/appointments/calendar/{unit}"), Some(&s.token(user).await), json!({ "slots": slots })).await;
    assert_eq!(status, StatusCode::OK, "{cal}");
    // Days after today: today's slots close as they end.
    let days: Vec<String> = cal["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["day"].as_str().unwrap().to_string())
        .filter(|d| *d > today().to_string())
        .collect();
    assert!(!days.is_empty(), "working days open for booking: {cal}");
    days
}

fn booking(unit: &str, day: &str, starts: &str, name: &str, seq: u32) -> Value {
    json!({
        "unit": unit, "day": day, "starts": starts, "name": name, "id_number": id_number(seq),
        "phone": format!("139{:08}", seq), "topic": "0202", "summary": "公司拖欠三个月工资，多次讨要无果，请求协调解决"
    })
}

fn available(cal: &Value, day: &str, starts: &str) -> i64 {
    cal["days"].as_array().unwrap().iter().find(|d| d["day"] == day).unwrap()["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["starts"] == starts)
        .unwrap()["available"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_booked_slot_is_full_for_the_next_person_and_a_cancellation_frees_it() {
    let s = server().await;
    let days = open_slots(
        &s,
        "ft_clerk",
        BUREAU,
        json!([{"starts": "09:00", "ends": "10:00", "capacity": 1}, {"starts": "10:00", "ends": "11:00", "capacity": 2}]),
    )
    .await;
    let day = &days[0];
    let (status, first) = s.post("/api/v1/appointments", None, booking(BUREAU, day, "09:00", "陈一", 1)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(first["booking_number"].as_str().unwrap().starts_with("YY440304"));
    assert_eq!(first["booking_code"].as_str().unwrap().len(), 8);
    assert!(first["warning"].is_null());
    let (_, cal) = s.get(&format!("/api/v1/appointments/calendar/{BUREAU}"), None).await;
    assert_eq!(available(&cal, day, "09:00"), 0);
    assert_eq!(available(&cal, day, "10:00"), 2);

    // The next person finds it full.
    let (status, full) = s.post("/api/v1/appointments", None, booking(BUREAU, day, "09:00", "陈二", 2)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{full}");
    assert_eq!(full["error"]["code"], "slot_full");
    assert!(full["error"]["message"].as_str().unwrap().contains("已约满"));

    // The wrong code cancels nothing.
    let number = first["booking_number"].as_str().unwrap();
    let (status, _) = s.post(&format!("/api/v1/appointments/{number}/cancel"), None, json!({"code": "ABCDEFGH"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, cancelled) = s.post(&format!("/api/v1/appointments/{number}/cancel"), None, json!({"code": first["booking_code"]})).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let (status, again) = s.post(&format!("/api/v1/appointments/{number}/cancel"), None, json!({"code": first["booking_code"]})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (_, cal) = s.get(&format!("/api/v1/appointments/calendar/{BUREAU}"), None).await;
    assert_eq!(available(&cal, day, "09:00"), 1);
    let (status, second) = s.post("/api/v1/appointments", None, booking(BUREAU, day, "09:00", "陈二", 2)).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    // One open booking per person and unit: no hoarding of places.
    let (status, e) = s.post("/api/v1/appointments", None, booking(BUREAU, day, "10:00", "陈二", 2)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_booked")), "{e}");
    assert!(!e["error"]["message"].as_str().unwrap().contains(day), "the day is not told: {e}");
    // Nor by changing the phone (pass2 #6): the identity number alone counts.
    for phone in ["13700001111", "13900000000"] {
        let mut again = booking(BUREAU, day, "10:00", "陈二", 2);
        again["phone"] = json!(phone);
        let (status, e) = s.post("/api/v1/appointments", None, again).await;
        assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_booked")), "{phone}: {e}");
    }

    // Days outside the calendar, a bad identity number, an unknown slot.
    let (status, e) = s.post("/api/v1/appointments", None, booking(BUREAU, &days_ago(1), "09:00", "陈三", 3)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_day")));
    let mut bad = booking(BUREAU, day, "09:00", "陈三", 3);
    bad["id_number"] = json!("440304199001011234");
    let (status, e) = s.post("/api/v1/appointments", None, bad).await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("id_number")));
    let (status, _) = s.post("/api/v1/appointments", None, booking(BUREAU, day, "08:00", "陈三", 3)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    s.finish().await;
}

#[tokio::test]
async fn concurrent_bookings_never_overbook_a_slot() {
    let s = server().await;
    let days = open_slots(&s, "ft_clerk", BUREAU, json!([{"starts": "14:00", "ends": "15:00", "capacity": 3}])).await;
    let day = days[0].clone();
    let s = std::sync::Arc::new(s);
    let mut tasks = Vec::new();
    for i in 0..12u32 {
        let s = s.clone();
        let day = day.clone();
        tasks.push(tokio::spawn(
            async move { s.post("/api/v1/appointments", None, booking(BUREAU, &day, "14:00", "并发", 100 + i)).await.0 },
        ));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 3);
    let rows = raw_rows(&s, "SELECT COUNT(*) AS n FROM appointments WHERE status = 'booked'").await;
    use sqlx::Row;
    assert_eq!(rows[0].try_get::<i64, _>("n").unwrap(), 3);
    let rows = raw_rows(&s, "SELECT booked FROM reception_load").await;
    assert_eq!(rows[0].try_get::<i64, _>("booked").unwrap(), 3);
    if let Ok(s) = std::sync::Arc::try_unwrap(s) {
        s.finish().await;
    }
}

/// Book, then let the day come (the booking is moved to today in the
/// database): the booking and its code.
async fn booked_for_today(s: &TestServer, name: &str, seq: u32) -> Value {
    let days = open_slots(s, "ft_clerk", BUREAU, json!([{"starts": "09:00", "ends": "12:00", "capacity": 20}])).await;
    let (status, b) = s.post("/api/v1/appointments", None, booking(BUREAU, &days[0], "09:00", name, seq)).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    raw_execute(
        s,
        &format!("UPDATE appointments SET day = '{}' WHERE booking_number = '{}'", today(), b["booking_number"].as_str().unwrap()),
    )
    .await;
    b
}

#[tokio::test]
async fn check_in_by_code_gives_a_queue_number_and_the_visit_is_registered_with_the_details_filled() {
    let s = server().await;
    let b = booked_for_today(&s, "林小梅", 7).await;
    let clerk = s.token("ft_clerk").await;

    // A walk-in first, then the appointment: numbers follow per unit and day.
    let (status, walk) =
        s.post("/api/v1/appointments/hall/check-in", Some(&clerk), json!({"walk_in": {"name": "王五", "summary": "咨询社保转移"}})).await;
    assert_eq!(status, StatusCode::CREATED, "{walk}");
    assert_eq!(walk["queue_number"], 1);
    let (status, t) = s.post("/api/v1/appointments/hall/check-in", Some(&clerk), json!({"booking_code": b["booking_code"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(t["queue_number"], 2);
    assert_eq!(t["queue_label"], "A002");
    assert_eq!(t["booking_number"], b["booking_number"]);
    assert_eq!(t["name"], "林**");
    // A second check-in with the same code is refused.
    let (status, _) = s.post("/api/v1/appointments/hall/check-in", Some(&clerk), json!({"booking_code": b["booking_code"]})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The booking says so to the citizen.
    let (_, shown) = s
        .get(&format!("/api/v1/appointments/{}?code={}", b["booking_number"].as_str().unwrap(), b["booking_code"].as_str().unwrap()), None)
        .await;
    assert_eq!(shown["status"], "checked_in");

    // The waiting screen: numbers only.
    let (_, screen) = s.get(&format!("/api/v1/appointments/hall/screen/{BUREAU}"), None).await;
    assert_eq!(screen["waiting"], json!(["A001", "A002"]));
    let text = screen.to_string();
    for private in ["林", "王五", &id_number(7), "139000000"] {
        assert!(!text.contains(private), "{private} on the screen: {text}");
    }
    let html = s.client.get(format!("{}/hall/{BUREAU}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("A002") && !html.contains("林小梅") && !html.contains("王五"));

    // Call the appointment's number: the waiting time is measured.
    let (status, called) = s.post("/api/v1/appointments/hall/call", Some(&clerk), json!({"ticket": t["id"]})).await;
    assert_eq!(status, StatusCode::OK, "{called}");
    assert_eq!(called["status"], "called");
    assert!(called["waited_minutes"].as_i64().unwrap() >= 0);
    // pass2 #10: calling it again is a conflict, not a missing number.
    let (status, e) = s.post("/api/v1/appointments/hall/call", Some(&clerk), json!({"ticket": t["id"]})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("ticket_not_waiting")), "{e}");
    let (_, hall) = s.get("/api/v1/appointments/hall", Some(&clerk)).await;
    assert_eq!(hall["waiting"], 1);
    assert!(hall["average_wait_minutes"].as_f64().is_some(), "{hall}");
    let (_, screen) = s.get(&format!("/api/v1/appointments/hall/screen/{BUREAU}"), None).await;
    assert_eq!(screen["called"], json!(["A002"]));

    // 转为来访登记: the registration form comes filled with what the citizen gave.
    let (c, _) = browser(&s, "ft_clerk").await;
    let form = c.get(format!("{}/staff/register?ticket={}", s.base, t["id"])).send().await.unwrap().text().await.unwrap();
    for v in ["林小梅", &id_number(7), "13900000007", "公司拖欠三个月工资", &format!("name=\"ticket\" value=\"{}\"", t["id"])] {
        assert!(form.contains(v), "{v} not filled in");
    }
    assert!(form.contains("value=\"visit\" selected") || form.contains("value=\"visit\" checked"), "channel visit chosen");
    let (_, detail) = s.get(&format!("/api/v1/appointments/hall/tickets/{}", t["id"]), Some(&clerk)).await;
    assert_eq!(detail["id_number"], id_number(7));
    let mut input = online_claim(detail["name"].as_str().unwrap(), detail["id_number"].as_str().unwrap());
    input["petitioners"][0]["phone"] = detail["phone"].clone();
    input.as_object_mut().unwrap().remove("channel");
    let (status, reg) = s.post(&format!("/api/v1/appointments/hall/tickets/{}/register", t["id"]), Some(&clerk), input.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{reg}");
    let number = reg["number"].as_str().unwrap();
    let d = s.detail("ft_clerk", number).await;
    assert_eq!(d["channel"], "visit", "{d}");
    let (_, hall) = s.get("/api/v1/appointments/hall", Some(&clerk)).await;
    let linked = hall["tickets"].as_array().unwrap().iter().find(|x| x["id"] == t["id"]).unwrap();
    assert_eq!(linked["petition_number"], number);
    assert_eq!(linked["status"], "registered");
    // Once only.
    let (status, _) = s.post(&format!("/api/v1/appointments/hall/tickets/{}/register", t["id"]), Some(&clerk), input).await;
    assert_eq!(status, StatusCode::CONFLICT);
    s.finish().await;
}

#[tokio::test]
async fn the_registration_page_links_the_petition_to_the_check_in() {
    let s = server().await;
    let b = booked_for_today(&s, "郑大", 21).await;
    let clerk = s.token("ft_clerk").await;
    let (_, t) = s.post("/api/v1/appointments/hall/check-in", Some(&clerk), json!({"booking_code": b["booking_code"]})).await;
    let (c, _) = browser(&s, "ft_clerk").await;
    let page = c.get(format!("{}/staff/register?ticket={}", s.base, t["id"])).send().await.unwrap().text().await.unwrap();
    let grab = |name: &str| page.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_string();
    let form = reqwest::multipart::Form::new()
        .text("csrf", grab("csrf"))
        .text("form_token", grab("form_token"))
        .text("ticket", t["id"].to_string())
        .text("channel", "visit")
        .text("received_on", today().to_string())
        .text("category", "claim")
        .text("jurisdiction", "440304")
        .text("name", "郑大")
        .text("id_number", id_number(21))
        .text("phone", "13900000021")
        .text("title", "来访反映拖欠工资")
        .text("request", "请求督促公司支付工资")
        .text("facts_and_reasons", "公司拖欠三个月工资，多次讨要无果");
    let r = c.post(format!("{}/staff/register", s.base)).multipart(form).send().await.unwrap();
    let url = r.url().to_string();
    assert!(url.contains("/staff/p/"), "{url}: {}", r.text().await.unwrap());
    let (_, hall) = s.get("/api/v1/appointments/hall", Some(&clerk)).await;
    let linked = hall["tickets"].as_array().unwrap().iter().find(|x| x["id"] == t["id"]).unwrap();
    assert!(url.contains(linked["petition_number"].as_str().unwrap()), "{hall}");
    // Once only: the form is not offered again.
    let r = c.get(format!("{}/staff/register?ticket={}", s.base, t["id"])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("已转为来访登记"));
    s.finish().await;
}

#[tokio::test]
async fn personal_data_is_encrypted_at_rest_and_masked_in_lists_and_other_units_see_no_hall() {
    let s = server().await;
    let b = booked_for_today(&s, "周杰", 33).await;
    let clerk = s.token("ft_clerk").await;
    let (_, t) = s.post("/api/v1/appointments/hall/check-in", Some(&clerk), json!({"booking_code": b["booking_code"]})).await;
    let (_, w) = s
        .post(
            "/api/v1/appointments/hall/check-in",
            Some(&clerk),
            json!({"walk_in": {"name": "吴六", "id_number": id_number(44), "phone": "13700000044", "summary": "反映噪音扰民"}}),
        )
        .await;
    use sqlx::Row;
    let rows = raw_rows(&s, "SELECT id_number, phone, id_hash, phone_hash, code_hash FROM appointments").await;
    let row = &rows[0];
    for col in ["id_number", "phone", "id_hash", "phone_hash", "code_hash"] {
        let v: String = row.try_get(col).unwrap();
        assert!(
            !v.contains(&id_number(33)) && !v.contains("13900000033") && !v.contains(b["booking_code"].as_str().unwrap()),
            "{col}: {v}"
        );
    }
    let ks = s.keyring();
    assert_eq!(ks.decrypt(&row.try_get::<String, _>("id_number").unwrap()).unwrap(), id_number(33));
    for r in raw_rows(&s, "SELECT id_number, phone FROM hall_tickets").await {
        let (i, p): (String, String) = (r.try_get("id_number").unwrap(), r.try_get("phone").unwrap());
        assert!(!i.contains("440304") && !p.starts_with("13"), "{i} {p}");
    }
    // Lists mask.
    let (_, list) = s.get(&format!("/api/v1/appointments?day={}", today()), Some(&clerk)).await;
    assert_eq!(list[0]["name"], "周*");
    assert_eq!(list[0]["phone"], "139****0033");
    let (_, hall) = s.get("/api/v1/appointments/hall", Some(&clerk)).await;
    let text = hall.to_string();
    assert!(!text.contains("周杰") && !text.contains("吴六") && !text.contains("13700000044"), "{text}");
    let page = browser(&s, "ft_clerk").await.0.get(format!("{}/staff/hall", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("A001") && !page.contains("周杰") && !page.contains(&id_number(33)));

    // Another unit's receptionist: its own (empty) hall, nothing of this one.
    let other = s.token("ns_clerk").await;
    let (_, hall) = s.get("/api/v1/appointments/hall", Some(&other)).await;
    assert_eq!(hall["tickets"], json!([]));
    for id in [&t["id"], &w["id"]] {
        let (status, _) = s.get(&format!("/api/v1/appointments/hall/tickets/{id}"), Some(&other)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = s.post("/api/v1/appointments/hall/call", Some(&other), json!({"ticket": id})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (c, _) = browser(&s, "ns_clerk").await;
    let r = c.get(format!("{}/staff/register?ticket={}", s.base, t["id"])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.text().await.unwrap().contains("周杰"));
    let (_, list) = s.get(&format!("/api/v1/appointments?day={}", today()), Some(&other)).await;
    assert_eq!(list, json!([]));
    // Nor may it set this unit's slots, nor may a handling officer.
    let (status, _) = s.put(&format!("/api/v1/appointments/calendar/{BUREAU}"), Some(&other), json!({"slots": []})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.get("/api/v1/appointments/hall", Some(&s.token("ft_rst_officer").await)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.finish().await;
}

#[tokio::test]
async fn booking_runs_the_identity_checks_of_online_submission() {
    let s = server().await;
    // A wage claim submitted online sits with the 福田区 bureau, within its time.
    let claim = online_claim("黄七", &id_number(55));
    let (status, sub) = s.post("/api/v1/petitions", None, claim.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let same = format!("{}\n{}", claim["request"].as_str().unwrap(), claim["facts_and_reasons"].as_str().unwrap());
    // At the city bureau above it: refused like intake (Art. 19 para 3).
    let days = open_slots(&s, "sz_clerk", "4403-XFJ", json!([{"starts": "09:00", "ends": "11:30", "capacity": 5}])).await;
    let mut b = booking("4403-XFJ", &days[0], "09:00", "黄七", 55);
    b["summary"] = json!(same);
    b["phone"] = json!("13800138000");
    let (status, e) = s.post("/api/v1/appointments", None, b.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["rule"], "art19_3", "{e}");
    assert!(e["error"].get("related").is_none(), "no other petition is named to a citizen: {e}");
    // The refused booking took no place.
    let (_, cal) = s.get("/api/v1/appointments/calendar/4403-XFJ", None).await;
    assert_eq!(available(&cal, &days[0], "09:00"), 5);
    // At the bureau holding it: booked, with the repeat warning.
    let days = open_slots(&s, "ft_clerk", BUREAU, json!([{"starts": "09:00", "ends": "11:30", "capacity": 5}])).await;
    b["unit"] = json!(BUREAU);
    b["day"] = json!(days[0]);
    let (status, ok) = s.post("/api/v1/appointments", None, b).await;
    assert_eq!(status, StatusCode::CREATED, "{ok}");
    assert!(ok["warning"].as_str().unwrap().contains("同一事项"), "{ok}");
    assert!(!ok.to_string().contains(sub["number"].as_str().unwrap()));
    let (_, list) = s.get(&format!("/api/v1/appointments?day={}", days[0]), Some(&s.token("ft_clerk").await)).await;
    assert_eq!(list[0]["possible_repeat"], true);
    s.finish().await;
}

#[tokio::test]
async fn a_reminder_is_queued_for_the_day_before_and_withdrawn_on_cancellation() {
    let s = TestServer::start_configured(|c| {
        c.notify.sms_gateway_url = "http://127.0.0.1:9/sms".into();
        c.notify.sms_gateway_key = "k".repeat(32);
    })
    .await;
    let days = open_slots(&s, "ft_clerk", BUREAU, json!([{"starts": "15:00", "ends": "16:00", "capacity": 5}])).await;
    let day = days.last().unwrap();
    let (status, b) = s.post("/api/v1/appointments", None, booking(BUREAU, day, "15:00", "何八", 66)).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    use sqlx::Row;
    let jobs = raw_rows(&s, "SELECT job_key, state, run_at, payload FROM jobs WHERE job_key LIKE 'appointment_reminder:%'").await;
    assert_eq!(jobs.len(), 1);
    let run_at: String = jobs[0].try_get("run_at").unwrap();
    let eve = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap() - chrono::Duration::days(1);
    assert!(run_at.starts_with(&format!("{eve}T01:00:00")), "{run_at}");
    let payload: String = jobs[0].try_get("payload").unwrap();
    assert!(!payload.contains("13900000066") && payload.contains("15:00"), "{payload}");
    let number = b["booking_number"].as_str().unwrap();
    let (status, _) = s.post(&format!("/api/v1/appointments/{number}/cancel"), None, json!({"code": b["booking_code"]})).await;
    assert_eq!(status, StatusCode::OK);
    let jobs = raw_rows(&s, "SELECT state FROM jobs WHERE job_key LIKE 'appointment_reminder:%'").await;
    assert_eq!(jobs[0].try_get::<String, _>("state").unwrap(), "done");
    s.finish().await;
}

#[tokio::test]
async fn the_booking_pages_work_without_javascript() {
    let s = server().await;
    let days = open_slots(&s, "ft_clerk", BUREAU, json!([{"starts": "09:00", "ends": "10:00", "capacity": 1}])).await;
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let page = c.get(format!("{}/appointment?unit={BUREAU}", s.base)).send().await.unwrap().text().await.unwrap();
    let grab = |name: &str| page.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_string();
    let slot = format!("{}|09:00", days[0]);
    assert!(page.contains(&slot));
    let form = [
        ("csrf", grab("csrf")),
        ("form_token", grab("form_token")),
        ("unit", BUREAU.to_string()),
        ("slot", slot.clone()),
        ("name", "许九".into()),
        ("id_number", id_number(77)),
        ("phone", "13900000077".into()),
        ("topic", "0202".into()),
        ("summary", "小区物业乱收费，请求查处".into()),
    ];
    let r = c.post(format!("{}/appointment", s.base)).form(&form).send().await.unwrap();
    assert!(r.url().path().ends_with("/appointment/receipt"));
    let receipt = r.text().await.unwrap();
    let number = receipt.split("id=\"booking-number\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let code = receipt.split("id=\"booking-code\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    // The slot is now shown as full.
    let page = c.get(format!("{}/appointment?unit={BUREAU}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已约满"));
    // Look up, cancel.
    let csrf = form[0].1.clone();
    let r = c
        .post(format!("{}/appointment/lookup", s.base))
        .form(&[("csrf", &csrf), ("number", &number), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("已预约"));
    let r = c
        .post(format!("{}/appointment/cancel", s.base))
        .form(&[("csrf", &csrf), ("number", &number), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("名额已释放"));
    let page = c.get(format!("{}/appointment?unit={BUREAU}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("已约满"));
    s.finish().await;
}

#[tokio::test]
async fn slots_are_validated_and_listed_in_the_openapi_document() {
    let s = server().await;
    let clerk = s.token("ft_clerk").await;
    for slots in [
        json!([{"starts": "9:00", "ends": "10:00", "capacity": 1}]),
        json!([{"starts": "10:00", "ends": "09:00", "capacity": 1}]),
        json!([{"starts": "09:00", "ends": "10:00", "capacity": 0}]),
        json!([{"starts": "09:00", "ends": "10:30", "capacity": 1}, {"starts": "10:00", "ends": "11:00", "capacity": 1}]),
        // pass1 #12: office hours only.
        json!([{"starts": "02:00", "ends": "03:00", "capacity": 1}]),
        json!([{"starts": "20:00", "ends": "22:00", "capacity": 1}]),
    ] {
        let (status, e) = s.put(&format!("/api/v1/appointments/calendar/{BUREAU}"), Some(&clerk), json!({ "slots": slots })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "slots");
    }
    let (_, doc) = s.get("/api/openapi.json", None).await;
    for p in [
        "/api/v1/appointments",
        "/api/v1/appointments/{number}/cancel",
        "/api/v1/appointments/hall/check-in",
        "/api/v1/appointments/hall/screen/{unit}",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p}");
    }
    s.finish().await;
}

#[tokio::test]
async fn concurrent_check_ins_draw_distinct_queue_numbers() {
    let s = std::sync::Arc::new(server().await);
    let clerk = s.token("ft_clerk").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (s, clerk) = (s.clone(), clerk.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"walk_in": {"name": format!("来访{i}"), "summary": "咨询政策"}});
            let (status, t) = s.post("/api/v1/appointments/hall/check-in", Some(&clerk), body).await;
            assert_eq!(status, StatusCode::CREATED, "{t}");
            t["queue_number"].as_i64().unwrap()
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap());
    }
    numbers.sort();
    assert_eq!(numbers, (1..=8).collect::<Vec<i64>>());
    // Another unit counts from 1.
    let (_, t) = s
        .post(
            "/api/v1/appointments/hall/check-in",
            Some(&s.token("ns_clerk").await),
            json!({"walk_in": {"name": "南山", "summary": "咨询"}}),
        )
        .await;
    assert_eq!(t["queue_number"], 1);
    if let Ok(s) = std::sync::Arc::try_unwrap(s) {
        s.finish().await;
    }
}

#[tokio::test]
async fn the_receptionist_sets_the_slots_on_the_hall_page() {
    let s = server().await;
    let (c, csrf) = browser(&s, "ft_clerk").await;
    let r = c
        .post(format!("{}/staff/hall/slots", s.base))
        .form(&[("csrf", csrf.as_str()), ("slots", "09:00-10:30 8\n14:00～15:00 4")])
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("接访时段已保存") && page.contains("09:00-10:30 8\n14:00-15:00 4"), "{page}");
    let (_, cal) = s.get(&format!("/api/v1/appointments/calendar/{BUREAU}"), None).await;
    assert_eq!(
        cal["slots"],
        json!([{"starts": "09:00", "ends": "10:30", "capacity": 8}, {"starts": "14:00", "ends": "15:00", "capacity": 4}])
    );
    let r = c.post(format!("{}/staff/hall/slots", s.base)).form(&[("csrf", csrf.as_str()), ("slots", "上午 8")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("格式不正确"));
    let (_, cal) = s.get(&format!("/api/v1/appointments/calendar/{BUREAU}"), None).await;
    assert_eq!(cal["slots"].as_array().unwrap().len(), 2, "nothing changed");
    s.finish().await;
}

#[tokio::test]
async fn the_reception_calendar_follows_holidays_and_make_up_working_days() {
    use chrono::Datelike;
    let s = server().await;
    // A weekday next week made a holiday, a weekend day a make-up working day.
    let next =
        |want: fn(chrono::Weekday) -> bool| (2..14).map(|n| today() + chrono::Duration::days(n)).find(|d| want(d.weekday())).unwrap();
    let weekday = next(|w| !matches!(w, chrono::Weekday::Sat | chrono::Weekday::Sun));
    let saturday = next(|w| w == chrono::Weekday::Sat);
    let admin = s.token("admin").await;
    let (status, e) =
        s.put(&format!("/api/v1/calendar/days/{weekday}"), Some(&admin), json!({"kind": "holiday", "name": "临时休假"})).await;
    assert!(status.is_success(), "{e}");
    let (status, e) =
        s.put(&format!("/api/v1/calendar/days/{saturday}"), Some(&admin), json!({"kind": "workday", "name": "调休上班"})).await;
    assert!(status.is_success(), "{e}");
    let days = open_slots(&s, "ft_clerk", BUREAU, json!([{"starts": "09:00", "ends": "10:00", "capacity": 3}])).await;
    assert!(!days.contains(&weekday.to_string()), "a holiday is not offered: {days:?}");
    assert!(days.contains(&saturday.to_string()), "a make-up working day is: {days:?}");
    let sunday = saturday + chrono::Duration::days(1);
    assert!(!days.contains(&sunday.to_string()));
    let (status, e) = s.post("/api/v1/appointments", None, booking(BUREAU, &weekday.to_string(), "09:00", "节日", 88)).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_day")));
    let (status, e) = s.post("/api/v1/appointments", None, booking(BUREAU, &saturday.to_string(), "09:00", "调休", 89)).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    s.finish().await;
}

/// pass1 #16, #22: public answers read naturally; the booking page gives
/// each day its weekday, and a form with no slot chosen asks for one.
#[tokio::test]
async fn public_booking_words_read_naturally() {
    let s = server().await;
    let days = open_slots(&s, "ft_clerk", BUREAU, json!([{"starts": "09:00", "ends": "10:00", "capacity": 5}])).await;
    let (status, e) = s.get("/api/v1/appointments/YY44030420261207000001?code=ABCDEFGH", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(e["error"]["message"], "预约号或预约码不正确", "{e}");
    let (status, e) = s.get("/api/v1/articles/51", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(e["error"]["message"], "没有这一条（本条例共50条）", "{e}");
    let (status, e) =
        s.post("/api/v1/appointments/hall/check-in", Some(&s.token("ft_clerk").await), json!({"booking_code": "ABCDEFGH"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!e["error"]["message"].as_str().unwrap().contains("无权查看"), "{e}");

    let mut none = booking(BUREAU, "", "", "陈一", 61);
    none["day"] = json!("");
    let (status, e) = s.post("/api/v1/appointments", None, none).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["message"], "请选择接访日期和时段", "{e}");

    let html = s.client.get(format!("{}/appointment?unit={BUREAU}", s.base)).send().await.unwrap().text().await.unwrap();
    let day = chrono::NaiveDate::parse_from_str(&days[0], "%Y-%m-%d").unwrap();
    assert!(html.contains(&xinfang_domain::letters::cn_day_with_weekday(day)), "{html}");
    s.finish().await;
}
