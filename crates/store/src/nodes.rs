//! What several nodes on one database share beyond the record itself:
//! cache versions, per-minute rate counters and the cheap counts
//! `/metrics` reports. (Background work is in `queue`.)

use crate::db::{Result, RowExt, Store, WriteTx, fmt_date, fmt_instant};
use chrono::{DateTime, NaiveDate, Utc};

/// Open timers (deadlines not yet met), split at today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenTimers {
    pub running: i64,
    pub overdue: i64,
}

impl Store {
    /// The unit tree's version, bumped with every unit write.
    pub async fn units_version(&self) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT version FROM units_version WHERE id = 1").fetch_optional(&self.pool).await?;
        Ok(v.unwrap_or(0))
    }

    /// Count one request of `client` in `bucket` for the minute `minute`
    /// (minutes since the epoch) and return the count so far, itself
    /// included. One upsert, committed at once: every node adds to the
    /// same row.
    pub async fn count_request(&self, bucket: &str, client: &str, minute: i64) -> Result<i64> {
        let mut w = self.begin_rate_write().await?;
        let hits: i64 = sqlx::query_scalar(
            "INSERT INTO rate_counters (bucket, client, minute, hits) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (bucket, client, minute) DO UPDATE SET hits = rate_counters.hits + 1 RETURNING hits",
        )
        .bind(bucket.to_string())
        .bind(client.to_string())
        .bind(minute)
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(hits)
    }

    /// Delete bearer tokens expired at `now` or idle since `idle_since`
    /// (neither can be used again), rate counters older than
    /// `before_minute` and daily submission budgets of days before
    /// `before_day` (`YYYY-MM-DD`), and idempotency keys and form tokens
    /// expired at `now`; returns (tokens, counters) deleted.
    pub async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
        before_minute: i64,
        before_day: &str,
    ) -> Result<(u64, u64)> {
        let mut w = self.begin_write().await?;
        let tokens = sqlx::query("DELETE FROM auth_tokens WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(fmt_instant(now))
            .bind(fmt_instant(idle_since))
            .execute(&mut *w.tx)
            .await?;
        // Idempotency keys and form tokens past their expiry (issue 10).
        sqlx::query("DELETE FROM request_keys WHERE expires_at <= $1").bind(fmt_instant(now)).execute(&mut *w.tx).await?;
        w.commit().await?;
        let mut r = self.begin_rate_write().await?;
        let counters = sqlx::query("DELETE FROM rate_counters WHERE minute < $1").bind(before_minute).execute(&mut *r.tx).await?;
        // Past days' budgets are never charged again (the day is part of
        // the key); they go here rather than on every submission.
        sqlx::query("DELETE FROM submission_budget WHERE day < $1").bind(before_day.to_string()).execute(&mut *r.tx).await?;
        r.commit().await?;
        Ok((tokens.rows_affected(), counters.rows_affected()))
    }

    /// Open timers, running and overdue at `today` (served by the partial
    /// index on open deadlines).
    pub async fn open_timers(&self, today: NaiveDate) -> Result<OpenTimers> {
        self.open_timers_on(&self.pool, today).await
    }

    /// `open_timers` on the given pool (the primary's or the replica's).
    pub(crate) async fn open_timers_on(&self, pool: &sqlx::AnyPool, today: NaiveDate) -> Result<OpenTimers> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN due_on < $1 THEN 0 ELSE 1 END), 0) AS running, \
             COALESCE(SUM(CASE WHEN due_on < $1 THEN 1 ELSE 0 END), 0) AS overdue FROM deadlines WHERE met_at IS NULL",
        )
        .bind(fmt_date(today))
        .fetch_one(pool)
        .await?;
        Ok(OpenTimers { running: row.i("running")?, overdue: row.i("overdue")? })
    }
}

/// Bump the unit tree's version inside the unit write `w`.
pub(crate) async fn bump_units_version(w: &mut WriteTx<'_>) -> Result<()> {
    sqlx::query("UPDATE units_version SET version = version + 1 WHERE id = 1").execute(&mut *w.tx).await?;
    Ok(())
}

/// The key of the PostgreSQL session lock held while a node sets up the
/// database (migrations, then reference data): "xf-setup" in ASCII. It is
/// not the migration steps' own lock, which the holder's other
/// connections take meanwhile.
const SETUP_LOCK: i64 = 0x78_66_2d_73_65_74_75_70;

/// Held while one node migrates and loads reference data, so that nodes
/// starting together on an empty PostgreSQL database do it once, one
/// after the other (the later ones find everything done). SQLite holds
/// nothing here: its migration steps take the file's write lock.
pub struct SetupLock {
    conn: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
}

impl Store {
    /// Wait for and take the setup lock.
    pub async fn setup_lock(&self) -> Result<SetupLock> {
        if self.dialect != crate::db::Dialect::Postgres {
            return Ok(SetupLock { conn: None });
        }
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)").bind(SETUP_LOCK).execute(&mut *conn).await?;
        Ok(SetupLock { conn: Some(conn) })
    }
}

impl SetupLock {
    /// Release the lock (the connection goes back to the pool).
    pub async fn release(mut self) {
        if let Some(mut conn) = self.conn.take() {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(SETUP_LOCK).execute(&mut *conn).await;
            if unlocked.is_err() {
                // Closing the session releases its locks for sure.
                drop(conn.detach());
            }
        }
    }
}

impl Drop for SetupLock {
    fn drop(&mut self) {
        // Not released (an early return or a panic): close the session
        // rather than pool a connection that still holds the lock.
        if let Some(conn) = self.conn.take() {
            drop(conn.detach());
        }
    }
}
