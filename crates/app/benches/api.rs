//! End-to-end benchmark over real HTTP: submissions, routing, inbox
//! listing and detail reads against SQLite (default) or PostgreSQL
//! (XINFANG_BENCH_DATABASE_URL=postgres://…/postgres creates a fresh
//! database). Run: `cargo bench -p xinfang --bench api` (BENCH_N sets the
//! number of petitions, default 2000). Prints a Markdown table.

#![allow(clippy::unwrap_used)]

use rand::RngCore;
use serde_json::{Value, json};
use sqlx::Connection;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use xinfang::config::Config;

struct Stats(Vec<Duration>);

impl Stats {
    fn pct(&self, p: f64) -> f64 {
        let mut v: Vec<f64> = self.0.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).copied().unwrap_or(0.0)
    }
}

async fn database_url() -> (String, Option<tempfile::TempDir>) {
    match std::env::var("XINFANG_BENCH_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let mut b = [0u8; 4];
            rand::rng().fill_bytes(&mut b);
            let name = format!("xf_bench_{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>());
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut c).await.unwrap();
            let (head, _) = admin.rsplit_once('/').unwrap();
            (format!("{head}/{name}"), None)
        }
        _ => {
            let dir = tempfile::tempdir().unwrap();
            (format!("sqlite://{}/bench.db", dir.path().display()), Some(dir))
        }
    }
}

fn claim(i: usize) -> Value {
    json!({
        "jurisdiction": "440304",
        "title": format!("第{i}号：拖欠工资"),
        "request": format!("要求支付拖欠工资（第{i}件）"),
        "facts_and_reasons": format!("信访人{i}反映所在公司自今年起拖欠工资，多次讨要未果，事项编号{i}，详细情况见附件说明。"),
        "category": "claim",
        "topic": "0202",
        "petitioners": [{"name": format!("信访人{i}"), "phone": format!("139{:08}", i), "address": "深圳市福田区"}]
    })
}

async fn login(c: &reqwest::Client, base: &str, user: &str) -> String {
    let r: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": xinfang::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["token"].as_str().unwrap().to_string()
}

/// Run `n` requests with `conc` in flight; returns latencies and wall time.
async fn run<F, Fut>(n: usize, conc: usize, f: F) -> (Stats, Duration)
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (f, next) = (f.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                f(i).await;
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (Stats(all), start.elapsed())
}

fn peak_rss_mib() -> f64 {
    let kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<f64>().ok())
        })
        .unwrap_or(0.0);
    kib / 1024.0
}

/// POST an action on the `i`-th petition and expect 200.
fn action(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    numbers: &Arc<Mutex<Vec<String>>>,
    action: &'static str,
    body: Value,
) -> impl Fn(usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync + Clone + 'static {
    let (c, base, token, numbers) = (c.clone(), base.to_string(), token.to_string(), numbers.clone());
    move |i| {
        let num = numbers.lock().unwrap()[i].clone();
        let req = c.post(format!("{base}/api/v1/petitions/{num}/actions/{action}")).bearer_auth(&token).json(&body);
        Box::pin(async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 200, "{action}");
        })
    }
}

/// GET a path and expect 200.
fn read(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    path: impl Fn(usize) -> String + Send + Sync + Clone + 'static,
) -> impl Fn(usize) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync + Clone + 'static {
    let (c, base, token) = (c.clone(), base.to_string(), token.to_string());
    move |i| {
        let req = c.get(format!("{base}{}", path(i))).bearer_auth(&token);
        Box::pin(async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 200);
        })
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // XINFANG_LOG=sqlx::query=debug counts the statements a request costs.
    if let Ok(filter) = std::env::var("XINFANG_LOG") {
        tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(filter)).with_writer(std::io::stderr).init();
    }
    let n: usize = std::env::var("BENCH_N").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let (url, _dir) = database_url().await;
    let engine = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let key_dir = tempfile::tempdir().unwrap();
    let key_file = key_dir.path().join("bench.key").display().to_string();
    let cfg = Config { database_url: url, demo: true, demo_petitions: false, key_file, ..Config::default() };
    let cfg = Config {
        settings: xinfang_web::Settings {
            submit_per_minute: u32::MAX,
            submit_per_day: i64::MAX,
            submit_bytes_per_day: i64::MAX,
            ..cfg.settings.clone()
        },
        ..cfg
    };
    let (_store, router) = xinfang::build(&cfg).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.ok() });
    let c = reqwest::Client::new();
    let clerk = login(&c, &base, "ft_clerk").await;
    let officer = login(&c, &base, "ft_rst_officer").await;
    let numbers = Arc::new(Mutex::new(vec![String::new(); n]));
    let mut rows = Vec::new();

    // Four clients, as issue 9 measures intake (BENCH_CLIENTS overrides).
    let clients: usize = std::env::var("BENCH_CLIENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(4);
    let (c1, b1, nums) = (c.clone(), base.clone(), numbers.clone());
    let (s, t) = run(n, clients, move |i| {
        let (req, nums) = (c1.post(format!("{b1}/api/v1/petitions")).json(&claim(i)), nums.clone());
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 201);
            let v: Value = r.json().await.unwrap();
            nums.lock().unwrap()[i] = v["number"].as_str().unwrap().to_string();
        }
    })
    .await;
    let label = format!("online submission ({clients} concurrent)");
    rows.push((&*label.leak(), n, s, t));
    if std::env::var("BENCH_ONLY").as_deref() == Ok("intake") {
        let (_, _, s, t) = &rows[0];
        println!("intake: {:.0}/s p50 {:.1} ms p99 {:.1} ms", n as f64 / t.as_secs_f64(), s.pct(0.5), s.pct(0.99));
        return;
    }

    let routed = n / 2;
    let (s, t) = run(routed, 8, action(&c, &base, &clerk, &numbers, "forward", json!({"unit": "440304-RST"}))).await;
    rows.push(("forward (8 concurrent)", routed, s, t));
    let (s, t) = run(routed, 8, action(&c, &base, &officer, &numbers, "accept", json!({"route": 6}))).await;
    rows.push(("accept (8 concurrent)", routed, s, t));

    let lists: [(&str, &str, &String); 3] = [
        ("bureau inbox: registered, by due date, 20 a page", "/api/v1/petitions?state=registered&sort=due&per_page=20", &clerk),
        ("bureau list: overdue filter", "/api/v1/petitions?overdue=true", &clerk),
        ("handling unit list, page 10", "/api/v1/petitions?page=10", &officer),
    ];
    for (label, path, token) in lists {
        let (s, t) = run(200, 4, read(&c, &base, token, move |_| path.to_string())).await;
        rows.push((label, 200, s, t));
    }
    let nums = numbers.clone();
    let (s, t) =
        run(500, 4, read(&c, &base, &officer, move |i| format!("/api/v1/petitions/{}", nums.lock().unwrap()[i % routed.max(1)]))).await;
    rows.push(("petition detail (history, deadlines)", 500, s, t));

    // Pages, server-rendered, as a browser asks for them.
    let pages: [(&'static str, String, bool); 5] = [
        ("page: portal home", "/".into(), false),
        ("page: online submission form (region picker)", "/submit".into(), false),
        ("page: staff inbox (100 rows)", "/staff".into(), true),
        ("page: staff petition page (available actions)", format!("/staff/p/{}", numbers.lock().unwrap()[0]), true),
        ("page: admin", "/staff/admin".into(), true),
    ];
    let admin = login(&c, &base, "admin").await;
    for (label, path, staff) in pages {
        let session = if path.contains("admin") { admin.clone() } else { officer.clone() };
        let (c6, b6) = (c.clone(), base.clone());
        let (s, t) = run(200, 4, move |_| {
            let mut req = c6.get(format!("{b6}{path}"));
            if staff {
                req = req.header("cookie", format!("xf_session={session}"));
            }
            async move {
                let r = req.send().await.unwrap();
                assert_eq!(r.status(), 200);
                let _ = r.text().await;
            }
        })
        .await;
        rows.push((label, 200, s, t));
    }

    println!("\n{engine}, {n} petitions, optimised build: {}\n", !cfg!(debug_assertions));
    println!("| operation | requests | req/s | p50 ms | p95 ms | p99 ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (label, count, s, t) in rows {
        println!(
            "| {label} | {count} | {:.0} | {:.1} | {:.1} | {:.1} |",
            count as f64 / t.as_secs_f64(),
            s.pct(0.5),
            s.pct(0.95),
            s.pct(0.99)
        );
    }
    println!("\npeak RSS of the bench process (server and client together): {:.0} MiB", peak_rss_mib());
}
