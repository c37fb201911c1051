//! The job runtime (issue 11): every piece of background work — notices to
//! deliver, letters to render, periodic sweeps — is a row in the `jobs`
//! queue (`xinfang_store::queue`), claimed under a lease by whichever node
//! gets it first, retried with exponential backoff, and visible to the
//! admin with every attempt.
//!
//! Why not a crate: the well-kept Rust queues (apalis, fang, sqlxmq,
//! underway, graphile_worker) each target PostgreSQL only, or SQLite and
//! PostgreSQL through separate storage crates with their own schema and
//! migrations outside ours; none lets a job be written by our own
//! transaction on both engines, which is the one property notices need
//! (docs/architecture.md, "Background work").
//!
//! Periodic work is a schedule: each node, on every tick, queues the
//! current period's firing under the key `name@period-start`; the key is
//! unique, so however many nodes tick, each period fires once across the
//! cluster, and a node that was down simply finds the firing queued.

use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use xinfang_store::{ClaimedJob, JobOutcome, NewJob, Store};

/// How a job's attempt ended, as its handler says.
#[derive(Debug, Clone)]
pub enum JobError {
    /// Worth another attempt later (the receiver was down, a lock timed out).
    Retry(String),
    /// Will not succeed by trying again (a refused address, bad data).
    Fail(String),
}

impl From<xinfang_store::StoreError> for JobError {
    fn from(e: xinfang_store::StoreError) -> Self {
        JobError::Retry(e.to_string())
    }
}

pub type JobResult = Result<String, JobError>;

/// The sweep of expired sessions, tokens and finished jobs.
pub const PURGE: &str = "purge";
/// The signed checkpoint of the record.
pub const CHECKPOINT: &str = "checkpoint";

/// Every job kind in words, for the admin's outbox (one table beside the
/// kinds' names, so a new kind is labelled where it is added).
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        crate::notices::SMS => "短信",
        crate::notices::EMAIL => "电子邮件",
        xinfang_store::RENDER_DOCUMENT => "生成文书",
        crate::notices::DIGEST => "期限提醒汇总",
        crate::supervision::WATCH => "期限巡查（超期预警与督办）",
        crate::ranking::MONTHLY_RANKING => "月度排名通报",
        crate::precomputed::REFRESH => "统计数据更新",
        crate::triage_model::TRAIN => "智能分办模型训练",
        PURGE => "清理过期数据",
        CHECKPOINT => "记录校验点",
        _ => OTHER_KIND,
    }
}

const OTHER_KIND: &str = "其他任务";
pub type Handler = Arc<dyn Fn(ClaimedJob) -> BoxFuture<'static, JobResult> + Send + Sync>;

/// When a schedule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Every so long, on multiples of it since the epoch.
    Every(Duration),
    /// Once a day at this local (China) time.
    DailyAt { hour: u32, minute: u32 },
}

impl Period {
    /// Parse `every 10m`, `every 30s`, `every 2h` or `daily 08:30`.
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("every ") {
            let rest = rest.trim();
            let (n, unit) = rest.split_at(rest.find(|c: char| !c.is_ascii_digit())?);
            let n: u64 = n.parse().ok()?;
            let secs = match unit.trim() {
                "s" => n,
                "m" => n * 60,
                "h" => n * 3600,
                _ => return None,
            };
            return (secs > 0).then_some(Period::Every(Duration::from_secs(secs)));
        }
        let hm = s.strip_prefix("daily ")?.trim();
        let (h, m) = hm.split_once(':')?;
        let (hour, minute) = (h.parse().ok()?, m.parse().ok()?);
        (hour < 24 && minute < 60).then_some(Period::DailyAt { hour, minute })
    }

    /// The start of the period `now` falls in (a UTC instant), or None if
    /// a daily schedule has not reached today's time yet… in which case
    /// yesterday's firing is the current one.
    pub fn slot(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        match *self {
            Period::Every(d) => {
                let secs = d.as_secs().max(1) as i64;
                let start = now.timestamp().div_euclid(secs) * secs;
                chrono::DateTime::from_timestamp(start, 0).unwrap_or(now)
            }
            Period::DailyAt { hour, minute } => {
                let local = now + chrono::Duration::hours(8);
                let today = local.date_naive();
                let at =
                    |d: chrono::NaiveDate| d.and_hms_opt(hour, minute, 0).map(|t| t.and_utc() - chrono::Duration::hours(8)).unwrap_or(now);
                let t = at(today);
                if t <= now { t } else { at(today.pred_opt().unwrap_or(today)) }
            }
        }
    }
}

/// A periodic job: its firings are jobs of `kind`.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: &'static str,
    pub kind: &'static str,
    pub period: Period,
}

/// What the runtime does and how.
#[derive(Clone)]
pub struct Runtime {
    pub store: Store,
    pub holder: Arc<str>,
    handlers: Arc<HashMap<&'static str, (Handler, chrono::Duration)>>,
    pub schedules: Arc<Vec<Schedule>>,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub poll: Duration,
    pub batch: i64,
    /// Woken when this node queued work, so that it goes out at once.
    pub wake: Arc<tokio::sync::Notify>,
}

impl Runtime {
    pub fn new(store: Store, wake: Arc<tokio::sync::Notify>) -> Runtime {
        Runtime {
            store,
            holder: holder_id().into(),
            handlers: Arc::new(HashMap::new()),
            schedules: Arc::new(Vec::new()),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            poll: Duration::from_secs(1),
            batch: 8,
            wake,
        }
    }

    /// Handle jobs of `kind` with `f`, holding each for at most `lease`
    /// (after which another node may take it over).
    pub fn handle<F, Fut>(mut self, kind: &'static str, lease: Duration, f: F) -> Runtime
    where
        F: Fn(ClaimedJob) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = JobResult> + Send + 'static,
    {
        // Every kind a node handles is named in words for the admin.
        debug_assert!(kind_label(kind) != OTHER_KIND, "job kind `{kind}` has no label in jobs::kind_label");
        let h: Handler = Arc::new(move |j| Box::pin(f(j)));
        let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
        Arc::make_mut(&mut self.handlers).insert(kind, (h, lease));
        self
    }

    pub fn schedule(mut self, s: Schedule) -> Runtime {
        Arc::make_mut(&mut self.schedules).push(s);
        self
    }

    /// The kinds this node handles.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut k: Vec<&'static str> = self.handlers.keys().copied().collect();
        k.sort_unstable();
        k
    }

    /// The wait before attempt `attempt + 1` after `attempt` failed:
    /// base × 2^(attempt−1), at most `retry_max`, with up to a fifth of
    /// jitter so that a gateway back from an outage is not hit all at once.
    pub fn backoff(&self, attempt: i64) -> Duration {
        let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let raw = self.retry_base.saturating_mul(2u32.saturating_pow(exp)).min(self.retry_max);
        let jitter = raw.mul_f64(rand::random::<f64>() * 0.2);
        raw + jitter
    }

    /// Queue the current firing of every schedule (a no-op for the ones
    /// already queued, by this node or another).
    pub async fn fire_schedules(&self) -> Result<usize, xinfang_store::StoreError> {
        let now = chrono::Utc::now();
        let jobs: Vec<NewJob> = self
            .schedules
            .iter()
            .map(|s| {
                let slot = s.period.slot(now);
                NewJob::now(
                    s.kind,
                    format!("{}@{}", s.name, slot.format("%Y-%m-%dT%H:%M:%SZ")),
                    serde_json::json!({"schedule": s.name, "slot": slot}),
                )
            })
            .collect();
        self.store.enqueue_all(&jobs).await
    }

    /// Claim a batch of ready jobs this node handles and run them side by
    /// side; returns how many ran. Kinds are claimed in groups of equal
    /// lease, so a quick message is never held as long as a long sweep.
    pub async fn run_ready(&self) -> Result<usize, xinfang_store::StoreError> {
        let kinds = self.kinds();
        if kinds.is_empty() {
            return Ok(0);
        }
        let now = chrono::Utc::now();
        // One cheap read (the partial index on ready jobs) before any write.
        if !self.store.jobs_ready(&kinds, now).await? {
            return Ok(0);
        }
        let mut groups: std::collections::BTreeMap<i64, Vec<&'static str>> = std::collections::BTreeMap::new();
        for (kind, (_, lease)) in self.handlers.iter() {
            groups.entry(lease.num_seconds()).or_default().push(kind);
        }
        let mut claimed = Vec::new();
        for (secs, kinds) in groups {
            claimed.extend(self.store.claim_jobs(&self.holder, &kinds, now, chrono::Duration::seconds(secs), self.batch).await?);
        }
        let n = claimed.len();
        let runs = claimed.into_iter().map(|job| self.run_one(job));
        futures_util::future::join_all(runs).await;
        Ok(n)
    }

    async fn run_one(&self, job: ClaimedJob) {
        let Some((handler, _)) = self.handlers.get(job.kind.as_str()) else { return };
        let (id, attempt, max, kind) = (job.id, job.attempt, job.max_attempts, job.kind.clone());
        // A panicking handler is a failed attempt, not a dead worker.
        let outcome = match tokio::spawn(handler(job)).await {
            Ok(r) => r,
            Err(e) => Err(JobError::Retry(format!("handler panicked: {e}"))),
        };
        let outcome = match outcome {
            Ok(msg) => JobOutcome::Done(msg),
            Err(JobError::Fail(e)) => JobOutcome::Fail(e),
            Err(JobError::Retry(e)) if attempt >= max => JobOutcome::Fail(format!("{e}（已尝试{attempt}次）")),
            Err(JobError::Retry(e)) => {
                let wait = chrono::Duration::from_std(self.backoff(attempt)).unwrap_or(chrono::Duration::seconds(60));
                JobOutcome::Retry { error: e, at: chrono::Utc::now() + wait }
            }
        };
        let label = match &outcome {
            JobOutcome::Done(_) => "done",
            JobOutcome::Retry { .. } => "retry",
            JobOutcome::Fail(_) => "failed",
        };
        match &outcome {
            JobOutcome::Done(m) => tracing::debug!(job = id, kind, "{m}"),
            JobOutcome::Retry { error, at } => tracing::warn!(job = id, kind, attempt, error, retry_at = %at, "job attempt failed"),
            JobOutcome::Fail(error) => tracing::error!(job = id, kind, attempt, error, "job failed"),
        }
        crate::observe::job_ran(&kind, label);
        match self.store.finish_job(id, &self.holder, attempt, &outcome).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(job = id, kind, "lease lost before the job was recorded (another node took it over)"),
            Err(e) => tracing::error!(job = id, kind, error = %e, "job outcome not recorded; it will run again after its lease"),
        }
    }

    /// Run the scheduler and the worker on this node until the process ends.
    pub fn spawn(self) {
        let rt = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last: HashMap<&'static str, chrono::DateTime<chrono::Utc>> = HashMap::new();
            loop {
                tick.tick().await;
                // Only a new period costs a write.
                let now = chrono::Utc::now();
                let due = rt.schedules.iter().any(|s| last.get(s.name) != Some(&s.period.slot(now)));
                if !due {
                    continue;
                }
                match rt.fire_schedules().await {
                    Ok(n) => {
                        if n > 0 {
                            rt.wake.notify_one();
                        }
                        for s in rt.schedules.iter() {
                            last.insert(s.name, s.period.slot(now));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "schedules not fired"),
                }
            }
        });
        tokio::spawn(async move {
            loop {
                let ran = match self.run_ready().await {
                    Ok(n) => n,
                    Err(e) => {
                        tracing::warn!(error = %e, "jobs not claimed");
                        0
                    }
                };
                if ran == 0 {
                    // Nothing ready: wait for a wake-up or the next poll.
                    let _ = tokio::time::timeout(self.poll, self.wake.notified()).await;
                }
            }
        });
    }
}

/// This process's name as a lease holder: host, process id and a random
/// part (two servers in one process are two holders).
pub fn holder_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "node".into());
    format!("{host}-{}-{:08x}", std::process::id(), rand::random::<u32>())
}

/// Delete bearer tokens that expired or went idle for longer than
/// `idle_timeout_minutes`, rate counters of past minutes, submission
/// budgets of past days, and finished jobs older than `keep_jobs_days`.
pub async fn purge(store: &Store, idle_timeout_minutes: i64, keep_jobs_days: i64) -> JobResult {
    let now = chrono::Utc::now();
    let minute = now.timestamp().div_euclid(60);
    let idle_since = now - chrono::Duration::minutes(idle_timeout_minutes);
    let today = xinfang_domain::local_date(now).format("%Y-%m-%d").to_string();
    let (tokens, counters) = store.purge_expired(now, idle_since, minute - 1, &today).await?;
    let jobs = store.purge_finished_jobs(now - chrono::Duration::days(keep_jobs_days)).await?;
    Ok(format!("purged {tokens} expired tokens, {counters} old rate counters, {jobs} finished jobs"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn periods_parse_and_slot() {
        assert_eq!(Period::parse("every 10m"), Some(Period::Every(Duration::from_secs(600))));
        assert_eq!(Period::parse("daily 08:30"), Some(Period::DailyAt { hour: 8, minute: 30 }));
        assert_eq!(Period::parse("every 0s"), None);
        assert_eq!(Period::parse("daily 25:00"), None);
        assert_eq!(Period::parse("weekly"), None);
        let at = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 5, 7, 13).single().expect("instant");
        assert_eq!(
            Period::Every(Duration::from_secs(600)).slot(at),
            chrono::Utc.with_ymd_and_hms(2026, 11, 30, 5, 0, 0).single().expect("t")
        );
        // 13:07 in China: today's 08:30 firing (00:30 UTC) is current.
        let daily = Period::DailyAt { hour: 8, minute: 30 };
        assert_eq!(daily.slot(at), chrono::Utc.with_ymd_and_hms(2026, 11, 30, 0, 30, 0).single().expect("t"));
        // 07:00 in China: yesterday's firing is still the current one.
        let early = chrono::Utc.with_ymd_and_hms(2026, 11, 29, 23, 0, 0).single().expect("instant");
        assert_eq!(daily.slot(early), chrono::Utc.with_ymd_and_hms(2026, 11, 29, 0, 30, 0).single().expect("t"));
    }
}
