//! Issue 15: the article library and 学法考法 through the API — the
//! official text's import (a file this test writes), the daily self-test,
//! an exam from setting to marking with its window enforced, the monthly
//! contest, and the participation figures recomputed from raw rows.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use xinfang_law::questions::{Kind, question};

/// An import file in the documented format: the library's chapters and
/// `n` articles whose text names the article.
fn official_file(n: u16) -> String {
    let lib = xinfang_law::library();
    let mut s = String::from("# 测试用文本\n");
    for a in 1..=n {
        if let Some(c) = lib.chapters.iter().find(|c| c.first == a) {
            s.push_str(&format!("第{}章 {}\n\n", xinfang_law::cn_number(c.number), c.title));
        }
        s.push_str(&format!("{} 测试条文{a}的第一款。\n测试条文{a}的第二款。\n\n", xinfang_law::article_label(a)));
    }
    s
}

/// The key of a question as the API takes it.
fn key(id: &str) -> Vec<String> {
    let q = question(id).unwrap();
    match q.kind {
        Kind::Blank => q.blanks.iter().map(|b| b[0].clone()).collect(),
        _ => q.answer.clone(),
    }
}

/// A wrong answer of the same shape.
fn wrong(id: &str) -> Vec<String> {
    let q = question(id).unwrap();
    match q.kind {
        Kind::Judge => vec![if q.answer[0] == "对" { "错" } else { "对" }.to_string()],
        Kind::Blank => q.blanks.iter().map(|_| "不知道".to_string()).collect(),
        _ => {
            let letters: Vec<String> = (0..q.options.len()).map(xinfang_law::questions::letter).collect();
            vec![letters.into_iter().find(|l| !q.answer.contains(l)).unwrap()]
        }
    }
}

fn ids(paper: &Value) -> Vec<String> {
    paper["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_article_library_shows_summaries_and_the_imported_official_text() {
    let s = TestServer::start().await;
    // The demo carries the official text; this test starts without it.
    let (_, demo) = s.get("/api/v1/articles/50", None).await;
    assert!(demo["text"][0].as_str().unwrap().contains("2022年5月1日"), "{demo}");
    raw_execute(&s, "DELETE FROM regulation_text").await;
    let (status, list) = s.get("/api/v1/articles", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["articles"].as_array().unwrap().len(), 50);
    assert_eq!(list["chapters"].as_array().unwrap().len(), 6);
    assert_eq!(list["official_text"], false);
    let (_, a36) = s.get("/api/v1/articles/36", None).await;
    assert_eq!(a36["label"], "第三十六条");
    assert_eq!(a36["chapter"]["number"], 4);
    assert!(a36["summary"].as_str().unwrap().len() > 30);
    assert!(a36["summary_note"].as_str().unwrap().contains("不是条例原文"));
    assert!(a36["text"].is_null(), "no official text before an import");
    assert_eq!(s.get("/api/v1/articles/51", None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(s.get("/api/v1/articles/%E7%AC%AC%E4%B8%89%E5%8D%81%E5%85%AD%E6%9D%A1", None).await.1["number"], 36);

    // Only an admin imports, and only a whole, continuous text.
    let admin = s.token("admin").await;
    let clerk = s.token("ft_clerk").await;
    let body = |text: String| json!({"text": text, "source": "测试文件"});
    assert_eq!(s.put("/api/v1/articles/official-text", Some(&clerk), body(official_file(50))).await.0, StatusCode::FORBIDDEN);
    let (status, e) = s.put("/api/v1/articles/official-text", Some(&admin), body(official_file(49))).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_official_text")), "{e}");
    let gap = official_file(50).replace("第十二条 测试条文12", "第十三条 测试条文12");
    let (status, e) = s.put("/api/v1/articles/official-text", Some(&admin), body(gap)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["error"]["message"].as_str().unwrap().contains("应为第十二条"), "{e}");
    assert_eq!(s.get("/api/v1/articles", None).await.1["official_text"], false, "a refused file changes nothing");

    let (status, r) = s.put("/api/v1/articles/official-text", Some(&admin), body(official_file(50))).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!((r["articles"].as_i64(), r["chapters"].as_i64()), (Some(50), Some(6)));
    let (_, a22) = s.get("/api/v1/articles/22", None).await;
    assert_eq!(a22["text"], json!(["测试条文22的第一款。", "测试条文22的第二款。"]));
    assert_eq!(a22["source"], "测试文件");
    assert!(!a22["summary"].as_str().unwrap().contains("测试条文"), "the summary stays the project's");
    // Search reaches the official text too.
    let (_, found) = s.get("/api/v1/articles?q=%E6%B5%8B%E8%AF%95%E6%9D%A1%E6%96%8748", None).await;
    assert_eq!(found["articles"][0]["number"], 48, "{found}");
    s.finish().await;
}

#[tokio::test]
async fn a_daily_self_test_marks_at_once_and_brings_wrong_answers_back() {
    let s = TestServer::start().await;
    let clerk = s.token("ft_clerk").await;
    let (status, t) = s.get("/api/v1/learning/self-test", Some(&clerk)).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let asked = ids(&t);
    assert_eq!(asked.len(), 5);
    assert!(t["questions"][0].get("answer").is_none() && t["questions"][0].get("key").is_none(), "no key before answering");
    assert_eq!(ids(&s.get("/api/v1/learning/self-test", Some(&clerk)).await.1), asked, "the same five all day");

    let (status, r) =
        s.post("/api/v1/learning/self-test/answers", Some(&clerk), json!({"question": asked[0], "answer": wrong(&asked[0])})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["right"], false);
    assert_eq!(r["halves"], 0);
    assert!(!r["explanation"].as_str().unwrap().is_empty() && !r["key"].as_str().unwrap().is_empty());
    assert_eq!(r["next_due"], (today() + chrono::Duration::days(1)).to_string());
    let (_, r) = s.post("/api/v1/learning/self-test/answers", Some(&clerk), json!({"question": asked[1], "answer": key(&asked[1])})).await;
    assert_eq!((r["right"].as_bool(), r["halves"].as_i64()), (Some(true), Some(2)), "{r}");
    assert_eq!(r["next_due"], (today() + chrono::Duration::days(3)).to_string());
    // Sent again (a reload, a double click): marked, not counted twice, the schedule kept.
    let (_, again) =
        s.post("/api/v1/learning/self-test/answers", Some(&clerk), json!({"question": asked[0], "answer": key(&asked[0])})).await;
    assert_eq!(
        (again["right"].as_bool(), again["next_due"].as_str()),
        (Some(true), Some((today() + chrono::Duration::days(1)).to_string().as_str()))
    );
    let (status, e) = s.post("/api/v1/learning/self-test/answers", Some(&clerk), json!({"question": "q999x", "answer": ["A"]})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_question")));
    // Only today's questions are practice: no key for any other.
    let other = xinfang_law::questions::bank().iter().find(|q| !asked.contains(&q.id)).unwrap();
    let (status, e) = s.post("/api/v1/learning/self-test/answers", Some(&clerk), json!({"question": other.id, "answer": ["A"]})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_today")), "{e}");
    let (_, t) = s.get("/api/v1/learning/self-test", Some(&clerk)).await;
    assert_eq!(ids(&t), asked, "the same five after answering");
    assert_eq!(t["done"], false, "two of five answered: {t}");
    // All five answered: the day's set is done (the page offers no form).
    for q in &asked[2..] {
        s.post("/api/v1/learning/self-test/answers", Some(&clerk), json!({"question": q, "answer": key(q)})).await;
    }
    assert_eq!(s.get("/api/v1/learning/self-test", Some(&clerk)).await.1["done"], true);
    assert_eq!(
        s.post("/api/v1/learning/self-test/answers", None, json!({"question": asked[0], "answer": ["A"]})).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Tomorrow, the wrongly answered one comes first.
    raw_execute(&s, &format!("UPDATE learning_reviews SET due = '{}' WHERE question_id = '{}'", today(), asked[0])).await;
    let (_, t) = s.get("/api/v1/learning/self-test", Some(&clerk)).await;
    assert_eq!(ids(&t)[0], asked[0]);
    assert_eq!(t["due_again"], 1);
    assert_eq!(t["answered_today"], 5);
    s.finish().await;
}

fn exam_body(title: &str, opens: &str, closes: &str) -> Value {
    json!({
        "title": title, "units": ["440304-XFJ"], "roles": [],
        "mix": [{"chapter": 3, "kind": "single", "count": 3}, {"kind": "judge", "count": 3}, {"kind": "multiple", "count": 2}, {"kind": "blank", "count": 2}],
        "time_limit_minutes": 30, "pass_mark": 60, "opens_on": opens, "closes_on": closes, "attempts": 2
    })
}

#[tokio::test]
async fn an_exam_is_drawn_per_person_marked_by_the_rule_and_refused_outside_its_window() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    let clerk = s.token("ft_clerk").await;
    let head = s.token("ft_head").await;
    let outsider = s.token("ns_rst_head").await;
    let t = today().to_string();

    assert_eq!(s.post("/api/v1/learning/exams", Some(&clerk), exam_body("x", &t, &t)).await.0, StatusCode::FORBIDDEN);
    let mut too_many = exam_body("太多", &t, &t);
    too_many["mix"] = json!([{"chapter": 6, "count": 150}]);
    let (status, e) = s.post("/api/v1/learning/exams", Some(&admin), too_many).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_mix")), "{e}");
    let (status, e) = s.post("/api/v1/learning/exams", Some(&admin), exam_body("倒置", &t, &days_ago(1))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    // The bank with its keys is the admin's, with what a mix can draw on.
    assert_eq!(s.get("/api/v1/learning/questions", Some(&clerk)).await.0, StatusCode::FORBIDDEN);
    let (status, bank) = s.get("/api/v1/learning/questions?chapter=4&kind=multiple", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{bank}");
    assert!(bank["total"].as_u64().unwrap() >= 150);
    assert!(
        bank["questions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["chapter"] == 4 && q["kind"] == "multiple" && !q["key"].as_str().unwrap().is_empty())
    );

    let (status, exam) = s.post("/api/v1/learning/exams", Some(&admin), exam_body("2026年度学法考试", &t, &t)).await;
    assert_eq!(status, StatusCode::CREATED, "{exam}");
    assert_eq!(exam["questions"], 10);
    // Named: the district bureau; covered: it and the units below it (its
    // street offices), said so that the admin sees who must sit it.
    assert!(exam["units_covered"].as_u64().unwrap() > 1, "{exam}");
    let start = format!("/api/v1/learning/exams/{}/attempts", exam["id"]);

    // Someone not required cannot sit it; the required see it.
    assert_eq!(s.post(&start, Some(&outsider), json!({})).await.0, StatusCode::FORBIDDEN);
    let (_, mine) = s.get("/api/v1/learning/exams", Some(&clerk)).await;
    assert_eq!(mine[0]["mine"]["can_start"], true, "{mine}");
    assert_eq!(s.get("/api/v1/learning/exams", Some(&outsider)).await.1, json!([]));

    let (status, paper) = s.post(&start, Some(&clerk), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{paper}");
    let qs = ids(&paper);
    assert_eq!(qs.len(), 10);
    let kinds: Vec<Kind> = qs.iter().map(|id| question(id).unwrap().kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == Kind::Judge).count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == Kind::Multiple).count(), 2);
    // Resuming returns the same paper; another person gets another.
    assert_eq!(ids(&s.post(&start, Some(&clerk), json!({})).await.1), qs);
    let (_, other) = s.post(&start, Some(&head), json!({})).await;
    assert_ne!(ids(&other), qs);

    // A hand-marked paper: every question right except one multiple half
    // right (a correct subset) and one judge wrong: 20 - 1 - 2 = 17 halves → 85 %.
    let mut answers: HashMap<String, Vec<String>> = qs.iter().map(|id| (id.clone(), key(id))).collect();
    let multi = qs.iter().find(|id| question(id).unwrap().kind == Kind::Multiple).unwrap();
    answers.insert(multi.clone(), vec![question(multi).unwrap().answer[0].clone()]);
    let judge = qs.iter().find(|id| question(id).unwrap().kind == Kind::Judge).unwrap();
    answers.insert(judge.clone(), wrong(judge));
    let submit = format!("/api/v1/learning/attempts/{}/submit", paper["attempt"]);
    let (status, e) = s.post(&submit, Some(&head), json!({"answers": answers})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not someone else's paper: {e}");
    let (status, done) = s.post(&submit, Some(&clerk), json!({"answers": answers})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["percent"], 85);
    assert_eq!(done["passed"], true);
    assert!(done["marked"].is_null(), "no keys while others may still sit it: {done}");
    // The keys are shown from the day after the exam closes: a date, the
    // wording is the page's.
    let closes = chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d").unwrap();
    assert_eq!(done["keys_from"], closes.succ_opt().unwrap().to_string(), "{done}");
    // While a paper is open, practice gives no keys (the bank is shared).
    let (_, st) = s.get("/api/v1/learning/self-test", Some(&head)).await;
    let (status, e) = s.post("/api/v1/learning/self-test/answers", Some(&head), json!({"question": ids(&st)[0], "answer": ["A"]})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("paper_open")), "{e}");
    assert_eq!(s.post(&submit, Some(&clerk), json!({"answers": answers})).await.0, StatusCode::CONFLICT, "once");
    let (_, mine) = s.get("/api/v1/learning/exams", Some(&clerk)).await;
    assert_eq!((mine[0]["mine"]["passed"].as_bool(), mine[0]["mine"]["can_start"].as_bool()), (Some(true), Some(false)));

    // The head's paper, left open past the exam's last day, is refused.
    raw_execute(&s, &format!("UPDATE exams SET opens_on = '{}', closes_on = '{}' WHERE id = {}", days_ago(3), days_ago(1), exam["id"]))
        .await;
    let late = format!("/api/v1/learning/attempts/{}/submit", other["attempt"]);
    let (status, e) = s.post(&late, Some(&head), json!({"answers": {}})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("exam_closed")), "{e}");
    // Once the exam is over, the clerk's paper shows each mark and key:
    // the multiple-choice subset earned half.
    let (_, after) = s.get(&format!("/api/v1/learning/attempts/{}", paper["attempt"]), Some(&clerk)).await;
    let m = after["marked"].as_array().unwrap().iter().find(|x| x["id"] == multi.as_str()).unwrap();
    assert_eq!(m["halves"], 1);
    assert!(!m["key"].as_str().unwrap().is_empty());
    // An exam whose window has closed cannot be started.
    let (_, closed) = s.post("/api/v1/learning/exams", Some(&admin), exam_body("已结束", &days_ago(5), &days_ago(1))).await;
    let (status, e) = s.post(&format!("/api/v1/learning/exams/{}/attempts", closed["id"]), Some(&clerk), json!({})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("exam_not_open")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("已结束"));
    s.finish().await;
}

#[tokio::test]
async fn a_failed_paper_may_be_sat_again_within_the_sittings_allowed() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    let clerk = s.token("ft_clerk").await;
    let t = today().to_string();
    let (_, exam) = s.post("/api/v1/learning/exams", Some(&admin), exam_body("补考规则", &t, &days_ahead(2))).await;
    let start = format!("/api/v1/learning/exams/{}/attempts", exam["id"]);
    for round in 1..=2 {
        let (status, paper) = s.post(&start, Some(&clerk), json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "sitting {round}: {paper}");
        let (_, done) =
            s.post(&format!("/api/v1/learning/attempts/{}/submit", paper["attempt"]), Some(&clerk), json!({"answers": {}})).await;
        assert_eq!((done["percent"].as_i64(), done["passed"].as_bool()), (Some(0), Some(false)));
    }
    let (status, e) = s.post(&start, Some(&clerk), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "two sittings allowed: {e}");
    s.finish().await;
}

#[tokio::test]
async fn the_monthly_contest_ranks_the_better_then_the_faster() {
    let s = TestServer::start().await;
    let mut scores = Vec::new();
    for (user, right) in [("ft_clerk", 20), ("ft_head", 10)] {
        let token = s.token(user).await;
        let (status, paper) = s.post("/api/v1/learning/contest/attempts", Some(&token), json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{paper}");
        let qs = ids(&paper);
        assert_eq!(qs.len(), 20);
        let answers: HashMap<String, Vec<String>> = qs.iter().take(right).map(|id| (id.clone(), key(id))).collect();
        let (_, done) =
            s.post(&format!("/api/v1/learning/attempts/{}/submit", paper["attempt"]), Some(&token), json!({"answers": answers})).await;
        scores.push(done["percent"].as_i64().unwrap());
        assert_eq!(ids(&s.post("/api/v1/learning/contest/attempts", Some(&token), json!({})).await.1), qs, "one paper a month");
    }
    assert_eq!(scores, vec![100, 50]);
    let (_, c) = s.get("/api/v1/learning/contest", Some(&s.token("ft_supervisor").await)).await;
    let board = c["leaderboard"].as_array().unwrap();
    assert_eq!(board.len(), 2, "{c}");
    assert_eq!((board[0]["name"].as_str(), board[0]["percent"].as_i64()), (Some("福田区信访局登记员"), Some(100)));
    assert_eq!(board[1]["rank"], 2);
    let (_, far) = s.get("/api/v1/learning/contest", Some(&s.token("ns_rst_head").await)).await;
    assert_eq!(far["leaderboard"], json!([]), "another district's board");
    s.finish().await;
}

#[tokio::test]
async fn participation_figures_match_a_recount_from_raw_rows() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    let t = today().to_string();
    let (_, exam) = s.post("/api/v1/learning/exams", Some(&admin), exam_body("参与率", &t, &t)).await;
    let start = format!("/api/v1/learning/exams/{}/attempts", exam["id"]);
    // The clerk passes, the head fails, the supervisor only practises.
    for (user, pass) in [("ft_clerk", true), ("ft_head", false)] {
        let token = s.token(user).await;
        let (_, paper) = s.post(&start, Some(&token), json!({})).await;
        let answers: HashMap<String, Vec<String>> =
            if pass { ids(&paper).iter().map(|id| (id.clone(), key(id))).collect() } else { HashMap::new() };
        s.post(&format!("/api/v1/learning/attempts/{}/submit", paper["attempt"]), Some(&token), json!({"answers": answers})).await;
    }
    let sup = s.token("ft_supervisor").await;
    let (_, st) = s.get("/api/v1/learning/self-test", Some(&sup)).await;
    let q0 = ids(&st)[0].clone();
    s.post("/api/v1/learning/self-test/answers", Some(&sup), json!({"question": q0, "answer": wrong(&q0)})).await;

    let (status, p) = s.get("/api/v1/learning/participation", Some(&sup)).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    // Levels from the top down (province, city, county …), not by code.
    let order = ["province", "city", "county", "township", "village"];
    let levels: Vec<usize> = p["levels"].as_array().unwrap().iter().map(|l| order.iter().position(|o| *o == l["code"]).unwrap()).collect();
    assert!(levels.windows(2).all(|w| w[0] < w[1]), "{}", p["levels"]);
    assert_eq!(s.get("/api/v1/learning/participation", Some(&s.token("ft_clerk").await)).await.0, StatusCode::FORBIDDEN);

    // The recount: the bureau's active staff, who answered a practice or
    // contest question, who handed in a paper, whose paper passed.
    let unit = raw_rows(&s, "SELECT id FROM units WHERE code = '440304-XFJ'").await[0].get::<i64, _>("id");
    let staff: HashSet<i64> = raw_rows(&s, &format!("SELECT id FROM users WHERE unit_id = {unit} AND active = 1 AND role <> 'admin'"))
        .await
        .iter()
        .map(|r| r.get::<i64, _>("id"))
        .collect();
    let practised: HashSet<i64> = raw_rows(&s, "SELECT user_id FROM learning_answers WHERE context <> 'exam'")
        .await
        .iter()
        .map(|r| r.get::<i64, _>("user_id"))
        .filter(|u| staff.contains(u))
        .collect();
    let sittings = raw_rows(
        &s,
        &format!("SELECT user_id, passed, percent FROM exam_attempts WHERE exam_id = {} AND submitted_at IS NOT NULL", exam["id"]),
    )
    .await;
    let sat: HashSet<i64> = sittings.iter().map(|r| r.get::<i64, _>("user_id")).filter(|u| staff.contains(u)).collect();
    let passed: HashSet<i64> = sittings.iter().filter(|r| r.get::<i64, _>("passed") == 1).map(|r| r.get::<i64, _>("user_id")).collect();
    let pct = |n: usize, d: usize| ((n as f64) * 1000.0 / (d as f64)).round() / 10.0;
    let row = p["units"].as_array().unwrap().iter().find(|u| u["code"] == "440304-XFJ").unwrap();
    assert_eq!(row["staff"].as_u64().unwrap() as usize, staff.len());
    assert_eq!(row["practised"].as_u64().unwrap() as usize, practised.len());
    assert_eq!(row["study_rate"].as_f64().unwrap(), pct(practised.len(), staff.len()));
    assert_eq!(row["required"].as_u64().unwrap() as usize, staff.len(), "every role of the bureau must sit it");
    assert_eq!(row["exam_rate"].as_f64().unwrap(), pct(sat.len(), staff.len()));
    assert_eq!(row["pass_rate"].as_f64().unwrap(), pct(passed.len(), sat.len()));
    assert_eq!(row["average_score"].as_f64().unwrap(), 50.0);
    assert!(p["weakest"].as_array().unwrap().is_empty() || p["weakest"][0]["answers"].as_u64().unwrap() >= 3);
    // The export carries the same row.
    let csv = s
        .client
        .get(format!("{}/api/v1/learning/participation?format=csv", s.base))
        .bearer_auth(&sup)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("福田区信访局") && csv.contains("参学率"), "{csv}");
    s.finish().await;
}

/// Follow the guide's choices whose labels contain each word, from start.
fn follow(words: &[&str]) -> String {
    use xinfang_law::guide::{Node, guide};
    let mut at = "start".to_string();
    for w in words {
        match guide().node(&at).unwrap() {
            Node::Step(s) => at = s.choices.iter().find(|c| c.label.contains(w)).unwrap_or_else(|| panic!("no {w} at {at}")).goto.clone(),
            Node::End(_) => panic!("ended before {w}"),
        }
    }
    at
}

#[tokio::test]
async fn the_citizen_guide_sends_a_judgment_to_the_courts_and_wages_to_the_form() {
    let s = TestServer::start().await;
    let page = |path: String| {
        let c = s.client.clone();
        let url = format!("{}{path}", s.base);
        async move {
            let r = c.get(url).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    // Every choice from start is a link; follow the labels a citizen reads.
    let (status, start) = page("/guide/way".into()).await;
    assert_eq!(status, StatusCode::OK);
    let first = xinfang_law::guide::guide().steps.iter().find(|s| s.id == "start").unwrap();
    for c in &first.choices {
        assert!(start.contains(&format!("/guide/way?at={}", c.goto)), "{}", c.label);
    }
    for end in ["court", "wages"] {
        // The path to each end, found by walking the tree the page shows.
        let path = path_to(end);
        let at = follow(&path.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(at, end);
        let (_, html) = page(format!("/guide/way?at={at}")).await;
        if end == "court" {
            assert!(html.contains("data-kind=\"outside\"") && !html.contains("id=\"way-form\""), "{html}");
            assert!(html.contains("/law/28") || html.contains("/law/31"));
        } else {
            assert!(html.contains("href=\"/submit?category=claim&#38;topic=0202\""), "{html}");
        }
    }
    // The form opens with the topic chosen.
    let (_, form) = page("/submit?category=claim&topic=0202".into()).await;
    assert!(form.contains("value=\"0202\" selected"), "the labour topic preselected");
    // The article pages and the guidance pages.
    let (status, art) = page("/law/36".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(art.contains("第三十六条") && art.contains("通俗摘要") && art.contains("不是条例原文"));
    for p in &xinfang_law::guide::guide().pages {
        let (status, html) = page(format!("/guide/{}", p.slug)).await;
        assert_eq!(status, StatusCode::OK, "{}", p.slug);
        assert!(html.contains(&p.title));
    }
    assert_eq!(page("/law/51".into()).await.0, StatusCode::NOT_FOUND);
    s.finish().await;
}

/// The labels leading from start to an end (first found, depth first).
fn path_to(end: &str) -> Vec<String> {
    use xinfang_law::guide::{Node, guide};
    fn walk(at: &str, end: &str, path: &mut Vec<String>) -> bool {
        if at == end {
            return true;
        }
        let Some(Node::Step(s)) = guide().node(at) else { return false };
        for c in &s.choices {
            path.push(c.label.clone());
            if walk(&c.goto, end, path) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    assert!(walk("start", end, &mut path), "{end} unreachable");
    path
}

#[tokio::test]
async fn a_paper_whose_time_runs_out_is_handed_in_with_the_answers_saved() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    let clerk = s.token("ft_clerk").await;
    let t = today().to_string();
    let (_, exam) = s.post("/api/v1/learning/exams", Some(&admin), exam_body("保存答案", &t, &t)).await;
    let (_, paper) = s.post(&format!("/api/v1/learning/exams/{}/attempts", exam["id"]), Some(&clerk), json!({})).await;
    let qs = ids(&paper);
    let draft = format!("/api/v1/learning/attempts/{}/draft", paper["attempt"]);
    // Saved: every answer right but the last question left open.
    let answers: HashMap<String, Vec<String>> = qs.iter().take(qs.len() - 1).map(|id| (id.clone(), key(id))).collect();
    let (status, e) = s.put(&draft, Some(&clerk), json!({"answers": answers})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{e}");
    let (status, e) = s.put(&draft, Some(&clerk), json!({"answers": {"q999x": ["A"]}})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_question")));
    assert_eq!(s.put(&draft, Some(&s.token("ft_head").await), json!({"answers": {}})).await.0, StatusCode::NOT_FOUND);
    let (_, again) = s.get(&format!("/api/v1/learning/attempts/{}", paper["attempt"]), Some(&clerk)).await;
    assert_eq!(again["draft"].as_object().unwrap().len(), qs.len() - 1);

    // The browser closes; the time runs out; the paper is handed in with
    // what was saved when anyone next looks.
    raw_execute(&s, &format!("UPDATE exam_attempts SET deadline_at = '2000-01-01T00:00:00.000000Z' WHERE id = {}", paper["attempt"])).await;
    let (_, mine) = s.get("/api/v1/learning/exams", Some(&clerk)).await;
    let m = &mine.as_array().unwrap().iter().find(|e| e["id"] == exam["id"]).unwrap()["mine"];
    assert_eq!((m["sittings"].as_i64(), m["best_percent"].as_i64(), m["passed"].as_bool()), (Some(1), Some(90), Some(true)), "{m}");
    let (status, e) = s.post(&format!("/api/v1/learning/attempts/{}/submit", paper["attempt"]), Some(&clerk), json!({"answers": {}})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_submitted")), "{e}");
    s.finish().await;
}
