//! Notices leave through the job queue (issue 11): SMS to a real HTTP
//! gateway started here, e-mail to a real SMTP server started here,
//! retried with backoff when the receiver fails, visible to the admin,
//! never blocking the act that owed them.

#![allow(clippy::unwrap_used)]

mod common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const GATEWAY_KEY: &str = "test-gateway-signing-key";

/// One request the gateway received.
#[derive(Debug, Clone)]
pub struct Received {
    pub key: String,
    pub body: Value,
    pub signed: bool,
}

/// A test SMS gateway: records every call; answers 200, 503 or 400 as set.
#[derive(Clone, Default)]
pub struct Gateway {
    pub calls: Arc<Mutex<Vec<Received>>>,
    /// 0: accept, 1: 503 (retry), 2: 400 (refuse).
    pub mode: Arc<AtomicU8>,
    pub delay_ms: Arc<AtomicU64>,
    pub url: String,
}

impl Gateway {
    pub async fn start() -> Gateway {
        let mut g = Gateway::default();
        let app = axum::Router::new().route("/sms", axum::routing::post(receive)).with_state(g.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        g.url = format!("http://{}/sms", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        g
    }

    pub fn calls(&self) -> Vec<Received> {
        self.calls.lock().expect("lock").clone()
    }
}

async fn receive(State(g): State<Gateway>, headers: HeaderMap, body: String) -> (AxStatus, &'static str) {
    let delay = g.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let ts: i64 = h("x-xinfang-timestamp").parse().unwrap_or(0);
    let signed = xinfang_notify::sign(GATEWAY_KEY.as_bytes(), ts, &body) == h("x-xinfang-signature");
    let parsed = serde_json::from_str(&body).unwrap_or(Value::Null);
    match g.mode.load(Ordering::SeqCst) {
        1 => (AxStatus::SERVICE_UNAVAILABLE, "busy"),
        2 => (AxStatus::BAD_REQUEST, "invalid mobile"),
        _ => {
            g.calls.lock().expect("lock").push(Received { key: h("idempotency-key"), body: parsed, signed });
            (AxStatus::OK, "{\"code\":0}")
        }
    }
}

/// A minimal SMTP server: accepts every message and keeps its raw text.
pub async fn smtp_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let keep = Arc::clone(&got);
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let keep = Arc::clone(&keep);
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                let _ = w.write_all(b"220 test ESMTP\r\n").await;
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        break;
                    }
                    let cmd = line.trim_end().to_ascii_uppercase();
                    if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        let _ = w.write_all(b"250-test\r\n250 8BITMIME\r\n").await;
                    } else if cmd.starts_with("DATA") {
                        let _ = w.write_all(b"354 go ahead\r\n").await;
                        let mut data = String::new();
                        loop {
                            line.clear();
                            if r.read_line(&mut line).await.unwrap_or(0) == 0 || line == ".\r\n" {
                                break;
                            }
                            data.push_str(&line);
                        }
                        keep.lock().expect("lock").push(data);
                        let _ = w.write_all(b"250 queued\r\n").await;
                    } else if cmd.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        let _ = w.write_all(b"250 ok\r\n").await;
                    }
                }
            });
        }
    });
    (format!("smtp://{addr}"), got)
}

pub fn with_channels(c: &mut xinfang::config::Config, gateway: &str, smtp: &str) {
    c.notify.sms_gateway_url = gateway.into();
    c.notify.sms_gateway_key = GATEWAY_KEY.into();
    c.notify.smtp_url = smtp.into();
    c.notify.smtp_from = "福田区信访局 <xfj@futian.example.gov.cn>".into();
    c.job_poll_millis = 50;
    c.job_retry_base_seconds = 1;
    c.job_retry_max_seconds = 2;
}

async fn wait_for<T>(what: &str, secs: u64, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let until = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(std::time::Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A subject as read by a mail client (RFC 2047 encoded words decoded).
fn decoded_subject(raw: &str) -> String {
    let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).expect("parse mail");
    msg.subject().unwrap_or_default().to_string()
}

#[tokio::test]
async fn art23_forward_texts_the_petitioner_and_emails_the_receiving_unit_with_a_chinese_subject() {
    let gw = Gateway::start().await;
    let (smtp, mails) = smtp_server().await;
    let s = TestServer::start_configured(|c| with_channels(c, &gw.url, &smtp)).await;
    // The handling officer of the human-resources bureau gets e-mail.
    let status = s
        .client
        .patch(format!("{}/api/v1/users/ft_rst_officer", s.base))
        .bearer_auth(s.token("admin").await)
        .json(&json!({"email": "rst.officer@futian.example.gov.cn"}))
        .send()
        .await
        .expect("patch")
        .status();
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim("赵六", "440304198001010017")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;

    // The petitioner's phone gets a short signed pointer to the tracking page.
    let call = wait_for("the SMS", 20, async || gw.calls().into_iter().next()).await;
    assert!(call.signed, "the gateway request carries a valid HMAC signature");
    assert_eq!(call.body["mobile"], "13800138000");
    let text = call.body["content"].as_str().unwrap();
    assert!(text.contains(&number) && text.contains("转送"), "{text}");
    assert!(text.chars().count() <= 70, "one SMS segment: {text}");
    assert!(call.key.starts_with("notice:"), "{}", call.key);

    // The receiving unit's officer gets an e-mail whose Chinese subject is
    // encoded for transport and reads correctly when decoded.
    let raw = wait_for("the e-mail", 20, async || mails.lock().unwrap().first().cloned()).await;
    let subject_line = raw.lines().find(|l| l.to_ascii_lowercase().starts_with("subject:")).unwrap_or_default().to_string();
    assert!(subject_line.contains("=?utf-8?"), "encoded word in the raw header: {subject_line}");
    assert_eq!(decoded_subject(&raw), format!("【信访】转送：{number}"));
    assert!(raw.contains("To: rst.officer@futian.example.gov.cn"), "{raw}");
    assert!(raw.contains("Message-ID: <arrival."), "stable Message-ID from the idempotency key: {raw}");

    // A 督办 reaches the supervised unit at once (not at the next digest).
    let (status, body) = s
        .post_as(
            "ft_supervisor",
            "/api/v1/supervision/cases",
            json!({"kind": "manual", "petition": number, "reason": "信访人反映办理缓慢"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let raw = wait_for("the supervision e-mail", 20, async || {
        mails.lock().unwrap().iter().find(|m| m.contains("Message-ID: <supervision.")).cloned()
    })
    .await;
    assert_eq!(decoded_subject(&raw), format!("【信访】督办：{number}"));
    assert!(raw.contains("To: rst.officer@futian.example.gov.cn"), "{raw}");

    // The outbox shows both delivered, recipients masked.
    let (status, page) = s.get_as("admin", "/api/v1/admin/jobs?state=done").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    let sms = items.iter().find(|j| j["kind"] == "sms").expect("sms job");
    assert_eq!(sms["to"], "138****8000");
    assert!(items.iter().any(|j| j["kind"] == "email" && j["to"] == "rs***@futian.example.gov.cn"), "{page}");
    // Only the top-level admin sees the outbox.
    let (status, _) = s.get_as("ft_clerk", "/api/v1/admin/jobs").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.finish().await;
}

#[tokio::test]
async fn a_failing_gateway_is_retried_with_backoff_visible_to_the_admin_and_never_blocks_the_act() {
    let gw = Gateway::start().await;
    gw.mode.store(1, Ordering::SeqCst);
    let (smtp, _) = smtp_server().await;
    let s = TestServer::start_configured(|c| with_channels(c, &gw.url, &smtp)).await;
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("钱七", "440304198001010025")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    // The act succeeds whatever the gateway does.
    let r = s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    assert_eq!(r["state"], "forwarded");
    // Attempts keep failing; the job waits between them, with the error.
    // (Read between attempts: during one the job is `running`.)
    let job = wait_for("two failed attempts", 20, async || {
        let (_, page) = s.get_as("admin", "/api/v1/admin/jobs?kind=sms").await;
        page["items"].as_array().and_then(|a| a.first()).filter(|j| j["attempts"].as_i64() >= Some(2) && j["state"] != "running").cloned()
    })
    .await;
    assert_eq!(job["state"], "pending", "{job}");
    assert!(job["last_error"].as_str().unwrap().contains("503"), "{job}");
    let (_, detail) = s.get_as("admin", &format!("/api/v1/admin/jobs/{}", job["id"])).await;
    let attempts = detail["attempts"].as_array().unwrap();
    assert!(attempts.len() >= 2 && attempts.iter().all(|a| a["ok"] == false), "{detail}");
    // Backoff: the second attempt came at least the base interval after the first.
    let t = |a: &Value| chrono::DateTime::parse_from_rfc3339(a["started_at"].as_str().unwrap()).unwrap();
    assert!(t(&attempts[1]) - t(&attempts[0]) >= chrono::Duration::milliseconds(900), "{detail}");
    // The gateway recovers: the same message goes out once.
    gw.mode.store(0, Ordering::SeqCst);
    wait_for("delivery after recovery", 20, async || (gw.calls().len() == 1).then_some(())).await;

    // A refused number fails at once (no point retrying) and stays failed
    // until the admin queues it again.
    gw.mode.store(2, Ordering::SeqCst);
    s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    let failed = wait_for("a failed message", 20, async || {
        let (_, page) = s.get_as("admin", "/api/v1/admin/jobs?state=failed").await;
        page["items"].as_array().and_then(|a| a.first()).cloned()
    })
    .await;
    assert_eq!(failed["attempts"], 1);
    assert!(failed["last_error"].as_str().unwrap().contains("400"), "{failed}");
    let metrics = s.client.get(format!("{}/metrics", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("xinfang_jobs{kind=\"sms\",state=\"failed\"} 1"), "metrics count the failed message");
    gw.mode.store(0, Ordering::SeqCst);
    let (status, _) = s.post_as("admin", &format!("/api/v1/admin/jobs/{}/retry", failed["id"]), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    wait_for("the retried message", 20, async || (gw.calls().len() == 2).then_some(())).await;
    let (status, _) = s.post_as("admin", &format!("/api/v1/admin/jobs/{}/retry", failed["id"]), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "only a failed job is queued again");
    s.finish().await;
}

#[tokio::test]
async fn message_templates_are_edited_by_the_admin_within_one_sms_segment() {
    let gw = Gateway::start().await;
    let (smtp, _) = smtp_server().await;
    let s = TestServer::start_configured(|c| with_channels(c, &gw.url, &smtp)).await;
    let (status, err) = s
        .put(
            "/api/v1/admin/message-templates/petition_notice",
            Some(&s.token("admin").await),
            json!({"body": format!("{}{{number}}", "很".repeat(60))}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["code"], "sms_too_long");
    let (status, err) =
        s.put("/api/v1/admin/message-templates/petition_notice", Some(&s.token("admin").await), json!({"body": "事项{numbr}有进展"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (status, _) = s
        .put(
            "/api/v1/admin/message-templates/petition_notice",
            Some(&s.token("admin").await),
            json!({"body": "【福田】您的事项{number}已{action}。"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, sub) = s.post("/api/v1/petitions", None, online_claim("孙八", "440304198001010033")).await;
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    let call = wait_for("the SMS", 20, async || gw.calls().into_iter().next()).await;
    assert_eq!(call.body["content"], format!("【福田】您的事项{number}已转送。"));
    s.finish().await;
}

#[tokio::test]
async fn staff_get_a_daily_digest_of_timers_coming_due_once_a_day() {
    let gw = Gateway::start().await;
    let (smtp, mails) = smtp_server().await;
    let s = TestServer::start_configured(|c| {
        with_channels(c, &gw.url, &smtp);
        // Fired every second here; still one digest per person and day.
        c.digest_schedule = "every 1s".into();
        c.digest_days_before = vec![1, 2, 3, 4, 5];
    })
    .await;
    let status = s
        .client
        .patch(format!("{}/api/v1/users/ft_clerk", s.base))
        .bearer_auth(s.token("admin").await)
        .json(&json!({"email": "clerk@futian.example.gov.cn"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::NO_CONTENT);
    // A letter received 13 days ago: the bureau's 15 days (T1) run out in
    // 2 days (or a little later past a weekend).
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", letter(&days_ago(13))).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let raw = wait_for("the digest", 20, async || mails.lock().unwrap().iter().find(|m| m.contains("clerk@futian")).cloned()).await;
    let subject = decoded_subject(&raw);
    assert!(subject.starts_with("【信访】") && subject.contains("期限提醒"), "{subject}");
    let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
    let body = msg.body_text(0).unwrap_or_default().to_string();
    assert!(body.contains(&number), "{body}");
    // Several firings later, still one digest for the clerk today.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let digests = mails.lock().unwrap().iter().filter(|m| m.contains("clerk@futian")).count();
    assert_eq!(digests, 1);
    s.finish().await;
}

/// A server with SMS and mail channels whose district bureau's supervisor
/// (a duty officer) has an e-mail address; the gateway lives as long as
/// the first value.
async fn with_duty_officer() -> (Gateway, Arc<Mutex<Vec<String>>>, TestServer) {
    let gw = Gateway::start().await;
    let (smtp, mails) = smtp_server().await;
    let s = TestServer::start_configured(|c| with_channels(c, &gw.url, &smtp)).await;
    let admin = s.token("admin").await;
    let status = s
        .client
        .patch(format!("{}/api/v1/users/ft_supervisor", s.base))
        .bearer_auth(&admin)
        .json(&json!({"email": "duty@futian.example.gov.cn"}))
        .send()
        .await
        .expect("patch")
        .status();
    assert_eq!(status, StatusCode::NO_CONTENT);
    (gw, mails, s)
}

/// Art. 30: the workbench's banner counts the urgent alerts the unit may
/// know of, as the alert list shows them. An alert on an accusation sealed
/// from the bureau still counts (the bureau knows a matter is there); once
/// the discipline body names the bureau itself as the accused, the
/// petition is hidden from it, and so are its alert and the banner.
#[tokio::test]
async fn art30_the_urgent_banner_leaves_out_an_alert_on_a_petition_hidden_from_the_unit() {
    let s = TestServer::start().await;
    let mut claim = online_claim("孙九", "440304198001010033");
    claim["facts_and_reasons"] = json!("区信访局窗口工作人员收了我两千元好处费还不办事，再不解决我就从信访局楼顶跳下去。");
    let (status, sub) = s.post("/api/v1/petitions", None, claim).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let (c, _) = browser(&s, "ft_clerk").await;
    let inbox = async || c.get(format!("{}/staff", s.base)).send().await.unwrap().text().await.unwrap();
    let listed = async || {
        let (status, alerts) = s.get_as("ft_clerk", "/api/v1/risk-alerts").await;
        assert_eq!(status, StatusCode::OK, "{alerts}");
        alerts.as_array().unwrap().iter().filter(|a| a["number"] == number.as_str() && a["level"] == "urgent").count()
    };
    assert_eq!(listed().await, 1);
    assert!(inbox().await.contains("本单位有1条紧急风险提示"));
    seal_as_accusation(&s, &number).await;
    assert_eq!(listed().await, 1, "sealed, not hidden: the alert is listed under a neutral title");
    assert!(inbox().await.contains("本单位有1条紧急风险提示"));
    name_the_bureau_accused(&s, &number).await;
    assert_eq!(listed().await, 0, "hidden from the accused bureau");
    let page = inbox().await;
    assert!(!page.contains("id=\"urgent-banner\""), "{page}");
    s.finish().await;
}

/// Issue 13, item 4: a petition that threatens self-harm raises an urgent
/// risk alert for the receiving bureau, e-mails its duty officers at once,
/// shows on the petition, and is dismissed only with a reason.
#[tokio::test]
async fn an_urgent_risk_in_a_new_petition_alerts_the_duty_officers_and_is_dismissed_with_a_reason() {
    let (_gw, mails, s) = with_duty_officer().await;
    let mut claim = online_claim("钱八", "440304198001010025");
    claim["facts_and_reasons"] = json!("公司拖欠工资半年，再不解决我就从公司楼顶跳下去。");
    let (status, sub) = s.post("/api/v1/petitions", None, claim).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    let raw =
        wait_for("the risk e-mail", 20, async || mails.lock().unwrap().iter().find(|m| m.contains("Message-ID: <risk.")).cloned()).await;
    assert!(decoded_subject(&raw).starts_with("【风险提示】"), "{raw}");
    assert!(raw.contains("To: duty@futian.example.gov.cn"), "{raw}");
    // Listed for the bureau, and on the petition.
    let (status, alerts) = s.get_as("ft_clerk", "/api/v1/risk-alerts").await;
    assert_eq!(status, StatusCode::OK, "{alerts}");
    let alert = alerts.as_array().unwrap().iter().find(|a| a["number"] == number.as_str()).unwrap_or_else(|| panic!("{alerts}"));
    assert_eq!(alert["level"], "urgent");
    assert!(alert["signals"][0]["words"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("跳")), "{alert}");
    let id = alert["id"].as_i64().unwrap();
    assert_eq!(s.detail("ft_clerk", &number).await["risk_alerts"].as_array().unwrap().len(), 1);
    // The unit's workbench says so at the top, for whoever opens it.
    let (c, _) = browser(&s, "ft_clerk").await;
    let inbox = c.get(format!("{}/staff", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(inbox.contains("id=\"urgent-banner\"") && inbox.contains("本单位有1条紧急风险提示"), "{inbox}");
    // Another district cannot touch it; a reason is required.
    let (status, _) = s.post_as("ns_clerk", &format!("/api/v1/risk-alerts/{id}/dismiss"), json!({"reason": "已电话回访，情绪稳定"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = s.post_as("ft_supervisor", &format!("/api/v1/risk-alerts/{id}/dismiss"), json!({"reason": "好"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) =
        s.post_as("ft_supervisor", &format!("/api/v1/risk-alerts/{id}/dismiss"), json!({"reason": "已电话回访，情绪稳定"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, open) = s.get_as("ft_clerk", "/api/v1/risk-alerts").await;
    assert!(open.as_array().unwrap().iter().all(|a| a["id"] != id), "{open}");
    let (_, all) = s.get_as("ft_clerk", "/api/v1/risk-alerts?open=false").await;
    let done = all.as_array().unwrap().iter().find(|a| a["id"] == id).unwrap();
    assert_eq!(done["dismiss_reason"], "已电话回访，情绪稳定");
    // Who dismissed it is said, and the petition's page keeps it.
    let supervisor = done["dismissed_by"].as_str().unwrap_or_else(|| panic!("{done}")).to_string();
    assert!(!supervisor.is_empty() && done["raised_by"].is_null(), "{done}");
    let inbox = c.get(format!("{}/staff", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(!inbox.contains("id=\"urgent-banner\""), "dismissed: no banner");
    let page = c.get(format!("{}/staff/p/{number}", s.base)).send().await.unwrap().text().await.unwrap();
    let kept = page.split("id=\"risk-dismissed\"").nth(1).unwrap_or_else(|| panic!("no dismissed alerts on the page: {page}"));
    assert!(kept.contains(&format!("由{supervisor}解除")) && kept.contains("已电话回访，情绪稳定"), "{kept}");
    let (status, body) = s.post_as("ft_supervisor", &format!("/api/v1/risk-alerts/{id}/dismiss"), json!({"reason": "再次解除提示"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_dismissed")), "{body}");
    s.finish().await;
}

/// Issue 13, item 4: an urgent risk a township's petition office finds
/// (registering a visit, or by hand) is raised for the county's petition
/// bureau too, whose duty officers are e-mailed at once; each unit
/// dismisses its own alert. An elevated one stays with the township.
#[tokio::test]
async fn an_urgent_risk_found_by_a_township_office_also_alerts_the_countys_bureau() {
    let (_gw, mails, s) = with_duty_officer().await;
    let mut visit = online_claim("钱九", "440304198001010033");
    visit["channel"] = json!("visit");
    visit["jurisdiction"] = json!("440304001");
    visit["received_on"] = json!(today().to_string());
    visit["facts_and_reasons"] = json!("公司拖欠工资半年，再不解决我就从公司楼顶跳下去。");
    let (status, sub) = s.post_as("ft_ny_clerk", "/api/v1/petitions", visit).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    // The county bureau's duty officer hears of it at once, told who found it.
    let raw =
        wait_for("the risk e-mail", 20, async || mails.lock().unwrap().iter().find(|m| m.contains("Message-ID: <risk.")).cloned()).await;
    assert!(raw.contains("To: duty@futian.example.gov.cn"), "{raw}");
    let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
    let body = msg.body_text(0).unwrap_or_default().to_string();
    assert!(body.contains("南园街道信访办") && body.contains("跳"), "{body}");
    // One alert for each unit, each listed for its own unit only.
    let of =
        |alerts: &Value| -> Vec<Value> { alerts.as_array().unwrap().iter().filter(|a| a["number"] == number.as_str()).cloned().collect() };
    let (_, town) = s.get_as("ft_ny_clerk", "/api/v1/risk-alerts").await;
    let (_, bureau) = s.get_as("ft_clerk", "/api/v1/risk-alerts").await;
    let (town, bureau) = (of(&town), of(&bureau));
    assert_eq!((town.len(), bureau.len()), (1, 1), "{town:?} {bureau:?}");
    assert_eq!(town[0]["unit_code"], "440304001-XFB");
    assert_eq!(bureau[0]["unit_code"], "440304-XFJ");
    assert_eq!(bureau[0]["level"], "urgent");
    assert!(bureau[0]["for_your_unit"].as_bool().unwrap());
    let (town_id, bureau_id) = (town[0]["id"].as_i64().unwrap(), bureau[0]["id"].as_i64().unwrap());
    // On the petition both show; the reader may dismiss only its own.
    let d = s.detail("ft_ny_clerk", &number).await;
    let mine: Vec<(i64, bool)> =
        d["risk_alerts"].as_array().unwrap().iter().map(|a| (a["id"].as_i64().unwrap(), a["for_your_unit"].as_bool().unwrap())).collect();
    assert_eq!(mine, vec![(town_id, true), (bureau_id, false)], "{d}");
    // The page offers the township a dismissal of its own alert only.
    let (c, _) = browser(&s, "ft_ny_clerk").await;
    let html = c.get(format!("{}/staff/p/{number}", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("/risk/{town_id}/dismiss")), "{html}");
    assert!(!html.contains(&format!("/risk/{bureau_id}/dismiss")), "{html}");
    assert!(html.contains("福田区信访局的提示，由其核实解除"), "{html}");
    let (status, body) =
        s.post_as("ft_ny_clerk", &format!("/api/v1/risk-alerts/{bureau_id}/dismiss"), json!({"reason": "已电话回访，情绪稳定"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the bureau's alert is the bureau's to dismiss: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("福田区信访局的风险提示"), "whose it is: {body}");
    let (status, body) =
        s.post_as("ft_supervisor", &format!("/api/v1/risk-alerts/{bureau_id}/dismiss"), json!({"reason": "已约谈，情绪稳定"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, town_open) = s.get_as("ft_ny_clerk", "/api/v1/risk-alerts").await;
    assert_eq!(of(&town_open).len(), 1, "the township's own alert stays open: {town_open}");

    // Raised by hand by the township: the bureau gets it too, mailed.
    let (status, raised) = s
        .post_as(
            "ft_ny_clerk",
            &format!("/api/v1/petitions/{number}/risk-alerts"),
            json!({"kind": "violence", "level": "urgent", "reason": "来访时扬言要带刀去公司找老板"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{raised}");
    assert_eq!(raised["duty_officers_notified"], 1, "the county bureau's duty officer: {raised}");
    let (_, bureau) = s.get_as("ft_clerk", "/api/v1/risk-alerts").await;
    let by_hand: Vec<Value> = of(&bureau).into_iter().filter(|a| a["raised_by_hand"] == true).collect();
    assert_eq!(by_hand.len(), 1, "{bureau}");
    assert_eq!(by_hand[0]["raise_reason"], "来访时扬言要带刀去公司找老板");
    // Raised again while open: refused for the township, nothing doubled.
    let (status, _) = s
        .post_as(
            "ft_ny_clerk",
            &format!("/api/v1/petitions/{number}/risk-alerts"),
            json!({"kind": "violence", "level": "urgent", "reason": "来访时扬言要带刀去公司找老板"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // An elevated one stays with the township.
    let (status, raised) = s
        .post_as(
            "ft_ny_clerk",
            &format!("/api/v1/petitions/{number}/risk-alerts"),
            json!({"kind": "gathering", "level": "elevated", "reason": "说要叫工友一起来"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{raised}");
    let (_, bureau) = s.get_as("ft_clerk", "/api/v1/risk-alerts").await;
    assert!(of(&bureau).iter().all(|a| a["level"] == "urgent"), "{bureau}");
    s.finish().await;
}

/// Art. 30 with issue 13, item 4: an urgent accusation a township office
/// registers is told to the county bureau sealed (no title, no words
/// quoted, in the list or the e-mail); one that names the county bureau
/// itself as accused is not told to it at all.
#[tokio::test]
async fn art30_an_urgent_accusation_reaches_the_bureau_sealed_and_never_the_accused_bureau() {
    let (_gw, mails, s) = with_duty_officer().await;
    let accusation = |unit: &str, code: &str| {
        let mut v = online_claim("钱十", "440304198001010041");
        v["channel"] = json!("visit");
        v["jurisdiction"] = json!("440304001");
        v["received_on"] = json!(today().to_string());
        v["category"] = json!("accusation");
        v["title"] = json!("反映经办人员索要好处费");
        v["facts_and_reasons"] = json!("经办人员索要好处费，再不查处我就去他们单位门口喝农药。");
        v["accused"] = json!({"name": "某经办人员", "unit": unit, "unit_code": code});
        v
    };
    let (status, sub) = s.post_as("ft_ny_clerk", "/api/v1/petitions", accusation("福田区住房和建设局", "440304-ZJT")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let sealed = sub["number"].as_str().unwrap().to_string();
    let raw =
        wait_for("the risk e-mail", 20, async || mails.lock().unwrap().iter().find(|m| m.contains("Message-ID: <risk.")).cloned()).await;
    let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
    let body = msg.body_text(0).unwrap_or_default().to_string();
    assert!(body.contains("检举控告事项") && !body.contains("好处费") && !body.contains("农药"), "{body}");
    let (_, bureau) = s.get_as("ft_clerk", "/api/v1/risk-alerts").await;
    let told: Vec<&Value> = bureau.as_array().unwrap().iter().filter(|a| a["number"] == sealed.as_str()).collect();
    assert_eq!(told.len(), 1, "{bureau}");
    assert_eq!(told[0]["title"], "检举控告事项");
    assert!(told[0]["signals"].as_array().unwrap().iter().all(|g| g["words"].as_array().unwrap().is_empty()), "{bureau}");

    let (status, sub) = s.post_as("ft_ny_clerk", "/api/v1/petitions", accusation("福田区信访局", "440304-XFJ")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let hidden = sub["number"].as_str().unwrap().to_string();
    // The township office is in the county bureau's line, so the
    // accusation is received by the district's discipline body (Art. 30),
    // whose alert it is; the accused bureau and the city above it never
    // learn of it.
    let (_, jw) = s.get_as("ft_jw_officer", "/api/v1/risk-alerts").await;
    let (_, bureau) = s.get_as("ft_clerk", "/api/v1/risk-alerts").await;
    let (_, city) = s.get_as("sz_clerk", "/api/v1/risk-alerts").await;
    let has = |alerts: &Value| alerts.as_array().unwrap().iter().any(|a| a["number"] == hidden.as_str());
    assert!(has(&jw), "the discipline body that received it has its alert: {jw}");
    assert!(!has(&bureau) && !has(&city), "the accused bureau and those above it never learn of it");
    s.finish().await;
}
