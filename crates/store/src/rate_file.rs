//! SQLite only: the per-minute rate counters and the daily submission
//! budgets live in a database file of their own beside the main one
//! (`<database>-rates`), with its own write lock.
//!
//! Why (issue 9, docs/performance.md "Intake and memory at 200,000
//! petitions"): SQLite has one writer per file. In the main file every
//! anonymous submission queued for that writer three times — its rate
//! counter, its day's budget, then the petition — and each counter upsert
//! (a fraction of a millisecond) waited behind the group commit of the
//! petitions before it (tens of milliseconds under load). Here they wait
//! only for each other. Every process on the same database opens the same
//! file, so the limits still hold across processes; PostgreSQL keeps the
//! tables in the main database (rows lock, nothing waits behind a batch).
//!
//! The counters are not part of the record: a lost file only forgets this
//! minute's and today's counts. It is not in backups; `synchronous =
//! NORMAL` (no fsync of its own, atomic and consistent in WAL mode).

use crate::db::{Result, StoreError, prepare_sqlite_url, side_pool, sqlite_path};
use sqlx::AnyPool;
use sqlx::Executor;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The tables, created when the file is opened. The main database's
/// migrations still create them too (PostgreSQL uses those; on SQLite
/// they stay empty).
const TABLES: &str = "\
CREATE TABLE IF NOT EXISTS rate_counters (bucket TEXT NOT NULL, client TEXT NOT NULL, minute BIGINT NOT NULL, hits BIGINT NOT NULL, PRIMARY KEY (bucket, client, minute));
CREATE INDEX IF NOT EXISTS rate_counters_minute ON rate_counters (minute);
CREATE TABLE IF NOT EXISTS submission_budget (day TEXT NOT NULL, address TEXT NOT NULL, submissions BIGINT NOT NULL, bytes BIGINT NOT NULL, PRIMARY KEY (day, address));";

#[derive(Clone)]
pub(crate) struct RateFile {
    pub(crate) pool: AnyPool,
    /// Writers of this file take turns here, as the main file's do at its
    /// write gate (a queue rather than SQLITE_BUSY retries).
    pub(crate) gate: Arc<Mutex<()>>,
}

/// The URL of the rate file beside the SQLite database of `url`.
pub fn rate_file_url(url: &str) -> String {
    format!("sqlite://{}-rates", sqlite_path(url))
}

impl RateFile {
    /// Open (creating) the rate file beside the database `url`; None for a
    /// database opened read-only (nothing is counted through it).
    pub(crate) async fn open(url: &str, acquire_timeout: std::time::Duration) -> Result<Option<RateFile>> {
        if url.contains("mode=ro") {
            return Ok(None);
        }
        let rates = prepare_sqlite_url(&rate_file_url(url))?;
        let pool = side_pool(&rates, "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;", acquire_timeout).await?;
        sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
        pool.execute(TABLES).await.map_err(|e| StoreError::Corrupt(format!("the rate file {rates}: {e}")))?;
        Ok(Some(RateFile { pool, gate: Arc::new(Mutex::new(())) }))
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}
