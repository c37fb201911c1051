//! Personal data at rest, masking, the access log, and tamper evidence.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

const ID: &str = "440304197503150015";
const PHONE: &str = "13800138000";

async fn submit(s: &TestServer) -> String {
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim("王五", ID)).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    sub["number"].as_str().unwrap().to_string()
}

/// Every byte the database keeps on disk (SQLite) or dumps (PostgreSQL).
fn stored_bytes(s: &TestServer) -> Vec<u8> {
    if s.is_postgres() {
        let out = std::process::Command::new("pg_dump").arg(s.database_url()).output().expect("pg_dump is installed with PostgreSQL");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        return out.stdout;
    }
    let mut all = Vec::new();
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("xinfang.db") {
            all.extend(std::fs::read(path).unwrap());
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn no_plaintext_identity_number_or_phone_in_the_database() {
    let s = TestServer::start().await;
    let number = submit(&s).await;
    let bytes = stored_bytes(&s);
    assert!(bytes.len() > 10_000, "read the database");
    assert!(contains(&bytes, &number), "sanity: the petition number is there in plaintext");
    assert!(!contains(&bytes, ID), "identity number stored in plaintext");
    assert!(!contains(&bytes, PHONE), "phone stored in plaintext");
    assert!(!contains(&bytes, "深圳市福田区华强北街道"), "address stored in plaintext");
    s.finish().await;
}

#[tokio::test]
async fn masked_by_default_unmasked_only_on_a_logged_action() {
    let s = TestServer::start().await;
    let number = submit(&s).await;
    let d = s.detail("ft_clerk", &number).await;
    let p = &d["petitioners"][0];
    assert_eq!(p["id_number"], "4403**********0015");
    assert_eq!(p["phone"], "138****8000");
    assert_eq!(p["masked"], true);
    // A reason is required.
    let (status, _) = s.post_as("ft_clerk", &format!("/api/v1/petitions/{number}/unmask"), json!({"reason": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, u) =
        s.post_as("ft_clerk", &format!("/api/v1/petitions/{number}/unmask"), json!({"reason": "电话联系信访人核实诉求"})).await;
    assert_eq!(status, StatusCode::OK, "{u}");
    assert_eq!(u["petitioners"][0]["id_number"], ID);
    assert_eq!(u["petitioners"][0]["phone"], PHONE);
    // A unit that cannot see the petition cannot unmask it; the admin cannot either.
    let (status, _) = s.post_as("ns_clerk", &format!("/api/v1/petitions/{number}/unmask"), json!({"reason": "查看"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.post_as("admin", &format!("/api/v1/petitions/{number}/unmask"), json!({"reason": "查看"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The admin reads the access log; nobody else does.
    let (status, _) = s.get_as("ft_clerk", "/api/v1/access-log").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, log) = s.get_as("admin", &format!("/api/v1/access-log?petition={number}")).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["username"], "ft_clerk");
    assert_eq!(log[0]["reason"], "电话联系信访人核实诉求");
    assert_eq!(log[0]["unit"], "440304-XFJ");
    s.finish().await;
}

async fn raw_execute(s: &TestServer, sql: &str, number: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&s.database_url()).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(number.to_string()).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

/// `xinfang verify` as a separate process. Waited for off the test's
/// runtime: the server under test runs on the same (single) thread, and a
/// background job of it may be inside a write transaction that the CLI
/// must wait for.
async fn verify(s: &TestServer) -> (bool, String) {
    let url = s.database_url();
    // The server's key file: with it the CLI checks the HMACs too, and on
    // PostgreSQL finds the objects (letters, attachments) beside it.
    let key = s.dir.path().join("xinfang.key").display().to_string();
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_xinfang"))
            .args(["verify", "--database-url", &url])
            .env("XINFANG_LOG", "warn")
            .env("XINFANG_KEY_FILE", key)
            .output()
            .unwrap();
        (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn flipping_one_byte_of_a_stored_event_fails_verify_and_names_the_petition() {
    let s = TestServer::start().await;
    let number = submit(&s).await;
    let other = {
        let (_, sub) = s.post("/api/v1/petitions", None, online_claim("另一人", "440304199001011233")).await;
        sub["number"].as_str().unwrap().to_string()
    };
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    s.act("ft_rst_officer", &number, "accept", json!({"route": 6})).await;
    s.post_as("ft_clerk", &format!("/api/v1/petitions/{other}/unmask"), json!({"reason": "核实身份"})).await;
    let (ok, out) = verify(&s).await;
    assert!(ok, "intact record verifies: {out}");
    assert!(out.contains("intact"));
    raw_execute(&s, "UPDATE events SET payload = REPLACE(payload, '440304-RST', '440304-RSU') WHERE seq = 2 AND petition_id = (SELECT id FROM petitions WHERE number = $1)", &number).await;
    let (ok, out) = verify(&s).await;
    assert!(!ok, "tampering detected");
    assert!(out.contains(&number) && out.contains("event 2"), "{out}");
    assert!(!out.contains(&other), "the untouched petition is intact: {out}");
    s.finish().await;
}

#[tokio::test]
async fn tampering_with_the_access_log_fails_verify() {
    let s = TestServer::start().await;
    let number = submit(&s).await;
    for reason in ["第一次查看", "第二次查看"] {
        s.post_as("ft_clerk", &format!("/api/v1/petitions/{number}/unmask"), json!({"reason": reason})).await;
    }
    assert!(verify(&s).await.0);
    raw_execute(&s, "UPDATE access_log SET reason = '无' WHERE seq = 1 AND $1 <> ''", &number).await;
    let (ok, out) = verify(&s).await;
    assert!(!ok);
    assert!(out.contains("access_log at entry 1"), "{out}");
    s.finish().await;
}
