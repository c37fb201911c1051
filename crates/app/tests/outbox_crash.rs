//! The outbox under crashes and several nodes (issue 11). Real `xinfang
//! serve` processes deliver 1,000 pending SMS notices to a test gateway
//! that de-duplicates by idempotency key:
//!
//! * killed (SIGKILL) again and again mid-delivery and started again,
//!   every notice arrives, and the receiver, counting keys, counts each
//!   exactly once (a resend after a kill is possible; that is what the key
//!   is for);
//! * two nodes running side by side never take the same notice: the
//!   gateway gets each key once, and each job has one attempt.
//!
//! Both run on SQLite, and on PostgreSQL when `XINFANG_TEST_DATABASE_URL`
//! is set (`scripts/test-postgres.sh`).

#![allow(clippy::unwrap_used)]

mod common;

use axum::extract::State;
use axum::http::HeaderMap;
use rand::RngCore;
use serde_json::json;
use sqlx::Connection;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use xinfang::config::Config;

const N: usize = 1_000;
const KEY: &str = "crash-test-signing-key";

/// Calls by idempotency key, and which node's request it was.
#[derive(Clone)]
struct Receiver {
    calls: Arc<Mutex<HashMap<String, usize>>>,
    delay: Duration,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap) -> &'static str {
    // Each send takes a moment, so that kills land mid-delivery.
    if !r.delay.is_zero() {
        tokio::time::sleep(r.delay).await;
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    *r.calls.lock().unwrap().entry(key).or_default() += 1;
    "{\"code\":0}"
}

async fn gateway() -> (String, Receiver) {
    gateway_with(Duration::from_millis(2)).await
}

async fn gateway_with(delay: Duration) -> (String, Receiver) {
    let r = Receiver { calls: Arc::default(), delay };
    let app = axum::Router::new().route("/sms", axum::routing::post(receive)).with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (url, r)
}

/// A fresh database (PostgreSQL when the suite runs there) with `N`
/// pending SMS notices, and what a node needs to start on it.
struct Setup {
    dir: tempfile::TempDir,
    url: String,
    key_file: String,
    pg: Option<(String, String)>,
    store: xinfang_store::Store,
    keys: Vec<String>,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = match std::env::var("XINFANG_TEST_DATABASE_URL") {
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
        _ => (format!("sqlite://{}/xinfang.db", dir.path().display()), None),
    };
    let key_file = dir.path().join("xinfang.key").display().to_string();
    let cfg = Config { database_url: url.clone(), key_file: key_file.clone(), ..Config::default() };
    let store = xinfang::open(&cfg).await.unwrap();
    let ring = xinfang::keyring(&cfg).unwrap();
    let jobs: Vec<xinfang_store::NewJob> = (0..N)
        .map(|i| {
            let phone = format!("139{:08}", i);
            xinfang_store::NewJob::now(
                "sms",
                format!("crash-test:{i}"),
                json!({"to": ring.encrypt(&phone), "to_masked": "139****0000", "body": format!("测试通知第{i}条")}),
            )
        })
        .collect();
    for chunk in jobs.chunks(200) {
        assert_eq!(store.enqueue_all(chunk).await.unwrap(), chunk.len());
    }
    let keys = jobs.iter().map(|j| j.key.clone()).collect();
    Setup { dir, url, key_file, pg, store, keys }
}

impl Setup {
    fn node(&self, gateway: &str) -> Child {
        Command::new(env!("CARGO_BIN_EXE_xinfang"))
            .args(["serve", "--database-url", &self.url, "--listen", "127.0.0.1:0"])
            .current_dir(self.dir.path())
            .env("XINFANG_KEY_FILE", &self.key_file)
            .env("XINFANG_SMS_GATEWAY_URL", gateway)
            .env("XINFANG_SMS_GATEWAY_KEY", KEY)
            // A dead node's messages are taken over after 2 s.
            .env("XINFANG_JOB_LEASE_SECONDS", "2")
            .env("XINFANG_JOB_POLL_MILLIS", "50")
            .env("XINFANG_JOB_RETRY_BASE_SECONDS", "1")
            .env("XINFANG_CHECKPOINT_INTERVAL_SECONDS", "0")
            .env("XINFANG_DIGEST_SCHEDULE", "")
            .env("XINFANG_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    async fn outstanding(&self) -> i64 {
        let counts = self.store.job_counts().await.unwrap();
        counts.iter().filter(|c| c.0 == "sms" && (c.1 == "pending" || c.1 == "running")).map(|c| c.2).sum()
    }

    async fn finish(self) {
        let failed: i64 = self.store.job_counts().await.unwrap().iter().filter(|c| c.1 == "failed").map(|c| c.2).sum();
        assert_eq!(failed, 0, "no notice failed");
        self.store.close().await;
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = sqlx::PgConnection::connect(admin).await
        {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut conn).await;
        }
    }
}

#[tokio::test]
async fn killing_the_server_repeatedly_while_1000_notices_are_pending_delivers_each_exactly_once_by_key() {
    let s = setup().await;
    let (url, rx) = gateway().await;
    let started = Instant::now();
    let mut kills_mid_delivery = 0;
    let mut round = 0u64;
    while s.outstanding().await > 0 {
        assert!(started.elapsed() < Duration::from_secs(300), "still {} outstanding after 5 minutes", s.outstanding().await);
        let mut node = s.node(&url);
        round += 1;
        // Killed after 0.4–1.2 s for the first eight rounds; then left to finish.
        if round <= 8 {
            tokio::time::sleep(Duration::from_millis(400 + (round * 97) % 800)).await;
            let before = s.outstanding().await;
            node.kill().unwrap();
            node.wait().unwrap();
            if before > 0 {
                kills_mid_delivery += 1;
            }
        } else {
            while s.outstanding().await > 0 && started.elapsed() < Duration::from_secs(300) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            node.kill().unwrap();
            node.wait().unwrap();
        }
    }
    let calls = rx.calls.lock().unwrap().clone();
    for k in &s.keys {
        assert!(calls.contains_key(k), "{k} never arrived");
    }
    assert_eq!(calls.len(), N, "the receiver, de-duplicating by key, counts each notice exactly once");
    let resent: usize = calls.values().map(|n| n - 1).sum();
    assert!(kills_mid_delivery >= 3, "only {kills_mid_delivery} kills landed while notices were pending");
    eprintln!("{N} notices, {kills_mid_delivery} kills mid-delivery, {resent} resends recognised by key");
    s.finish().await;
}

#[tokio::test]
async fn two_nodes_never_claim_the_same_notice() {
    let s = setup().await;
    let (url, rx) = gateway().await;
    let mut a = s.node(&url);
    let mut b = s.node(&url);
    let started = Instant::now();
    while s.outstanding().await > 0 {
        assert!(started.elapsed() < Duration::from_secs(180), "still {} outstanding", s.outstanding().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    a.kill().unwrap();
    b.kill().unwrap();
    a.wait().unwrap();
    b.wait().unwrap();
    let calls = rx.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), N);
    let twice: Vec<_> = calls.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent by both nodes: {twice:?}");
    // One claim per notice, and both nodes did part of the work.
    let mut holders = std::collections::HashSet::new();
    for id in 1..=N as i64 {
        let attempts = s.store.job_attempts(id).await.unwrap();
        assert_eq!(attempts.len(), 1, "job {id}: {attempts:?}");
        holders.insert(attempts[0].holder.clone());
    }
    assert_eq!(holders.len(), 2, "both nodes delivered: {holders:?}");
    s.finish().await;
}

/// How fast the outbox drains (not a timed test: run with
/// `cargo test -p xinfang --test outbox_crash -- --ignored --nocapture`,
/// and with `XINFANG_TEST_DATABASE_URL` for PostgreSQL). A gateway that
/// answers at once; one node, then two.
#[tokio::test]
#[ignore]
async fn measure_delivery_rate() {
    for nodes in [1, 2] {
        let s = setup().await;
        let (url, rx) = gateway_with(Duration::ZERO).await;
        let started = Instant::now();
        let mut running: Vec<Child> = (0..nodes).map(|_| s.node(&url)).collect();
        while s.outstanding().await > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let secs = started.elapsed().as_secs_f64();
        for n in running.iter_mut() {
            n.kill().unwrap();
            n.wait().unwrap();
        }
        assert_eq!(rx.calls.lock().unwrap().len(), N);
        eprintln!("{nodes} node(s): {N} notices in {secs:.2} s (start-up included) = {:.0} notices/s", N as f64 / secs);
        s.finish().await;
    }
}
