//! The statutory procedure through the HTTP API, on a real server and a
//! real database (SQLite by default, PostgreSQL with
//! XINFANG_TEST_DATABASE_URL). Tests are named after the article they check.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Datelike, NaiveDate, Weekday};
use common::*;
use reqwest::StatusCode;
use serde_json::json;
use xinfang_domain::deadline::{CountingPolicy, DayUnit, Pause, PauseReason, compute_due};

fn date(v: &serde_json::Value) -> NaiveDate {
    NaiveDate::parse_from_str(v.as_str().expect("date string"), "%Y-%m-%d").expect("date")
}

fn shipped_calendar() -> xinfang_domain::calendar::HolidayCalendar {
    let (years, days) = xinfang::seed::parse_calendar(xinfang::seed::HOLIDAYS_CSV).expect("calendar");
    xinfang_domain::calendar::HolidayCalendar::new(years, days)
}

/// The whole "done when" journey of issue 2: online submission → forward →
/// accept → one extension (a second refused) → rejected → 复查 upheld at
/// the city → 复核 at the province with a 3-day hearing → closed → the same
/// facts and reasons refused under Art. 36.
#[tokio::test]
async fn art36_online_petition_through_review_and_final_review_then_not_reaccepted() {
    let s = TestServer::start_configured(TestServer::counting).await;
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim("王五", "440304197503150015")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let code = sub["query_code"].as_str().unwrap().to_string();
    assert!(number.starts_with("XF-440304-"), "{number}");
    assert_eq!(sub["receiving_unit"]["code"], "440304-XFJ");
    assert_eq!(deadline(&sub["deadlines"], "T1")["length"], 15);

    // The county clerk forwards to the district human-resources bureau.
    let r = s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    assert_eq!(r["state"], "forwarded");
    assert!(deadline(&r["deadlines"], "T1")["met_at"].is_string());
    // The handling unit accepts on route (6): 60 days (Art. 34).
    let r = s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    assert_eq!(r["state"], "handling");
    let t6 = deadline(&r["deadlines"], "T6");
    assert_eq!(t6["length"], 60);
    let t6_due = date(&t6["due_on"]);
    // Extended once with the head's approval; a second extension is refused.
    let r = s.act("ft_rst_head", &number, "extend", json!({"days": 30, "reason": "需要调取银行流水核实"})).await;
    let t6 = deadline(&r["deadlines"], "T6");
    assert_eq!(t6["extension_days"], 30);
    // 60 + 30 days from the start, rolled forward past a weekend or
    // holiday like the first due date was (that roll is not added twice:
    // a first due date rolled from a Saturday to Monday gives 28 more days).
    let started = date(&t6["started_on"]);
    assert!(date(&t6["due_on"]) >= started + chrono::Duration::days(90) && date(&t6["due_on"]) > t6_due, "{t6} after {t6_due}");
    let (status, err) = s.try_act("ft_rst_head", &number, "extend", json!({"days": 10, "reason": "仍需核实"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["error"]["code"], "extension_already_granted");
    assert!(err["error"]["message"].as_str().unwrap().contains("第三十四条"));
    // Concluded as rejected (不予支持) and delivered today.
    s.act(
        "ft_rst_officer",
        &number,
        "conclude",
        json!({"outcome": "rejected", "request": "支付工资", "facts_and_reasons": "经核查，申请人与该公司不存在劳动关系", "decision": "不予支持", "legal_basis": "《中华人民共和国劳动合同法》第七条"}),
    )
    .await;
    let r = s.act("ft_rst_officer", &number, "deliver", json!({"method": "post", "delivered_on": today().to_string()})).await;
    assert_eq!(r["state"], "replied");
    assert_eq!(date(&deadline(&r["deadlines"], "T7")["due_on"]), today() + chrono::Duration::days(30));

    // The petitioner asks for 复查 within 30 days; the city-level unit reviews.
    let (status, r) = s.post(&format!("/api/v1/track/{number}/review-request?code={code}"), None, json!({"reason": "我有劳动合同"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "under_review");
    // A county clerk cannot act as the city reviewer.
    let uphold = json!({"outcome": "uphold", "opinion": "维持原处理意见", "facts_and_reasons": "原处理认定事实清楚", "legal_basis": "《信访工作条例》第三十五条"});
    let (status, err) = s.try_act("ft_clerk", &number, "decide_review", uphold.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    s.act("sz_rst_reviewer", &number, "decide_review", uphold.clone()).await;
    let r = s.act("sz_rst_reviewer", &number, "deliver", json!({"method": "in_person", "delivered_on": today().to_string()})).await;
    assert_eq!(r["state"], "reviewed");

    // 复核 at the province, with a 3-day hearing excluded from the 30 days.
    let (status, r) = s.post(&format!("/api/v1/track/{number}/review-request"), None, json!({"code": code})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "under_final_review");
    let t10 = deadline(&r["deadlines"], "T10");
    let (start, before) = (date(&t10["started_on"]), date(&t10["due_on"]));
    let r = s
        .act(
            "gd_rst_reviewer",
            &number,
            "hold_hearing",
            json!({"held_from": days_ahead(2), "held_to": days_ahead(4), "summary": "公开听证，双方到场"}),
        )
        .await;
    let t10 = deadline(&r["deadlines"], "T10");
    let after = date(&t10["due_on"]);
    assert_eq!(t10["pauses"][0]["days"], 3);
    let cal = shipped_calendar();
    let policy = CountingPolicy::StartExcludedRollForward;
    let pause = Pause { from: today() + chrono::Duration::days(2), to: today() + chrono::Duration::days(4), reason: PauseReason::Hearing };
    assert_eq!(before, compute_due(start, 30, DayUnit::Calendar, &[], 0, policy, &cal).due_on);
    assert_eq!(after, compute_due(start, 30, DayUnit::Calendar, &[pause], 0, policy, &cal).due_on);
    let raw = start + chrono::Duration::days(30);
    let weekday = |d: NaiveDate| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    if weekday(raw) && weekday(raw + chrono::Duration::days(3)) {
        assert_eq!((after - before).num_days(), 3, "the hearing moves the due date by its 3 days");
    } else {
        assert!((after - before).num_days() >= 1, "a weekend roll absorbs part of the shift");
    }
    s.act("gd_rst_reviewer", &number, "decide_final_review", uphold).await;
    let r = s.act("gd_rst_reviewer", &number, "deliver", json!({"method": "in_person", "delivered_on": today().to_string()})).await;
    assert_eq!(r["state"], "closed");
    let d = s.detail("gd_leader", &number).await;
    assert_eq!(d["terminated"], true);
    let actions: Vec<&str> = d["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "submit",
            "forward",
            "accept",
            "extend",
            "conclude",
            "deliver",
            "request_review",
            "decide_review",
            "deliver",
            "request_final_review",
            "hold_hearing",
            "decide_final_review",
            "deliver"
        ]
    );
    let seqs: Vec<i64> = d["history"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=13).collect::<Vec<_>>());

    // Same petitioner, same facts and reasons (reworded punctuation): refused.
    let mut again = online_claim("王五", "440304197503150015");
    again["facts_and_reasons"] = json!("本人在某科技公司任职，公司自2026年7月起停发工资；多次催要无果，已向公司人事部门书面反映");
    // It is registered with its own number as 不再受理, with the notice.
    let (status, refused) = s.post("/api/v1/petitions", None, again).await;
    assert_eq!(status, StatusCode::CREATED, "{refused}");
    assert_eq!(refused["state"], "not_reaccepted");
    assert_eq!(refused["refused"]["rule"], "art36");
    // The citizen is not told the earlier number (no oracle on other people).
    assert!(refused["refused"]["earlier"].is_null() && refused["repeat_of"].is_null(), "{refused}");
    assert!(refused["refused"]["notice"].as_str().unwrap().contains("第三十六条"));
    assert!(!refused["refused"]["notice"].as_str().unwrap().contains(number.as_str()));
    // The refusal is on the record of the earlier petition.
    let d = s.detail("gd_leader", &number).await;
    assert_eq!(d["history"].as_array().unwrap().last().unwrap()["action"], "repeat_refused");
    s.finish().await;
}

/// Deliver a decision letter `delivered_days_ago` days ago on a letter
/// registered by the 福田区 clerk; returns (number, query code).
async fn replied_petition(s: &TestServer, delivered_days_ago: i64) -> (String, String) {
    let start = delivered_days_ago + 10;
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", letter(&days_ago(start))).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    s.act_on_paper("ft_head", &number, "forward", json!({"unit": "440304-RST", "occurred_on": days_ago(start)})).await;
    s.act_on_paper("ft_rst_head", &number, "accept", json!({"route": 6, "occurred_on": days_ago(start - 1)})).await;
    s.act_on_paper(
        "ft_rst_head",
        &number,
        "conclude",
        json!({"occurred_on": days_ago(delivered_days_ago), "outcome": "explained", "request": "支付工资", "facts_and_reasons": "经查", "decision": "解释说明", "legal_basis": "劳动合同法"}),
    )
    .await;
    s.act_on_paper(
        "ft_rst_head",
        &number,
        "deliver",
        json!({"occurred_on": days_ago(delivered_days_ago), "method": "post", "delivered_on": days_ago(delivered_days_ago)}),
    )
    .await;
    (number, sub["query_code"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn art35_review_request_on_day_31_refused_unless_good_reason_approved() {
    let s = TestServer::start_configured(TestServer::counting).await;
    let (number, code) = replied_petition(&s, 31).await;
    let (status, err) = s.post(&format!("/api/v1/track/{number}/review-request?code={code}"), None, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["error"]["rule"], "art35");
    assert!(err["error"]["message"].as_str().unwrap().contains("第三十五条"));
    // The track page shows no open window.
    let (_, view) = s.get(&format!("/api/v1/track/{number}?code={code}"), None).await;
    assert!(view["review_window"].is_null());
    // A handling officer of the reviewing unit cannot approve the override.
    let (status, _) = s.try_act("sz_rst_officer", &number, "request_review", json!({"good_reason": "住院"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The reviewer at the superior unit files the good reason; only the
    // head of that unit finds it, in the head's own session (four eyes).
    let (status, req) = s.try_act("sz_rst_reviewer", &number, "request_review", json!({"good_reason": "信访人住院治疗，有医院证明"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{req}");
    let (_, queue) = s.get_as("sz_rst_head", "/api/v1/approvals").await;
    assert_eq!(queue[0]["action"], "request_review");
    let (status, r) = s.post_as("sz_rst_head", &format!("/api/v1/approvals/{}/approve", req["approval_id"]), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "under_review");
    let d = s.detail("sz_rst_reviewer", &number).await;
    assert_eq!(d["review_unit"]["code"], "4403-RST");
    assert_eq!(d["history"].as_array().unwrap().last().unwrap()["payload"]["late_override"], true);
    s.finish().await;
}

#[tokio::test]
async fn art35_review_request_on_day_30_goes_through() {
    let s = TestServer::start_configured(TestServer::counting).await;
    let (number, code) = replied_petition(&s, 30).await;
    let (_, view) = s.get(&format!("/api/v1/track/{number}?code={code}"), None).await;
    assert_eq!(view["review_window"]["days_left"], 0);
    let (status, r) = s.post(&format!("/api/v1/track/{number}/review-request?code={code}"), None, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    s.finish().await;
}

#[tokio::test]
async fn art23_objection_deadline_skips_national_day_and_counts_make_up_saturday() {
    let s = TestServer::start_configured(TestServer::counting).await;
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", letter("2026-09-30")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let r = s.act_on_paper("ft_head", &number, "forward", json!({"unit": "440304-RST", "occurred_on": "2026-09-30"})).await;
    let t4 = deadline(&r["deadlines"], "T4");
    assert_eq!(t4["due_on"], "2026-10-13");
    assert_eq!(t4["day_unit"], "working");
    assert_eq!(t4["provisional"], false);
    let (status, err) = s
        .try_act("ft_rst_head", &number, "object", with_evidence(json!({"reasons": "不属于本单位职责", "occurred_on": "2026-10-14"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["error"]["rule"], "art23");
    let r = s.act_on_paper("ft_rst_head", &number, "object", json!({"reasons": "属于住建部门职责", "occurred_on": "2026-10-13"})).await;
    assert_eq!(r["state"], "objected");
    // The bureau agrees: the petition comes back for re-routing.
    let r = s.act_on_paper("ft_head", &number, "approve_objection", json!({"occurred_on": "2026-10-14"})).await;
    assert_eq!(r["state"], "registered");
    let r = s.act_on_paper("ft_head", &number, "forward", json!({"unit": "440304-ZJT", "occurred_on": "2026-10-14"})).await;
    assert_eq!(r["state"], "forwarded");
    let d = s.detail("ft_zjt_officer", &number).await;
    assert_eq!(d["current_unit"]["code"], "440304-ZJT");
    s.finish().await;
}

#[tokio::test]
async fn art34_sixty_day_deadline_into_2027_is_provisional() {
    let s = TestServer::start_configured(TestServer::counting).await;
    let (_, sub) = s.post_as("ft_clerk", "/api/v1/petitions", letter("2026-11-18")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    s.act_on_paper("ft_head", &number, "forward", json!({"unit": "440304-RST", "occurred_on": "2026-11-19"})).await;
    let r = s.act_on_paper("ft_rst_head", &number, "accept", json!({"route": 6, "occurred_on": "2026-11-20"})).await;
    let t6 = deadline(&r["deadlines"], "T6");
    assert_eq!(t6["due_on"], "2027-01-19");
    assert_eq!(t6["provisional"], true);
    assert_eq!(t6["policy"], "start_excluded_roll_forward");
    // Within 2026 the calendar is authoritative.
    assert_eq!(deadline(&r["deadlines"], "T3")["provisional"], false);
    s.finish().await;
}

#[tokio::test]
async fn art22_litigation_related_matter_goes_to_the_legal_department() {
    let s = TestServer::start_configured(TestServer::counting).await;
    let mut v = online_claim("赵六", "440305198505056787");
    v["litigation_related"] = json!(true);
    let (_, sub) = s.post("/api/v1/petitions", None, v).await;
    let number = sub["number"].as_str().unwrap().to_string();
    let (status, err) = s.try_act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["error"]["rule"], "art22");
    let r = s.act("ft_clerk", &number, "refer_legal", json!({"unit": "440304-FY"})).await;
    assert_eq!(r["state"], "forwarded");
    let r = s.act("ft_fy_officer", &number, "accept", json!({"route": 1})).await;
    assert_eq!(r["state"], "handling");
    let r = s.act("ft_fy_officer", &number, "redirect", json!({"procedure": "民事诉讼", "guidance": "请依法向人民法院提起诉讼"})).await;
    assert_eq!(r["state"], "redirected");
    s.finish().await;
}

#[tokio::test]
async fn art24_disputed_competence_decided_by_the_common_superior() {
    let s = TestServer::start_configured(TestServer::counting).await;
    let (_, sub) = s
        .post_as("sz_clerk", "/api/v1/petitions", {
            let mut v = letter(&days_ago(1));
            v["jurisdiction"] = json!("4403");
            v
        })
        .await;
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("sz_clerk", &number, "start_negotiation", json!({"units": ["440304-RST", "440305-RST"]})).await;
    let r = s.act("sz_clerk", &number, "escalate_dispute", json!({})).await;
    assert_eq!(r["state"], "awaiting_competence_decision");
    let (status, _) = s.try_act("ns_rst_head", &number, "decide_competence", json!({"unit": "440305-RST", "reason": "属地"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = s.act("sz_rst_head", &number, "decide_competence", json!({"unit": "440305-RST", "reason": "用人单位注册地在南山区"})).await;
    assert_eq!(r["state"], "forwarded");
    let d = s.detail("ns_rst_officer", &number).await;
    assert_eq!(d["current_unit"]["code"], "440305-RST");
    s.finish().await;
}

#[tokio::test]
async fn art22_assignment_carries_a_due_date_and_art40_supervision() {
    let s = TestServer::start_configured(TestServer::counting).await;
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("钱七", "11010519491231002X")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    // Art. 34: no more time than the statutory limits (15 + 60 + 30 days).
    let (status, err) =
        s.try_act("ft_head", &number, "assign", json!({"unit": "440304-RST", "due_on": days_ahead(106), "instructions": "请办理"})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("assign_due_beyond_limits")), "{err}");
    let r = s
        .act(
            "ft_head",
            &number,
            "assign",
            json!({"unit": "440304-RST", "due_on": days_ahead(20), "instructions": "请于期限内报送办结报告"}),
        )
        .await;
    assert_eq!(deadline(&r["deadlines"], "T5")["due_on"], days_ahead(20));
    let (status, _) = s.try_act("ns_clerk", &number, "supervise", json!({"reason": "逾期"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a sibling county's bureau cannot even see it");
    s.act("sz_supervisor", &number, "supervise", json!({"reason": "请加快办理", "suggestions": "当面约谈信访人"})).await;
    let d = s.detail("ft_rst_officer", &number).await;
    assert_eq!(d["supervised"], true);
    // The act posted on the petition opens a case the unit must answer in
    // writing, as one opened at /supervision/cases does.
    let (status, cases) = s.get_as("ft_rst_head", "/api/v1/supervision/cases?role=supervised").await;
    assert_eq!(status, StatusCode::OK, "{cases}");
    let case = cases.as_array().unwrap().iter().find(|c| c["number"] == number.as_str()).expect("a case for the 督办");
    assert_eq!((case["kind"].as_str(), case["status"].as_str()), (Some("manual"), Some("open")), "{case}");
    assert_eq!(case["supervising_unit"]["code"], "4403-XFJ", "{case}");
    assert_eq!(case["reason"], "请加快办理");
    assert!(case["reply_due_on"].as_str().unwrap() > chrono::Utc::now().format("%Y-%m-%d").to_string().as_str(), "{case}");
    let (status, body) = s
        .post_as(
            "ft_rst_head",
            &format!("/api/v1/supervision/cases/{}/reply", case["id"]),
            json!({"reply": "已约谈信访人，正在核查工资发放记录。"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    s.finish().await;
}

#[tokio::test]
async fn art21_a_lost_query_code_is_reissued_once_and_the_old_one_stops_working() {
    let s = TestServer::start_configured(TestServer::counting).await;
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim("遗失人", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let old = sub["query_code"].as_str().unwrap().to_string();
    // Not an act without a staff login (the query code opens no staff act), nor another unit's.
    let (status, _) =
        s.post(&format!("/api/v1/petitions/{number}/actions/reissue_query_code?code={old}"), None, json!({"reason": "x"})).await;
    assert!(status.is_client_error(), "{status}");
    for other in ["ns_clerk", "ft_rst_officer", "sz_supervisor"] {
        let (status, err) = s.try_act(other, &number, "reissue_query_code", json!({"reason": "信访人来电"})).await;
        assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND, "{other}: {status} {err}");
    }
    // A reason (how the clerk checked who asks) is required.
    let (status, err) = s.try_act("ft_clerk", &number, "reissue_query_code", json!({"reason": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let r = s.act("ft_clerk", &number, "reissue_query_code", json!({"reason": "信访人持身份证原件到接待窗口申请，已核对"})).await;
    let new = r["query_code"].as_str().unwrap_or_else(|| panic!("{r}")).to_string();
    assert_ne!(new, old);
    assert_eq!(r["state"], sub["state"], "no step of the procedure: {r}");
    assert!(r["notice"].as_str().unwrap().contains("原查询码不再有效"), "{r}");
    let (status, _) = s.get(&format!("/api/v1/track/{number}?code={old}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old code no longer opens the matter");
    let (status, view) = s.get(&format!("/api/v1/track/{number}?code={new}"), None).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert!(view.to_string().contains("补发查询码"), "the petitioner sees that a code was reissued: {view}");
    // The code is never stored or shown again: not in the history, not in a later answer.
    let d = s.detail("ft_clerk", &number).await;
    assert!(!d.to_string().contains(&new), "{d}");
    assert!(d["history"].to_string().contains("reissue_query_code"), "{}", d["history"]);
    // The record still verifies: the event binds the new code's hash.
    let v = s.store.verify_record(None).await.unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    // Nothing on paper to date back: a reissue typed into the past is refused, nothing done.
    let (_, earlier) = s.post_as("ft_clerk", "/api/v1/petitions", letter(&days_ago(5))).await;
    let earlier_number = earlier["number"].as_str().unwrap().to_string();
    let earlier_code = earlier["query_code"].as_str().unwrap().to_string();
    let late = json!({"reason": "补录", "occurred_on": days_ago(2)});
    let (status, err) = s.try_act("ft_clerk", &earlier_number, "reissue_query_code", late).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("no_late_entry")), "{err}");
    let (status, _) = s.get(&format!("/api/v1/track/{earlier_number}?code={earlier_code}"), None).await;
    assert_eq!(status, StatusCode::OK, "the code given out still works");
    // An anonymous petition: nobody to check the asker against.
    let mut anonymous = online_claim("匿名", "440304199001011233");
    anonymous["anonymous"] = json!(true);
    anonymous["petitioners"] = json!([]);
    let (status, sub) = s.post("/api/v1/petitions", None, anonymous).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let (status, err) =
        s.try_act("ft_clerk", sub["number"].as_str().unwrap(), "reissue_query_code", json!({"reason": "来电自称本人"})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("anonymous_petition")), "{err}");
    s.finish().await;
}
