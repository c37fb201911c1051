//! Letters as PDF (issue 11): a petition through acceptance, extension,
//! conclusion and 复查 has each letter issued with its act, numbered,
//! stored once (its SHA-256 never changes), downloadable by staff, and —
//! for the letters addressed to the petitioner — by number and query code.
//! `pdftotext` reads back the petitioner's name, the number, the dates and
//! the legal basis from the record (poppler-utils: `scripts/setup.sh`).

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn cn(d: chrono::NaiveDate) -> String {
    xinfang_domain::letters::cn_date(d)
}

async fn download(s: &TestServer, user: &str, url: &str) -> (StatusCode, Vec<u8>, String) {
    let r = s.client.get(format!("{}{url}", s.base)).bearer_auth(s.token(user).await).send().await.unwrap();
    let status = r.status();
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (status, r.bytes().await.unwrap().to_vec(), ct)
}

fn letter<'a>(list: &'a Value, kind: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|l| l["kind"] == kind).unwrap_or_else(|| panic!("no {kind} in {list}"))
}

#[tokio::test]
async fn art32_art35_letters_of_a_petition_through_acceptance_extension_conclusion_and_review() {
    let s = TestServer::start().await;
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim("周九", "440304198001010041")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let code = sub["query_code"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST", "note": "请依法办理并书面告知"})).await;
    s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    s.act("ft_rst_head", &number, "extend", json!({"days": 30, "reason": "需要调取银行流水核实"})).await;
    let basis = "《中华人民共和国劳动合同法》第三十条";
    s.act(
        "ft_rst_officer",
        &number,
        "conclude",
        json!({"outcome": "upheld", "request": "支付拖欠工资", "facts_and_reasons": "经核查，公司确有拖欠", "decision": "责令公司于十五日内支付", "legal_basis": basis}),
    )
    .await;
    s.act("ft_rst_officer", &number, "deliver", json!({"method": "post", "delivered_on": today().to_string()})).await;
    let (status, r) =
        s.post(&format!("/api/v1/track/{number}/review-request?code={code}"), None, json!({"reason": "公司未按期支付"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    s.act(
        "sz_rst_reviewer",
        &number,
        "decide_review",
        json!({"outcome": "uphold", "opinion": "维持原处理意见", "facts_and_reasons": "原处理认定事实清楚", "legal_basis": "《信访工作条例》第三十五条"}),
    )
    .await;

    // Every letter, in the order issued, numbered by its issuing unit.
    let (status, list) = s.get_as("ft_rst_officer", &format!("/api/v1/petitions/{number}/documents")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let kinds: Vec<&str> = list.as_array().unwrap().iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["forward_form", "acceptance_notice", "extension_notice", "decision_letter", "review_opinion"]);
    for l in list.as_array().unwrap() {
        assert!(l["doc_number"].as_str().unwrap().contains(&format!("〔{}〕", chrono::Datelike::year(&today()))), "{l}");
    }

    let today = today();
    let checks: [(&str, &str, Vec<String>); 4] = [
        ("acceptance_notice", "ft_rst_officer", vec!["受理告知书".into(), "第二十三条".into()]),
        ("extension_notice", "ft_rst_officer", vec!["30".into(), "需要调取银行流水核实".into()]),
        (
            "decision_letter",
            "ft_rst_officer",
            vec![basis.into(), "予以支持".into(), "支付拖欠工资".into(), "经核查，公司确有拖欠".into(), "复查".into()],
        ),
        ("review_opinion", "sz_rst_reviewer", vec!["维持".into(), "《信访工作条例》第三十五条".into(), "复核".into()]),
    ];
    for (kind, user, wants) in checks {
        let l = letter(&list, kind);
        let (status, pdf, ct) = download(&s, user, l["url"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert_eq!(ct, "application/pdf");
        assert!(pdf.starts_with(b"%PDF"), "{kind} is a PDF");
        let text = pdf_text(&pdf);
        for want in [&"周九".to_string(), &number, &cn(today)].into_iter().chain(wants.iter()) {
            let want: String = want.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(text.contains(&want), "{kind}: {want} not in {text}");
        }
        // Stored once: the same bytes, under the SHA-256 the list gives.
        let (_, again, _) = download(&s, user, l["url"].as_str().unwrap()).await;
        assert_eq!(pdf, again);
        use sha2::Digest;
        assert_eq!(
            hex(&sha2::Sha256::digest(&pdf)),
            s.get_as(user, &format!("/api/v1/petitions/{number}/documents"))
                .await
                .1
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == l["id"])
                .unwrap()["sha256"]
                .as_str()
                .unwrap()
        );
    }
    // The acceptance notice names the handling unit and the 60-day due date.
    let (_, pdf, _) = download(&s, "ft_rst_officer", letter(&list, "acceptance_notice")["url"].as_str().unwrap()).await;
    assert!(pdf_text(&pdf).contains("福田区人力资源"), "the handling unit is named");

    // The petitioner sees the letters addressed to them, not the internal form.
    let (status, track) = s.get(&format!("/api/v1/track/{number}?code={code}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let mine: Vec<&str> = track["letters"].as_array().unwrap().iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(mine, ["acceptance_notice", "extension_notice", "decision_letter", "review_opinion"]);
    let decision = letter(&track["letters"], "decision_letter");
    let url = format!("{}{}?code={code}", s.base, decision["url"].as_str().unwrap());
    let r = s.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(pdf_text(&r.bytes().await.unwrap()).contains(basis));
    // A wrong code, or an internal letter, is not found.
    let wrong = format!("{}{}?code=ZZZZ-ZZZZ-ZZZZ", s.base, decision["url"].as_str().unwrap());
    assert_eq!(s.client.get(&wrong).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let form = letter(&list, "forward_form")["id"].clone();
    let internal = format!("{}/api/v1/track/{number}/documents/{form}?code={code}", s.base);
    assert_eq!(s.client.get(&internal).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // A unit that cannot see the petition cannot list or read its letters.
    let (status, _) = s.get_as("ns_clerk", &format!("/api/v1/petitions/{number}/documents")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.finish().await;
}

#[tokio::test]
async fn art23_a_declined_petition_gets_a_decline_notice_with_ground_article_and_channel() {
    let s = TestServer::start().await;
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("吴十", "44030419800101005X")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    let r = s
        .act(
            "ft_clerk",
            &number,
            "decline",
            json!({"ground": "statutory_procedure", "reason": "该劳动争议已由劳动人事争议仲裁委员会受理", "proper_channel": "通过劳动争议仲裁程序解决"}),
        )
        .await;
    assert_eq!(r["state"], "declined", "{r}");
    let (_, list) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{number}/documents")).await;
    let l = letter(&list, "decline_notice");
    let (status, pdf, _) = download(&s, "ft_clerk", l["url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf);
    for want in [
        "不予受理告知书",
        "该劳动争议已由劳动人事争议仲裁委员会受理",
        "通过劳动争议仲裁程序解决",
        "《信访工作条例》第三十一条",
        "不予受理的情形为：属于法院",
        "吴十",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    s.finish().await;
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The other kinds an act issues render from the record: 交办单 with its
/// due date, 调解协议书, the three supervision letters (one without
/// suggestions). (复核意见书: `art36_…` in procedure-level tests renders
/// through the same path; its wording is checked in the letters crate.)
#[tokio::test]
async fn art22_art33_art40_every_other_letter_renders_from_a_real_act() {
    let s = TestServer::start().await;
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("郑一", "440304197503150015")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    let code = sub["query_code"].as_str().unwrap().to_string();
    let due = days_ahead(20);
    s.act("ft_clerk", &number, "assign", json!({"unit": "440304-RST", "due_on": due, "instructions": "请于期限内办结并报告"})).await;
    s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    s.act("ft_supervisor", &number, "supervise", json!({"reason": "办理进度缓慢", "suggestions": "请加快核查"})).await;
    s.act("ft_supervisor", &number, "supervise", json!({"reason": "即将到期", "letter": "reminder"})).await;
    s.act("ft_supervisor", &number, "supervise", json!({"reason": "转交办理", "suggestions": "请依法处理", "letter": "assignment"})).await;
    s.act(
        "ft_rst_officer",
        &number,
        "mediate",
        json!({"agreement": "mediation", "summary": "公司于十日内支付工资一万五千元", "parties_consented": true}),
    )
    .await;
    let (status, list) = s.get_as("ft_rst_officer", &format!("/api/v1/petitions/{number}/documents")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let checks: [(&str, &str, Vec<String>); 5] = [
        (
            "assign_form",
            "ft_clerk",
            vec![xinfang_domain::letters::cn_date(chrono::NaiveDate::parse_from_str(&due, "%Y-%m-%d").unwrap()), "报告".into()],
        ),
        ("supervision_letter", "ft_supervisor", vec!["督办函".into(), "请加快核查".into()]),
        ("reminder_letter", "ft_supervisor", vec!["提醒函".into(), "即将到期".into()]),
        ("assignment_letter", "ft_supervisor", vec!["交办函".into()]),
        ("mediation_agreement", "ft_rst_officer", vec!["调解协议书".into(), "公司于十日内支付工资一万五千元".into()]),
    ];
    for (kind, user, wants) in checks {
        let l = letter(&list, kind);
        let (status, pdf, _) = download(&s, user, l["url"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {}", String::from_utf8_lossy(&pdf));
        let text = pdf_text(&pdf);
        for want in [&"郑一".to_string(), &number].into_iter().chain(wants.iter()) {
            assert!(text.contains(want.as_str()), "{kind}: {want} not in {text}");
        }
    }
    // The mediation agreement is the petitioner's; the supervision letters are not.
    let (_, track) = s.get(&format!("/api/v1/track/{number}?code={code}"), None).await;
    let mine: Vec<&str> = track["letters"].as_array().unwrap().iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert!(mine.contains(&"mediation_agreement") && !mine.iter().any(|k| k.ends_with("_letter")), "{mine:?}");
    s.finish().await;
}

/// A letter is fixed when issued: changing its fields or swapping its PDF
/// in the database afterwards is named by `verify`.
#[tokio::test]
async fn a_letter_changed_after_it_was_issued_is_named_by_verify() {
    use sqlx::Connection;
    let s = TestServer::start().await;
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("褚三", "440304197503150015")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    let (_, list) = s.get_as("ft_rst_officer", &format!("/api/v1/petitions/{number}/documents")).await;
    for l in list.as_array().unwrap() {
        assert_eq!(download(&s, "ft_rst_officer", l["url"].as_str().unwrap()).await.0, StatusCode::OK);
    }
    let v = s.store.verify_record(None).await.unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&s.database_url()).await.unwrap();
    let acceptance = letter(&list, "acceptance_notice")["id"].as_i64().unwrap();
    let form = letter(&list, "forward_form")["id"].as_i64().unwrap();
    // The due date in the acceptance notice moved; the form's PDF swapped for another letter's.
    sqlx::query("UPDATE documents SET data = REPLACE(data, '年', '年 ') WHERE id = $1").bind(acceptance).execute(&mut conn).await.unwrap();
    sqlx::query("UPDATE documents SET sha256 = (SELECT sha256 FROM documents WHERE id = $1) WHERE id = $2")
        .bind(acceptance)
        .bind(form)
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.ok();
    let v = s.store.verify_record(None).await.unwrap();
    let named: Vec<(String, String)> = v.breaks.iter().map(|b| (b.what.clone(), b.problem.clone())).collect();
    assert!(named.iter().any(|(w, p)| *w == format!("document {acceptance}") && p.contains("changed after it was issued")), "{named:?}");
    assert!(named.iter().any(|(w, p)| *w == format!("document {form}") && p.contains("PDF was replaced")), "{named:?}");
    s.finish().await;
}

/// Letters rendered in a child process (`xinfang render-letters`, what
/// `xinfang serve` does by default): the same PDF content, the server's
/// memory left alone, and a child that went away is started again.
#[tokio::test]
async fn letters_render_in_a_child_process_and_it_is_restarted_when_gone() {
    let s = TestServer::start_configured(|c| c.letters_process = env!("CARGO_BIN_EXE_xinfang").into()).await;
    for (name, id) in [("吴十一", "440304198001010068"), ("吴十二", "440304198001010076")] {
        let (_, sub) = s.post("/api/v1/petitions", None, online_claim(name, id)).await;
        let number = sub["number"].as_str().unwrap().to_string();
        let r = s
            .act(
                "ft_clerk",
                &number,
                "decline",
                json!({"ground": "statutory_procedure", "reason": "已由仲裁委员会受理", "proper_channel": "劳动争议仲裁"}),
            )
            .await;
        assert_eq!(r["state"], "declined", "{r}");
        let (_, list) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{number}/documents")).await;
        let (status, pdf, _) = download(&s, "ft_clerk", letter(&list, "decline_notice")["url"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let text = pdf_text(&pdf);
        assert!(text.contains("不予受理告知书") && text.contains(name), "{text}");
        // Kill every renderer child between the two letters: the next
        // letter starts a new one.
        let _ = std::process::Command::new("pkill").args(["-f", "render-letters --fonts-dir"]).status();
    }
    s.finish().await;
}

/// From an outside pass: each letter says what the act decided. A 转送单
/// puts the petitioner's request under 信访请求 and the bureau's own
/// instruction under 转送意见; what a unit tells the petitioner on
/// accepting (告知内容) reaches the petitioner in the notice and the
/// letter; a 复查 that orders the matter redone promises no 复核 (nothing
/// is decided yet that 复核 could hear: the new answer comes first).
#[tokio::test]
async fn art22_art23_art35_letters_say_what_the_act_decided() {
    let s = TestServer::start().await;
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("周十", "440304198001010041")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    let code = sub["query_code"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST", "note": "请核查欠薪事实后依法处理"})).await;
    let told = "请于12月10日携带劳动合同到区劳动监察大队面谈";
    let r = s.act("ft_rst_officer", &number, "accept", json!({"route": 6, "note": told})).await;
    assert!(r["notice"].as_str().unwrap().contains(told), "{r}");
    s.act(
        "ft_rst_officer",
        &number,
        "conclude",
        json!({"outcome": "rejected", "request": "支付拖欠工资", "facts_and_reasons": "经核查，工资已付清", "decision": "不予支持", "legal_basis": "《劳动合同法》第三十条"}),
    )
    .await;
    s.act("ft_rst_officer", &number, "deliver", json!({"method": "post", "delivered_on": today().to_string()})).await;
    let (status, r) = s.post(&format!("/api/v1/track/{number}/review-request?code={code}"), None, json!({"reason": "不服"})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    // The petitioner's answer holds only the petitioner's dates, not the
    // units' objection window (T4) from the forward.
    let kinds: Vec<&str> = r["deadlines"].as_array().unwrap().iter().filter_map(|d| d["kind"].as_str()).collect();
    assert!(kinds.contains(&"T8") && !kinds.contains(&"T4"), "{kinds:?}");
    s.act(
        "sz_rst_reviewer",
        &number,
        "decide_review",
        json!({"outcome": "order_redo", "opinion": "事实不清，责令重新办理", "facts_and_reasons": "未调取工资流水", "legal_basis": "《信访工作条例》第三十五条"}),
    )
    .await;
    let (_, list) = s.get_as("ft_rst_officer", &format!("/api/v1/petitions/{number}/documents")).await;
    let text_of = async |kind: &str, user: &str| {
        let (status, pdf, _) = download(&s, user, letter(&list, kind)["url"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {}", String::from_utf8_lossy(&pdf));
        pdf_text(&pdf).chars().filter(|c| !c.is_whitespace()).collect::<String>()
    };
    let form = text_of("forward_form", "ft_clerk").await;
    assert!(form.contains("信访请求") && form.contains("要求某科技公司支付拖欠的"), "{form}");
    assert!(form.contains("转送意见请核查欠薪事实后依法处理"), "{form}");
    let notice = text_of("acceptance_notice", "ft_rst_officer").await;
    assert!(notice.contains(told), "{notice}");
    let review = text_of("review_opinion", "sz_rst_reviewer").await;
    assert!(review.contains("责令重新办理") && review.contains("重新作出处理意见"), "{review}");
    assert!(!review.contains("复核请求"), "no 复核 promised: {review}");
    s.finish().await;
}
