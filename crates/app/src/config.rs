//! Configuration: defaults, then `xinfang.toml` (or `--config FILE`), then
//! `XINFANG_*` environment variables, then command-line flags.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://path` or `postgres://…`; default: SQLite under ./xinfang-data/.
    pub database_url: String,
    /// Load the demo units, users and topics (idempotent).
    pub demo: bool,
    /// With `demo`, also create a handful of sample petitions (once).
    pub demo_petitions: bool,
    /// How periods are counted: `start_excluded_roll_forward` (default) or
    /// `start_excluded_no_roll`.
    pub counting_policy: String,
    /// How the petitioner's 30-day 复查/复核 windows are counted; default
    /// `start_excluded_no_roll` (online filing is open every day).
    pub window_counting_policy: String,
    pub token_ttl_hours: i64,
    /// Key file for personal data at rest and keyed hashes; created with
    /// fresh keys on first start if missing (back it up!).
    pub key_file: String,
    /// Algorithm for a newly generated key file: `sm4-gcm` or `aes-256-gcm`.
    pub encryption_algorithm: String,
    /// Minutes without a request after which a session ends.
    pub idle_timeout_minutes: i64,
    /// Consecutive login failures that lock an account, and for how long.
    pub max_failed_logins: i64,
    pub lockout_minutes: i64,
    /// Requests per address and minute: public submissions, tracking, login.
    pub submit_per_minute: u32,
    pub track_per_minute: u32,
    pub login_per_minute: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://xinfang-data/xinfang.db".into(),
            demo: false,
            demo_petitions: true,
            counting_policy: "start_excluded_roll_forward".into(),
            window_counting_policy: "start_excluded_no_roll".into(),
            token_ttl_hours: 12,
            key_file: "xinfang-data/xinfang.key".into(),
            encryption_algorithm: "sm4-gcm".into(),
            idle_timeout_minutes: 30,
            max_failed_logins: 10,
            lockout_minutes: 30,
            submit_per_minute: 30,
            track_per_minute: 60,
            login_per_minute: 30,
        }
    }
}

/// Values given on the command line (only those present override).
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
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
