//! The wage-arrears green channel (issue 14, item 5): a migrant workers'
//! unpaid-wages claim filed online is flagged, lands at the county's labour
//! inspection (人社局) with the short internal deadline, and is on the
//! lane's list with the amount claimed; a clerk puts a missed one in the
//! lane or takes one out; first contact and recovery are recorded and
//! totalled.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn migrant_wages(jurisdiction: &str) -> Value {
    json!({
        "jurisdiction": jurisdiction,
        "title": "工地拖欠农民工工资",
        "request": "请求责令施工单位支付拖欠的工资",
        "facts_and_reasons": "我们十二名农民工在福田区某工地做钢筋工，包工头至今拖欠我们工资共计八万六千元，多次讨要未果。",
        "category": "claim",
        "petitioners": [{"name": "刘大强", "id_number": "440304197503150015", "phone": "13711112222"}]
    })
}

/// Five working days after `from` by the plain weekend rule (the test
/// stays away from holidays by checking the calendar's own answer).
async fn contact_due(s: &TestServer, received_on: &str) -> String {
    let from = chrono::NaiveDate::parse_from_str(received_on, "%Y-%m-%d").unwrap();
    let year = from.format("%Y").to_string();
    let (_, cal) = s.get(&format!("/api/v1/calendar/{year}"), None).await;
    let special: std::collections::HashMap<String, String> = cal["days"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| (d["date"].as_str().unwrap_or_default().to_string(), d["kind"].as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let mut d = from;
    let mut left = 5;
    while left > 0 {
        d += chrono::Duration::days(1);
        let weekend = matches!(chrono::Datelike::weekday(&d), chrono::Weekday::Sat | chrono::Weekday::Sun);
        let working = match special.get(&d.to_string()).map(String::as_str) {
            Some("holiday") => false,
            Some("workday") => true,
            _ => !weekend,
        };
        if working {
            left -= 1;
        }
    }
    d.to_string()
}

#[tokio::test]
async fn a_migrant_workers_wage_claim_filed_online_lands_at_the_county_labour_inspection_with_the_short_deadline() {
    let s = TestServer::start().await;
    let (status, sub) = s.post("/api/v1/petitions", None, migrant_wages("440304001")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    assert_eq!(sub["receiving_unit"]["code"], json!("440304-RST"), "straight to the county's labour inspection: {sub}");
    // Sent again from the Back button: the claim already filed, though it
    // landed at the inspection rather than at the bureau.
    let (status, again) = s.post("/api/v1/petitions", None, migrant_wages("440304001")).await;
    assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_submitted")), "{again}");

    let d = s.detail("ft_rst_officer", &number).await;
    assert_eq!(d["green_channel"], json!(true), "{d}");
    assert_eq!(d["current_unit"]["code"], json!("440304-RST"));
    let g = &d["green"];
    assert_eq!((g["amount_claimed"].as_i64(), g["workers"].as_i64()), (Some(86_000), Some(12)), "{g}");
    assert_eq!(g["contact_due"], json!(contact_due(&s, d["received_on"].as_str().unwrap()).await));
    assert_eq!(g["state"], json!("flagged"));

    // On the lane's list of the labour inspection, of the bureau and of the city; not of another district.
    for (user, listed) in [("ft_rst_officer", true), ("sz_rst_officer", true), ("ns_rst_officer", false)] {
        let (status, l) = s.get_as(user, "/api/v1/green-channel").await;
        assert_eq!(status, StatusCode::OK, "{l}");
        let found = l["items"].as_array().unwrap().iter().any(|i| i["number"] == json!(number));
        assert_eq!(found, listed, "{user}: {l}");
    }
    let (_, l) = s.get_as("ft_rst_officer", "/api/v1/green-channel").await;
    assert_eq!(l["totals"]["amount_claimed"], json!(86_000));
    assert_eq!(l["totals"]["workers"], json!(12));

    // First contact once; recovery totalled.
    let url = format!("/api/v1/petitions/{number}/green-channel");
    let (status, _) = s.post_as("ft_rst_officer", &format!("{url}/contact"), json!({"note": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, e) = s
        .post_as("ft_rst_officer", &format!("{url}/contact"), json!({"note": "电话联系施工总包单位项目经理，约定三日内到监察大队说明"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, _) = s.post_as("ft_rst_officer", &format!("{url}/contact"), json!({"note": "再次联系"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = s.post_as("ft_rst_officer", &format!("{url}/recovered"), json!({"amount": -1, "workers": 3})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, e) = s.post_as("ft_rst_officer", &format!("{url}/recovered"), json!({"amount": 60_000, "workers": 9})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (_, l) = s.get_as("ft_rst_officer", "/api/v1/green-channel").await;
    assert_eq!((l["totals"]["amount_recovered"].as_i64(), l["totals"]["workers_paid"].as_i64()), (Some(60_000), Some(9)));
    assert!(l["items"][0]["contacted_at"].is_string());
    // Totals reported up are not changed on their own word: more workers
    // than owed, more than claimed, or less than before needs a note.
    for (amount, workers, why) in [(999_999, 9, "超过反映的欠薪金额"), (60_000, 50, "多于反映的欠薪人数"), (30_000, 9, "比上次记录的少")]
    {
        let (status, e) = s.post_as("ft_rst_officer", &format!("{url}/recovered"), json!({"amount": amount, "workers": workers})).await;
        assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note_required")), "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(why), "{e}");
    }
    let (_, l) = s.get_as("ft_rst_officer", "/api/v1/green-channel").await;
    assert_eq!(l["totals"]["amount_recovered"].as_i64(), Some(60_000), "nothing kept from the refused totals");
    let note = "经核实欠薪总额为九万六千元，含两名未列入的工人";
    let (status, e) =
        s.post_as("ft_rst_officer", &format!("{url}/recovered"), json!({"amount": 96_000, "workers": 14, "note": note})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    assert_eq!(s.detail("ft_rst_officer", &number).await["green"]["recovery_note"], json!(note));

    // The season before the Spring Festival is a list of its own.
    let (status, season) = s.get_as("ft_rst_officer", "/api/v1/green-channel?season=spring_festival").await;
    assert_eq!(status, StatusCode::OK, "{season}");
    assert!(season["from"].is_string() && season["to"].is_string(), "{season}");
    let in_season = season["from"].as_str().unwrap() <= d["received_on"].as_str().unwrap()
        && d["received_on"].as_str().unwrap() <= season["to"].as_str().unwrap();
    assert_eq!(season["items"].as_array().unwrap().iter().any(|i| i["number"] == json!(number)), in_season);
    let (status, _) = s.get_as("ft_rst_officer", "/api/v1/green-channel?season=summer").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    s.finish().await;
}

#[tokio::test]
async fn a_clerk_puts_a_missed_wage_claim_in_the_lane_and_ordinary_matters_stay_out() {
    let s = TestServer::start().await;
    // An office worker's wages: the ordinary way, to the bureau, not flagged.
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim("陈五", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    assert_eq!(sub["receiving_unit"]["code"], json!("440304-XFJ"));
    let d = s.detail("ft_clerk", &number).await;
    assert_eq!(d["green_channel"], json!(false));

    // An accusation naming wages is not a claim for them.
    let mut accusation = migrant_wages("440304");
    accusation["category"] = json!("accusation");
    accusation["petitioners"][0].as_object_mut().unwrap().remove("id_number");
    accusation["accused"] = json!({"name": "包工头张某", "unit": "某劳务公司"});
    let (status, acc) = s.post("/api/v1/petitions", None, accusation).await;
    assert_eq!(status, StatusCode::CREATED, "{acc}");
    assert_ne!(acc["receiving_unit"]["code"], json!("440304-RST"));

    // The clerk puts the first in the lane, with the amount corrected.
    let url = format!("/api/v1/petitions/{number}/green-channel");
    let (status, _) = s.put(&url, Some(&s.token("ft_supervisor").await), json!({"in_lane": true})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, g) = s.put(&url, Some(&s.token("ft_clerk").await), json!({"in_lane": true, "workers": 1})).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!((g["state"].as_str(), g["amount_claimed"].as_i64(), g["workers"].as_i64()), (Some("confirmed"), Some(15_000), Some(1)));
    let d = s.detail("ft_clerk", &number).await;
    assert_eq!(d["green_channel"], json!(true));
    assert!(d["history"].as_array().unwrap().iter().any(|e| e["action"] == json!("green_channel")), "recorded in the history");
    let (_, l) = s.get_as("ft_clerk", "/api/v1/green-channel").await;
    assert!(l["items"].as_array().unwrap().iter().any(|i| i["number"] == json!(number)));

    // And takes it out again: off the list.
    let (status, _) = s.put(&url, Some(&s.token("ft_clerk").await), json!({"in_lane": false})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, l) = s.get_as("ft_clerk", "/api/v1/green-channel").await;
    assert!(!l["items"].as_array().unwrap().iter().any(|i| i["number"] == json!(number)));
    assert_eq!(s.detail("ft_clerk", &number).await["green_channel"], json!(false));
    s.finish().await;
}

#[tokio::test]
async fn art19_para3_the_green_channel_is_no_way_around_a_refusal() {
    let s = TestServer::start_configured(TestServer::counting).await;
    // The street's petition office is handling the workers' claim…
    let mut letter = migrant_wages("440304001");
    letter["channel"] = json!("letter");
    let (status, first) = s.post_as("ft_ny_clerk", "/api/v1/petitions", letter).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // …when the same workers file the same matter online with the district.
    let (status, again) = s.post("/api/v1/petitions", None, migrant_wages("440304001")).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["refused"]["rule"], json!("art19_3"), "{again}");
    assert_eq!(again["receiving_unit"]["code"], json!("440304-XFJ"), "refused at the bureau, not routed to the lane: {again}");
    let number = again["number"].as_str().unwrap();
    assert_eq!(s.detail("ft_clerk", number).await["green_channel"], json!(false), "a refused submission is not in the lane");
    s.finish().await;
}
