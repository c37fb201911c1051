//! Accounts: lockout, rate limits, sessions, second factor, password
//! policy, API key revocation.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn ten_wrong_passwords_lock_the_account() {
    let s = TestServer::start().await;
    for i in 1..=9 {
        let (status, body) = s.post("/api/v1/auth/login", None, json!({"username": "ft_clerk", "password": "Wrong@password1"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}: {body}");
    }
    let (status, body) = s.post("/api/v1/auth/login", None, json!({"username": "ft_clerk", "password": "Wrong@password1"})).await;
    // A locked account answers like a wrong password (issue 8: no 423).
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "invalid_credentials");
    // Even the right password is refused while locked.
    let (status, body) = s.post("/api/v1/auth/login", None, json!({"username": "ft_clerk", "password": PASSWORD})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")));
    // Other accounts are unaffected; an admin unlocks.
    let (status, _) = s.post_as("admin", "/api/v1/users/ft_clerk/unlock", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.post("/api/v1/auth/login", None, json!({"username": "ft_clerk", "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK);
    s.finish().await;
}

#[tokio::test]
async fn public_submission_answers_429_beyond_its_rate() {
    inside_one_minute().await;
    let s = TestServer::start_configured(|c| c.settings.submit_per_minute = 3).await;
    for i in 0..3 {
        let mut v = online_claim(&format!("限流{i}"), "440304199001011233");
        v["petitioners"][0]["id_number"] = serde_json::Value::Null;
        v["facts_and_reasons"] = json!(format!("第{i}件独立事项{}", "内容".repeat(i + 1)));
        let (status, body) = s.post("/api/v1/petitions", None, v).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let resp =
        s.client.post(format!("{}/api/v1/petitions", s.base)).json(&online_claim("限流", "440304199001011233")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "60");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Staff registration is not a public submission.
    let (status, _) = s.post_as("ft_clerk", "/api/v1/petitions", letter(&today().to_string())).await;
    assert_eq!(status, StatusCode::CREATED);
    s.finish().await;
}

#[tokio::test]
async fn tracking_and_login_are_rate_limited_too() {
    inside_one_minute().await;
    let s = TestServer::start_configured(|c| {
        c.settings.track_per_minute = 2;
        c.settings.login_per_minute = 2;
    })
    .await;
    for _ in 0..2 {
        let (status, _) = s.get("/api/v1/track/XF-440304-20261122-000001?code=ABCDEFGH", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = s.get("/api/v1/track/XF-440304-20261122-000001?code=ABCDEFGH", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "guessing query codes is bounded");
    for _ in 0..2 {
        s.post("/api/v1/auth/login", None, json!({"username": "nobody", "password": "x"})).await;
    }
    let (status, _) = s.post("/api/v1/auth/login", None, json!({"username": "ft_clerk", "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    s.finish().await;
}

#[tokio::test]
async fn logout_everywhere_and_password_change_end_all_sessions() {
    let s = TestServer::start().await;
    let login = || async {
        let (_, b) = s.post("/api/v1/auth/login", None, json!({"username": "ft_clerk", "password": PASSWORD})).await;
        b["token"].as_str().unwrap().to_string()
    };
    let (a, b) = (login().await, login().await);
    let (status, _) = s.post("/api/v1/auth/logout-all", Some(&a), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for t in [&a, &b] {
        assert_eq!(s.get("/api/v1/me", Some(t)).await.0, StatusCode::UNAUTHORIZED);
    }
    let t = login().await;
    let (status, err) = s.post("/api/v1/me/password", Some(&t), json!({"current_password": PASSWORD, "new_password": "short"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["code"], "weak_password");
    let (status, _) =
        s.post("/api/v1/me/password", Some(&t), json!({"current_password": PASSWORD, "new_password": "Changed#Pass2027"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(s.get("/api/v1/me", Some(&t)).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = s.post("/api/v1/auth/login", None, json!({"username": "ft_clerk", "password": "Changed#Pass2027"})).await;
    assert_eq!(status, StatusCode::OK);
    s.finish().await;
}

#[tokio::test]
async fn idle_sessions_expire() {
    let s = TestServer::start_configured(|c| c.settings.idle_timeout_minutes = 0).await;
    let (_, b) = s.post("/api/v1/auth/login", None, json!({"username": "ft_clerk", "password": PASSWORD})).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (status, _) = s.get("/api/v1/me", Some(b["token"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    s.finish().await;
}

#[tokio::test]
async fn totp_second_factor() {
    let s = TestServer::start().await;
    let t = s.token("ft_head").await;
    let (status, enrol) = s.post("/api/v1/me/totp", Some(&t), json!({"password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK, "{enrol}");
    let secret = xinfang_crypto::totp::base32_decode(enrol["secret"].as_str().unwrap()).unwrap();
    let code = || xinfang_crypto::totp::code_at(&secret, u64::try_from(chrono::Utc::now().timestamp()).unwrap());
    // Each code is accepted once: after confirming, log in with the next
    // step's code (one step of drift is allowed).
    let next_code = || xinfang_crypto::totp::code_at(&secret, u64::try_from(chrono::Utc::now().timestamp()).unwrap() + 30);
    let (status, _) = s.post("/api/v1/me/totp/confirm", Some(&t), json!({"code": "000000"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = s.post("/api/v1/me/totp/confirm", Some(&t), json!({"code": code()})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, err) = s.post("/api/v1/auth/login", None, json!({"username": "ft_head", "password": PASSWORD})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("totp_required")));
    let wrong = if [code(), next_code()].contains(&"123456".to_string()) { "654321" } else { "123456" };
    let (status, err) = s.post("/api/v1/auth/login", None, json!({"username": "ft_head", "password": PASSWORD, "totp": wrong})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_totp")));
    let (status, ok) = s.post("/api/v1/auth/login", None, json!({"username": "ft_head", "password": PASSWORD, "totp": next_code()})).await;
    assert_eq!(status, StatusCode::OK, "{ok}");
    assert_eq!(ok["user"]["totp_enabled"], true);
    s.finish().await;
}

#[tokio::test]
async fn admin_creates_users_under_the_policy_and_revokes_api_keys() {
    let s = TestServer::start().await;
    let user =
        |pw: &str, unit: &str| json!({"username": "ft_new", "display_name": "新同事", "password": pw, "role": "clerk", "unit": unit});
    let (status, err) = s.post_as("admin", "/api/v1/users", user("password", "440304-XFJ")).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("weak_password")));
    let (status, _) = s.post_as("ft_clerk", "/api/v1/users", user("Good#Password1", "440304-XFJ")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s.post_as("admin", "/api/v1/users", user("Good#Password1", "440304-XFJ")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = s.post_as("admin", "/api/v1/users", user("Good#Password1", "440304-XFJ")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = s.post("/api/v1/auth/login", None, json!({"username": "ft_new", "password": "Good#Password1"})).await;
    assert_eq!(status, StatusCode::OK);
    // API keys are scoped to a unit and revocable.
    let (_, key) = s.post_as("admin", "/api/v1/api-keys", json!({"label": "热线", "unit": "440304-XFJ", "channel": "hotline"})).await;
    let (id, k) = (key["id"].as_i64().unwrap(), key["api_key"].as_str().unwrap().to_string());
    assert_eq!(s.get(&format!("/open311/v2/requests.json?api_key={k}"), None).await.0, StatusCode::OK);
    let resp = s.client.delete(format!("{}/api/v1/api-keys/{id}", s.base)).bearer_auth(s.token("admin").await).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.get(&format!("/open311/v2/requests.json?api_key={k}"), None).await.0, StatusCode::FORBIDDEN);
    s.finish().await;
}
