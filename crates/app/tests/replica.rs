//! Issue 9, item 3: `read_database_url`. Lists, person searches and the
//! CSV export read the replica; writes, details, acts and the citizen's
//! tracking stay on the primary; a replica that is down (at startup or
//! mid-run) sends the reads back to the primary instead of failing them.
//!
//! The routing is proved on PostgreSQL with a real second database that
//! holds an older copy of the primary (taken with `CREATE DATABASE …
//! TEMPLATE`): whatever a page shows tells which database answered. On
//! SQLite only the refusal is tested: an SQLite file has no replica.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use xinfang::config::Config;

/// An online claim without an identity number (recognised by name and phone).
fn claim(name: &str, phone: &str) -> Value {
    let mut v = online_claim(name, "440304199001011233");
    v["petitioners"][0]["phone"] = json!(phone);
    v["petitioners"][0].as_object_mut().unwrap().remove("id_number");
    v
}

fn numbers(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_string()).collect()
}

fn state_in(page: &Value, number: &str) -> String {
    page["items"].as_array().unwrap().iter().find(|i| i["number"] == number).map(|i| i["state"].as_str().unwrap().to_string()).unwrap()
}

async fn text(s: &TestServer, path: &str, user: Option<&str>) -> (StatusCode, String) {
    let mut req = s.client.get(format!("{}{path}", s.base));
    if let Some(u) = user {
        req = req.bearer_auth(s.token(u).await);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

/// `postgres://…/name` on the same server as `url`.
fn sibling(url: &str, name: &str) -> String {
    format!("{}/{name}", url.rsplit_once('/').unwrap().0)
}

#[tokio::test]
async fn sqlite_refuses_a_read_replica_before_opening_anything() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("xinfang.db");
    let cfg = Config {
        database_url: format!("sqlite://{}", db.display()),
        read_database_url: Some("postgres://postgres@127.0.0.1:5432/postgres".into()),
        key_file: dir.path().join("xinfang.key").display().to_string(),
        ..Config::default()
    };
    let err = xinfang::build(&cfg).await.err().expect("a read replica beside SQLite is refused").to_string();
    assert!(err.contains("read_database_url needs PostgreSQL"), "{err}");
    assert!(!db.exists(), "refused before the database was created");
    // An empty value is no replica (how an environment variable turns it off).
    let cfg = Config { read_database_url: Some(String::new()), ..cfg };
    let (store, _) = xinfang::build(&cfg).await.expect("an empty read URL is none");
    assert!(!store.has_replica());
    store.close().await;
}

#[tokio::test]
async fn lists_come_from_the_replica_and_acts_from_the_primary() {
    if std::env::var("XINFANG_TEST_DATABASE_URL").map(|v| v.is_empty()).unwrap_or(true) {
        eprintln!("skipped: the read replica is PostgreSQL only (set XINFANG_TEST_DATABASE_URL, see scripts/test-postgres.sh)");
        return;
    }
    let admin = std::env::var("XINFANG_TEST_DATABASE_URL").unwrap();
    // The primary with petition A, then an older copy of it as "replica".
    let seed = TestServer::start().await;
    let (status, a) = seed.post("/api/v1/petitions", None, claim("钱一", "13900000001")).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let a = a["number"].as_str().unwrap().to_string();
    let primary = seed.database_url();
    let primary_name = primary.rsplit_once('/').unwrap().1.to_string();
    let replica_name = format!("{primary_name}_r");
    let replica = sibling(&primary, &replica_name);
    seed.store.close().await;
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{primary_name}' AND pid <> pg_backend_pid()"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {replica_name} TEMPLATE {primary_name}"))).execute(&mut conn).await.unwrap();

    // A node on the primary, reading lists from the copy.
    let key_file = seed.dir.path().join("xinfang.key").display().to_string();
    let (p, r, k) = (primary.clone(), replica.clone(), key_file.clone());
    let s = TestServer::start_configured(move |c| {
        c.database_url = p;
        c.read_database_url = Some(r);
        c.key_file = k;
    })
    .await;
    assert!(s.store.has_replica());
    let (status, ready) = text(&s, "/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    // The copy is a plain database, not in recovery: readiness says so.
    assert!(ready.contains("read replica: ok") && ready.contains("not a standby"), "{ready}");

    // Petition B is written to the primary only.
    let (status, b) = s.post("/api/v1/petitions", None, claim("孙二", "13900000002")).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (b, code) = (b["number"].as_str().unwrap().to_string(), b["query_code"].as_str().unwrap().to_string());

    // The list comes from the replica: A, not B.
    let (status, page) = s.get_as("ft_clerk", "/api/v1/petitions?per_page=100").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let listed = numbers(&page);
    assert!(listed.contains(&a) && !listed.contains(&b), "list read from the replica: {listed:?} (A {a}, B {b})");
    // Keyset pages too.
    let (_, page1) = s.get_as("ft_clerk", "/api/v1/petitions?per_page=1").await;
    assert_eq!(numbers(&page1), vec![a.clone()], "{page1}");
    // The CSV export.
    let (status, csv) = text(&s, "/api/v1/petitions/export.csv", Some("ft_clerk")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains(&a) && !csv.contains(&b), "export read from the replica: {csv}");
    // The person search (by phone): A's petitioner is found, B's not yet.
    let (_, found) = s.get_as("ft_clerk", "/api/v1/petitions?phone=13900000001").await;
    assert_eq!(numbers(&found), vec![a.clone()], "{found}");
    let (_, found) = s.get_as("ft_clerk", "/api/v1/petitions?phone=13900000002").await;
    assert!(numbers(&found).is_empty(), "{found}");

    // The open-timer gauges of /metrics count the replica's timers.
    let open_on = |url: String| async move {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deadlines WHERE met_at IS NULL").fetch_one(&mut c).await.unwrap();
        c.close().await.ok();
        n
    };
    let (on_replica, on_primary) = (open_on(replica.clone()).await, open_on(primary.clone()).await);
    assert!(on_replica < on_primary, "B's timers are on the primary only: {on_replica} / {on_primary}");
    let (_, metrics) = text(&s, "/metrics", None).await;
    let gauge = |state: &str| -> i64 {
        let line = metrics.lines().find(|l| l.starts_with(&format!("xinfang_open_timers{{state=\"{state}\"}}"))).unwrap();
        line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as i64
    };
    assert_eq!(gauge("running") + gauge("overdue"), on_replica, "{metrics}");

    // Reads of one's own writes are on the primary: B's detail, its
    // tracking by the citizen who just filed it, an act on A and A's page.
    let detail = s.detail("ft_clerk", &b).await;
    assert_eq!(detail["number"], b.as_str());
    let (status, tracked) = s.get(&format!("/api/v1/track/{b}?code={code}"), None).await;
    assert_eq!(status, StatusCode::OK, "{tracked}");
    s.act("ft_clerk", &a, "forward", json!({"unit": "440304-RST"})).await;
    let detail = s.detail("ft_clerk", &a).await;
    assert_eq!(detail["state"], "forwarded", "{detail}");
    // … while the list still shows A as the replica has it.
    let (_, page) = s.get_as("ft_clerk", "/api/v1/petitions?per_page=100").await;
    assert_eq!(state_in(&page, &a), "registered", "{page}");

    // The replica goes away mid-run: lists fall back to the primary.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {replica_name} WITH (FORCE)"))).execute(&mut conn).await.unwrap();
    let (status, page) = s.get_as("ft_clerk", "/api/v1/petitions?per_page=100").await;
    assert_eq!(status, StatusCode::OK, "a replica down never fails a list: {page}");
    let listed = numbers(&page);
    assert!(listed.contains(&a) && listed.contains(&b), "read from the primary now: {listed:?}");
    assert_eq!(state_in(&page, &a), "forwarded");
    let (status, csv) = text(&s, "/api/v1/petitions/export.csv", Some("ft_clerk")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains(&a) && csv.contains(&b), "{csv}");
    let (status, ready) = text(&s, "/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "still ready without the replica: {ready}");
    assert!(ready.contains("read replica: unavailable"), "{ready}");
    let counts = s.store.replica_counts().unwrap();
    assert!(counts.served >= 5 && counts.fell_back >= 1, "{counts:?}");

    // A read URL that never answers, from the start: the node starts, is
    // ready, and reads everything from the primary.
    let (p, k) = (primary.clone(), key_file.clone());
    let dead = TestServer::start_configured(move |c| {
        c.database_url = p;
        c.read_database_url = Some("postgres://postgres@127.0.0.1:1/nowhere".into());
        c.key_file = k;
    })
    .await;
    let (status, ready) = text(&dead, "/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert!(ready.contains("read replica: unavailable"), "{ready}");
    let started = std::time::Instant::now();
    let (status, page) = dead.get_as("ft_clerk", "/api/v1/petitions?per_page=100").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let listed = numbers(&page);
    assert!(listed.contains(&a) && listed.contains(&b), "{listed:?}");
    // Known down: the list did not wait for the replica's connect timeout.
    assert!(started.elapsed() < xinfang_store::REPLICA_ACQUIRE_TIMEOUT, "{:?}", started.elapsed());
    assert_eq!(dead.store.replica_counts().unwrap().served, 0);

    dead.finish().await;
    s.finish().await;
    conn.close().await.ok();
    seed.finish().await;
}

/// The drill takes a signed checkpoint every 2 s while petitions are filed
/// from four threads; each checkpoint must see one consistent record (the
/// heads and the petition counter from one snapshot), never refuse itself
/// because a petition was filed between two of its reads.
#[tokio::test]
async fn checkpoints_are_taken_while_petitions_are_filed() {
    let s = std::sync::Arc::new(
        TestServer::start_configured(|c| {
            c.settings.submit_per_minute = u32::MAX;
            c.settings.submit_per_day = i64::MAX;
        })
        .await,
    );
    let mut writers = Vec::new();
    for w in 0..4 {
        let s = s.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..25 {
                let phone = format!("137{:04}{:04}", w, i);
                let (status, body) = s.post("/api/v1/petitions", None, claim(&format!("检查{w}-{i}"), &phone)).await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
            }
        }));
    }
    let mut taken = 0;
    while writers.iter().any(|w| !w.is_finished()) {
        let cp = s.store.take_checkpoint(None).await;
        assert!(cp.is_ok(), "checkpoint under load: {:?}", cp.err());
        taken += 1;
    }
    for w in writers {
        w.await.unwrap();
    }
    assert!(taken >= 2, "{taken} checkpoints taken while filing");
    let v = s.store.verify_record(None).await.unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    std::sync::Arc::into_inner(s).unwrap().finish().await;
}
