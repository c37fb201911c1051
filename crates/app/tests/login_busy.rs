//! A login that finds no password-check turn in time is answered 503
//! `busy` before anything is read or counted (issue 9: the argon2 queue's
//! wait is bounded). Its own test binary: it holds the process's turns and
//! shortens the wait, which other tests beside it would feel.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_login_that_finds_no_check_turn_is_busy_and_counts_nothing() {
    let s = TestServer::start().await;
    let login = |password: &'static str| {
        let client = s.client.clone();
        let url = format!("{}/api/v1/auth/login", s.base);
        async move { client.post(url).json(&json!({"username": "ft_clerk", "password": password})).send().await.expect("request") }
    };
    xinfang_web::auth::set_argon2_wait(Duration::from_millis(50));
    let every_turn = [xinfang_web::auth::argon2_turn().await.ok(), xinfang_web::auth::argon2_turn().await.ok()];
    assert!(every_turn.iter().all(Option::is_some), "this binary's only test holds both turns");
    // More wrong passwords than lock an account (10), all while no turn is free.
    for _ in 0..12 {
        let response = login("wrong-password-1").await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "busy", "{body}");
    }
    // The staff login page says the same, in Chinese, with the same header.
    let page = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let html = page.get(format!("{}/staff/login", s.base)).send().await.expect("form").text().await.expect("html");
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).expect("csrf field").split('"').next().expect("csrf").to_string();
    let response = page
        .post(format!("{}/staff/login", s.base))
        .form(&[("csrf", csrf.as_str()), ("username", "ft_clerk"), ("password", "wrong-password-1")])
        .send()
        .await
        .expect("login form");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
    assert!(response.text().await.expect("html").contains("系统正忙，请几秒后再试"));
    drop(every_turn);
    xinfang_web::auth::set_argon2_wait(Duration::from_secs(600));
    // None of them was counted: the account is not locked.
    let response = login(PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK, "the busy answers counted no failed attempt");
    s.finish().await;
}
