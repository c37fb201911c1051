//! Configuration: defaults, then `xinfang.toml` (or `--config FILE`), then
//! `XINFANG_*` environment variables, then command-line flags.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use xinfang_ui::PortalInfo;
use xinfang_web::Settings;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://path` or `postgres://…`; default: SQLite under ./xinfang-data/.
    pub database_url: String,
    /// Optional `postgres://…` of a streaming replica (hot standby) for
    /// reads that tolerate lag: petition lists and inboxes, person
    /// searches, CSV exports, Open311's date-window listing. Writes and
    /// every read that must see its own write stay on `database_url`; a
    /// replica that does not answer sends those reads back to the primary.
    /// PostgreSQL only: refused beside an SQLite database.
    pub read_database_url: Option<String>,
    /// Load the demo units, users and topics (idempotent).
    pub demo: bool,
    /// With `demo`, also create a handful of sample petitions (once).
    pub demo_petitions: bool,
    /// With `demo`, on a database without petitions, also generate this
    /// many past petitions over the last 13 months (`demo_history`), so
    /// that the dashboard, ranking and statistics have a history. 0: none.
    pub demo_history: usize,
    /// Key file for personal data at rest and keyed hashes; created with
    /// fresh keys on first start if missing (back it up!).
    pub key_file: String,
    /// Algorithm for a newly generated key file: `sm4-gcm` or `aes-256-gcm`.
    pub encryption_algorithm: String,
    /// Where signed checkpoints of the chain heads are written besides the
    /// database table; default: beside the SQLite file
    /// (`xinfang.db.checkpoint.json`), or beside the key file for PostgreSQL.
    /// Keep it (or a copy) where the database's writers cannot reach.
    pub checkpoint_file: Option<String>,
    /// Seconds between checkpoints taken by the server (also taken on
    /// every clean `verify` and every `backup`); 0 turns the timer off.
    pub checkpoint_interval_seconds: u64,
    /// Database connections per node (0: 8 on SQLite, 16 on PostgreSQL).
    /// Nodes × this must stay below PostgreSQL's `max_connections`.
    pub database_max_connections: u32,
    /// Seconds a request waits for a free connection before it fails.
    pub database_acquire_timeout_seconds: u64,
    /// Seconds an idle connection is kept open.
    pub database_idle_timeout_seconds: u64,
    /// SQLite: MiB of memory SQLite may hold in this process before its
    /// connections' page caches give pages back (a soft limit; 0: none).
    pub sqlite_memory_limit_mib: u64,
    /// Seconds a login, re-authentication or password change waits for a
    /// password-check turn (two per process) before it is answered 503
    /// `busy` with nothing done or counted; 0: the default, 10.
    pub password_check_wait_seconds: u64,
    /// Seconds between purges of expired tokens and old rate counters
    /// (run once across nodes); 0 turns the job off.
    pub purge_interval_seconds: u64,
    /// Where attachment content lives: `file:///path` (default:
    /// `file://<data dir>/objects`, the data dir being the SQLite file's
    /// directory, or the key file's for PostgreSQL) or `s3://bucket[/prefix]`.
    pub object_store_url: Option<String>,
    /// S3-compatible storage (with an `s3://` URL): endpoint such as
    /// `http://127.0.0.1:9000` (empty for AWS), region, keys, and
    /// path-style requests (most self-hosted servers need them).
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    pub s3_path_style: bool,
    /// Keep finished jobs (delivered messages, rendered letters, periodic
    /// runs) this many days before the purge deletes them; failed ones
    /// stay until an admin retries them.
    pub keep_finished_jobs_days: i64,
    /// First retry of a failed job after this many seconds, doubling each
    /// time up to `job_retry_max_seconds`; after 12 attempts (about a
    /// day with the defaults) the job is left failed for the admin.
    pub job_retry_base_seconds: u64,
    pub job_retry_max_seconds: u64,
    /// How often an idle node looks for work queued by other nodes (ms).
    pub job_poll_millis: u64,
    /// How long a node holds a message it is sending before another node
    /// may take it over (a node that died mid-send is waited out this long).
    pub job_lease_seconds: u64,
    /// Off: this node queues work but runs none (other nodes do).
    pub run_jobs: bool,
    /// When the staff reminder digest goes out (`daily HH:MM`, China
    /// time, or `every 30m` …), and how many days before a due date a
    /// timer is listed (besides the day itself and the day after breach).
    pub digest_schedule: String,
    pub digest_days_before: Vec<u32>,
    /// When the deadline watch sweeps the open duty timers and opens a
    /// supervision case at each breach (`every 5m`, `daily 01:00`…; empty
    /// turns it off). See `watch_due_soon_days` and `watch_batch`.
    pub watch_schedule: String,
    /// When the monthly ranking job looks for last month's rankings to
    /// publish (`daily HH:MM`; empty turns it off). It publishes a bureau's
    /// ranking once the month is over, once across nodes.
    pub ranking_schedule: String,
    /// How often the precomputed statistics take in the petitions changed
    /// since (`every 15s`; empty turns it off: reads then correct for every
    /// change since the last refresh, and recount past
    /// `statistics_max_corrections`). The first run builds them.
    pub statistics_schedule: String,
    /// When the triage models are retrained from the confirmed routings
    /// (`daily 02:30`; empty turns it off). See `triage_min_held_out`.
    pub triage_training_schedule: String,
    /// Fonts for letters: every .ttf/.otf/.ttc under this directory
    /// (default: Debian's Noto CJK; drop licensed 仿宋 / 小标宋 here).
    pub fonts_dir: String,
    /// The program that renders letters in a child process
    /// (`<program> render-letters`, app::letter_process), so that fonts
    /// and typst's working memory stay out of the server: `self` (the
    /// default) is the running `xinfang` executable; empty renders in the
    /// server's own process.
    pub letters_process: String,
    /// Letter templates that override the built-in ones (same file names).
    pub letter_templates_dir: Option<String>,
    /// SMS gateway and SMTP server (`sms_*`, `smtp_*`).
    #[serde(flatten)]
    pub notify: xinfang_notify::NotifyConfig,
    /// Counting policies, session and lockout limits, rate limits.
    #[serde(flatten)]
    pub settings: Settings,
    /// What the public portal shows about the deployment (`[portal]`).
    pub portal: PortalInfo,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://xinfang-data/xinfang.db".into(),
            read_database_url: None,
            demo: false,
            demo_petitions: true,
            demo_history: 2_400,
            key_file: "xinfang-data/xinfang.key".into(),
            encryption_algorithm: "sm4-gcm".into(),
            checkpoint_file: None,
            checkpoint_interval_seconds: 3600,
            database_max_connections: 0,
            database_acquire_timeout_seconds: 30,
            database_idle_timeout_seconds: 600,
            password_check_wait_seconds: 10,
            sqlite_memory_limit_mib: 0,
            purge_interval_seconds: 600,
            object_store_url: None,
            s3_endpoint: None,
            s3_region: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_path_style: true,
            keep_finished_jobs_days: 30,
            job_retry_base_seconds: 30,
            job_retry_max_seconds: 3600,
            job_poll_millis: 1000,
            job_lease_seconds: 60,
            run_jobs: true,
            digest_schedule: "daily 08:30".into(),
            digest_days_before: vec![3, 1],
            watch_schedule: "every 5m".into(),
            ranking_schedule: "daily 09:00".into(),
            statistics_schedule: "every 15s".into(),
            triage_training_schedule: "daily 02:30".into(),
            fonts_dir: "/usr/share/fonts/opentype/noto".into(),
            letters_process: "self".into(),
            letter_templates_dir: None,
            notify: xinfang_notify::NotifyConfig::default(),
            settings: Settings::default(),
            portal: PortalInfo::default(),
        }
    }
}

impl Config {
    /// The pool settings for the store.
    pub fn pool(&self) -> xinfang_store::PoolSettings {
        xinfang_store::PoolSettings {
            max_connections: self.database_max_connections,
            acquire_timeout: Some(std::time::Duration::from_secs(self.database_acquire_timeout_seconds.max(1))),
            idle_timeout: Some(std::time::Duration::from_secs(self.database_idle_timeout_seconds.max(1))),
            // SQLite reads the limit as a signed 64-bit count of bytes.
            sqlite_memory_limit: self.sqlite_memory_limit_mib.saturating_mul(1024 * 1024).min(i64::MAX as u64),
        }
    }

    /// How long a password check waits for its turn (`auth::argon2_turn`).
    pub fn password_check_wait(&self) -> std::time::Duration {
        match self.password_check_wait_seconds {
            0 => xinfang_web::auth::ARGON2_WAIT,
            s => std::time::Duration::from_secs(s),
        }
    }

    /// The read replica's URL, if one is configured (an empty value is
    /// none); an error for SQLite, which has no streaming replicas.
    pub fn read_database_url(&self) -> Result<Option<&str>, String> {
        let Some(url) = self.read_database_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else { return Ok(None) };
        if self.database_url.starts_with("sqlite:") {
            return Err("read_database_url needs PostgreSQL: an SQLite database has no streaming replica (remove read_database_url)".into());
        }
        Ok(Some(url))
    }

    /// The object store URL: configured, or `objects` in the data directory.
    pub fn object_store_url(&self) -> String {
        if let Some(u) = &self.object_store_url {
            return u.clone();
        }
        let data_dir = match self.database_url.strip_prefix("sqlite:") {
            Some(rest) => {
                let path = rest.trim_start_matches("//");
                let path = path.split('?').next().unwrap_or(path);
                std::path::Path::new(path).parent().map(std::path::Path::to_path_buf).unwrap_or_default()
            }
            None => std::path::Path::new(&self.key_file).parent().map(std::path::Path::to_path_buf).unwrap_or_default(),
        };
        let dir = if data_dir.as_os_str().is_empty() { std::path::PathBuf::from(".") } else { data_dir };
        format!("file://{}", dir.join("objects").display())
    }

    pub fn s3(&self) -> xinfang_objects::S3Settings {
        xinfang_objects::S3Settings {
            endpoint: self.s3_endpoint.clone().filter(|s| !s.is_empty()),
            region: self.s3_region.clone().filter(|s| !s.is_empty()),
            access_key_id: self.s3_access_key_id.clone(),
            secret_access_key: self.s3_secret_access_key.clone(),
            path_style: self.s3_path_style,
        }
    }

    /// The checkpoint file: configured, or beside the database.
    pub fn checkpoint_path(&self) -> std::path::PathBuf {
        if let Some(f) = &self.checkpoint_file {
            return f.into();
        }
        if let Some(rest) = self.database_url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            return format!("{path}.checkpoint.json").into();
        }
        std::path::Path::new(&self.key_file).with_file_name("checkpoint.json")
    }
}

/// Values given on the command line (only those present override).
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_database_url: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub demo: bool,
}

pub fn load(config_file: Option<&str>, overrides: Overrides) -> Result<Config, Box<figment::Error>> {
    let file = config_file.unwrap_or("xinfang.toml");
    Figment::from(Serialized::defaults(Config::default()))
        .merge(Toml::file(file))
        .merge(Env::prefixed("XINFANG_").ignore(&["config"]))
        .merge(Serialized::defaults(overrides))
        .extract()
        .map_err(Box::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_check_wait_comes_from_the_file_and_zero_is_the_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("xinfang.toml");
        std::fs::write(&file, "password_check_wait_seconds = 3\n").expect("write");
        let cfg = load(file.to_str(), Overrides::default()).expect("load");
        assert_eq!(cfg.password_check_wait(), std::time::Duration::from_secs(3));
        std::fs::write(&file, "password_check_wait_seconds = 0\n").expect("write");
        let cfg = load(file.to_str(), Overrides::default()).expect("load");
        assert_eq!(cfg.password_check_wait(), xinfang_web::auth::ARGON2_WAIT);
        assert_eq!(Config::default().password_check_wait(), xinfang_web::auth::ARGON2_WAIT);
    }

    #[test]
    fn the_sqlite_memory_limit_is_bytes_and_never_past_what_sqlite_can_read() {
        let cfg = Config { sqlite_memory_limit_mib: 8, ..Config::default() };
        assert_eq!(cfg.pool().sqlite_memory_limit, 8 * 1024 * 1024);
        let cfg = Config { sqlite_memory_limit_mib: u64::MAX, ..Config::default() };
        assert_eq!(cfg.pool().sqlite_memory_limit, i64::MAX as u64);
        assert_eq!(Config::default().pool().sqlite_memory_limit, 0);
    }
}
