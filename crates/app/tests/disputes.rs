//! The dispute screening ledger (issue 14, item 1): a grid reporter
//! records a dispute in their village, the township mediates and resolves
//! it with an agreement; another is escalated to the county and turned
//! into a petition that shows its origin; the screening round lists the
//! villages that did not report. Each unit sees only its own village,
//! township or county, and the parties are sealed like petitioners.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// 沙埔头社区 and 南园社区 of 南园街道, 福田区 (the demo's villages).
const SPT: &str = "440304001019-JWH";
const NANYUAN_STREET: &str = "440304001-XFB";

fn neighbours() -> Value {
    json!({
        "kind": "neighbour",
        "risk": "medium",
        "summary": "楼上住户装修漏水，楼下住户要求赔偿，双方争吵",
        "parties": [
            {"name": "王秀兰", "phone": "13912345678", "id_number": "440304197503150015"},
            {"name": "赵建国", "phone": "13800001111"}
        ]
    })
}

async fn record(s: &TestServer, user: &str, body: Value) -> i64 {
    let (status, c) = s.post_as(user, "/api/v1/disputes", body).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert!(c["number"].as_str().unwrap().starts_with("JF"), "{c}");
    c["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_grid_reporter_records_a_dispute_and_the_township_resolves_it_with_an_agreement() {
    let s = TestServer::start().await;
    let id = record(&s, "ft_spt_reporter", neighbours()).await;

    // Sealed at rest: neither the name nor the phone nor the ID number is in the row.
    let row = s.store.dispute(id).await.unwrap().unwrap();
    for plain in ["王秀兰", "13912345678", "440304197503150015", "赵建国"] {
        assert!(!row.parties.contains(plain), "{plain} stored in the clear");
    }
    assert_eq!(row.target_on, days_ahead(7), "a medium risk gets 7 days");

    // The reporter's list masks names and phones.
    let (status, page) = s.get_as("ft_spt_reporter", "/api/v1/disputes").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let item = &page["items"][0];
    assert_eq!(item["id"], json!(id));
    assert_ne!(item["parties"][0]["name"], json!("王秀兰"));
    assert!(!item["parties"][0]["phone"].as_str().unwrap().contains("12345678"), "{item}");

    // Only its village, its township and its county see it.
    for (user, seen) in [
        ("ft_ny_reporter", false),
        ("ft_rst_officer", false),
        ("ns_clerk", false),
        ("ft_ny_clerk", true),
        ("ft_clerk", true),
        ("sz_clerk", true),
    ] {
        let (status, _) = s.get_as(user, &format!("/api/v1/disputes/{id}")).await;
        assert_eq!(status == StatusCode::OK, seen, "{user}: {status}");
        let (_, page) = s.get_as(user, "/api/v1/disputes").await;
        let listed = page["items"].as_array().map(|a| a.iter().any(|d| d["id"] == json!(id))).unwrap_or(false);
        assert_eq!(listed, seen, "{user} list");
    }
    let (status, _) = s.get_as("admin", &format!("/api/v1/disputes/{id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The detail shows names; numbers stay masked until unmasked with a reason.
    let (_, d) = s.get_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}")).await;
    assert_eq!(d["dispute"]["parties"][0]["name"], json!("王秀兰"));
    assert_ne!(d["dispute"]["parties"][0]["phone"], json!("13912345678"));
    assert!(d["can_act"].as_bool().unwrap());
    let (status, _) = s.post_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}/unmask"), json!({"reason": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, open) = s.post_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}/unmask"), json!({"reason": "联系当事人调解"})).await;
    assert_eq!(status, StatusCode::OK, "{open}");
    assert_eq!(open[0]["phone"], json!("13912345678"));
    let (_, d) = s.get_as("ft_clerk", &format!("/api/v1/disputes/{id}")).await;
    assert_eq!(d["access_log"][0][2], json!("联系当事人调解"), "the reading is recorded");

    // A mediator of another township is refused; the street's clerk is taken.
    let (status, e) = s.post_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}/mediator"), json!({"mediator": "ns_clerk"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, e) = s.post_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}/mediator"), json!({"mediator": "ft_ny_clerk"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, e) = s
        .post_as(
            "ft_spt_reporter",
            &format!("/api/v1/disputes/{id}/mediations"),
            json!({"method": "当面调解", "content": "组织双方到社区工作站面谈，查明漏水原因为楼上防水层老化", "participants": "双方当事人、社区网格员"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "the village mediates while it holds the dispute: {e}");
    let (status, _) = s.post_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}/mediations"), json!({"content": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, v) = s
        .post_as(
            "ft_ny_clerk",
            &format!("/api/v1/disputes/{id}/resolve"),
            json!({"outcome": "楼上住户负责重做防水层并赔偿楼下住户装修损失三千元，于十日内付清。", "agreement": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["state"], json!("resolved"));
    assert!(v["agreement_document"].as_i64().is_some(), "{v}");
    assert_eq!(v["mediator"], json!("南园街道信访办工作人员"));
    // The agreement is a people's mediation of a dispute, not a 信访事项:
    // its parties are 当事人, it is kept under the ledger number and sealed
    // by the mediating unit.
    let doc = format!("{}/api/v1/unit-documents/{}", s.base, v["agreement_document"]);
    let token = s.token("ft_ny_clerk").await;
    let mut text = String::new();
    for _ in 0..100 {
        let r = s.client.get(&doc).bearer_auth(&token).send().await.unwrap();
        if r.status() == StatusCode::OK {
            text = pdf_text(&r.bytes().await.unwrap()).split_whitespace().collect();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        text.contains("之间的")
            && text.contains("人民调解法")
            && text.contains(&format!("矛盾纠纷台账编号：{}", v["number"].as_str().unwrap())),
        "{text}"
    );
    assert!(!text.contains("信访人") && !text.contains("信访事项") && !text.contains("信访件编号"), "{text}");

    // Closed: no more acts.
    let (status, _) = s.post_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}/mediations"), json!({"content": "再次回访"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, d) = s.get_as("ft_spt_reporter", &format!("/api/v1/disputes/{id}")).await;
    let kinds: Vec<&str> = d["records"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["recorded", "mediator", "mediation", "resolved"]);
    assert!(!d["can_act"].as_bool().unwrap());
    s.finish().await;
}

#[tokio::test]
async fn art5_a_dispute_climbs_a_level_at_a_time_and_becomes_a_petition_that_shows_its_origin() {
    let s = TestServer::start().await;
    let mut body = neighbours();
    body["kind"] = json!("wages");
    body["risk"] = json!("high");
    body["summary"] = json!("某装修队拖欠十二名工人工资共计八万六千元，工人多次讨要未果");
    body["people"] = json!(12);
    let id = record(&s, "ft_spt_reporter", body).await;

    // A reporter records only in their own village.
    let mut other = neighbours();
    other["village"] = json!("440304001020-JWH");
    let (status, _) = s.post_as("ft_spt_reporter", "/api/v1/disputes", other).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Never sideways or to a department: the village's township first.
    for unit in ["440304002-XFB", "440304-RST", "440305-XFJ"] {
        let (status, e) =
            s.post_as("ft_spt_reporter", &format!("/api/v1/disputes/{id}/escalate"), json!({"unit": unit, "reason": "村里调不了"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unit}: {e}");
    }
    let (_, d) = s.get_as("ft_spt_reporter", &format!("/api/v1/disputes/{id}")).await;
    let targets: Vec<&str> = d["escalation_targets"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap()).collect();
    assert!(targets.contains(&NANYUAN_STREET) && targets.contains(&"440304-XFJ"), "{targets:?}");
    assert!(!targets.iter().any(|t| t.starts_with("440305") || *t == "440304-RST"), "{targets:?}");
    let (status, e) = s
        .post_as(
            "ft_spt_reporter",
            &format!("/api/v1/disputes/{id}/escalate"),
            json!({"unit": NANYUAN_STREET, "reason": "涉及人数多，村里调解不成"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    // The ledger tells those escalated (已上报) from those the village holds.
    let kept = record(&s, "ft_spt_reporter", neighbours()).await;
    let ids = async |q: &str| -> Vec<i64> {
        let (status, page) = s.get_as("ft_spt_reporter", &format!("/api/v1/disputes?{q}")).await;
        assert_eq!(status, StatusCode::OK, "{q}: {page}");
        page["items"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect()
    };
    let (up, held) = (ids("escalated=true").await, ids("escalated=false").await);
    assert!(up.contains(&id) && !up.contains(&kept), "{up:?}");
    assert!(held.contains(&kept) && !held.contains(&id), "{held:?}");
    let (status, e) = s.get_as("ft_spt_reporter", "/api/v1/disputes?escalated=maybe").await;
    assert!(status.is_client_error() && e["error"]["code"].is_string(), "{status} {e}");

    // The village no longer acts; the street does, and sends it to the county.
    let (status, _) = s.post_as("ft_spt_reporter", &format!("/api/v1/disputes/{id}/mediations"), json!({"content": "继续做工作"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        s.post_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}/escalate"), json!({"unit": NANYUAN_STREET, "reason": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not to itself");
    let (status, e) = s
        .post_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}/escalate"), json!({"unit": "440304-XFJ", "reason": "需区人社局介入"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, _) = s.post_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}/mediations"), json!({"content": "继续做工作"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the township cannot act on what the county holds");

    // Only a unit that registers petitions turns it into one.
    let (status, _) = s.post_as("ft_spt_reporter", &format!("/api/v1/disputes/{id}/petition"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, p) = s.post_as("ft_clerk", &format!("/api/v1/disputes/{id}/petition"), json!({"request": "请求责令支付拖欠工资"})).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let number = p["number"].as_str().unwrap().to_string();
    // Art. 21: the party gets a query code like any petitioner, shown once.
    let code = p["query_code"].as_str().unwrap_or_else(|| panic!("a query code: {p}")).to_string();
    let (status, track) = s.get(&format!("/api/v1/track/{number}?code={code}"), None).await;
    assert_eq!(status, StatusCode::OK, "the party tracks it: {track}");
    // Sending again gives the same petition, never a second one.
    let (status, again) = s.post_as("ft_clerk", &format!("/api/v1/disputes/{id}/petition"), json!({})).await;
    assert_eq!((status, again["number"].as_str()), (StatusCode::CREATED, Some(number.as_str())));
    assert!(again["query_code"].is_null(), "not shown again: {again}");

    // Linked both ways.
    let (_, d) = s.get_as("ft_clerk", &format!("/api/v1/disputes/{id}")).await;
    assert_eq!(d["dispute"]["state"], json!("petitioned"));
    assert_eq!(d["dispute"]["petition_number"], json!(number));
    let detail = s.detail("ft_clerk", &number).await;
    assert_eq!(detail["dispute"]["id"], json!(id), "{}", detail["dispute"]);
    assert_eq!(detail["dispute"]["number"], d["dispute"]["number"]);
    assert_eq!(detail["channel"], json!("visit"));
    assert_eq!(detail["jurisdiction"], json!("440304001019"));
    assert_eq!(detail["petitioners"][0]["name"], json!("王秀兰"));
    // Twelve workers, one of them sent: a collective petition of twelve,
    // its petitioner their representative (Art. 18, 20).
    assert_eq!((detail["collective"].as_bool(), detail["headcount"].as_i64()), (Some(true), Some(12)), "{detail}");
    assert_eq!(detail["petitioners"][0]["representative"], json!(true));
    assert_eq!(detail["request"], json!("请求责令支付拖欠工资"));
    assert!(detail["facts_and_reasons"].as_str().unwrap().contains("八万六千元"));
    // A wages dispute brings its petition into the green channel, with what it claims.
    assert_eq!(detail["green_channel"], json!(true), "{}", detail["green"]);
    assert_eq!((detail["green"]["amount_claimed"].as_i64(), detail["green"]["workers"].as_i64()), (Some(86_000), Some(12)));
    let kinds: Vec<&str> = d["records"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["recorded", "escalated", "escalated", "petitioned"]);
    s.finish().await;
}

#[tokio::test]
async fn the_screening_round_lists_the_villages_that_did_not_report() {
    let s = TestServer::start().await;
    // Reference: 南园街道's villages, counted from the unit list.
    let (_, units) = s.get_as("ft_ny_clerk", "/api/v1/units").await;
    let villages: Vec<String> = units
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["kind"] == json!("community") && u["code"].as_str().unwrap().starts_with("440304001"))
        .map(|u| u["code"].as_str().unwrap().to_string())
        .collect();
    assert!(villages.len() >= 3, "{villages:?}");

    record(&s, "ft_spt_reporter", neighbours()).await;
    let period = {
        let (_, r) = s.get_as("ft_ny_clerk", "/api/v1/disputes/rounds").await;
        // Each village's township by its own name, not its office's.
        let townships: Vec<&str> = r["villages"].as_array().unwrap().iter().map(|v| v["township"].as_str().unwrap()).collect();
        assert!(!townships.is_empty() && townships.iter().all(|t| !t.is_empty() && !t.ends_with("信访办")), "{townships:?}");
        r["period"].as_str().unwrap().to_string()
    };
    assert!(period.contains("-W"), "weekly by default: {period}");
    let (status, e) =
        s.post_as("ft_ny_reporter", &format!("/api/v1/disputes/rounds/{period}/nothing-found"), json!({"note": "已走访全部楼栋"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, _) = s.post_as("ft_ny_reporter", &format!("/api/v1/disputes/rounds/{period}/nothing-found"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "once per round");
    let (status, _) = s.post_as("ft_ny_clerk", &format!("/api/v1/disputes/rounds/{period}/nothing-found"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only a village's grid reporter reports");
    let (status, _) = s.post_as("ft_ny_reporter", "/api/v1/disputes/rounds/2020-W01/nothing-found", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not an old round");

    let (status, r) = s.get_as("ft_ny_clerk", &format!("/api/v1/disputes/rounds?period={period}")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let lines = r["villages"].as_array().unwrap();
    assert_eq!(lines.len(), villages.len());
    let missing: Vec<&str> = lines.iter().filter(|v| v["reported"] == json!(false)).map(|v| v["code"].as_str().unwrap()).collect();
    let mut expected: Vec<&str> = villages.iter().map(String::as_str).filter(|c| *c != SPT && *c != "440304001020-JWH").collect();
    let mut got = missing.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    assert_eq!(r["not_reported"], json!(expected.len()));
    let spt = lines.iter().find(|v| v["code"] == json!(SPT)).unwrap();
    assert_eq!((spt["recorded"].as_i64(), spt["nothing_found"].as_bool()), (Some(1), Some(false)));

    // The county sees all of its villages; another street's clerk is refused the area.
    let (_, county) = s.get_as("ft_clerk", "/api/v1/disputes/rounds").await;
    assert!(county["villages"].as_array().unwrap().len() > villages.len());
    let (status, _) = s.get_as("ft_ny_clerk", "/api/v1/disputes/rounds?area=440304002").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The admin makes the round monthly.
    let (status, _) = s.put("/api/v1/dispatch/rules", Some(&s.token("ft_clerk").await), json!({"screening_period": "month"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, e) = s.put("/api/v1/dispatch/rules", Some(&s.token("admin").await), json!({"screening_period": "fortnight"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, _) = s.put("/api/v1/dispatch/rules", Some(&s.token("admin").await), json!({"screening_period": "month"})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, r) = s.get_as("ft_ny_clerk", "/api/v1/disputes/rounds").await;
    assert_eq!(r["period"], json!(today().format("%Y-%m").to_string()));
    assert_eq!(r["screening_period"], json!("month"));
    s.finish().await;
}

#[tokio::test]
async fn grid_reporters_belong_to_villages_and_bad_records_write_nothing() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    let user = |unit: &str, name: &str| json!({"username": name, "display_name": "网格员", "password": "Grid@Reporter-2026", "role": "grid_reporter", "unit": unit});
    let (status, e) = s.post("/api/v1/users", Some(&admin), user("440304-RST", "grid_dept")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, e) = s.post("/api/v1/users", Some(&admin), user(SPT, "grid_spt")).await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let mut clerk = user(SPT, "clerk_spt");
    clerk["role"] = json!("clerk");
    let (status, _) = s.post("/api/v1/users", Some(&admin), clerk).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a village has no clerks");

    for (field, value) in [
        ("kind", json!("weather")),
        ("risk", json!("extreme")),
        ("summary", json!("")),
        ("summary", json!("长".repeat(2001))),
        ("parties", json!([])),
        ("parties", json!([{"name": "甲", "id_number": "440304197503150016"}])),
        ("parties", json!([{"name": "甲", "phone": "12"}])),
        ("target_on", json!(days_ago(1))),
        ("people", json!(0)),
    ] {
        let mut body = neighbours();
        body[field] = value;
        let (status, e) = s.post_as("ft_spt_reporter", "/api/v1/disputes", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {e}");
        assert!(e["error"]["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{e}");
    }
    let (_, page) = s.get_as("ft_spt_reporter", "/api/v1/disputes").await;
    assert_eq!(page["items"], json!([]), "nothing half-written");
    // A township's staff name the village; a village outside their area is refused.
    let mut body = neighbours();
    let (status, _) = s.post_as("ft_ny_clerk", "/api/v1/disputes", body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "which village?");
    body["village"] = json!("440304002001-JWH");
    let (status, _) = s.post_as("ft_ny_clerk", "/api/v1/disputes", body.clone()).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY, "{status}");
    body["village"] = json!(SPT);
    let (status, _) = s.post_as("ft_ny_clerk", "/api/v1/disputes", body).await;
    assert_eq!(status, StatusCode::CREATED);
    // A grid reporter has no petitions to see and no acts to take.
    let (status, page) = s.get_as("ft_spt_reporter", "/api/v1/petitions").await;
    assert!(status == StatusCode::FORBIDDEN || page["items"] == json!([]), "{status} {page}");
    s.finish().await;
}

/// pass1 #1: a round never shows disputes and "nothing found" together. A
/// village with disputes in the round cannot report nothing found (409);
/// a dispute recorded after such a report is a later discovery, and the
/// report no longer stands.
/// A party's bad phone or identity number is said beside that party's box
/// on the form (the API names `parties[i].field`), not under the first
/// name; one in the folded 更多 part opens it; nothing is recorded.
#[tokio::test]
async fn the_dispute_form_shows_a_partys_error_beside_that_party() {
    let s = TestServer::start().await;
    let (status, e) = s
        .post_as("ft_spt_reporter", "/api/v1/disputes", {
            let mut b = neighbours();
            b["parties"][1]["phone"] = json!("12");
            b
        })
        .await;
    assert_eq!((status, e["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("parties[1].phone")), "{e}");
    // A township's clerk names the village on the form.
    let (c, _) = browser(&s, "ft_ny_clerk").await;
    let post = async |fields: &[(&str, &str)]| {
        let page = c.get(format!("{}/staff/disputes/new", s.base)).send().await.unwrap().text().await.unwrap();
        let hidden = |name: &str| page.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_string();
        let mut form: Vec<(String, String)> = vec![("csrf".into(), hidden("csrf")), ("form_token".into(), hidden("form_token"))];
        let given = [("village", SPT), ("kind", "neighbour"), ("risk", "medium"), ("summary", "楼上住户装修漏水，楼下住户要求赔偿")];
        for (k, v) in given.iter().chain(fields) {
            form.push((k.to_string(), v.to_string()));
        }
        let r = c.post(format!("{}/staff/disputes/new", s.base)).form(&form).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    };
    let (status, body) =
        post(&[("party1_name", "王秀兰"), ("party1_phone", "13912345678"), ("party2_name", "赵建国"), ("party2_phone", "12")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("id=\"party2_phone-error\"") && !body.contains("id=\"party1_name-error\""), "{body}");
    // Only the second party named: its error is still beside the second.
    let (_, body) = post(&[("party2_name", "赵建国"), ("party2_phone", "12")]).await;
    assert!(body.contains("id=\"party2_phone-error\""), "{body}");
    // An identity number, folded under 更多: the part opens.
    let (_, body) = post(&[("party1_name", "王秀兰"), ("party1_id_number", "440304197503150016")]).await;
    assert!(body.contains("id=\"party1_id_number-error\"") && body.contains("<details open>"), "{body}");
    let (_, page) = s.get_as("ft_spt_reporter", "/api/v1/disputes").await;
    assert_eq!(page["items"], json!([]), "nothing recorded");
    s.finish().await;
}

#[tokio::test]
async fn nothing_found_never_stands_beside_a_recorded_dispute() {
    let s = TestServer::start().await;
    let period = {
        let (_, r) = s.get_as("ft_ny_clerk", "/api/v1/disputes/rounds").await;
        // Each village's township by its own name, not its office's.
        let townships: Vec<&str> = r["villages"].as_array().unwrap().iter().map(|v| v["township"].as_str().unwrap()).collect();
        assert!(!townships.is_empty() && townships.iter().all(|t| !t.is_empty() && !t.ends_with("信访办")), "{townships:?}");
        r["period"].as_str().unwrap().to_string()
    };
    let line = |r: &Value, code: &str| r["villages"].as_array().unwrap().iter().find(|v| v["code"] == json!(code)).unwrap().clone();

    // Disputes first: the report is refused, and nothing is written.
    record(&s, "ft_spt_reporter", neighbours()).await;
    record(&s, "ft_spt_reporter", neighbours()).await;
    let (status, e) = s.post_as("ft_spt_reporter", &format!("/api/v1/disputes/rounds/{period}/nothing-found"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], json!("disputes_recorded"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("已登记2件"), "{e}");
    let (_, r) = s.get_as("ft_ny_clerk", &format!("/api/v1/disputes/rounds?period={period}")).await;
    let spt = line(&r, SPT);
    assert_eq!((spt["recorded"].as_i64(), spt["nothing_found"].as_bool()), (Some(2), Some(false)), "{spt}");

    // The report first, then a dispute: a later discovery, the report no longer stands.
    let (status, e) = s.post_as("ft_ny_reporter", &format!("/api/v1/disputes/rounds/{period}/nothing-found"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (_, r) = s.get_as("ft_ny_clerk", &format!("/api/v1/disputes/rounds?period={period}")).await;
    assert_eq!(line(&r, "440304001020-JWH")["nothing_found"], json!(true));
    record(&s, "ft_ny_reporter", neighbours()).await;
    let (_, r) = s.get_as("ft_ny_clerk", &format!("/api/v1/disputes/rounds?period={period}")).await;
    let ny = line(&r, "440304001020-JWH");
    assert_eq!(
        (ny["recorded"].as_i64(), ny["nothing_found"].as_bool(), ny["reported"].as_bool()),
        (Some(1), Some(false), Some(true)),
        "{ny}"
    );
    s.finish().await;
}

/// pass1 #9, #10, #15: a village keeps to its grade's target (a grave
/// dispute cannot be given 2099), the township may give up to 90 days;
/// the people involved are at least the parties named; a bad state filter
/// is refused in Chinese labels.
#[tokio::test]
async fn target_dates_people_and_states_are_bounded_and_said_in_chinese() {
    let s = TestServer::start().await;
    let mut grave = neighbours();
    grave["risk"] = json!("high");
    for (target, ok) in [("2099-12-04".to_string(), false), (days_ahead(4), false), (days_ahead(3), true)] {
        let mut body = grave.clone();
        body["target_on"] = json!(target);
        let (status, e) = s.post_as("ft_spt_reporter", "/api/v1/disputes", body).await;
        if ok {
            assert_eq!(status, StatusCode::CREATED, "{target}: {e}");
        } else {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{target}: {e}");
            assert_eq!(
                (e["error"]["code"].as_str(), e["error"]["fields"][0]["field"].as_str()),
                (Some("target_too_far"), Some("target_on")),
                "{e}"
            );
            assert!(e["error"]["message"].as_str().unwrap().contains("重大"), "{e}");
        }
    }
    // The township steps in with a longer target: up to 90 days, not beyond.
    let id = record(&s, "ft_spt_reporter", grave.clone()).await;
    for (target, status) in [(days_ahead(91), StatusCode::UNPROCESSABLE_ENTITY), (days_ahead(60), StatusCode::NO_CONTENT)] {
        let (got, e) = s
            .post_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}/mediator"), json!({"mediator": "ft_ny_clerk", "target_on": target}))
            .await;
        assert_eq!(got, status, "{target}: {e}");
    }
    // The village cannot push it out the same way.
    let (status, e) = s
        .post_as(
            "ft_spt_reporter",
            &format!("/api/v1/disputes/{id}/mediator"),
            json!({"mediator": "ft_spt_reporter", "target_on": days_ahead(30)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    let mut body = neighbours();
    body["people"] = json!(1);
    let (status, e) = s.post_as("ft_spt_reporter", "/api/v1/disputes", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("2人"), "{e}");
    let mut body = neighbours();
    body["people"] = json!(12);
    record(&s, "ft_spt_reporter", body).await;

    let (status, e) = s.get_as("ft_spt_reporter", "/api/v1/disputes?state=escalated").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let m = e["error"]["message"].as_str().unwrap();
    assert!(m.contains("化解中") && m.contains("已化解") && m.contains("已转信访事项"), "{m}");
    s.finish().await;
}

/// A dispute becomes a petition at the township that holds it.
async fn petition_from_township(s: &TestServer, body: Value, petitioners: Value) -> Value {
    let id = record(s, "ft_spt_reporter", body).await;
    let (status, e) = s
        .post_as("ft_spt_reporter", &format!("/api/v1/disputes/{id}/escalate"), json!({"unit": NANYUAN_STREET, "reason": "村里调解不成"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, p) = s.post_as("ft_ny_clerk", &format!("/api/v1/disputes/{id}/petition"), json!({"petitioners": petitioners})).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    s.detail("ft_ny_clerk", p["number"].as_str().unwrap()).await
}

#[tokio::test]
async fn art20_a_dispute_of_five_or_more_people_is_a_collective_petition_with_at_most_five_representatives() {
    let s = TestServer::start().await;
    // Six parties, all sent: a collective petition of six, not refused for
    // its sixth person; the first five represent it (Art. 18, 20).
    let mut six = neighbours();
    six["kind"] = json!("wages");
    six["summary"] = json!("某物业公司拖欠六名保洁员三个月工资，多次协商未果");
    six["parties"] = json!((0..6).map(|i| json!({"name": format!("保洁员{i}"), "phone": format!("1391234560{i}")})).collect::<Vec<_>>());
    let detail = petition_from_township(&s, six, json!([0, 1, 2, 3, 4, 5])).await;
    assert_eq!((detail["collective"].as_bool(), detail["headcount"].as_i64()), (Some(true), Some(6)), "{detail}");
    let people = detail["petitioners"].as_array().unwrap();
    assert_eq!(people.len(), 6, "{detail}");
    let representatives = people.iter().filter(|p| p["representative"] == json!(true)).count();
    assert_eq!(representatives, 5, "at most five represent a collective visit: {people:?}");
    assert_eq!(people[5]["representative"], json!(false), "{people:?}");

    // Four people, two of them sent: an ordinary petition, nobody a representative.
    let mut four = neighbours();
    four["people"] = json!(4);
    let detail = petition_from_township(&s, four, json!([0, 1])).await;
    assert_eq!(detail["collective"].as_bool(), Some(false), "{detail}");
    assert!(detail["petitioners"].as_array().unwrap().iter().all(|p| p["representative"] != json!(true)), "{detail}");
    s.finish().await;
}
