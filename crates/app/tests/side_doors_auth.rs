//! Issue 8, side doors around authentication and the limits (items 4, 5
//! and part of 10): each test performs the attack and shows it fails.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use xinfang_crypto::totp;

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

/// Wait until at least 25 s of the current 30-second step are left, so a
/// test's codes (the previous, current and next step) stay valid while it
/// runs.
async fn fresh_step() -> u64 {
    let left = 30 - now() % 30;
    if left < 25 {
        tokio::time::sleep(std::time::Duration::from_secs(left)).await;
    }
    now()
}

/// Turn TOTP on for `user` (the code of the previous step confirms it);
/// returns the raw secret.
async fn enrol(s: &TestServer, user: &str, t0: u64) -> Vec<u8> {
    let token = s.token(user).await;
    let (status, enrol) = s.post("/api/v1/me/totp", Some(&token), json!({"password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK, "{enrol}");
    let secret = totp::base32_decode(enrol["secret"].as_str().unwrap()).unwrap();
    let (status, body) = s.post("/api/v1/me/totp/confirm", Some(&token), json!({"code": totp::code_at(&secret, t0 - 30)})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    secret
}

async fn login(s: &TestServer, user: &str, password: &str, code: Option<String>) -> (StatusCode, Value) {
    s.post("/api/v1/auth/login", None, json!({"username": user, "password": password, "totp": code})).await
}

#[tokio::test]
async fn totp_code_replay_is_refused() {
    let s = TestServer::start().await;
    let t0 = fresh_step().await;
    let secret = enrol(&s, "ft_head", t0).await;
    let code = |t: u64| Some(totp::code_at(&secret, t));
    // The confirming code (still inside the drift window) cannot log in.
    let (status, body) = login(&s, "ft_head", PASSWORD, code(t0 - 30)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_totp")), "{body}");
    let (status, body) = login(&s, "ft_head", PASSWORD, code(t0)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A code seen once (shoulder, proxy log, phishing page) is spent.
    let (status, body) = login(&s, "ft_head", PASSWORD, code(t0)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_totp")), "{body}");
    // An older step after a newer one is refused too.
    let (status, _) = login(&s, "ft_head", PASSWORD, code(t0 - 30)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    s.finish().await;
}

#[tokio::test]
async fn turning_totp_off_or_reenrolling_needs_password_and_code() {
    let s = TestServer::start().await;
    let t0 = fresh_step().await;
    // A session opened before the factor was turned on: the thief's.
    let stolen = s.token("ft_head").await;
    let secret = enrol(&s, "ft_head", t0).await;
    let code = |t: u64| totp::code_at(&secret, t);
    let wrong = if code(t0) == "123456" { "654321" } else { "123456" };
    for (body, refusal) in [(json!({}), "password_required"), (json!({"password": PASSWORD}), "totp_required")] {
        let (status, err) = s.post("/api/v1/me/totp/disable", Some(&stolen), body.clone()).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(refusal)), "{err}");
        let (status, err) = s.post("/api/v1/me/totp", Some(&stolen), body).await;
        assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(refusal)), "re-enrolling: {err}");
    }
    let (status, _) = s.post("/api/v1/me/totp/disable", Some(&stolen), json!({"password": "Wrong#Password9", "code": code(t0)})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = s.post("/api/v1/me/totp/disable", Some(&stolen), json!({"password": PASSWORD, "code": wrong})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, me) = s.get("/api/v1/me", Some(&stolen)).await;
    assert_eq!(me["totp_enabled"], true, "still on");
    // The holder re-enrols with password and code; the old factor stays on
    // until the new one is confirmed.
    let (status, body) = s.post("/api/v1/me/totp", Some(&stolen), json!({"password": PASSWORD, "code": code(t0)})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, me) = s.get("/api/v1/me", Some(&stolen)).await;
    assert_eq!(me["totp_enabled"], true, "re-enrolment does not switch the factor off");
    // The code used to re-enrol is spent; the next one turns it off.
    let (status, _) = s.post("/api/v1/me/totp/disable", Some(&stolen), json!({"password": PASSWORD, "code": code(t0)})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = s.post("/api/v1/me/totp/disable", Some(&stolen), json!({"password": PASSWORD, "code": code(t0 + 30)})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = login(&s, "ft_head", PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK);
    s.finish().await;
}

#[tokio::test]
async fn wrong_second_factor_counts_as_a_failed_login() {
    let s = TestServer::start_configured(|c| c.settings.max_failed_logins = 3).await;
    let t0 = fresh_step().await;
    let secret = enrol(&s, "ft_head", t0).await;
    let right = totp::code_at(&secret, t0);
    let wrong = if right == "123456" { "654321" } else { "123456" };
    for _ in 0..3 {
        let (status, _) = login(&s, "ft_head", PASSWORD, Some(wrong.into())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = login(&s, "ft_head", PASSWORD, Some(right)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")), "locked: {body}");
    s.finish().await;
}

#[tokio::test]
async fn forty_concurrent_wrong_passwords_lock_after_ten() {
    let s = TestServer::start_configured(|c| c.settings.login_per_minute = 1000).await;
    let user = s.store.user_by_username("ft_clerk").await.unwrap().unwrap();
    let checks_before = xinfang_web::api::account::password_checks(&user.password_hash);
    let attempts = (0..40).map(|i| {
        let (client, base) = (s.client.clone(), s.base.clone());
        tokio::spawn(async move {
            let r = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": "ft_clerk", "password": format!("Wrong#Guess{i}")}))
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        })
    });
    let answers: Vec<_> = futures_join(attempts).await;
    let first = answers[0].clone();
    assert!(answers.iter().all(|a| *a == first), "every answer the same: {answers:?}");
    assert_eq!(first.0, StatusCode::UNAUTHORIZED);
    assert_eq!(xinfang_web::api::account::password_checks(&user.password_hash) - checks_before, 10, "no more than ten passwords checked");
    let (status, body) = login(&s, "ft_clerk", PASSWORD, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")), "locked");
    s.finish().await;
}

async fn futures_join<T: Send + 'static>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks.collect::<Vec<_>>() {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test]
async fn locked_account_looks_like_a_wrong_password() {
    let s = TestServer::start_configured(|c| c.settings.max_failed_logins = 3).await;
    let timed = |user: &'static str, password: &'static str| {
        let s = &s;
        async move {
            let started = std::time::Instant::now();
            let r = s
                .client
                .post(format!("{}/api/v1/auth/login", s.base))
                .json(&json!({"username": user, "password": password}))
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap(), started.elapsed())
        }
    };
    for _ in 0..3 {
        timed("ft_clerk", "Wrong#Guess1").await;
    }
    let (wrong_status, wrong_body, wrong_time) = timed("ft_head", "Wrong#Guess1").await;
    let (locked_status, locked_body, locked_time) = timed("ft_clerk", PASSWORD).await;
    let (unknown_status, unknown_body, _) = timed("nobody_here", "Wrong#Guess1").await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!((locked_status, &locked_body), (wrong_status, &wrong_body), "no 423, no other message");
    assert_eq!((unknown_status, &unknown_body), (wrong_status, &wrong_body));
    // No fast answer for a locked account: it waits about as long as a
    // check. Each is timed twice, alternately, and the quicker of each pair
    // is compared: a busy machine stalls single requests by a second or
    // more (a CI run beside a build once did), and a stall only ever adds
    // time, so the minimum of each is its undisturbed time.
    let (_, _, wrong_again) = timed("ft_head", "Wrong#Guess1").await;
    let (_, _, locked_again) = timed("ft_clerk", PASSWORD).await;
    let (locked_time, wrong_time) = (locked_time.min(locked_again), wrong_time.min(wrong_again));
    assert!(locked_time * 4 >= wrong_time, "locked {locked_time:?} vs wrong {wrong_time:?}");
    s.finish().await;
}

/// An anonymous online petition whose facts make it `extra` bytes larger.
fn anonymous_petition(i: usize, extra: usize) -> Value {
    let mut v = online_claim(&format!("投诉人{i}"), "440304199001011233");
    v["petitioners"][0]["id_number"] = Value::Null;
    v["petitioners"][0]["phone"] = json!(format!("1380013{:04}", i));
    v["facts_and_reasons"] = json!(format!("第{i}件独立事项：{}", "事实".repeat(1 + extra / 6)));
    v
}

#[tokio::test]
async fn portal_submit_shares_the_api_bucket() {
    inside_one_minute().await;
    let s = TestServer::start_configured(|c| {
        c.settings.submit_per_minute = 2;
        c.settings.track_per_minute = 2;
        c.settings.login_per_minute = 2;
    })
    .await;
    for i in 0..2 {
        let (status, _) = s.post("/api/v1/petitions", None, anonymous_petition(i, 0)).await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    let form = || reqwest::multipart::Form::new().text("csrf", "x");
    for door in ["/submit", "/mailbox"] {
        let r = s.client.post(format!("{}{door}", s.base)).multipart(form()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{door} counts with POST /api/v1/petitions");
        assert!(r.text().await.unwrap().contains("请求过于频繁"));
    }
    for _ in 0..2 {
        let (status, _) = s.get("/api/v1/track/XF-440304-20261122-000001?code=ABCDEFGH", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    for door in ["/track", "/track/evaluate", "/track/review"] {
        let r = s
            .client
            .post(format!("{}{door}", s.base))
            .form(&[("number", "XF-440304-20261122-000001"), ("code", "ABCDEFGH")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{door} counts with the tracking API");
    }
    for _ in 0..2 {
        login(&s, "nobody", "x", None).await;
    }
    let r =
        s.client.post(format!("{}/staff/login", s.base)).form(&[("username", "ft_clerk"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the login page counts with the login API");
    s.finish().await;
}

#[tokio::test]
async fn forged_authorization_header_does_not_skip_the_limiter() {
    let s = TestServer::start_configured(|c| c.settings.submit_per_minute = 2).await;
    let staff = s.token("ft_clerk").await;
    let post = |auth: &'static str, i: usize| {
        let s = &s;
        async move {
            s.client
                .post(format!("{}/api/v1/petitions", s.base))
                .header("authorization", auth)
                .json(&anonymous_petition(i, 0))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let statuses = [post("Bearer forged", 0).await, post("Basic Zm9vOmJhcg==", 1).await, post("Bearer ", 2).await];
    assert_ne!(statuses[0], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS, "any header that is not a valid session counts: {statuses:?}");
    // A valid staff session (a hotline desk) is not an anonymous submitter.
    for i in 0..3 {
        let mut v = letter(&today().to_string());
        v["petitioners"][0]["name"] = json!(format!("来信人{i}"));
        let (status, body) = s.post("/api/v1/petitions", Some(&staff), v).await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    }
    s.finish().await;
}

#[tokio::test]
async fn x_forwarded_for_only_from_trusted_proxy() {
    let track = |s: &TestServer, xff: &'static str| {
        let url = format!("{}/api/v1/track/XF-440304-20261122-000001?code=ABCDEFGH", s.base);
        let client = s.client.clone();
        async move { client.get(url).header("x-forwarded-for", xff).send().await.unwrap().status() }
    };
    // No trusted proxy (the default): the header is the client's to forge.
    let s = TestServer::start_configured(|c| c.settings.track_per_minute = 2).await;
    for xff in ["203.0.113.1", "203.0.113.2"] {
        assert_eq!(track(&s, xff).await, StatusCode::NOT_FOUND);
    }
    assert_eq!(track(&s, "203.0.113.3").await, StatusCode::TOO_MANY_REQUESTS, "a new forged address does not reset the count");
    s.finish().await;
    // Behind a trusted proxy: the address our proxy appended counts, and
    // what the client wrote in front of it does not.
    let s = TestServer::start_configured(|c| {
        c.settings.track_per_minute = 2;
        c.settings.trusted_proxies = vec!["127.0.0.0/8".into()];
    })
    .await;
    for xff in ["9.9.9.9, 203.0.113.1", "8.8.8.8, 203.0.113.1"] {
        assert_eq!(track(&s, xff).await, StatusCode::NOT_FOUND);
    }
    assert_eq!(track(&s, "7.7.7.7, 203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(track(&s, "203.0.113.2").await, StatusCode::NOT_FOUND, "another client behind the proxy has its own count");
    s.finish().await;
}

#[tokio::test]
async fn anonymous_upload_bytes_limited_per_day() {
    let s = TestServer::start_configured(|c| c.settings.submit_bytes_per_day = 8_000).await;
    let (status, body) = s.post("/api/v1/petitions", None, anonymous_petition(0, 0)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = s.post("/api/v1/petitions", None, anonymous_petition(1, 9_000)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("今日"), "{body}");
    // The refused upload is not charged: a small petition still goes in.
    let (status, body) = s.post("/api/v1/petitions", None, anonymous_petition(2, 0)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The budget is in the database (on SQLite its rate file beside it),
    // shared by every node.
    sqlx::any::install_default_drivers();
    let url = s.database_url();
    let url = if url.starts_with("sqlite:") { xinfang_store::rate_file_url(&url) } else { url };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT bytes FROM submission_budget").fetch_one(&pool).await.unwrap();
    pool.close().await;
    assert!(stored > 0 && stored <= 8_000, "{stored}");
    s.finish().await;

    let s = TestServer::start_configured(|c| c.settings.submit_per_day = 2).await;
    for i in 0..2 {
        let (status, body) = s.post("/api/v1/petitions", None, anonymous_petition(i, 0)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, _) = s.post("/api/v1/petitions", None, anonymous_petition(3, 0)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the daily count holds too");
    s.finish().await;
}

#[tokio::test]
async fn csp_and_secure_cookies() {
    // Behind a TLS proxy: Secure cookies and HSTS by default.
    let s = TestServer::start_configured(|c| c.settings.tls_proxy = true).await;
    for path in ["/", "/submit", "/track", "/staff/login", "/api/v1/units"] {
        let r = s.client.get(format!("{}{path}", s.base)).send().await.unwrap();
        let csp = r.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(r.headers().get("strict-transport-security").is_some(), "{path}: HSTS");
        for c in r.headers().get_all("set-cookie") {
            assert!(c.to_str().unwrap().contains("; Secure"), "{path}: {c:?}");
        }
        let html = r.text().await.unwrap();
        assert!(!html.contains(" onclick=") && !html.contains("<script>"), "{path}: inline script");
    }
    let r = s.client.get(format!("{}/staff/login", s.base)).send().await.unwrap();
    assert!(r.headers().get_all("set-cookie").iter().count() > 0, "the login page sets its CSRF cookie");
    s.finish().await;
    // No template carries inline script or event handlers.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/templates");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("<script>") && !text.contains(" onclick=") && !text.contains(" onchange=") && !text.contains("style=\""),
            "{path:?}"
        );
    }
    // Plain HTTP (tests, a laptop): no HSTS, cookies without Secure.
    let s = TestServer::start().await;
    let r = s.client.get(format!("{}/staff/login", s.base)).send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    assert!(r.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().contains("Secure")));
    assert!(r.headers().get("content-security-policy").is_some());
    s.finish().await;
    // An https public_url turns them on; secure_cookies = false turns cookies off explicitly.
    let s = TestServer::start_configured(|c| {
        c.settings.public_url = "https://xf.example.gov.cn".into();
        c.settings.secure_cookies = Some(false);
    })
    .await;
    let r = s.client.get(format!("{}/staff/login", s.base)).send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_some());
    assert!(r.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().contains("Secure")));
    s.finish().await;
}

#[tokio::test]
async fn bidi_and_nul_refused_in_titles() {
    let s = TestServer::start().await;
    for bad in ["拖欠工资\u{202E}0005", "拖欠\u{2066}工资\u{2069}", "拖欠\u{200F}工资", "拖欠\0工资"] {
        let mut v = anonymous_petition(0, 0);
        v["title"] = json!(bad);
        v["petitioners"][0]["name"] = json!(format!("张{bad}"));
        let (status, body) = s.post("/api/v1/petitions", None, v).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {body}");
        let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().filter_map(|f| f["field"].as_str()).collect();
        assert!(fields.contains(&"title") && fields.contains(&"petitioners.name"), "{body}");
        assert!(body["error"]["fields"][0]["message"].as_str().unwrap().contains("不可见的控制字符"), "{body}");
    }
    s.finish().await;
}

#[tokio::test]
async fn database_key_and_backup_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let s = TestServer::start().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&s.dir.path().join("xinfang.key")), 0o600);
    if !s.is_postgres() {
        assert_eq!(mode(&s.dir.path().join("xinfang.db")), 0o600);
        // The rate file beside it holds client addresses.
        assert_eq!(mode(&s.dir.path().join("xinfang.db-rates")), 0o600);
    }
    let backup = s.dir.path().join("snapshot.db");
    s.store.backup_to(&s.database_url(), &backup).await.unwrap();
    assert_eq!(mode(&backup), 0o600);
    assert!(std::fs::metadata(&backup).unwrap().len() > 0);
    s.finish().await;
}
