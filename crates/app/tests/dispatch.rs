//! The dispatch board (issue 14, item 2): a generated county of 10
//! townships and 200 villages; its board shows the right counts by
//! township and village, red where something is overdue or high-risk; a
//! dispatch order to a township is answered in that township's own inbox;
//! and the zero-petition rule marks exactly the villages and townships an
//! independent count says.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use xinfang_store::{Division, NewDispute};

const COUNTY: &str = "440399";

fn township(i: usize) -> String {
    format!("{COUNTY}{:03}", i + 1)
}

fn village(t: usize, v: usize) -> String {
    format!("{}{:03}", township(t), v + 1)
}

/// A county of 10 townships with 20 villages each: divisions, a bureau,
/// a petition office per township, a residents' committee per village.
async fn generated_county(s: &TestServer) {
    let mut divisions = vec![Division { code: COUNTY.into(), name: "测试区".into(), parent_code: Some("4403".into()), level: 3 }];
    let mut csv = String::from("code,name,kind,level,parent_code,gov_code,jurisdiction\n");
    csv.push_str(&format!("{COUNTY}-XFJ,测试区信访局,petition_bureau,county,4403-XFJ,,{COUNTY}\n"));
    for t in 0..10 {
        let tc = township(t);
        divisions.push(Division { code: tc.clone(), name: format!("第{}街道", t + 1), parent_code: Some(COUNTY.into()), level: 4 });
        csv.push_str(&format!("{tc}-XFB,第{}街道信访办,petition_bureau,township,{COUNTY}-XFJ,,{tc}\n", t + 1));
        for v in 0..20 {
            let vc = village(t, v);
            divisions.push(Division {
                code: vc.clone(),
                name: format!("第{}街道{}号社区", t + 1, v + 1),
                parent_code: Some(tc.clone()),
                level: 5,
            });
            csv.push_str(&format!("{vc}-JWH,第{}街道{}号社区居委会,community,village,{tc}-XFB,,{vc}\n", t + 1, v + 1));
        }
    }
    s.store.import_divisions(&divisions).await.unwrap();
    let admin = s.token("admin").await;
    let r = s
        .client
        .post(format!("{}/api/v1/units/import", s.base))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    for (name, role, unit) in [
        ("t_clerk", "clerk", format!("{COUNTY}-XFJ")),
        ("t1_clerk", "clerk", format!("{}-XFB", township(0))),
        ("t2_clerk", "clerk", format!("{}-XFB", township(1))),
    ] {
        let (status, e) = s
            .post(
                "/api/v1/users",
                Some(&admin),
                json!({"username": name, "display_name": name, "password": "Dispatch@Test-2026", "role": role, "unit": unit}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{e}");
    }
}

async fn login(s: &TestServer, user: &str) -> String {
    let (status, v) = s.post("/api/v1/auth/login", None, json!({"username": user, "password": "Dispatch@Test-2026"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["token"].as_str().unwrap().to_string()
}

fn pseudo(n: usize) -> usize {
    (n * 7919 + 13) % 97
}

#[tokio::test]
async fn a_county_board_counts_by_township_dispatches_orders_and_marks_zero_petition_villages() {
    // Without the background jobs: the back-dated letters have overdue
    // timers the deadline watch would act on mid-test.
    let s = TestServer::start_configured(TestServer::counting).await;
    generated_county(&s).await;
    let units = s.store.load_units().await.unwrap();
    let id_of = |code: &str| units.iter().find(|u| u.code == code).unwrap().id;
    let today = today();

    // Disputes in a spread of villages: open (some overdue, some high-risk) and some resolved.
    let mut expected: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    let recorder = s.store.user_by_username("t_clerk").await.unwrap().unwrap().id;
    for n in 0..60 {
        let (t, v) = (pseudo(n) % 10, pseudo(n + 1) % 20);
        let vc = village(t, v);
        let overdue = n % 5 == 0;
        let high = n % 7 == 0;
        let id = s
            .store
            .insert_dispute(
                &NewDispute {
                    village_unit_id: id_of(&format!("{vc}-JWH")),
                    village_code: vc.clone(),
                    kind: "neighbour".into(),
                    risk: if high { "high" } else { "low" }.into(),
                    place: "某小区".into(),
                    summary: "邻里纠纷".into(),
                    people: 2,
                    parties: "[]".into(),
                    mediator_user_id: None,
                    target_on: if overdue { days_ago(2) } else { days_ahead(10) },
                    recorded_by: recorder,
                    recorded_on: days_ago(5),
                },
                "{}",
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        if n % 11 == 3 {
            // Resolved: not on the board.
            let row = s.store.dispute(id).await.unwrap().unwrap();
            let change = xinfang_store::DisputeChange {
                state: Some("resolved".into()),
                outcome: Some("已调解".into()),
                record: ("resolved".into(), "{}".into()),
                ..Default::default()
            };
            s.store.change_dispute(id, row.version, &change, recorder, row.village_unit_id, chrono::Utc::now()).await.unwrap();
            continue;
        }
        let e = expected.entry(township(t)).or_default();
        e.0 += 1;
        e.1 += i64::from(overdue);
        e.2 += i64::from(high);
    }

    // Petitions registered by the county bureau last month (upward), by a
    // township office (not upward), from chosen villages.
    let last_month = (chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), chrono::Datelike::month(&today), 1).unwrap()
        - chrono::Duration::days(10))
    .to_string();
    let t_clerk = login(&s, "t_clerk").await;
    let t1_clerk = login(&s, "t1_clerk").await;
    let upward_villages: BTreeSet<String> = [village(0, 0), village(0, 5), village(3, 19), village(7, 2)].into_iter().collect();
    for (i, vc) in upward_villages.iter().enumerate() {
        let mut body = letter(&last_month);
        body["jurisdiction"] = json!(vc);
        body["title"] = json!(format!("小区物业问题{i}"));
        body["petitioners"][0]["name"] = json!(format!("居民{i}"));
        body["petitioners"][0].as_object_mut().unwrap().remove("id_number");
        body["petitioners"][0]["phone"] = json!(format!("1390000{:04}", i));
        let (status, p) = s.post("/api/v1/petitions", Some(&t_clerk), body).await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
    }
    // Received by the township's own office: stays below, not "upward".
    let mut body = letter(&last_month);
    body["jurisdiction"] = json!(village(1, 1));
    body["petitioners"][0].as_object_mut().unwrap().remove("id_number");
    body["petitioners"][0]["phone"] = json!("13900009999");
    let t2_clerk = login(&s, "t2_clerk").await;
    let (status, p) = s.post("/api/v1/petitions", Some(&t2_clerk), body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");

    // A matter placed at the county itself, no township named.
    let mut body = letter(&last_month);
    body["jurisdiction"] = json!(township(0)[..6].to_string());
    body["petitioners"][0].as_object_mut().unwrap().remove("id_number");
    body["petitioners"][0]["phone"] = json!("13900008888");
    let (status, p) = s.post("/api/v1/petitions", Some(&t_clerk), body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");

    // The county's board: one row per township, the counts as inserted.
    let (status, b) = s.get("/api/v1/dispatch/board", Some(&t_clerk)).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    // The rows and the county's own line add up to the header's total.
    for k in ["open_petitions", "overdue_petitions", "open_disputes"] {
        let rows: i64 = b["rows"].as_array().unwrap().iter().map(|r| r[k].as_i64().unwrap()).sum();
        let own = b["own"][k].as_i64().unwrap_or(0);
        assert_eq!(rows + own, b["total"][k].as_i64().unwrap(), "{k}: {b}");
    }
    assert!(b["own"]["open_petitions"].as_i64().unwrap() >= 1, "{}", b["own"]);
    let rows = b["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 10, "{b}");
    let upward_townships: BTreeSet<String> = upward_villages.iter().map(|v| v[..9].to_string()).collect();
    for r in rows {
        let code = r["code"].as_str().unwrap();
        let (open, overdue, high) = expected.get(code).copied().unwrap_or_default();
        assert_eq!(
            (r["open_disputes"].as_i64(), r["overdue_disputes"].as_i64(), r["high_risk_disputes"].as_i64()),
            (Some(open), Some(overdue), Some(high)),
            "{r}"
        );
        assert_eq!(r["red"].as_bool(), Some(overdue > 0 || high > 0), "{r}");
        assert_eq!(r["zero_petition"].as_bool(), Some(!upward_townships.contains(code)), "{r}");
        assert_eq!(r["level"], json!("township"));
    }
    assert_eq!(b["total"]["open_disputes"].as_i64(), Some(expected.values().map(|e| e.0).sum::<i64>()));
    assert_eq!(b["map"], json!(false));

    // Drill down into the first township: its 20 villages.
    let (_, d) = s.get(&format!("/api/v1/dispatch/board?area={}", township(0)), Some(&t_clerk)).await;
    let villages = d["rows"].as_array().unwrap();
    assert_eq!(villages.len(), 20);
    let zero: BTreeSet<String> =
        villages.iter().filter(|v| v["zero_petition"] == json!(true)).map(|v| v["code"].as_str().unwrap().to_string()).collect();
    let independent: BTreeSet<String> = (0..20).map(|v| village(0, v)).filter(|v| !upward_villages.contains(v)).collect();
    assert_eq!(zero, independent);
    // Another county's area is refused; a township sees only its own.
    let (status, _) = s.get("/api/v1/dispatch/board?area=440304", Some(&t_clerk)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, own) = s.get("/api/v1/dispatch/board", Some(&t1_clerk)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["rows"].as_array().unwrap().len(), 20);
    let (status, _) = s.get_as("ft_rst_officer", "/api/v1/dispatch/board").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a department does not dispatch");

    // The admin's rule: counting every petition, the township-registered one counts too.
    let admin = s.token("admin").await;
    let (status, _) =
        s.put("/api/v1/dispatch/rules", Some(&admin), json!({"zero_petition_months": 1, "zero_petition_upward_only": false})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, d) = s.get(&format!("/api/v1/dispatch/board?area={}", township(1)), Some(&t_clerk)).await;
    let v = d["rows"].as_array().unwrap().iter().find(|r| r["code"] == json!(village(1, 1))).unwrap();
    assert_eq!(v["zero_petition"], json!(false), "{v}");

    // A dispatch order to a township, answered in its own inbox.
    let order: Value = json!({"to_unit": format!("{}-XFB", township(0)), "subject": "排查化解第1街道邻里纠纷", "content": "请于三日内逐户走访并反馈", "due_on": days_ahead(3)});
    let (status, e) = s
        .post(
            "/api/v1/dispatch/orders",
            Some(&t_clerk),
            json!({"to_unit": "440304001-XFB", "subject": "x", "content": "y", "due_on": days_ahead(3)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "outside the area: {e}");
    let (status, c) = s.post("/api/v1/dispatch/orders", Some(&t_clerk), order).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    let (_, inbox) = s.get("/api/v1/dispatch/orders", Some(&t1_clerk)).await;
    assert_eq!(inbox[0]["id"], json!(id), "{inbox}");
    assert_eq!(inbox[0]["state"], json!("open"));
    let (_, other) = s.get("/api/v1/dispatch/orders", Some(&t2_clerk)).await;
    assert_eq!(other, json!([]));
    let (status, _) = s.post(&format!("/api/v1/dispatch/orders/{id}/feedback"), Some(&t2_clerk), json!({"feedback": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another township cannot answer");
    let (status, _) = s.post(&format!("/api/v1/dispatch/orders/{id}/close"), Some(&t_clerk), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "not answered yet");
    let (status, e) =
        s.post(&format!("/api/v1/dispatch/orders/{id}/feedback"), Some(&t1_clerk), json!({"feedback": "已走访120户，化解纠纷3件"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (_, sent) = s.get("/api/v1/dispatch/orders?box=sent", Some(&t_clerk)).await;
    assert_eq!((sent[0]["state"].as_str(), sent[0]["feedback"].as_str()), (Some("answered"), Some("已走访120户，化解纠纷3件")));
    let (status, _) = s.post(&format!("/api/v1/dispatch/orders/{id}/close"), Some(&t_clerk), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.post(&format!("/api/v1/dispatch/orders/{id}/feedback"), Some(&t1_clerk), json!({"feedback": "补充"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    s.finish().await;
}

/// pass1 #3, #19 and pass2 #8, #9: an order names its dispute as every page
/// shows it (JF2026-000003) or by id, an unreadable or unknown one is a
/// field error (never dropped), a dispute the receiving township cannot
/// open is refused; a petition is linked only when the sender sees it in
/// full and it is not sealed from the receiver, and an inbox no longer
/// names one that became an accusation since; bad queries are JSON errors.
#[tokio::test]
async fn orders_link_only_what_both_ends_may_open() {
    let s = TestServer::start().await;
    let order = |extra: Value| {
        let mut o = json!({"to_unit": "440304001-XFB", "subject": "核查", "content": "请核查并反馈", "due_on": days_ahead(7)});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        o
    };
    let (status, c) = s
        .post_as(
            "ft_spt_reporter",
            "/api/v1/disputes",
            json!({"kind": "neighbour", "risk": "low", "summary": "围墙纠纷", "parties": [{"name": "张三"}, {"name": "李四"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (id, number) = (c["id"].as_i64().unwrap(), c["number"].as_str().unwrap().to_string());

    // The displayed number, lower-cased and spaced as typed, and the bare id.
    for named in [json!(number), json!(format!(" {} ", number.to_lowercase())), json!(id)] {
        let (status, e) = s.post_as("ft_clerk", "/api/v1/dispatch/orders", order(json!({"dispute": named}))).await;
        assert_eq!(status, StatusCode::CREATED, "{named}: {e}");
    }
    let (_, sent) = s.get_as("ft_clerk", "/api/v1/dispatch/orders?box=sent").await;
    for o in sent.as_array().unwrap() {
        assert_eq!((o["dispute"].as_i64(), o["dispute_number"].as_str()), (Some(id), Some(number.as_str())), "{o}");
    }
    // Unreadable, unknown, or of another year: a field error, nothing sent.
    let other_year = format!("JF1999-{:06}", id);
    for (named, code) in [
        (json!("第三号"), "invalid_dispute"),
        (json!("XF-440304-20261205-000001"), "invalid_dispute"),
        (json!(0), "invalid_dispute"),
        (json!("JF2026-999999"), "unknown_dispute"),
        (json!(other_year), "unknown_dispute"),
    ] {
        let (status, e) = s.post_as("ft_clerk", "/api/v1/dispatch/orders", order(json!({"dispute": named}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{named}: {e}");
        assert_eq!((e["error"]["code"].as_str(), e["error"]["fields"][0]["field"].as_str()), (Some(code), Some("dispute")), "{named}: {e}");
    }
    // A dispute of 南园 sent to another street: refused, not made openable.
    let (status, e) = s.post_as("ft_clerk", "/api/v1/dispatch/orders", order(json!({"to_unit": "440304004-XFB", "dispute": number}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["code"], json!("dispute_not_visible_to_receiver"), "{e}");
    let (_, sent) = s.get_as("ft_clerk", "/api/v1/dispatch/orders?box=sent").await;
    assert_eq!(sent.as_array().unwrap().len(), 3, "nothing written by a refusal");

    // A claim the bureau holds may be named to the street of its place.
    let claim = claim_by_the_bureau(&s, &today().to_string(), "小区物业乱收费").await;
    let (status, e) = s.post_as("ft_clerk", "/api/v1/dispatch/orders", order(json!({"petition": claim}))).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    // An accusation the bureau reads at intake, whose accused is not named: sealed from the street.
    let accusation = claim_by_the_bureau(&s, &today().to_string(), "反映某工作人员索要好处费").await;
    s.act(
        "ft_clerk",
        &accusation,
        "classify",
        json!({"category": "accusation", "litigation_related": false, "reason": "反映工作人员违纪"}),
    )
    .await;
    let (status, e) = s.post_as("ft_clerk", "/api/v1/dispatch/orders", order(json!({"petition": accusation}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["code"], json!("petition_not_visible_to_receiver"), "{e}");
    // Once referred, the bureau sees it sealed: not its number to pass on.
    s.act("ft_clerk", &accusation, "refer_discipline", json!({"unit": "440304-JW"})).await;
    let (status, e) = s.post_as("ft_clerk", "/api/v1/dispatch/orders", order(json!({"petition": accusation}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["code"], json!("petition_not_in_full"), "{e}");
    // The claim named earlier turns out to be an accusation: the street's inbox no longer names it.
    let (_, inbox) = s.get_as("ft_ny_clerk", "/api/v1/dispatch/orders").await;
    assert!(inbox.as_array().unwrap().iter().any(|o| o["petition"] == json!(claim)), "{inbox}");
    s.act("ft_clerk", &claim, "classify", json!({"category": "accusation", "litigation_related": false, "reason": "反映工作人员违纪"}))
        .await;
    let (_, inbox) = s.get_as("ft_ny_clerk", "/api/v1/dispatch/orders").await;
    assert!(inbox.as_array().unwrap().iter().all(|o| o["petition"] != json!(claim)), "{inbox}");
    assert!(!inbox.to_string().contains(&claim), "{inbox}");

    // Bad or repeated query parameters: structured JSON errors.
    for path in [
        "/api/v1/dispatch/board?area=440304001&area=440305",
        "/api/v1/dispatch/orders?box=sent&box=inbox",
        "/api/v1/disputes?before=abc",
        "/api/v1/disputes/rounds?period=2026-W01&period=2026-W02",
        "/api/v1/green-channel?overdue=maybe",
    ] {
        let r = s.client.get(format!("{}{path}", s.base)).bearer_auth(s.token("ft_clerk").await).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{path}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], json!("invalid_query"), "{path}: {e}");
    }
    s.finish().await;
}

/// pass1 #19: the order form offers a week for the answer, not today.
#[tokio::test]
async fn the_order_form_offers_a_week_and_keeps_what_was_typed() {
    let s = TestServer::start().await;
    let (c, csrf) = browser(&s, "ft_clerk").await;
    let page = c.get(format!("{}/staff/dispatch", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("name=\"due_on\" value=\"{}\"", days_ahead(7))), "{page}");
    let page = post_page(
        &c,
        &format!("{}/staff/dispatch/orders", s.base),
        &[
            ("csrf", &csrf),
            ("to_unit", "440304001-XFB"),
            ("subject", "核查围墙纠纷"),
            ("content", "请核查"),
            ("due_on", &days_ahead(3)),
            ("dispute", "第三号"),
        ],
    )
    .await;
    assert!(page.contains("JF2026-000003"), "the error says what a number looks like: {page}");
    assert!(page.contains("value=\"核查围墙纠纷\"") && page.contains("value=\"第三号\""), "nothing typed is lost: {page}");
    s.finish().await;
}
