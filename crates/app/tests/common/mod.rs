//! Test harness: a real `xinfang` server on an ephemeral port, backed by a
//! fresh SQLite file, or by a fresh PostgreSQL database when
//! `XINFANG_TEST_DATABASE_URL` names a server (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`).

#![allow(dead_code, clippy::unwrap_used)]

use rand::RngCore;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use std::collections::HashMap;
use tokio::sync::Mutex;
use xinfang::config::Config;

pub const PASSWORD: &str = xinfang::demo::DEMO_PASSWORD;

pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    tokens: Mutex<HashMap<String, String>>,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
    pub store: xinfang_store::Store,
}

impl TestServer {
    /// The database URL this server uses.
    pub fn database_url(&self) -> String {
        match &self.pg {
            Some((admin, name)) => format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or_default()),
            None => format!("sqlite://{}/xinfang.db", self.dir.path().display()),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

impl TestServer {
    /// The server's keyring (its key file).
    pub fn keyring(&self) -> xinfang_crypto::Keyring {
        let cfg = Config { key_file: self.dir.path().join("xinfang.key").display().to_string(), ..Config::default() };
        xinfang::existing_keyring(&cfg).unwrap().expect("the server's key file")
    }

    /// Load a generated history (`demo_history`) into the server's database.
    pub async fn load_history(&self, spec: xinfang::demo_history::HistorySpec) -> xinfang::demo_history::HistoryLoaded {
        xinfang::demo_history::load(&self.store, &self.keyring(), spec).await.unwrap()
    }

    /// For tests that count what is in the database: no background job
    /// changes it meanwhile — the monthly ranking, the statistics refresh,
    /// and the deadline watch (which runs on multiples of five minutes
    /// since the epoch, so a run could fall in the middle of any test).
    pub fn counting(c: &mut Config) {
        c.ranking_schedule = String::new();
        c.statistics_schedule = String::new();
        c.watch_schedule = String::new();
    }

    pub async fn start() -> TestServer {
        Self::start_with(false).await
    }

    /// Start with the demo's sample petitions loaded too.
    pub async fn start_with(demo_petitions: bool) -> TestServer {
        Self::start_configured(|c| c.demo_petitions = demo_petitions).await
    }

    /// Start with a configuration adjusted by `adjust`.
    pub async fn start_configured(adjust: impl FnOnce(&mut Config)) -> TestServer {
        // A debug build's password checks, beside the other tests of the
        // binary on a loaded machine, may queue past the 10 s a deployment
        // waits; the tests check answers, not the busy bound (a unit test
        // in `auth` does).
        xinfang_web::auth::set_argon2_wait(std::time::Duration::from_secs(600));
        let dir = tempfile::tempdir().expect("tempdir");
        let (database_url, pg) = match std::env::var("XINFANG_TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                let mut b = [0u8; 6];
                rand::rng().fill_bytes(&mut b);
                let name = format!("xf_test_{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>());
                let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to PostgreSQL");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let (head, _) = admin.rsplit_once('/').expect("database url has a path");
                (format!("{head}/{name}"), Some((admin, name)))
            }
            _ => (format!("sqlite://{}/xinfang.db", dir.path().display()), None),
        };
        let key_file = dir.path().join("xinfang.key").display().to_string();
        // No training run unless a test asks: a daily schedule fires at
        // start-up once its time of day has passed, and a model in force
        // would change what the triage tests see.
        let mut cfg = Config {
            database_url,
            demo: true,
            demo_petitions: false,
            demo_history: 0,
            key_file,
            triage_training_schedule: String::new(),
            ..Config::default()
        };
        adjust(&mut cfg);
        let (store, router) = xinfang::build(&cfg).await.expect("build app");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.ok();
        });
        TestServer { base: format!("http://{addr}"), client: reqwest::Client::new(), tokens: Mutex::new(HashMap::new()), dir, pg, store }
    }

    /// Drop the PostgreSQL test database (SQLite files go with the tempdir).
    pub async fn finish(self) {
        self.store.close().await;
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = sqlx::PgConnection::connect(admin).await
        {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut conn).await;
        }
    }

    pub async fn token(&self, username: &str) -> String {
        if let Some(t) = self.tokens.lock().await.get(username) {
            return t.clone();
        }
        let (status, body) = self.post("/api/v1/auth/login", None, json!({"username": username, "password": PASSWORD})).await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        let t = body["token"].as_str().unwrap().to_string();
        self.tokens.lock().await.insert(username.into(), t.clone());
        t
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut req = self.client.put(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    /// POST as a named demo user.
    pub async fn post_as(&self, user: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let t = self.token(user).await;
        self.post(path, Some(&t), body).await
    }

    pub async fn get_as(&self, user: &str, path: &str) -> (StatusCode, Value) {
        let t = self.token(user).await;
        self.get(path, Some(&t)).await
    }

    /// Perform an action on a petition as a demo user, asserting success.
    pub async fn act(&self, user: &str, number: &str, action: &str, body: Value) -> Value {
        let (status, resp) = self.try_act(user, number, action, body).await;
        assert_eq!(status, StatusCode::OK, "{user} {action} on {number}: {resp}");
        resp
    }

    /// An act done earlier on paper and entered now by the unit head with the
    /// scanned document attached (补录, Art. 21): judged at `occurred_on`.
    pub async fn act_on_paper(&self, head: &str, number: &str, action: &str, body: Value) -> Value {
        let (status, resp) = self.try_act(head, number, action, with_evidence(body)).await;
        assert_eq!(status, StatusCode::OK, "{head} {action} (on paper) on {number}: {resp}");
        resp
    }

    pub async fn try_act(&self, user: &str, number: &str, action: &str, body: Value) -> (StatusCode, Value) {
        self.post_as(user, &format!("/api/v1/petitions/{number}/actions/{action}"), body).await
    }

    pub async fn detail(&self, user: &str, number: &str) -> Value {
        let (status, body) = self.get_as(user, &format!("/api/v1/petitions/{number}")).await;
        assert_eq!(status, StatusCode::OK, "detail {number}: {body}");
        body
    }
}

/// A citizen's online claim about unpaid wages in 福田区.
pub fn online_claim(name: &str, id_number: &str) -> Value {
    json!({
        "jurisdiction": "440304",
        "title": "公司拖欠工资",
        "request": "要求某科技公司支付拖欠的2026年7月至9月工资共计一万五千元",
        "facts_and_reasons": "本人在某科技公司任职，公司自2026年7月起停发工资，多次催要无果，已向公司人事部门书面反映。",
        "category": "claim",
        "topic": "0202",
        "petitioners": [{"name": name, "id_number": id_number, "phone": "13800138000", "address": "深圳市福田区华强北街道"}]
    })
}

/// A letter registered by the 福田区 clerk, received on `received_on`.
pub fn letter(received_on: &str) -> Value {
    let mut v = online_claim("李四", "440304199001011233");
    v["channel"] = json!("letter");
    v["received_on"] = json!(received_on);
    v
}

pub fn deadline<'a>(deadlines: &'a Value, kind: &str) -> &'a Value {
    deadlines.as_array().unwrap().iter().rev().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("no {kind} in {deadlines}"))
}

pub fn today() -> chrono::NaiveDate {
    xinfang_domain::local_date(chrono::Utc::now())
}

/// A valid GB 11643 identity number born on `birth` (`YYYYMMDD`, Futian's
/// area code) with sequence `seq`: the check digit computed, so that tests
/// can make as many distinct people as they need.
#[allow(dead_code)]
pub fn id_number_born(birth: &str, seq: u32) -> String {
    let body = format!("440304{birth}{:03}", seq % 1000);
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(W).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    let check = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize];
    format!("{body}{check}")
}

pub fn days_ago(n: i64) -> String {
    (today() - chrono::Duration::days(n)).to_string()
}

pub fn days_ahead(n: i64) -> String {
    (today() + chrono::Duration::days(n)).to_string()
}

/// The body with a scanned 收文/发文 attached as the late entry's evidence.
pub fn with_evidence(mut body: Value) -> Value {
    use base64::Engine;
    let pdf = b"%PDF-1.4\n% scanned paper record\n%%EOF\n";
    body["evidence"] = json!({
        "filename": "收文登记簿扫描件.pdf",
        "content_type": "application/pdf",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(pdf),
    });
    body
}

/// The portal's online submission form, filled in correctly (a wage claim in 福田区).
pub const PORTAL_CLAIM_FORM: &[(&str, &str)] = &[
    ("name", "赵一"),
    ("id_number", "440304199001011233"),
    ("phone", "13800138000"),
    ("province", "44"),
    ("city", "4403"),
    ("county", "440304"),
    ("township", "440304011"),
    ("category", "claim"),
    ("title", "公司拖欠工资"),
    ("request", "请求督促公司支付工资"),
    ("facts_and_reasons", "公司自7月起拖欠工资。"),
];

/// The text of a PDF (`pdftotext`, from Debian's poppler-utils, installed
/// by scripts/setup.sh), whitespace removed: line breaks and layout spaces
/// fall where the typesetting put them.
pub fn pdf_text(pdf: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils) is installed by scripts/setup.sh");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect()
}

/// Rate limits count in fixed one-minute windows: a test that counts up to
/// a limit starts well inside a minute, so that its requests share one.
pub async fn inside_one_minute() {
    use chrono::Timelike;
    while chrono::Utc::now().second() >= 40 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// A browser-like client with a cookie jar, logged in as `user` through
/// the login form (landing on the inbox); the page's csrf token.
pub async fn browser(s: &TestServer, user: &str) -> (reqwest::Client, String) {
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::limited(5)).build().unwrap();
    let html = c.get(format!("{}/staff/login", s.base)).send().await.unwrap().text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = c
        .post(format!("{}/staff/login", s.base))
        .form(&[("csrf", csrf.as_str()), ("username", user), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("待办事项"));
    (c, csrf)
}

/// A form posted by a browser-like client (`browser`): the page it gets back.
#[allow(dead_code)]
pub async fn post_page(c: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> String {
    c.post(url).form(form).send().await.unwrap().text().await.unwrap()
}

/// Rows read straight from the test's database (checks against what the
/// API shows, recomputed independently).
#[allow(dead_code)]
pub async fn raw_rows(s: &TestServer, sql: &str) -> Vec<sqlx::any::AnyRow> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&s.database_url()).await.unwrap();
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_all(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    rows
}

/// A statement run straight on the test's database (to move time back).
#[allow(dead_code)]
pub async fn raw_execute(s: &TestServer, sql: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&s.database_url()).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

/// What a sealed accusation is called to a unit that may only know it
/// exists (Art. 30; `web::views::SEALED_TITLE`).
#[allow(dead_code)]
pub const SEALED_TITLE: &str = "检举控告事项";

/// A letter received `received_on`, registered by the 福田区 bureau
/// (`ft_clerk`) as a claim titled `title`, seen in full: its number.
#[allow(dead_code)]
pub async fn claim_by_the_bureau(s: &TestServer, received_on: &str, title: &str) -> String {
    let mut v = letter(received_on);
    v["title"] = json!(title);
    let (status, sub) = s.post_as("ft_clerk", "/api/v1/petitions", v).await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let number = sub["number"].as_str().unwrap().to_string();
    assert_eq!(s.detail("ft_clerk", &number).await["view"], "full");
    number
}

/// The bureau's claim turns out to be an accusation and is referred to the
/// district discipline body: the bureau sees it sealed from then on.
#[allow(dead_code)]
pub async fn seal_as_accusation(s: &TestServer, number: &str) {
    s.act("ft_clerk", number, "classify", json!({"category": "accusation", "litigation_related": false, "reason": "反映工作人员违纪"}))
        .await;
    s.act("ft_clerk", number, "refer_discipline", json!({"unit": "440304-JW"})).await;
    let d = s.detail("ft_clerk", number).await;
    assert_eq!(d["view"], "sealed", "{d}");
    assert_eq!(d["title"], SEALED_TITLE, "{d}");
}

/// The discipline body names the bureau itself as the accused unit: the
/// bureau's staff get 404 for the petition from then on.
#[allow(dead_code)]
pub async fn name_the_bureau_accused(s: &TestServer, number: &str) {
    s.act("ft_jw_officer", number, "designate_accused", json!({"unit": "440304-XFJ", "reason": "被检举人系区信访局工作人员"})).await;
    for user in ["ft_clerk", "ft_head", "ft_supervisor"] {
        let (status, body) = s.get_as(user, &format!("/api/v1/petitions/{number}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{user}: {body}");
    }
}

/// A query string's value, percent-encoded (Chinese search words in a URL).
#[allow(dead_code)]
pub fn enc(q: &str) -> String {
    q.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
