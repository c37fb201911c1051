//! `xinfang-bench measure`: the real server, started as a child process on
//! the loaded database, measured over HTTP (so the server's memory and
//! start-up are its own): cold start, intake, each level's inbox and lists,
//! detail, CSV export, peak RSS, database size. Prints a Markdown table.

use crate::world::{PASSWORD, username};
use crate::{AnyError, Manifest, Paths};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use xinfang_domain::role::Role;

pub struct MeasureArgs {
    pub paths: Paths,
    pub database_url: String,
    pub server: Option<PathBuf>,
    pub intake: usize,
    pub clients: usize,
    pub samples: usize,
    pub drop_caches: bool,
    /// Measure only the lists and searches whose label holds this text.
    pub only: Option<String>,
    pub out: Option<PathBuf>,
}

/// Latencies in milliseconds.
struct Stats(Vec<f64>);

impl Stats {
    fn pct(&self, p: f64) -> f64 {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).copied().unwrap_or(0.0)
    }
}

/// One line of the report.
struct Line {
    what: String,
    n: usize,
    rate: Option<String>,
    stats: Option<Stats>,
    value: Option<String>,
    target: String,
    pass: Option<bool>,
    /// The server's resident memory after this measurement (MiB).
    rss: Option<f64>,
}

impl Line {
    fn timed(what: impl Into<String>, stats: Stats, wall: Duration, target_p95: Option<f64>) -> Line {
        let n = stats.0.len();
        let pass = target_p95.map(|t| stats.pct(0.95) < t);
        Line {
            what: what.into(),
            n,
            rate: Some(format!("{:.0}/s", n as f64 / wall.as_secs_f64().max(1e-9))),
            stats: Some(stats),
            value: None,
            target: target_p95.map(|t| format!("p95 < {t:.0} ms")).unwrap_or_else(|| "—".into()),
            pass,
            rss: None,
        }
    }

    fn value(what: impl Into<String>, value: String, target: &str, pass: Option<bool>) -> Line {
        Line { what: what.into(), n: 1, rate: None, stats: None, value: Some(value), target: target.into(), pass, rss: None }
    }
}

fn read_manifest(paths: &Paths) -> Result<Manifest, AnyError> {
    let text = std::fs::read_to_string(paths.manifest()).map_err(|e| format!("{}: {e} (run `load` first)", paths.manifest().display()))?;
    let v: Value = serde_json::from_str(&text)?;
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    Ok(Manifest {
        petitions: v["petitions"].as_u64().unwrap_or(0) as usize,
        seed: v["seed"].as_u64().unwrap_or(0),
        loaded_at: s("loaded_at"),
        township: s("township"),
        county_department: s("county_department"),
        city_bureau: s("city_bureau"),
        province_bureau: s("province_bureau"),
        counties: v["counties"].as_array().map(|a| a.iter().filter_map(|c| c.as_str().map(String::from)).collect()).unwrap_or_default(),
    })
}

/// The `app;dur=` of a Server-Timing header, in milliseconds.
fn server_timing(h: &reqwest::header::HeaderMap) -> Option<f64> {
    server_phases(h)?.into_iter().find(|(name, _)| name == "app").map(|(_, ms)| ms)
}

fn free_port() -> Result<u16, AnyError> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn proc_status(pid: u32, field: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse::<f64>().ok().map(|kib| kib / 1024.0)
}

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM for a clean shutdown; SIGKILL if it lingers.
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn login(&self, user: &str) -> Result<String, AnyError> {
        let r = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"username": user, "password": PASSWORD}))
            .send()
            .await?;
        let status = r.status();
        let v: Value = r.json().await?;
        v["token"].as_str().map(String::from).ok_or_else(|| format!("login {user}: {status} {v}").into())
    }

    async fn get_json(&self, token: &str, path: &str) -> Result<Value, AnyError> {
        let r = self.http.get(format!("{}{path}", self.base)).bearer_auth(token).send().await?;
        let status = r.status();
        if !status.is_success() {
            return Err(format!("GET {path}: {status} {}", r.text().await.unwrap_or_default()).into());
        }
        Ok(r.json().await?)
    }
}

/// First and last day of a `YYYY-MM` month.
fn month_of(month: &str) -> (String, String) {
    match xinfang_web::ranking::month_period(month) {
        Some(p) => (p.from.to_string(), p.to.to_string()),
        None => (String::new(), String::new()),
    }
}

/// `n` requests of `f(i)` with `conc` in flight; latencies and wall time.
async fn timed<F, Fut>(n: usize, conc: usize, f: F) -> Result<(Stats, Duration), AnyError>
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = Result<(), AnyError>> + Send,
{
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..conc.max(1) {
        let (f, next) = (f.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                f(i).await?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, AnyError>(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok((Stats(all), start.elapsed()))
}

/// GET `path` repeatedly as `token`, expecting 200.
async fn reads(c: &Arc<Client>, token: &str, path: String, n: usize) -> Result<(Stats, Duration, String), AnyError> {
    let (c, token) = (c.clone(), token.to_string());
    // One untimed request first: the measurement is of a page read again, as users do.
    c.get_json(&token, &path).await?;
    let phases: SeenPhases = Arc::default();
    let seen = phases.clone();
    let (s, wall) = timed(n, 4, move |_| {
        let (c, token, path, seen) = (c.clone(), token.clone(), path.clone(), seen.clone());
        async move {
            let r = c.http.get(format!("{}{path}", c.base)).bearer_auth(&token).send().await?;
            if !r.status().is_success() {
                return Err(format!("GET {path}: {}", r.status()).into());
            }
            keep_phases(&seen, r.headers());
            r.bytes().await?;
            Ok(())
        }
    })
    .await?;
    let phases = phases.lock().map(|v| phase_medians(&v)).unwrap_or_default();
    Ok((s, wall, phases))
}

/// The phases of phase-timed answers, collected across a measurement's tasks.
type SeenPhases = Arc<std::sync::Mutex<Vec<Vec<(String, f64)>>>>;

/// Keep an answer's phases (when its handler timed them).
fn keep_phases(seen: &SeenPhases, h: &reqwest::header::HeaderMap) {
    if let Some(p) = server_phases(h)
        && let Ok(mut v) = seen.lock()
    {
        v.push(p);
    }
}

/// The phases of a `Server-Timing` header, `(name, ms)` in order (`app`,
/// the whole, first).
fn server_phases(h: &reqwest::header::HeaderMap) -> Option<Vec<(String, f64)>> {
    let v = h.get("server-timing")?.to_str().ok()?;
    Some(
        v.split(',')
            .filter_map(|p| {
                let (name, dur) = p.trim().split_once(';')?;
                Some((name.trim().to_string(), dur.trim().strip_prefix("dur=")?.parse().ok()?))
            })
            .collect(),
    )
}

/// The median of each phase over the responses, as `name p50` pairs, for
/// answers whose handler timed its phases (empty for the others).
fn phase_medians(all: &[Vec<(String, f64)>]) -> String {
    let Some(first) = all.first().filter(|p| p.len() > 1) else { return String::new() };
    first
        .iter()
        .map(|(name, _)| {
            let mut v: Vec<f64> = all.iter().filter_map(|p| p.iter().find(|(n, _)| n == name).map(|(_, ms)| *ms)).collect();
            v.sort_by(f64::total_cmp);
            format!("{name} {:.1}", v.get(v.len() / 2).copied().unwrap_or(0.0))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The URL of page `depth` of a list (following `next_cursor`), and the
/// numbers seen on the way.
async fn deep_page(c: &Client, token: &str, first: &str, depth: usize, numbers: &mut Vec<String>) -> Result<Option<String>, AnyError> {
    let mut path = first.to_string();
    for _ in 1..depth {
        let v = c.get_json(token, &path).await?;
        for item in v["items"].as_array().into_iter().flatten() {
            if let Some(n) = item["number"].as_str() {
                numbers.push(n.to_string());
            }
        }
        let Some(cursor) = v["next_cursor"].as_str() else { return Ok(None) };
        let sep = if first.contains('?') { '&' } else { '?' };
        path = format!("{first}{sep}cursor={cursor}");
    }
    Ok(Some(path))
}

fn db_size(url: &str) -> Option<u64> {
    let rest = url.strip_prefix("sqlite:")?;
    let path = rest.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or(path);
    Some(["", "-wal", "-shm"].iter().filter_map(|s| std::fs::metadata(format!("{path}{s}")).ok()).map(|m| m.len()).sum())
}

async fn pg_size(url: &str) -> Result<u64, AnyError> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await?;
    let n: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&mut c).await?;
    c.close().await?;
    Ok(n as u64)
}

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

pub async fn run(args: MeasureArgs) -> Result<(), AnyError> {
    let m = read_manifest(&args.paths)?;
    let sqlite = args.database_url.starts_with("sqlite:");
    let size_before = match db_size(&args.database_url) {
        Some(s) => s,
        None => pg_size(&args.database_url).await?,
    };
    let port = free_port()?;
    let dir = args.paths.dir.canonicalize()?;
    std::fs::write(
        args.paths.config(),
        format!(
            "listen = \"127.0.0.1:{port}\"\ndatabase_url = \"{}\"\nkey_file = \"{}\"\ncheckpoint_file = \"{}\"\nobject_store_url = \"file://{}\"\ndemo = false\n\
             # The measurement is one client address: the anonymous limits are lifted.\nsubmit_per_minute = 4000000000\nsubmit_per_day = 1000000000000\nsubmit_bytes_per_day = 1000000000000000\n\
             # The monthly ranking job and the triage training would run at start (their first firing) beside the first measurements\n# (the training is measured near the end, asked for by an admin).\nranking_schedule = \"\"\ntriage_training_schedule = \"\"\n\
             # The precomputed statistics take in changes every 2 s (the intake burst leaves thousands).\nstatistics_schedule = \"every 2s\"\n",
            args.database_url,
            args.paths.key_file().canonicalize()?.display(),
            dir.join("checkpoint.json").display(),
            dir.join("objects").display()
        ),
    )?;
    let server = match &args.server {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("xinfang"),
    };
    if args.drop_caches {
        let _ = Command::new("sync").status();
        std::fs::write("/proc/sys/vm/drop_caches", "3").map_err(|e| format!("drop caches: {e} (needs root)"))?;
    }
    let log = std::fs::File::create(dir.join("server.log"))?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let c = Arc::new(Client { http, base: base.clone() });
    let mut lines: Vec<Line> = Vec::new();
    // The server's resident memory after each measurement.
    let push = |lines: &mut Vec<Line>, mut l: Line, pid: u32| {
        l.rss = proc_status(pid, "VmRSS:");
        lines.push(l);
    };

    // ---- Cold start: spawn → /healthz 200, then a first inbox page.
    let t0 = Instant::now();
    let child = Command::new(&server)
        .arg("serve")
        .arg("--config")
        .arg(args.paths.config())
        // XINFANG_BENCH_SERVER_LOG (e.g. `warn,sqlx::query=debug`) sees
        // inside the measured server; its log is server.log.
        .env("XINFANG_LOG", std::env::var("XINFANG_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("{}: {e}", server.display()))?;
    let pid = child.id();
    let mut srv = Server { child };
    let healthz = loop {
        if let Ok(r) = c.http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            break t0.elapsed();
        }
        if let Ok(Some(status)) = srv.child.try_wait() {
            return Err(format!("the server exited ({status}); see {}", dir.join("server.log").display()).into());
        }
        if t0.elapsed() > Duration::from_secs(300) {
            return Err("the server did not answer /healthz within 300 s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let t_login = Instant::now();
    let province_clerk = c.login(&username(&m.province_bureau, Role::Clerk)).await?;
    let login = t_login.elapsed();
    let inbox_path = |unit: &str, per_page: usize| format!("/api/v1/petitions?unit={unit}&sort=due&per_page={per_page}");
    c.get_json(&province_clerk, &inbox_path(&m.province_bureau, 20)).await?;
    let first_inbox = t0.elapsed();
    let rss_start = proc_status(pid, "VmRSS:").unwrap_or(0.0);
    push(
        &mut lines,
        Line::value(
            "cold start: spawn → /healthz 200",
            format!("{:.0} ms", healthz.as_secs_f64() * 1000.0),
            "< 2 s",
            Some(healthz < Duration::from_secs(2)),
        ),
        pid,
    );
    let inbox_cold = first_inbox - login;
    push(
        &mut lines,
        Line::value(
            "cold start: spawn → first inbox page (province bureau; login excluded)",
            format!("{:.0} ms (+ login {:.0} ms)", inbox_cold.as_secs_f64() * 1000.0, login.as_secs_f64() * 1000.0),
            "< 2 s",
            Some(inbox_cold < Duration::from_secs(2)),
        ),
        pid,
    );

    // `--only`: the lists and searches it names, nothing else.
    if args.only.is_none() {
        // ---- Intake: online submissions, each committed before its number returns.
        let counties = Arc::new(m.counties.clone());
        let c1 = c.clone();
        let run_id = std::process::id();
        let server_ms = Arc::new(std::sync::Mutex::new(Vec::with_capacity(args.intake)));
        let server_ms1 = server_ms.clone();
        let (s, wall) = timed(args.intake, args.clients, move |i| {
            let (c, counties, server_ms) = (c1.clone(), counties.clone(), server_ms1.clone());
            async move {
                let county = counties.get(i % counties.len().max(1)).cloned().unwrap_or_else(|| "440304".into());
                let body = json!({
                    "jurisdiction": county,
                    "title": format!("测量提交第{i}号：拖欠工资"),
                    "request": format!("要求支付拖欠工资（第{i}件）"),
                    "facts_and_reasons": format!("信访人反映所在公司自今年起拖欠工资，多次讨要未果，测量编号{run_id}-{i}，详细情况见说明。"),
                    "category": "claim",
                    "topic": "0202",
                    "petitioners": [{"name": format!("测量人{i}"), "phone": format!("188{:08}", (run_id as usize * 7919 + i) % 100_000_000), "address": "广东省"}]
                });
                let r = c.http.post(format!("{}/api/v1/petitions", c.base)).json(&body).send().await?;
                if r.status().as_u16() != 201 {
                    return Err(format!("submission {i}: {} {}", r.status(), r.text().await.unwrap_or_default()).into());
                }
                if let Some(ms) = server_timing(r.headers())
                    && let Ok(mut v) = server_ms.lock()
                {
                    v.push(ms);
                }
                r.bytes().await?;
                Ok(())
            }
        })
        .await?;
        let rate = s.0.len() as f64 / wall.as_secs_f64().max(1e-9);
        let mut intake = Line::timed(format!("intake: online submissions, {} clients (durable)", args.clients), s, wall, None);
        intake.target = if sqlite { "≥ 2,000/s, p99 < 50 ms".into() } else { "(target set for SQLite)".into() };
        intake.pass = if sqlite { Some(rate >= 2000.0 && intake.stats.as_ref().is_some_and(|s| s.pct(0.99) < 50.0)) } else { None };
        push(&mut lines, intake, pid);
        // Issue 13: registration with search words, repeat matching and risk
        // signals under 20 ms of server time (the Server-Timing header).
        let server = Stats(server_ms.lock().map(|v| v.clone()).unwrap_or_default());
        if !server.0.is_empty() {
            let mut line = Line::timed("intake: server time of each registration (Server-Timing)", server, wall, Some(20.0));
            line.rate = None;
            push(&mut lines, line, pid);
        }
    }

    // ---- Lists at each level.
    let levels = [
        ("township office", m.township.clone(), Role::Clerk),
        ("county department", m.county_department.clone(), Role::HandlingOfficer),
        ("city bureau", m.city_bureau.clone(), Role::Clerk),
        ("province bureau", m.province_bureau.clone(), Role::Clerk),
    ];
    let loaded =
        chrono::DateTime::parse_from_rfc3339(&m.loaded_at).map(|d| d.date_naive()).unwrap_or_else(|_| chrono::Utc::now().date_naive());
    let month_from = loaded - chrono::Duration::days(200);
    let month_to = month_from + chrono::Duration::days(30);
    let mut numbers: Vec<String> = Vec::new();
    let mut tokens = Vec::new();
    for (label, unit, role) in &levels {
        let token = c.login(&username(unit, *role)).await?;
        tokens.push((label, unit.clone(), token.clone()));
        let mut lists: Vec<(String, String)> = vec![
            (format!("{label} {unit}: inbox (waiting on the unit, by due date), first page"), inbox_path(unit, 20)),
            (format!("{label}: all visible, newest first, first page"), "/api/v1/petitions?per_page=20".into()),
            (format!("{label}: overdue"), "/api/v1/petitions?overdue=true&per_page=20".into()),
            (format!("{label}: state = handling"), "/api/v1/petitions?state=handling&per_page=20".into()),
            (format!("{label}: category = accusation"), "/api/v1/petitions?category=accusation&per_page=20".into()),
            (format!("{label}: topic 0202, closed"), "/api/v1/petitions?topic=0202&state=closed&per_page=20".into()),
            (
                format!("{label}: registered {month_from} – {month_to}"),
                format!("/api/v1/petitions?from={month_from}&to={month_to}&per_page=20"),
            ),
        ];
        // Full-text search (issue 13): a word most petitions of a common
        // topic carry, a rarer one, and a phrase.
        for (what, q) in [
            ("a common word", "拖欠工资"),
            ("a two-character common word", "工资"),
            ("a rarer word", "噪声"),
            ("a phrase", "医院手术并发症"),
        ] {
            lists.push((format!("{label}: search {what} ({q})"), format!("/api/v1/search?q={}&per_page=20", url_encode(q))));
        }
        if let Some(deep) = deep_page(&c, &token, &inbox_path(unit, 20), 25, &mut numbers).await? {
            lists.insert(1, (format!("{label}: inbox, page 25 (cursor)"), deep));
        }
        if let Some(deep) = deep_page(&c, &token, "/api/v1/petitions?per_page=20", 50, &mut numbers).await? {
            lists.insert(3, (format!("{label}: all visible, page 50 (cursor)"), deep));
        }
        for (what, path) in lists {
            if args.only.as_ref().is_some_and(|o| !what.contains(o.as_str())) {
                continue;
            }
            let (s, wall, phases) = reads(&c, &token, path.clone(), args.samples).await?;
            // The server's phases, where the handler timed them (search).
            let what = if phases.is_empty() { what } else { format!("{what} [server p50 ms: {phases}]") };
            push(&mut lines, Line::timed(what, s, wall, Some(50.0)), pid);
        }
        // The workbench inbox page (HTML, 100 rows) as a browser asks for it.
        let what = format!("{label}: workbench inbox page (HTML, 100 rows)");
        if args.only.as_ref().is_some_and(|o| !what.contains(o.as_str())) {
            continue;
        }
        let (c2, t2) = (c.clone(), token.clone());
        c2.http.get(format!("{}/staff", c2.base)).header("cookie", format!("xf_session={t2}")).send().await?;
        let (s, wall) = timed(args.samples.min(100), 4, move |_| {
            let (c, t) = (c2.clone(), t2.clone());
            async move {
                let r = c.http.get(format!("{}/staff", c.base)).header("cookie", format!("xf_session={t}")).send().await?;
                if !r.status().is_success() {
                    return Err(format!("GET /staff: {}", r.status()).into());
                }
                r.bytes().await?;
                Ok(())
            }
        })
        .await?;
        push(&mut lines, Line::timed(what, s, wall, Some(50.0)), pid);
    }

    // `--only detail` measures the detail too (its numbers come from the
    // lists' pages read above).
    const DETAIL: &str = "detail (history, deadlines, actions)";
    if args.only.as_ref().is_some_and(|o| !DETAIL.contains(o.as_str())) {
        return write_report(&args, &m, &lines);
    }

    // ---- Detail of petitions the province bureau sees.
    let (_, _, province_token) = tokens.last().cloned().ok_or("no token")?;
    numbers.sort();
    numbers.dedup();
    if !numbers.is_empty() {
        let nums = Arc::new(numbers);
        let (c3, t3) = (c.clone(), province_token.clone());
        let n = args.samples.max(100);
        let nums2 = nums.clone();
        let phases: SeenPhases = Arc::default();
        let seen = phases.clone();
        let (s, wall) = timed(n, 4, move |i| {
            let (c, t, nums, seen) = (c3.clone(), t3.clone(), nums2.clone(), seen.clone());
            async move {
                let number = &nums[(i * 7919) % nums.len()];
                let r = c.http.get(format!("{}/api/v1/petitions/{number}", c.base)).bearer_auth(&t).send().await?;
                // A petition listed once may be sealed from the reader at detail (404 is an answer too).
                if !(r.status().is_success() || r.status().as_u16() == 404) {
                    return Err(format!("detail {number}: {}", r.status()).into());
                }
                keep_phases(&seen, r.headers());
                r.bytes().await?;
                Ok(())
            }
        })
        .await?;
        let phases = phases.lock().map(|v| phase_medians(&v)).unwrap_or_default();
        let what = format!("{DETAIL}, {} petitions", nums.len().min(n));
        let what = if phases.is_empty() { what } else { format!("{what} [server p50 ms: {phases}]") };
        push(&mut lines, Line::timed(what, s, wall, Some(10.0)), pid);
    }
    if args.only.is_some() {
        return write_report(&args, &m, &lines);
    }

    // ---- CSV export: everything the city and province bureaus see (100,000 rows at most).
    for (label, unit, token) in tokens.iter().skip(2) {
        let t = Instant::now();
        let r = c.http.get(format!("{base}/api/v1/petitions/export.csv")).bearer_auth(token).send().await?;
        if !r.status().is_success() {
            return Err(format!("export {unit}: {}", r.status()).into());
        }
        let body = r.bytes().await?;
        let secs = t.elapsed().as_secs_f64();
        let rows = body.iter().filter(|b| **b == b'\n').count().saturating_sub(1);
        push(
            &mut lines,
            Line::value(
                format!("CSV export, {label} (all visible, capped at 100,000)"),
                format!(
                    "{rows} rows in {secs:.1} s = {:.0} rows/s ({:.1} MiB)",
                    rows as f64 / secs.max(1e-9),
                    body.len() as f64 / 1048576.0
                ),
                "—",
                None,
            ),
            pid,
        );
    }

    // ---- Supervision figures (issue 12): statistics, the dashboard and the
    // ranking preview at each level, and the deadline watch's two queries.
    {
        // The intake measurement left thousands of changed petitions; the
        // refresh job takes them in. How long that takes is a figure too.
        let cfg = xinfang::config::Config {
            database_url: args.database_url.clone(),
            key_file: args.paths.key_file().display().to_string(),
            ..xinfang::config::Config::default()
        };
        let store = xinfang::open(&cfg).await?;
        let t = Instant::now();
        let pending = store.aggregate_status().await?.dirty;
        let mut left = pending;
        while left > 0 && t.elapsed() < Duration::from_secs(600) {
            tokio::time::sleep(Duration::from_millis(200)).await;
            left = store.aggregate_status().await?.dirty;
        }
        push(
            &mut lines,
            Line::value(
                "precomputed statistics: changed petitions waiting after the intake, taken in by the refresh job (every 2 s)",
                format!("{pending} waiting, {left} left after {:.1} s", t.elapsed().as_secs_f64()),
                "—",
                None,
            ),
            pid,
        );
        store.close().await;
    }
    let month = xinfang_web::ranking::last_month(loaded);
    let year_from = loaded - chrono::Duration::days(365);
    let figures_n = args.samples.clamp(1, 20);
    for (label, unit, token) in &tokens {
        let mut paths: Vec<(String, String)> = vec![
            (
                format!("{label}: statistics of last month, with the units below"),
                format!("/api/v1/statistics?unit={unit}&from={}&to={}&subtree=true", month_of(&month).0, month_of(&month).1),
            ),
            (
                format!("{label}: statistics of the last 12 months"),
                format!("/api/v1/statistics?unit={unit}&from={year_from}&to={loaded}&subtree=true"),
            ),
            (format!("{label}: dashboard (13 months)"), "/api/v1/dashboard".into()),
        ];
        if label.contains("bureau") {
            paths.push((format!("{label}: ranking preview of {month}"), format!("/api/v1/rankings/preview?month={month}")));
        }
        for (what, path) in paths {
            let (s, wall, _) = reads(&c, token, path, figures_n).await?;
            push(&mut lines, Line::timed(what, s, wall, Some(200.0)), pid);
        }
    }
    {
        let cfg = xinfang::config::Config {
            database_url: args.database_url.clone(),
            key_file: args.paths.key_file().display().to_string(),
            ..xinfang::config::Config::default()
        };
        let store = xinfang::open(&cfg).await?;
        let today = xinfang_domain::local_date(chrono::Utc::now());
        let t = Instant::now();
        let counts = store.watch_counts_now(today, xinfang_domain::supervision::DEFAULT_DUE_SOON_DAYS).await?;
        let breaches = store.breaches_without_case(today, 200).await?;
        let secs = t.elapsed().as_secs_f64();
        let open: i64 = counts.iter().map(|c| c.total()).sum();
        push(
            &mut lines,
            Line::value(
                "deadline watch: count every open duty timer by class and unit, find breaches without a case",
                format!("{open} open timers, {} breaches found, in {:.0} ms", breaches.len(), secs * 1000.0),
                "< 1 s",
                Some(secs < 1.0),
            ),
            pid,
        );
        store.close().await;
    }

    // ---- The daily triage training (docs/intelligence.md), run now by an
    // admin of the province bureau, created here if the load made none: a
    // server trains once a day, so its memory belongs in the peak below.
    {
        let cfg = xinfang::config::Config {
            database_url: args.database_url.clone(),
            key_file: args.paths.key_file().display().to_string(),
            ..xinfang::config::Config::default()
        };
        let store = xinfang::open(&cfg).await?;
        let bureau = store.load_units().await?.into_iter().find(|u| u.code == m.province_bureau).ok_or("no province bureau")?;
        let hash = xinfang_web::auth::hash_password(PASSWORD).map_err(|e| e.message)?;
        let admin = username(&m.province_bureau, Role::Admin);
        store.bulk_users(&[(admin.clone(), format!("{}{}", bureau.name, Role::Admin.label()), Role::Admin, bureau.id)], &hash).await?;
        store.close().await;
        let token = c.login(&admin).await?;
        let before = proc_status(pid, "VmRSS:").unwrap_or(0.0);
        let t = Instant::now();
        let r = c.http.post(format!("{base}/api/v1/triage/models/train")).bearer_auth(&token).json(&json!({})).send().await?;
        let status = r.status();
        let report: Value = r.json().await?;
        let secs = t.elapsed().as_secs_f64();
        if !status.is_success() {
            return Err(format!("training: {status} {report}").into());
        }
        let examples = report.as_array().and_then(|a| a.first()).and_then(|f| f["examples"].as_i64()).unwrap_or(0);
        let used: Vec<&str> =
            report.as_array().into_iter().flatten().filter(|f| f["active"] == true).filter_map(|f| f["field"].as_str()).collect();
        push(
            &mut lines,
            Line::value(
                "triage training (POST /api/v1/triage/models/train): the newest confirmed routings, segmented and counted",
                format!(
                    "{examples} examples in {secs:.1} s; server RSS {before:.0} MiB before, peak so far {:.0} MiB; model in use for: {}",
                    proc_status(pid, "VmHWM:").unwrap_or(0.0),
                    if used.is_empty() { "none".to_string() } else { used.join(", ") }
                ),
                "—",
                None,
            ),
            pid,
        );
    }

    // ---- Memory and size.
    let hwm = proc_status(pid, "VmHWM:").unwrap_or(0.0);
    let rss = proc_status(pid, "VmRSS:").unwrap_or(0.0);
    push(
        &mut lines,
        Line::value(
            "server RSS: after start / now / peak (VmHWM)",
            format!("{rss_start:.0} / {rss:.0} / {hwm:.0} MiB"),
            "peak < 150 MB",
            Some(hwm * 1.048576 < 150.0),
        ),
        pid,
    );
    drop(srv);
    let size_after = match db_size(&args.database_url) {
        Some(s) => s,
        None => pg_size(&args.database_url).await?,
    };
    push(
        &mut lines,
        Line::value(
            "database size on disk (before / after the measurement)",
            format!("{} / {}", gib(size_before), gib(size_after)),
            "—",
            None,
        ),
        pid,
    );

    write_report(&args, &m, &lines)
}

/// Print the report of `lines` (and write it to `--out`).
fn write_report(args: &MeasureArgs, m: &Manifest, lines: &[Line]) -> Result<(), AnyError> {
    let engine = if args.database_url.starts_with("sqlite:") { "SQLite" } else { "PostgreSQL" };
    let mut report = format!(
        "\n{engine}, {} petitions loaded {} (seed {}); server {}; load average {}\n\n",
        m.petitions,
        m.loaded_at,
        m.seed,
        if cfg!(debug_assertions) { "measured by a debug build of the bench" } else { "release build" },
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    );
    report.push_str("| measurement | n | rate | p50 ms | p95 ms | p99 ms | value | target | result | server RSS after, MiB |\n");
    report.push_str("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: |\n");
    for l in lines {
        let (p50, p95, p99) = match &l.stats {
            Some(s) => (format!("{:.1}", s.pct(0.5)), format!("{:.1}", s.pct(0.95)), format!("{:.1}", s.pct(0.99))),
            None => ("".into(), "".into(), "".into()),
        };
        report.push_str(&format!(
            "| {} | {} | {} | {p50} | {p95} | {p99} | {} | {} | {} | {} |\n",
            l.what,
            l.n,
            l.rate.clone().unwrap_or_default(),
            l.value.clone().unwrap_or_default(),
            l.target,
            match l.pass {
                Some(true) => "PASS",
                Some(false) => "FAIL",
                None => "—",
            },
            l.rss.map(|r| format!("{r:.0}")).unwrap_or_default()
        ));
    }
    print!("{report}");
    if let Some(out) = &args.out {
        std::fs::write(out, &report)?;
    }
    Ok(())
}

/// Percent-encoding of a query value (UTF-8 bytes).
fn url_encode(q: &str) -> String {
    q.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
