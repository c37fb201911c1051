//! Issue 8, item 8: `xinfang verify` covers the record. Each tampering is
//! done with raw SQL on a copy of a real database (SQLite or PostgreSQL),
//! and `xinfang::verify` — what the CLI runs — must name what changed.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Connection, Row};
use xinfang::config::Config;
use xinfang_store::{ChainBreak, EventHashInput};

/// A finished base database and what the tamperings need to know of it.
struct Base {
    s: TestServer,
    /// SQLite: a consistent snapshot file; PostgreSQL: the template database.
    snapshot: String,
    key_file: String,
    checkpoint: std::path::PathBuf,
    /// The petition tampered with, and an untouched one.
    a: String,
    b: String,
    copies: std::sync::Mutex<Vec<String>>,
}

fn cfg_for(url: &str, key_file: &str, checkpoint: &std::path::Path) -> Config {
    Config {
        database_url: url.to_string(),
        key_file: key_file.to_string(),
        checkpoint_file: Some(checkpoint.display().to_string()),
        ..Config::default()
    }
}

fn attachment(name: &str, bytes: &[u8]) -> serde_json::Value {
    use base64::Engine;
    json!({"filename": name, "content_type": "application/pdf", "content_base64": base64::engine::general_purpose::STANDARD.encode(bytes)})
}

async fn base() -> Base {
    let s = TestServer::start().await;
    let mut claim = online_claim("王五", "440304199001011233");
    claim["attachments"] = json!([attachment("工资条.pdf", b"%PDF-1.4\n% wage slips\n%%EOF\n")]);
    let (status, sub) = s.post("/api/v1/petitions", None, claim).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let a = sub["number"].as_str().unwrap().to_string();
    let mut other = online_claim("赵六", "110101199003074514");
    other["facts_and_reasons"] = json!("另一件与前者无关的事项：小区噪音扰民，多次反映无果。");
    let (status, sub) = s.post("/api/v1/petitions", None, other).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let b = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &a, "forward", json!({"unit": "440304-RST"})).await;
    s.act("ft_rst_officer", &a, "accept", json!({"route": 6})).await;
    for reason in ["核实身份", "电话联系", "再次核实"] {
        let (status, body) = s.post_as("ft_clerk", &format!("/api/v1/petitions/{b}/unmask"), json!({"reason": reason})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let key_file = s.dir.path().join("xinfang.key").display().to_string();
    let checkpoint = s.dir.path().join("checkpoint.json");
    let live = cfg_for(&s.database_url(), &key_file, &checkpoint);
    let v = xinfang::verify(&live).await.unwrap();
    assert!(v.breaks.is_empty(), "the untouched record verifies: {:?}", v.breaks);
    assert!(v.authenticated);
    assert!(checkpoint.exists(), "a clean verify writes a checkpoint file");
    let snapshot = if s.is_postgres() {
        // The template for the copies must have no other session.
        s.store.close().await;
        s.database_url()
    } else {
        let f = s.dir.path().join("base.db");
        s.store.backup_to(&s.database_url(), &f).await.unwrap();
        s.store.close().await;
        f.display().to_string()
    };
    Base { s, snapshot, key_file, checkpoint, a, b, copies: Default::default() }
}

impl Base {
    /// A fresh copy of the base database (and of its checkpoint file).
    async fn copy(&self, tag: &str) -> Config {
        let cp = self.s.dir.path().join(format!("{tag}.checkpoint.json"));
        std::fs::copy(&self.checkpoint, &cp).unwrap();
        let url = if self.s.is_postgres() {
            let admin = std::env::var("XINFANG_TEST_DATABASE_URL").unwrap();
            let template = self.snapshot.rsplit('/').next().unwrap().to_string();
            let name = format!("{template}_{tag}");
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name} TEMPLATE {template}"))).execute(&mut conn).await.unwrap();
            conn.close().await.ok();
            self.copies.lock().unwrap().push(name.clone());
            format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
        } else {
            let f = self.s.dir.path().join(format!("{tag}.db"));
            std::fs::copy(&self.snapshot, &f).unwrap();
            format!("sqlite://{}", f.display())
        };
        cfg_for(&url, &self.key_file, &cp)
    }

    async fn finish(self) {
        if let Ok(admin) = std::env::var("XINFANG_TEST_DATABASE_URL")
            && self.s.is_postgres()
        {
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            let copies = self.copies.lock().unwrap().clone();
            for name in copies {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut conn).await;
            }
            conn.close().await.ok();
        }
        self.s.finish().await;
    }
}

async fn raw(cfg: &Config) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&cfg.database_url).await.unwrap()
}

async fn exec(conn: &mut sqlx::AnyConnection, sql: &str, number: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(number.to_string()).execute(&mut *conn).await.unwrap();
}

async fn findings(cfg: &Config) -> Vec<ChainBreak> {
    let v = xinfang::verify(cfg).await.unwrap();
    assert!(v.authenticated, "the key file was found");
    assert!(!v.breaks.is_empty(), "the tampering is detected");
    for b in &v.breaks {
        eprintln!("{}: BROKEN {b}", cfg.database_url.rsplit('/').next().unwrap_or_default());
    }
    v.breaks
}

fn named<'a>(breaks: &'a [ChainBreak], chain: &str, petition: Option<&str>, what: &str) -> &'a ChainBreak {
    breaks
        .iter()
        .find(|b| b.chain == chain && b.petition.as_deref() == petition && b.what == what)
        .unwrap_or_else(|| panic!("no {chain} finding naming {what} of {petition:?} in {breaks:#?}"))
}

const PID: &str = "(SELECT id FROM petitions WHERE number = $1)";

#[tokio::test]
async fn verify_names_each_tampering_with_the_record() {
    let base = base().await;
    let (a, b) = (base.a.clone(), base.b.clone());

    // An untouched copy verifies, and without the key it says it could not authenticate.
    let cfg = base.copy("intact").await;
    let v = xinfang::verify(&cfg).await.unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    assert!(v.checkpoint.is_some(), "compared with the checkpoint");
    let mut keyless = cfg.clone();
    keyless.key_file = base.s.dir.path().join("no-such.key").display().to_string();
    assert!(!xinfang::verify(&keyless).await.unwrap().authenticated);

    // 1. The title of a petition.
    let cfg = base.copy("title").await;
    exec(&mut raw(&cfg).await, "UPDATE petitions SET title = '已办结无需处理' WHERE number = $1", &a).await;
    let f = findings(&cfg).await;
    named(&f, "record", Some(&a), "title");
    assert!(f.iter().all(|x| x.petition.as_deref() != Some(b.as_str())), "the other petition is intact: {f:?}");

    // 2. A petitioner's keyed hash (pointing searches at someone else).
    let cfg = base.copy("phash").await;
    exec(&mut raw(&cfg).await, &format!("UPDATE petitioners SET phone_hash = 'ffff' WHERE petition_id = {PID}"), &a).await;
    named(&findings(&cfg).await, "record", Some(&a), "petitioner 1");

    // 3. An attachment's content: alone (its SHA-256 no longer matches),
    // and with its SHA-256 recomputed (the record no longer matches).
    let cfg = base.copy("file").await;
    let mut conn = raw(&cfg).await;
    let id: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id FROM attachments WHERE petition_id = {PID}")))
        .bind(a.clone())
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let forged = b"%PDF-1.4\n% nothing was owed\n%%EOF\n".to_vec();
    sqlx::query("UPDATE attachments SET content = $1 WHERE id = $2").bind(forged.clone()).bind(id).execute(&mut conn).await.unwrap();
    let f = findings(&cfg).await;
    named(&f, "attachments", Some(&a), &format!("attachment {id}"));
    {
        use sha2::Digest;
        let sha = hex_encode(&sha2::Sha256::digest(&forged));
        sqlx::query("UPDATE attachments SET sha256 = $1 WHERE id = $2").bind(sha).bind(id).execute(&mut conn).await.unwrap();
    }
    named(&findings(&cfg).await, "record", Some(&a), &format!("attachment {id}"));

    // 4. The state.
    let cfg = base.copy("state").await;
    exec(&mut raw(&cfg).await, "UPDATE petitions SET state = 'closed' WHERE number = $1", &a).await;
    named(&findings(&cfg).await, "record", Some(&a), "state");

    // 5. An event's payload rewritten and the whole chain recomputed
    // (SM3 is public; only the HMAC key is missing).
    let cfg = base.copy("rechain").await;
    let mut conn = raw(&cfg).await;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM events WHERE petition_id = {PID} ORDER BY seq")))
        .bind(a.clone())
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let mut prev = xinfang_crypto::CHAIN_GENESIS.to_string();
    for r in &rows {
        let seq: i64 = r.try_get("seq").unwrap();
        let mut payload: String = r.try_get("payload").unwrap();
        if seq == 2 {
            payload = payload.replace("440304-RST", "440304-JYJ");
        }
        let s = |c: &str| r.try_get::<String, _>(c).unwrap();
        let os = |c: &str| r.try_get::<Option<String>, _>(c).unwrap();
        let oi = |c: &str| r.try_get::<Option<i64>, _>(c).unwrap();
        let (action, kind, occurred, recorded, to, from, reason, digest) = (
            s("action"),
            s("actor_kind"),
            s("occurred_at"),
            s("recorded_at"),
            s("to_state"),
            os("from_state"),
            os("reason"),
            os("record_digest"),
        );
        let input = EventHashInput {
            number: &a,
            seq,
            action: &action,
            actor_kind: &kind,
            actor_user_id: oi("actor_user_id"),
            actor_unit_id: oi("actor_unit_id"),
            occurred_at: &occurred,
            recorded_at: &recorded,
            from_state: from.as_deref(),
            to_state: &to,
            payload: &payload,
            reason: reason.as_deref(),
            record_digest: digest.as_deref(),
        };
        let hash = xinfang_crypto::chain_hash(&prev, input.canonical().as_bytes());
        let id: i64 = r.try_get("id").unwrap();
        sqlx::query("UPDATE events SET payload = $1, prev_hash = $2, hash = $3 WHERE id = $4")
            .bind(payload)
            .bind(prev.clone())
            .bind(hash.clone())
            .bind(id)
            .execute(&mut conn)
            .await
            .unwrap();
        prev = hash;
    }
    sqlx::query("UPDATE petitions SET event_head_hash = $1 WHERE number = $2").bind(prev).bind(a.clone()).execute(&mut conn).await.unwrap();
    let f = findings(&cfg).await;
    let hit = named(&f, "events", Some(&a), "event 2");
    assert!(hit.problem.contains("HMAC"), "{hit:?}");

    // 6. The last event deleted and the head set back to the one before.
    let cfg = base.copy("truncate").await;
    let mut conn = raw(&cfg).await;
    exec(&mut conn, &format!("DELETE FROM events WHERE petition_id = {PID} AND seq = 3"), &a).await;
    exec(
        &mut conn,
        &format!("UPDATE petitions SET event_seq = 2, event_head_hash = (SELECT hash FROM events WHERE petition_id = {PID} AND seq = 2) WHERE number = $1"),
        &a,
    )
    .await;
    named(&findings(&cfg).await, "events", Some(&a), "event 3");

    // 7. An access-log entry deleted: one in the middle, then the last one
    // with the head set back.
    let cfg = base.copy("access").await;
    exec(&mut raw(&cfg).await, "DELETE FROM access_log WHERE seq = 2 AND $1 <> ''", &a).await;
    named(&findings(&cfg).await, "access_log", None, "entry 2");
    let cfg = base.copy("access_last").await;
    let mut conn = raw(&cfg).await;
    exec(&mut conn, "DELETE FROM access_log WHERE seq = 3 AND $1 <> ''", &a).await;
    exec(
        &mut conn,
        "UPDATE chain_heads SET seq = 2, hash = (SELECT hash FROM access_log WHERE seq = 2) WHERE name = 'access_log' AND $1 <> ''",
        &a,
    )
    .await;
    named(&findings(&cfg).await, "access_log", None, "entry 3");

    // 8. A whole petition deleted with every row that names it.
    let cfg = base.copy("petition").await;
    let mut conn = raw(&cfg).await;
    for table in [
        "access_log",
        "events",
        "petitioners",
        "petition_units",
        "petition_identities",
        "deadlines",
        "notices",
        "attachments",
        "approvals",
        "urgent_reports",
        "evaluations",
        "petition_viewers",
    ] {
        exec(&mut conn, &format!("DELETE FROM {table} WHERE petition_id = {PID}"), &b).await;
    }
    exec(&mut conn, "DELETE FROM petitions WHERE number = $1", &b).await;
    let f = findings(&cfg).await;
    named(&f, "petitions", Some(&b), "petition");
    named(&f, "petitions", None, "count");

    base.finish().await;
}

#[tokio::test]
async fn a_deleted_petition_is_seen_without_a_checkpoint_too() {
    // No checkpoint yet (the file and the table are empty): the MAC'd
    // petition counter still sees the deletion.
    let s = TestServer::start().await;
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim("钱七", "440304199001011233")).await;
    assert_eq!(status, StatusCode::CREATED);
    let number = sub["number"].as_str().unwrap().to_string();
    let key_file = s.dir.path().join("xinfang.key").display().to_string();
    let cfg = cfg_for(&s.database_url(), &key_file, &s.dir.path().join("none.json"));
    let mut conn = raw(&cfg).await;
    for table in
        ["events", "petitioners", "petition_units", "petition_viewers", "petition_identities", "deadlines", "notices", "attachments"]
    {
        exec(&mut conn, &format!("DELETE FROM {table} WHERE petition_id = {PID}"), &number).await;
    }
    exec(&mut conn, "DELETE FROM petitions WHERE number = $1", &number).await;
    conn.close().await.ok();
    let v = s.store.verify_record(None).await.unwrap();
    let hit = named(&v.breaks, "petitions", None, "count");
    assert!(hit.problem.contains("deleted"), "{hit:?}");
    s.finish().await;
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Issue 8, item 10 (files): checked by content to the end, at the door.
#[tokio::test]
async fn attachments_are_checked_by_content_to_the_end() {
    let s = TestServer::start().await;
    let submit = |name: &str, bytes: &[u8]| {
        let mut v = online_claim("孙八", "440304199001011233");
        v["attachments"] = json!([attachment(name, bytes)]);
        v
    };
    // A GIF header followed by a page: refused.
    let (status, body) =
        s.post("/api/v1/petitions", None, submit("证据.gif", b"GIF89a\x01\x00\x01\x00<html><script>alert(1)</script>")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "attachment_has_markup");
    // A zip renamed .docx: not an OOXML package.
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x00\x00 not really a package";
    let (status, body) = s.post("/api/v1/petitions", None, submit("材料.docx", zip)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "attachment_not_ooxml");
    // A PDF named .jpg is stored as .pdf.
    let (status, sub) = s.post("/api/v1/petitions", None, submit("现场照片.jpg", b"%PDF-1.4\n%%EOF\n")).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap();
    let (_, detail) = s.get_as("ft_clerk", &format!("/api/v1/petitions/{number}")).await;
    let files = detail["attachments"].as_array().unwrap();
    assert_eq!(files[0]["filename"], "现场照片.pdf", "{detail}");
    assert_eq!(files[0]["content_type"], "application/pdf");
    s.finish().await;
}

/// Checkpoints written before the compact heads (every head inside the
/// signed JSON body, table and file alike) are still read: `verify`
/// compares with them, and the next checkpoint is taken in the compact
/// form after checking that nothing went back.
#[tokio::test]
async fn a_checkpoint_in_the_older_format_is_still_read_and_followed() {
    let base = base().await;
    let cfg = base.copy("oldformat").await;
    let keys = base.s.keyring();
    // Rewrite the newest checkpoint as the older format wrote it.
    let mut conn = raw(&cfg).await;
    let row = sqlx::query("SELECT seq, taken_at, body FROM checkpoints ORDER BY seq DESC LIMIT 1").fetch_one(&mut conn).await.unwrap();
    let (seq, taken_at): (i64, String) = (row.get("seq"), row.get("taken_at"));
    let body: serde_json::Value = serde_json::from_str(&row.get::<String, _>("body")).unwrap();
    let mut heads = serde_json::Map::new();
    for r in sqlx::query("SELECT number, event_seq, event_head_hash FROM petitions").fetch_all(&mut conn).await.unwrap() {
        heads.insert(r.get("number"), json!([r.get::<i64, _>("event_seq"), r.get::<String, _>("event_head_hash")]));
    }
    let old = json!({"seq": seq, "taken_at": taken_at, "petitions": body["petitions"], "access_log": body["access_log"], "heads": heads})
        .to_string();
    let mac = keys.anchor_mac("checkpoint", &old);
    sqlx::query("UPDATE checkpoints SET body = $1, mac = $2, heads = NULL WHERE seq = $3")
        .bind(old.clone())
        .bind(mac.clone())
        .bind(seq)
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.ok();
    let file = cfg.checkpoint_file.clone().unwrap();
    std::fs::write(&file, json!({"body": old, "mac": mac}).to_string()).unwrap();
    let store = xinfang::open_with(&cfg, Some(std::sync::Arc::new(keys))).await.unwrap();
    let v = store.verify_record(Some(std::path::Path::new(&file))).await.unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    assert_eq!(v.checkpoint, Some(seq));
    let next = store.take_checkpoint(Some(std::path::Path::new(&file))).await.unwrap();
    assert_eq!(next.seq, seq + 1);
    assert_eq!(next.heads.len(), 2);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 2, "signed body, then the compact heads");
    store.close().await;
    // A petition whose head is moved back afterwards: the next checkpoint
    // is refused (nothing is blessed).
    let mut conn = raw(&cfg).await;
    exec(&mut conn, "UPDATE petitions SET event_seq = event_seq - 1 WHERE number = $1", &base.a).await;
    conn.close().await.ok();
    let store = xinfang::open_with(&cfg, Some(std::sync::Arc::new(base.s.keyring()))).await.unwrap();
    let err = store.take_checkpoint(Some(std::path::Path::new(&file))).await.unwrap_err();
    assert!(err.to_string().contains("checkpoint refused"), "{err}");
    store.close().await;
    // A changed heads line in the file no longer matches its signature.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1] = lines[1].replacen('a', "b", 1).replacen('0', "1", 1);
    std::fs::write(&file, lines.join("\n")).unwrap();
    let store = xinfang::open_with(&cfg, Some(std::sync::Arc::new(base.s.keyring()))).await.unwrap();
    let v = store.verify_record(Some(std::path::Path::new(&file))).await.unwrap();
    assert!(v.breaks.iter().any(|b| b.chain == "checkpoints"), "{:?}", v.breaks);
    store.close().await;
    base.finish().await;
}
