//! The job queue every piece of background work goes through (issue 11):
//! notices to deliver, letters to render, firings of periodic jobs.
//!
//! A job is a row written in the same transaction as the change that owes
//! it, so a committed act always has its work queued and a rolled-back act
//! never does. Workers claim ready rows with a lease: on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED` (two nodes never take the same row; neither
//! waits for the other), on SQLite inside the single write transaction
//! (`BEGIN IMMEDIATE` already serialises every writer, in this process and
//! in any other on the same file). A holder that dies leaves its lease to
//! expire; the row is then claimed again. Each claim is an attempt,
//! recorded with its holder and outcome. Finishing is fenced by holder and
//! attempt: a worker whose lease was taken over cannot overwrite the new
//! holder's result.

use crate::db::{Dialect, Result, RowExt, Store, WriteTx, fmt_instant, parse_instant};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Work to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    /// Unique for the work itself: a second enqueue with the same key is
    /// ignored (and a delivered message carries it as its idempotency key).
    pub key: String,
    pub payload: Value,
    pub petition_id: Option<i64>,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i64,
}

impl NewJob {
    /// A job ready now with the default number of attempts.
    pub fn now(kind: &str, key: String, payload: Value) -> NewJob {
        NewJob { kind: kind.into(), key, payload, petition_id: None, run_at: Utc::now(), max_attempts: DEFAULT_MAX_ATTEMPTS }
    }

    pub fn for_petition(mut self, petition_id: i64) -> NewJob {
        self.petition_id = Some(petition_id);
        self
    }
}

/// Attempts before a job is left failed for the admin (with the default
/// backoff, about a day of trying).
pub const DEFAULT_MAX_ATTEMPTS: i64 = 12;

/// A job this worker holds.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub payload: Value,
    pub petition_id: Option<i64>,
    /// This claim's number (1 for the first).
    pub attempt: i64,
    pub max_attempts: i64,
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum JobOutcome {
    Done(String),
    /// Try again at the given time (the error is kept for the admin).
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    /// Give up: failed for good until an admin retries it.
    Fail(String),
}

/// One job as the admin sees it.
#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub payload: Value,
    pub petition_id: Option<i64>,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub result: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One claim of a job.
#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub attempt: i64,
    pub holder: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub ok: Option<bool>,
    pub error: Option<String>,
}

/// What the admin's job list shows.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub state: Option<String>,
    /// Kinds to include (none: all).
    pub kinds: Vec<String>,
    /// Rows with a smaller id than this (the next page).
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub const JOB_STATES: [&str; 4] = ["pending", "running", "done", "failed"];

const JOB_COLUMNS: &str = "id, kind, job_key, payload, petition_id, state, attempts, max_attempts, run_at, locked_by, last_error, result, created_at, finished_at";

/// Queue `job` inside the write `w`; false if work with its key exists.
pub(crate) async fn enqueue_in(w: &mut WriteTx<'_>, job: &NewJob) -> Result<bool> {
    let now = fmt_instant(Utc::now());
    let n = sqlx::query(
        "INSERT INTO jobs (kind, job_key, payload, petition_id, state, attempts, max_attempts, run_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $7) ON CONFLICT (job_key) DO NOTHING",
    )
    .bind(job.kind.clone())
    .bind(job.key.clone())
    .bind(job.payload.to_string())
    .bind(job.petition_id)
    .bind(job.max_attempts.max(1))
    .bind(fmt_instant(job.run_at))
    .bind(now)
    .execute(&mut *w.tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

impl Store {
    /// Queue one job on its own (the periodic scheduler's firings, an
    /// admin's request); false if work with the same key was queued before.
    pub async fn enqueue(&self, job: &NewJob) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let fresh = enqueue_in(&mut w, job).await?;
        w.commit().await?;
        Ok(fresh)
    }

    /// Queue several jobs in one transaction; returns how many were new.
    pub async fn enqueue_all(&self, jobs: &[NewJob]) -> Result<usize> {
        if jobs.is_empty() {
            return Ok(0);
        }
        let mut w = self.begin_write().await?;
        let mut fresh = 0;
        for job in jobs {
            fresh += usize::from(enqueue_in(&mut w, job).await?);
        }
        w.commit().await?;
        Ok(fresh)
    }

    /// Whether any job of `kinds` is ready at `now` (a read; the claim is a
    /// write, taken only when there is something to claim).
    pub async fn jobs_ready(&self, kinds: &[&str], now: DateTime<Utc>) -> Result<bool> {
        let marks: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id FROM jobs WHERE state IN ('pending', 'running') AND run_at <= $1 AND (locked_until IS NULL OR locked_until <= $1) AND kind IN ({}) LIMIT 1",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(fmt_instant(now));
        for k in kinds {
            q = q.bind(k.to_string());
        }
        Ok(q.fetch_optional(&self.pool).await?.is_some())
    }

    /// Claim up to `limit` ready jobs of the given kinds (all kinds when
    /// empty) for `holder` until `now + lease`. Ready: pending and due, or
    /// running under a lease that has expired.
    pub async fn claim_jobs(
        &self,
        holder: &str,
        kinds: &[&str],
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<ClaimedJob>> {
        let kind_filter = if kinds.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 5)).collect();
            format!(" AND kind IN ({})", marks.join(", "))
        };
        // SKIP LOCKED: rows another node is claiming right now are passed
        // over, never waited for and never taken twice. SQLite has no row
        // locks and needs none: the claim runs under the write lock.
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
             WHERE id IN (SELECT id FROM jobs WHERE state IN ('pending', 'running') AND run_at <= $3 \
             AND (locked_until IS NULL OR locked_until <= $3){kind_filter} ORDER BY run_at, id LIMIT $4{lock}) \
             RETURNING id, kind, job_key, payload, petition_id, attempts, max_attempts"
        );
        let mut w = self.begin_write().await?;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(holder.to_string())
            .bind(fmt_instant(now + lease))
            .bind(fmt_instant(now))
            .bind(limit.max(1));
        for k in kinds {
            q = q.bind(k.to_string());
        }
        let rows = q.fetch_all(&mut *w.tx).await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for r in rows {
            let job = ClaimedJob {
                id: r.i("id")?,
                kind: r.s("kind")?,
                key: r.s("job_key")?,
                payload: serde_json::from_str(&r.s("payload")?).unwrap_or(Value::Null),
                petition_id: r.oi("petition_id")?,
                attempt: r.i("attempts")?,
                max_attempts: r.i("max_attempts")?,
            };
            sqlx::query("INSERT INTO job_attempts (job_id, attempt, holder, started_at) VALUES ($1, $2, $3, $4)")
                .bind(job.id)
                .bind(job.attempt)
                .bind(holder.to_string())
                .bind(fmt_instant(now))
                .execute(&mut *w.tx)
                .await?;
            claimed.push(job);
        }
        w.commit().await?;
        claimed.sort_by_key(|j| j.id);
        Ok(claimed)
    }

    /// Record how `holder`'s attempt at job `id` ended. False when the
    /// lease was lost meanwhile (another holder claimed the job again):
    /// nothing is written over the newer attempt.
    pub async fn finish_job(&self, id: i64, holder: &str, attempt: i64, outcome: &JobOutcome) -> Result<bool> {
        let now = fmt_instant(Utc::now());
        let mut w = self.begin_write().await?;
        let (state, run_at, error, result, ok) = match outcome {
            JobOutcome::Done(msg) => ("done", None, None, Some(msg.clone()), true),
            JobOutcome::Retry { error, at } => ("pending", Some(fmt_instant(*at)), Some(error.clone()), None, false),
            JobOutcome::Fail(error) => ("failed", None, Some(error.clone()), None, false),
        };
        let finished = matches!(outcome, JobOutcome::Done(_) | JobOutcome::Fail(_)).then(|| now.clone());
        let n = sqlx::query(
            "UPDATE jobs SET state = $1, run_at = COALESCE($2, run_at), last_error = COALESCE($3, last_error), result = $4, \
             locked_by = NULL, locked_until = NULL, updated_at = $5, finished_at = $6 \
             WHERE id = $7 AND locked_by = $8 AND attempts = $9 AND state = 'running'",
        )
        .bind(state)
        .bind(run_at)
        .bind(error.clone())
        .bind(result)
        .bind(now.clone())
        .bind(finished)
        .bind(id)
        .bind(holder.to_string())
        .bind(attempt)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        sqlx::query("UPDATE job_attempts SET finished_at = $1, ok = $2, error = $3 WHERE job_id = $4 AND attempt = $5 AND holder = $6")
            .bind(now)
            .bind(i64::from(ok))
            .bind(error)
            .bind(id)
            .bind(attempt)
            .bind(holder.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(n == 1)
    }

    /// Put failed job `id` back in the queue, due now, with as many
    /// attempts again as it had at first. False if it is not failed.
    pub async fn retry_job(&self, id: i64) -> Result<bool> {
        let now = fmt_instant(Utc::now());
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE jobs SET state = 'pending', run_at = $1, max_attempts = attempts + max_attempts, updated_at = $1, finished_at = NULL \
             WHERE id = $2 AND state = 'failed'",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// Jobs for the admin, newest first.
    pub async fn list_jobs(&self, f: &JobFilter) -> Result<Vec<JobRow>> {
        let mut sql = crate::db::Sql::new(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE 1 = 1"));
        if let Some(s) = &f.state {
            sql.push(" AND state = ").bind(crate::db::Arg::S(s.clone()));
        }
        if !f.kinds.is_empty() {
            sql.push(" AND kind IN (");
            for (i, k) in f.kinds.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(crate::db::Arg::S(k.clone()));
            }
            sql.push(")");
        }
        if let Some(b) = f.before_id {
            sql.push(" AND id < ").bind(crate::db::Arg::I(b));
        }
        sql.push(" ORDER BY id DESC LIMIT ").bind(crate::db::Arg::I(f.limit.clamp(1, 500)));
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(job_row).collect()
    }

    pub async fn job(&self, id: i64) -> Result<Option<JobRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_row).transpose()
    }

    /// Every claim of job `id`, first first.
    pub async fn job_attempts(&self, id: i64) -> Result<Vec<AttemptRow>> {
        let rows =
            sqlx::query("SELECT attempt, holder, started_at, finished_at, ok, error FROM job_attempts WHERE job_id = $1 ORDER BY attempt")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(AttemptRow {
                    attempt: r.i("attempt")?,
                    holder: r.s("holder")?,
                    started_at: parse_instant(&r.s("started_at")?)?,
                    finished_at: r.os("finished_at")?.as_deref().map(parse_instant).transpose()?,
                    ok: r.oi("ok")?.map(|v| v != 0),
                    error: r.os("error")?,
                })
            })
            .collect()
    }

    /// Jobs by kind and state (for `/metrics` and the admin's summary).
    pub async fn job_counts(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query("SELECT kind, state, COUNT(*) AS n FROM jobs GROUP BY kind, state ORDER BY kind, state")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.s("kind")?, r.s("state")?, r.i("n")?))).collect()
    }

    /// Delete finished jobs (and their attempts) older than `before`;
    /// failed ones stay until an admin deals with them.
    pub async fn purge_finished_jobs(&self, before: DateTime<Utc>) -> Result<u64> {
        let mut w = self.begin_write().await?;
        let cutoff = fmt_instant(before);
        sqlx::query("DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM jobs WHERE state = 'done' AND finished_at < $1)")
            .bind(cutoff.clone())
            .execute(&mut *w.tx)
            .await?;
        let n = sqlx::query("DELETE FROM jobs WHERE state = 'done' AND finished_at < $1").bind(cutoff).execute(&mut *w.tx).await?;
        w.commit().await?;
        Ok(n.rows_affected())
    }
}

fn job_row(r: &sqlx::any::AnyRow) -> Result<JobRow> {
    Ok(JobRow {
        id: r.i("id")?,
        kind: r.s("kind")?,
        key: r.s("job_key")?,
        payload: serde_json::from_str(&r.s("payload")?).unwrap_or(Value::Null),
        petition_id: r.oi("petition_id")?,
        state: r.s("state")?,
        attempts: r.i("attempts")?,
        max_attempts: r.i("max_attempts")?,
        run_at: parse_instant(&r.s("run_at")?)?,
        locked_by: r.os("locked_by")?,
        last_error: r.os("last_error")?,
        result: r.os("result")?,
        created_at: parse_instant(&r.s("created_at")?)?,
        finished_at: r.os("finished_at")?.as_deref().map(parse_instant).transpose()?,
    })
}
