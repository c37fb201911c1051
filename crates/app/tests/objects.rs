//! Attachments as streamed objects (issue 9, item 4): uploads through the
//! portal's multipart form and the API's multipart endpoint are streamed
//! into the object store under their SHA-256, downloads stream back the
//! same bytes, an over-limit or refused upload leaves no object, backup and
//! restore keep an attachment readable, `verify` re-hashes the objects and
//! BLOBs from before the move are migrated. With `XINFANG_TEST_S3` set to a
//! local S3-compatible endpoint (scripts/s3-test.sh starts moto) the same
//! upload and download run against a bucket.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use xinfang::config::Config;

const GOOD: &[(&str, &str)] = PORTAL_CLAIM_FORM;

/// A PDF of `len` bytes without any `<` (no markup to refuse).
fn pdf(len: usize, seed: u8) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    v.extend((0..len.saturating_sub(v.len())).map(|i| b'a' + ((i as u64 * 31 + seed as u64) % 26) as u8));
    v
}

fn sha(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// The configuration the test server runs with (same defaults).
fn cfg_of(s: &TestServer) -> Config {
    Config {
        database_url: s.database_url(),
        key_file: s.dir.path().join("xinfang.key").display().to_string(),
        demo: true,
        demo_petitions: false,
        ..Config::default()
    }
}

fn object_path(s: &TestServer, sha256: &str) -> PathBuf {
    s.dir.path().join("objects").join("sha256").join(&sha256[..2]).join(sha256)
}

/// Objects on disk besides temporaries.
fn stored_objects(s: &TestServer) -> Vec<PathBuf> {
    fn walk(p: &std::path::Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    walk(&s.dir.path().join("objects"), &mut out);
    out
}

async fn letter_number(s: &TestServer) -> String {
    let (status, body) = s.post_as("ft_clerk", "/api/v1/petitions", letter(&days_ago(1))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["number"].as_str().unwrap().to_string()
}

async fn upload(s: &TestServer, number: &str, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let token = s.token("ft_clerk").await;
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    let r =
        s.client.post(format!("{}/api/v1/petitions/{number}/attachments", s.base)).bearer_auth(token).multipart(form).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn download(s: &TestServer, number: &str, id: i64) -> (StatusCode, Vec<u8>) {
    let token = s.token("ft_clerk").await;
    let r = s.client.get(format!("{}/api/v1/petitions/{number}/attachments/{id}", s.base)).bearer_auth(token).send().await.unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn portal_multipart_upload_is_stored_under_its_sha256_and_streams_back() {
    let s = TestServer::start().await;
    let r = s.client.get(format!("{}/submit", s.base)).send().await.unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("xf_csrf="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap();
    let token = cookie.trim_start_matches("xf_csrf=").to_string();
    let content = pdf(3 * 1024 * 1024 + 17, 1);
    let mut f = Form::new().text("csrf", token);
    for (k, v) in GOOD {
        f = f.text(*k, *v);
    }
    // Over the limit through the form: refused beside the form, no object.
    let over = f.part("attachments", Part::bytes(pdf(10 * 1024 * 1024 + 5, 9)).file_name("大文件.pdf"));
    let r = s.client.post(format!("{}/submit", s.base)).header("cookie", &cookie).multipart(over).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("超过10MB"));
    assert!(stored_objects(&s).is_empty(), "{:?}", stored_objects(&s));
    let mut f = Form::new().text("csrf", cookie.trim_start_matches("xf_csrf=").to_string());
    for (k, v) in GOOD {
        f = f.text(*k, *v);
    }
    let f = f.part("attachments", Part::bytes(content.clone()).file_name("证明.pdf"));
    let f = f.text("form_token", xinfang_web::auth::random_secret(16));
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = c.post(format!("{}/submit", s.base)).header("cookie", &cookie).multipart(f).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sealed = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("xf_receipt="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap();
    let r = c.get(format!("{}/submit/receipt", s.base)).header("cookie", format!("{cookie}; {sealed}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let receipt = r.text().await.unwrap();
    let number = receipt.split("XF-").nth(1).map(|r| format!("XF-{}", &r[..22])).unwrap();
    let d = s.detail("ft_clerk", &number).await;
    let a = &d["attachments"][0];
    assert_eq!(a["sha256"], sha(&content));
    assert_eq!(a["size"], content.len());
    assert!(object_path(&s, &sha(&content)).is_file(), "object on disk under its SHA-256");
    let (status, back) = download(&s, &number, a["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(back == content, "downloaded bytes differ");
    // Nothing in the BLOB column.
    let blob: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE in_objects = 1").fetch_one(&db(&s).await).await.unwrap();
    assert_eq!(blob, 1);
    s.finish().await;
}

async fn db(s: &TestServer) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&s.database_url()).await.unwrap()
}

#[tokio::test]
async fn api_multipart_upload_over_the_limit_or_refused_leaves_no_object() {
    let s = TestServer::start().await;
    let number = letter_number(&s).await;
    let content = pdf(200_000, 2);
    let (status, body) = upload(&s, &number, "scan.pdf", content.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body[0]["sha256"], sha(&content));
    let (status, back) = download(&s, &number, body[0]["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(back == content);
    let before = stored_objects(&s);
    assert_eq!(before.len(), 1, "{before:?}");
    // Over the 10 MB limit: refused while streaming, nothing kept.
    let big = pdf(10 * 1024 * 1024 + 1, 3);
    let (status, body) = upload(&s, &number, "big.pdf", big.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "attachment_too_large");
    // Markup after a PDF header, past the first chunk: refused, nothing kept.
    let mut poly = pdf(1024 * 1024, 4);
    poly.extend(b"<script>alert(1)</script>");
    let (status, body) = upload(&s, &number, "poly.pdf", poly).await;
    assert_eq!(body["error"]["code"], "attachment_has_markup", "{status} {body}");
    // A docx that is not an OOXML package (checked on the stored object).
    let (_, body) = upload(&s, &number, "a.docx", b"PK\x03\x04 not really".to_vec()).await;
    assert_eq!(body["error"]["code"], "attachment_not_ooxml");
    assert_eq!(stored_objects(&s), before, "refused uploads leave no object, not even a partial one");
    assert!(!object_path(&s, &sha(&big)).exists());
    // Someone outside the handling chain cannot add files.
    let token = s.token("ns_clerk").await;
    let r = s
        .client
        .post(format!("{}/api/v1/petitions/{number}/attachments", s.base))
        .bearer_auth(token)
        .multipart(Form::new().part("file", Part::bytes(pdf(100, 5)).file_name("x.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    s.finish().await;
}

#[tokio::test]
async fn backup_and_restore_keep_an_attachment_readable() {
    let s = TestServer::start().await;
    let number = letter_number(&s).await;
    let content = pdf(50_000, 6);
    let (_, body) = upload(&s, &number, "scan.pdf", content.clone()).await;
    let id = body[0]["id"].as_i64().unwrap();
    let cfg = cfg_of(&s);
    sqlx::any::install_default_drivers();
    let file = s.dir.path().join("backup.db");
    s.store.backup_to(&cfg.database_url, &file).await.unwrap();
    assert_eq!(xinfang::backup_objects(&cfg, &file).unwrap(), Some(1));
    // The objects are lost; restore puts them back.
    std::fs::remove_dir_all(s.dir.path().join("objects").join("sha256")).unwrap();
    let (status, _) = download(&s, &number, id).await;
    assert_ne!(status, StatusCode::OK);
    assert_eq!(xinfang::restore_objects(&cfg, &file).unwrap(), Some(1));
    let (status, back) = download(&s, &number, id).await;
    assert_eq!(status, StatusCode::OK);
    assert!(back == content);
    // On SQLite, the snapshot restored as a database reads the same file.
    if !s.is_postgres() {
        let url = format!("sqlite://{}/restored.db", s.dir.path().display());
        xinfang_store::restore(&url, &file).await.unwrap();
        let restored = xinfang_store::Store::connect(&url).await.unwrap().with_objects(xinfang::objects(&cfg).unwrap());
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let pid: i64 = sqlx::query_scalar("SELECT petition_id FROM attachments WHERE id = $1").bind(id).fetch_one(&pool).await.unwrap();
        let (meta, mut stream) = restored.attachment_stream(pid, id).await.unwrap().unwrap();
        let mut bytes = Vec::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
            bytes.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(meta.sha256, sha(&content));
        assert!(bytes == content);
        pool.close().await;
        restored.close().await;
    }
    s.finish().await;
}

#[tokio::test]
async fn verify_detects_a_changed_object_and_blobs_are_migrated() {
    let s = TestServer::start().await;
    let number = letter_number(&s).await;
    let content = pdf(40_000, 7);
    let (_, body) = upload(&s, &number, "scan.pdf", content.clone()).await;
    let id = body[0]["id"].as_i64().unwrap();
    let cfg = cfg_of(&s);
    let v = xinfang::verify(&cfg).await.unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    // An attachment from before the move: content in the BLOB column.
    let pool = db(&s).await;
    let path = object_path(&s, &sha(&content));
    std::fs::remove_file(&path).unwrap();
    sqlx::query("UPDATE attachments SET in_objects = 0, content = $1 WHERE id = $2")
        .bind(content.clone())
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let (status, back) = download(&s, &number, id).await;
    assert_eq!(status, StatusCode::OK, "reads fall back to the BLOB");
    assert!(back == content);
    assert_eq!(s.store.migrate_attachments().await.unwrap(), 1);
    assert!(path.is_file());
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE in_objects = 0").fetch_one(&pool).await.unwrap();
    assert_eq!(left, 0);
    assert_eq!(download(&s, &number, id).await.1, content);
    // The object changed on disk: verify names the attachment.
    let mut changed = content.clone();
    changed[100] ^= 1;
    std::fs::write(&path, &changed).unwrap();
    let v = xinfang::verify(&cfg).await.unwrap();
    assert!(v.breaks.iter().any(|b| b.chain == "attachments" && b.petition.as_deref() == Some(number.as_str())), "{:?}", v.breaks);
    pool.close().await;
    s.finish().await;
}

/// Against a local S3-compatible server (scripts/s3-test.sh).
#[tokio::test]
async fn s3_upload_and_download_through_a_bucket() {
    let Ok(endpoint) = std::env::var("XINFANG_TEST_S3") else {
        eprintln!("skipped: XINFANG_TEST_S3 not set (run scripts/s3-test.sh)");
        return;
    };
    let bucket = std::env::var("XINFANG_TEST_S3_BUCKET").unwrap_or_else(|_| "xinfang-test".into());
    let s = TestServer::start_configured(|c| {
        c.object_store_url = Some(format!("s3://{bucket}/objects-test"));
        c.s3_endpoint = Some(endpoint.clone());
        c.s3_access_key_id = Some("testing".into());
        c.s3_secret_access_key = Some("testing".into());
        c.s3_path_style = true;
    })
    .await;
    let number = letter_number(&s).await;
    // Larger than one multipart part (5 MB) to cover multipart completion.
    let content = pdf(6 * 1024 * 1024 + 3, 8);
    let (status, body) = upload(&s, &number, "scan.pdf", content.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, back) = download(&s, &number, body[0]["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(back == content);
    let (_, body) = upload(&s, &number, "big.pdf", pdf(10 * 1024 * 1024 + 1, 9)).await;
    assert_eq!(body["error"]["code"], "attachment_too_large");
    assert!(!s.store.objects().unwrap().exists(&sha(&pdf(10 * 1024 * 1024 + 1, 9))).await.unwrap());
    assert!(s.dir.path().join("objects").read_dir().map(|mut d| d.next().is_none()).unwrap_or(true), "nothing on local disk");
    s.finish().await;
}
