//! Several stateless nodes on one database (issue 9, item 2): migrations
//! under a lock, unit and calendar caches that follow another node's
//! change within a second, rate limits counted across nodes, and periodic
//! work that runs once across nodes through leases. Real servers on
//! SQLite, or PostgreSQL with XINFANG_TEST_DATABASE_URL.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use rand::RngCore;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use std::time::Duration;
use xinfang::config::Config;

/// A node serving `cfg`; returns its base URL and store.
async fn serve(cfg: Config) -> (String, xinfang_store::Store) {
    let (store, router) = xinfang::build(&cfg).await.expect("node starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.ok();
    });
    (format!("http://{addr}"), store)
}

/// Another node on the test server's database and key file, with its
/// settings adjusted.
async fn node_b(s: &TestServer, adjust: impl FnOnce(&mut Config)) -> (String, xinfang_store::Store) {
    let mut cfg = Config {
        database_url: s.database_url(),
        key_file: s.dir.path().join("xinfang.key").display().to_string(),
        checkpoint_file: Some(s.dir.path().join("b.checkpoint.json").display().to_string()),
        ..Config::default()
    };
    adjust(&mut cfg);
    serve(cfg).await
}

/// A fresh, empty database: a new PostgreSQL database when the tests run
/// on PostgreSQL (with the admin URL to drop it), else a new SQLite file.
async fn fresh_database(dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match std::env::var("XINFANG_TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let mut b = [0u8; 6];
            rand::rng().fill_bytes(&mut b);
            let name = format!("xf_test_{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>());
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
            conn.close().await.ok();
            let (head, _) = admin.rsplit_once('/').unwrap();
            (format!("{head}/{name}"), Some((admin, name)))
        }
        _ => (format!("sqlite://{}/xinfang.db", dir.display()), None),
    }
}

async fn status_of(client: &reqwest::Client, url: String) -> StatusCode {
    client.get(url).send().await.unwrap().status()
}

#[tokio::test]
async fn two_nodes_started_at_once_on_an_empty_database_migrate_once() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = fresh_database(dir.path()).await;
    let cfg = |name: &str| Config {
        database_url: url.clone(),
        key_file: dir.path().join("xinfang.key").display().to_string(),
        checkpoint_file: Some(dir.path().join(format!("{name}.checkpoint.json")).display().to_string()),
        ..Config::default()
    };
    // The key file is shared by the nodes of one deployment: made first.
    xinfang::keyring(&cfg("a")).unwrap();
    let ((a, store_a), (b, store_b)) = tokio::join!(serve(cfg("a")), serve(cfg("b")));
    let client = reqwest::Client::new();
    for base in [&a, &b] {
        assert_eq!(status_of(&client, format!("{base}/healthz")).await, StatusCode::OK);
        assert_eq!(status_of(&client, format!("{base}/readyz")).await, StatusCode::OK, "{base} ready: migrations current");
    }
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT version, COUNT(*) FROM schema_migrations GROUP BY version ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows.len() as i64, xinfang_store::LATEST_MIGRATION, "{rows:?}");
    assert!(rows.iter().all(|(_, n)| *n == 1), "each version once: {rows:?}");
    // The reference data was loaded once too.
    let years: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calendar_years").fetch_one(&mut conn).await.unwrap();
    assert_eq!(years, xinfang::seed::parse_calendar(xinfang::seed::HOLIDAYS_CSV).unwrap().0.len() as i64);
    conn.close().await.ok();
    store_a.close().await;
    store_b.close().await;
    if let Some((admin, name)) = pg {
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut conn).await;
    }
}

async fn unit_codes(client: &reqwest::Client, base: &str) -> Vec<String> {
    let v: Value = client.get(format!("{base}/api/v1/units")).send().await.unwrap().json().await.unwrap();
    v.as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn units_imported_on_one_node_are_seen_on_another_within_a_second() {
    let s = TestServer::start().await;
    let (b, _) = node_b(&s, |_| {}).await;
    assert!(!unit_codes(&s.client, &b).await.contains(&"440304-WJ9".to_string()));
    let csv = "code,name,kind,level,parent_code,gov_code,jurisdiction\n440304-WJ9,福田区卫生健康局九,department,county,4403-RST,440304-ZF,440304\n";
    let resp = s
        .client
        .post(format!("{}/api/v1/units/import", s.base))
        .bearer_auth(s.token("admin").await)
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap_or_default());
    let started = std::time::Instant::now();
    let mut seen = false;
    while started.elapsed() < Duration::from_secs(1) {
        if unit_codes(&s.client, &b).await.contains(&"440304-WJ9".to_string()) {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen, "node B lists the unit imported on node A within 1 s");
    s.finish().await;
}

/// Accept a fresh online claim on `base` (forwarded on the test server):
/// the T6 due date that node computed.
async fn t6_computed_on(s: &TestServer, base: &str, name: &str, id_number: &str) -> String {
    let (status, sub) = s.post("/api/v1/petitions", None, online_claim(name, id_number)).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    s.act("ft_clerk", &number, "forward", json!({"unit": "440304-RST"})).await;
    // The session made on node A is valid on node B (tokens live in the database).
    let r: Value = s
        .client
        .post(format!("{base}/api/v1/petitions/{number}/actions/accept"))
        .bearer_auth(s.token("ft_rst_officer").await)
        .json(&json!({"route": 6}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    deadline(&r["deadlines"], "T6")["due_on"].as_str().unwrap_or_else(|| panic!("{r}")).to_string()
}

#[tokio::test]
async fn art34_calendar_edit_on_one_node_changes_a_due_date_computed_on_another_within_a_second() {
    // Node B's background check is off: only the check before each act can
    // bring it the new calendar.
    let s = TestServer::start().await;
    let (b, _) = node_b(&s, |c| c.settings.calendar_refresh_seconds = 0).await;
    let before = t6_computed_on(&s, &b, "赵六", "440304199001011233").await;
    let (status, body) = s
        .put(&format!("/api/v1/calendar/days/{before}"), Some(&s.token("admin").await), json!({"kind": "holiday", "name": "临时调整"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let after = t6_computed_on(&s, &b, "钱七", "440304197503150015").await;
    assert!(after > before, "B counted with A's holiday: {before} -> {after}");
    s.finish().await;
}

#[tokio::test]
async fn a_client_over_its_login_limit_on_one_node_is_limited_on_another() {
    inside_one_minute().await;
    let limit = |c: &mut Config| c.settings.login_per_minute = 3;
    let s = TestServer::start_configured(limit).await;
    let (b, _) = node_b(&s, limit).await;
    // Not across a minute boundary: the windows are fixed minutes.
    let sec = chrono::Utc::now().timestamp().rem_euclid(60);
    if sec > 50 {
        tokio::time::sleep(Duration::from_secs((61 - sec) as u64)).await;
    }
    let attempt = |base: String| {
        let client = s.client.clone();
        async move {
            client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": "nobody_here", "password": "wrong-password-1"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for _ in 0..3 {
        assert_eq!(attempt(s.base.clone()).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(attempt(b.clone()).await, StatusCode::TOO_MANY_REQUESTS, "the fourth attempt, on node B, is over the limit");
    assert_eq!(attempt(s.base.clone()).await, StatusCode::TOO_MANY_REQUESTS);
    s.finish().await;
}

#[tokio::test]
async fn a_schedule_fires_once_per_period_across_nodes() {
    // Two nodes queue the checkpoint every second: one firing per second
    // between them (the firing's key is unique), each run once.
    let every = |c: &mut Config| {
        c.checkpoint_interval_seconds = 1;
        c.job_poll_millis = 50;
    };
    let s = TestServer::start_configured(every).await;
    let (_b, _) = node_b(&s, every).await;
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    let jobs =
        s.store.list_jobs(&xinfang_store::JobFilter { kinds: vec!["checkpoint".into()], limit: 100, ..Default::default() }).await.unwrap();
    assert!((4..=7).contains(&jobs.len()), "{} checkpoint firings in 4.5 s on two nodes", jobs.len());
    let keys: std::collections::HashSet<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(keys.len(), jobs.len());
    for j in jobs.iter().filter(|j| j.state == "done") {
        assert_eq!(s.store.job_attempts(j.id).await.unwrap().len(), 1, "{} ran once", j.key);
    }
    assert!(jobs.iter().filter(|j| j.state == "done").count() >= 3, "the firings ran");
    s.finish().await;
}

#[tokio::test]
async fn the_purge_job_deletes_unusable_tokens_and_past_rate_counters() {
    let s = TestServer::start().await;
    let token = s.token("ft_clerk").await;
    assert_eq!(s.get("/api/v1/petitions", Some(&token)).await.0, StatusCode::OK);
    // Both counts in one fixed minute (a run that crossed one counted 1, 1).
    inside_one_minute().await;
    assert_eq!(s.store.count_request("track", "192.0.2.1", 1).await.unwrap(), 1);
    assert_eq!(s.store.count_request("track", "192.0.2.1", 1).await.unwrap(), 2);
    // An idle timeout of -1 minutes: every token counts as idle now.
    xinfang_web::jobs::purge(&s.store, -1, 30).await.unwrap();
    assert_eq!(s.get("/api/v1/petitions", Some(&token)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(s.store.count_request("track", "192.0.2.1", 1).await.unwrap(), 1, "the old minute's row was purged");
    s.finish().await;
}

/// The number behind keeping rate counters in the database (not a timed
/// test: run with `--ignored --nocapture`, release build). Prints the cost
/// of one counter upsert, and of a limited request (`GET /api/v1/track/…`)
/// with the counters in the database and in memory.
#[tokio::test]
#[ignore]
async fn measure_rate_counter_cost() {
    const N: usize = 2_000;
    let s = TestServer::start().await;
    let started = std::time::Instant::now();
    for i in 0..N {
        s.store.count_request("track", &format!("10.0.{}.{}", i % 250, i % 7), 1).await.unwrap();
    }
    let upsert = started.elapsed().as_secs_f64() * 1e6 / N as f64;
    s.finish().await;
    let mut per_request = Vec::new();
    for in_db in [true, false] {
        let s = TestServer::start_configured(|c| {
            c.settings.rate_limits_in_database = in_db;
            c.settings.track_per_minute = 1_000_000;
        })
        .await;
        let url = format!("{}/api/v1/track/XF0000000000?code=ABCDEFGH", s.base);
        for _ in 0..50 {
            s.client.get(&url).send().await.unwrap();
        }
        let started = std::time::Instant::now();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (client, url) = (s.client.clone(), url.clone());
                tokio::spawn(async move {
                    for _ in 0..N / 4 {
                        client.get(&url).send().await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        per_request.push((in_db, secs * 1e6 / N as f64, N as f64 / secs));
        s.finish().await;
    }
    let db = if std::env::var("XINFANG_TEST_DATABASE_URL").is_ok() { "PostgreSQL" } else { "SQLite" };
    println!("{db}: one counter upsert (sequential) {upsert:.0} µs");
    for (in_db, us, rps) in per_request {
        println!(
            "{db}: limited GET, 4 clients, counters in {}: {us:.0} µs/request, {rps:.0} requests/s",
            if in_db { "database" } else { "memory" }
        );
    }
}

/// `sqlite_memory_limit_mib` reaches SQLite as its process-wide soft heap
/// limit (issue 9's memory target; docs/performance.md). PostgreSQL has
/// no such limit: the setting is ignored there.
#[tokio::test]
async fn the_sqlite_memory_limit_is_sqlite_s_soft_heap_limit() {
    let s = TestServer::start_configured(|c| c.sqlite_memory_limit_mib = 48).await;
    if !s.is_postgres() {
        let rows = raw_rows(&s, "PRAGMA soft_heap_limit").await;
        let limit: i64 = sqlx::Row::get(&rows[0], 0);
        assert_eq!(limit, 48 * 1024 * 1024);
    }
    s.finish().await;
}
